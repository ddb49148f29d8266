/* pquic ops: the protocol operations, one per line. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pquic/ops.h"

static void usage(FILE *f) {
  fputs("usage: pquic ops\n"
        "\n"
        "Lists the built-in protocol operations, one per line, tab-separated:\n"
        "  name, 'param' if the operation takes a parameter (else '-'),\n"
        "  category, contract.\n",
        f);
}

/* Tabs or newlines inside a field would break the format. */
static void put_field(const char *s) {
  for (; s && *s; s++)
    putchar(*s == '\t' || *s == '\n' ? ' ' : *s);
}

int cmd_ops(int argc, char **argv) {
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    if (c == 'h') {
      usage(stdout);
      return 0;
    }
    return option_error("ops", c, argv);
  }
  if (optind < argc)
    return usage_fail("ops", "unexpected argument '%s'", argv[optind]);
  const pquic_op_info *ops = NULL;
  size_t n = pquic_ops_list(&ops);
  for (size_t i = 0; i < n; i++) {
    put_field(ops[i].name);
    putchar('\t');
    fputs(ops[i].parameterized ? "param" : "-", stdout);
    putchar('\t');
    put_field(ops[i].category);
    putchar('\t');
    put_field(ops[i].contract);
    putchar('\n');
  }
  return fflush(stdout) == 0 ? 0 : fail("cannot write the list: standard output failed");
}
