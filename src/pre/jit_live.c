/*
 * JIT: register liveness around calls, so that a helper call clears only
 * the argument registers the program may still read and keeps BPF r9 (in a
 * caller-saved register) only when it is read later. RFC-wise r1..r5 are
 * undefined after a call; this runtime defines them as zero (deterministic
 * across engines), and a register written before it is read on every path
 * cannot show the difference. Backward dataflow over each function's slots
 * to a fixpoint.
 */
#if defined(__x86_64__)

#include "common/alloc.h"
#include "pre/jit_internal.h"

#define ARGS 0x3eu    /* r1..r5 */
#define CALLEE 0x3c0u /* r6..r9 */

/* Registers an instruction reads (use) and writes (def). `called`: the
 * function returns to a caller, which sees r0..r5 as the callee left them. */
static void use_def(const pq_bpf_insn *in, int called, unsigned *use, unsigned *def) {
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
      *use = called ? 1u | ARGS : 1u;
    } else if (op == BPF_CALL) {
      *use = pq_bpf_is_local_call(in) ? ARGS | CALLEE : ARGS;
      *def = 1u | ARGS;
    } else if (op != BPF_JA) {
      *use = d | (BPF_SRC(in->code) == BPF_X ? s : 0);
    }
    return;
  }
}

/* Live-in sets of one function's slots, to a fixpoint (sweeps backwards). */
static void solve(jit_comp *c, const pq_bpf_func *f, int called, uint16_t *live) {
  const pq_bpf_insn *ins = c->p->insns;
  for (int changed = 1; changed;) {
    changed = 0;
    for (uint32_t pc = f->end; pc-- > f->start;) {
      const pq_bpf_insn *in = &ins[pc];
      if (pc > f->start && ins[pc - 1].code == BPF_LDDW)
        continue; /* second half */
      unsigned use, def, out = 0;
      use_def(in, called, &use, &def);
      if (pq_bpf_is_jump(in))
        out |= live[pq_bpf_jump_target(in, pc)];
      uint32_t next = pc + (in->code == BPF_LDDW ? 2 : 1);
      if (!pq_bpf_is_ja(in) && in->code != (BPF_JMP | BPF_EXIT) && next < f->end)
        out |= live[next];
      uint16_t v = (uint16_t)(use | (out & ~def));
      if (in->code == (BPF_JMP | BPF_CALL))
        c->call_live[pc] = (uint16_t)out;
      if (v != live[pc]) {
        live[pc] = v;
        changed = 1;
      }
    }
  }
}

int pq_jit_live_init(jit_comp *c) {
  const pq_bpf_prog *p = c->p;
  if (!p->nhelpers_used)
    return 0;
  c->call_live = pq_calloc(p->ninsns, sizeof(uint16_t));
  uint16_t *live = pq_calloc(p->ninsns, sizeof(uint16_t));
  uint8_t *called = pq_calloc(p->nfuncs, 1);
  int rc = c->call_live && live && called ? 0 : PQUIC_ERR_NOMEM;
  for (uint32_t pc = 0; !rc && pc < p->ninsns; pc++) {
    const pq_bpf_insn *in = &p->insns[pc];
    if (pq_bpf_is_local_call(in))
      called[pq_bpf_func_of(p, (uint32_t)((int64_t)pc + 1 + in->imm))] = 1;
    if (in->code == BPF_LDDW)
      pc++;
  }
  for (uint32_t f = 0; !rc && f < p->nfuncs; f++)
    solve(c, &p->funcs[f], called[f], live);
  pq_free(live);
  pq_free(called);
  return rc;
}

#endif
