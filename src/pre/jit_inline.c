/*
 * JIT: helper inlining. Where r1 is a known constant at a helper call and
 * the helper's inliner (bpf.h) gives a recipe for it, the call becomes: the
 * guard byte tested at run time, the object pointer from env.user, the
 * value loaded into r0, r1..r5 cleared where live. A set guard bit jumps to
 * an out-of-line copy of the ordinary call sequence, which rejoins the code
 * after it: denial and every fault behave (env.site, fault codes) exactly
 * as without inlining. Only rdi (the scratch register, never a BPF
 * register) is touched before the guard, so the call sees the program's
 * registers as they were.
 */
#if defined(__x86_64__)

#include "common/alloc.h"
#include "pre/jit_internal.h"

/* The slow path of an inlined call: the call at pc, entered through the
 * rel32 at `from`, continuing at `resume`. */
typedef struct jit_inl {
  uint32_t pc;
  size_t from, resume;
} jit_inl;

#define SCAN_MAX 64 /* instructions looked back for r1's definition */

/* How the instruction at slot k bears on r1: 1 with *v when it sets a
 * constant, -1 when it writes something else or ends the block, 0 when it
 * leaves r1 alone. */
static int r1_effect(const pq_bpf_insn *in, uint64_t *v) {
  uint8_t cls = BPF_CLASS(in->code);
  switch (cls) {
  case BPF_ALU:
  case BPF_ALU64:
    if (in->dst != 1)
      return 0;
    if (in->code == (BPF_ALU64 | BPF_MOV | BPF_K)) {
      *v = (uint64_t)(int64_t)in->imm;
      return 1;
    }
    if (in->code == (BPF_ALU | BPF_MOV | BPF_K)) {
      *v = (uint32_t)in->imm;
      return 1;
    }
    return -1;
  case BPF_LD: /* LDDW; a region address is not a constant of the program */
    if (in->dst != 1)
      return 0;
    if (in->src != 0)
      return -1;
    *v = pq_bpf_lddw_imm(in);
    return 1;
  case BPF_LDX:
    return in->dst == 1 ? -1 : 0;
  case BPF_STX: /* atomics with fetch write their source */
    return BPF_MODE(in->code) == BPF_ATOMIC && in->src == 1 ? -1 : 0;
  case BPF_JMP:
  case BPF_JMP32: /* calls clobber r1; after an exit or a goto, pc is only reached by a jump */
    return pq_bpf_is_jump(in) && !pq_bpf_is_ja(in) ? 0 : -1;
  default:
    return 0;
  }
}

/* 1 with *v when r1 is constant at slot pc: its last write before pc in
 * the same basic block (no jump target in between, pc included) sets an
 * immediate. */
static int r1_const(const jit_comp *c, uint32_t pc, uint64_t *v) {
  const pq_bpf_prog *p = c->p;
  uint32_t start = p->funcs[pq_bpf_func_of(p, pc)].start;
  for (uint32_t k = pc, n = 0; k > start && n < SCAN_MAX; n++) {
    if (c->target[k])
      return 0;
    k--;
    if (k > start && p->insns[k - 1].code == BPF_LDDW)
      k--; /* k was an LDDW's second half */
    int e = r1_effect(&p->insns[k], v);
    if (e)
      return e > 0;
  }
  return 0;
}

static int recipe_ok(const pq_bpf_inline *r) {
  return r->width == 1 || r->width == 2 || r->width == 4 || r->width == 8;
}

/* r0 = the integer at [rdi + off]: movzx/movsx, mov or movsxd. */
static void emit_value_load(xbuf *b, const pq_bpf_inline *r) {
  switch (r->width) {
  case 1:
    x_rm(b, r->sign ? XW : 0, r->sign ? 0x0fbe : 0x0fb6, RAX, J_TMP, r->off);
    break;
  case 2:
    x_rm(b, r->sign ? XW : 0, r->sign ? 0x0fbf : 0x0fb7, RAX, J_TMP, r->off);
    break;
  case 4:
    x_rm(b, r->sign ? XW : 0, r->sign ? 0x63 : 0x8b, RAX, J_TMP, r->off);
    break;
  default:
    x_rm(b, XW, 0x8b, RAX, J_TMP, r->off);
    break;
  }
}

int pq_jit_inline_call(jit_comp *c, const pq_bpf_insn *in, uint32_t pc) {
  const pq_bpf_prog *p = c->p;
  uint32_t id = (uint32_t)in->imm;
  uint64_t r1;
  pq_bpf_inline r = {0};
  pq_bpf_inliner_fn inl = p->helper_jit && id < p->helper_fn_len ? p->helper_jit[id].inliner : NULL;
  if (!inl || !r1_const(c, pc, &r1) || !inl(p->inline_user, r1, &r) || !recipe_ok(&r))
    return 0;
  xbuf *b = &c->b;
  size_t from = SIZE_MAX;
  if (r.guard) {
    x_mov_imm(b, J_TMP, (uint64_t)(uintptr_t)r.guard);
    x_rm(b, 0, 0xf6, 0, J_TMP, 0); /* test byte [rdi], mask */
    x_byte(b, r.guard_mask);
    from = x_jcc(b, CC_NE);
  }
  x_rm(b, XW, 0x8b, J_TMP, J_CTX, CTX_OFF(env.user));
  x_rm(b, XW, 0x8b, J_TMP, J_TMP, r.user_off);
  emit_value_load(b, &r);
  unsigned live = pq_jit_live_after(p, c->live, pc);
  for (int k = 1; k <= 5; k++) /* as after the call */
    if (live & (1u << k))
      x_rr(b, 0, 0x31, pq_jit_reg[k], pq_jit_reg[k]);
  c->inlined++;
  if (from == SIZE_MAX)
    return 1;
  if (c->ninl == c->capinl) {
    size_t cap = c->capinl ? c->capinl * 2 : 16;
    jit_inl *n = pq_realloc(c->inl, cap * sizeof(*n));
    if (!n) {
      c->oom = 1;
      return 1;
    }
    c->inl = n;
    c->capinl = cap;
  }
  c->inl[c->ninl++] = (jit_inl){pc, from, b->len};
  return 1;
}

uint16_t pq_jit_helper_reads(const pq_bpf_prog *p, uint32_t id) {
  unsigned n = p->helper_jit && id < p->helper_fn_len ? p->helper_jit[id].nargs : 5;
  return (uint16_t)((1u << (n + 1)) - 2); /* r1..rn */
}

void pq_jit_inline_stubs(jit_comp *c) {
  xbuf *b = &c->b;
  for (size_t i = 0; i < c->ninl; i++) {
    const jit_inl *s = &c->inl[i];
    x_patch_rel32(b, s->from, b->len);
    pq_jit_helper_call(c, &c->p->insns[s->pc], s->pc);
    x_patch_rel32(b, x_jmp(b), s->resume);
  }
}

#endif
