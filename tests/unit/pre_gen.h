/*
 * A generator of random *valid* eBPF programs driven by a byte string, and a
 * differential runner: the same program, memory and arguments on the
 * interpreter and on the JIT must give the same result, memory and fault.
 * Shared by tests/unit/test_pre_diff.c (seeded) and tests/fuzz/fuzz_pre_diff.c
 * (libFuzzer); no cmocka here.
 *
 * Programs: a main function and up to three callees (a function calls only
 * later ones: no recursion). r6 = lent context (64 bytes), r7 = instance heap,
 * r8 = loop counter; the generator never writes them. Statements: every ALU
 * operation, loads/stores/atomics through the context, the heap, the stack
 * and computed pointers (sometimes out of bounds or misaligned), forward
 * conditional blocks, bounded loops counting down or up (rarely endless)
 * with accesses indexed by the counter (which the JIT checks once per loop
 * entry; sometimes an iteration leaves the memory), fields assembled from
 * byte loads and conditional moves (JIT peepholes), local calls, helper
 * calls (rarely faulting), 64-bit immediates and region addresses.
 */
#ifndef PQ_TESTS_PRE_GEN_H
#define PQ_TESTS_PRE_GEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pre/bpf.h"
#include "pre/insn.h"

#define PG_MAX 1024 /* slots */
#define PG_CTX 64   /* lent context bytes */
#define PG_HEAP 256 /* instance heap bytes (below the stacks) */
#define PG_STACK (PQ_BPF_MAX_FRAMES * PQ_BPF_STACK_FRAME)
#define PG_BUDGET 400000 /* terminating programs need far fewer */

typedef struct pg {
  const uint8_t *d;
  size_t n, i;
  pq_bpf_insn out[PG_MAX];
  size_t len;
  int full;
  int nfuncs, func, depth, in_loop;
  int loop_max; /* largest value the loop counter r8 takes in the current loop */
  size_t fstart[4];
  size_t calls[64];
  int callee[64];
  size_t ncalls;
} pg;

static inline uint32_t pg_byte(pg *g) {
  return g->i < g->n ? g->d[g->i++] : 0;
}
static inline uint32_t pg_below(pg *g, uint32_t n) {
  return pg_byte(g) % n;
}
static inline uint32_t pg_u32(pg *g) {
  uint32_t v = 0;
  for (int k = 0; k < 4; k++)
    v = v << 8 | pg_byte(g);
  return v;
}

static inline void pg_emit(pg *g, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
                           int32_t imm) {
  if (g->len >= PG_MAX) {
    g->full = 1;
    return;
  }
  pq_bpf_insn in = {code, dst, src, 0, off, imm};
  g->out[g->len++] = in;
}

static inline int32_t pg_imm(pg *g) {
  static const int32_t v[] = {0, 1, -1, 2, 7, 31, 32, 63, 64, 0x7fffffff, INT32_MIN, 0xff, -8};
  uint32_t k = pg_below(g, 16);
  return k < 13 ? v[k] : (int32_t)pg_u32(g);
}

static const uint8_t pg_scratch[] = {0, 1, 2, 3, 4, 5, 9};
static inline uint8_t pg_dst(pg *g) {
  return pg_scratch[pg_below(g, 7)];
}
static inline uint8_t pg_src(pg *g) {
  return (uint8_t)pg_below(g, 11);
}

static inline void pg_alu(pg *g) {
  static const uint8_t ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR,  BPF_AND,  BPF_LSH,
                                BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH, BPF_END};
  uint8_t cls = pg_below(g, 2) ? BPF_ALU64 : BPF_ALU;
  uint8_t op = ops[pg_below(g, 14)];
  uint8_t d = pg_dst(g), x = pg_below(g, 2) ? BPF_X : BPF_K;
  if (op == BPF_NEG) {
    pg_emit(g, cls | op, d, 0, 0, 0);
  } else if (op == BPF_END) {
    static const int32_t widths[] = {16, 32, 64};
    uint8_t dir = cls == BPF_ALU && pg_below(g, 2) ? BPF_TO_BE : 0;
    pg_emit(g, cls | op | dir, d, 0, 0, widths[pg_below(g, 3)]);
  } else if (x == BPF_X) {
    int16_t off = 0;
    if (op == BPF_DIV || op == BPF_MOD)
      off = (int16_t)pg_below(g, 2);
    if (op == BPF_MOV && pg_below(g, 3) == 0) {
      static const int16_t sx[] = {8, 16, 32};
      off = sx[pg_below(g, cls == BPF_ALU64 ? 3 : 2)];
    }
    pg_emit(g, cls | op | BPF_X, d, pg_src(g), off, 0);
  } else {
    int32_t imm = pg_imm(g);
    int16_t off = 0;
    if (op == BPF_DIV || op == BPF_MOD) {
      off = (int16_t)pg_below(g, 2);
      if (imm == 0)
        imm = 3;
    }
    pg_emit(g, cls | op, d, 0, off, imm);
  }
}

static const uint8_t pg_sizes[] = {BPF_B, BPF_H, BPF_W, BPF_DW};

/* A base register and an offset for a `w`-byte access, mostly in bounds. */
static inline void pg_address(pg *g, unsigned w, int aligned, uint8_t *base, int16_t *off) {
  uint32_t k = pg_below(g, 8);
  int edge = pg_below(g, 16) == 0; /* near or past an edge */
  if (k < 3) {
    *base = 6;
    *off = edge ? (int16_t)(PG_CTX - w + pg_below(g, 3) - 1) : (int16_t)pg_below(g, PG_CTX - w + 1);
  } else if (k < 5) {
    *base = 7;
    *off = edge ? (int16_t)((int)pg_below(g, 3) - 2) : (int16_t)pg_below(g, PG_HEAP - w + 1);
  } else if (k < 7) {
    *base = 10;
    *off = (int16_t)(-(int)w - (int)pg_below(g, 512 - w + 1));
  } else { /* computed: r9 = r6 + (rX & 63) */
    pg_emit(g, BPF_ALU64 | BPF_MOV | BPF_X, 9, 6, 0, 0);
    uint8_t t = pg_scratch[pg_below(g, 6)]; /* not r9 */
    pg_emit(g, BPF_ALU64 | BPF_AND, t, 0, 0, edge ? 127 : 63 & ~(int32_t)(w - 1));
    pg_emit(g, BPF_ALU64 | BPF_ADD | BPF_X, 9, t, 0, 0);
    *base = 9;
    *off = 0;
  }
  if (aligned && *base != 9 && !edge)
    *off = (int16_t)(*off & ~(int)(w - 1));
  if (*base == 10 && *off > -(int)w)
    *off = (int16_t)-w;
}

static inline void pg_memop(pg *g) {
  uint32_t kind = pg_below(g, 5);
  uint8_t sz = pg_sizes[pg_below(g, 4)];
  unsigned w = pq_bpf_size_bytes(sz);
  uint8_t base;
  int16_t off;
  if (kind == 4) { /* atomic */
    static const int32_t ops[] = {BPF_ADD,
                                  BPF_OR,
                                  BPF_AND,
                                  BPF_XOR,
                                  BPF_ADD | BPF_FETCH,
                                  BPF_OR | BPF_FETCH,
                                  BPF_AND | BPF_FETCH,
                                  BPF_XOR | BPF_FETCH,
                                  BPF_XCHG,
                                  BPF_CMPXCHG};
    sz = pg_below(g, 2) ? BPF_DW : BPF_W;
    w = pq_bpf_size_bytes(sz);
    pg_address(g, w, pg_below(g, 8) != 0, &base, &off);
    int32_t op = ops[pg_below(g, 10)];
    uint8_t src = (op & BPF_FETCH) ? pg_dst(g) : pg_src(g);
    pg_emit(g, BPF_STX | BPF_ATOMIC | sz, base, src, off, op);
    return;
  }
  pg_address(g, w, 0, &base, &off);
  if (kind < 2) {
    int sx = sz != BPF_DW && pg_below(g, 3) == 0;
    pg_emit(g, BPF_LDX | (sx ? BPF_MEMSX : BPF_MEM) | sz, pg_dst(g), base, off, 0);
  } else if (kind == 2) {
    pg_emit(g, BPF_STX | BPF_MEM | sz, base, pg_src(g), off, 0);
  } else {
    pg_emit(g, BPF_ST | BPF_MEM | sz, base, 0, off, pg_imm(g));
  }
}

/* Several accesses through one base with nearby offsets (the JIT checks
 * them as a group), sometimes straddling the end of the memory. */
static inline void pg_burst(pg *g) {
  static const uint8_t bases[] = {6, 7, 9};
  uint8_t base = bases[pg_below(g, 3)];
  int32_t start;
  if (base == 6)
    start = PG_CTX - 8 + (int32_t)pg_below(g, 6) - (pg_below(g, 2) ? 24 : 0);
  else if (base == 7)
    start = (int32_t)pg_below(g, 8) - (pg_below(g, 4) == 0 ? 4 : 0);
  else { /* r9 = r6 + (rX & 7) */
    pg_emit(g, BPF_ALU64 | BPF_MOV | BPF_X, 9, 6, 0, 0);
    uint8_t t = pg_scratch[pg_below(g, 6)];
    pg_emit(g, BPF_ALU64 | BPF_AND, t, 0, 0, 7);
    pg_emit(g, BPF_ALU64 | BPF_ADD | BPF_X, 9, t, 0, 0);
    start = PG_CTX - 12 + (int32_t)pg_below(g, 8);
  }
  int n = 2 + (int)pg_below(g, 3);
  for (int k = 0; k < n; k++) {
    uint8_t sz = pg_sizes[pg_below(g, 3)];
    int16_t off = (int16_t)(start + (int32_t)pg_below(g, 6) - 2);
    uint32_t kind = pg_below(g, 4);
    if (kind == 0)
      pg_emit(g, BPF_LDX | BPF_MEM | sz, pg_dst(g), base, off, 0);
    else if (kind == 1)
      pg_emit(g, BPF_STX | BPF_MEM | sz, base, pg_src(g), off, 0);
    else if (kind == 2)
      pg_emit(g, BPF_ST | BPF_MEM | sz, base, 0, off, pg_imm(g));
    else
      pg_alu(g); /* something else in between */
  }
}

/* In a loop: an access at base + (r8 << sh) + off, mostly in bounds for
 * every value of the counter, sometimes past the end (or the start) for
 * some of them. */
static inline void pg_indexed(pg *g) {
  uint8_t t = pg_scratch[pg_below(g, 6)]; /* not r9 */
  unsigned sh = pg_below(g, 4);
  uint8_t sz = pg_sizes[pg_below(g, 4)];
  int w = (int)pq_bpf_size_bytes(sz), heap = pg_below(g, 2) != 0;
  int size = heap ? PG_HEAP : PG_CTX, room = size - w - (g->loop_max << sh);
  int16_t off;
  uint32_t edge = pg_below(g, 8);
  if (edge == 0)
    off = (int16_t)(room + 1 + (int)pg_below(g, 4)); /* the last iterations leave */
  else if (edge == 1)
    off = (int16_t)(-(int)pg_below(g, 3) - 1); /* the first ones start before */
  else
    off = (int16_t)(room > 0 ? (int)pg_below(g, (uint32_t)room + 1) : 0);
  pg_emit(g, BPF_ALU64 | BPF_MOV | BPF_X, t, 8, 0, 0);
  if (sh)
    pg_emit(g, BPF_ALU64 | BPF_LSH, t, 0, 0, (int32_t)sh);
  pg_emit(g, BPF_ALU64 | BPF_MOV | BPF_X, 9, heap ? 7 : 6, 0, 0);
  pg_emit(g, BPF_ALU64 | BPF_ADD | BPF_X, 9, t, 0, 0);
  uint32_t kind = pg_below(g, 3);
  if (kind == 0) /* sometimes into the address register itself */
    pg_emit(g, BPF_LDX | BPF_MEM | sz, pg_below(g, 2) ? 9 : pg_dst(g), 9, off, 0);
  else if (kind == 1)
    pg_emit(g, BPF_STX | BPF_MEM | sz, 9, pg_src(g), off, 0);
  else
    pg_emit(g, BPF_ST | BPF_MEM | sz, 9, 0, off, pg_imm(g));
}

/* A 2-, 4- or 8-byte little- or big-endian field assembled from byte
 * loads with shifts and ors (as clang writes unaligned reads), sometimes
 * straddling the end of the memory; the temporary is sometimes dead after. */
static inline void pg_field(pg *g) {
  static const uint8_t bases[] = {6, 7, 9};
  uint8_t base = bases[pg_below(g, 3)];
  int k = 2 << pg_below(g, 3), be = pg_below(g, 2) != 0, is32 = k < 8 && pg_below(g, 2);
  int size = base == 7 ? PG_HEAP : PG_CTX;
  if (base == 9) { /* r9 = r6 + (rX & 7) */
    uint8_t m = pg_scratch[pg_below(g, 6)];
    pg_emit(g, BPF_ALU64 | BPF_MOV | BPF_X, 9, 6, 0, 0);
    pg_emit(g, BPF_ALU64 | BPF_AND, m, 0, 0, 7);
    pg_emit(g, BPF_ALU64 | BPF_ADD | BPF_X, 9, m, 0, 0);
    size -= 7;
  }
  int o = pg_below(g, 8) == 0 ? size - k + 1 + (int)pg_below(g, 3) : (int)pg_below(g, size - k + 1);
  /* two distinct scratch registers, neither the base */
  uint32_t i0 = pg_below(g, 6), i1 = (i0 + 1 + pg_below(g, 5)) % 6; /* r0..r5 */
  uint8_t d = pg_scratch[i0], t = pg_scratch[i1];
  uint8_t alu = is32 ? BPF_ALU : BPF_ALU64, start = (uint8_t)pg_below(g, (uint32_t)k);
  for (int n = 0; n < k; n++) {
    int i = (start + n) % k, lane = be ? k - 1 - i : i;
    uint8_t r = n == 0 ? d : t;
    pg_emit(g, BPF_LDX | BPF_MEM | BPF_B, r, base, (int16_t)(o + i), 0);
    if (lane)
      pg_emit(g, alu | BPF_LSH, r, 0, 0, 8 * lane);
    if (n)
      pg_emit(g, alu | BPF_OR | BPF_X, d, t, 0, 0);
  }
  if (pg_below(g, 2))
    pg_emit(g, BPF_ALU64 | BPF_MOV, t, 0, 0, pg_imm(g)); /* the temporary dies */
}

/* rd = A; if cond goto +1; rd = B (a conditional move). */
static inline void pg_select(pg *g) {
  uint8_t d = pg_dst(g), x = pg_src(g), y = pg_src(g);
  static const uint8_t ops[] = {BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JNE, BPF_JSGT, BPF_JSLT, BPF_JLE};
  uint8_t op = ops[pg_below(g, 7)], cls = pg_below(g, 2) ? BPF_JMP : BPF_JMP32;
  if (x == d)
    x = 6;
  if (y == d)
    y = 7;
  pg_emit(g, (pg_below(g, 2) ? BPF_ALU64 : BPF_ALU) | BPF_MOV, d, 0, 0, pg_imm(g));
  if (pg_below(g, 2))
    pg_emit(g, cls | op | BPF_X, x, y, 1, 0);
  else
    pg_emit(g, cls | op, x, 0, 1, pg_imm(g));
  pg_emit(g, (pg_below(g, 2) ? BPF_ALU64 : BPF_ALU) | BPF_MOV, d, 0, 0, pg_imm(g));
}

static inline void pg_block(pg *g, int n);

static inline void pg_cond(pg *g) {
  static const uint8_t ops[] = {BPF_JEQ,  BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT,
                                BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE};
  uint8_t cls = pg_below(g, 2) ? BPF_JMP : BPF_JMP32;
  uint8_t op = ops[pg_below(g, 11)];
  size_t at = g->len;
  if (pg_below(g, 2))
    pg_emit(g, cls | op | BPF_X, (uint8_t)pg_src(g), (uint8_t)pg_src(g), 0, 0);
  else
    pg_emit(g, cls | op, (uint8_t)pg_src(g), 0, 0, pg_imm(g));
  size_t skip = SIZE_MAX;
  if (pg_below(g, 3) == 0) { /* if cond goto +1; goto over the block */
    g->out[at].off = 1;
    skip = g->len;
    pg_emit(g, BPF_JMP | BPF_JA, 0, 0, 0, 0);
  }
  g->depth++;
  pg_block(g, 1 + (int)pg_below(g, 4));
  g->depth--;
  if (skip != SIZE_MAX && skip < g->len)
    g->out[skip].off = (int16_t)(g->len - skip - 1);
  else if (at < g->len)
    g->out[at].off = (int16_t)(g->len - at - 1);
}

/* A loop up from r8 = start by `step` while r8 < k (or <=, or signed), in
 * one of clang's latch shapes. */
static inline void pg_loop_up(pg *g) {
  int32_t start = (int32_t)pg_below(g, 2), step = 1 + (int32_t)pg_below(g, 2);
  int32_t k = start + 1 + (int32_t)pg_below(g, 7);
  static const uint8_t ops[] = {BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE};
  uint8_t op = ops[pg_below(g, 4)];
  g->loop_max = k + ((op == BPF_JLE || op == BPF_JSLE) ? step : step - 1);
  pg_emit(g, BPF_ALU64 | BPF_MOV, 8, 0, 0, start);
  size_t top = g->len;
  g->in_loop = 1;
  g->depth++;
  pg_block(g, 1 + (int)pg_below(g, 4));
  g->depth--;
  g->in_loop = 0;
  pg_emit(g, BPF_ALU64 | BPF_ADD, 8, 0, 0, step);
  if (pg_below(g, 2)) {
    pg_emit(g, BPF_JMP | op, 8, 0, (int16_t)(top - g->len - 1), k);
  } else { /* if r8 >= k goto +1; goto top (the opposite test skips the jump back) */
    static const uint8_t neg[] = {BPF_JGE, BPF_JGT, BPF_JSGE, BPF_JSGT};
    uint32_t i = op == BPF_JLT ? 0 : op == BPF_JLE ? 1 : op == BPF_JSLT ? 2 : 3;
    pg_emit(g, BPF_JMP | neg[i], 8, 0, 1, k);
    pg_emit(g, BPF_JMP | BPF_JA, 0, 0, (int16_t)(top - g->len - 1), 0);
  }
}

static inline void pg_loop(pg *g) {
  int endless = pg_below(g, 24) == 0;
  if (!endless && pg_below(g, 2)) {
    pg_loop_up(g);
    return;
  }
  int32_t k = 1 + (int32_t)pg_below(g, 6);
  g->loop_max = endless ? 8 : k;
  if (!endless)
    pg_emit(g, BPF_ALU64 | BPF_MOV, 8, 0, 0, k);
  size_t top = g->len;
  g->in_loop = 1;
  g->depth++;
  pg_block(g, 1 + (int)pg_below(g, 4));
  g->depth--;
  g->in_loop = 0;
  if (!endless && pg_below(g, 2)) {
    pg_emit(g, BPF_ALU64 | BPF_SUB, 8, 0, 0, 1);
    pg_emit(g, BPF_JMP | BPF_JNE, 8, 0, (int16_t)(top - g->len - 1), 0);
  } else if (!endless) { /* clang's latch: if done goto +1; goto top */
    pg_emit(g, BPF_ALU64 | BPF_SUB, 8, 0, 0, 1);
    pg_emit(g, (pg_below(g, 2) ? BPF_JMP : BPF_JMP32) | BPF_JEQ, 8, 0, 1, 0);
    if (pg_below(g, 2))
      pg_emit(g, BPF_JMP | BPF_JA, 0, 0, (int16_t)(top - g->len - 1), 0);
    else
      pg_emit(g, BPF_JMP32 | BPF_JA, 0, 0, 0, (int32_t)(top - g->len - 1));
  } else { /* r6 (the context) is never 0: endless, yet exit stays reachable */
    pg_emit(g, BPF_JMP | BPF_JNE, 6, 0, (int16_t)(top - g->len - 1), 0);
  }
}

static inline void pg_helper(pg *g) {
  uint32_t k = pg_below(g, 16);
  if (k < 8) { /* sum: pure */
    pg_emit(g, BPF_JMP | BPF_CALL, 0, 0, 0, 1);
  } else if (k < 14) { /* fill(ctx + a, val, len): sometimes past the end */
    pg_emit(g, BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0);
    pg_emit(g, BPF_ALU64 | BPF_ADD, 1, 0, 0, (int32_t)pg_below(g, 64));
    pg_emit(g, BPF_ALU64 | BPF_MOV, 3, 0, 0, (int32_t)pg_below(g, 24));
    pg_emit(g, BPF_JMP | BPF_CALL, 0, 0, 0, 3);
  } else if (k == 14) {
    pg_emit(g, BPF_JMP | BPF_CALL, 0, 0, 0, 4); /* user pointer */
  } else {
    pg_emit(g, BPF_JMP | BPF_CALL, 0, 0, 0, 2); /* fault */
  }
}

static inline void pg_call(pg *g) {
  g->calls[g->ncalls] = g->len;
  g->callee[g->ncalls++] = g->func + 1 + (int)pg_below(g, (uint32_t)(g->nfuncs - g->func - 1));
  pg_emit(g, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0);
}

static inline void pg_lddw(pg *g) {
  uint64_t v = (uint64_t)pg_u32(g) << 32 | pg_u32(g);
  uint8_t region = pg_below(g, 2) != 0;
  if (region)
    v %= PG_HEAP + 16;
  pg_emit(g, BPF_LDDW, pg_dst(g), region ? PQ_BPF_PSEUDO_REGION : 0, 0, (int32_t)(uint32_t)v);
  pg_emit(g, 0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
}

/* One statement; arithmetic when the chosen kind is not possible here. */
static inline void pg_stmt(pg *g) {
  uint32_t k = pg_below(g, 20);
  if (k >= 7 && k < 12)
    pg_memop(g);
  else if (k >= 12 && k < 14 && g->depth < 3)
    pg_cond(g);
  else if (k == 14 && !g->in_loop && g->depth < 3)
    pg_loop(g);
  else if (k == 15 && g->func + 1 < g->nfuncs && g->ncalls < 64)
    pg_call(g);
  else if (k == 16)
    pg_helper(g);
  else if (k == 17)
    pg_lddw(g);
  else if (k == 18)
    pg_burst(g);
  else if (k == 19 && g->in_loop)
    pg_indexed(g);
  else if (k == 19)
    pg_field(g);
  else if (k == 6)
    pg_select(g);
  else
    pg_alu(g);
}

static inline void pg_block(pg *g, int n) {
  for (int i = 0; i < n && !g->full && g->len < PG_MAX - 64; i++)
    pg_stmt(g);
}

/* Generates a program from d[0..n); returns its slot count. */
static inline size_t pg_generate(pg *g, const uint8_t *d, size_t n) {
  memset(g, 0, sizeof(*g));
  g->d = d;
  g->n = n;
  g->nfuncs = 1 + (int)pg_below(g, 4);
  for (int f = 0; f < g->nfuncs; f++) {
    g->func = f;
    g->fstart[f] = g->len;
    if (f == 0) { /* r6 = context, r7 = heap, scratch registers seeded */
      pg_emit(g, BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0);
      pg_emit(g, BPF_ALU64 | BPF_MOV | BPF_X, 7, 3, 0, 0);
      for (int r = 0; r < 7; r++)
        pg_emit(g, BPF_ALU64 | BPF_MOV, pg_scratch[r], 0, 0, pg_imm(g));
    }
    pg_block(g, 1 + (int)pg_below(g, f == 0 ? 24 : 10));
    pg_emit(g, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  }
  for (size_t i = 0; i < g->ncalls; i++)
    g->out[g->calls[i]].imm = (int32_t)(g->fstart[g->callee[i]] - g->calls[i] - 1);
  return g->len;
}

/* ---- helpers (ids 1..4) ------------------------------------------------- */

static inline uint64_t pg_h_sum(pq_bpf_env *env, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                                uint64_t e) {
  (void)env;
  return a * 3 + (b ^ c) + (d << 1) - e;
}

static inline uint64_t pg_h_fault(pq_bpf_env *env, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                                  uint64_t e) {
  (void)b, (void)c, (void)d, (void)e;
  pq_bpf_env_fault(env, a);
  return 0;
}

static inline uint64_t pg_h_fill(pq_bpf_env *env, uint64_t p, uint64_t v, uint64_t len, uint64_t d,
                                 uint64_t e) {
  (void)d, (void)e;
  uint8_t *m = pq_bpf_env_check(env, p, len, PQ_BPF_REGION_WRITE);
  if (!m) {
    pq_bpf_env_fault(env, p);
    return 0;
  }
  memset(m, (int)v, (size_t)len);
  return len + v;
}

static inline uint64_t pg_h_user(pq_bpf_env *env, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                                 uint64_t e) {
  (void)a, (void)b, (void)c, (void)d, (void)e;
  return (uint64_t)(uintptr_t)pq_bpf_env_user(env) + pq_bpf_env_insn(env);
}

static inline pq_bpf_helpers *pg_helpers(void) {
  pq_bpf_helpers *h = pq_bpf_helpers_new();
  if (!h || pq_bpf_helpers_add(h, 1, "sum", pg_h_sum) ||
      pq_bpf_helpers_add(h, 2, "fault", pg_h_fault) ||
      pq_bpf_helpers_add(h, 3, "fill", pg_h_fill) || pq_bpf_helpers_add(h, 4, "user", pg_h_user))
    abort();
  return h;
}

/* ---- differential run ---------------------------------------------------- */

typedef struct pg_mem {
  uint8_t ctx[PG_CTX] __attribute__((aligned(16)));
  uint8_t region[PG_HEAP + PG_STACK] __attribute__((aligned(16)));
} pg_mem;

typedef struct pg_outcome {
  int rc;
  uint64_t r0;
  pq_bpf_fault fault;
  pg_mem mem;
} pg_outcome;

static inline void pg_run_one(const pq_bpf_prog *p, int engine, pg_mem *m, const pg_mem *init,
                              pg_outcome *o) {
  memcpy(m, init, sizeof(*m));
  pq_bpf_instance inst = {m->region, sizeof(m->region), PG_HEAP, sizeof(m->region)};
  pq_bpf_region lent = {m->ctx, PG_CTX, PQ_BPF_REGION_RW};
  pq_bpf_run_args a = {
      .lent = &lent, .nlent = 1, .budget = PG_BUDGET, .engine = engine, .user = (void *)m};
  a.args[0] = (uint64_t)(uintptr_t)m->ctx;
  a.args[1] = PG_CTX;
  a.args[2] = (uint64_t)(uintptr_t)m->region;
  o->r0 = 0;
  o->rc = pq_bpf_run(p, 0, &inst, &a, &o->r0, &o->fault);
  memcpy(&o->mem, m, sizeof(*m));
}

/* Loads raw instruction bytes and compares the engines. Returns 0 when they
 * agree (or the program does not load and `strict` is 0, or the interpreter
 * ran out of budget, where the JIT, which counts less, may legitimately
 * finish), 1 on a mismatch or, when `strict`, on a rejected program. Sets
 * *loaded and the interpreter's result *interp_rc. */
static inline int pg_diff_raw(const uint8_t *bytes, size_t nbytes, int strict, const uint8_t *seed,
                              size_t nseed, int *loaded, int *interp_rc) {
  pq_bpf_helpers *h = pg_helpers();
  pq_bpf_prog *p = NULL;
  pq_bpf_diag diag = {-1, ""};
  pq_bpf_load_opts o = {.helpers = h, .flags = PQ_BPF_LOAD_JIT, .diag = &diag};
  int rc = pq_bpf_load_raw(bytes, nbytes, &o, &p);
  pq_bpf_helpers_del(h);
  *loaded = rc == 0;
  *interp_rc = 0;
  if (rc) {
    if (strict)
      fprintf(stderr, "pg_diff: generated program rejected: %s\n", diag.msg);
    return strict; /* the generator promises valid programs */
  }
  static pg_mem init, m;
  static pg_outcome a, b;
  for (size_t i = 0; i < sizeof(init.ctx); i++)
    init.ctx[i] = nseed ? seed[i % nseed] ^ (uint8_t)i : (uint8_t)i;
  for (size_t i = 0; i < sizeof(init.region); i++)
    init.region[i] = (uint8_t)(i * 7);
  pg_run_one(p, PQ_BPF_ENGINE_INTERP, &m, &init, &a);
  *interp_rc = a.rc;
  int bad = 0;
  if (pq_bpf_prog_has_jit(p)) {
    pg_run_one(p, PQ_BPF_ENGINE_JIT, &m, &init, &b);
    if (a.rc != PQUIC_ERR_BUDGET) {
      int same_fault = a.fault.err == b.fault.err && a.fault.insn == b.fault.insn &&
                       a.fault.addr == b.fault.addr && a.fault.width == b.fault.width &&
                       a.fault.write == b.fault.write && a.fault.helper == b.fault.helper;
      bad = a.rc != b.rc || a.r0 != b.r0 || (a.rc && !same_fault) ||
            memcmp(&a.mem, &b.mem, sizeof(a.mem)) != 0;
    }
    if (bad)
      fprintf(stderr,
              "pg_diff: interp rc %d r0 0x%llx fault %d@%u addr 0x%llx w%u; "
              "jit rc %d r0 0x%llx fault %d@%u addr 0x%llx w%u\n",
              a.rc, (unsigned long long)a.r0, a.fault.err, a.fault.insn,
              (unsigned long long)a.fault.addr, a.fault.width, b.rc, (unsigned long long)b.r0,
              b.fault.err, b.fault.insn, (unsigned long long)b.fault.addr, b.fault.width);
  }
  pq_bpf_prog_del(p);
  return bad;
}

/* pg_diff_raw on generated instructions, strictly. */
static inline int pg_diff(const pq_bpf_insn *ins, size_t n, const uint8_t *seed, size_t nseed,
                          int *loaded, int *interp_rc) {
  static uint8_t bytes[PG_MAX * 8];
  for (size_t i = 0; i < n; i++)
    pq_bpf_encode(&ins[i], bytes + 8 * i);
  return pg_diff_raw(bytes, n * 8, 1, seed, nseed, loaded, interp_rc);
}

#endif
