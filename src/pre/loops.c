/*
 * Loops for the JIT's check hoisting (see loops.h): basic blocks, reverse
 * postorder, dominators (Cooper, Harvey and Kennedy's iterative algorithm),
 * natural loops from back edges, then per loop, innermost first, linear
 * forms over the header's register values to a fixpoint, induction
 * variables from the back edges, an exit test bounding the iterations, and
 * the accesses whose addresses move by a constant step.
 */
#include <string.h>

#include "pre/analyze.h"
#include "pre/loops.h"
#include "pre/scratch.h"

#define NONE UINT32_MAX
#define MAX_D ((int64_t)1 << 40)    /* constant parts stay far from overflow */
#define MAX_STEP ((int64_t)1 << 16) /* bytes an address may move per iteration */
#define MAX_SH 8                    /* scale of an index: up to 256 */
#define MAX_SPAN ((int64_t)1 << 16) /* width of one class's per-iteration hull */
#define MAX_LOOP_BLOCKS 4096        /* larger loops stay checked */

/* An access of the loop being analysed whose address moves by a constant
 * step; hoisted or not once the whole body is seen. */
typedef struct lacc {
  uint32_t pc;
  uint32_t hoist;
  int64_t step;
  pq_lform base;
} lacc;

/* Per function state. */
typedef struct lc {
  pq_bpf_prog *p;
  pq_loops *out;
  pq_scratch *tmp;
  uint32_t capv; /* loops out->v has room for */
  const pq_bpf_func *f;
  uint32_t fi;
  const pq_cfg *g;
  const pq_cfg_block *b; /* the function's blocks (g) */
  uint32_t nb;
  const uint32_t *rpo;   /* block -> position in reverse postorder, NONE if unreachable */
  const uint32_t *order; /* position -> block */
  uint32_t nreach;
  uint32_t *idom;
  uint32_t *pfirst, *pred; /* predecessors (reachable), CSR */
  uint32_t *stamp;         /* body membership of the loop being looked at */
  uint8_t *done;           /* block belongs to a versioned loop */
  uint32_t *hdr;           /* loop headers found */
  uint32_t *hsize;         /* their body sizes */
  uint32_t nhdr;
  pq_lform *st; /* nb x 11 entry states */
  uint8_t *seen;
  uint32_t *body; /* blocks of the loop being analysed, in reverse postorder */
  uint32_t nbody;
  lacc *acc; /* its hoistable accesses, noted by run_block (nacc) */
  uint32_t nacc;
  pq_lform *xf; /* per block: the forms its ending jump compares (2 each) */
} lc;

/* ---- linear forms ---- */

static pq_lform lf_unknown(void) {
  pq_lform v = {-1, -1, 0, 0, 0, 0};
  return v;
}

static pq_lform lf_const(int64_t d) {
  pq_lform v = {-1, -1, 0, 0, 1, d};
  if (d > MAX_D || d < -MAX_D)
    v.known = 0;
  return v;
}

static pq_lform lf_reg(int r) {
  pq_lform v = {(int8_t)r, -1, 0, 0, 1, 0};
  return v;
}

static int lf_eq(const pq_lform *x, const pq_lform *y) {
  if (!x->known || !y->known)
    return x->known == y->known;
  return x->a == y->a && x->b == y->b && x->sh == y->sh && x->region == y->region && x->d == y->d;
}

static pq_lform lf_add_d(pq_lform v, int64_t d) {
  if (!v.known || d > MAX_D || d < -MAX_D)
    return lf_unknown();
  v.d += d;
  if (v.d > MAX_D || v.d < -MAX_D)
    return lf_unknown();
  return v;
}

/* x + y when the result still has at most two register terms. */
static pq_lform lf_add(const pq_lform *x, const pq_lform *y) {
  if (!x->known || !y->known || x->region + y->region > 1)
    return lf_unknown();
  int reg[4], sh[4], n = 0;
  const pq_lform *v[2] = {x, y};
  for (int i = 0; i < 2; i++) {
    if (v[i]->a >= 0) {
      reg[n] = (uint8_t)v[i]->a; /* >= 0 here */
      sh[n++] = 0;
    }
    if (v[i]->b >= 0) {
      reg[n] = (uint8_t)v[i]->b;
      sh[n++] = v[i]->sh;
    }
  }
  if (n > 2)
    return lf_unknown();
  pq_lform r = lf_const(0);
  r.region = (uint8_t)(x->region + y->region);
  if (n == 2 && sh[0] != 0 && sh[1] != 0)
    return lf_unknown();
  for (int i = 0; i < n; i++) {
    /* the unshifted term goes to a (when both are, the second to b) */
    if (sh[i] == 0 && r.a < 0) {
      r.a = (int8_t)reg[i];
    } else {
      r.b = (int8_t)reg[i];
      r.sh = (uint8_t)sh[i];
    }
  }
  return lf_add_d(r, x->d + y->d);
}

static pq_lform lf_shl(pq_lform v, unsigned k) {
  if (!v.known || v.region || k > MAX_SH)
    return lf_unknown();
  if (v.a >= 0 && v.b >= 0)
    return lf_unknown();
  if (v.a >= 0) {
    v.b = v.a;
    v.a = -1;
    v.sh = 0;
  }
  if (v.b >= 0) {
    v.sh = (uint8_t)(v.sh + k);
    if (v.sh > MAX_SH)
      return lf_unknown();
  }
  int64_t d = v.d;
  if (d > (MAX_D >> k) || d < -(MAX_D >> k))
    return lf_unknown();
  v.d = (int64_t)((uint64_t)d << k);
  return v;
}

/* 64-bit arithmetic on forms; 32-bit operations only on constants. */
static void lf_alu(pq_lform *s, const pq_bpf_insn *in) {
  pq_lform *d = &s[in->dst];
  uint8_t op = BPF_OP(in->code);
  int x = BPF_SRC(in->code) == BPF_X;
  pq_lform src = x ? s[in->src] : lf_const((int64_t)in->imm);
  if (BPF_CLASS(in->code) == BPF_ALU) {
    if (op == BPF_MOV && !x && in->off == 0)
      *d = lf_const((int64_t)(uint32_t)in->imm);
    else
      *d = lf_unknown();
    return;
  }
  switch (op) {
  case BPF_MOV:
    *d = in->off == 0 ? src : lf_unknown();
    return;
  case BPF_ADD:
    *d = lf_add(d, &src);
    return;
  case BPF_SUB:
    if (src.known && src.a < 0 && src.b < 0 && !src.region)
      *d = lf_add_d(*d, -src.d);
    else
      *d = lf_unknown();
    return;
  case BPF_LSH:
    if (!x)
      *d = lf_shl(*d, (unsigned)in->imm & 63);
    else
      *d = lf_unknown();
    return;
  case BPF_MUL:
    if (!x && in->imm > 0 && (in->imm & (in->imm - 1)) == 0)
      *d = lf_shl(*d, (unsigned)__builtin_ctz((unsigned)in->imm));
    else
      *d = lf_unknown();
    return;
  case BPF_NEG:
    *d = d->known && d->a < 0 && d->b < 0 && !d->region ? lf_const(-d->d) : lf_unknown();
    return;
  default:
    *d = lf_unknown();
    return;
  }
}

static void lf_transfer(pq_lform *s, const pq_bpf_insn *in) {
  uint8_t cls = BPF_CLASS(in->code);
  if (cls == BPF_ALU || cls == BPF_ALU64) {
    lf_alu(s, in);
  } else if (cls == BPF_LDX) {
    s[in->dst] = lf_unknown();
  } else if (in->code == BPF_LDDW) {
    uint64_t v = pq_bpf_lddw_imm(in);
    s[in->dst] = lf_unknown();
    if (v <= (uint64_t)MAX_D) {
      s[in->dst] = lf_const((int64_t)v);
      s[in->dst].region = in->src == PQ_BPF_PSEUDO_REGION;
    }
  } else if (cls == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC) {
    if (in->imm == BPF_CMPXCHG)
      s[0] = lf_unknown();
    else if (in->imm & BPF_FETCH)
      s[in->src] = lf_unknown();
  } else if (in->code == (BPF_JMP | BPF_CALL)) {
    for (int r = 0; r <= 5; r++)
      s[r] = lf_unknown();
  }
}

/* ---- blocks, order, dominators ---- */

static int build_preds(lc *c) {
  uint32_t n = 0;
  for (uint32_t k = 0; k < c->nb; k++)
    if (c->rpo[k] != NONE)
      for (uint8_t j = 0; j < c->b[k].nsucc; j++)
        c->pfirst[c->b[k].succ[j] + 1]++, n++;
  for (uint32_t k = 0; k < c->nb; k++)
    c->pfirst[k + 1] += c->pfirst[k];
  c->pred = pq_scratch_calloc(c->tmp, n, sizeof(uint32_t));
  if (!c->pred)
    return PQUIC_ERR_NOMEM;
  uint32_t *fill = c->stamp; /* scratch: next free slot per block */
  for (uint32_t k = 0; k < c->nb; k++)
    fill[k] = c->pfirst[k];
  for (uint32_t k = 0; k < c->nb; k++)
    if (c->rpo[k] != NONE)
      for (uint8_t j = 0; j < c->b[k].nsucc; j++)
        c->pred[fill[c->b[k].succ[j]]++] = k;
  for (uint32_t k = 0; k < c->nb; k++)
    c->stamp[k] = 0;
  return 0;
}

static uint32_t intersect(const lc *c, uint32_t x, uint32_t y) {
  while (x != y) {
    while (c->rpo[x] > c->rpo[y])
      x = c->idom[x];
    while (c->rpo[y] > c->rpo[x])
      y = c->idom[y];
  }
  return x;
}

/* 1 when block x dominates block y (both reachable). */
static int dominates(const lc *c, uint32_t x, uint32_t y) {
  while (c->rpo[y] > c->rpo[x])
    y = c->idom[y];
  return x == y;
}

/* 1 when every edge to a block no later in reverse postorder goes to a
 * block that dominates its source (the graph is reducible). */
static int reducible(const lc *c) {
  for (uint32_t i = 0; i < c->nreach; i++) {
    uint32_t k = c->order[i];
    for (uint32_t j = c->pfirst[k]; j < c->pfirst[k + 1]; j++)
      if (c->rpo[c->pred[j]] >= i && !dominates(c, k, c->pred[j]))
        return 0;
  }
  return 1;
}

static void dominators(lc *c) {
  for (uint32_t k = 0; k < c->nb; k++)
    c->idom[k] = NONE;
  c->idom[c->order[0]] = c->order[0];
  for (int changed = 1, round = 0; changed; round++) {
    changed = 0;
    for (uint32_t i = 1; i < c->nreach; i++) {
      uint32_t k = c->order[i], nd = NONE;
      for (uint32_t j = c->pfirst[k]; j < c->pfirst[k + 1]; j++) {
        uint32_t q = c->pred[j];
        if (c->idom[q] == NONE)
          continue;
        nd = nd == NONE ? q : intersect(c, q, nd);
      }
      if (nd != c->idom[k]) {
        c->idom[k] = nd;
        changed = 1;
      }
    }
    /* The first round saw only the edges from earlier blocks. When every
     * other edge goes to a block that dominates its source, adding them
     * changes no dominator (a path through one contains a shorter path
     * without it): the confirming round is skipped. */
    if (round == 0 && changed && reducible(c))
      break;
  }
}

/* ---- one loop ---- */

/* What each register does from one iteration to the next. */
typedef struct ivinfo {
  uint8_t ok; /* an induction variable or invariant */
  int64_t step;
  int8_t link; /* equal to register `link` + delta at the header (checked at entry), or -1 */
  int64_t delta;
} ivinfo;

/* Joins s into block k's entry state; returns 1 when it changed. */
static int flow(lc *c, uint32_t k, const pq_lform *s) {
  pq_lform *in = &c->st[(size_t)k * 11];
  if (!c->seen[k]) {
    memcpy(in, s, 11 * sizeof(pq_lform));
    c->seen[k] = 1;
    return 1;
  }
  int changed = 0;
  for (int r = 0; r < 11; r++)
    if (!lf_eq(&in[r], &s[r]) && in[r].known) {
      in[r] = lf_unknown();
      changed = 1;
    }
  return changed;
}

static int hoistable(const pq_bpf_insn *in) {
  uint8_t cls = BPF_CLASS(in->code);
  if (cls != BPF_LDX && cls != BPF_ST && !(cls == BPF_STX && BPF_MODE(in->code) == BPF_MEM))
    return 0;
  unsigned base = cls == BPF_LDX ? in->src : in->dst;
  return base != 10 && !(in->pad & PQ_INSN_SAFE);
}

/* Runs block k from its entry state; s ends as the state at its last
 * instruction (jumps change no register). Notes the block's hoistable
 * accesses with their base's form (c->acc) and, when it ends with a jump,
 * the forms the jump compares (c->xf), for collect(). */
static void run_block(lc *c, uint32_t k, pq_lform *s) {
  memcpy(s, &c->st[(size_t)k * 11], 11 * sizeof(pq_lform));
  for (uint32_t pc = c->b[k].start; pc < c->b[k].end; pc++) {
    const pq_bpf_insn *in = &c->p->insns[pc];
    if (hoistable(in))
      c->acc[c->nacc++] = (lacc){pc, 0, 0, s[BPF_CLASS(in->code) == BPF_LDX ? in->src : in->dst]};
    lf_transfer(s, in);
    if (in->code == BPF_LDDW)
      pc++;
  }
  const pq_bpf_insn *j = &c->p->insns[c->b[k].end - 1];
  if (pq_bpf_is_jump(j)) {
    c->xf[2 * k] = s[j->dst];
    c->xf[2 * k + 1] = s[j->src & 0xf];
  }
}

/* Forms to a fixpoint over the body; `latch` gets the join of the states
 * on the back edges. Returns 0, or 1 when the forms did not settle. The
 * last round, which changed nothing, ran every block from its final entry
 * state: what it noted is what collect() needs. */
static int solve(lc *c, uint32_t h, pq_lform *latch) {
  for (uint32_t i = 0; i < c->nbody; i++)
    c->seen[c->body[i]] = 0;
  pq_lform s[11];
  for (int r = 0; r < 11; r++)
    s[r] = lf_reg(r);
  flow(c, h, s);
  int have_latch = 0;
  for (int round = 0; round < 24; round++) {
    int changed = 0, retreat = 0;
    c->nacc = 0;
    for (uint32_t i = 0; i < c->nbody; i++) {
      uint32_t k = c->body[i];
      if (!c->seen[k])
        continue;
      run_block(c, k, s);
      for (uint8_t j = 0; j < c->b[k].nsucc; j++) {
        uint32_t t = c->b[k].succ[j];
        if (t == h) {
          if (!have_latch) {
            memcpy(latch, s, sizeof(s));
            have_latch = 1;
          } else {
            for (int r = 0; r < 11; r++)
              if (!lf_eq(&latch[r], &s[r]))
                latch[r] = lf_unknown();
          }
        } else if (c->stamp[t] == c->stamp[h]) {
          changed |= flow(c, t, s);
          retreat |= c->rpo[t] <= c->rpo[k];
        }
      }
    }
    /* Without an inner cycle, the first round (in reverse postorder) saw
     * every block after all its predecessors: its states are final, and a
     * second round would change nothing. */
    if (!changed || (round == 0 && !retreat))
      return !have_latch;
  }
  return 1;
}

/* Induction variables, invariants and registers that copy one of them. */
static void classify(const pq_lform *latch, ivinfo *iv) {
  for (int r = 0; r < 11; r++) {
    const pq_lform *v = &latch[r];
    iv[r] = (ivinfo){0, 0, -1, 0};
    if (v->known && v->a == r && v->b < 0 && !v->region && v->d >= -MAX_STEP && v->d <= MAX_STEP)
      iv[r] = (ivinfo){1, v->d, -1, 0};
  }
  for (int r = 0; r < 11; r++) {
    const pq_lform *v = &latch[r];
    if (iv[r].ok || !v->known || v->a < 0 || v->a == r || v->b >= 0 || v->region)
      continue;
    const ivinfo *q = &iv[v->a];
    if (q->ok && q->link < 0 && v->d - q->step >= -MAX_D && v->d - q->step <= MAX_D)
      iv[r] = (ivinfo){1, q->step, v->a, v->d - q->step};
  }
}

/* The step of a form's value per iteration, or 0 with *ok clear. */
static int64_t form_step(const pq_lform *v, const ivinfo *iv, int *ok) {
  *ok = v->known && (v->a < 0 || iv[v->a].ok) && (v->b < 0 || iv[v->b].ok);
  if (!*ok)
    return 0;
  int64_t s =
      (v->a >= 0 ? iv[v->a].step : 0) + (v->b >= 0 ? iv[v->b].step * ((int64_t)1 << v->sh) : 0);
  if (s > MAX_STEP || s < -MAX_STEP)
    *ok = 0;
  return s;
}

/* "stay iff dst op src" on the taken edge, for the relation of v to m. */
static int relation(uint8_t op, int taken_stays, int v_is_dst, int *rel, int *adj) {
  enum { LT, LE, GT, GE, NE, EQ, BAD };
  int r;
  switch (op) {
  case BPF_JLT:
  case BPF_JSLT:
    r = LT;
    break;
  case BPF_JLE:
  case BPF_JSLE:
    r = LE;
    break;
  case BPF_JGT:
  case BPF_JSGT:
    r = GT;
    break;
  case BPF_JGE:
  case BPF_JSGE:
    r = GE;
    break;
  case BPF_JNE:
    r = NE;
    break;
  case BPF_JEQ:
    r = EQ;
    break;
  default:
    return 0;
  }
  static const int negate[] = {GE, GT, LE, LT, EQ, NE};
  static const int swap[] = {GT, GE, LT, LE, NE, EQ};
  if (!taken_stays)
    r = negate[r];
  if (!v_is_dst)
    r = swap[r];
  switch (r) {
  case LT:
  case LE:
    *rel = PQ_LOOP_LT;
    *adj = r == LE;
    return 1;
  case GT:
  case GE:
    *rel = PQ_LOOP_GT;
    *adj = r == GE ? -1 : 0;
    return 1;
  case NE:
    *rel = PQ_LOOP_NE;
    *adj = 0;
    return 1;
  default:
    return 0;
  }
}

/* An exit test at the conditional jump ending block k: the iterations are
 * bounded when every iteration that loops again passed it. */
static void exit_test(const lc *c, uint32_t k, const pq_lform *x, const ivinfo *iv,
                      const uint32_t *latches, uint32_t nlatch, uint32_t h, pq_loop *L) {
  const pq_cfg_block *bk = &c->b[k];
  if (L->bounded || bk->nsucc != 2)
    return;
  uint32_t last = bk->end - 1;
  const pq_bpf_insn *in = &c->p->insns[last];
  if (!pq_bpf_is_jump(in) || pq_bpf_is_ja(in) || BPF_CLASS(in->code) != BPF_JMP)
    return;
  int in0 = c->stamp[bk->succ[0]] == c->stamp[h], in1 = c->stamp[bk->succ[1]] == c->stamp[h];
  if (in0 == in1)
    return; /* not an exit */
  for (uint32_t i = 0; i < nlatch; i++)
    if (!dominates(c, k, latches[i]))
      return;
  pq_lform dv = x[0]; /* the forms run_block noted */
  pq_lform sv = BPF_SRC(in->code) == BPF_X ? x[1] : lf_const((int64_t)in->imm);
  for (int v_is_dst = 1; v_is_dst >= 0; v_is_dst--) {
    const pq_lform *v = v_is_dst ? &dv : &sv, *m = v_is_dst ? &sv : &dv;
    int ok_m, ok_v;
    int64_t sm = form_step(m, iv, &ok_m), sv_step = form_step(v, iv, &ok_v);
    if (!ok_m || sm != 0 || !ok_v || v->a < 0 || v->b >= 0 || v->region || sv_step == 0)
      continue;
    int rel, adj;
    if (!relation(BPF_OP(in->code), in0 /* succ[0] is the taken edge */, v_is_dst, &rel, &adj))
      continue;
    int64_t mag = sv_step < 0 ? -sv_step : sv_step;
    int pow2 = (mag & (mag - 1)) == 0;
    if ((rel == PQ_LOOP_LT && (sv_step < 0 || !pow2)) ||
        (rel == PQ_LOOP_GT && (sv_step > 0 || !pow2)) || (rel == PQ_LOOP_NE && mag != 1))
      continue;
    L->bounded = 1;
    L->rel = (uint8_t)rel;
    L->adj = (int8_t)adj;
    L->iv = v->a;
    L->k = v->d;
    L->step = sv_step;
    L->limit = *m;
    return;
  }
}

/* Adds an access to its class (a new one if needed); 0 when it cannot be
 * hoisted. */
static int add_access(pq_loop *L, const pq_lform *base, int64_t step, const pq_bpf_insn *in) {
  int64_t lo = base->d + in->off, hi = lo + (int64_t)pq_bpf_size_bytes(in->code);
  unsigned access = BPF_CLASS(in->code) == BPF_LDX ? PQ_BPF_REGION_READ : PQ_BPF_REGION_WRITE;
  pq_lform addr = *base;
  addr.d = 0;
  for (uint32_t i = 0; i < L->ncls; i++) {
    pq_loop_class *k = &L->cls[i];
    if (!lf_eq(&k->addr, &addr) || k->step != step)
      continue;
    int64_t nlo = lo < k->lo ? lo : k->lo, nhi = hi > k->hi ? hi : k->hi;
    if (nhi - nlo > MAX_SPAN)
      continue;
    k->lo = (int32_t)nlo;
    k->hi = (int32_t)nhi;
    k->access |= (uint8_t)access;
    return 1;
  }
  if (L->ncls == PQ_LOOP_MAX_CLASSES || lo < -MAX_SPAN * 16 || hi > MAX_SPAN * 16)
    return 0;
  L->cls[L->ncls++] = (pq_loop_class){addr,
                                      step,
                                      (int32_t)lo,
                                      (int32_t)hi,
                                      (uint8_t)access,
                                      (uint8_t)((in->pad & PQ_INSN_LENT_HINT) != 0)};
  return 1;
}

/* From what the last round of solve() noted: the exit tests, and the
 * accesses whose addresses move by a constant step; then, once it is known
 * whether the iterations are bounded, which are hoisted, in order. Returns
 * the number of accesses kept in c->acc; those hoisted have `hoist` set. */
static uint32_t collect(lc *c, uint32_t h, const ivinfo *iv, const uint32_t *latches,
                        uint32_t nlatch, pq_loop *L) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < c->nacc; i++) {
    lacc a = c->acc[i];
    int ok;
    a.step = form_step(&a.base, iv, &ok);
    if (ok)
      c->acc[n++] = a;
  }
  for (uint32_t i = 0; i < c->nbody; i++) {
    uint32_t k = c->body[i];
    if (c->seen[k])
      exit_test(c, k, &c->xf[2 * k], iv, latches, nlatch, h, L);
  }
  for (uint32_t i = 0; i < n; i++) {
    lacc *a = &c->acc[i];
    if ((a->step == 0 || L->bounded) && add_access(L, &a->base, a->step, &c->p->insns[a->pc]))
      a->hoist = 1;
  }
  return n;
}

/* The registers whose entry values the pad must compare (links used). */
static void note_links(const ivinfo *iv, pq_loop *L) {
  uint16_t used = 0;
  for (uint32_t i = 0; i < L->ncls; i++) {
    if (L->cls[i].addr.a >= 0)
      used |= (uint16_t)(1u << L->cls[i].addr.a);
    if (L->cls[i].addr.b >= 0)
      used |= (uint16_t)(1u << L->cls[i].addr.b);
  }
  if (L->bounded) {
    used |= (uint16_t)(1u << L->iv);
    if (L->limit.a >= 0)
      used |= (uint16_t)(1u << L->limit.a);
    if (L->limit.b >= 0)
      used |= (uint16_t)(1u << L->limit.b);
  }
  L->nlink = 0;
  for (int r = 0; r < 11; r++)
    if ((used >> r & 1) && iv[r].link >= 0)
      L->link[L->nlink++] = (pq_loop_link){(int8_t)r, iv[r].link, iv[r].delta};
}

/* Analyses the loop at header h (body stamped); appends it to the output
 * when some access can be hoisted. */
static int try_loop(lc *c, uint32_t h) {
  uint32_t latches[64], nlatch = 0;
  for (uint32_t j = c->pfirst[h]; j < c->pfirst[h + 1]; j++) {
    uint32_t q = c->pred[j];
    if (c->stamp[q] != c->stamp[h])
      continue;
    if (nlatch == 64)
      return 0;
    latches[nlatch++] = q;
  }
  pq_lform latch[11];
  if (!nlatch || solve(c, h, latch))
    return 0;
  ivinfo iv[11];
  classify(latch, iv);
  pq_loop L;
  memset(&L, 0, sizeof(L));
  L.func = c->fi;
  L.header = c->b[h].start;
  uint32_t nacc = collect(c, h, iv, latches, nlatch, &L);
  if (!L.ncls)
    return 0;
  note_links(iv, &L);
  pq_loops *o = c->out;
  if (o->n == c->capv) {
    uint32_t cap = c->capv ? 2 * c->capv : 8;
    pq_loop *v = pq_scratch_alloc(c->tmp, cap, sizeof(*v)); /* written whole when added */
    if (!v)
      return PQUIC_ERR_NOMEM;
    if (o->n)
      memcpy(v, o->v, o->n * sizeof(*v));
    o->v = v;
    c->capv = cap;
  }
  pq_loop *nl = &o->v[o->n++];
  *nl = L;
  nl->lo = UINT32_MAX;
  for (uint32_t i = 0; i < c->nbody; i++) {
    uint32_t k = c->body[i];
    c->done[k] = 1;
    for (uint32_t pc = c->b[k].start; pc < c->b[k].end; pc++)
      o->of[pc] = o->n;
    nl->lo = c->b[k].start < nl->lo ? c->b[k].start : nl->lo;
    nl->hi = c->b[k].end > nl->hi ? c->b[k].end : nl->hi;
  }
  for (uint32_t i = 0; i < nacc; i++)
    if (c->acc[i].hoist)
      c->p->insns[c->acc[i].pc].pad |= PQ_INSN_HOISTED;
  return 0;
}

/* Stamps the natural loop of header h; fills c->body (reverse postorder).
 * Returns its size, or 0 when h heads no loop. */
static uint32_t body_of(lc *c, uint32_t h, uint32_t stampv, uint32_t *stk) {
  size_t sp = 0;
  for (uint32_t j = c->pfirst[h]; j < c->pfirst[h + 1]; j++) {
    uint32_t q = c->pred[j];
    if (dominates(c, h, q))
      stk[sp++] = q;
  }
  if (!sp)
    return 0;
  c->stamp[h] = stampv;
  uint32_t last = c->rpo[h]; /* the body lies in [rpo[h], last]: h dominates it */
  while (sp) {
    uint32_t x = stk[--sp];
    if (c->stamp[x] == stampv)
      continue;
    c->stamp[x] = stampv;
    last = c->rpo[x] > last ? c->rpo[x] : last;
    for (uint32_t j = c->pfirst[x]; j < c->pfirst[x + 1]; j++)
      if (c->stamp[c->pred[j]] != stampv)
        stk[sp++] = c->pred[j];
  }
  c->nbody = 0;
  for (uint32_t i = c->rpo[h]; i <= last; i++)
    if (c->stamp[c->order[i]] == stampv)
      c->body[c->nbody++] = c->order[i];
  return c->nbody;
}

/* Does this function close a loop (an edge cfg.c's walk marked: without
 * one it has no cycle) and have an access needing a check? */
static int worth_it(const pq_bpf_prog *p, const pq_cfg *g, uint32_t f) {
  int back = 0;
  for (uint32_t k = g->first[f]; k < g->first[f + 1] && !back; k++)
    back = g->b[k].back != 0;
  for (uint32_t pc = p->funcs[f].start; back && pc < p->funcs[f].end; pc++) {
    const pq_bpf_insn *in = &p->insns[pc];
    if (hoistable(in))
      return 1;
    if (in->code == BPF_LDDW)
      pc++;
  }
  return 0;
}

static int do_func(lc *c) {
  uint32_t len = c->f->end - c->f->start;
  int rc = PQUIC_ERR_NOMEM;
  pq_scratch *t = c->tmp;
  c->b = &c->g->b[c->g->first[c->fi]];
  c->nb = c->g->first[c->fi + 1] - c->g->first[c->fi];
  uint32_t nb = c->nb;
  c->idom = pq_scratch_calloc(t, nb, sizeof(uint32_t));
  c->pfirst = pq_scratch_calloc(t, nb + 1, sizeof(uint32_t));
  c->stamp = pq_scratch_calloc(t, nb, sizeof(uint32_t));
  c->done = pq_scratch_calloc(t, nb, 1);
  c->hdr = pq_scratch_calloc(t, nb, sizeof(uint32_t));
  c->hsize = pq_scratch_calloc(t, nb, sizeof(uint32_t));
  c->body = pq_scratch_calloc(t, nb, sizeof(uint32_t));
  c->seen = pq_scratch_calloc(t, nb, 1);
  c->st = pq_scratch_alloc(t, (size_t)nb * 11, sizeof(pq_lform)); /* written by flow() first */
  uint32_t *stk = pq_scratch_calloc(t, nb + 1 + (size_t)len, sizeof(uint32_t));
  c->acc = pq_scratch_alloc(t, len, sizeof(lacc)); /* written before read */
  c->xf = pq_scratch_alloc(t, 2 * (size_t)nb, sizeof(pq_lform));
  uint8_t *closed = pq_scratch_calloc(t, nb, 1); /* some edge closes a loop there */
  if (!c->idom || !c->pfirst || !c->stamp || !c->done || !c->hdr || !c->hsize || !c->body ||
      !c->seen || !c->st || !stk || !c->acc || !c->xf || !closed)
    return rc;
  c->rpo = c->g->rpo + c->g->first[c->fi]; /* the walk cfg.c made */
  c->order = c->g->order + c->g->first[c->fi];
  c->nreach = c->g->nreach[c->fi];
  if (build_preds(c))
    return rc;
  dominators(c);
  /* headers and their loop sizes; then innermost (smallest) first. Only
   * the targets of loop-closing edges (cfg.h) can head one: an edge to a
   * dominator of its source closes a cycle. */
  for (uint32_t k = 0; k < nb; k++)
    for (uint8_t j = 0; j < c->b[k].nsucc; j++)
      if (c->b[k].back >> j & 1)
        closed[c->b[k].succ[j]] = 1;
  c->nhdr = 0;
  for (uint32_t i = 0; i < c->nreach; i++) {
    if (!closed[c->order[i]])
      continue;
    uint32_t h = c->order[i], n = body_of(c, h, i + 1, stk);
    if (n && n <= MAX_LOOP_BLOCKS) {
      c->hdr[c->nhdr] = h;
      c->hsize[c->nhdr++] = n;
    }
  }
  rc = 0;
  for (uint32_t done = 0; done < c->nhdr && !rc; done++) {
    uint32_t best = NONE;
    for (uint32_t j = 0; j < c->nhdr; j++)
      if (c->hsize[j] && (best == NONE || c->hsize[j] < c->hsize[best]))
        best = j;
    uint32_t h = c->hdr[best];
    c->hsize[best] = 0;
    body_of(c, h, c->nreach + 1 + done, stk);
    int clash = 0;
    for (uint32_t i = 0; i < c->nbody; i++)
      clash |= c->done[c->body[i]];
    if (!clash)
      rc = try_loop(c, h);
  }
  return rc;
}

int pq_loops_find(pq_bpf_prog *p, const pq_cfg *g, pq_scratch *tmp, pq_loops *out) {
  memset(out, 0, sizeof(*out));
  lc c;
  memset(&c, 0, sizeof(c));
  c.p = p;
  c.out = out;
  c.tmp = tmp;
  c.g = g;
  int rc = 0;
  for (uint32_t f = 0; f < p->nfuncs && !rc; f++) {
    if (!worth_it(p, g, f))
      continue;
    if (!out->of && !(out->of = pq_scratch_calloc(tmp, p->ninsns, sizeof(uint32_t)))) {
      rc = PQUIC_ERR_NOMEM;
      break;
    }
    c.f = &p->funcs[f];
    c.fi = f;
    rc = do_func(&c); /* its arrays stay until the JIT ends: all functions
                         together take space in proportion to the program */
  }
  if (rc) {
    for (uint32_t pc = 0; pc < p->ninsns; pc++)
      p->insns[pc].pad &= (uint8_t)~PQ_INSN_HOISTED;
    memset(out, 0, sizeof(*out));
  }
  return rc;
}
