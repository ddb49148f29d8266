/* pquic-bpf: run, verify and disassemble eBPF pluglets. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f) {
  fputs("usage: pquic-bpf COMMAND [OPTIONS]\n"
        "\n"
        "commands:\n"
        "  run      run a program read as hex bytes on stdin, print r0\n"
        "  verify   load and verify an eBPF ELF object\n"
        "  disasm   list the instructions of an eBPF ELF object\n"
        "\n"
        "`pquic-bpf COMMAND --help` describes each command.\n",
        f);
}

int cli_fail(const char *what, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  /* One line: newlines in messages would split it. */
  for (char *c = msg; *c; c++)
    if (*c == '\n')
      *c = ' ';
  fprintf(stderr, "pquic-bpf: %s: %s\n", what, msg);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(cmd, "run") == 0)
    return cmd_run(argc - 1, argv + 1);
  if (strcmp(cmd, "verify") == 0)
    return cmd_verify(argc - 1, argv + 1);
  if (strcmp(cmd, "disasm") == 0)
    return cmd_disasm(argc - 1, argv + 1);
  fprintf(stderr, "pquic-bpf: unknown command '%s'\n", cmd);
  usage(stderr);
  return 2;
}
