/* pq_bpf_run: argument checks, stack reservation, engine dispatch; the
 * helper environment. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pre/jit.h"
#include "pre/run.h"

int pq_run_mem_ok(const pq_bpf_env *env, uint64_t addr, uint64_t w, unsigned access) {
  if (pq_run_in(addr, w, env->inst->mem, env->inst->len))
    return 1;
  for (size_t i = 0; i < env->nlent; i++) {
    const pq_bpf_region *g = &env->lent[i];
    if ((g->flags & access) == access && pq_run_in(addr, w, g->base, g->len))
      return 1;
  }
  return 0;
}

int pq_run_fault(pq_run *r, int err, uint32_t insn, uint64_t addr, unsigned width, int write) {
  r->fault.err = err;
  r->fault.insn = insn;
  r->fault.addr = addr;
  r->fault.width = (uint8_t)width;
  r->fault.write = (uint8_t)write;
  return err;
}

/* Limits so that `offset < lim` means [offset, offset + w) fits in len
 * (w = 1, 2, 4, 8). */
void pq_run_limits(uint64_t lim[4], uint64_t len) {
  lim[0] = len;
  lim[1] = len >= 2 ? len - 1 : 0;
  lim[2] = len >= 4 ? len - 3 : 0;
  lim[3] = len >= 8 ? len - 7 : 0;
}

int pq_bpf_call_init(pq_bpf_call *c, const pq_bpf_prog *p, size_t entry, pq_bpf_instance *inst) {
  if (!c || !p || !inst || entry >= p->nentries || !inst->mem)
    return PQUIC_ERR_INVAL;
  if ((uint64_t)(uintptr_t)inst->mem + inst->len < (uint64_t)(uintptr_t)inst->mem)
    return PQUIC_ERR_INVAL;
  if (p->globals_off > inst->len || p->globals_size > inst->len - p->globals_off)
    return PQUIC_ERR_INVAL;
  if (inst->stack_lo > inst->stack_top || inst->stack_top > inst->len)
    return PQUIC_ERR_INVAL;
  c->prog = p;
  c->inst = inst;
  c->func = p->entries[entry].func;
  c->need = p->funcs[c->func].frames * PQ_BPF_STACK_FRAME;
  pq_run_limits(c->lim, inst->len);
  return 0;
}

/* The engine a run uses, or an error. */
static int pick_engine(const pq_bpf_prog *p, int engine) {
  if (engine == PQ_BPF_ENGINE_AUTO)
    engine = p->jit ? PQ_BPF_ENGINE_JIT : PQ_BPF_ENGINE_INTERP;
  if (engine == PQ_BPF_ENGINE_JIT && !p->jit)
    return PQUIC_ERR_UNSUPPORTED;
  if (engine != PQ_BPF_ENGINE_JIT && engine != PQ_BPF_ENGINE_INTERP)
    return PQUIC_ERR_INVAL;
  return engine;
}

/* What changes from run to run: the lent regions, the stack left, the
 * engine. Returns the engine or an error. */
static int check_run(const pq_bpf_call *c, const pq_bpf_run_args *a) {
  if (!c || !a || a->nlent > PQ_BPF_MAX_LENT || (a->nlent && !a->lent))
    return PQUIC_ERR_INVAL;
  for (size_t i = 0; i < a->nlent; i++) {
    uint64_t b = (uint64_t)(uintptr_t)a->lent[i].base;
    if ((!a->lent[i].base && a->lent[i].len) || b + a->lent[i].len < b)
      return PQUIC_ERR_INVAL;
  }
  const pq_bpf_instance *inst = c->inst;
  if (inst->stack_lo > inst->stack_top || inst->stack_top - inst->stack_lo < c->need)
    return PQUIC_ERR_STACK;
  return pick_engine(c->prog, a->engine);
}

int pq_bpf_call_run(const pq_bpf_call *c, const pq_bpf_run_args *a, uint64_t *r0,
                    pq_bpf_fault *fault) {
  int engine = check_run(c, a);
  if (engine < 0) {
    if (fault)
      memset(fault, 0, sizeof(*fault));
    return engine;
  }
  pq_bpf_instance *inst = c->inst;
  /* Everything else zero: no fault, no helper site yet. */
  pq_run r = {
      .env = {.prog = c->prog, .inst = inst, .lent = a->lent, .nlent = a->nlent, .user = a->user},
      .inst_lim = c->lim,
      .budget = a->budget,
      .fp = (uint64_t)(uintptr_t)(inst->mem + inst->stack_top)};
  memcpy(r.args, a->args, sizeof(r.args));
  /* Frames occupy [top - need, top); a nested run from a helper goes below. */
  inst->stack_top -= c->need;
  int rc;
  if (engine == PQ_BPF_ENGINE_JIT)
    rc = pq_jit_run(c->prog, c->func, &r);
  else
    rc = pq_interp_run(c->prog, c->func, &r);
  inst->stack_top += c->need;
  if (rc == 0 && r0)
    *r0 = r.r0;
  if (fault)
    *fault = r.fault;
  return rc;
}

int pq_bpf_run(const pq_bpf_prog *p, size_t entry, pq_bpf_instance *inst, const pq_bpf_run_args *a,
               uint64_t *r0, pq_bpf_fault *fault) {
  pq_bpf_call c;
  int rc = pq_bpf_call_init(&c, p, entry, inst);
  if (rc) {
    if (fault)
      memset(fault, 0, sizeof(*fault));
    return rc;
  }
  return pq_bpf_call_run(&c, a, r0, fault);
}

void pq_bpf_fault_describe(const pq_bpf_fault *f, char *buf, size_t len) {
  if (!buf || !len)
    return;
  if (!f) {
    buf[0] = 0;
    return;
  }
  switch (f->err) {
  case PQUIC_ERR_FAULT:
    snprintf(buf, len, "bounds fault at insn %" PRIu32 ": %u-byte %s of 0x%" PRIx64, f->insn,
             f->width, f->write ? "write" : "read", f->addr);
    break;
  case PQUIC_ERR_ALIGN:
    snprintf(buf, len, "alignment fault at insn %" PRIu32 ": %u-byte atomic at 0x%" PRIx64, f->insn,
             f->width, f->addr);
    break;
  case PQUIC_ERR_BUDGET:
    snprintf(buf, len, "instruction budget exhausted at insn %" PRIu32, f->insn);
    break;
  case PQUIC_ERR_HELPER:
    snprintf(buf, len,
             "helper %" PRIu32 " rejected its arguments at insn %" PRIu32 " (address 0x%" PRIx64
             ")",
             f->helper, f->insn, f->addr);
    break;
  default:
    snprintf(buf, len, "%s", pquic_strerror(f->err));
    break;
  }
}

void *pq_bpf_env_user(const pq_bpf_env *env) {
  return env ? env->user : NULL;
}
pq_bpf_instance *pq_bpf_env_instance(const pq_bpf_env *env) {
  return env ? env->inst : NULL;
}
uint32_t pq_bpf_env_insn(const pq_bpf_env *env) {
  return env ? env->site & ((1u << PQ_RUN_SITE_SHIFT) - 1) : 0;
}

void *pq_bpf_env_check(const pq_bpf_env *env, uint64_t addr, uint64_t len, unsigned access) {
  if (!env || !access)
    return NULL;
  if (!pq_run_mem_ok(env, addr, len ? len : 1, access) &&
      !(len == 0 && addr != 0 && pq_run_mem_ok(env, addr - 1, 1, access)))
    return NULL;
  return (void *)(uintptr_t)addr; // NOLINT(performance-no-int-to-ptr): checked above
}

void pq_bpf_env_fault(pq_bpf_env *env, uint64_t addr) {
  if (!env)
    return;
  env->faulted = 1;
  env->fault_addr = addr;
}
