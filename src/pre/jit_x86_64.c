/*
 * x86-64 JIT: the driver. One code buffer per program, independent of any
 * instance: the region base, limits and budget come from the run context at
 * run time, so one compiled program serves every connection. Layout: a
 * trampoline from C, the common fault exit, each function (prologue saving
 * the callee-saved registers it writes), then out-of-line stubs. Code is
 * written into a heap buffer, copied to an mmap'ed page range and made
 * read+execute (W^X).
 */
#include "pre/jit.h"

#if defined(__x86_64__)

#include <string.h>

#include "common/alloc.h"
#include "pre/analyze.h"
#include "pre/jit_arena.h"
#include "pre/jit_internal.h"

struct pq_jit {
  uint8_t *code;
  size_t size; /* mapped bytes */
  size_t len;  /* code bytes */
  uint32_t *func_off;
  uint32_t *insn_off; /* native offset of each slot (fault reports, debugging) */
  uint32_t inlined;   /* helper call sites emitted inline */
};

const uint8_t pq_jit_reg[11] = {RAX, RSI, RDX, RCX, R8, R9, RBX, R13, R14, R11, RBP};

/* BPF r6..r9, which a BPF function preserves for its caller. */
static const int callee_saved[4] = {RBX, R13, R14, R11};

int pq_jit_supported(void) {
  return 1;
}

size_t pq_jit_add_stub(jit_comp *c, const jit_stub *s) {
  if (c->nstubs == c->capstubs) {
    size_t cap = c->capstubs ? c->capstubs * 2 : 64;
    jit_stub *n = pq_realloc(c->stubs, cap * sizeof(*n));
    if (!n) {
      c->oom = 1;
      return SIZE_MAX;
    }
    c->stubs = n;
    c->capstubs = cap;
  }
  c->stubs[c->nstubs] = *s;
  return c->nstubs++;
}

void pq_jit_add_fix(jit_comp *c, size_t at, uint32_t target, int kind) {
  if (c->nfixes == c->capfixes) {
    size_t cap = c->capfixes ? c->capfixes * 2 : 64;
    jit_fix *n = pq_realloc(c->fixes, cap * sizeof(*n));
    if (!n) {
      c->oom = 1;
      return;
    }
    c->fixes = n;
    c->capfixes = cap;
  }
  c->fixes[c->nfixes++] = (jit_fix){at, target, (uint8_t)kind};
}

/* int tramp(pq_jit_ctx *ctx): loads the BPF registers, calls the entry
 * function, stores r0. The fault exit unwinds to the saved stack pointer. */
static void emit_trampoline(jit_comp *c) {
  xbuf *b = &c->b;
  static const int saved[] = {RBP, RBX, R12, R13, R14, R15};
  for (int i = 0; i < 6; i++)
    x_push(b, saved[i]);
  x_alu_ri(b, XW, 5, RSP, 8);                /* sub rsp, 8: 16-byte alignment */
  x_rm(b, XW, 0x8d, J_CTX, RDI, J_CTX_BIAS); /* lea r12, [ctx + bias] */
  x_rm(b, XW, 0x89, RSP, J_CTX, CTX_OFF(saved_rsp));
  for (int r = 1; r <= 5; r++)
    x_rm(b, XW, 0x8b, pq_jit_reg[r], J_CTX, CTX_OFF(args) + 8 * (r - 1));
  x_rr(b, 0, 0x31, RAX, RAX);
  for (int i = 0; i < 4; i++)
    x_rr(b, 0, 0x31, callee_saved[i], callee_saved[i]);
  x_rm(b, XW, 0x8b, RBP, J_CTX, CTX_OFF(fp));
  x_rm(b, XW, 0x8b, J_BUDGET, J_CTX, CTX_OFF(budget));
  x_rm(b, XW, 0x8b, J_BASE, J_CTX, CTX_OFF(base));
  x_rm(b, 0, 0xff, 2, J_CTX, CTX_OFF(target)); /* call [r12 + target] */
  x_rm(b, XW, 0x89, RAX, J_CTX, CTX_OFF(r0));
  x_rm(b, XW, 0x89, J_BUDGET, J_CTX, CTX_OFF(budget));
  x_rr(b, 0, 0x31, RAX, RAX);
  size_t out = b->len;
  x_alu_ri(b, XW, 0, RSP, 8);
  for (int i = 5; i >= 0; i--)
    x_pop(b, saved[i]);
  x_byte(b, 0xc3);
  c->helper_exit = b->len; /* a helper called pq_bpf_env_fault */
  x_rm(b, 0, 0xc7, 0, J_CTX, CTX_OFF(status));
  x_u32(b, J_ST_HELPER);
  c->fault_exit = b->len;
  x_rm(b, XW, 0x8b, RSP, J_CTX, CTX_OFF(saved_rsp));
  x_mov_imm(b, RAX, 1);
  x_patch_rel32(b, x_jmp(b), out);
}

static int nsaved(const pq_bpf_func *f) {
  return __builtin_popcount(f->writes);
}

static void emit_prologue(jit_comp *c, const pq_bpf_func *f) {
  for (int i = 0; i < 4; i++)
    if (f->writes & (1u << i))
      x_push(&c->b, callee_saved[i]);
  if (nsaved(f) % 2 == 0) /* entry rsp is 8 mod 16 */
    x_alu_ri(&c->b, XW, 5, RSP, 8);
}

static void emit_epilogue(jit_comp *c, const pq_bpf_func *f) {
  if (nsaved(f) % 2 == 0)
    x_alu_ri(&c->b, XW, 0, RSP, 8);
  for (int i = 3; i >= 0; i--)
    if (f->writes & (1u << i))
      x_pop(&c->b, callee_saved[i]);
  x_byte(&c->b, 0xc3);
}

/* sub r15, 1; jb budget stub. `to` is the slot the charged edge leads to
 * (UINT32_MAX: a call); the back edges of a loop copy whose pad saw budget
 * for all of them need no test. */
static void emit_charge(jit_comp *c, uint32_t pc, uint32_t to) {
  x_alu_ri(&c->b, XW, 5, J_BUDGET, 1);
  if (pq_jit_budget_covered(c, to))
    return;
  jit_stub s = {.kind = STUB_BUDGET, .pc = pc};
  s.from = x_jcc(&c->b, CC_B);
  pq_jit_add_stub(c, &s);
}

static int jcc_of(uint8_t op) {
  switch (op) {
  case BPF_JEQ:
    return CC_E;
  case BPF_JGT:
    return CC_A;
  case BPF_JGE:
    return CC_AE;
  case BPF_JSET:
  case BPF_JNE:
    return CC_NE;
  case BPF_JSGT:
    return CC_G;
  case BPF_JSGE:
    return CC_GE;
  case BPF_JLT:
    return CC_B;
  case BPF_JLE:
    return CC_BE;
  case BPF_JSLT:
    return CC_L;
  default:
    return CC_LE;
  }
}

/* Sets the flags for a conditional jump; returns its condition code. */
static int emit_compare(jit_comp *c, const pq_bpf_insn *in) {
  xbuf *b = &c->b;
  unsigned w = BPF_CLASS(in->code) == BPF_JMP ? XW : 0;
  int d = pq_jit_reg[in->dst];
  uint8_t op = BPF_OP(in->code);
  if (BPF_SRC(in->code) == BPF_X) {
    x_rr(b, w, op == BPF_JSET ? 0x85 : 0x39, pq_jit_reg[in->src], d);
  } else if (op == BPF_JSET) {
    x_rr(b, w, 0xf7, 0, d); /* test r/m, imm32 */
    x_u32(b, (uint32_t)in->imm);
  } else if (in->imm == 0) {
    x_rr(b, w, 0x85, d, d); /* test d, d: the flags of cmp d, 0 */
  } else {
    x_alu_ri(b, w, 7, d, in->imm); /* cmp */
  }
  return jcc_of(op);
}

static void emit_jump(jit_comp *c, const pq_bpf_insn *in, uint32_t pc) {
  xbuf *b = &c->b;
  uint32_t target = (uint32_t)pq_bpf_jump_target(in, pc);
  if (c->back[pc] & BACK_TAKEN)
    emit_charge(c, pc, target); /* closes a loop (charged on both ways: never more than the
                           interpreter, which charges the jump itself) */
  if (pq_bpf_is_ja(in)) {
    pq_jit_jump_fix(c, x_jmp(b), pc, target);
    return;
  }
  pq_jit_jump_fix(c, x_jcc(b, emit_compare(c, in)), pc, target);
}

/* 1 when slots pc..pc+n-1 are emitted together: in a loop's fast copy,
 * all of them belong to that loop. */
static int same_code(const jit_comp *c, uint32_t pc, uint32_t n) {
  for (uint32_t k = 1; c->copy && k < n; k++)
    if (!pq_loops_in(&c->loops, c->copy - 1, pc + k))
      return 0;
  return 1;
}

/* "if cond goto +1; goto T" (a loop latch as clang lays it out): one jump on
 * the opposite condition to T. x86 condition codes come in pairs differing
 * in their lowest bit. */
static int try_fuse_latch(jit_comp *c, const pq_bpf_func *f, uint32_t pc) {
  const pq_bpf_insn *a = &c->p->insns[pc];
  if (!pq_bpf_is_jump(a) || pq_bpf_is_ja(a) || pq_bpf_jump_target(a, pc) != (int64_t)pc + 2 ||
      pc + 1 >= f->end || c->target[pc + 1] || !pq_bpf_is_ja(a + 1))
    return 0; /* (in a loop's copy the goto may lie outside: it is a jump out) */
  uint32_t target = (uint32_t)pq_bpf_jump_target(a + 1, pc + 1);
  int b0 = c->back[pc] & BACK_TAKEN, b1 = c->back[pc + 1] & BACK_TAKEN;
  if (b0 || b1) /* one of the two edges closes a loop */
    emit_charge(c, pc + 1, b0 && b1 ? UINT32_MAX : b0 ? pc + 2 : target);
  pq_jit_jump_fix(c, x_jcc(&c->b, emit_compare(c, a) ^ 1), pc + 1, target);
  return 1;
}

/* A helper call. BPF r1..r5 already sit in the C argument registers after
 * the environment (rdi); the budget survives in a callee-saved register,
 * r9 in the context when it is live, the region base is reloaded; one
 * compare catches a helper fault; r1..r5 read as zero afterwards, so those
 * still live are cleared. */
void pq_jit_helper_call(jit_comp *c, const pq_bpf_insn *in, uint32_t pc) {
  xbuf *b = &c->b;
  uint32_t id = (uint32_t)in->imm;
  unsigned live = pq_jit_live_after(c, pc);
  int keep_r9 = (live >> 9) & 1;
  if (keep_r9)
    x_rm(b, XW, 0x89, pq_jit_reg[9], J_CTX, CTX_OFF(r9));
  x_rm(b, 0, 0xc7, 0, J_CTX, CTX_OFF(env.site));
  x_u32(b, PQ_RUN_SITE(pc, id));
  x_rm(b, XW, 0x8d, RDI, J_CTX, CTX_OFF(env));
  x_call_abs(b, (uint64_t)(uintptr_t)c->p->helper_fn[id]);
  x_rm(b, XW, 0x8b, J_BASE, J_CTX, CTX_OFF(base));
  if (keep_r9)
    x_rm(b, XW, 0x8b, pq_jit_reg[9], J_CTX, CTX_OFF(r9));
  x_rm(b, 0, 0x83, 7, J_CTX, CTX_OFF(env.faulted)); /* cmp dword, 0 */
  x_byte(b, 0);
  x_patch_rel32(b, x_jcc(b, CC_NE), c->helper_exit);
  for (int r = 1; r <= 5; r++)
    if (live & (1u << r))
      x_rr(b, 0, 0x31, pq_jit_reg[r], pq_jit_reg[r]);
}

/* Inline when the helper's inliner allows it (jit_inline.c), else a call. */
static void emit_helper(jit_comp *c, const pq_bpf_insn *in, uint32_t pc) {
  if (!pq_jit_inline_call(c, in, pc))
    pq_jit_helper_call(c, in, pc);
}

static void emit_call_local(jit_comp *c, const pq_bpf_insn *in, uint32_t pc) {
  xbuf *b = &c->b;
  emit_charge(c, pc, UINT32_MAX);
  x_alu_ri(b, XW, 5, RBP, (int32_t)PQ_BPF_STACK_FRAME);
  uint32_t target = (uint32_t)((int64_t)pc + 1 + in->imm);
  pq_jit_add_fix(c, x_call(b), pq_bpf_func_of(c->p, target), FIX_FUNC);
  x_alu_ri(b, XW, 0, RBP, (int32_t)PQ_BPF_STACK_FRAME);
}

static void emit_lddw(jit_comp *c, const pq_bpf_insn *in) {
  uint64_t v = pq_bpf_lddw_imm(in);
  int d = pq_jit_reg[in->dst];
  if (in->src != PQ_BPF_PSEUDO_REGION) {
    x_mov_imm(&c->b, d, v);
  } else if (v <= INT32_MAX) {
    x_rm(&c->b, XW, 0x8d, d, J_BASE, (int32_t)v); /* lea d, [base + v] */
  } else {
    x_mov_imm(&c->b, d, v);
    x_rr(&c->b, XW, 0x01, J_BASE, d);
  }
}

/* rX = rY followed by rX += K or rX += rZ; the region address of an LDDW
 * followed by rX += rZ: one lea. The follower must not be a jump target. */
static uint32_t try_fuse(jit_comp *c, const pq_bpf_func *f, uint32_t pc) {
  const pq_bpf_insn *a = &c->p->insns[pc];
  if (a->code == (BPF_ALU64 | BPF_MOV | BPF_X) && !a->off && pc + 1 < f->end &&
      !c->target[pc + 1] && same_code(c, pc, 2)) {
    const pq_bpf_insn *n = a + 1;
    int d = pq_jit_reg[a->dst], s = pq_jit_reg[a->src];
    if (n->dst != a->dst)
      return 0;
    if (n->code == (BPF_ALU64 | BPF_ADD | BPF_K)) {
      x_rm(&c->b, XW, 0x8d, d, s, n->imm);
      return 2;
    }
    if (n->code == (BPF_ALU64 | BPF_ADD | BPF_X) && n->src != a->dst) {
      x_lea_sib(&c->b, d, s, pq_jit_reg[n->src], 0);
      return 2;
    }
    return 0;
  }
  if (a->code == BPF_LDDW && a->src == PQ_BPF_PSEUDO_REGION && pq_bpf_lddw_imm(a) <= INT32_MAX &&
      pc + 2 < f->end && !c->target[pc + 2] && same_code(c, pc, 3)) {
    const pq_bpf_insn *n = a + 2;
    if (n->code == (BPF_ALU64 | BPF_ADD | BPF_X) && n->dst == a->dst && n->src != a->dst) {
      x_lea_sib(&c->b, pq_jit_reg[a->dst], J_BASE, pq_jit_reg[n->src], (int32_t)pq_bpf_lddw_imm(a));
      return 3;
    }
  }
  return 0;
}

static uint32_t emit_one(jit_comp *c, const pq_bpf_func *f, uint32_t pc);

/* Falling through into a loop head closes the loop too: charge here. */
uint32_t pq_jit_insn(jit_comp *c, const pq_bpf_func *f, uint32_t pc) {
  uint32_t n = emit_one(c, f, pc), last = pc + n - 1;
  uint8_t back = c->back[last]; /* most slots close no loop: decided here */
  if (!(back & BACK_FALL) && !(n == 2 && (c->back[pc] & BACK_FALL)))
    return n;
  /* A jump whose taken edge also closes a loop was charged once already:
   * one unit per instruction at most, as in the interpreter. */
  if (!(pq_bpf_is_jump(&c->p->insns[last]) && (back & BACK_TAKEN)))
    emit_charge(c, last, pc + n);
  return n;
}

static uint32_t emit_one(jit_comp *c, const pq_bpf_func *f, uint32_t pc) {
  const pq_bpf_insn *in = &c->p->insns[pc];
  uint32_t fused = pq_jit_peephole(c, f, pc, emit_compare);
  if (fused)
    return fused;
  fused = try_fuse(c, f, pc);
  if (fused)
    return fused;
  if (try_fuse_latch(c, f, pc))
    return 2;
  switch (BPF_CLASS(in->code)) {
  case BPF_ALU:
  case BPF_ALU64:
    pq_jit_alu(c, in);
    break;
  case BPF_JMP:
  case BPF_JMP32:
    if (in->code == (BPF_JMP | BPF_EXIT))
      emit_epilogue(c, f);
    else if (pq_bpf_is_helper_call(in))
      emit_helper(c, in, pc);
    else if (pq_bpf_is_local_call(in))
      emit_call_local(c, in, pc);
    else
      emit_jump(c, in, pc);
    break;
  case BPF_LD:
    emit_lddw(c, in);
    return 2;
  default:
    pq_jit_mem(c, in, pc);
    break;
  }
  return 1;
}

static void compile_func(jit_comp *c, uint32_t f) {
  const pq_bpf_func *fn = &c->p->funcs[f];
  c->func = f;
  x_align(&c->b, J_ALIGN); /* after a ret or jmp: never run */
  c->func_off[f] = (uint32_t)c->b.len;
  c->group_floor = c->ngroups;
  emit_prologue(c, fn);
  uint32_t prev = UINT32_MAX; /* the instruction that may fall into pc */
  int prev_falls = 1;
  for (uint32_t pc = fn->start; pc < fn->end;) {
    uint32_t l = pq_jit_loop_at(c, pc);
    /* A pad placed just before its header, unless the loop itself falls in. */
    if (l && !(prev != UINT32_MAX && prev_falls && pq_loops_in(&c->loops, l - 1, prev)))
      pq_jit_pad(c, l - 1, 1);
    /* Also when code falls in (clang's rotated loops are entered so): the
     * NOPs then run once per entry, never per iteration (a loop's top is
     * not reached by falling through from inside it). */
    if (c->head[pc])
      x_align(&c->b, J_ALIGN);
    c->insn_off[pc] = (uint32_t)c->b.len;
    pq_jit_group_open(c, pc);
    uint32_t n = pq_jit_insn(c, fn, pc);
    for (uint32_t k = 1; k < n; k++) /* never jump targets */
      c->insn_off[pc + k] = (uint32_t)c->b.len;
    for (uint32_t k = 0; k < n; k++)
      pq_jit_group_close(c, pc + k);
    prev = pc;
    prev_falls = pq_jit_falls(c, pc, n);
    pc += n;
  }
  for (uint32_t l = 0; l < c->loops.n; l++) {
    if (c->loops.v[l].func != f)
      continue;
    if (c->pad_off[l] == SIZE_MAX)
      pq_jit_pad(c, l, 0);
    pq_jit_copy(c, l);
  }
}

static void compile(jit_comp *c) {
  const pq_bpf_prog *p = c->p;
  emit_trampoline(c);
  for (uint32_t f = 0; f < p->nfuncs; f++)
    compile_func(c, f);
  pq_jit_slow_copies(c);
  pq_jit_stubs(c);
  pq_jit_pad_tail(c);
  pq_jit_inline_stubs(c);
  for (size_t i = 0; i < c->nfixes; i++) {
    const jit_fix *x = &c->fixes[i];
    size_t to = x->kind == FIX_FUNC   ? c->func_off[x->target]
                : x->kind == FIX_COPY ? c->copy_off[x->target]
                : x->kind == FIX_PAD  ? c->pad_off[x->target]
                                      : c->insn_off[x->target];
    x_patch_rel32(&c->b, x->at, to);
  }
}

/* Makes the code's pages read+execute: *pages, which it was written into
 * (the pages it does not need given back; *pages becomes NULL when j takes
 * them), or, when it outgrew them, a copy in pages of its own. */
static int map_code(pq_jit *j, const xbuf *b, uint8_t **pages, size_t *npages) {
  size_t size;
  uint8_t *m;
  if (b->fixed) {
    m = *pages;
    size = *npages = pq_jit_arena_trim(m, *npages, b->len);
  } else {
    m = pq_jit_arena_alloc(b->len, &size);
    if (!m)
      return PQUIC_ERR_NOMEM;
    memcpy(m, b->p, b->len);
  }
  if (pq_jit_arena_seal(m, size) != 0) {
    if (!b->fixed) /* else the caller gives *pages back */
      pq_jit_arena_free(m, size);
    return PQUIC_ERR_JIT;
  }
  if (b->fixed)
    *pages = NULL;
  j->code = m;
  j->size = size;
  j->len = b->len;
  return 0;
}

int pq_jit_compile(pq_bpf_prog *p, int unchecked, pq_jit **out) {
  *out = NULL;
  pq_jit *j = pq_calloc(1, sizeof(*j));
  jit_comp c;
  memset(&c, 0, sizeof(c));
  c.p = p;
  c.unchecked = unchecked;
  pq_scratch_init(&c.tmp);
  int rc = PQUIC_ERR_NOMEM;
  if (!j)
    return rc;
  j->func_off = c.func_off = pq_calloc(p->nfuncs, sizeof(uint32_t));
  j->insn_off = c.insn_off = pq_calloc(p->ninsns, sizeof(uint32_t));
  /* Most instructions take under 32 bytes: reserve once, in pages the
   * code can keep (read+write until sealed), so it is written in place. */
  size_t npages = 0;
  uint8_t *pages = pq_jit_arena_alloc((size_t)p->ninsns * 32 + 1024, &npages);
  c.b.p = pages;
  c.b.cap = pages ? npages : 0;
  c.b.fixed = pages != NULL;
  if (c.func_off && c.insn_off && c.b.p && pq_cfg_build(p, &c.tmp, &c.cfg) == 0 &&
      pq_bpf_analyze(p, &c.cfg, &c.tmp) == 0 && pq_jit_groups_init(&c) == 0 &&
      pq_jit_live_init(&c) == 0 && pq_jit_loops_init(&c, p) == 0) {
    compile(&c);
    if (!c.oom && !c.b.oom && c.b.len <= INT32_MAX)
      rc = map_code(j, &c.b, &pages, &npages);
    else if (!c.oom && !c.b.oom)
      rc = PQUIC_ERR_JIT; /* rel32 cannot span it */
  }
  pq_jit_arena_free(pages, npages); /* NULL once j has them */
  if (!c.b.fixed)
    pq_free(c.b.p);
  pq_free(c.stubs);
  pq_free(c.fixes);
  pq_free(c.groups);
  pq_free(c.inl);
  pq_scratch_free(&c.tmp); /* the passes' arrays, loops included */
  if (rc) {
    pq_jit_free(j);
    return rc;
  }
  j->inlined = c.inlined;
  *out = j;
  return 0;
}

void pq_jit_free(pq_jit *j) {
  if (!j)
    return;
  if (j->code)
    pq_jit_arena_free(j->code, j->size);
  pq_free(j->func_off);
  pq_free(j->insn_off);
  pq_free(j);
}

size_t pq_jit_code_size(const pq_jit *j) {
  return j ? j->len : 0;
}
size_t pq_jit_inlined(const pq_jit *j) {
  return j ? j->inlined : 0;
}
const uint8_t *pq_jit_code(const pq_jit *j) {
  return j ? j->code : NULL;
}
uint32_t pq_jit_func_offset(const pq_jit *j, uint32_t func) {
  return j ? j->func_off[func] : 0;
}
uint32_t pq_jit_insn_offset(const pq_jit *j, uint32_t pc) {
  return j ? j->insn_off[pc] : 0;
}

int pq_jit_run(const pq_bpf_prog *p, uint32_t func, pq_run *r) {
  /* Not cleared as a whole (it is ~340 bytes and every call pays): each
   * field the code reads is set here; tmp, r9 and saved_rsp are written
   * by the code before it reads them, r0 and status on the way out. */
  pq_jit_ctx ctx;
  ctx.base = (uint64_t)(uintptr_t)r->env.inst->mem;
  memcpy(ctx.lim, r->inst_lim, sizeof ctx.lim);
  /* The first lent region is checked inline: its limits for reads and
   * writes (0: not allowed), and its length per access mask for pads. */
  const pq_bpf_region none = {0};
  const pq_bpf_region *g = r->env.nlent ? &r->env.lent[0] : &none;
  uint64_t lim[4];
  pq_run_limits(lim, g->len);
  uint64_t rkeep = g->flags & PQ_BPF_REGION_READ ? ~(uint64_t)0 : 0;
  uint64_t wkeep = g->flags & PQ_BPF_REGION_WRITE ? ~(uint64_t)0 : 0;
  ctx.lent_base = (uint64_t)(uintptr_t)g->base;
  for (unsigned w = 0; w < 4; w++) {
    ctx.lent_rlim[w] = lim[w] & rkeep;
    ctx.lent_wlim[w] = lim[w] & wkeep;
  }
  ctx.lent_plim[0] = 0;
  ctx.lent_plim[1] = g->len & rkeep;
  ctx.lent_plim[2] = g->len & wkeep;
  ctx.lent_plim[3] = g->len & rkeep & wkeep;
  ctx.status = J_ST_OK;
  ctx.fault_insn = 0;
  ctx.r0 = 0;
  ctx.budget = r->budget;
  ctx.target = (uint64_t)(uintptr_t)(p->jit->code + p->jit->func_off[func]);
  memcpy(ctx.args, r->args, sizeof(ctx.args));
  ctx.fp = r->fp;
  ctx.run = r;
  ctx.env = r->env;
  int (*tramp)(pq_jit_ctx *);
  void *code = p->jit->code;
  memcpy(&tramp, &code, sizeof(tramp)); /* POSIX: data and code pointers convert */
  int st = tramp(&ctx);
  r->budget = ctx.budget;
  r->env.site = ctx.env.site;
  r->env.faulted = ctx.env.faulted;
  r->env.fault_addr = ctx.env.fault_addr;
  if (st == 0) {
    r->r0 = ctx.r0;
    return 0;
  }
  switch (ctx.status) {
  case J_ST_BUDGET:
    r->budget = 0;
    return pq_run_fault(r, PQUIC_ERR_BUDGET, ctx.fault_insn, 0, 0, 0);
  case J_ST_HELPER: {
    uint32_t site = r->env.site;
    int rc = pq_run_fault(r, PQUIC_ERR_HELPER, site & ((1u << PQ_RUN_SITE_SHIFT) - 1),
                          r->env.fault_addr, 0, 0);
    r->fault.helper = site >> PQ_RUN_SITE_SHIFT;
    return rc;
  }
  case J_ST_RECORDED:
    return r->fault.err;
  default:
    return PQUIC_ERR_INTERNAL;
  }
}

#else /* not x86-64: the interpreter only */

int pq_jit_supported(void) {
  return 0;
}

int pq_jit_compile(pq_bpf_prog *p, int unchecked, pq_jit **out) {
  (void)p, (void)unchecked;
  *out = NULL;
  return PQUIC_ERR_UNSUPPORTED;
}

void pq_jit_free(pq_jit *j) {
  (void)j;
}

int pq_jit_run(const pq_bpf_prog *p, uint32_t func, pq_run *r) {
  (void)p, (void)func, (void)r;
  return PQUIC_ERR_UNSUPPORTED;
}

size_t pq_jit_code_size(const pq_jit *j) {
  (void)j;
  return 0;
}

size_t pq_jit_inlined(const pq_jit *j) {
  (void)j;
  return 0;
}

const uint8_t *pq_jit_code(const pq_jit *j) {
  (void)j;
  return NULL;
}

uint32_t pq_jit_func_offset(const pq_jit *j, uint32_t func) {
  (void)j, (void)func;
  return 0;
}

uint32_t pq_jit_insn_offset(const pq_jit *j, uint32_t pc) {
  (void)j, (void)pc;
  return 0;
}

#endif
