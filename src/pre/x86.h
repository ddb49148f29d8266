/*
 * pre/x86.h - a minimal x86-64 instruction encoder for the JIT: a growable
 * byte buffer and the handful of encodings (REX, ModRM, SIB, immediates)
 * the code generator needs.
 */
#ifndef PQ_PRE_X86_H
#define PQ_PRE_X86_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/alloc.h"

enum {
  RAX = 0,
  RCX = 1,
  RDX = 2,
  RBX = 3,
  RSP = 4,
  RBP = 5,
  RSI = 6,
  RDI = 7,
  R8 = 8,
  R9 = 9,
  R10 = 10,
  R11 = 11,
  R12 = 12,
  R13 = 13,
  R14 = 14,
  R15 = 15,
};

/* Condition codes (low nibble of Jcc 0x0f 0x80+cc). */
enum {
  CC_B = 0x2,
  CC_AE = 0x3,
  CC_E = 0x4,
  CC_NE = 0x5,
  CC_BE = 0x6,
  CC_A = 0x7,
  CC_L = 0xc,
  CC_GE = 0xd,
  CC_LE = 0xe,
  CC_G = 0xf,
};

typedef struct xbuf {
  uint8_t *p;
  size_t len;
  size_t cap;
  int oom;
  int fixed; /* p is not from the heap (the code's own pages): grow into a heap copy */
} xbuf;

/* Grows the buffer and appends v; on allocation failure sets oom and drops
 * this and every further byte (the caller checks oom and discards the code). */
static inline void x_grow_put(xbuf *b, uint8_t v) {
  if (b->oom)
    return;
  size_t cap = b->cap ? b->cap * 2 : 4096;
  uint8_t *n = b->fixed ? pq_malloc(cap) : pq_realloc(b->p, cap);
  if (!n) {
    b->oom = 1;
    b->cap = 0; /* every later byte takes this path and is dropped */
    return;
  }
  if (b->fixed)
    memcpy(n, b->p, b->len);
  b->fixed = 0;
  b->p = n;
  b->cap = cap;
  b->p[b->len++] = v;
}

static inline void x_byte(xbuf *b, uint8_t v) {
  if (b->len < b->cap)
    b->p[b->len++] = v;
  else
    x_grow_put(b, v);
}

/* An instruction's bytes are written straight into the buffer, after one
 * check that X_MAX bytes fit, with the length updated once at the end:
 * appending byte by byte made every byte wait for the previous one's length
 * update (any store may alias the buffer's own fields). When the buffer
 * must grow (or cannot), they go to `spill` first and are appended one by
 * one. */
#define X_MAX 16 /* bytes of one instruction, and more */

static inline uint8_t *x_begin(xbuf *b, uint8_t *spill) {
  if (b->cap >= X_MAX && b->len <= b->cap - X_MAX) /* cap is 0 after a failure */
    return b->p + b->len;
  return spill;
}

static inline void x_end(xbuf *b, const uint8_t *t, const uint8_t *spill, unsigned n) {
  if (t != spill) {
    b->len += n;
    return;
  }
  for (unsigned i = 0; i < n; i++)
    x_byte(b, t[i]);
}

static inline unsigned e_u32(uint8_t *t, unsigned n, uint32_t v) {
  for (int i = 0; i < 4; i++)
    t[n++] = (uint8_t)(v >> (8 * i));
  return n;
}

static inline void x_u32(xbuf *b, uint32_t v) {
  uint8_t spill[X_MAX], *t = x_begin(b, spill);
  x_end(b, t, spill, e_u32(t, 0, v));
}

static inline void x_u64(xbuf *b, uint64_t v) {
  uint8_t spill[X_MAX], *t = x_begin(b, spill);
  unsigned n = e_u32(t, 0, (uint32_t)v);
  x_end(b, t, spill, e_u32(t, n, (uint32_t)(v >> 32)));
}

/* Overwrites a rel32 at `at` so that it reaches `target` (offsets in b). */
static inline void x_patch_rel32(xbuf *b, size_t at, size_t target) {
  if (b->oom || at + 4 > b->len)
    return;
  uint32_t rel = (uint32_t)((int64_t)target - (int64_t)(at + 4));
  memcpy(b->p + at, &rel, 4); /* x86-64 is little-endian */
}

/* Prefix flags. */
enum {
  XW = 1,  /* REX.W: 64-bit operand */
  X66 = 2, /* operand-size prefix: 16-bit operand */
  XLOCK = 4,
  XBREG = 8, /* the ModRM.reg operand is a byte register */
  XBRM = 16, /* the ModRM.rm operand is a byte register (register form) */
};

static inline unsigned e_prefix(uint8_t *t, unsigned n, unsigned fl, int reg, int rm) {
  if (fl & XLOCK)
    t[n++] = 0xf0;
  if (fl & X66)
    t[n++] = 0x66;
  uint8_t rex = (uint8_t)(0x40 | ((fl & XW) ? 8 : 0) | ((reg >> 3) & 1) << 2 | ((rm >> 3) & 1));
  /* spl, bpl, sil, dil need a REX prefix to be addressed as bytes */
  int force = ((fl & XBREG) && reg >= 4 && reg <= 7) || ((fl & XBRM) && rm >= 4 && rm <= 7);
  if (rex != 0x40 || force)
    t[n++] = rex;
  return n;
}

static inline void x_prefix(xbuf *b, unsigned fl, int reg, int rm) {
  uint8_t spill[X_MAX], *t = x_begin(b, spill);
  x_end(b, t, spill, e_prefix(t, 0, fl, reg, rm));
}

static inline unsigned e_opcode(uint8_t *t, unsigned n, uint32_t op) {
  if (op > 0xff)
    t[n++] = (uint8_t)(op >> 8);
  t[n++] = (uint8_t)op;
  return n;
}

static inline void x_opcode(xbuf *b, uint32_t op) {
  uint8_t spill[X_MAX], *t = x_begin(b, spill);
  x_end(b, t, spill, e_opcode(t, 0, op));
}

static inline unsigned e_rr(uint8_t *t, unsigned n, unsigned fl, uint32_t op, int reg, int rm) {
  n = e_prefix(t, n, fl, reg, rm);
  n = e_opcode(t, n, op);
  t[n++] = (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7));
  return n;
}

/* op reg, rm (register form). `op` is one or two opcode bytes (0x0fXX). */
static inline void x_rr(xbuf *b, unsigned fl, uint32_t op, int reg, int rm) {
  uint8_t spill[X_MAX], *t = x_begin(b, spill);
  x_end(b, t, spill, e_rr(t, 0, fl, op, reg, rm));
}

/* ModRM (with SIB when `sib` >= 0) and displacement for [base + disp]. */
static inline unsigned e_mem(uint8_t *t, unsigned n, int reg, int base, int sib, int32_t disp) {
  int mod = (disp == 0 && (base & 7) != RBP) ? 0 : (disp >= -128 && disp <= 127) ? 1 : 2;
  if (sib >= 0) {
    t[n++] = (uint8_t)(mod << 6 | (reg & 7) << 3 | 4);
    t[n++] = (uint8_t)sib;
  } else {
    t[n++] = (uint8_t)(mod << 6 | (reg & 7) << 3 | (base & 7));
    if ((base & 7) == RSP)
      t[n++] = 0x24;
  }
  if (mod == 1)
    t[n++] = (uint8_t)disp;
  else if (mod == 2)
    n = e_u32(t, n, (uint32_t)disp);
  return n;
}

/* op reg, [base + disp]. */
static inline void x_rm(xbuf *b, unsigned fl, uint32_t op, int reg, int base, int32_t disp) {
  uint8_t spill[X_MAX], *t = x_begin(b, spill);
  unsigned n = e_prefix(t, 0, fl, reg, base);
  n = e_opcode(t, n, op);
  x_end(b, t, spill, e_mem(t, n, reg, base, -1, disp));
}

/* op reg, [base + index + disp] (register operands of 32 or 64 bits; index
 * < 0: none; never rsp). */
static inline void x_sib(xbuf *b, unsigned fl, uint32_t op, int reg, int base, int index,
                         int32_t disp) {
  if (index < 0) {
    x_rm(b, fl, op, reg, base, disp);
    return;
  }
  uint8_t spill[X_MAX], *t = x_begin(b, spill);
  unsigned n = 0;
  uint8_t rex = (uint8_t)(0x40 | ((fl & XW) ? 8 : 0) | ((reg >> 3) & 1) << 2 |
                          ((index >> 3) & 1) << 1 | ((base >> 3) & 1));
  if (rex != 0x40)
    t[n++] = rex;
  n = e_opcode(t, n, op);
  x_end(b, t, spill, e_mem(t, n, reg, base, (index & 7) << 3 | (base & 7), disp));
}

/* Group-1 arithmetic with an immediate: 0x83 /ext ib or 0x81 /ext id. */
static inline void x_alu_ri(xbuf *b, unsigned fl, int ext, int rm, int32_t imm) {
  uint8_t spill[X_MAX], *t = x_begin(b, spill);
  unsigned n;
  if (imm >= -128 && imm <= 127) {
    n = e_rr(t, 0, fl, 0x83, ext, rm);
    t[n++] = (uint8_t)imm;
  } else {
    n = e_u32(t, e_rr(t, 0, fl, 0x81, ext, rm), (uint32_t)imm);
  }
  x_end(b, t, spill, n);
}

/* mov reg, imm64 (shortest encoding). */
static inline void x_mov_imm(xbuf *b, int reg, uint64_t v) {
  uint8_t spill[X_MAX], *t = x_begin(b, spill);
  unsigned n;
  if (v <= UINT32_MAX) { /* mov r32, imm32 zero-extends */
    n = e_prefix(t, 0, 0, 0, reg);
    t[n++] = (uint8_t)(0xb8 + (reg & 7));
    n = e_u32(t, n, (uint32_t)v);
  } else if ((int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX) {
    n = e_u32(t, e_rr(t, 0, XW, 0xc7, 0, reg), (uint32_t)v);
  } else {
    n = e_prefix(t, 0, XW, 0, reg);
    t[n++] = (uint8_t)(0xb8 + (reg & 7));
    n = e_u32(t, n, (uint32_t)v);
    n = e_u32(t, n, (uint32_t)(v >> 32));
  }
  x_end(b, t, spill, n);
}

/* lea dst, [base + index + disp] (64-bit). index must not be rsp. */
static inline void x_lea_sib(xbuf *b, int dst, int base, int index, int32_t disp) {
  uint8_t spill[X_MAX], *t = x_begin(b, spill);
  unsigned n = 0;
  t[n++] = (uint8_t)(0x48 | ((dst >> 3) & 1) << 2 | ((index >> 3) & 1) << 1 | ((base >> 3) & 1));
  t[n++] = 0x8d;
  x_end(b, t, spill, e_mem(t, n, dst, base, (index & 7) << 3 | (base & 7), disp));
}

static inline void x_push(xbuf *b, int reg) {
  uint8_t spill[X_MAX], *t = x_begin(b, spill);
  unsigned n = e_prefix(t, 0, 0, 0, reg);
  t[n++] = (uint8_t)(0x50 + (reg & 7));
  x_end(b, t, spill, n);
}

static inline void x_pop(xbuf *b, int reg) {
  uint8_t spill[X_MAX], *t = x_begin(b, spill);
  unsigned n = e_prefix(t, 0, 0, 0, reg);
  t[n++] = (uint8_t)(0x58 + (reg & 7));
  x_end(b, t, spill, n);
}

/* push regs[0..n-1] (x_pops: pop them in reverse order) as one append;
 * n <= X_MAX / 2. */
static inline void x_pushes(xbuf *b, const int *regs, size_t n) {
  uint8_t spill[X_MAX], *t = x_begin(b, spill);
  unsigned k = 0;
  for (size_t i = 0; i < n; i++) {
    k = e_prefix(t, k, 0, 0, regs[i]);
    t[k++] = (uint8_t)(0x50 + (regs[i] & 7));
  }
  x_end(b, t, spill, k);
}

static inline void x_pops(xbuf *b, const int *regs, size_t n) {
  uint8_t spill[X_MAX], *t = x_begin(b, spill);
  unsigned k = 0;
  for (size_t i = n; i-- > 0;) {
    k = e_prefix(t, k, 0, 0, regs[i]);
    t[k++] = (uint8_t)(0x58 + (regs[i] & 7));
  }
  x_end(b, t, spill, k);
}

/* jcc rel32 / jmp rel32 / call rel32: returns the offset of the rel32. */
static inline size_t x_jcc(xbuf *b, int cc) {
  uint8_t spill[X_MAX], *t = x_begin(b, spill);
  t[0] = 0x0f;
  t[1] = (uint8_t)(0x80 | cc);
  size_t at = b->len + 2;
  x_end(b, t, spill, e_u32(t, 2, 0));
  return at;
}

static inline size_t x_jmp(xbuf *b) {
  uint8_t spill[X_MAX], *t = x_begin(b, spill);
  t[0] = 0xe9;
  size_t at = b->len + 1;
  x_end(b, t, spill, e_u32(t, 1, 0));
  return at;
}

static inline size_t x_call(xbuf *b) {
  uint8_t spill[X_MAX], *t = x_begin(b, spill);
  t[0] = 0xe8;
  size_t at = b->len + 1;
  x_end(b, t, spill, e_u32(t, 1, 0));
  return at;
}

/* One NOP of n bytes (1..9) at t + k, in the forms the Intel and AMD
 * optimization manuals recommend: 90, 66 90, then `nop r/m32` (0F 1F /0)
 * with a ModRM, SIB and displacement of growing size (all zero), and a 66
 * prefix for 6 and 9 bytes. */
static inline unsigned e_nop(uint8_t *t, unsigned k, unsigned n) {
  static const uint8_t nop[9][9] = {
      {0x90},
      {0x66, 0x90},
      {0x0f, 0x1f, 0x00},
      {0x0f, 0x1f, 0x40, 0x00},
      {0x0f, 0x1f, 0x44, 0x00, 0x00},
      {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
      {0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
      {0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
      {0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
  };
  memcpy(t + k, nop[n - 1], n);
  return k + n;
}

/* Pads with NOPs (at most two per 15 bytes) to the next multiple of `to`
 * (a power of two, at most 64) from the start of the buffer; returns the
 * bytes added. The buffer is page-aligned memory (the code's own pages, or
 * copied to them), so this aligns the code too. */
static inline unsigned x_align(xbuf *b, unsigned to) {
  unsigned total = (unsigned)(-b->len & (to - 1));
  for (unsigned left = total; left;) {
    unsigned n = left > 15 ? 15 : left;
    uint8_t spill[X_MAX], *t = x_begin(b, spill);
    unsigned first = n > 9 ? n - 8 : n; /* 10..15 bytes: 2..7 then 8 */
    unsigned k = e_nop(t, 0, first);
    if (first < n)
      k = e_nop(t, k, n - first);
    x_end(b, t, spill, k);
    left -= n;
  }
  return total;
}

/* call an absolute address through rax. */
static inline void x_call_abs(xbuf *b, uint64_t fn) {
  x_mov_imm(b, RAX, fn);
  x_rr(b, 0, 0xff, 2, RAX);
}

#endif
