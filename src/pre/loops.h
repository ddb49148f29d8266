/*
 * pre/loops.h - loops whose memory checks can be done once per entry
 * (internal, for the JIT).
 *
 * For each natural loop (a header dominating its back edges), the registers
 * are followed as exact linear forms over their values at the header
 * (hdr[a] + (hdr[b] << sh) + region base + d, modulo 2^64). A register that
 * gains the same constant on every back edge is an induction variable; one
 * that keeps its header value is invariant. A memory access whose address
 * is such a form over induction and invariant registers moves by a constant
 * step per iteration, so the addresses of all its iterations lie in one
 * interval that the loop's entry can compute from the registers it has: the
 * start address at iteration 0, the step, and a bound on the iterations
 * taken from the loop's exit test (an induction variable compared with an
 * invariant value by a test that every iteration passes before looping).
 *
 * The JIT then versions the loop: entering it runs a pad that checks those
 * intervals (and the arithmetic's no-wrap conditions) against the regions
 * at run time; when all hold, a copy of the loop without those checks runs,
 * otherwise the ordinary, fully checked loop. Leaving the copy goes back to
 * ordinary code, so a later entry checks again. No run ever executes an
 * unchecked access outside the intervals that its pad proved inside one
 * region, so faults stay exactly those of the checked code.
 */
#ifndef PQ_PRE_LOOPS_H
#define PQ_PRE_LOOPS_H

#include "pre/cfg.h"
#include "pre/prog.h"
#include "pre/scratch.h"

#define PQ_LOOP_MAX_CLASSES 6 /* intervals one pad checks */

/* A value as a linear form over header values; `known` 0: anything. */
typedef struct pq_lform {
  int8_t a, b;    /* registers (-1: absent) */
  uint8_t sh;     /* b is shifted left by sh */
  uint8_t region; /* plus the instance region base */
  uint8_t known;
  int64_t d;
} pq_lform;

/* Relation that keeps the loop going: v < m (increasing v), v > m
 * (decreasing), or v != m (steps of one). */
enum { PQ_LOOP_LT, PQ_LOOP_GT, PQ_LOOP_NE };

/* Accesses checked as one interval: at iteration t they lie in
 * [A + step * t + lo, A + step * t + hi), A the value of `addr` at entry. */
typedef struct pq_loop_class {
  pq_lform addr;
  int64_t step;
  int32_t lo, hi;
  uint8_t access;     /* PQ_BPF_REGION_READ | WRITE */
  uint8_t lent_first; /* argument pointers: try the first lent region first */
} pq_loop_class;

/* Entry condition: register r equals register q + delta (r copies an
 * induction variable at every back edge, so it keeps doing so when it
 * started that way). */
typedef struct pq_loop_link {
  int8_t r, q;
  int64_t delta;
} pq_loop_link;

typedef struct pq_loop {
  uint32_t func;
  uint32_t header; /* slot */
  /* Iteration bound (when `bounded`): every iteration that loops again
   * passed a test `v rel m` with v = hdr[iv] + k at iteration t equal to
   * v0 + step * t, m = limit + adj fixed. */
  uint8_t bounded;
  uint8_t rel;  /* PQ_LOOP_* */
  int8_t iv;    /* register */
  int8_t adj;   /* -1, 0, +1 */
  int64_t k;    /* v = hdr[iv] + k */
  int64_t step; /* of iv per iteration: a power of two (LT, GT) or +-1 (NE) */
  pq_lform limit;
  pq_loop_class cls[PQ_LOOP_MAX_CLASSES];
  uint32_t ncls;
  pq_loop_link link[11];
  uint32_t nlink;
  uint8_t budget_covered; /* JIT: the pad checks the budget for every back edge */
  uint32_t lo, hi;        /* slots [lo, hi) hold the whole body (and maybe more) */
} pq_loop;

/* All in the caller's scratch allocator. */
typedef struct pq_loops {
  pq_loop *v;
  uint32_t n;
  uint32_t *of; /* per slot: 1 + index of the versioned loop holding it, or 0 */
} pq_loops;

/* Finds the loops worth versioning (innermost ones with accesses to hoist;
 * versioned loops never nest) and marks their hoisted accesses with
 * PQ_INSN_HOISTED. Needs the range analysis flags (PQ_INSN_SAFE accesses
 * need nothing). Works on the blocks g; its arrays, and `out`'s, come from
 * `tmp`. Errors: NOMEM
 * (then nothing is marked). */
int pq_loops_find(pq_bpf_prog *p, const pq_cfg *g, pq_scratch *tmp, pq_loops *out);

/* 1 when slot pc belongs to the body of versioned loop i. */
static inline int pq_loops_in(const pq_loops *l, uint32_t i, uint32_t pc) {
  return l->of && l->of[pc] == i + 1;
}

#endif
