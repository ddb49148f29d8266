/* Plugin instances on connections: a fresh region per attach, the
 * pluglets hooked into the connection's operation table all or nothing,
 * and their removal. */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "plugin/plugin_int.h"

pq_pl_cnx *pq_pl_cnx_of(pq_cnx *cnx) {
  return cnx && cnx->pl ? (pq_pl_cnx *)cnx->pl : NULL;
}

static void inst_free(pq_pl_inst *in) {
  pq_free(in->queue);
  pq_free(in->bi.mem);
  pq_free(in);
}

static pq_pl_inst *inst_new(struct pquic_plugin *p, pq_cnx *cnx) {
  pq_pl_inst *in = pq_calloc(1, sizeof *in + p->n_pluglets * sizeof in->hooks[0]);
  if (!in)
    return NULL;
  uint8_t *mem = pq_malloc(p->memory);
  if (!mem) {
    pq_free(in);
    return NULL;
  }
  in->plugin = p;
  in->cnx = cnx;
  in->bi = (pq_bpf_instance){mem, p->memory, p->stack_lo, p->memory};
  /* Globals from each object's image; the stacks zeroed; the heap is
   * zeroed as it is carved. Nothing of the host's old bytes is visible. */
  memset(mem, 0, p->globals);
  for (size_t i = 0; i < p->n_progs; i++)
    (void)pq_bpf_prog_globals_init(p->progs[i], mem, p->memory);
  memset(mem + p->stack_lo, 0, PQ_PL_STACK);
  pq_pl_heap_init(&in->heap, mem, p->globals, p->stack_lo);
  for (size_t i = 0; i < p->n_pluglets; i++) {
    const pq_pl_pluglet *pl = &p->pluglets[i];
    in->hooks[i] = (pq_pl_hook){.inst = in, .pl = pl};
    if (!p->native &&
        pq_bpf_call_init(&in->hooks[i].call, p->progs[pl->obj], (size_t)pl->entry, &in->bi) != 0) {
      inst_free(in); /* cannot happen for a loaded plugin: its region fits */
      return NULL;
    }
  }
  return in;
}

static const char *owner_name(const pq_cnx *cnx, uint32_t owner) {
  for (size_t i = 0; i < cnx->n_plugins; i++) {
    if (cnx->plugins[i].owner == owner)
      return cnx->plugins[i].name;
  }
  return "another plugin";
}

/* Why pluglet `i` could not attach. */
static void explain(pq_cnx *cnx, const struct pquic_plugin *p, size_t i, int rc, char *err,
                    size_t errlen) {
  if (!err || !errlen)
    return;
  if (i >= p->n_pluglets) {
    snprintf(err, errlen, "%s", pquic_strerror(rc));
    return;
  }
  const pq_mf_pluglet *m = &p->mf.pluglets[i];
  const pq_pl_pluglet *pl = &p->pluglets[i];
  char param[32] = "";
  if (pl->has_param)
    snprintf(param, sizeof param, " param 0x%llx", (unsigned long long)pl->param);
  if (rc == PQUIC_ERR_OP_REPLACED) {
    const pq_op_entry *e =
        pl->op_id < cnx->op.table->n_entries
            ? (pl->has_param ? pq_op_table_lookup(cnx->op.table, pl->op_id, pl->param)
                             : &cnx->op.table->entries[pl->op_id])
            : NULL;
    snprintf(err, errlen, "manifest line %u: %s%s %s: already %s by %s; plugin %s not attached",
             m->line, m->op, param, pq_pl_anchor_name(pl->anchor),
             e && e->external ? "declared external" : "replaced",
             e ? owner_name(cnx, e->replace_owner) : "another plugin", p->mf.name);
  } else {
    snprintf(err, errlen, "manifest line %u: %s%s %s: %s", m->line, m->op, param,
             pq_pl_anchor_name(pl->anchor), pquic_strerror(rc));
  }
}

/* Frame types already claimed on the connection. */
static int frames_taken(pq_pl_cnx *pc, const struct pquic_plugin *p, char *err, size_t errlen) {
  for (size_t f = 0; pc && f < p->mf.n_frames; f++) {
    for (size_t i = 0; i < pc->n; i++) {
      const struct pquic_plugin *q = pc->insts[i]->plugin;
      if (pq_manifest_frame(&q->mf, p->mf.frames[f].type)) {
        if (err && errlen)
          snprintf(err, errlen, "frame type 0x%llx already belongs to plugin %s",
                   (unsigned long long)p->mf.frames[f].type, q->mf.name);
        return PQUIC_ERR_EXISTS;
      }
    }
  }
  return 0;
}

static int set_err(char *err, size_t errlen, int rc, const char *what) {
  if (err && errlen)
    snprintf(err, errlen, "%s", what);
  return rc;
}

int pq_pl_attach(pq_cnx *cnx, struct pquic_plugin *p, char *err, size_t errlen) {
  if (pq_cnx_closing(cnx) || cnx->state == PQ_CNX_CLOSED || cnx->op.fault)
    return set_err(err, errlen, PQUIC_ERR_STATE, "connection is closing");
  if (cnx->op.depth > 0)
    return set_err(err, errlen, PQUIC_ERR_STATE, "called from inside a pluglet");
  for (size_t i = 0; i < cnx->n_plugins; i++) {
    if (strcmp(cnx->plugins[i].name, p->mf.name) == 0)
      return set_err(err, errlen, PQUIC_ERR_EXISTS, "a plugin of that name is attached");
  }
  if (cnx->n_plugins == PQ_MAX_PLUGINS)
    return set_err(err, errlen, PQUIC_ERR_LIMIT, "too many plugins on the connection");
  pq_pl_cnx *pc = pq_pl_cnx_of(cnx);
  int rc = frames_taken(pc, p, err, errlen);
  if (rc)
    return rc;
  int fresh = pc == NULL;
  if (fresh) {
    pc = pq_calloc(1, sizeof *pc);
    if (!pc)
      return set_err(err, errlen, PQUIC_ERR_NOMEM, "out of memory");
    pc->link.hooks = &pq_pl_hooks;
  }
  pq_pl_inst *in = inst_new(p, cnx);
  pq_op_attach list[PQ_MF_MAX_PLUGLETS];
  rc = in ? 0 : PQUIC_ERR_NOMEM;
  size_t bad = p->n_pluglets;
  if (!rc) {
    pq_op_fn tramp = p->native ? pq_pl_tramp_native : pq_pl_tramp_bpf;
    for (size_t i = 0; i < p->n_pluglets; i++) {
      const pq_pl_pluglet *pl = &p->pluglets[i];
      list[i] = (pq_op_attach){pl->op_id, pl->has_param, pl->param, (pquic_anchor)pl->anchor,
                               tramp,     &in->hooks[i]};
    }
    in->owner = ++cnx->op.next_owner;
    rc = pq_op_attach_group(&cnx->op, list, p->n_pluglets, in->owner, &bad);
  }
  if (rc) {
    explain(cnx, p, bad, rc, err, errlen);
    if (in)
      inst_free(in);
    if (fresh)
      pq_free(pc);
    return rc;
  }
  if (fresh)
    cnx->pl = &pc->link;
  pc->insts[pc->n++] = in;
  snprintf(cnx->plugins[cnx->n_plugins].name, sizeof cnx->plugins[0].name, "%s", p->mf.name);
  cnx->plugins[cnx->n_plugins].owner = in->owner;
  cnx->n_plugins++;
  return 0;
}

int pquic_plugin_attach(pquic_cnx *cnx, pquic_plugin *p, char *err, size_t errlen) {
  if (err && errlen)
    err[0] = 0;
  if (!cnx || !p)
    return set_err(err, errlen, PQUIC_ERR_INVAL, "invalid arguments");
  if (!cnx->ep->pl || p->ep != (pq_pl_ep *)cnx->ep->pl)
    return set_err(err, errlen, PQUIC_ERR_INVAL, "plugin loaded into another endpoint");
  return pq_pl_attach(cnx, p, err, errlen);
}

static void drop_inst(pq_pl_cnx *pc, size_t i) {
  inst_free(pc->insts[i]);
  for (size_t k = i; k + 1 < pc->n; k++)
    pc->insts[k] = pc->insts[k + 1];
  pc->n--;
  if (pc->rr >= pc->n)
    pc->rr = 0;
}

int pquic_plugin_detach(pquic_cnx *cnx, const char *name) {
  pq_pl_cnx *pc = pq_pl_cnx_of(cnx);
  if (!cnx || !name)
    return PQUIC_ERR_INVAL;
  if (cnx->op.depth > 0)
    return PQUIC_ERR_STATE;
  for (size_t i = 0; pc && i < pc->n; i++) {
    pq_pl_inst *in = pc->insts[i];
    if (strcmp(in->plugin->mf.name, name) != 0)
      continue;
    pq_op_detach_group(&cnx->op, in->owner);
    for (size_t k = 0; k < cnx->n_plugins; k++) {
      if (cnx->plugins[k].owner == in->owner) {
        memmove(&cnx->plugins[k], &cnx->plugins[k + 1],
                (cnx->n_plugins - k - 1) * sizeof cnx->plugins[0]);
        cnx->n_plugins--;
        break;
      }
    }
    drop_inst(pc, i);
    return 0;
  }
  return PQUIC_ERR_NOT_FOUND;
}

void pq_pl_cnx_drop(pq_cnx *cnx) {
  pq_pl_cnx *pc = pq_pl_cnx_of(cnx);
  if (!pc)
    return;
  while (pc->n)
    drop_inst(pc, pc->n - 1);
  pc->run = NULL; /* the fault text stays, for pquic_cnx_plugin_fault */
  pc->period_plugin = 0;
  pc->turn = 0;
}

void pq_pl_cnx_free(pq_cnx *cnx) {
  pq_pl_cnx_drop(cnx);
  pq_free(cnx->pl);
  cnx->pl = NULL;
}

size_t pquic_cnx_plugin_memory(const pquic_cnx *cnx) {
  const pq_pl_cnx *pc = cnx && cnx->pl ? (const pq_pl_cnx *)cnx->pl : NULL;
  size_t n = 0;
  for (size_t i = 0; pc && i < pc->n; i++)
    n += pc->insts[i]->bi.len;
  return n;
}

const char *pquic_cnx_plugin_fault(const pquic_cnx *cnx) {
  const pq_pl_cnx *pc = cnx && cnx->pl ? (const pq_pl_cnx *)cnx->pl : NULL;
  return pc ? pc->fault : "";
}
