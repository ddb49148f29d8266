/*
 * JIT peepholes over short runs of BPF instructions (never across a jump
 * target, never in the slow copies that report precise faults):
 *   - byte loads assembled with shifts and ors (what clang emits for an
 *     unaligned little- or big-endian field) become one 2-, 4- or 8-byte
 *     load (and a byte swap), when every load needs no check of its own (its
 *     group's hull check or the loop's pad covered it, or it was proven) and
 *     the temporaries are dead afterwards;
 *   - "rd = A; if cond goto +1; rd = B" becomes a conditional move;
 *   - an address built by a copy and an add (or a region address and an
 *     add) that only a load reading into the same register uses becomes that
 *     load's addressing mode, when the load needs no check.
 */
#if defined(__x86_64__)

#include "pre/analyze.h"
#include "pre/jit_internal.h"

#define WINDOW 16 /* instructions a combined load may span */

/* 1 when the access at pc needs no check of its own in the code being
 * emitted (a covering group check was emitted already). */
static int covered(const jit_comp *c, const pq_bpf_insn *in, uint32_t pc, int base) {
  if (c->slow)
    return 0;
#ifdef PQ_BPF_BENCH_UNCHECKED
  if (c->unchecked)
    return 1; /* the same code as checked builds, but for the checks */
#endif
  return base == 10 || (in->pad & PQ_INSN_SAFE) || pq_jit_hoisted(c, in, pc) ||
         (c->grouped && c->grouped[pc]);
}

/* 1 when pc + 1 .. pc + n - 1 can be emitted with pc (no jump lands inside;
 * in a loop copy, all in the loop). */
static int one_piece(const jit_comp *c, const pq_bpf_func *f, uint32_t pc, uint32_t n) {
  if (pc + n > f->end)
    return 0;
  for (uint32_t k = 1; k < n; k++)
    if (c->target[pc + k] || (c->copy && !pq_loops_in(&c->loops, c->copy - 1, pc + k)))
      return 0;
  return 1;
}

/* ---- byte loads ---- */

typedef struct lanes {
  int8_t off[8]; /* byte lane i holds the byte at base + off[i], or -128 (zero) */
  uint8_t tracked;
  /* the shape of off[] (shape()): lanes up to the top one, and whether they
   * hold consecutive bytes upwards (le) or downwards (be) */
  uint8_t k, le, be;
} lanes;

#define EMPTY (-128)

static int top_lane(const lanes *v) {
  int t = -1;
  for (int i = 0; i < 8; i++)
    if (v->off[i] != EMPTY)
      t = i;
  return t;
}

/* Recomputes v's shape after a change: only the register an instruction
 * writes changes, so complete() need not rescan every lane of every
 * register at each step. */
static void shape(lanes *v) {
  int k = top_lane(v) + 1, le = 1, big = 1;
  for (int i = 0; i < k; i++) {
    if (v->off[i] == EMPTY)
      le = big = 0;
    else {
      le &= v->off[i] == v->off[0] + i;
      big &= v->off[i] == v->off[0] - i;
    }
  }
  v->k = (uint8_t)k;
  v->le = (uint8_t)le;
  v->be = (uint8_t)big;
}

/* 1 when v's lanes form one whole 2-, 4- or 8-byte field. */
static int whole(const lanes *v) {
  return (v->k == 2 || v->k == 4 || v->k == 8) && (v->le || v->be);
}

/* The register holding all `loads` bytes as one little- or big-endian
 * field, or -1; `fields`: the registers whole() holds for. */
static int complete(const lanes *r, unsigned fields, int loads, int *width, int *be, int *off) {
  for (; fields; fields &= fields - 1) {
    int d = __builtin_ctz(fields);
    const lanes *v = &r[d];
    int k = v->k;
    if (!v->tracked || k != loads)
      continue;
    *width = k;
    *be = !v->le;
    *off = v->le ? v->off[0] : v->off[k - 1];
    return d;
  }
  return -1;
}

/* Can this instruction extend a run of byte loads (the kinds the loop in
 * pq_jit_peep_combine() follows)? */
static int continues(const pq_bpf_insn *in) {
  uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
  if (in->code == (BPF_LDX | BPF_MEM | BPF_B))
    return 1;
  if (cls != BPF_ALU && cls != BPF_ALU64)
    return 0;
  return (op == BPF_LSH && BPF_SRC(in->code) == BPF_K) ||
         ((op == BPF_OR || op == BPF_MOV) && BPF_SRC(in->code) == BPF_X);
}

int pq_jit_peep_combine(jit_comp *c, const pq_bpf_func *f, uint32_t pc) {
  const pq_bpf_insn *ins = c->p->insns, *first = &ins[pc];
  if (first->code != (BPF_LDX | BPF_MEM | BPF_B) || c->slow || !c->live)
    return 0;
  /* A lone byte load (the usual case) ends the run at once: no field. */
  if (pc + 1 >= f->end || !continues(&ins[pc + 1]))
    return 0;
  int base = first->src, base_ok = 1, loads = 0;
  lanes r[11];
  for (int i = 0; i < 11; i++)
    r[i].tracked = 0;
  uint16_t written = 0;
  unsigned fields = 0; /* registers holding a whole field (whole()) */
  int best_n = 0, best_reg = -1, best_w = 0, best_be = 0, best_off = 0;
  for (uint32_t k = 0; k < WINDOW && pc + k < f->end; k++) {
    uint32_t s = pc + k;
    const pq_bpf_insn *in = &ins[s];
    if ((k && c->target[s]) || (c->copy && !pq_loops_in(&c->loops, c->copy - 1, s)))
      break;
    lanes *d = &r[in->dst];
    uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
    int is32 = cls == BPF_ALU;
    if (in->code == (BPF_LDX | BPF_MEM | BPF_B)) {
      if (!base_ok || in->src != base || !covered(c, in, s, base) || in->off < -128 ||
          in->off > 127)
        break;
      for (int i = 0; i < 8; i++)
        d->off[i] = EMPTY;
      d->off[0] = (int8_t)in->off;
      d->tracked = 1;
      loads++;
      if (in->dst == base)
        base_ok = 0;
    } else if ((cls == BPF_ALU || cls == BPF_ALU64) && op == BPF_LSH &&
               BPF_SRC(in->code) == BPF_K && d->tracked && in->imm > 0 && in->imm % 8 == 0) {
      int by = in->imm / 8, t = top_lane(d);
      if (t + by >= (is32 ? 4 : 8))
        break; /* bytes would be shifted out */
      for (int i = 7; i >= 0; i--)
        d->off[i] = i >= by ? d->off[i - by] : EMPTY;
    } else if ((cls == BPF_ALU || cls == BPF_ALU64) && op == BPF_OR && BPF_SRC(in->code) == BPF_X &&
               d->tracked && r[in->src].tracked && in->src != in->dst) {
      const lanes *sv = &r[in->src];
      int clash = 0;
      for (int i = 0; i < 8; i++)
        clash |= d->off[i] != EMPTY && sv->off[i] != EMPTY;
      if (clash || (is32 && (top_lane(d) >= 4 || top_lane(sv) >= 4)))
        break;
      for (int i = 0; i < 8; i++)
        if (sv->off[i] != EMPTY)
          d->off[i] = sv->off[i];
    } else if ((cls == BPF_ALU || cls == BPF_ALU64) && op == BPF_MOV &&
               BPF_SRC(in->code) == BPF_X && !in->off && r[in->src].tracked &&
               !(is32 && top_lane(&r[in->src]) >= 4)) {
      *d = r[in->src];
    } else {
      break;
    }
    shape(d);
    if (whole(d))
      fields |= 1u << in->dst;
    else
      fields &= ~(1u << in->dst);
    if (in->dst == base)
      base_ok = 0;
    written |= (uint16_t)(1u << in->dst);
    int w, be, off, reg = complete(r, fields, loads, &w, &be, &off);
    if (reg >= 0) {
      best_n = (int)k + 1;
      best_reg = reg;
      best_w = w;
      best_be = be;
      best_off = off;
    }
  }
  if (best_n < 2)
    return 0;
  uint16_t dead = (uint16_t)(written & ~(1u << best_reg));
  uint32_t last = pc + (uint32_t)best_n - 1;
  if (!pq_jit_dead_after(c, last, dead))
    return 0; /* a temporary is read later */
  /* When a group's hull check covered the loads and fails, its slow copy
   * must run the whole run of instructions, not only the loads. */
  if (c->ngroups > c->group_floor && c->groups[c->ngroups - 1].last >= pc &&
      c->groups[c->ngroups - 1].last < last)
    c->groups[c->ngroups - 1].last = last;
  xbuf *b = &c->b;
  int d = pq_jit_reg[best_reg], s = pq_jit_reg[base];
  if (best_w == 2) {
    x_rm(b, 0, 0x0fb7, d, s, best_off); /* movzx r32, word */
    if (best_be) { /* bswap r32; shr r32, 16 (a 16-bit rotate merges into the old value) */
      x_prefix(b, 0, 0, d);
      x_byte(b, 0x0f);
      x_byte(b, (uint8_t)(0xc8 + (d & 7)));
      x_rr(b, 0, 0xc1, 5, d);
      x_byte(b, 16);
    }
  } else {
    unsigned wide = best_w == 8 ? XW : 0;
    x_rm(b, wide, 0x8b, d, s, best_off);
    if (best_be) {
      x_prefix(b, wide, 0, d);
      x_byte(b, 0x0f);
      x_byte(b, (uint8_t)(0xc8 + (d & 7))); /* bswap */
    }
  }
  return best_n;
}

/* ---- conditional moves ---- */

/* The 64-bit value a MOV with an immediate writes, or 0 with *ok clear. */
static uint64_t mov_imm_value(const pq_bpf_insn *in, int dst, int *ok) {
  *ok = (in->code == (BPF_ALU64 | BPF_MOV | BPF_K) || in->code == (BPF_ALU | BPF_MOV | BPF_K)) &&
        in->dst == dst && !in->off;
  return BPF_CLASS(in->code) == BPF_ALU64 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm;
}

int pq_jit_peep_select(jit_comp *c, const pq_bpf_func *f, uint32_t pc,
                       int (*compare)(jit_comp *, const pq_bpf_insn *)) {
  const pq_bpf_insn *a = &c->p->insns[pc], *j = a + 1;
  if (pc + 3 > f->end)
    return 0;
  int ok1, ok2; /* the instructions first: one_piece() looks further */
  uint64_t va = mov_imm_value(a, a->dst, &ok1), vb = mov_imm_value(j + 1, a->dst, &ok2);
  if (!ok1 || !ok2 || !pq_bpf_is_jump(j) || pq_bpf_is_ja(j) || j->off != 1 ||
      BPF_OP(j->code) == BPF_JSET || j->dst == a->dst ||
      (BPF_SRC(j->code) == BPF_X && j->src == a->dst))
    return 0;
  if (!one_piece(c, f, pc, 3) || c->back[pc] || c->back[pc + 1] || c->back[pc + 2])
    return 0;
  xbuf *b = &c->b;
  int d = pq_jit_reg[a->dst];
  int cc = compare(c, j); /* flags; movs leave them */
  x_mov_imm(b, d, vb);
  x_mov_imm(b, J_TMP, va);
  x_rr(b, XW, 0x0f40 | (uint32_t)cc, d, J_TMP); /* cmovcc d, tmp: taken keeps A */
  return 3;
}

/* ---- addressing modes ---- */

/* The load at pc reads into its own base register, needs no check, and no
 * register but that one changes in between: true for pc = at. */
static int folds_into(const jit_comp *c, uint32_t at, int reg) {
  const pq_bpf_insn *ld = &c->p->insns[at];
  return BPF_CLASS(ld->code) == BPF_LDX && ld->src == reg && ld->dst == reg &&
         !(c->grouped && c->grouped[at]) && covered(c, ld, at, reg);
}

static void emit_load_sib(jit_comp *c, const pq_bpf_insn *ld, int base, int index, int32_t disp) {
  xbuf *b = &c->b;
  int d = pq_jit_reg[ld->dst], sx = BPF_MODE(ld->code) == BPF_MEMSX;
  switch (pq_bpf_size_bytes(ld->code)) {
  case 1:
    x_sib(b, sx ? XW : 0, sx ? 0x0fbe : 0x0fb6, d, base, index, disp);
    break;
  case 2:
    x_sib(b, sx ? XW : 0, sx ? 0x0fbf : 0x0fb7, d, base, index, disp);
    break;
  case 4:
    x_sib(b, sx ? XW : 0, sx ? 0x63 : 0x8b, d, base, index, disp);
    break;
  default:
    x_sib(b, XW, 0x8b, d, base, index, disp);
    break;
  }
}

int pq_jit_peep_address(jit_comp *c, const pq_bpf_func *f, uint32_t pc) {
  const pq_bpf_insn *a = &c->p->insns[pc];
  int32_t disp;
  int base, index;
  uint32_t n;
  if (a->code == (BPF_ALU64 | BPF_MOV | BPF_X) && !a->off && a->src != a->dst) {
    const pq_bpf_insn *add = a + 1;
    n = 3;
    if (!one_piece(c, f, pc, n) || add->dst != a->dst)
      return 0;
    if (add->code == (BPF_ALU64 | BPF_ADD | BPF_X) && add->src != a->dst && add->src != 10) {
      base = pq_jit_reg[a->src];
      index = pq_jit_reg[add->src];
      disp = 0;
    } else if (add->code == (BPF_ALU64 | BPF_ADD | BPF_K)) {
      base = pq_jit_reg[a->src];
      index = -1;
      disp = add->imm;
    } else {
      return 0;
    }
  } else if (a->code == BPF_LDDW && a->src == PQ_BPF_PSEUDO_REGION &&
             pq_bpf_lddw_imm(a) <= INT32_MAX / 2) {
    const pq_bpf_insn *add = a + 2;
    n = 4;
    if (!one_piece(c, f, pc, n) || add->dst != a->dst ||
        add->code != (BPF_ALU64 | BPF_ADD | BPF_X) || add->src == a->dst || add->src == 10)
      return 0;
    base = J_BASE;
    index = pq_jit_reg[add->src];
    disp = (int32_t)pq_bpf_lddw_imm(a);
  } else {
    return 0;
  }
  const pq_bpf_insn *ld = &c->p->insns[pc + n - 1];
  if (!folds_into(c, pc + n - 1, a->dst) || (ld->off > 0 && disp > INT32_MAX - ld->off) ||
      (ld->off < 0 && disp < INT32_MIN - ld->off))
    return 0;
  emit_load_sib(c, ld, base, index, disp + ld->off);
  return (int)n;
}

#endif
