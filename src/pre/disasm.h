/* pre/disasm.h - eBPF disassembly in llvm-objdump's syntax. */
#ifndef PQ_PRE_DISASM_H
#define PQ_PRE_DISASM_H

#include <stddef.h>
#include <stdio.h>

#include "pre/bpf.h"
#include "pre/insn.h"

/* Formats one instruction; `next` is the following slot (for LDDW) or NULL.
 * Returns what snprintf returns. */
int pq_bpf_disasm_insn(const pq_bpf_insn *in, const pq_bpf_insn *next, char *buf, size_t len);

/* Writes an llvm-objdump -dr style listing of every executable section of an
 * eBPF ELF object: function labels, slot numbers, bytes, relocations.
 * Errors: ELF (malformed object; diag says what), INVAL. */
int pq_bpf_disasm_elf(const uint8_t *data, size_t len, const char *name, FILE *out,
                      pq_bpf_diag *diag);

#endif
