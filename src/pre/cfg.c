/* Basic blocks (see cfg.h): leaders in one pass, blocks in a second, then
 * a depth-first walk of each function. */
#include "pre/cfg.h"

#include <string.h>

static int walk(const pq_bpf_prog *p, pq_scratch *tmp, pq_cfg *g) {
  uint32_t nb = g->first[p->nfuncs];
  g->rpo = pq_scratch_alloc(tmp, nb, sizeof(uint32_t));
  g->order = pq_scratch_alloc(tmp, nb, sizeof(uint32_t));
  g->nreach = pq_scratch_alloc(tmp, p->nfuncs, sizeof(uint32_t));
  uint8_t *state = pq_scratch_calloc(tmp, nb, 1); /* 0 new, 1 on the stack, 2 done */
  uint8_t *edge = pq_scratch_calloc(tmp, nb, 1);  /* successors already walked */
  uint32_t *stk = pq_scratch_alloc(tmp, nb, sizeof(uint32_t));
  if (!g->rpo || !g->order || !g->nreach || !state || !edge || !stk)
    return PQUIC_ERR_NOMEM;
  for (uint32_t f = 0; f < p->nfuncs; f++) {
    uint32_t base = g->first[f], n = g->first[f + 1] - base, post = n;
    uint32_t *order = g->order + base;
    size_t sp = 0;
    stk[sp++] = 0;
    state[base] = 1;
    while (sp) {
      uint32_t k = stk[sp - 1];
      pq_cfg_block *x = &g->b[base + k];
      if (edge[base + k] < x->nsucc) {
        uint32_t j = edge[base + k]++, t = x->succ[j];
        if (state[base + t] == 1) {
          x->back |= (uint8_t)(1u << j);
        } else if (state[base + t] == 0) {
          state[base + t] = 1;
          stk[sp++] = t;
        }
        continue;
      }
      state[base + k] = 2;
      sp--;
      order[--post] = k; /* postorder from the end: reverse postorder */
    }
    g->nreach[f] = n - post;
    memmove(order, order + post, (n - post) * sizeof(uint32_t));
    for (uint32_t k = 0; k < n; k++)
      g->rpo[base + k] = UINT32_MAX;
    for (uint32_t i = 0; i < n - post; i++)
      g->rpo[base + order[i]] = i;
  }
  return 0;
}

int pq_cfg_build(const pq_bpf_prog *p, pq_scratch *tmp, pq_cfg *g) {
  const pq_bpf_insn *ins = p->insns;
  /* of[] holds leader marks until the blocks are numbered: 1 leader, 2
   * jump target, 4 an LDDW's second half */
  g->of = pq_scratch_calloc(tmp, p->ninsns, sizeof(uint32_t));
  g->first = pq_scratch_calloc(tmp, (size_t)p->nfuncs + 1, sizeof(uint32_t));
  if (!g->of || !g->first)
    return PQUIC_ERR_NOMEM;
  uint32_t *of = g->of, nb = 0;
  for (uint32_t f = 0; f < p->nfuncs; f++) {
    const pq_bpf_func *fn = &p->funcs[f];
    of[fn->start] |= 1;
    for (uint32_t pc = fn->start; pc < fn->end; pc++) {
      const pq_bpf_insn *in = &ins[pc];
      if (pq_bpf_is_jump(in))
        of[pq_bpf_jump_target(in, pc)] |= 3;
      if ((pq_bpf_is_jump(in) || in->code == (BPF_JMP | BPF_EXIT)) && pc + 1 < fn->end)
        of[pc + 1] |= 1;
      if (in->code == BPF_LDDW)
        of[++pc] |= 4;
    }
  }
  for (uint32_t pc = 0; pc < p->ninsns; pc++)
    nb += of[pc] & 1;
  g->b = pq_scratch_calloc(tmp, nb, sizeof(pq_cfg_block));
  if (!g->b)
    return PQUIC_ERR_NOMEM;
  uint32_t k = 0;
  for (uint32_t f = 0; f < p->nfuncs; f++) {
    const pq_bpf_func *fn = &p->funcs[f];
    uint32_t base = k;
    g->first[f] = base;
    for (uint32_t pc = fn->start; pc < fn->end; pc++) {
      uint32_t m = of[pc];
      if (m & 1) {
        g->b[k].start = pc;
        g->b[k].target = (m & 2) != 0;
        if (k > base)
          g->b[k - 1].end = pc;
        k++;
      }
      if (!(m & 4))
        g->b[k - 1].last = pc;
      of[pc] = k - 1 - base;
    }
    g->b[k - 1].end = fn->end;
    for (uint32_t i = base; i < k; i++) { /* successors, now that of[] numbers blocks */
      pq_cfg_block *x = &g->b[i];
      const pq_bpf_insn *in = &ins[x->last];
      if (in->code == (BPF_JMP | BPF_EXIT))
        continue;
      if (pq_bpf_is_jump(in)) {
        x->succ[x->nsucc++] = of[pq_bpf_jump_target(in, x->last)];
        if (pq_bpf_is_ja(in))
          continue;
      }
      if (x->end < fn->end)
        x->succ[x->nsucc++] = i + 1 - base;
    }
  }
  g->first[p->nfuncs] = k;
  return walk(p, tmp, g);
}
