/*
 * Range analysis driver: basic blocks per function, sweeps in reverse
 * postorder to a fixpoint (joins at block entries; widening on the edges
 * that close a loop, after a join elsewhere, and of the registers a loop
 * writes when its top is first reached, so a loop body usually runs once;
 * refinement on conditional edges), then per memory access: safe on every
 * visit, or came through an argument pointer. Functions are analysed
 * independently; their arguments are unknown.
 */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "pre/analyze.h"
#include "pre/cfg.h"
#include "pre/scratch.h"

#define WIDEN_AFTER 1 /* joins at a block before its bounds jump to extremes */
#define ROUNDS_PER_BLOCK 40
#define MAX_BLOCKS 32768 /* larger functions stay fully checked */

typedef struct block {
  uint32_t start, end; /* slots [start, end) */
  astate in;
  uint16_t joins;
  uint16_t loop_writes; /* a loop header: registers its loop may write */
  uint8_t seen, queued;
} block;

typedef struct actx {
  pq_bpf_prog *p;
  const pq_cfg *g;
  pq_scratch *tmp;
  uint64_t safe_limit;    /* [0, safe_limit) of the instance region always exists */
  uint32_t fend;          /* end of the function being analysed */
  block *blocks;          /* its blocks, numbered as in g */
  const pq_cfg_block *gb; /* the same in g (successors, loop-closing edges) */
  const uint32_t *order;  /* the reachable ones in reverse postorder */
  uint32_t nreach;
  uint32_t nblocks;
  uint32_t nwork;                /* blocks queued */
  uint8_t *seen, *unsafe, *hint; /* per slot */
  uint32_t *acc;                 /* the function's memory accesses (slots) */
  uint32_t nacc;
} actx;

static int is_access(const pq_bpf_insn *in) {
  uint8_t c = BPF_CLASS(in->code);
  return c == BPF_LDX || c == BPF_ST || c == BPF_STX;
}

/* Proven in bounds: the globals of this program, or the current frame. */
static void judge(actx *a, const astate *s, uint32_t pc) {
  const pq_bpf_insn *in = &a->p->insns[pc];
  unsigned base = BPF_CLASS(in->code) == BPF_LDX ? in->src : in->dst;
  const aval *v = &s->r[base];
  int64_t w = (int64_t)pq_bpf_size_bytes(in->code);
  int ok = 0;
  if (base == 10) {
    ok = 1; /* the verifier checked it */
  } else if ((v->kind == AV_REGION || v->kind == AV_STACK) && v->omin != INT64_MIN) {
    int64_t lo = v->omin + in->off, hi = v->omax + in->off + w;
    if (v->kind == AV_REGION)
      ok = lo >= 0 && (uint64_t)hi <= a->safe_limit;
    else
      ok = lo >= -(int64_t)PQ_BPF_STACK_FRAME && hi <= 0;
  }
  if (!ok)
    a->unsafe[pc] = 1;
  if (v->kind == AV_ARG)
    a->hint[pc] = 1;
  a->seen[pc] = 1;
}

/* A state copy with vector moves: compilers turn the plain struct copy into
 * rep movs, whose start-up cost dominated the whole analysis. */
static inline void st_copy(astate *d, const astate *s) {
#if defined(__SSE2__)
  const uint8_t *from = (const uint8_t *)s;
  uint8_t *to = (uint8_t *)d;
  size_t i = 0;
  for (; i + 16 <= sizeof(astate); i += 16)
    _mm_storeu_si128((__m128i *)(void *)(to + i),
                     _mm_loadu_si128((const __m128i *)(const void *)(from + i)));
  for (; i + 8 <= sizeof(astate); i += 8)
    memcpy(to + i, from + i, 8);
  for (; i < sizeof(astate); i++)
    to[i] = from[i];
#else
  *d = *s;
#endif
}

static void push(actx *a, uint32_t b) {
  if (!a->blocks[b].queued) {
    a->blocks[b].queued = 1;
    a->nwork++;
  }
}

/* A loop header's first state: the registers its loop may write start
 * at their widest (what widening on the loop's back edges would give them
 * after one pass), so the body usually runs once, not once more after the
 * back edge widened them. Sound whatever the set: the fixpoint goes on. */
static void pre_widen(astate *s, unsigned regs) {
  for (; regs; regs &= regs - 1) {
    aval *v = &s->r[__builtin_ctz(regs)];
    if (v->kind == AV_SCALAR) {
      v->umin = 0;
      v->umax = UINT64_MAX;
    } else if (v->kind == AV_REGION || v->kind == AV_STACK) {
      v->omin = INT64_MIN;
      v->omax = INT64_MAX;
    }
  }
}

/* Joins s into block b's entry state; queues b when it changed. An edge
 * that closes a loop (`back`) widens at once. */
static void flow_into(actx *a, uint32_t pc, const astate *s, int back) {
  uint32_t b = a->g->of[pc];
  block *k = &a->blocks[b];
  if (!k->seen) {
    st_copy(&k->in, s);
    k->seen = 1;
    if (k->loop_writes)
      pre_widen(&k->in, k->loop_writes);
    push(a, b);
    return;
  }
  if (back || k->joins >= WIDEN_AFTER) { /* growing bounds jump to extremes */
    if (pq_av_join_widen(&k->in, s))
      push(a, b);
  } else if (pq_av_join(&k->in, s)) {
    k->joins++;
    push(a, b);
  }
}

/* Arithmetic first: it is most of the code (and of the time spent here). */
static void transfer(astate *s, const pq_bpf_insn *in) {
  uint8_t cls = BPF_CLASS(in->code);
  if (cls == BPF_ALU64 || cls == BPF_ALU)
    pq_av_alu(s, in);
  else if (cls == BPF_LDX)
    pq_av_load(s, in);
  else if (cls == BPF_LD)
    pq_av_lddw(s, in);
  else if (cls == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC)
    pq_av_atomic(s, in);
  else if (cls == BPF_JMP && BPF_OP(in->code) == BPF_CALL)
    pq_av_call(s, in);
}

static void run_block(actx *a, uint32_t b) {
  block *k = &a->blocks[b];
  unsigned back = a->gb[b].back; /* bit i: edge to succ[i] closes a loop */
  astate s;
  st_copy(&s, &k->in);
  const pq_bpf_insn *ins = a->p->insns;
  for (uint32_t pc = k->start; pc < k->end; pc++) {
    const pq_bpf_insn *in = &ins[pc];
    if (is_access(in))
      judge(a, &s, pc);
    if (pq_bpf_is_jump(in)) {
      uint32_t t = (uint32_t)pq_bpf_jump_target(in, pc);
      if (pq_bpf_is_ja(in)) {
        flow_into(a, t, &s, back & 1);
        return;
      }
      /* Only the compared registers change: refine in place for the taken
       * edge, then restore them for the fall-through one. */
      aval d0 = s.r[in->dst], s0 = s.r[in->src & 0xf];
      if (pq_av_branch(&s, in, 1))
        flow_into(a, t, &s, back & 1); /* the jump target is succ[0] */
      s.r[in->dst] = d0;
      s.r[in->src & 0xf] = s0;
      if (!pq_av_branch(&s, in, 0))
        return;
    } else if (in->code == (BPF_JMP | BPF_EXIT)) {
      return;
    } else {
      transfer(&s, in);
    }
    if (in->code == BPF_LDDW)
      pc++;
  }
  if (k->end < a->fend) /* falling through: the last successor */
    flow_into(a, k->end, &s, (back >> (a->gb[b].nsucc - 1)) & 1);
}

/* Registers an instruction may write (bit i: r_i). */
static unsigned writes(const pq_bpf_insn *in) {
  uint8_t cls = BPF_CLASS(in->code);
  /* LD, LDX, ALU, ALU64 write dst: no branch on the class for most */
  enum { DST = 1u << BPF_LD | 1u << BPF_LDX | 1u << BPF_ALU | 1u << BPF_ALU64 };
  unsigned w = (DST >> cls & 1u) << in->dst;
  if (cls == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC)
    w = in->imm == BPF_CMPXCHG ? 1u : (in->imm & BPF_FETCH) ? 1u << in->src : 0;
  else if (in->code == (BPF_JMP | BPF_CALL))
    w = 0x3f; /* r0..r5 */
  return w;
}

/* The blocks of function f with their analysis state. Returns 1 when the
 * function is too large to analyse. */
static int build_blocks(actx *a, uint32_t f) {
  const pq_cfg *g = a->g;
  uint32_t n = g->first[f + 1] - g->first[f];
  if (n > MAX_BLOCKS)
    return 1;
  /* not zeroed: a block's state is written when it is first reached */
  a->blocks = pq_scratch_alloc(a->tmp, n, sizeof(block));
  if (!a->blocks)
    return PQUIC_ERR_NOMEM;
  a->nblocks = n;
  a->gb = &g->b[g->first[f]];
  a->order = &g->order[g->first[f]];
  a->nreach = g->nreach[f];
  for (uint32_t k = 0; k < n; k++) {
    block *x = &a->blocks[k];
    x->start = a->gb[k].start;
    x->end = a->gb[k].end;
    x->joins = 0;
    x->loop_writes = 0;
    x->seen = x->queued = 0;
  }
  /* A loop from each closing edge x -> h: the blocks from h to x in
   * reverse postorder hold its body (h dominates it), and maybe more: the
   * set only changes how soon the fixpoint comes. */
  const uint32_t *rpo = &g->rpo[g->first[f]];
  uint16_t *wr = pq_scratch_alloc(a->tmp, n, sizeof(uint16_t));
  a->acc = pq_scratch_alloc(a->tmp, a->fend - a->gb[0].start, sizeof(uint32_t));
  if (!wr || !a->acc)
    return PQUIC_ERR_NOMEM;
  a->nacc = 0;
  for (uint32_t k = 0; k < n; k++) { /* also the accesses, for analyze() */
    unsigned w = 0;
    for (uint32_t pc = a->gb[k].start; pc < a->gb[k].end; pc++) {
      const pq_bpf_insn *in = &a->p->insns[pc];
      w |= writes(in);
      if (is_access(in))
        a->acc[a->nacc++] = pc;
      if (in->code == BPF_LDDW)
        pc++;
    }
    wr[k] = (uint16_t)w;
  }
  for (uint32_t k = 0; k < n; k++) {
    const pq_cfg_block *x = &a->gb[k];
    for (uint32_t j = 0; j < x->nsucc; j++) {
      uint32_t h = x->succ[j];
      if (!(x->back >> j & 1) || rpo[k] == UINT32_MAX)
        continue;
      for (uint32_t i = rpo[h]; i <= rpo[k]; i++)
        a->blocks[h].loop_writes |= wr[a->order[i]];
    }
  }
  return 0;
}

/* Returns 0 when the function reached a fixpoint, 1 when it gave up. */
static int analyze_func(actx *a, const pq_bpf_func *f) {
  astate s;
  for (int r = 0; r < 11; r++)
    s.r[r] = (aval){.kind = r >= 1 && r <= 5 ? AV_ARG : AV_TOP, .umin = 0, .umax = UINT64_MAX};
  s.r[10] = (aval){.kind = AV_STACK, .omin = 0, .omax = 0};
  flow_into(a, f->start, &s, 0);
  /* Sweeps in reverse postorder (cfg.h; unreachable blocks are never
   * queued): a block runs after the blocks that flow into it but by a
   * loop-closing edge, so a sweep carries states through every loop top. */
  uint64_t runs = 0, max_runs = (uint64_t)a->nblocks * ROUNDS_PER_BLOCK + 16;
  while (a->nwork) {
    for (uint32_t i = 0; i < a->nreach; i++) {
      uint32_t b = a->order[i];
      if (!a->blocks[b].queued)
        continue;
      if (++runs > max_runs)
        return 1;
      a->blocks[b].queued = 0;
      a->nwork--;
      run_block(a, b);
    }
  }
  return 0;
}

static void mark_one(actx *a, uint32_t pc, int gave_up) {
  pq_bpf_insn *in = &a->p->insns[pc];
  in->pad = 0;
  if (a->seen[pc] && !a->unsafe[pc] && !gave_up)
    in->pad |= PQ_INSN_SAFE;
  if (a->hint[pc])
    in->pad |= PQ_INSN_LENT_HINT;
}

/* The flags of function fn's accesses: those build_blocks() listed, or
 * (a function too large to analyse) every access. */
static void mark(actx *a, const pq_bpf_func *fn, int gave_up) {
  if (a->acc) {
    for (uint32_t i = 0; i < a->nacc; i++)
      mark_one(a, a->acc[i], gave_up);
    return;
  }
  for (uint32_t pc = fn->start; pc < fn->end; pc++)
    if (is_access(&a->p->insns[pc]))
      mark_one(a, pc, gave_up);
}

static int analyze(actx *a) {
  pq_bpf_prog *p = a->p;
  for (uint32_t f = 0; f < p->nfuncs; f++) {
    const pq_bpf_func *fn = &p->funcs[f];
    a->fend = fn->end;
    pq_scratch_mark m = pq_scratch_save(a->tmp);
    a->acc = NULL;
    int rc = build_blocks(a, f);
    int gave_up = rc == 1;
    if (rc == 1)
      rc = 0;
    else if (!rc)
      gave_up = analyze_func(a, fn);
    if (!rc)
      mark(a, fn, gave_up);
    pq_scratch_release(a->tmp, m);
    a->blocks = NULL;
    a->nwork = 0;
    if (rc)
      return rc;
  }
  return 0;
}

int pq_bpf_analyze(pq_bpf_prog *p, const pq_cfg *g, pq_scratch *tmp) {
  actx a;
  memset(&a, 0, sizeof(a));
  a.p = p;
  a.g = g;
  a.tmp = tmp;
  a.safe_limit = (uint64_t)p->globals_off + p->globals_size;
  pq_scratch_mark m = pq_scratch_save(tmp);
  a.seen = pq_scratch_calloc(tmp, p->ninsns, 1);
  a.unsafe = pq_scratch_calloc(tmp, p->ninsns, 1);
  a.hint = pq_scratch_calloc(tmp, p->ninsns, 1);
  int rc = a.seen && a.unsafe && a.hint ? analyze(&a) : PQUIC_ERR_NOMEM;
  pq_scratch_release(tmp, m);
  return rc;
}
