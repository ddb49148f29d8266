/*
 * pre/jit_internal.h - the x86-64 JIT's shared state: the run context the
 * generated code reads through r12, the register map, the compiler state and
 * the out-of-line stubs.
 *
 * Register map (BPF -> x86-64): r0 rax, r1 rsi, r2 rdx, r3 rcx, r4 r8, r5 r9,
 * r6 rbx, r7 r13, r8 r14, r9 r11, r10 rbp. r1..r5 sit where the C calling
 * convention puts a helper's arguments after its environment (rdi), so a
 * helper call moves nothing. The callee-saved registers hold what must
 * survive every helper call: r12 the run context, r15 the remaining budget
 * (a loop-carried value: never through memory). BPF r9, which compilers use
 * last, takes caller-saved r11 and is kept in the context across a helper
 * call only when it is live there; r10 holds the instance region base
 * (reloaded after helper calls). rdi is the scratch register (addresses,
 * divisors; the environment of a helper call).
 */
#ifndef PQ_PRE_JIT_INTERNAL_H
#define PQ_PRE_JIT_INTERNAL_H

#include <stddef.h>

#include "pre/jit.h"
#include "pre/analyze.h"
#include "pre/cfg.h"
#include "pre/loops.h"
#include "pre/scratch.h"
#include "pre/x86.h"

#define J_CTX R12
#define J_BUDGET R15
#define J_BASE R10
#define J_TMP RDI

/* The run context: everything generated code needs, at fixed offsets. r12
 * points J_CTX_BIAS bytes into it, so that the fields hot code uses (up to
 * the budget and r9) are within a one-byte displacement (shorter
 * instructions). */
typedef struct pq_jit_ctx {
  pq_bpf_env env;        /* what helpers get (copied from and back to run->env) */
  uint64_t base;         /* instance region base */
  uint64_t lim[4];       /* instance: valid offsets are < lim[log2 width] */
  uint64_t lent_base;    /* first lent region (checked inline in stubs) */
  uint64_t lent_rlim[4]; /* its limits for reads */
  uint64_t lent_wlim[4]; /* and for writes (0 when read-only) */
  uint64_t budget;       /* at entry and exit (r15 in between) */
  uint64_t r9;           /* BPF r9 while a helper runs */
  uint64_t tmp[3];       /* loop pads: iterations, span, start address */
  uint64_t lent_plim[4]; /* loop pads: first lent region length if access mask i is allowed */
  uint64_t saved_rsp;    /* the trampoline's stack pointer, for fault exits */
  uint64_t target;       /* native address of the entry function */
  uint64_t args[5];
  uint64_t fp;
  uint64_t r0;
  uint32_t status; /* J_ST_* */
  uint32_t fault_insn;
  pq_run *run;
} pq_jit_ctx;

#define J_CTX_BIAS 128
_Static_assert(offsetof(pq_jit_ctx, lent_plim) + 32 <= 2 * J_CTX_BIAS,
               "hot fields within disp8 of r12");

enum {
  J_ST_OK = 0,
  J_ST_RECORDED = 1, /* run->fault holds it (bounds, alignment) */
  J_ST_BUDGET = 2,   /* at fault_insn */
  J_ST_HELPER = 3,   /* env says which */
};

#define CTX_OFF(field) ((int32_t)offsetof(pq_jit_ctx, field) - J_CTX_BIAS)

/* Out-of-line code, emitted after all functions. */
enum { STUB_BOUNDS, STUB_ALIGN, STUB_BUDGET };

typedef struct jit_stub {
  uint8_t kind;
  uint8_t base; /* x86 register holding the BPF base pointer */
  uint8_t lw;   /* log2 of the access width */
  uint8_t write;
  uint8_t lent_first; /* STUB_BOUNDS: the inline check tried lent memory */
  int16_t off;
  uint32_t pc;
  size_t from;   /* rel32 in the main code that jumps to the stub */
  size_t resume; /* where a successful slow path continues */
} jit_stub;

/* Accesses through one base register in straight-line code, checked at
 * once (their hull) at the first; when that fails, a copy of the same
 * instructions with every check runs instead (precise faults). */
typedef struct jit_group {
  uint32_t first, last; /* slots */
  size_t from;          /* rel32 of the hull check's jump to the slow copy */
  size_t resume;        /* main code just after the last member */
} jit_group;

/* Loop-closing edges (back edges of a depth-first walk from the function
 * start): the JIT charges the budget on them. Every cycle has one. */
enum { BACK_TAKEN = 1, BACK_FALL = 2 };

/* The top of each loop's code (ordinary code and loop copies) and each
 * function start on a 64-byte boundary, as bench-pre's native kernels do
 * (-falign-functions=64). How fast a small loop runs depends on whether it
 * crosses a 64-byte fetch / op-cache window (k_sort's 42-byte inner loop:
 * ~2740 ns across one, ~2290 ns inside one on this machine's Zen 4); a top
 * on a boundary makes it independent of the code before it. The NOPs (up
 * to 63 bytes, at most two per 15) run once per loop entry, never per
 * iteration; a function's come after a ret or jmp and never run.
 * bench-pre's jit_vs_native: 1.46-1.49 with 16 bytes, 1.35-1.39 now. */
#define J_ALIGN 64

/* A jump, patched once everything is placed: to a slot's code, a
 * function, a slot's code in its loop's fast copy, or a loop's pad. */
enum { FIX_SLOT, FIX_FUNC, FIX_COPY, FIX_PAD };

typedef struct jit_fix {
  size_t at;
  uint32_t target; /* slot, function or loop index */
  uint8_t kind;    /* FIX_* */
} jit_fix;

typedef struct jit_live jit_live; /* liveness state (jit_live.c) */

typedef struct jit_comp {
  const pq_bpf_prog *p;
  pq_scratch tmp; /* arrays of the passes below (per slot, per loop) */
  pq_cfg cfg;     /* basic blocks, shared by analysis, liveness, loops */
  xbuf b;
  uint32_t *insn_off;
  uint32_t *func_off;
  jit_stub *stubs;
  size_t nstubs, capstubs;
  jit_fix *fixes;
  size_t nfixes, capfixes;
  jit_group *groups;
  size_t ngroups, capgroups;
  size_t nhull, caphull;
  uint8_t *grouped;   /* per slot: a member whose check the group's covers */
  uint8_t *target;    /* per slot: a jump target (groups end before one) */
  uint8_t *back;      /* per slot: BACK_* edges that close a loop */
  uint8_t *head;      /* per slot: the top of a loop's code (J_ALIGN) */
  int slow;           /* emitting a slow copy: every access checked */
  pq_loops loops;     /* versioned loops (loops.h) */
  size_t *pad_off;    /* per loop: its pad */
  size_t *hull_at;    /* rel32s of the pads' calls of their C tail */
  uint32_t *copy_off; /* per slot: its code in its loop's fast copy */
  uint32_t copy;      /* emitting the fast copy of loop copy - 1; 0 otherwise */
  size_t group_floor; /* groups below this index belong to other code */
  uint16_t *live;     /* per slot: registers live before it (bit i: r_i) */
  jit_live *lv;       /* computed per function when first asked */
  size_t fault_exit;  /* offset of the common fault exit */
  size_t helper_exit; /* sets the helper-fault status, then the fault exit */
  uint32_t func;      /* function being compiled */
  int unchecked;      /* benchmark builds: no bounds checks */
  int oom;
  struct jit_inl *inl; /* inlined helper calls: their slow paths (jit_inline.c) */
  size_t ninl, capinl;
  uint32_t inlined; /* helper call sites emitted inline */
} jit_comp;

extern const uint8_t pq_jit_reg[11];

/* Records a stub request; returns its index (or SIZE_MAX on NOMEM: comp->oom). */
size_t pq_jit_add_stub(jit_comp *c, const jit_stub *s);
void pq_jit_add_fix(jit_comp *c, size_t at, uint32_t target, int kind);
/* A jump from slot src to slot target: the fast copy's code while in it,
 * a loop's pad when entering a versioned loop, the slot's code otherwise. */
void pq_jit_jump_fix(jit_comp *c, size_t at, uint32_t src, uint32_t target);

/* Loop versioning (jit_loops.c): finds the loops and marks the hoisted
 * accesses of p (NOMEM), the loop whose
 * header is slot pc (index + 1, or 0), its pad (the entry checks, `inline`
 * when its failure may fall into the header's ordinary code), its fast
 * copy; whether an access at pc needs no check here. */
int pq_jit_loops_init(jit_comp *c, pq_bpf_prog *p);
static inline uint32_t pq_jit_loop_at(const jit_comp *c, uint32_t pc) {
  uint32_t l = c->loops.of ? c->loops.of[pc] : 0;
  return l && c->loops.v[l - 1].header == pc ? l : 0;
}
void pq_jit_pad(jit_comp *c, uint32_t loop, int inline_pad);
/* The pads' shared C call, once all code that may fall through is out. */
void pq_jit_pad_tail(jit_comp *c);
void pq_jit_copy(jit_comp *c, uint32_t loop);
static inline int pq_jit_hoisted(const jit_comp *c, const pq_bpf_insn *in, uint32_t pc) {
  return c->copy && (in->pad & PQ_INSN_HOISTED) && pq_loops_in(&c->loops, c->copy - 1, pc);
}
/* 1 when charging an edge to slot `to` needs no budget test: a back edge of
 * the loop copy being emitted, whose pad checked the budget covers them all. */
static inline int pq_jit_budget_covered(const jit_comp *c, uint32_t to) {
  return c->copy && c->loops.v[c->copy - 1].budget_covered && to == c->loops.v[c->copy - 1].header;
}
/* Called from a pad: 1 when [lo, lo + span) lies in the instance region or
 * in one lent region allowing `access`. */
int pq_jit_hull_ok(pq_jit_ctx *ctx, uint64_t lo, uint64_t span, uint32_t access);

/* 1 when the code just emitted for the n slots at pc can fall through. */
static inline int pq_jit_falls(const jit_comp *c, uint32_t pc, uint32_t n) {
  const pq_bpf_insn *in = &c->p->insns[pc];
  return n > 1 || !(in->code == (BPF_JMP | BPF_EXIT) || pq_bpf_is_ja(in));
}

/* Code for the instruction at slot pc, fused with the next one or two when a
 * single x86 instruction does both (a copy then an add: lea). Returns the
 * slots consumed (an LDDW takes two). */
uint32_t pq_jit_insn(jit_comp *c, const pq_bpf_func *f, uint32_t pc);

/* Access groups (jit_group.c): marks jump targets; before emitting slot pc,
 * opens a group there when worthwhile (emitting its hull check); after
 * emitting pc, closes it; finally emits the slow copies. */
int pq_jit_groups_init(jit_comp *c);
void pq_jit_group_try(jit_comp *c, uint32_t pc);
static inline void pq_jit_group_open(jit_comp *c, uint32_t pc) {
  /* only a plain access not proven safe may open one: most slots are
   * decided here, without a call */
  const pq_bpf_insn *in = &c->p->insns[pc];
  uint8_t cls = BPF_CLASS(in->code);
  if ((cls == BPF_LDX || cls == BPF_ST || (cls == BPF_STX && BPF_MODE(in->code) == BPF_MEM)) &&
      !(in->pad & PQ_INSN_SAFE))
    pq_jit_group_try(c, pc);
}
static inline void pq_jit_group_close(jit_comp *c, uint32_t pc) {
  /* only a group of the code being emitted (a loop's copy emits the same
   * slots again: the ordinary code's groups are closed already) */
  if (c->ngroups > c->group_floor && c->groups[c->ngroups - 1].last == pc)
    c->groups[c->ngroups - 1].resume = c->b.len; /* an access, never an LDDW half */
}
void pq_jit_slow_copies(jit_comp *c);

/* Liveness (jit_live.c): the registers a program may read at each slot
 * before writing them (after a helper call, live r1..r5 must read as zero
 * and a live r9 must survive). Init reserves the memory (errors: NOMEM);
 * a function's sets are computed when one of its slots is first asked
 * about (most functions never are: no helper call, no byte loads to
 * combine). */
int pq_jit_live_init(jit_comp *c);
/* Registers live after the instruction at slot pc. */
uint16_t pq_jit_live_after(jit_comp *c, uint32_t pc);
/* 1 when none of `regs` is live after slot pc (the same answer, mostly
 * from the straight-line code that follows, without the whole function's
 * sets). */
int pq_jit_dead_after(jit_comp *c, uint32_t pc, unsigned regs);

/* Emits the inline bounds check of an access of 2^lw bytes at [base + off]
 * with a stub for the other regions; returns the stub index (SIZE_MAX: no
 * check emitted). `in` gives the analysis flags. */
size_t pq_jit_check(jit_comp *c, const pq_bpf_insn *in, int bpf_base, int16_t off, unsigned lw,
                    int write, uint32_t pc);

/* Peepholes (jit_peep.c): code for several instructions starting at pc
 * when one of them applies; each returns the slots consumed, or 0.
 * `compare` sets the flags of a conditional jump and returns its condition
 * code. Byte loads assembled into a field; an address folded into a load;
 * a conditional move. */
int pq_jit_peep_combine(jit_comp *c, const pq_bpf_func *f, uint32_t pc);
int pq_jit_peep_address(jit_comp *c, const pq_bpf_func *f, uint32_t pc);
int pq_jit_peep_select(jit_comp *c, const pq_bpf_func *f, uint32_t pc,
                       int (*compare)(jit_comp *, const pq_bpf_insn *));
/* Each starts with one kind of instruction: most instructions need none
 * (and no call). */
static inline uint32_t pq_jit_peephole(jit_comp *c, const pq_bpf_func *f, uint32_t pc,
                                       int (*compare)(jit_comp *, const pq_bpf_insn *)) {
  switch (c->p->insns[pc].code) {
  case BPF_LDX | BPF_MEM | BPF_B:
    return (uint32_t)pq_jit_peep_combine(c, f, pc);
  case BPF_ALU64 | BPF_MOV | BPF_X:
  case BPF_LDDW:
    return (uint32_t)pq_jit_peep_address(c, f, pc);
  case BPF_ALU64 | BPF_MOV | BPF_K:
  case BPF_ALU | BPF_MOV | BPF_K:
    return (uint32_t)pq_jit_peep_select(c, f, pc, compare);
  default:
    return 0;
  }
}

/* Helper calls: the ordinary call sequence (jit_x86_64.c); the inline
 * form when the helper's inliner gives one for this site, returning 1
 * (jit_inline.c); the inline forms' out-of-line calls, emitted last. */
void pq_jit_helper_call(jit_comp *c, const pq_bpf_insn *in, uint32_t pc);
int pq_jit_inline_call(jit_comp *c, const pq_bpf_insn *in, uint32_t pc);
void pq_jit_inline_stubs(jit_comp *c);
/* The registers a call of helper `id` reads (bit i: r_i): r1..r5 unless
 * the host declared fewer (pq_bpf_helpers_set_args). */
uint16_t pq_jit_helper_reads(const pq_bpf_prog *p, uint32_t id);

/* Code for one instruction class. */
void pq_jit_alu(jit_comp *c, const pq_bpf_insn *in);
void pq_jit_mem(jit_comp *c, const pq_bpf_insn *in, uint32_t pc);
void pq_jit_stubs(jit_comp *c);

/* Called from generated code: the slow path of a checked access (lent
 * regions past the first, exact limits). 0: allowed; 1: fault recorded. */
int pq_jit_mem_slow(pq_jit_ctx *ctx, uint64_t addr, uint32_t meta);
/* Records a misaligned atomic access. */
void pq_jit_align_fault(pq_jit_ctx *ctx, uint64_t addr, uint32_t meta);

/* meta = pc | log2 width << 24 | write << 28 */
#define J_META(pc, lw, write) ((uint32_t)(pc) | (uint32_t)(lw) << 24 | (uint32_t)(write) << 28)

#endif
