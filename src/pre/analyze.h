/*
 * pre/analyze.h - range and provenance analysis (abstract interpretation over
 * each function, as the kernel verifier tracks bounds): proves which memory
 * accesses stay inside memory that is always there (the program's globals,
 * its own stack frame), so the JIT drops their run-time checks, and notes
 * which accesses go through pointers that came in as arguments (likely lent
 * memory), so the JIT checks those regions first. The interpreter ignores
 * both: it is the reference, and the differential tests hold the analysis to
 * it.
 */
#ifndef PQ_PRE_ANALYZE_H
#define PQ_PRE_ANALYZE_H

#include "pre/cfg.h"
#include "pre/prog.h"

/* Flags kept in pq_bpf_insn.pad of memory accesses. */
enum {
  PQ_INSN_SAFE = 1,      /* in bounds on every path: no run-time check */
  PQ_INSN_LENT_HINT = 2, /* the pointer came from an argument: try lent memory first */
  PQ_INSN_HOISTED = 4,   /* checked by its loop's entry (loops.h) in the loop's fast copy */
};

/* Abstract value of a register. */
enum { AV_TOP = 0, AV_SCALAR, AV_REGION, AV_STACK, AV_ARG };

typedef struct aval {
  uint64_t kind; /* a whole word: struct copies then forward from full stores */
  union {
    struct {
      uint64_t umin, umax; /* AV_SCALAR: unsigned range */
    };
    struct {
      int64_t omin, omax; /* AV_REGION / AV_STACK: offset from the region base / r10 */
    };
  };
} aval;

typedef struct astate {
  aval r[11];
} astate;

/* Offsets beyond this are "unknown" (keeps the arithmetic overflow-free). */
#define AV_OFF_LIMIT ((int64_t)1 << 40)

/* Sets the flags above, on the blocks g of p (arrays in tmp, released
 * before returning). Functions too large to analyse stay checked. Errors:
 * NOMEM (then nothing is marked). */
int pq_bpf_analyze(pq_bpf_prog *p, const pq_cfg *g, pq_scratch *tmp);

/* Transfer functions (analyze_ops.c). */
void pq_av_alu(astate *s, const pq_bpf_insn *in);
void pq_av_load(astate *s, const pq_bpf_insn *in);
void pq_av_lddw(astate *s, const pq_bpf_insn *in);
void pq_av_atomic(astate *s, const pq_bpf_insn *in);
void pq_av_call(astate *s, const pq_bpf_insn *in);
/* Narrows s for the taken (taken = 1) or fall-through edge of a conditional
 * jump; returns 0 when that edge cannot be taken. */
int pq_av_branch(astate *s, const pq_bpf_insn *in, int taken);
/* Hull of b into a; returns 1 when a changed. */
int pq_av_join(astate *a, const astate *b);
/* Hull of b into a, then the bounds that grew moved to their extremes
 * (widening), in one pass; returns 1 when a changed. */
int pq_av_join_widen(astate *a, const astate *b);

#endif
