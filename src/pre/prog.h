/*
 * pre/prog.h - the loaded program (internal): instructions after relocation,
 * functions found by the verifier, entry points, globals image, helpers and
 * JIT code. Immutable once pq_bpf_load_* returns.
 */
#ifndef PQ_PRE_PROG_H
#define PQ_PRE_PROG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "pre/bpf.h"
#include "pre/insn.h"

/* A function: instruction slots [start, end). */
typedef struct pq_bpf_func {
  uint32_t start;
  uint32_t end;
  uint32_t frames; /* frames of the deepest call chain starting here (>= 1) */
  uint8_t writes;  /* bit i set when the function writes r(6 + i), i < 4 */
} pq_bpf_func;

typedef struct pq_bpf_entry {
  char *name;
  uint32_t func; /* index in funcs */
  int global;    /* an ELF global symbol (raw "main" counts as global) */
} pq_bpf_entry;

typedef struct pq_jit pq_jit;

/* What the JIT knows of a helper besides its function. */
typedef struct pq_bpf_helper_jit {
  pq_bpf_inliner_fn inliner; /* NULL: always a call */
  uint8_t nargs;             /* arguments it reads: r1..r(nargs) */
} pq_bpf_helper_jit;

struct pq_bpf_prog {
  pq_bpf_insn *insns;
  uint32_t ninsns;
  pq_bpf_func *funcs; /* sorted by start */
  uint32_t nfuncs;
  pq_bpf_entry *entries;
  uint32_t nentries;
  uint8_t *globals; /* image, globals_size bytes */
  size_t globals_size;
  size_t globals_off;
  uint32_t *ptr_fixups; /* image offsets of 8-byte region-relative pointers */
  size_t nptr_fixups;
  uint32_t *helpers_used; /* ascending */
  size_t nhelpers_used;
  pq_bpf_helper_fn *helper_fn; /* by id, helper_fn_len entries */
  uint32_t helper_fn_len;
  pq_bpf_helper_jit *helper_jit; /* by id, helper_fn_len entries; NULL: no inliner, 5 args */
  void *inline_user;             /* the inliners' argument (pq_bpf_load_opts.inline_user) */
  pq_jit *jit;
};

/* Formats "insn N: ..." into d (when given) and returns err. insn < 0: no
 * instruction prefix. */
int pq_bpf_diag_set(pq_bpf_diag *d, int insn, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A fresh program owning `insns` (ninsns slots); NULL on NOMEM. */
pq_bpf_prog *pq_bpf_prog_new(pq_bpf_insn *insns, uint32_t ninsns);

/* Adds entry `name` at slot `pc` (must be a function start after
 * verification). Errors: NOMEM, EXISTS. */
int pq_bpf_prog_add_entry(pq_bpf_prog *p, const char *name, uint32_t pc, int global);

/* Verifies p->insns: every rule of DESIGN.md section 6, in instruction order.
 * `starts` lists function starts known from symbols (besides slot 0 and call
 * targets). Fills p->funcs, resolves entries to functions, records the
 * helpers used. Errors: VERIFY (diag names the instruction and rule), NOMEM. */
int pq_bpf_verify(pq_bpf_prog *p, const uint32_t *starts, size_t nstarts, const pq_bpf_helpers *h,
                  pq_bpf_diag *d);

/* Looks up helper `id`; NULL when absent. */
pq_bpf_helper_fn pq_bpf_helpers_fn(const pq_bpf_helpers *h, uint32_t id);

/* Copies the inliners and argument counts of the helpers p uses (after
 * its helper functions) and the inliners' argument, for the JIT. Errors:
 * NOMEM. */
int pq_bpf_helpers_copy_jit(pq_bpf_prog *p, const pq_bpf_helpers *h, void *user);

/* Common tail of the loaders: verify, copy helper functions, JIT when asked.
 * Frees p on failure. */
int pq_bpf_prog_finish(pq_bpf_prog *p, const uint32_t *starts, size_t nstarts,
                       const pq_bpf_load_opts *o, pq_bpf_prog **out);

/* Index of the function holding slot pc (binary search); nfuncs if none. */
uint32_t pq_bpf_func_of(const pq_bpf_prog *p, uint32_t pc);

#endif
