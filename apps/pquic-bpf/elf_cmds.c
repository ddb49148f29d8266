/* pquic-bpf verify and disasm (ELF objects). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_verify(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return cli_fail("verify", "not implemented yet");
}

int cmd_disasm(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return cli_fail("disasm", "not implemented yet");
}
