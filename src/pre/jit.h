/* pre/jit.h - the x86-64 JIT (internal). */
#ifndef PQ_PRE_JIT_H
#define PQ_PRE_JIT_H

#include "pre/run.h"

/* 1 when this build can JIT (x86-64). */
int pq_jit_supported(void);

/* Compiles a verified program (`unchecked`: without bounds checks, honoured
 * only in benchmark builds). Runs the range analysis first (analyze.h, on
 * the blocks the JIT passes share) and marks the accesses it hoists out of
 * loops in the instructions' analysis flags. Errors: UNSUPPORTED, NOMEM,
 * JIT. */
int pq_jit_compile(pq_bpf_prog *p, int unchecked, pq_jit **out);

void pq_jit_free(pq_jit *j);

/* Runs function `func` from JIT code. Returns 0 (r->r0 set) or a fault. */
int pq_jit_run(const pq_bpf_prog *p, uint32_t func, pq_run *r);

/* Helper call sites emitted inline (pq_bpf_prog_helpers_inlined); 0 for NULL. */
size_t pq_jit_inlined(const pq_jit *j);

/* Size of the generated machine code in bytes. */
size_t pq_jit_code_size(const pq_jit *j);

/* The machine code (for disassembly while debugging) and the native offset
 * of function `func` and of slot pc's ordinary code (not a loop copy's). */
const uint8_t *pq_jit_code(const pq_jit *j);
uint32_t pq_jit_func_offset(const pq_jit *j, uint32_t func);
uint32_t pq_jit_insn_offset(const pq_jit *j, uint32_t pc);

#endif
