/*
 * JIT: access groups. Accesses on one path (conditional jumps may leave it)
 * through the same, unchanged base register (a[i] and a[i + 1], a load and a store back to it) are
 * checked once, on their hull (at most 8 bytes), at the first of them. When
 * the hull check fails, execution continues in an out-of-line copy of the
 * same instructions that checks every access on its own, so a fault is still
 * reported at the exact instruction, after exactly the stores that came
 * before it, as in the interpreter.
 */
#if defined(__x86_64__)

#include "common/alloc.h"
#include "pre/analyze.h"
#include "pre/jit_internal.h"

#define MAX_SPAN 24 /* slots a group may span */
#define MAX_HULL 8  /* bytes its hull may cover */

int pq_jit_groups_init(jit_comp *c) {
  const pq_bpf_prog *p = c->p;
  const pq_cfg *g = &c->cfg;
  c->grouped = pq_scratch_calloc(&c->tmp, p->ninsns, 1);
  c->target = pq_scratch_calloc(&c->tmp, p->ninsns, 1);
  c->back = pq_scratch_calloc(&c->tmp, p->ninsns, 1);
  c->head = pq_scratch_calloc(&c->tmp, p->ninsns, 1);
  if (!c->grouped || !c->target || !c->back || !c->head)
    return PQUIC_ERR_NOMEM;
  /* locals: the byte stores below may alias anything */
  const pq_bpf_insn *ins = p->insns;
  const pq_cfg_block *blocks = g->b;
  uint8_t *target = c->target, *back = c->back, *head = c->head;
  for (uint32_t f = 0; f < p->nfuncs; f++) {
    const pq_cfg_block *fb = &blocks[g->first[f]];
    for (uint32_t b = g->first[f], end = g->first[f + 1]; b < end; b++) {
      const pq_cfg_block *x = &blocks[b];
      if (x->target)
        target[x->start] = 1;
      for (uint32_t k = 0; k < x->nsucc; k++) /* the edges that close a loop (cfg.h) */
        if (x->back & (1u << k))
          back[x->last] |= (uint8_t)(k == 0 && x->nsucc == 2       ? BACK_TAKEN
                                     : pq_bpf_is_ja(&ins[x->last]) ? BACK_TAKEN
                                                                   : BACK_FALL);
      /* The top of a loop's code is the target of a backward jump (a
       * loop's header when clang rotated it, else the first block laid
       * out: the header may sit mid-loop, reached by falling through). */
      if (pq_bpf_is_jump(&ins[x->last]) && fb[x->succ[0]].start <= x->last)
        head[fb[x->succ[0]].start] = 1;
    }
  }
  return 0;
}

/* The base register of a plain (non-atomic) access, or -1. */
static int access_base(const pq_bpf_insn *in) {
  uint8_t cls = BPF_CLASS(in->code);
  if (cls == BPF_LDX)
    return in->src;
  if (cls == BPF_ST || (cls == BPF_STX && BPF_MODE(in->code) == BPF_MEM))
    return in->dst;
  return -1;
}

/* The register an instruction writes, or -1; calls, jumps and atomics end
 * groups before this is asked. */
static int written(const pq_bpf_insn *in) {
  uint8_t cls = BPF_CLASS(in->code);
  if (cls == BPF_ALU || cls == BPF_ALU64 || cls == BPF_LDX || in->code == BPF_LDDW)
    return in->dst;
  return -1;
}

static int needs_check(const jit_comp *c, const pq_bpf_insn *in, int base, uint32_t pc) {
  return base >= 0 && base != 10 && !(in->pad & PQ_INSN_SAFE) && !pq_jit_hoisted(c, in, pc);
}

/* Calls, exits, unconditional jumps and atomics end a group. A conditional
 * jump does not: when it leaves, the hull covered accesses that did not
 * happen, which only matters if the hull check fails, and then the copy
 * (which has the same jump) runs. */
static int stops(const pq_bpf_insn *in) {
  uint8_t cls = BPF_CLASS(in->code);
  if (cls == BPF_JMP || cls == BPF_JMP32)
    return !pq_bpf_is_jump(in) || pq_bpf_is_ja(in);
  return cls == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC;
}

void pq_jit_group_try(jit_comp *c, uint32_t first) {
  const pq_bpf_prog *p = c->p;
  const pq_bpf_insn *in0 = &p->insns[first];
  int base = access_base(in0);
  /* Groups never overlap: a slow copy resumes after its group's last
   * member, which must not be inside another group (whose hull check would
   * then be skipped). */
  if (c->ngroups > c->group_floor && c->groups[c->ngroups - 1].last >= first)
    return;
  if (c->grouped[first] || !needs_check(c, in0, base, first))
    return;
  int32_t lo = in0->off, hi = in0->off + (int32_t)pq_bpf_size_bytes(in0->code);
  int write = BPF_CLASS(in0->code) != BPF_LDX, members = 1;
  uint32_t last = first, end = c->p->funcs[c->func].end;
  if (written(in0) != base) { /* a load into its own base register ends it */
    for (uint32_t pc = first + 1; pc < end && pc < first + MAX_SPAN; pc++) {
      const pq_bpf_insn *in = &p->insns[pc];
      if (c->target[pc] || stops(in) || (c->copy && !pq_loops_in(&c->loops, c->copy - 1, pc)))
        break;
      if (access_base(in) == base && needs_check(c, in, base, pc)) {
        int32_t l = lo < in->off ? lo : in->off;
        int32_t h = in->off + (int32_t)pq_bpf_size_bytes(in->code);
        h = hi > h ? hi : h;
        if (h - l > MAX_HULL)
          break;
        lo = l;
        hi = h;
        write |= BPF_CLASS(in->code) != BPF_LDX;
        members++;
        last = pc;
      }
      if (written(in) == base)
        break;
      if (in->code == BPF_LDDW)
        pc++;
    }
  }
  if (members < 2)
    return;
  if (c->ngroups == c->capgroups) {
    size_t cap = c->capgroups ? c->capgroups * 2 : 16;
    jit_group *g = pq_realloc(c->groups, cap * sizeof(*g));
    if (!g) {
      c->oom = 1;
      return;
    }
    c->groups = g;
    c->capgroups = cap;
  }
  for (uint32_t pc = first; pc <= last; pc++) {
    const pq_bpf_insn *in = &p->insns[pc];
    if (access_base(in) == base && needs_check(c, in, base, pc))
      c->grouped[pc] = 1;
  }
  /* The hull check: a stub per group would do the same work as the copy, so
   * the failure branch goes straight to the copy. */
  unsigned lw = hi - lo <= 1 ? 0 : hi - lo <= 2 ? 1 : hi - lo <= 4 ? 2 : 3;
  size_t stub = pq_jit_check(c, in0, base, (int16_t)lo, lw, write, first);
  if (stub == SIZE_MAX || c->oom) { /* no check needed after all */
    for (uint32_t pc = first; pc <= last; pc++)
      c->grouped[pc] = 0;
    return;
  }
  jit_group *g = &c->groups[c->ngroups++];
  g->first = first;
  g->last = last;
  g->from = c->stubs[stub].from;
  g->resume = 0;
  c->nstubs--; /* the group jumps to its copy instead of a stub */
}

void pq_jit_slow_copies(jit_comp *c) {
  xbuf *b = &c->b;
  c->slow = 1;
  for (size_t i = 0; i < c->ngroups; i++) {
    const jit_group *g = &c->groups[i];
    if (!g->resume) { /* never closed: refuse the code rather than jump to 0 */
      c->oom = 1;
      return;
    }
    x_patch_rel32(b, g->from, b->len);
    const pq_bpf_func *f = &c->p->funcs[pq_bpf_func_of(c->p, g->first)];
    for (uint32_t pc = g->first; pc <= g->last;)
      pc += pq_jit_insn(c, f, pc);
    x_patch_rel32(b, x_jmp(b), g->resume);
  }
  c->slow = 0;
}

#endif
