/*
 * Verifier, part 2: control flow. Functions start at slot 0, at symbol
 * starts and at bpf-to-bpf call targets, and end where the next one starts.
 * Jumps stay inside their function and never land on an LDDW's second half;
 * no function can run past its end; every function reaches an exit; the call
 * graph has no cycle (as the kernel) and at most PQ_BPF_MAX_FRAMES nested
 * frames, so stack needs are static.
 */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "pre/scratch.h"
#include "pre/verify.h"

enum { F_SECOND = 1, F_START = 2, F_SEEN = 4 };

typedef struct flow {
  pq_bpf_prog *p;
  pq_scratch tmp;   /* the arrays below */
  uint8_t *flags;   /* per slot */
  uint32_t *calls;  /* call slots grouped by function (CSR) */
  uint32_t *first;  /* first[f]..first[f+1]: calls of function f */
  uint32_t *frames; /* per function */
  uint8_t *color;   /* DFS state per function */
  uint32_t *sites;  /* local calls, ascending (noted by scan) */
  uint32_t nsites;
  uint32_t *hids; /* helper ids at helper calls, in slot order */
  uint32_t nhids;
  uint32_t nstarts; /* slots marked F_START */
  pq_bpf_diag *d;
} flow;

static uint32_t call_target(const pq_bpf_prog *p, uint32_t pc) {
  return (uint32_t)((int64_t)pc + 1 + p->insns[pc].imm);
}

static void mark_start(flow *fl, uint32_t pc) {
  fl->nstarts += !(fl->flags[pc] & F_START);
  fl->flags[pc] |= F_START;
}

/* Marks LDDW halves and function starts; checks fields slot by slot;
 * notes the calls, so that later steps need not look for them. */
static int scan(flow *fl, const uint32_t *starts, size_t nstarts, const pq_bpf_helpers *h) {
  pq_bpf_prog *p = fl->p;
  for (uint32_t pc = 0; pc < p->ninsns; pc++) {
    int rc = pq_bpf_verify_insn(p, pc, h, fl->d);
    if (rc)
      return rc;
    const pq_bpf_insn *in = &p->insns[pc];
    if (pq_bpf_is_local_call(in))
      fl->sites[fl->nsites++] = pc;
    else if (pq_bpf_is_helper_call(in))
      fl->hids[fl->nhids++] = (uint32_t)in->imm;
    else if (in->code == BPF_LDDW)
      fl->flags[++pc] |= F_SECOND;
  }
  mark_start(fl, 0);
  for (size_t i = 0; i < nstarts; i++) {
    if (starts[i] >= p->ninsns || (fl->flags[starts[i]] & F_SECOND))
      return pq_bpf_diag_set(fl->d, (int)starts[i], PQUIC_ERR_VERIFY,
                             "function start is not an instruction (rule: call)");
    mark_start(fl, starts[i]);
  }
  for (uint32_t i = 0; i < fl->nsites; i++) {
    uint32_t pc = fl->sites[i], t = call_target(p, pc);
    if (fl->flags[t] & F_SECOND)
      return pq_bpf_diag_set(fl->d, (int)pc, PQUIC_ERR_VERIFY,
                             "call into the second half of an lddw (rule: lddw)");
    mark_start(fl, t);
  }
  return 0;
}

static int build_funcs(flow *fl) {
  pq_bpf_prog *p = fl->p;
  uint32_t n = fl->nstarts;
  p->funcs = pq_calloc(n, sizeof(pq_bpf_func));
  if (!p->funcs)
    return PQUIC_ERR_NOMEM;
  p->nfuncs = n;
  uint32_t f = 0;
  for (uint32_t pc = 0; pc < p->ninsns; pc++) {
    if (!(fl->flags[pc] & F_START))
      continue;
    if (f)
      p->funcs[f - 1].end = pc;
    p->funcs[f].start = pc;
    p->funcs[f].frames = 1;
    f++;
  }
  p->funcs[n - 1].end = p->ninsns;
  return 0;
}

/* Which of r6..r9 an instruction may write (bit i: r(6 + i)). */
static uint8_t callee_saved_write(const pq_bpf_insn *in) {
  unsigned cls = BPF_CLASS(in->code);
  /* ALU, ALU64, LDX (and LD: only LDDW passes the verifier) write dst: no
   * branch on the class for most */
  enum { DST = 1u << BPF_LD | 1u << BPF_LDX | 1u << BPF_ALU | 1u << BPF_ALU64 };
  unsigned r = DST >> cls & 1u ? in->dst : 16;
  if (cls == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC && (in->imm & BPF_FETCH))
    r = in->src;
  return r >= 6 && r <= 9 ? (uint8_t)(1u << (r - 6)) : 0;
}

/* Jumps inside their function; the last slot of a function ends it. On the
 * way, which of r6..r9 the function writes (its JIT prologue saves only
 * those). */
static int check_jumps(flow *fl, pq_bpf_func *fn) {
  const pq_bpf_prog *p = fl->p;
  uint8_t writes = 0;
  for (uint32_t pc = fn->start; pc < fn->end; pc++) {
    const pq_bpf_insn *in = &p->insns[pc];
    if (fl->flags[pc] & F_SECOND)
      continue;
    writes |= callee_saved_write(in);
    if (!pq_bpf_is_jump(in))
      continue;
    int64_t t = pq_bpf_jump_target(in, pc);
    if (t < fn->start || t >= fn->end)
      return pq_bpf_diag_set(fl->d, (int)pc, PQUIC_ERR_VERIFY,
                             "jump to %lld leaves its function [%u, %u) (rule: jump)", (long long)t,
                             fn->start, fn->end);
    if (fl->flags[t] & F_SECOND)
      return pq_bpf_diag_set(fl->d, (int)pc, PQUIC_ERR_VERIFY,
                             "jump into the second half of an lddw (rule: lddw)");
  }
  fn->writes = writes;
  uint32_t last = fn->end - 1;
  if (fl->flags[last] & F_SECOND)
    last--;
  const pq_bpf_insn *in = &p->insns[last];
  if (in->code != (BPF_JMP | BPF_EXIT) && !pq_bpf_is_ja(in))
    return pq_bpf_diag_set(fl->d, (int)last, PQUIC_ERR_VERIFY,
                           "execution can run past the end of the function (rule: exit)");
  return 0;
}

/* Depth-first walk from the function start: some exit must be reachable. */
static int check_reaches_exit(flow *fl, const pq_bpf_func *fn, uint32_t *work) {
  const pq_bpf_prog *p = fl->p;
  size_t top = 0;
  work[top++] = fn->start;
  fl->flags[fn->start] |= F_SEEN;
  while (top) {
    /* straight on from a slot taken off the stack; jump targets go on it */
    for (uint32_t pc = work[--top];;) {
      const pq_bpf_insn *in = &p->insns[pc];
      if (in->code == (BPF_JMP | BPF_EXIT))
        return 0;
      uint32_t next = pc + (in->code == BPF_LDDW ? 2 : 1);
      if (pq_bpf_is_jump(in)) {
        uint32_t t = (uint32_t)pq_bpf_jump_target(in, pc);
        if (t < fn->end && !(fl->flags[t] & F_SEEN)) {
          fl->flags[t] |= F_SEEN;
          work[top++] = t;
        }
        if (pq_bpf_is_ja(in))
          break;
      }
      if (next >= fn->end || (fl->flags[next] & F_SEEN))
        break;
      fl->flags[next] |= F_SEEN;
      pc = next;
    }
  }
  return pq_bpf_diag_set(fl->d, (int)fn->start, PQUIC_ERR_VERIFY,
                         "no path of this function reaches exit (rule: exit)");
}

static int collect_calls(flow *fl) {
  pq_bpf_prog *p = fl->p;
  fl->first = pq_scratch_calloc(&fl->tmp, p->nfuncs + 1, sizeof(uint32_t));
  fl->frames = pq_scratch_calloc(&fl->tmp, p->nfuncs, sizeof(uint32_t));
  fl->color = pq_scratch_calloc(&fl->tmp, p->nfuncs, 1);
  if (!fl->first || !fl->frames || !fl->color)
    return PQUIC_ERR_NOMEM;
  fl->calls = fl->sites; /* ascending: already grouped by function */
  uint32_t k = 0;
  for (uint32_t f = 0; f < p->nfuncs; f++) {
    fl->first[f] = k;
    while (k < fl->nsites && fl->sites[k] < p->funcs[f].end)
      k++;
  }
  fl->first[p->nfuncs] = k;
  return 0;
}

static uint32_t max_u32(uint32_t a, uint32_t b) {
  return a > b ? a : b;
}

/* Iterative DFS over the call graph: rejects recursion, computes frames. */
static int walk_calls(flow *fl, uint32_t root, uint32_t *stk, uint32_t *pos) {
  pq_bpf_prog *p = fl->p;
  size_t sp = 0;
  stk[sp] = root;
  pos[sp++] = fl->first[root];
  fl->color[root] = 1;
  fl->frames[root] = 1;
  while (sp) {
    uint32_t f = stk[sp - 1];
    if (pos[sp - 1] < fl->first[f + 1]) {
      uint32_t pc = fl->calls[pos[sp - 1]++];
      uint32_t c = pq_bpf_func_of(p, call_target(p, pc));
      if (fl->color[c] == 1)
        return pq_bpf_diag_set(fl->d, (int)pc, PQUIC_ERR_VERIFY, "recursive call (rule: call)");
      if (fl->color[c] == 2) {
        fl->frames[f] = max_u32(fl->frames[f], fl->frames[c] + 1);
        continue;
      }
      fl->color[c] = 1;
      fl->frames[c] = 1;
      stk[sp] = c;
      pos[sp++] = fl->first[c];
      continue;
    }
    fl->color[f] = 2;
    if (--sp)
      fl->frames[stk[sp - 1]] = max_u32(fl->frames[stk[sp - 1]], fl->frames[f] + 1);
  }
  return 0;
}

/* A call chain needing too many frames: follows the deepest chain from the
 * outermost function and names the call that would push frame MAX + 1. */
static int check_depth(flow *fl) {
  pq_bpf_prog *p = fl->p;
  uint32_t f = p->nfuncs;
  for (uint32_t i = 0; i < p->nfuncs; i++) {
    p->funcs[i].frames = fl->frames[i];
    if (fl->frames[i] > PQ_BPF_MAX_FRAMES && (f == p->nfuncs || fl->frames[i] > fl->frames[f]))
      f = i;
  }
  for (uint32_t depth = 1; f < p->nfuncs; depth++) {
    uint32_t next = p->nfuncs, pc = 0;
    for (uint32_t k = fl->first[f]; k < fl->first[f + 1] && next == p->nfuncs; k++) {
      uint32_t c = pq_bpf_func_of(p, call_target(p, fl->calls[k]));
      if (fl->frames[c] + 1 == fl->frames[f]) {
        next = c;
        pc = fl->calls[k];
      }
    }
    if (depth == PQ_BPF_MAX_FRAMES)
      return pq_bpf_diag_set(fl->d, (int)pc, PQUIC_ERR_VERIFY,
                             "call chain needs %u frames, at most %u (rule: depth)",
                             fl->frames[f] + depth - 1, PQ_BPF_MAX_FRAMES);
    f = next;
  }
  return 0;
}

static int check_calls(flow *fl) {
  pq_bpf_prog *p = fl->p;
  int rc = collect_calls(fl);
  if (rc)
    return rc;
  uint32_t *stk = pq_scratch_calloc(&fl->tmp, p->nfuncs, sizeof(uint32_t));
  uint32_t *pos = pq_scratch_calloc(&fl->tmp, p->nfuncs, sizeof(uint32_t));
  if (!stk || !pos)
    rc = PQUIC_ERR_NOMEM;
  for (uint32_t f = 0; !rc && f < p->nfuncs; f++)
    if (!fl->color[f])
      rc = walk_calls(fl, f, stk, pos);
  return rc ? rc : check_depth(fl);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* The distinct helper ids called, ascending. */
static int record_helpers(pq_bpf_prog *p, const flow *fl) {
  size_t n = fl->nhids;
  p->helpers_used = pq_calloc(n ? n : 1, sizeof(uint32_t));
  if (!p->helpers_used)
    return PQUIC_ERR_NOMEM;
  memcpy(p->helpers_used, fl->hids, n * sizeof(uint32_t));
  qsort(p->helpers_used, n, sizeof(uint32_t), cmp_u32);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (k == 0 || p->helpers_used[k - 1] != p->helpers_used[i])
      p->helpers_used[k++] = p->helpers_used[i];
  p->nhelpers_used = k;
  return 0;
}

static int verify_flow(flow *fl, const uint32_t *starts, size_t nstarts, const pq_bpf_helpers *h) {
  pq_bpf_prog *p = fl->p;
  int rc = scan(fl, starts, nstarts, h);
  if (!rc)
    rc = build_funcs(fl);
  for (uint32_t f = 0; !rc && f < p->nfuncs; f++)
    rc = check_jumps(fl, &p->funcs[f]);
  uint32_t *work = rc ? NULL : pq_scratch_calloc(&fl->tmp, p->ninsns, sizeof(uint32_t));
  if (!rc && !work)
    rc = PQUIC_ERR_NOMEM;
  for (uint32_t f = 0; !rc && f < p->nfuncs; f++)
    rc = check_reaches_exit(fl, &p->funcs[f], work);
  if (!rc)
    rc = check_calls(fl);
  return rc ? rc : record_helpers(p, fl);
}

int pq_bpf_verify(pq_bpf_prog *p, const uint32_t *starts, size_t nstarts, const pq_bpf_helpers *h,
                  pq_bpf_diag *d) {
  if (p->ninsns == 0)
    return pq_bpf_diag_set(d, -1, PQUIC_ERR_VERIFY, "empty program (rule: exit)");
  if (p->ninsns > PQ_BPF_MAX_INSNS)
    return pq_bpf_diag_set(d, -1, PQUIC_ERR_VERIFY, "%u instructions, at most %u (rule: size)",
                           p->ninsns, PQ_BPF_MAX_INSNS);
  flow fl;
  memset(&fl, 0, sizeof(fl));
  fl.p = p;
  fl.d = d;
  pq_scratch_init(&fl.tmp);
  fl.flags = pq_scratch_calloc(&fl.tmp, p->ninsns, 1);
  fl.sites = pq_scratch_alloc(&fl.tmp, p->ninsns, sizeof(uint32_t)); /* filled by scan */
  fl.hids = pq_scratch_alloc(&fl.tmp, p->ninsns, sizeof(uint32_t));
  int rc = fl.flags && fl.sites && fl.hids ? verify_flow(&fl, starts, nstarts, h) : PQUIC_ERR_NOMEM;
  pq_scratch_free(&fl.tmp);
  return rc;
}
