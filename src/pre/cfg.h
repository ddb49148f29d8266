/*
 * pre/cfg.h - the basic blocks of a verified program (internal). Built once
 * per JIT compilation and shared by the range analysis, liveness, the
 * loop-closing edges and the loop finder, which each used to find them on
 * their own. A block starts at a function start, a jump target, or after a
 * jump or an exit; a function's blocks are numbered from 0 in slot order.
 */
#ifndef PQ_PRE_CFG_H
#define PQ_PRE_CFG_H

#include "pre/prog.h"
#include "pre/scratch.h"

typedef struct pq_cfg_block {
  uint32_t start, end; /* slots [start, end) */
  uint32_t last;       /* its last instruction (never an LDDW's second half) */
  uint32_t succ[2];    /* blocks of the same function: the jump target first */
  uint8_t nsucc;
  uint8_t target; /* some jump lands on its start */
  uint8_t back;   /* bit k: edge succ[k] closes a loop (see pq_cfg) */
} pq_cfg_block;

typedef struct pq_cfg {
  pq_cfg_block *b; /* all functions' blocks, function by function */
  uint32_t *first; /* function f's blocks are b[first[f]] .. b[first[f + 1] - 1] */
  uint32_t *of;    /* per slot: its block, numbered within its function */
  /* A depth-first walk of each function from its first block, successors
   * in order: per block (indexed like b), its position in reverse
   * postorder or UINT32_MAX when unreachable; per function, its reachable
   * blocks in reverse postorder (order[first[f]] ..) and their number.
   * An edge to a block still on the walk's stack closes a loop (every
   * cycle has one). */
  uint32_t *rpo;
  uint32_t *order;
  uint32_t *nreach;
} pq_cfg;

/* Builds the blocks of p (verified: jumps stay in their function and never
 * land on an LDDW's second half) in tmp. Errors: NOMEM. */
int pq_cfg_build(const pq_bpf_prog *p, pq_scratch *tmp, pq_cfg *g);

#endif
