/*
 * JIT: loop versioning (see loops.h). A versioned loop has two versions: its
 * ordinary code, where every access is checked, and a fast copy without the
 * checks of its hoisted accesses. Entering the loop from outside goes through
 * a pad that proves, with the registers the loop starts with, that every
 * hoisted access of every iteration the loop can run lies in one region
 * allowing it; then the copy runs, else the ordinary code. Jumps inside the
 * copy stay in it; any edge leaving the loop lands in ordinary code, and a
 * later entry goes through the pad again. The copy charges the budget like
 * the ordinary code.
 *
 * The pad works with the scratch register and three context slots:
 *   1. links: registers that copy an induction variable must start equal to
 *      it (plus their constant);
 *   2. the iteration bound T (when some address moves): v0 and m below 2^62
 *      so that no arithmetic wraps, then for v < m with step 2^p,
 *      D = m - v0 and T = D <= 0 ? 0 : ((D - 1) >> p) + 1 (the iterations
 *      after the first that the exit test lets through); v > m mirrored,
 *      with m >= 2^p - 1 so that v cannot wrap below zero; v != m with
 *      steps of one: T = the distance from v0 to m. T must stay below 2^31;
 *   3. per class, the interval [A + lo - (step < 0 ? |step| T : 0), + |step|
 *      T + hi - lo), first against the region its accesses most likely use
 *      (two compares), then in C against all of them.
 */
#if defined(__x86_64__)

#include "pre/analyze.h"
#include "pre/jit_internal.h"

#define TMP_T CTX_OFF(tmp[0])
#define TMP_SPAN CTX_OFF(tmp[1])
#define TMP_LO CTX_OFF(tmp[2])
#define T_MAX 0x7fffffff

/* A goto the copy's fall-through exit may skip (jumping to its target):
 * one that charges no budget. */
static int bypassed(const jit_comp *c, uint32_t pc) {
  return pq_bpf_is_ja(&c->p->insns[pc]) && !(c->back[pc] & BACK_TAKEN);
}

/* A loop whose copy charges only its own back edges (and maybe one edge on
 * the way out) is simple: no call, no inner cycle. 1 when slot pc of loop l
 * makes it not so. */
static int not_simple(const jit_comp *c, uint32_t l, uint32_t pc) {
  const pq_loop *L = &c->loops.v[l];
  const pq_bpf_insn *in = &c->p->insns[pc];
  if (pq_bpf_is_local_call(in))
    return 1;
  uint32_t taken = pq_bpf_is_jump(in) ? (uint32_t)pq_bpf_jump_target(in, pc) : L->header;
  uint32_t next = pc + (in->code == BPF_LDDW ? 2 : 1);
  return ((c->back[pc] & BACK_TAKEN) && taken != L->header && pq_loops_in(&c->loops, l, taken)) ||
         ((c->back[pc] & BACK_FALL) && next != L->header && pq_loops_in(&c->loops, l, next));
}

int pq_jit_loops_init(jit_comp *c, pq_bpf_prog *p) {
  int rc = pq_loops_find(p, &c->cfg, &c->tmp, &c->loops);
  if (rc || !c->loops.n)
    return rc;
#ifdef PQ_BPF_BENCH_UNCHECKED
  if (c->unchecked) /* checks cost nothing here: pads only for the budget */
    for (uint32_t l = 0; l < c->loops.n; l++)
      c->loops.v[l].ncls = 0;
#endif
  c->pad_off = pq_scratch_calloc(&c->tmp, c->loops.n, sizeof(size_t));
  c->copy_off = pq_scratch_calloc(&c->tmp, c->p->ninsns, sizeof(uint32_t));
  /* a pad is emitted once per loop, so at most this many calls */
  c->caphull = (size_t)c->loops.n * PQ_LOOP_MAX_CLASSES;
  c->hull_at = pq_scratch_alloc(&c->tmp, c->caphull, sizeof(size_t));
  if (!c->pad_off || !c->copy_off || !c->hull_at)
    return PQUIC_ERR_NOMEM;
  for (uint32_t l = 0; l < c->loops.n; l++)
    c->pad_off[l] = SIZE_MAX;
  /* One pass over each loop's slots. The copy leaves a loop that falls
   * out of it by a jump to the next slot's ordinary code: that slot starts
   * code of its own (no access group or fused instruction may run across
   * it), unless the copy goes straight to where it jumps. A bounded simple
   * loop has its budget covered by its pad. */
  const pq_bpf_insn *ins = p->insns; /* locals: the byte stores below alias all */
  const uint32_t *of = c->loops.of;
  uint8_t *target = c->target;
  for (uint32_t l = 0; l < c->loops.n; l++) {
    int covered = c->loops.v[l].bounded;
    for (uint32_t pc = c->loops.v[l].lo, hi = c->loops.v[l].hi; pc < hi; pc++) {
      const pq_bpf_insn *in = &ins[pc];
      uint32_t next = pc + (in->code == BPF_LDDW ? 2 : 1);
      if (of[pc] && next < p->ninsns && of[next] != of[pc] && in->code != (BPF_JMP | BPF_EXIT) &&
          !pq_bpf_is_ja(in) && !bypassed(c, next))
        target[next] = 1;
      if (covered && of[pc] == l + 1 && not_simple(c, l, pc))
        covered = 0;
      pc = next - 1;
    }
    c->loops.v[l].budget_covered = (uint8_t)covered;
  }
  return 0;
}

void pq_jit_jump_fix(jit_comp *c, size_t at, uint32_t src, uint32_t target) {
  if (c->copy && pq_loops_in(&c->loops, c->copy - 1, target)) {
    pq_jit_add_fix(c, at, target, FIX_COPY);
    return;
  }
  uint32_t l = pq_jit_loop_at(c, target);
  if (l && !pq_loops_in(&c->loops, l - 1, src)) /* entering the loop */
    pq_jit_add_fix(c, at, l - 1, FIX_PAD);
  else
    pq_jit_add_fix(c, at, target, FIX_SLOT);
}

int pq_jit_hull_ok(pq_jit_ctx *ctx, uint64_t lo, uint64_t span, uint32_t access) {
  const pq_bpf_env *env = &ctx->env;
  if (pq_run_in(lo, span, env->inst->mem, env->inst->len))
    return 1;
  for (size_t i = 0; i < env->nlent; i++) {
    const pq_bpf_region *g = &env->lent[i];
    if ((g->flags & access) == access && pq_run_in(lo, span, g->base, g->len))
      return 1;
  }
  return 0;
}

/* ---- pad ---- */

typedef struct pad {
  size_t fail[64]; /* rel32s of jumps to the failure exit */
  size_t nfail;
} pad;

static void fail_if(jit_comp *c, pad *d, int cc) {
  size_t at = x_jcc(&c->b, cc);
  if (d->nfail < 64)
    d->fail[d->nfail++] = at;
  else
    c->oom = 1; /* never with PQ_LOOP_MAX_CLASSES classes */
}

static void add_imm(xbuf *b, int reg, int64_t v) {
  if (v)
    x_alu_ri(b, XW, 0, reg, (int32_t)v); /* forms keep constants within 2^30 */
}

/* tmp = hdr[a] + (hdr[b] << sh) + region base + d + extra */
static void emit_form(jit_comp *c, const pq_lform *v, int64_t extra) {
  xbuf *b = &c->b;
  if (v->b >= 0) {
    x_rr(b, XW, 0x89, pq_jit_reg[v->b], J_TMP);
    if (v->sh) {
      x_rr(b, XW, 0xc1, 4, J_TMP);
      x_byte(b, v->sh);
    }
    if (v->a >= 0)
      x_rr(b, XW, 0x01, pq_jit_reg[v->a], J_TMP);
  } else if (v->a >= 0) {
    x_rr(b, XW, 0x89, pq_jit_reg[v->a], J_TMP);
  } else {
    x_rr(b, 0, 0x31, J_TMP, J_TMP);
  }
  if (v->region)
    x_rr(b, XW, 0x01, J_BASE, J_TMP);
  add_imm(b, J_TMP, v->d + extra);
}

/* Fails unless tmp < 2^62 (tmp is destroyed). */
static void below_2_62(jit_comp *c, pad *d) {
  x_rr(&c->b, XW, 0xc1, 5, J_TMP); /* shr tmp, 62 */
  x_byte(&c->b, 62);
  fail_if(c, d, CC_NE);
}

/* T into the context (step 1 of the header comment). */
static void emit_bound(jit_comp *c, pad *d, const pq_loop *L) {
  xbuf *b = &c->b;
  pq_lform v = {L->iv, -1, 0, 0, 1, L->k};
  int64_t mag = L->step < 0 ? -L->step : L->step;
  if (L->rel == PQ_LOOP_NE) { /* T = m - v0 (step +1) or v0 - m (step -1) */
    emit_form(c, L->step > 0 ? &v : &L->limit, 0);
    x_rm(b, XW, 0x89, J_TMP, J_CTX, TMP_T);
    emit_form(c, L->step > 0 ? &L->limit : &v, 0);
    x_rm(b, XW, 0x2b, J_TMP, J_CTX, TMP_T);
  } else {
    emit_form(c, &L->limit, 0);
    x_rm(b, XW, 0x89, J_TMP, J_CTX, TMP_SPAN); /* m */
    below_2_62(c, d);
    emit_form(c, &v, 0);
    x_rm(b, XW, 0x89, J_TMP, J_CTX, TMP_T); /* v0 */
    below_2_62(c, d);
    x_rm(b, XW, 0x8b, J_TMP, J_CTX, TMP_SPAN);
    add_imm(b, J_TMP, L->adj);  /* m' = m + adj, in [-1, 2^62] */
    if (L->rel == PQ_LOOP_GT) { /* m' >= |step| - 1, then D = v0 - m' */
      x_alu_ri(b, XW, 7, J_TMP, (int32_t)(mag - 1));
      fail_if(c, d, CC_L);
      x_rr(b, XW, 0xf7, 3, J_TMP); /* neg */
      x_rm(b, XW, 0x03, J_TMP, J_CTX, TMP_T);
    } else { /* D = m' - v0 */
      x_rm(b, XW, 0x2b, J_TMP, J_CTX, TMP_T);
    }
    /* T = D <= 0 ? 0 : ((D - 1) >> p) + 1 */
    size_t pos = x_jcc(b, CC_G);
    x_rr(b, 0, 0x31, J_TMP, J_TMP);
    size_t done = x_jmp(b);
    x_patch_rel32(b, pos, b->len);
    add_imm(b, J_TMP, -1);
    if (mag > 1) {
      x_rr(b, XW, 0xc1, 5, J_TMP);
      x_byte(b, (uint8_t)__builtin_ctzll((unsigned long long)mag));
    }
    add_imm(b, J_TMP, 1);
    x_patch_rel32(b, done, b->len);
  }
  x_alu_ri(b, XW, 7, J_TMP, T_MAX);
  fail_if(c, d, CC_A);
  x_rm(b, XW, 0x89, J_TMP, J_CTX, TMP_T);
}

/* Registers the C fallback of a class check preserves (8: keeps alignment). */
static const int pad_saved[] = {RAX, RSI, RDX, RCX, R8, R9, R10, R11};

/* One class (step 3 of the header comment). */
static void emit_class(jit_comp *c, pad *d, const pq_loop_class *k) {
  xbuf *b = &c->b;
  int64_t width = (int64_t)k->hi - k->lo, mag = k->step < 0 ? -k->step : k->step;
  if (k->step) { /* span = |step| T + width */
    x_rm(b, XW, 0x8b, J_TMP, J_CTX, TMP_T);
    x_rr(b, XW, 0x69, J_TMP, J_TMP); /* imul tmp, tmp, |step| */
    x_u32(b, (uint32_t)mag);
    add_imm(b, J_TMP, width);
    x_rm(b, XW, 0x89, J_TMP, J_CTX, TMP_SPAN);
  }
  emit_form(c, &k->addr, k->lo);
  if (k->step < 0) {
    x_rm(b, XW, 0x2b, J_TMP, J_CTX, TMP_SPAN);
    add_imm(b, J_TMP, width);
  }
  x_rm(b, XW, 0x89, J_TMP, J_CTX, TMP_LO);
  /* inline: rel = lo - region base <= len, rel + span <= len */
  int lim;
  if (k->lent_first) {
    x_rm(b, XW, 0x2b, J_TMP, J_CTX, CTX_OFF(lent_base));
    lim = CTX_OFF(lent_plim) + 8 * k->access;
  } else {
    x_rr(b, XW, 0x29, J_BASE, J_TMP);
    lim = CTX_OFF(lim[0]);
  }
  x_rm(b, XW, 0x3b, J_TMP, J_CTX, lim);
  size_t slow = x_jcc(b, CC_A);
  if (k->step)
    x_rm(b, XW, 0x03, J_TMP, J_CTX, TMP_SPAN);
  else
    add_imm(b, J_TMP, width);
  x_rm(b, XW, 0x3b, J_TMP, J_CTX, lim);
  size_t ok = x_jcc(b, CC_BE);
  /* every region, in C (through the shared tail) */
  x_patch_rel32(b, slow, b->len);
  if (!k->step) {
    x_rm(b, XW, 0xc7, 0, J_CTX, TMP_SPAN); /* mov qword [span], width */
    x_u32(b, (uint32_t)width);
  }
  x_byte(b, 0x68); /* push imm32 */
  x_u32(b, k->access);
  size_t at = x_call(b);
  if (c->nhull < c->caphull)
    c->hull_at[c->nhull++] = at;
  else
    c->oom = 1;                   /* never: room for every class of every loop */
  x_rm(b, XW, 0x8d, RSP, RSP, 8); /* drop the access word; lea keeps the flags */
  fail_if(c, d, CC_E);
  x_patch_rel32(b, ok, b->len);
}

/* The C call of every pad's class checks, once per program (after code
 * that never falls through): [lo, lo + span) from the context, the access
 * pushed before the return address; returns ZF set when the hull is not
 * inside one region. The stack is 16-byte aligned in a pad, so again after
 * the push, the call and the 8 saves. */
void pq_jit_pad_tail(jit_comp *c) {
  if (!c->nhull)
    return;
  xbuf *b = &c->b;
  size_t tail = b->len;
  x_pushes(b, pad_saved, 8);
  x_rm(b, XW, 0x8d, RDI, J_CTX, -J_CTX_BIAS);
  x_rm(b, XW, 0x8b, RSI, J_CTX, TMP_LO);
  x_rm(b, XW, 0x8b, RDX, J_CTX, TMP_SPAN);
  x_rm(b, 0, 0x8b, RCX, RSP, 8 * 8 + 8);
  x_call_abs(b, (uint64_t)(uintptr_t)pq_jit_hull_ok);
  x_rr(b, 0, 0x89, RAX, J_TMP);
  x_pops(b, pad_saved, 8);
  x_rr(b, 0, 0x85, J_TMP, J_TMP);
  x_byte(b, 0xc3); /* ret keeps the flags */
  for (size_t i = 0; i < c->nhull; i++)
    x_patch_rel32(b, c->hull_at[i], tail);
}

void pq_jit_pad(jit_comp *c, uint32_t loop, int inline_pad) {
  xbuf *b = &c->b;
  const pq_loop *L = &c->loops.v[loop];
  pad d;
  d.nfail = 0;
  c->pad_off[loop] = b->len;
  for (uint32_t i = 0; i < L->nlink; i++) { /* r == q + delta */
    pq_lform q = {L->link[i].q, -1, 0, 0, 1, L->link[i].delta};
    emit_form(c, &q, 0);
    x_rr(b, XW, 0x39, pq_jit_reg[L->link[i].r], J_TMP);
    fail_if(c, &d, CC_NE);
  }
  int moving = 0;
  for (uint32_t i = 0; i < L->ncls; i++)
    moving |= L->cls[i].step != 0;
  if (moving || L->budget_covered)
    emit_bound(c, &d, L);
  if (L->budget_covered) {
    /* at most T + 1 iterations, each charging at most once (a latch is
     * charged before its test, also on the way out): the copy need not
     * test the budget when it holds more than T */
    x_rm(b, XW, 0x3b, J_BUDGET, J_CTX, TMP_T);
    fail_if(c, &d, CC_BE);
  }
  for (uint32_t i = 0; i < L->ncls; i++)
    emit_class(c, &d, &L->cls[i]);
  pq_jit_add_fix(c, x_jmp(b), L->header, FIX_COPY);
  for (size_t i = 0; i < d.nfail; i++)
    x_patch_rel32(b, d.fail[i], b->len);
  if (!inline_pad) /* else the header's ordinary code follows */
    pq_jit_add_fix(c, x_jmp(b), L->header, FIX_SLOT);
}

/* ---- fast copy ---- */

void pq_jit_copy(jit_comp *c, uint32_t loop) {
  const pq_loop *L = &c->loops.v[loop];
  const pq_bpf_func *f = &c->p->funcs[L->func];
  c->copy = loop + 1;
  c->group_floor = c->ngroups;
  for (uint32_t pc = L->lo; pc < L->hi; pc++)
    if (pq_loops_in(&c->loops, loop, pc))
      c->grouped[pc] = 0; /* groups form anew without the hoisted accesses */
  for (uint32_t pc = L->lo; pc < L->hi;) {
    if (!pq_loops_in(&c->loops, loop, pc)) {
      pc++;
      continue;
    }
    if (c->head[pc])
      x_align(&c->b, J_ALIGN);
    c->copy_off[pc] = (uint32_t)c->b.len;
    pq_jit_group_open(c, pc);
    uint32_t n = pq_jit_insn(c, f, pc);
    for (uint32_t k = 1; k < n; k++)
      c->copy_off[pc + k] = (uint32_t)c->b.len;
    for (uint32_t k = 0; k < n; k++)
      pq_jit_group_close(c, pc + k);
    uint32_t next = pc + n;
    /* leaving the loop by falling through: to the ordinary code (past a
     * goto there) */
    if (pq_jit_falls(c, pc, n) && (next >= f->end || !pq_loops_in(&c->loops, loop, next))) {
      if (next < f->end && bypassed(c, next))
        pq_jit_jump_fix(c, x_jmp(&c->b), next,
                        (uint32_t)pq_bpf_jump_target(&c->p->insns[next], next));
      else
        pq_jit_jump_fix(c, x_jmp(&c->b), next - 1, next);
    }
    pc = next;
  }
  c->copy = 0;
}

#endif
