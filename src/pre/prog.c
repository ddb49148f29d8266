/* The loaded program: construction, accessors, globals, destruction. */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "pre/jit.h"
#include "pre/prog.h"

int pq_bpf_diag_set(pq_bpf_diag *d, int insn, int err, const char *fmt, ...) {
  if (!d)
    return err;
  d->insn = insn;
  int n = 0;
  if (insn >= 0)
    n = snprintf(d->msg, sizeof(d->msg), "insn %d: ", insn);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->msg + n, sizeof(d->msg) - (size_t)n, fmt, ap);
  va_end(ap);
  return err;
}

pq_bpf_prog *pq_bpf_prog_new(pq_bpf_insn *insns, uint32_t ninsns) {
  pq_bpf_prog *p = pq_calloc(1, sizeof(*p));
  if (!p)
    return NULL;
  p->insns = insns;
  p->ninsns = ninsns;
  return p;
}

int pq_bpf_prog_add_entry(pq_bpf_prog *p, const char *name, uint32_t pc, int global) {
  for (uint32_t i = 0; i < p->nentries; i++)
    if (strcmp(p->entries[i].name, name) == 0)
      return PQUIC_ERR_EXISTS;
  pq_bpf_entry *e = pq_realloc(p->entries, (p->nentries + 1) * sizeof(*e));
  if (!e)
    return PQUIC_ERR_NOMEM;
  p->entries = e;
  size_t n = strlen(name);
  char *copy = pq_malloc(n + 1);
  if (!copy)
    return PQUIC_ERR_NOMEM;
  memcpy(copy, name, n + 1);
  e[p->nentries].name = copy;
  e[p->nentries].func = pc; /* a slot until pq_bpf_prog_finish maps it */
  e[p->nentries].global = global;
  p->nentries++;
  return 0;
}

void pq_bpf_prog_del(pq_bpf_prog *p) {
  if (!p)
    return;
  pq_jit_free(p->jit);
  for (uint32_t i = 0; i < p->nentries; i++)
    pq_free(p->entries[i].name);
  pq_free(p->entries);
  pq_free(p->insns);
  pq_free(p->funcs);
  pq_free(p->globals);
  pq_free(p->ptr_fixups);
  pq_free(p->helpers_used);
  pq_free(p->helper_fn);
  pq_free(p->helper_jit);
  pq_free(p);
}

uint32_t pq_bpf_func_of(const pq_bpf_prog *p, uint32_t pc) {
  uint32_t lo = 0, hi = p->nfuncs;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (p->funcs[mid].end <= pc)
      lo = mid + 1;
    else if (p->funcs[mid].start > pc)
      hi = mid;
    else
      return mid;
  }
  return p->nfuncs;
}

/* Entries: from slots to function indices. */
static int map_entries(pq_bpf_prog *p) {
  for (uint32_t i = 0; i < p->nentries; i++) {
    uint32_t f = pq_bpf_func_of(p, p->entries[i].func);
    if (f == p->nfuncs || p->funcs[f].start != p->entries[i].func)
      return PQUIC_ERR_INTERNAL;
    p->entries[i].func = f;
  }
  return 0;
}

/* Copies the functions of the helpers the program uses, so the registry may
 * go away after loading. */
static int copy_helpers(pq_bpf_prog *p, const pq_bpf_helpers *h) {
  if (!p->nhelpers_used)
    return 0;
  p->helper_fn_len = p->helpers_used[p->nhelpers_used - 1] + 1;
  p->helper_fn = pq_calloc(p->helper_fn_len, sizeof(pq_bpf_helper_fn));
  if (!p->helper_fn)
    return PQUIC_ERR_NOMEM;
  for (size_t i = 0; i < p->nhelpers_used; i++)
    p->helper_fn[p->helpers_used[i]] = pq_bpf_helpers_fn(h, p->helpers_used[i]);
  return 0;
}

int pq_bpf_prog_finish(pq_bpf_prog *p, const uint32_t *starts, size_t nstarts,
                       const pq_bpf_load_opts *o, pq_bpf_prog **out) {
  int unchecked = (o->flags & PQ_BPF_LOAD_UNCHECKED) != 0;
#ifndef PQ_BPF_BENCH_UNCHECKED
  if (unchecked) {
    pq_bpf_prog_del(p);
    return pq_bpf_diag_set(o->diag, -1, PQUIC_ERR_INVAL, "unchecked JIT code not available");
  }
#endif
  int rc = pq_bpf_verify(p, starts, nstarts, o->helpers, o->diag);
  if (!rc)
    rc = map_entries(p);
  if (!rc)
    rc = copy_helpers(p, o->helpers);
  if (!rc && (o->flags & PQ_BPF_LOAD_JIT))
    rc = pq_bpf_helpers_copy_jit(p, o->helpers, o->inline_user);
  if (!rc && (o->flags & PQ_BPF_LOAD_JIT) && pq_jit_supported()) {
    rc = pq_jit_compile(p, unchecked, &p->jit); /* range analysis included */
    if (rc)
      pq_bpf_diag_set(o->diag, -1, rc, "JIT compilation failed: %s", pquic_strerror(rc));
  }
  if (rc) {
    pq_bpf_prog_del(p);
    return rc;
  }
  *out = p;
  return 0;
}

size_t pq_bpf_prog_insn_count(const pq_bpf_prog *p) {
  return p ? p->ninsns : 0;
}
int pq_bpf_prog_has_jit(const pq_bpf_prog *p) {
  return p && p->jit;
}

int pq_bpf_prog_entry(const pq_bpf_prog *p, const char *name) {
  if (!p || !name)
    return PQUIC_ERR_NOT_FOUND;
  for (uint32_t i = 0; i < p->nentries; i++)
    if (strcmp(p->entries[i].name, name) == 0)
      return (int)i;
  return PQUIC_ERR_NOT_FOUND;
}

size_t pq_bpf_prog_entry_count(const pq_bpf_prog *p) {
  return p ? p->nentries : 0;
}

const char *pq_bpf_prog_entry_name(const pq_bpf_prog *p, size_t entry) {
  return p && entry < p->nentries ? p->entries[entry].name : NULL;
}

int pq_bpf_prog_entry_global(const pq_bpf_prog *p, size_t entry) {
  return p && entry < p->nentries && p->entries[entry].global;
}

size_t pq_bpf_prog_stack_size(const pq_bpf_prog *p, size_t entry) {
  if (!p || entry >= p->nentries)
    return 0;
  return (size_t)p->funcs[p->entries[entry].func].frames * PQ_BPF_STACK_FRAME;
}

size_t pq_bpf_prog_globals_offset(const pq_bpf_prog *p) {
  return p ? p->globals_off : 0;
}
size_t pq_bpf_prog_globals_size(const pq_bpf_prog *p) {
  return p ? p->globals_size : 0;
}
const uint8_t *pq_bpf_prog_globals_image(const pq_bpf_prog *p) {
  return p ? p->globals : NULL;
}

int pq_bpf_prog_globals_init(const pq_bpf_prog *p, uint8_t *region, size_t region_len) {
  if (!p || !region || p->globals_off > region_len || p->globals_size > region_len - p->globals_off)
    return PQUIC_ERR_INVAL;
  uint8_t *g = region + p->globals_off;
  if (p->globals_size)
    memcpy(g, p->globals, p->globals_size);
  for (size_t i = 0; i < p->nptr_fixups; i++) {
    uint64_t v;
    memcpy(&v, g + p->ptr_fixups[i], 8);
    v += (uint64_t)(uintptr_t)region;
    memcpy(g + p->ptr_fixups[i], &v, 8);
  }
  return 0;
}

size_t pq_bpf_prog_helpers_used(const pq_bpf_prog *p, const uint32_t **ids) {
  if (ids)
    *ids = p ? p->helpers_used : NULL;
  return p ? p->nhelpers_used : 0;
}
