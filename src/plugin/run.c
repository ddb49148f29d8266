/* Pluglet runs: the trampolines the operation table calls for bytecode and
 * native pluglets, the buffers an operation lends, and faults. */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "plugin/plugin_int.h"

_Thread_local pq_pl_run *pq_pl_cur;

void pq_pl_fault(pq_pl_run *r, int code) {
  if (!r->fault)
    r->fault = code;
}

static int in_region(uint64_t addr, uint64_t len, const uint8_t *base, size_t n) {
  uint64_t rel = addr - (uint64_t)(uintptr_t)base;
  return rel < n && len <= n - rel;
}

void *pq_pl_check(const pq_pl_run *r, uint64_t addr, uint64_t len, unsigned access) {
  const pq_bpf_instance *bi = &r->inst->bi;
  uint64_t w = len ? len : 1;
  if (r->inst->plugin->native)
    return (void *)(uintptr_t)addr; /* trusted code: its globals are not in the region */
  if (in_region(addr, w, bi->mem, bi->len))
    return (void *)(uintptr_t)addr;
  for (size_t i = 0; i < r->nlent; i++) {
    const pq_bpf_region *g = &r->lent[i];
    if ((g->flags & access) == access && in_region(addr, w, g->base, g->len))
      return (void *)(uintptr_t)addr;
  }
  return NULL;
}

/* Buffers an operation lends its pluglets: buffer inputs of core
 * operations (a datagram, a frame's bytes to parse, a buffer to write a
 * frame into), writable only by replace and external pluglets. */
static void lend_buffers(pq_pl_run *r, const pquic_op_args *a, int observer) {
  const pq_pl_opkinds *k = r->kinds;
  if (!k)
    return;
  for (uint32_t i = 0; i + 1 < k->n && i + 1 < a->n_in && r->nlent < PQ_BPF_MAX_LENT; i++) {
    if ((k->kind[i] != PQ_PK_RBUF && k->kind[i] != PQ_PK_WBUF) || !a->in[i])
      continue;
    unsigned flags = PQ_BPF_REGION_READ;
    if (k->kind[i] == PQ_PK_WBUF && !observer)
      flags |= PQ_BPF_REGION_WRITE;
    r->lent[r->nlent++] =
        (pq_bpf_region){(uint8_t *)(uintptr_t)a->in[i], (size_t)a->in[i + 1], flags};
  }
}

/* Records a plugin fault on the connection: the dispatcher stops, the
 * endpoint drops the plugins and closes the connection (handle_op_fault). */
static uint64_t fault_cnx(pq_pl_run *r, const pquic_op_args *a, int code, const char *what) {
  pq_cnx *cnx = r->cnx;
  pq_pl_cnx *pc = pq_pl_cnx_of(cnx);
  if (!cnx->op.fault) {
    cnx->op.fault = code;
    cnx->op.fault_op = a->op_id;
    cnx->op.fault_param = a->param;
  }
  /* The innermost pluglet that saw the fault names it (a loop the
   * dispatcher refused is reported by the pluglet that made the call). */
  if (pc && !pc->fault[0]) {
    int n = snprintf(pc->fault, sizeof pc->fault, "plugin %s (manifest line %u): %s",
                     r->inst->plugin->mf.name, r->pl->line, what);
    if (n >= (int)sizeof pc->fault) /* say the message was cut */
      memcpy(pc->fault + sizeof pc->fault - 4, "...", 4);
    PQ_LOG(PQ_LOG_WARN, "%s", pc->fault);
  }
  return (uint64_t)(int64_t)code;
}

/* The block the pluglet sees; unused slots are zero (no host stack bytes
 * reach the plugin). One fixed-size clear, inlined, costs less than two
 * variable-length ones. */
static void fill_args(pq_pl_args *blk, const pquic_op_args *a, int anchor) {
  memset(blk, 0, sizeof *blk);
  blk->op_id = a->op_id;
  blk->anchor = (uint32_t)anchor;
  blk->n_in = a->n_in;
  blk->n_out = a->n_out;
  blk->param = a->param;
  for (uint32_t i = 0; i < a->n_in; i++)
    blk->in[i] = a->in[i];
  for (uint32_t i = 0; i < a->n_out; i++)
    blk->out[i] = a->out[i];
  blk->ret = a->ret;
}

/* Common start of a run: the environment, the args block, lent buffers. */
static void run_begin(pq_pl_run *r, pq_pl_args *blk, pq_cnx *cnx, const pquic_op_args *a,
                      const pq_pl_hook *h) {
  int observer = h->pl->anchor == PQUIC_ANCHOR_PRE || h->pl->anchor == PQUIC_ANCHOR_POST;
  pq_pl_cnx *pc = (pq_pl_cnx *)cnx->pl;
  r->inst = h->inst;
  r->cnx = cnx;
  r->pl = h->pl;
  r->call = a;
  /* A hook runs for its pluglet's operation: the kinds found at load. */
  r->kinds = a->op_id == h->pl->op_id ? h->pl->kinds : pq_pl_op_kinds(a->op_id);
  r->deny = h->inst->plugin->deny;
  r->args = blk;
  r->parent = pc->run;
  r->fault = 0;
  r->nlent = 0;
  fill_args(blk, a, h->pl->anchor);
  r->lent[r->nlent++] = (pq_bpf_region){(uint8_t *)blk, sizeof *blk,
                                        observer ? PQ_BPF_REGION_READ : PQ_BPF_REGION_RW};
  lend_buffers(r, a, observer);
  pc->run = r;
}

/* Common end: outputs back to the caller for replace/external pluglets. */
static void run_end(pq_pl_run *r, pquic_op_args *a) {
  ((pq_pl_cnx *)r->cnx->pl)->run = r->parent;
  int exclusive = r->pl->anchor == PQUIC_ANCHOR_REPLACE || r->pl->anchor == PQUIC_ANCHOR_EXTERNAL;
  if (exclusive && a->n_out)
    memcpy(a->out, r->args->out, a->n_out * sizeof(uint64_t));
}

uint64_t pq_pl_tramp_bpf(pq_cnx *cnx, pquic_op_args *a, void *user) {
  const pq_pl_hook *h = user;
  const struct pquic_plugin *p = h->inst->plugin;
  const pquic_plugin_settings *set = &p->ep->settings;
  pq_pl_args blk;
  pq_pl_run r;
  run_begin(&r, &blk, cnx, a, h);
  pq_bpf_run_args ra = {.args = {(uint64_t)(uintptr_t)&blk},
                        .lent = r.lent,
                        .nlent = r.nlent,
                        .budget = set->budget,
                        .user = &r,
                        .engine = set->interpreter ? PQ_BPF_ENGINE_INTERP : PQ_BPF_ENGINE_AUTO};
  uint64_t r0 = 0;
  pq_bpf_fault f; /* pq_bpf_run fills it */
  pq_pl_run *saved = pq_pl_cur;
  pq_pl_cur = &r;
  int rc = pq_bpf_call_run(&h->call, &ra, &r0, &f);
  pq_pl_cur = saved;
  run_end(&r, a);
  if (rc || r.fault) {
    char what[200];
    if (r.fault) {
      const char *helper = pq_bpf_helpers_name(p->ep->helpers, f.helper);
      snprintf(what, sizeof what, "%s (helper %s at insn %u)", pquic_strerror(r.fault),
               helper ? helper : "?", f.insn);
      rc = r.fault;
    } else {
      pq_bpf_fault_describe(&f, what, sizeof what);
    }
    return fault_cnx(&r, a, rc, what); /* keeps a nested call's earlier fault */
  }
  if (cnx->op.fault)
    return (uint64_t)(int64_t)cnx->op.fault;
  return r0;
}

uint64_t pq_pl_tramp_native(pq_cnx *cnx, pquic_op_args *a, void *user) {
  const pq_pl_hook *h = user;
  pq_pl_args blk;
  pq_pl_run r;
  run_begin(&r, &blk, cnx, a, h);
  pq_pl_run *saved = pq_pl_cur;
  pq_pl_cur = &r;
  uint64_t v = h->pl->native(&blk);
  pq_pl_cur = saved;
  run_end(&r, a);
  if (r.fault) {
    char what[120];
    snprintf(what, sizeof what, "%s (native pluglet)", pquic_strerror(r.fault));
    return fault_cnx(&r, a, r.fault, what);
  }
  if (cnx->op.fault)
    return (uint64_t)(int64_t)cnx->op.fault;
  return v;
}
