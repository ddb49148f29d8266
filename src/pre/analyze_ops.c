/*
 * Range analysis: transfer functions, branch refinement, join and widening.
 * Scalars are unsigned intervals; pointers into the instance region or the
 * frame carry an offset interval; anything unknown is AV_TOP. Every rule
 * over-approximates what the interpreter can compute (soundness is what the
 * JIT relies on when it drops a check).
 */
#include "pre/analyze.h"

#define U32MAX 0xffffffffull

static aval top(void) {
  aval v = {.kind = AV_TOP, .umin = 0, .umax = UINT64_MAX};
  return v;
}

static aval scal(uint64_t lo, uint64_t hi) {
  aval v = {.kind = AV_SCALAR, .umin = lo, .umax = hi};
  return v;
}

static aval full(int is64) {
  return scal(0, is64 ? UINT64_MAX : U32MAX);
}

/* A pointer; offsets outside the limit become unbounded. */
static aval ptr(uint64_t kind, int64_t lo, int64_t hi) {
  aval v = {.kind = kind, .omin = lo, .omax = hi};
  if (lo < -AV_OFF_LIMIT || hi > AV_OFF_LIMIT || lo > hi) {
    v.omin = INT64_MIN;
    v.omax = INT64_MAX;
  }
  return v;
}

static int is_ptr(const aval *v) {
  return v->kind == AV_REGION || v->kind == AV_STACK;
}
static int bounded(const aval *v) {
  return v->omin != INT64_MIN;
}

/* The value as an unsigned range (whatever it is, it is some 64-bit value). */
static void range(const aval *v, uint64_t *lo, uint64_t *hi) {
  if (v->kind == AV_SCALAR) {
    *lo = v->umin;
    *hi = v->umax;
  } else {
    *lo = 0;
    *hi = UINT64_MAX;
  }
}

/* All bits below the highest set bit of x, and that bit. */
static uint64_t smear(uint64_t x) {
  for (int k = 1; k < 64; k <<= 1)
    x |= x >> k;
  return x;
}

static uint64_t min_u(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}
static uint64_t max_u(uint64_t a, uint64_t b) {
  return a > b ? a : b;
}

/* pointer +/- scalar */
static aval ptr_add(const aval *p, const aval *s, int sub) {
  if (p->kind == AV_ARG)
    return *p; /* provenance only */
  uint64_t lo, hi;
  range(s, &lo, &hi);
  if (!bounded(p))
    return ptr(p->kind, INT64_MIN, INT64_MAX);
  if (lo == hi) { /* a constant, possibly negative */
    int64_t d = (int64_t)lo;
    if (d < -AV_OFF_LIMIT || d > AV_OFF_LIMIT)
      return ptr(p->kind, INT64_MIN, INT64_MAX);
    return sub ? ptr(p->kind, p->omin - d, p->omax - d) : ptr(p->kind, p->omin + d, p->omax + d);
  }
  if (hi > (uint64_t)AV_OFF_LIMIT)
    return ptr(p->kind, INT64_MIN, INT64_MAX);
  if (sub)
    return ptr(p->kind, p->omin - (int64_t)hi, p->omax - (int64_t)lo);
  return ptr(p->kind, p->omin + (int64_t)lo, p->omax + (int64_t)hi);
}

static aval shift(uint8_t op, uint64_t alo, uint64_t ahi, uint64_t blo, uint64_t bhi,
                  unsigned bits) {
  uint64_t mx = bits == 64 ? UINT64_MAX : U32MAX;
  if (bhi >= bits) /* the count is masked: any shift may happen */
    return op == BPF_RSH ? scal(0, ahi) : scal(0, mx);
  if (op == BPF_LSH) {
    if (blo != bhi || ahi > (mx >> blo))
      return scal(0, mx);
    return scal(alo << blo, ahi << blo);
  }
  if (op == BPF_ARSH && ahi > (mx >> 1))
    return scal(0, mx);
  return scal(alo >> bhi, ahi >> blo);
}

/* A scalar operation on ranges with wrap-around detection. */
static aval scalar_op(const pq_bpf_insn *in, uint64_t alo, uint64_t ahi, uint64_t blo, uint64_t bhi,
                      unsigned bits) {
  uint64_t mx = bits == 64 ? UINT64_MAX : U32MAX, r;
  int is_signed = in->off == 1;
  switch (BPF_OP(in->code)) {
  case BPF_ADD:
    if (__builtin_add_overflow(ahi, bhi, &r) || r > mx)
      return scal(0, mx);
    return scal(alo + blo, r);
  case BPF_SUB:
    return alo >= bhi ? scal(alo - bhi, ahi - blo) : scal(0, mx);
  case BPF_MUL:
    if (__builtin_mul_overflow(ahi, bhi, &r) || r > mx)
      return scal(0, mx);
    return scal(alo * blo, r);
  case BPF_DIV:
    if (is_signed)
      return scal(0, mx);
    return blo == 0 ? scal(0, ahi) : scal(alo / bhi, ahi / blo);
  case BPF_MOD:
    if (is_signed)
      return scal(0, mx);
    return blo == 0 ? scal(0, ahi) : scal(0, min_u(ahi, bhi - 1));
  case BPF_OR:
    return scal(max_u(alo, blo), smear(max_u(ahi, bhi)));
  case BPF_AND:
    return scal(0, min_u(ahi, bhi));
  case BPF_XOR:
    return scal(0, smear(max_u(ahi, bhi)));
  case BPF_LSH:
  case BPF_RSH:
  case BPF_ARSH:
    return shift(BPF_OP(in->code), alo, ahi, blo, bhi, bits);
  case BPF_NEG:
    return alo == ahi ? scal((0 - alo) & mx, (0 - alo) & mx) : scal(0, mx);
  default:
    return scal(0, mx);
  }
}

/* END in either class: widths of 16/32 bits bound the result. */
static aval end_op(const pq_bpf_insn *in, const aval *d) {
  uint64_t lo, hi;
  range(d, &lo, &hi);
  int truncate = BPF_CLASS(in->code) == BPF_ALU && BPF_SRC(in->code) == BPF_TO_LE;
  uint64_t mx = in->imm == 16 ? 0xffff : in->imm == 32 ? U32MAX : UINT64_MAX;
  if (truncate && hi <= mx) /* a little-endian host: le16/le32/le64 only truncate */
    return *d;
  return scal(0, mx);
}

static aval movsx(const aval *s, int16_t bits, int is64) {
  uint64_t lo, hi;
  range(s, &lo, &hi);
  if (hi < (1ull << (bits - 1)))
    return scal(lo, hi); /* sign bit clear: a plain copy */
  return full(is64);
}

static aval alu64(const pq_bpf_insn *in, const aval *d, const aval *s) {
  uint8_t op = BPF_OP(in->code);
  if (op == BPF_MOV)
    return in->off ? movsx(s, in->off, 1) : *s;
  if (op == BPF_END)
    return end_op(in, d);
  if (op == BPF_ADD && (is_ptr(d) || d->kind == AV_ARG) && !is_ptr(s) && s->kind != AV_ARG)
    return ptr_add(d, s, 0);
  if (op == BPF_ADD && (is_ptr(s) || s->kind == AV_ARG) && !is_ptr(d) && d->kind != AV_ARG)
    return ptr_add(s, d, 0);
  if (op == BPF_SUB && (is_ptr(d) || d->kind == AV_ARG) && !is_ptr(s) && s->kind != AV_ARG)
    return ptr_add(d, s, 1);
  if ((op == BPF_ADD || op == BPF_SUB) &&
      (is_ptr(d) || is_ptr(s) || d->kind == AV_ARG || s->kind == AV_ARG))
    return top();
  uint64_t alo, ahi, blo, bhi;
  range(d, &alo, &ahi);
  range(s, &blo, &bhi);
  return scalar_op(in, alo, ahi, blo, bhi, 64);
}

/* The low 32 bits as a range. */
static void range32(const aval *v, uint64_t *lo, uint64_t *hi) {
  range(v, lo, hi);
  if (*hi > U32MAX) {
    *lo = 0;
    *hi = U32MAX;
  }
}

static aval alu32(const pq_bpf_insn *in, const aval *d, const aval *s) {
  uint8_t op = BPF_OP(in->code);
  if (op == BPF_END)
    return end_op(in, d);
  uint64_t alo, ahi, blo, bhi;
  range32(s, &blo, &bhi);
  if (op == BPF_MOV)
    return in->off ? movsx(s, in->off, 0) : scal(blo, bhi);
  range32(d, &alo, &ahi);
  return scalar_op(in, alo, ahi, blo, bhi, 32);
}

void pq_av_alu(astate *s, const pq_bpf_insn *in) {
  aval k;
  const aval *src = &k;
  int is64 = BPF_CLASS(in->code) == BPF_ALU64;
  if (BPF_SRC(in->code) == BPF_X) {
    src = &s->r[in->src];
  } else {
    uint64_t v = is64 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm;
    k = scal(v, v);
  }
  aval *d = &s->r[in->dst];
  *d = is64 ? alu64(in, d, src) : alu32(in, d, src);
}

void pq_av_load(astate *s, const pq_bpf_insn *in) {
  unsigned w = pq_bpf_size_bytes(in->code);
  if (BPF_MODE(in->code) == BPF_MEMSX || w == 8)
    s->r[in->dst] = top();
  else
    s->r[in->dst] = scal(0, w == 4 ? U32MAX : w == 2 ? 0xffff : 0xff);
}

void pq_av_lddw(astate *s, const pq_bpf_insn *in) {
  uint64_t v = pq_bpf_lddw_imm(in);
  if (in->src != PQ_BPF_PSEUDO_REGION)
    s->r[in->dst] = scal(v, v);
  else if (v <= (uint64_t)AV_OFF_LIMIT)
    s->r[in->dst] = ptr(AV_REGION, (int64_t)v, (int64_t)v);
  else
    s->r[in->dst] = ptr(AV_REGION, INT64_MIN, INT64_MAX);
}

void pq_av_atomic(astate *s, const pq_bpf_insn *in) {
  aval v = BPF_SIZE(in->code) == BPF_W ? scal(0, U32MAX) : top();
  if (in->imm == BPF_CMPXCHG)
    s->r[0] = v;
  else if (in->imm & BPF_FETCH)
    s->r[in->src] = v;
}

void pq_av_call(astate *s, const pq_bpf_insn *in) {
  s->r[0] = top();
  for (int r = 1; r <= 5; r++) /* helpers leave r1..r5 zero; callees anything */
    s->r[r] = pq_bpf_is_helper_call(in) ? scal(0, 0) : top();
}

/* a < b (strict) or a <= b: narrows both; 0 when impossible. */
static int rel_lt(aval *a, aval *b, int strict) {
  uint64_t d = strict ? 1 : 0;
  if (b->umax < d || a->umin > UINT64_MAX - d)
    return 0;
  a->umax = min_u(a->umax, b->umax - d);
  b->umin = max_u(b->umin, a->umin + d);
  return a->umin <= a->umax && b->umin <= b->umax;
}

static int rel_eq(aval *a, aval *b) {
  uint64_t lo = max_u(a->umin, b->umin), hi = min_u(a->umax, b->umax);
  if (lo > hi)
    return 0;
  a->umin = b->umin = lo;
  a->umax = b->umax = hi;
  return 1;
}

static int rel_ne(aval *a, aval *b) {
  if (a->umin == a->umax && b->umin == b->umax)
    return a->umin != b->umin;
  const aval *k = b->umin == b->umax ? b : a->umin == a->umax ? a : NULL;
  aval *v = k == b ? a : b;
  if (!k)
    return 1;
  if (v->umin == k->umin)
    v->umin++;
  else if (v->umax == k->umin)
    v->umax--;
  return v->umin <= v->umax;
}

int pq_av_branch(astate *s, const pq_bpf_insn *in, int taken) {
  int is32 = BPF_CLASS(in->code) == BPF_JMP32;
  uint8_t op = BPF_OP(in->code);
  aval kb, *a = &s->r[in->dst], *b = &kb;
  if (BPF_SRC(in->code) == BPF_X) {
    b = &s->r[in->src];
  } else {
    uint64_t v = is32 ? (uint32_t)in->imm : (uint64_t)(int64_t)in->imm;
    kb = scal(v, v);
  }
  if (a->kind != AV_SCALAR || b->kind != AV_SCALAR || a == b || op == BPF_JSET)
    return 1;
  uint64_t lim = is32 ? U32MAX : UINT64_MAX;
  if (a->umax > lim || b->umax > lim)
    return 1; /* the 32-bit compare sees other values than the register holds */
  int is_signed = op == BPF_JSGT || op == BPF_JSGE || op == BPF_JSLT || op == BPF_JSLE;
  if (is_signed && (a->umax > lim >> 1 || b->umax > lim >> 1))
    return 1; /* only non-negative values order alike signed and unsigned */
  switch (op) {
  case BPF_JEQ:
    return taken ? rel_eq(a, b) : rel_ne(a, b);
  case BPF_JNE:
    return taken ? rel_ne(a, b) : rel_eq(a, b);
  case BPF_JGT:
  case BPF_JSGT:
    return taken ? rel_lt(b, a, 1) : rel_lt(a, b, 0);
  case BPF_JGE:
  case BPF_JSGE:
    return taken ? rel_lt(b, a, 0) : rel_lt(a, b, 1);
  case BPF_JLT:
  case BPF_JSLT:
    return taken ? rel_lt(a, b, 1) : rel_lt(b, a, 0);
  default: /* JLE, JSLE */
    return taken ? rel_lt(a, b, 0) : rel_lt(b, a, 1);
  }
}

static int join_one(aval *a, const aval *b) {
  if (a->kind == AV_TOP)
    return 0;
  if (a->kind != b->kind) {
    *a = top();
    return 1;
  }
  aval old = *a;
  if (a->kind == AV_SCALAR) {
    a->umin = min_u(a->umin, b->umin);
    a->umax = max_u(a->umax, b->umax);
  } else if (a->kind != AV_ARG) {
    a->omin = a->omin < b->omin ? a->omin : b->omin;
    a->omax = a->omax > b->omax ? a->omax : b->omax;
  }
  return old.umin != a->umin || old.umax != a->umax;
}

int pq_av_join(astate *a, const astate *b) {
  int changed = 0;
  for (int r = 0; r < 11; r++)
    changed |= join_one(&a->r[r], &b->r[r]);
  return changed;
}

int pq_av_join_widen(astate *a, const astate *b) {
  int changed = 0;
  for (int r = 0; r < 11; r++) {
    aval *x = &a->r[r];
    const aval *y = &b->r[r];
    if (x->kind == AV_TOP)
      continue;
    if (x->kind != y->kind) { /* widening leaves a kind change alone */
      *x = top();
      changed = 1;
    } else if (x->kind == AV_SCALAR) {
      if (y->umin < x->umin) {
        x->umin = 0;
        changed = 1;
      }
      if (y->umax > x->umax) {
        x->umax = UINT64_MAX;
        changed = 1;
      }
    } else if (is_ptr(x) && (y->omin < x->omin || y->omax > x->omax)) {
      x->omin = INT64_MIN;
      x->omax = INT64_MAX;
      changed = 1;
    }
  }
  return changed;
}
