/*
 * JIT: register liveness. A helper call clears only the argument registers
 * the program may still read and keeps BPF r9 (in a caller-saved register)
 * only when it is read later; peepholes may leave dead registers with other
 * values than the instructions they replace would. RFC-wise r1..r5 are
 * undefined after a call; this runtime defines them as zero (deterministic
 * across engines), and a register written before it is read on every path
 * cannot show the difference. Backward dataflow over each function's basic
 * blocks to a fixpoint.
 */
#if defined(__x86_64__)

#include "pre/jit_internal.h"

#define ARGS 0x3eu    /* r1..r5 */
#define CALLEE 0x3c0u /* r6..r9 */

/* Registers an instruction reads (use) and writes (def). `exit_use`: what
 * the function's exit reads (see solve). */
static void use_def(const pq_bpf_insn *in, unsigned exit_use, unsigned *use, unsigned *def) {
  uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
  unsigned d = 1u << in->dst, s = 1u << (in->src & 0xf);
  *use = *def = 0;
  switch (cls) {
  case BPF_ALU:
  case BPF_ALU64:
    *def = d;
    if (op == BPF_MOV)
      *use = BPF_SRC(in->code) == BPF_X ? s : 0;
    else
      *use = d | (BPF_SRC(in->code) == BPF_X && op != BPF_END && op != BPF_NEG ? s : 0);
    return;
  case BPF_LDX:
    *use = s;
    *def = d;
    return;
  case BPF_ST:
    *use = d;
    return;
  case BPF_STX:
    *use = d | s;
    if (BPF_MODE(in->code) == BPF_ATOMIC && in->imm == BPF_CMPXCHG) {
      *use |= 1u;
      *def = 1u;
    } else if (BPF_MODE(in->code) == BPF_ATOMIC && (in->imm & BPF_FETCH)) {
      *def = s;
    }
    return;
  case BPF_LD: /* LDDW */
    *def = d;
    return;
  default: /* jumps, calls, exit */
    if (op == BPF_EXIT) {
      *use = exit_use;
    } else if (pq_bpf_is_local_call(in)) {
      /* the callee starts with every register of its caller and returns
       * r0..r5 as it leaves them: it may read any, it surely writes none */
      *use = 1u | ARGS | CALLEE;
    } else if (op == BPF_CALL) {
      *use = ARGS;
      *def = 1u | ARGS;
    } else if (op != BPF_JA) {
      *use = d | (BPF_SRC(in->code) == BPF_X ? s : 0);
    }
    return;
  }
}

#define SECOND UINT32_MAX /* ud[] of an LDDW's second half */

/* Live-in sets of function f's slots, on its basic blocks (c->cfg): per
 * block, the registers it reads before writing them (gen) and those it
 * writes (kill); then the blocks' live-in sets to a fixpoint (sweeps
 * backwards); then each slot once from its block's live-out. The least
 * fixpoint, as iterating over slots would give, at a fraction of the work.
 * A called function's exit hands r0..r5 to its caller, and r9 when it does
 * not save it (BPF r9 lives in a register helper calls clobber: it must
 * survive them for the caller). `ud`, `in`: scratch per slot, per block. */
static void solve(jit_comp *c, uint32_t f, int called, uint32_t *ud, uint16_t *in) {
  const pq_bpf_prog *p = c->p;
  const pq_bpf_func *fn = &p->funcs[f];
  const pq_cfg_block *b = &c->cfg.b[c->cfg.first[f]];
  uint32_t nb = c->cfg.first[f + 1] - c->cfg.first[f];
  uint16_t *live = c->live, *gen = in + nb, *kill = gen + nb;
  unsigned exit_use = 1u;
  if (called)
    exit_use |= ARGS | ((fn->writes & 8) ? 0 : 1u << 9);
  for (uint32_t i = 0; i < nb; i++) {
    unsigned g = 0, k = 0;
    for (uint32_t pc = b[i].last + 1; pc-- > b[i].start;) {
      const pq_bpf_insn *ins = &p->insns[pc];
      if (pc > b[i].start && ins[-1].code == BPF_LDDW) {
        ud[pc] = SECOND;
        continue;
      }
      unsigned use, def;
      use_def(ins, exit_use, &use, &def);
      if (pq_bpf_is_helper_call(ins)) /* only the arguments it reads */
        use &= pq_jit_helper_reads(p, (uint32_t)ins->imm);
      ud[pc] = use | def << 16;
      g = use | (g & ~def);
      k |= def;
    }
    gen[i] = (uint16_t)g;
    kill[i] = (uint16_t)k;
    in[i] = 0;
  }
  for (int changed = 1; changed;) {
    changed = 0;
    for (uint32_t i = nb; i-- > 0;) {
      unsigned out = 0;
      for (uint8_t j = 0; j < b[i].nsucc; j++)
        out |= in[b[i].succ[j]];
      uint16_t v = (uint16_t)(gen[i] | (out & ~kill[i]));
      if (v != in[i]) {
        in[i] = v;
        changed = 1;
      }
    }
  }
  for (uint32_t i = 0; i < nb; i++) {
    unsigned v = 0;
    for (uint8_t j = 0; j < b[i].nsucc; j++)
      v |= in[b[i].succ[j]];
    if (b[i].end > b[i].last + 1)
      live[b[i].end - 1] = 0; /* an LDDW's second half ends the block */
    for (uint32_t pc = b[i].last + 1; pc-- > b[i].start;) {
      if (ud[pc] == SECOND) {
        live[pc] = 0;
        continue;
      }
      v = (ud[pc] & 0xffff) | (v & ~(ud[pc] >> 16));
      live[pc] = (uint16_t)v;
    }
  }
}

struct jit_live {
  uint8_t *called; /* per function: some local call targets it (once known) */
  int calls_known;
  uint8_t *done; /* per function: its sets are in c->live */
  uint32_t *ud;  /* per slot: scratch of solve() */
  uint16_t *blk; /* per block: scratch of solve() */
};

/* The functions some local call targets (their exits hand registers back). */
static void note_calls(const pq_bpf_prog *p, uint8_t *called) {
  for (uint32_t pc = 0; pc < p->ninsns; pc++) {
    const pq_bpf_insn *in = &p->insns[pc];
    if (pq_bpf_is_local_call(in))
      called[pq_bpf_func_of(p, (uint32_t)((int64_t)pc + 1 + in->imm))] = 1;
    if (in->code == BPF_LDDW)
      pc++;
  }
}

uint16_t pq_jit_live_after(jit_comp *c, uint32_t pc) {
  const pq_bpf_prog *p = c->p;
  uint32_t f = pq_bpf_func_of(p, pc); /* jumps, and falling through, stay in it */
  if (!c->lv->calls_known) {
    note_calls(p, c->lv->called);
    c->lv->calls_known = 1;
  }
  if (!c->lv->done[f]) {
    solve(c, f, c->lv->called[f], c->lv->ud, c->lv->blk);
    c->lv->done[f] = 1;
  }
  const uint16_t *live = c->live;
  const pq_bpf_insn *in = &p->insns[pc];
  unsigned out = 0;
  if (pq_bpf_is_jump(in))
    out |= live[pq_bpf_jump_target(in, pc)];
  uint32_t next = pc + (in->code == BPF_LDDW ? 2 : 1);
  if (!pq_bpf_is_ja(in) && in->code != (BPF_JMP | BPF_EXIT) && next < p->ninsns)
    out |= live[next];
  return (uint16_t)out;
}

#define PATH_BUDGET 64 /* instructions the path search below may look at */

/* Follows every path from slot q: 0 when one reads a register of `regs`
 * before writing it (live), 1 when every path writes them all first
 * (dead), -1 when that is not settled within the budget or a path reaches
 * a call or an exit (the whole function's sets then answer). Liveness
 * counts every path of the flow graph, as this does. */
static int dead_from(const pq_bpf_prog *p, uint32_t q, unsigned regs, int *budget) {
  for (;;) {
    if (--*budget < 0)
      return -1;
    const pq_bpf_insn *x = &p->insns[q];
    uint8_t cls = BPF_CLASS(x->code);
    int jump = (cls == BPF_JMP || cls == BPF_JMP32);
    if (jump && !pq_bpf_is_jump(x))
      return -1;
    unsigned use, def;
    use_def(x, 0, &use, &def);
    if (use & regs)
      return 0;
    regs &= ~def;
    if (!regs)
      return 1;
    if (jump) {
      uint32_t t = (uint32_t)pq_bpf_jump_target(x, q);
      if (pq_bpf_is_ja(x)) {
        q = t;
        continue;
      }
      int taken = dead_from(p, t, regs, budget);
      if (taken != 1)
        return taken;
    }
    q += x->code == BPF_LDDW ? 2 : 1;
  }
}

int pq_jit_dead_after(jit_comp *c, uint32_t pc, unsigned regs) {
  const pq_bpf_insn *in = &c->p->insns[pc];
  uint8_t cls = BPF_CLASS(in->code);
  int dead = -1, budget = PATH_BUDGET;
  /* the paths from a plain instruction start at the next one */
  if (regs && cls != BPF_JMP && cls != BPF_JMP32)
    dead = dead_from(c->p, pc + (in->code == BPF_LDDW ? 2 : 1), regs, &budget);
  return dead >= 0 ? dead : !(pq_jit_live_after(c, pc) & regs);
}

int pq_jit_live_init(jit_comp *c) {
  const pq_bpf_prog *p = c->p;
  c->lv = pq_scratch_alloc(&c->tmp, 1, sizeof(*c->lv));
  c->live = pq_scratch_calloc(&c->tmp, p->ninsns, sizeof(uint16_t));
  if (!c->lv || !c->live)
    return PQUIC_ERR_NOMEM;
  jit_live *lv = c->lv;
  lv->called = pq_scratch_calloc(&c->tmp, p->nfuncs, 1);
  lv->done = pq_scratch_calloc(&c->tmp, p->nfuncs, 1);
  lv->ud = pq_scratch_alloc(&c->tmp, p->ninsns, sizeof(uint32_t)); /* set before read */
  lv->blk = pq_scratch_alloc(&c->tmp, 3 * (size_t)c->cfg.first[p->nfuncs], sizeof(uint16_t));
  lv->calls_known = 0;
  if (!lv->called || !lv->done || !lv->ud || !lv->blk)
    return PQUIC_ERR_NOMEM;
  return 0;
}

#endif
