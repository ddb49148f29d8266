/* pquic: QUIC client and server (HTTP/3 and hq-interop), protocol
 * operations listing, test certificates. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f) {
  fputs("usage: pquic COMMAND [OPTIONS]\n"
        "\n"
        "commands:\n"
        "  server   serve files and generated bodies over HTTP/3 and hq-interop\n"
        "  client   download URLs over HTTP/3 or hq-interop\n"
        "  ops      list the protocol operations (name, param, category, contract)\n"
        "  cert     write a self-signed certificate and key for tests and demos\n"
        "  plugin   build, inspect and verify plugin bundles (.pqp)\n"
        "\n"
        "`pquic COMMAND --help` describes each command.\n",
        f);
}

static void one_line(char *msg) {
  /* One line: a newline in a message would split it. */
  for (char *c = msg; *c; c++)
    if (*c == '\n' || *c == '\r')
      *c = ' ';
}

int fail(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  one_line(msg);
  fprintf(stderr, "pquic: %s\n", msg);
  return EXIT_FAIL;
}

int usage_fail(const char *cmd, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  one_line(msg);
  fprintf(stderr, "pquic: %s: %s (see 'pquic %s --help')\n", cmd, msg, cmd);
  return EXIT_USAGE;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    puts("pquic 0.1.0");
    return 0;
  }
  if (strcmp(cmd, "server") == 0)
    return cmd_server(argc - 1, argv + 1);
  if (strcmp(cmd, "client") == 0)
    return cmd_client(argc - 1, argv + 1);
  if (strcmp(cmd, "ops") == 0)
    return cmd_ops(argc - 1, argv + 1);
  if (strcmp(cmd, "cert") == 0)
    return cmd_cert(argc - 1, argv + 1);
  if (strcmp(cmd, "plugin") == 0)
    return cmd_plugin(argc - 1, argv + 1);
  fprintf(stderr, "pquic: unknown command '%s' (see 'pquic --help')\n", cmd);
  return EXIT_USAGE;
}
