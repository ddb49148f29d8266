/*
 * JIT: helper inlining. Where the helper's inliner (bpf.h) gives a recipe
 * for what the JIT knows of r1 and r2 at a call, the call becomes: the
 * guard byte tested at run time, the object pointer from env.user (and the
 * handle check of r1 against an array in it), the value loaded into r0,
 * r1..r5 cleared where live. A failed check jumps to an out-of-line copy
 * of the ordinary call sequence, which rejoins the code after it: denial
 * and every fault behave (env.site, fault codes) exactly as without
 * inlining. Before a check only rdi (the scratch register) and rax (r0,
 * which a call overwrites) change, so the call sees the program's
 * arguments as they were.
 */
#if defined(__x86_64__)

#include "common/alloc.h"
#include "pre/jit_internal.h"

/* The slow path of an inlined call: the call at pc, entered through the
 * rel32s at from[], continuing at `resume`. */
typedef struct jit_inl {
  uint32_t pc, nfrom;
  size_t from[3], resume;
} jit_inl;

#define SCAN_MAX 64 /* instructions looked back for a register's definition */

/* How an instruction bears on argument register r (1..5): 1 with *v when
 * it sets a constant, -1 when it writes something else or ends the block,
 * 0 when it leaves r alone. */
static int reg_effect(const pq_bpf_insn *in, int r, uint64_t *v) {
  uint8_t cls = BPF_CLASS(in->code);
  switch (cls) {
  case BPF_ALU:
  case BPF_ALU64:
    if (in->dst != r)
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
    if (in->dst != r)
      return 0;
    if (in->src != 0)
      return -1;
    *v = pq_bpf_lddw_imm(in);
    return 1;
  case BPF_LDX:
    return in->dst == r ? -1 : 0;
  case BPF_STX: /* atomics with fetch write their source */
    return BPF_MODE(in->code) == BPF_ATOMIC && in->src == r ? -1 : 0;
  case BPF_JMP:
  case BPF_JMP32: /* calls clobber r1..r5; after an exit or a goto, pc is only reached by a jump */
    return pq_bpf_is_jump(in) && !pq_bpf_is_ja(in) ? 0 : -1;
  default:
    return 0;
  }
}

/* 1 with *v when register r is constant at slot pc: its last write before
 * pc in the same basic block (no jump target in between, pc included) sets
 * an immediate. */
static int reg_const(const jit_comp *c, uint32_t pc, int r, uint64_t *v) {
  const pq_bpf_prog *p = c->p;
  uint32_t start = p->funcs[pq_bpf_func_of(p, pc)].start;
  for (uint32_t k = pc, n = 0; k > start && n < SCAN_MAX; n++) {
    if (c->target[k])
      return 0;
    k--;
    if (k > start && p->insns[k - 1].code == BPF_LDDW)
      k--; /* k was an LDDW's second half */
    int e = reg_effect(&p->insns[k], r, v);
    if (e)
      return e > 0;
  }
  return 0;
}

static int recipe_ok(const pq_bpf_inline *r) {
  if (r->width != 1 && r->width != 2 && r->width != 4 && r->width != 8)
    return 0;
  return !r->elem_size ||
         (r->max_count && (uint64_t)r->elem_size * r->max_count < (UINT64_C(1) << 31));
}

/* r0 = the integer at [base + off]: movzx/movsx, mov or movsxd. */
static void emit_value_load(xbuf *b, const pq_bpf_inline *r, int base) {
  switch (r->width) {
  case 1:
    x_rm(b, r->sign ? XW : 0, r->sign ? 0x0fbe : 0x0fb6, RAX, base, r->off);
    break;
  case 2:
    x_rm(b, r->sign ? XW : 0, r->sign ? 0x0fbf : 0x0fb7, RAX, base, r->off);
    break;
  case 4:
    x_rm(b, r->sign ? XW : 0, r->sign ? 0x63 : 0x8b, RAX, base, r->off);
    break;
  default:
    x_rm(b, XW, 0x8b, RAX, base, r->off);
    break;
  }
}

/* The handle check with ptr in rdi: x = r1 - ptr - array_off must be
 * i * elem_size with i < count. With elem_size = d * 2^k (d odd) and x
 * below 2^31, ror32(x * d^-1 mod 2^32, k) is x / elem_size when elem_size
 * divides x and exceeds every count (> 2^32 / elem_size) otherwise: one
 * compare decides both. Fills from[] with the jumps to the call. */
static unsigned emit_handle_check(xbuf *b, const pq_bpf_inline *r, size_t *from) {
  uint32_t d = r->elem_size, k = (uint32_t)__builtin_ctz(d);
  d >>= k;
  uint32_t inv = d; /* Newton: each step doubles the correct low bits (3 at first) */
  for (int i = 0; i < 4; i++)
    inv *= 2 - d * inv;
  int h = pq_jit_reg[1];
  x_rr(b, XW, 0x89, h, RAX);     /* mov rax, r1 */
  x_rr(b, XW, 0x29, J_TMP, RAX); /* sub rax, rdi */
  if (r->array_off)
    x_alu_ri(b, XW, 5, RAX, r->array_off);
  x_alu_ri(b, XW, 7, RAX, (int32_t)(r->elem_size * r->max_count));
  from[0] = x_jcc(b, CC_AE);
  x_rr(b, 0, 0x69, RAX, RAX); /* imul eax, eax, inv */
  x_u32(b, inv);
  if (k) {
    x_rr(b, 0, 0xc1, 1, RAX); /* ror eax, k */
    x_byte(b, (uint8_t)k);
  }
  x_rm(b, 0, 0x3b, RAX, J_TMP, r->count_off); /* cmp eax, [rdi + count_off] */
  from[1] = x_jcc(b, CC_AE);
  return 2;
}

int pq_jit_inline_call(jit_comp *c, const pq_bpf_insn *in, uint32_t pc) {
  const pq_bpf_prog *p = c->p;
  uint32_t id = (uint32_t)in->imm;
  uint64_t args[2] = {0, 0};
  unsigned known = 0;
  pq_bpf_inline r = {0};
  pq_bpf_inliner_fn inl = p->helper_jit && id < p->helper_fn_len ? p->helper_jit[id].inliner : NULL;
  if (!inl)
    return 0;
  for (int k = 0; k < 2; k++)
    known |= (unsigned)reg_const(c, pc, k + 1, &args[k]) << k;
  if (!known || !inl(p->inline_user, args, known, &r) || !recipe_ok(&r))
    return 0;
  xbuf *b = &c->b;
  jit_inl s = {.pc = pc};
  if (r.guard) {
    x_mov_imm(b, J_TMP, (uint64_t)(uintptr_t)r.guard);
    x_rm(b, 0, 0xf6, 0, J_TMP, 0); /* test byte [rdi], mask */
    x_byte(b, r.guard_mask);
    s.from[s.nfrom++] = x_jcc(b, CC_NE);
  }
  x_rm(b, XW, 0x8b, J_TMP, J_CTX, CTX_OFF(env.user));
  x_rm(b, XW, 0x8b, J_TMP, J_TMP, r.user_off);
  if (r.elem_size)
    s.nfrom += emit_handle_check(b, &r, s.from + s.nfrom);
  emit_value_load(b, &r, r.elem_size ? pq_jit_reg[1] : J_TMP);
  unsigned live = pq_jit_live_after(c, pc);
  for (int k = 1; k <= 5; k++) /* as after the call */
    if (live & (1u << k))
      x_rr(b, 0, 0x31, pq_jit_reg[k], pq_jit_reg[k]);
  c->inlined++;
  if (!s.nfrom)
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
  s.resume = b->len;
  c->inl[c->ninl++] = s;
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
    for (uint32_t k = 0; k < s->nfrom; k++)
      x_patch_rel32(b, s->from[k], b->len);
    pq_jit_helper_call(c, &c->p->insns[s->pc], s->pc);
    x_patch_rel32(b, x_jmp(b), s->resume);
  }
}

#endif
