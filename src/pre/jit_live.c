/*
 * JIT: register liveness. A helper call clears only the argument registers
 * the program may still read and keeps BPF r9 (in a caller-saved register)
 * only when it is read later; peepholes may leave dead registers with other
 * values than the instructions they replace would. RFC-wise r1..r5 are
 * undefined after a call; this runtime defines them as zero (deterministic
 * across engines), and a register written before it is read on every path
 * cannot show the difference. Backward dataflow over each function's slots
 * to a fixpoint.
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

/* Live-in sets of one function's slots, to a fixpoint (sweeps backwards).
 * A called function's exit hands r0..r5 to its caller, and r9 when it does
 * not save it (BPF r9 lives in a register helper calls clobber: it must
 * survive them for the caller). */
static void solve(const pq_bpf_prog *p, const pq_bpf_func *f, int called, uint16_t *live) {
  const pq_bpf_insn *ins = p->insns;
  unsigned exit_use = 1u;
  if (called)
    exit_use |= ARGS | ((f->writes & 8) ? 0 : 1u << 9);
  for (int changed = 1; changed;) {
    changed = 0;
    for (uint32_t pc = f->end; pc-- > f->start;) {
      if (pc > f->start && ins[pc - 1].code == BPF_LDDW)
        continue; /* second half */
      const pq_bpf_insn *in = &ins[pc];
      unsigned use, def;
      use_def(in, exit_use, &use, &def);
      if (pq_bpf_is_helper_call(in)) /* only the arguments it reads */
        use &= pq_jit_helper_reads(p, (uint32_t)in->imm);
      uint16_t v = (uint16_t)(use | (pq_jit_live_after(p, live, pc) & ~def));
      if (v != live[pc]) {
        live[pc] = v;
        changed = 1;
      }
    }
  }
}

uint16_t pq_jit_live_after(const pq_bpf_prog *p, const uint16_t *live, uint32_t pc) {
  const pq_bpf_insn *in = &p->insns[pc];
  unsigned out = 0;
  if (pq_bpf_is_jump(in))
    out |= live[pq_bpf_jump_target(in, pc)];
  uint32_t next = pc + (in->code == BPF_LDDW ? 2 : 1);
  if (!pq_bpf_is_ja(in) && in->code != (BPF_JMP | BPF_EXIT) && next < p->ninsns)
    out |= live[next];
  return (uint16_t)out;
}

int pq_jit_live_init(jit_comp *c) {
  const pq_bpf_prog *p = c->p;
  c->live = pq_scratch_calloc(&c->tmp, p->ninsns, sizeof(uint16_t));
  uint8_t *called = pq_scratch_calloc(&c->tmp, p->nfuncs, 1);
  int rc = c->live && called ? 0 : PQUIC_ERR_NOMEM;
  for (uint32_t pc = 0; !rc && pc < p->ninsns; pc++) {
    const pq_bpf_insn *in = &p->insns[pc];
    if (pq_bpf_is_local_call(in))
      called[pq_bpf_func_of(p, (uint32_t)((int64_t)pc + 1 + in->imm))] = 1;
    if (in->code == BPF_LDDW)
      pc++;
  }
  for (uint32_t f = 0; !rc && f < p->nfuncs; f++)
    solve(p, &p->funcs[f], called[f], c->live);
  return rc;
}

#endif
