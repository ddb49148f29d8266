/* pquic-bpf internals: subcommands and shared utilities. */
#ifndef PQ_APP_BPF_CLI_H
#define PQ_APP_BPF_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "pre/bpf.h"

/* Subcommands: argv[0] is the subcommand name. Return the exit status. */
int cmd_run(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_disasm(int argc, char **argv);

/* Prints "pquic-bpf: WHAT: MESSAGE" on one line to stderr; returns 1. */
int cli_fail(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses whitespace-separated hex tokens (each an even number of digits,
 * optional 0x prefix, '#' starts a comment) into a new buffer. Returns 0 or
 * -1 with a message in err. */
int hex_parse(const char *text, uint8_t **out, size_t *len, char *err, size_t errlen);

/* Reads a whole stream or file into a new NUL-terminated buffer; NULL on error. */
char *read_all_stdin(size_t *len);
uint8_t *read_file(const char *path, size_t *len);

/* The demonstration helpers of pquic-bpf run (see `pquic-bpf run --help`). */
int cli_helpers_add(pq_bpf_helpers *h);

#endif
