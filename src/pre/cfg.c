/* Basic blocks (see cfg.h): leaders in one pass, blocks in a second. */
#include "pre/cfg.h"

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
  return 0;
}
