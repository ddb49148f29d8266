/*
 * pre/run.h - the state of one run, shared by the interpreter, the JIT and
 * helpers: regions, budget, fault. Internal.
 */
#ifndef PQ_PRE_RUN_H
#define PQ_PRE_RUN_H

#include "pre/prog.h"

struct pq_bpf_env {
  const pq_bpf_prog *prog;
  pq_bpf_instance *inst;
  const pq_bpf_region *lent;
  size_t nlent;
  void *user;
  int faulted; /* set by pq_bpf_env_fault */
  uint64_t fault_addr;
  uint32_t site; /* call being served: instruction | helper id << PQ_RUN_SITE_SHIFT */
};

/* One 32-bit store names the call a helper serves (the JIT writes it as an
 * immediate): instruction indices fit in 20 bits, helper ids in 12. */
#define PQ_RUN_SITE_SHIFT 20
#define PQ_RUN_SITE(insn, helper) ((uint32_t)(insn) | (uint32_t)(helper) << PQ_RUN_SITE_SHIFT)
_Static_assert(PQ_BPF_MAX_INSNS <= (1u << PQ_RUN_SITE_SHIFT), "instruction index fits the site");
_Static_assert(PQ_BPF_MAX_HELPER_ID < (1u << (32 - PQ_RUN_SITE_SHIFT)), "helper id fits the site");

typedef struct pq_run {
  pq_bpf_env env;
  pq_bpf_fault fault;
  uint64_t args[5];
  const uint64_t *inst_lim; /* the instance's limits (pq_bpf_call.lim) */
  uint64_t fp;              /* r10 of the entry frame */
  uint64_t budget;          /* remaining */
  uint64_t r0;
} pq_run;

/* 1 when [addr, addr + w) lies in [base, base + len). */
static inline int pq_run_in(uint64_t addr, uint64_t w, const uint8_t *base, size_t len) {
  uint64_t rel = addr - (uint64_t)(uintptr_t)base;
  return rel < len && w <= len - rel;
}

/* 1 when an access of width w at addr is allowed (instance region, or a lent
 * region that permits `access`). */
int pq_run_mem_ok(const pq_bpf_env *env, uint64_t addr, uint64_t w, unsigned access);

/* Limits so that `offset < lim` means [offset, offset + w) fits in len
 * (w = 1, 2, 4, 8). */
void pq_run_limits(uint64_t lim[4], uint64_t len);

/* Records a fault in r and returns its error code. */
int pq_run_fault(pq_run *r, int err, uint32_t insn, uint64_t addr, unsigned width, int write);

/* Runs function `func` in the interpreter. Returns 0 (r->r0 set) or a fault. */
int pq_interp_run(const pq_bpf_prog *p, uint32_t func, pq_run *r);

#endif
