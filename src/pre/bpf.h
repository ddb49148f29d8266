/*
 * pre/bpf.h - the pluglet runtime environment (PRE): load, verify, compile and
 * run eBPF programs (RFC 9669) inside a checked memory region.
 *
 * Life cycle:
 *   1. Build a helper registry (pq_bpf_helpers_*): names, stable ids, C functions.
 *   2. Load a program from a clang ELF object or raw instructions
 *      (pq_bpf_load_elf / pq_bpf_load_raw). Loading resolves relocations,
 *      verifies every rule before anything runs, and (optionally) JIT-compiles.
 *      The resulting pq_bpf_prog is immutable: share it between connections
 *      and threads freely.
 *   3. For each connection, give the program an instance region (pq_bpf_instance):
 *      one contiguous block holding the globals of every object of a plugin,
 *      a heap and the stacks. pq_bpf_prog_globals_init() writes this program's
 *      .rodata/.data/.bss image at the offset chosen at load time.
 *   4. Run an entry point (pq_bpf_run) with arguments, optional lent regions
 *      (host buffers the program may read or write for this run only) and an
 *      instruction budget.
 *
 * Pointers seen by programs are plain host addresses. Every load and store
 * that the verifier has not proven safe (accesses through r10 are proven) is
 * checked against the instance region and the lent regions with its width;
 * a violation stops the run with a fault, never a signal.
 */
#ifndef PQ_PRE_BPF_H
#define PQ_PRE_BPF_H

#include <stddef.h>
#include <stdint.h>

#include "pquic/errors.h"

/* Hard limits. */
#define PQ_BPF_MAX_INSNS 1000000u      /* instructions in one program (as the kernel) */
#define PQ_BPF_STACK_FRAME 512u        /* bytes of stack per frame */
#define PQ_BPF_MAX_FRAMES 8u           /* nested frames, the entry frame included */
#define PQ_BPF_MAX_HELPER_ID 4095u     /* helper ids are 0..PQ_BPF_MAX_HELPER_ID */
#define PQ_BPF_MAX_LENT 4u             /* lent regions in one run */
#define PQ_BPF_MAX_GLOBALS (16u << 20) /* bytes of .rodata/.data/.bss of one object */

/* src_reg of an LDDW whose 64-bit immediate is an offset in the instance
 * region (dst = region base + imm64). The ELF loader emits it for addresses of
 * globals; raw programs may use it. An extension: RFC 9669 defines 0..6. */
#define PQ_BPF_PSEUDO_REGION 0xe

typedef struct pq_bpf_prog pq_bpf_prog;
typedef struct pq_bpf_helpers pq_bpf_helpers;
typedef struct pq_bpf_env pq_bpf_env;

/* ---- helpers ------------------------------------------------------------ */

/* A helper: arguments are the program's r1..r5, the result goes to r0. A
 * helper that detects a bad argument calls pq_bpf_env_fault() and returns;
 * the program then stops cleanly with PQUIC_ERR_HELPER (both engines check
 * after every helper call). After a helper call r1..r5 read as zero. */
typedef uint64_t (*pq_bpf_helper_fn)(pq_bpf_env *env, uint64_t a1, uint64_t a2, uint64_t a3,
                                     uint64_t a4, uint64_t a5);

/* A new, empty registry; NULL on allocation failure. */
pq_bpf_helpers *pq_bpf_helpers_new(void);
void pq_bpf_helpers_del(pq_bpf_helpers *h);

/* Registers `fn` under `name` (1..63 characters) with the stable id `id`
 * (0..PQ_BPF_MAX_HELPER_ID). Errors: INVAL (bad id, name or NULL fn),
 * EXISTS (id or name already taken), NOMEM. */
int pq_bpf_helpers_add(pq_bpf_helpers *h, uint32_t id, const char *name, pq_bpf_helper_fn fn);

/* The id registered under `name`, or NOT_FOUND. */
int pq_bpf_helpers_find(const pq_bpf_helpers *h, const char *name);

/* The name of helper `id`, or NULL. */
const char *pq_bpf_helpers_name(const pq_bpf_helpers *h, uint32_t id);

/* Helper inlining: at a call site where the JIT knows some of r1..r2 are
 * constants, a helper's inliner may give a recipe the JIT emits instead of
 * the call:
 *
 *   ptr = *(uint8_t **)(env.user + user_off);
 *   obj = ptr, or with a handle check (elem_size != 0) obj = r1 when
 *         r1 == ptr + array_off + i * elem_size for some i below the
 *         uint32_t at ptr + count_off, else the ordinary call;
 *   if (guard && (*guard & guard_mask)) the ordinary call;
 *   r0 = the width-byte integer at obj + off, zero- or sign-extended, and
 *   r1..r5 read as zero.
 *
 * The host vouches that for every run of the program env.user holds that
 * pointer (and the count never exceeds max_count) and that the helper
 * would return exactly this value without faulting whenever the checks
 * pass. The guard byte is read at run time (a policy bit that may change
 * at any moment) and must outlive the program. The interpreter always
 * calls the helper. */
typedef struct pq_bpf_inline {
  int32_t user_off;              /* ptr: the pointer at env.user + user_off */
  int32_t off;                   /* the value: at obj + off */
  uint8_t width;                 /* 1, 2, 4 or 8 bytes */
  uint8_t sign;                  /* 1: sign-extend to 64 bits, 0: zero-extend */
  uint8_t guard_mask;            /* bits of *guard that send the site to the call */
  const volatile uint8_t *guard; /* NULL: no guard */
  uint32_t elem_size;            /* 0: obj is ptr; else the handle check on r1 */
  uint32_t max_count;            /* elem_size * max_count must be below 2^31 */
  int32_t array_off, count_off;  /* the array and its uint32_t count in ptr */
} pq_bpf_inline;

/* Decides one call site while loading: returns 1 with *out filled when the
 * call may be replaced, 0 to keep the call. r[i] is r(i + 1) when bit i of
 * `known` is set (r1 and r2 are tracked). `user` is the load's
 * pq_bpf_load_opts.inline_user. */
typedef int (*pq_bpf_inliner_fn)(void *user, const uint64_t r[2], unsigned known,
                                 pq_bpf_inline *out);

/* Attaches an inliner to the registered helper `id` (NULL removes it).
 * Errors: INVAL (no such helper). */
int pq_bpf_helpers_set_inliner(pq_bpf_helpers *h, uint32_t id, pq_bpf_inliner_fn fn);

/* Declares that helper `id` reads only its first `nargs` arguments (5 until
 * said): the JIT then leaves r(nargs + 1)..r5 undefined at its calls, so
 * fewer registers are cleared after the calls before them. The helper
 * must not read the others: they may hold any value. Errors: INVAL (no
 * such helper, nargs > 5). */
int pq_bpf_helpers_set_args(pq_bpf_helpers *h, uint32_t id, unsigned nargs);

/* ---- loading ------------------------------------------------------------ */

enum {
  PQ_BPF_LOAD_JIT = 1u << 0, /* compile to x86-64 (ignored where unsupported) */
  /* Benchmarks only: JIT code without run-time bounds checks, to measure
   * what they cost. Refused (INVAL) unless the library was built with
   * PQ_BPF_BENCH_UNCHECKED (bench/pre builds such a copy for itself). */
  PQ_BPF_LOAD_UNCHECKED = 1u << 1,
};

/* One line describing why a load failed: which rule, which instruction. */
typedef struct pq_bpf_diag {
  int insn;      /* instruction index the error is about, or -1 */
  char msg[224]; /* "insn 12: r10 is read-only (rule: r10-write)" */
} pq_bpf_diag;

typedef struct pq_bpf_load_opts {
  const pq_bpf_helpers *helpers; /* helpers calls may use; NULL: none. Copied. */
  size_t globals_offset;         /* where this object's globals start in the region */
  unsigned flags;                /* PQ_BPF_LOAD_* */
  pq_bpf_diag *diag;             /* optional: filled on failure */
  void *inline_user;             /* given to the helpers' inliners (JIT only) */
} pq_bpf_load_opts;

/* Loads a relocatable eBPF ELF object (clang -target bpf -O2 -c): all
 * executable sections become one program; .rodata*, .data*, .bss* form the
 * globals image placed at opts->globals_offset in the instance region;
 * relocations R_BPF_64_64, R_BPF_64_32 and R_BPF_64_ABS64 are applied;
 * helper calls are resolved by symbol name against opts->helpers.
 * Errors: INVAL (NULL arguments), ELF (malformed object, unsupported
 * section, relocation or symbol, unknown helper, function pointer), VERIFY
 * (a verifier rule), JIT, NOMEM. The diagnostic names the culprit. */
int pq_bpf_load_elf(const uint8_t *data, size_t len, const pq_bpf_load_opts *opts,
                    pq_bpf_prog **out);

/* Loads raw little-endian instructions (len a multiple of 8). The program has
 * one entry point, "main", at instruction 0, no globals, and helper calls by
 * id. LDDW with src_reg PQ_BPF_PSEUDO_REGION loads instance base + imm64.
 * Errors: INVAL, VERIFY, JIT, NOMEM. */
int pq_bpf_load_raw(const uint8_t *insns, size_t len, const pq_bpf_load_opts *opts,
                    pq_bpf_prog **out);

void pq_bpf_prog_del(pq_bpf_prog *p);

/* Number of instruction slots (an LDDW counts two). */
size_t pq_bpf_prog_insn_count(const pq_bpf_prog *p);
/* 1 when the program carries JIT code. */
int pq_bpf_prog_has_jit(const pq_bpf_prog *p);

/* Entry points are function symbols (any function of an ELF object; "main"
 * for raw programs). Returns the entry index (>= 0) or NOT_FOUND. */
int pq_bpf_prog_entry(const pq_bpf_prog *p, const char *name);
size_t pq_bpf_prog_entry_count(const pq_bpf_prog *p);
const char *pq_bpf_prog_entry_name(const pq_bpf_prog *p, size_t entry);
/* 1 for a global (or weak) function symbol, 0 for a static one. */
int pq_bpf_prog_entry_global(const pq_bpf_prog *p, size_t entry);
/* Stack bytes a run of `entry` reserves: frames of its deepest call chain
 * times PQ_BPF_STACK_FRAME. 0 for a bad entry. */
size_t pq_bpf_prog_stack_size(const pq_bpf_prog *p, size_t entry);

/* Globals: the image (.rodata, .data, then .bss zeros) this program expects at
 * [offset, offset + size) of the instance region. */
size_t pq_bpf_prog_globals_offset(const pq_bpf_prog *p);
size_t pq_bpf_prog_globals_size(const pq_bpf_prog *p);
const uint8_t *pq_bpf_prog_globals_image(const pq_bpf_prog *p);
/* Copies the image into a fresh region and rebases its pointer tables
 * (R_BPF_64_ABS64) on `region`. Errors: INVAL (region too small). */
int pq_bpf_prog_globals_init(const pq_bpf_prog *p, uint8_t *region, size_t region_len);

/* The distinct helper ids the program calls, ascending (the host may refuse
 * some before running it). Sets *ids (owned by the program), returns count. */
size_t pq_bpf_prog_helpers_used(const pq_bpf_prog *p, const uint32_t **ids);

/* Helper call sites the JIT code does without a call (inlined), as many
 * times as each was emitted (a versioned loop emits its body twice). */
size_t pq_bpf_prog_helpers_inlined(const pq_bpf_prog *p);

/* ---- running ------------------------------------------------------------ */

enum {
  PQ_BPF_REGION_READ = 1u << 0,
  PQ_BPF_REGION_WRITE = 1u << 1,
  PQ_BPF_REGION_RW = PQ_BPF_REGION_READ | PQ_BPF_REGION_WRITE,
};

/* A host buffer lent to one run. */
typedef struct pq_bpf_region {
  uint8_t *base;
  size_t len;
  unsigned flags; /* PQ_BPF_REGION_* */
} pq_bpf_region;

/* The per-connection instance region. Stacks live inside it, in
 * [stack_lo, stack_top): each run reserves its frames just below stack_top and
 * lowers stack_top while it runs (so a helper may run another program on the
 * same instance), then restores it. Not thread-safe: one run at a time per
 * instance (nested runs from helpers are fine). */
typedef struct pq_bpf_instance {
  uint8_t *mem;
  size_t len;
  size_t stack_lo;  /* offset of the lowest stack byte */
  size_t stack_top; /* offset just past the highest free stack byte */
} pq_bpf_instance;

enum {
  PQ_BPF_ENGINE_AUTO = 0, /* JIT when compiled, else the interpreter */
  PQ_BPF_ENGINE_INTERP,
  PQ_BPF_ENGINE_JIT,
};

typedef struct pq_bpf_run_args {
  uint64_t args[5];          /* r1..r5 */
  const pq_bpf_region *lent; /* regions lent for this run, may be NULL */
  size_t nlent;              /* at most PQ_BPF_MAX_LENT */
  uint64_t budget;           /* interpreter: instructions; JIT: back-edges and calls */
  void *user;                /* opaque pointer for helpers (the connection) */
  int engine;                /* PQ_BPF_ENGINE_* */
} pq_bpf_run_args;

/* Why a run stopped early. */
typedef struct pq_bpf_fault {
  int err;         /* FAULT (bounds), ALIGN, BUDGET, HELPER, or 0 */
  uint32_t insn;   /* instruction index */
  uint64_t addr;   /* faulting address (FAULT, ALIGN; HELPER: as given by the helper) */
  uint8_t width;   /* access width in bytes (FAULT, ALIGN) */
  uint8_t write;   /* 1 for a store */
  uint32_t helper; /* helper id (HELPER) */
} pq_bpf_fault;

/* Runs entry `entry` of `p` on `inst`. On success stores r0 and returns 0.
 * Errors: INVAL (bad entry or arguments, region smaller than the globals),
 * UNSUPPORTED (JIT requested but not compiled), STACK (not enough stack
 * space left in the instance), and the faults FAULT, ALIGN, BUDGET, HELPER,
 * described in *fault when given. The instance and lent memory keep every
 * store made before the fault. */
int pq_bpf_run(const pq_bpf_prog *p, size_t entry, pq_bpf_instance *inst,
               const pq_bpf_run_args *args, uint64_t *r0, pq_bpf_fault *fault);

/* A run of one entry on one instance, checked once for calls repeated on
 * every packet: pq_bpf_call_run() then checks only what a run may change (the
 * lent regions, the stack left, the engine). The program and the instance
 * must outlive it, and the instance's mem and len must not change. */
typedef struct pq_bpf_call {
  const pq_bpf_prog *prog;
  pq_bpf_instance *inst;
  uint32_t func;   /* function of the entry */
  uint32_t need;   /* stack bytes of its frames */
  uint64_t lim[4]; /* the instance's access limits per width, for the JIT */
} pq_bpf_call;

/* Checks entry `entry` of `p` on `inst` as pq_bpf_run does and fills *c.
 * Errors: INVAL. */
int pq_bpf_call_init(pq_bpf_call *c, const pq_bpf_prog *p, size_t entry, pq_bpf_instance *inst);
/* pq_bpf_run for a prepared call: same results, same errors. */
int pq_bpf_call_run(const pq_bpf_call *c, const pq_bpf_run_args *args, uint64_t *r0,
                    pq_bpf_fault *fault);

/* One line about a fault: "bounds fault at insn 7: 8-byte read of 0x...". */
void pq_bpf_fault_describe(const pq_bpf_fault *f, char *buf, size_t len);

/* ---- helper environment ------------------------------------------------- */

void *pq_bpf_env_user(const pq_bpf_env *env);
pq_bpf_instance *pq_bpf_env_instance(const pq_bpf_env *env);
/* Index of the call instruction being served. */
uint32_t pq_bpf_env_insn(const pq_bpf_env *env);

/* The host pointer for [addr, addr + len) when it lies entirely in the
 * instance region or in one lent region that allows `access` (a
 * PQ_BPF_REGION_* mask); NULL otherwise. len 0 checks addr only. */
void *pq_bpf_env_check(const pq_bpf_env *env, uint64_t addr, uint64_t len, unsigned access);

/* Marks the run faulty (PQUIC_ERR_HELPER, with `addr` for the report). The
 * program stops when the helper returns. */
void pq_bpf_env_fault(pq_bpf_env *env, uint64_t addr);

#endif
