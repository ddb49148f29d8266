/* pre/verify.h - verifier internals shared by its two files. */
#ifndef PQ_PRE_VERIFY_H
#define PQ_PRE_VERIFY_H

#include "pre/prog.h"

/* Checks the fields of the instruction at slot pc on its own (LDDW: both
 * slots). Errors: VERIFY with the rule in d. */
int pq_bpf_verify_insn(const pq_bpf_prog *p, uint32_t pc, const pq_bpf_helpers *h, pq_bpf_diag *d);

#endif
