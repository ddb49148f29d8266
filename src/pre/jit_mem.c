/*
 * JIT: loads, stores and atomics. An access not through r10 (whose bounds the
 * verifier proved) is checked inline against the instance region with one
 * subtraction and one unsigned compare with a width-exact limit; on failure
 * an out-of-line stub tries the first lent region, then a C slow path that
 * knows every region and records the fault.
 */
#if defined(__x86_64__)

#include "pre/analyze.h"
#include "pre/jit_internal.h"

static unsigned log2w(unsigned w) {
  return w == 1 ? 0 : w == 2 ? 1 : w == 4 ? 2 : 3;
}

/* lea tmp, [base + off] */
static void emit_addr(xbuf *b, int base, int16_t off) {
  x_rm(b, XW, 0x8d, J_TMP, base, off);
}

/* The inline check: the region most likely to hold the address first (lent
 * memory for pointers that came in as arguments, the instance region
 * otherwise), the other ones in a stub. */
size_t pq_jit_check(jit_comp *c, const pq_bpf_insn *in, int bpf_base, int16_t off, unsigned lw,
                    int write, uint32_t pc) {
#ifdef PQ_BPF_BENCH_UNCHECKED
  if (c->unchecked)
    return SIZE_MAX; /* benchmark builds only: measures what the checks cost */
#endif
  if (bpf_base == 10 || (in->pad & PQ_INSN_SAFE) || pq_jit_hoisted(c, in, pc))
    return SIZE_MAX;
  xbuf *b = &c->b;
  int base = pq_jit_reg[bpf_base], lent_first = (in->pad & PQ_INSN_LENT_HINT) != 0;
  emit_addr(b, base, off);
  if (lent_first) {
    x_rm(b, XW, 0x2b, J_TMP, J_CTX, CTX_OFF(lent_base)); /* sub tmp, [lent_base] */
    int lim = write ? CTX_OFF(lent_wlim) : CTX_OFF(lent_rlim);
    x_rm(b, XW, 0x3b, J_TMP, J_CTX, lim + 8 * (int)lw);
  } else {
    x_rr(b, XW, 0x29, J_BASE, J_TMP);                            /* sub rdi, base */
    x_rm(b, XW, 0x3b, J_TMP, J_CTX, CTX_OFF(lim) + 8 * (int)lw); /* cmp tmp, [lim] */
  }
  jit_stub s = {.kind = STUB_BOUNDS,
                .base = (uint8_t)base,
                .lw = (uint8_t)lw,
                .write = (uint8_t)write,
                .lent_first = (uint8_t)lent_first,
                .off = off,
                .pc = pc};
  s.from = x_jcc(b, CC_AE);
  return pq_jit_add_stub(c, &s);
}

/* An access's own check, unless its group's hull check covers it. */
static size_t emit_check(jit_comp *c, const pq_bpf_insn *in, int bpf_base, unsigned lw, int write,
                         uint32_t pc) {
  if (!c->slow && c->grouped && c->grouped[pc])
    return SIZE_MAX;
  return pq_jit_check(c, in, bpf_base, in->off, lw, write, pc);
}

/* The access resumes here after a successful slow path. */
static void set_resume(jit_comp *c, size_t stub) {
  if (stub != SIZE_MAX && !c->oom)
    c->stubs[stub].resume = c->b.len;
}

static void emit_load(jit_comp *c, const pq_bpf_insn *in, uint32_t pc) {
  xbuf *b = &c->b;
  unsigned w = pq_bpf_size_bytes(in->code);
  int d = pq_jit_reg[in->dst], s = pq_jit_reg[in->src];
  set_resume(c, emit_check(c, in, in->src, log2w(w), 0, pc));
  int sx = BPF_MODE(in->code) == BPF_MEMSX;
  switch (w) {
  case 1:
    x_rm(b, sx ? XW : 0, sx ? 0x0fbe : 0x0fb6, d, s, in->off);
    break;
  case 2:
    x_rm(b, sx ? XW : 0, sx ? 0x0fbf : 0x0fb7, d, s, in->off);
    break;
  case 4:
    x_rm(b, sx ? XW : 0, sx ? 0x63 : 0x8b, d, s, in->off);
    break;
  default:
    x_rm(b, XW, 0x8b, d, s, in->off);
    break;
  }
}

static void emit_store(jit_comp *c, const pq_bpf_insn *in, uint32_t pc) {
  xbuf *b = &c->b;
  unsigned w = pq_bpf_size_bytes(in->code);
  int d = pq_jit_reg[in->dst];
  set_resume(c, emit_check(c, in, in->dst, log2w(w), 1, pc));
  if (BPF_CLASS(in->code) == BPF_ST) {
    switch (w) {
    case 1:
      x_rm(b, 0, 0xc6, 0, d, in->off);
      x_byte(b, (uint8_t)in->imm);
      break;
    case 2:
      x_rm(b, X66, 0xc7, 0, d, in->off);
      x_byte(b, (uint8_t)in->imm);
      x_byte(b, (uint8_t)((uint32_t)in->imm >> 8));
      break;
    default:
      x_rm(b, w == 8 ? XW : 0, 0xc7, 0, d, in->off);
      x_u32(b, (uint32_t)in->imm);
      break;
    }
    return;
  }
  int s = pq_jit_reg[in->src];
  switch (w) {
  case 1:
    x_rm(b, XBREG, 0x88, s, d, in->off);
    break;
  case 2:
    x_rm(b, X66, 0x89, s, d, in->off);
    break;
  default:
    x_rm(b, w == 8 ? XW : 0, 0x89, s, d, in->off);
    break;
  }
}

/* old = *tmp; do { new = old op src } while (!cmpxchg); src = old. */
static void emit_fetch_loop(xbuf *b, unsigned w, int s, uint32_t op_rr) {
  x_push(b, RAX);
  x_push(b, R10);
  x_push(b, R11);
  x_rr(b, w, 0x89, s, R10);        /* r10 = src (before rax changes) */
  x_rm(b, w, 0x8b, RAX, J_TMP, 0); /* rax = [tmp] */
  size_t retry = b->len;
  x_rr(b, w, 0x89, RAX, R11);  /* r11 = old */
  x_rr(b, w, op_rr, R10, R11); /* r11 op= src */
  x_rm(b, w | XLOCK, 0x0fb1, R11, J_TMP, 0);
  size_t j = x_jcc(b, CC_NE);
  x_patch_rel32(b, j, retry);
  x_rr(b, XW, 0x89, RAX, J_TMP); /* tmp = old (the address is no longer needed) */
  x_pop(b, R11);
  x_pop(b, R10);
  x_pop(b, RAX);
  x_rr(b, w, 0x89, J_TMP, s); /* src = old (32-bit zero-extends) */
}

static void emit_atomic(jit_comp *c, const pq_bpf_insn *in, uint32_t pc) {
  xbuf *b = &c->b;
  unsigned w = BPF_SIZE(in->code) == BPF_DW ? XW : 0;
  unsigned lw = w ? 3 : 2;
  int d = pq_jit_reg[in->dst], s = pq_jit_reg[in->src];
  set_resume(c, emit_check(c, in, in->dst, lw, 1, pc));
  emit_addr(b, d, in->off);
  x_rr(b, XBRM, 0xf6, 0, J_TMP); /* test dil, width - 1 */
  x_byte(b, (uint8_t)((1u << lw) - 1));
  jit_stub st = {.kind = STUB_ALIGN,
                 .base = (uint8_t)d,
                 .lw = (uint8_t)lw,
                 .write = 1,
                 .off = in->off,
                 .pc = pc};
  st.from = x_jcc(b, CC_NE);
  pq_jit_add_stub(c, &st);
  int op = in->imm & ~BPF_FETCH, fetch = in->imm & BPF_FETCH;
  uint32_t rr = op == BPF_ADD ? 0x01 : op == BPF_OR ? 0x09 : op == BPF_AND ? 0x21 : 0x31;
  if (in->imm == BPF_XCHG) {
    x_rm(b, w, 0x87, s, J_TMP, 0); /* xchg locks implicitly */
  } else if (in->imm == BPF_CMPXCHG) {
    x_rm(b, w | XLOCK, 0x0fb1, s, J_TMP, 0);
    if (!w)
      x_rr(b, 0, 0x89, RAX, RAX); /* r0 gets the zero-extended old value */
  } else if (!fetch) {
    x_rm(b, w | XLOCK, rr, s, J_TMP, 0);
  } else if (op == BPF_ADD) {
    x_rm(b, w | XLOCK, 0x0fc1, s, J_TMP, 0); /* xadd */
  } else {
    emit_fetch_loop(b, w, s, rr);
  }
}

void pq_jit_mem(jit_comp *c, const pq_bpf_insn *in, uint32_t pc) {
  switch (BPF_CLASS(in->code)) {
  case BPF_LDX:
    emit_load(c, in, pc);
    break;
  case BPF_ST:
    emit_store(c, in, pc);
    break;
  default:
    if (BPF_MODE(in->code) == BPF_ATOMIC)
      emit_atomic(c, in, pc);
    else
      emit_store(c, in, pc);
    break;
  }
}

/* Caller-saved registers the slow path preserves (the scratch one is not:
 * the access resumes from its base register). An even count keeps the stack
 * 16-byte aligned for the call. */
static const int saved_regs[] = {RAX, RSI, RDX, RCX, R8, R9, R10, R11};
#define NSAVED (sizeof(saved_regs) / sizeof(saved_regs[0]))

/* The C call of every bounds stub, once per program: called with the
 * address in the scratch register and the meta word pushed before the
 * return address; returns ZF set when the access may go on. The stack is
 * 16-byte aligned at a stub, so again after the push, the call and the 8
 * saves. */
static void bounds_tail(jit_comp *c) {
  xbuf *b = &c->b;
  x_pushes(b, saved_regs, NSAVED);
  x_rr(b, XW, 0x89, J_TMP, RSI);              /* the address */
  x_rm(b, XW, 0x8d, RDI, J_CTX, -J_CTX_BIAS); /* the context itself */
  x_rm(b, 0, 0x8b, RDX, RSP, 8 * NSAVED + 8); /* the meta word */
  x_call_abs(b, (uint64_t)(uintptr_t)pq_jit_mem_slow);
  x_rr(b, 0, 0x89, RAX, J_TMP);
  x_pops(b, saved_regs, NSAVED);
  x_rr(b, 0, 0x85, J_TMP, J_TMP);
  x_byte(b, 0xc3); /* ret keeps the flags */
}

static void stub_bounds(jit_comp *c, const jit_stub *s, size_t tail) {
  xbuf *b = &c->b;
  emit_addr(b, s->base, s->off);
  if (s->lent_first) { /* then the instance region, inline */
    x_rr(b, XW, 0x29, J_BASE, J_TMP);
    x_rm(b, XW, 0x3b, J_TMP, J_CTX, CTX_OFF(lim) + 8 * s->lw);
  } else { /* then the first lent region, inline */
    int lim = s->write ? CTX_OFF(lent_wlim) : CTX_OFF(lent_rlim);
    x_rm(b, XW, 0x2b, J_TMP, J_CTX, CTX_OFF(lent_base));
    x_rm(b, XW, 0x3b, J_TMP, J_CTX, lim + 8 * s->lw);
  }
  x_patch_rel32(b, x_jcc(b, CC_B), s->resume);
  /* everything else in C, through the shared tail */
  emit_addr(b, s->base, s->off); /* the base register is not written yet */
  x_byte(b, 0x68);               /* push imm32 (meta < 2^31) */
  x_u32(b, J_META(s->pc, s->lw, s->write));
  x_patch_rel32(b, x_call(b), tail);
  x_rm(b, XW, 0x8d, RSP, RSP, 8); /* drop the meta word; lea keeps the flags */
  x_patch_rel32(b, x_jcc(b, CC_E), s->resume);
  x_patch_rel32(b, x_jmp(b), c->fault_exit);
}

static void stub_align(jit_comp *c, const jit_stub *s) {
  xbuf *b = &c->b; /* the run stops here: registers need not survive */
  x_rm(b, XW, 0x8d, RSI, s->base, s->off);
  x_rm(b, XW, 0x8d, RDI, J_CTX, -J_CTX_BIAS); /* the context itself */
  x_mov_imm(b, RDX, J_META(s->pc, s->lw, 1));
  x_call_abs(b, (uint64_t)(uintptr_t)pq_jit_align_fault);
  x_patch_rel32(b, x_jmp(b), c->fault_exit);
}

static void stub_budget(jit_comp *c, const jit_stub *s) {
  xbuf *b = &c->b;
  x_rm(b, 0, 0xc7, 0, J_CTX, CTX_OFF(fault_insn));
  x_u32(b, s->pc);
  x_rm(b, 0, 0xc7, 0, J_CTX, CTX_OFF(status));
  x_u32(b, J_ST_BUDGET);
  x_patch_rel32(b, x_jmp(b), c->fault_exit);
}

void pq_jit_stubs(jit_comp *c) {
  size_t tail = SIZE_MAX; /* after code that never falls through */
  for (size_t i = 0; i < c->nstubs; i++) {
    const jit_stub *s = &c->stubs[i];
    if (s->kind == STUB_BOUNDS && tail == SIZE_MAX) {
      tail = c->b.len;
      bounds_tail(c);
    }
    x_patch_rel32(&c->b, s->from, c->b.len);
    if (s->kind == STUB_BOUNDS)
      stub_bounds(c, s, tail);
    else if (s->kind == STUB_ALIGN)
      stub_align(c, s);
    else
      stub_budget(c, s);
  }
}

int pq_jit_mem_slow(pq_jit_ctx *ctx, uint64_t addr, uint32_t meta) {
  unsigned w = 1u << ((meta >> 24) & 3);
  int write = (meta >> 28) & 1;
  if (pq_run_mem_ok(&ctx->env, addr, w, write ? PQ_BPF_REGION_WRITE : PQ_BPF_REGION_READ))
    return 0;
  pq_run_fault(ctx->run, PQUIC_ERR_FAULT, meta & 0xffffff, addr, w, write);
  ctx->status = J_ST_RECORDED;
  return 1;
}

void pq_jit_align_fault(pq_jit_ctx *ctx, uint64_t addr, uint32_t meta) {
  pq_run_fault(ctx->run, PQUIC_ERR_ALIGN, meta & 0xffffff, addr, 1u << ((meta >> 24) & 3), 1);
  ctx->status = J_ST_RECORDED;
}

#endif
