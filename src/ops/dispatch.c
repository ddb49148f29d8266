/* Full dispatch for connections carrying pluglets: the loop rule, the depth
 * bound, then pre observers, the replacement or built-in, post observers. */
#include "ops/ops.h"

static uint64_t refuse(pq_op_state *st, int err, uint32_t id, uint64_t param) {
  if (!st->fault) {
    st->fault = err;
    st->fault_op = id;
    st->fault_param = param;
  }
  return (uint64_t)(int64_t)err;
}

static void run_observers(struct pquic_cnx *cnx, pq_op_state *st, const pq_op_hook *h,
                          pquic_op_args *a) {
  st->observing++;
  for (; h; h = h->next)
    (void)h->fn(cnx, a, h->user); /* an observer's value is ignored */
  st->observing--;
}

uint64_t pq_op_dispatch(struct pquic_cnx *cnx, pq_op_state *st, uint32_t id, uint64_t param,
                        const uint64_t *in, uint32_t n_in, uint64_t *out, uint32_t n_out,
                        int external_ok) {
  const pq_op_table *t = st->table;
  if (st->fault)
    return (uint64_t)(int64_t)PQUIC_ERR_CLOSED;
  if (id >= t->n_entries || n_in > PQUIC_OP_MAX_ARGS || n_out > PQUIC_OP_MAX_ARGS)
    return (uint64_t)(int64_t)PQUIC_ERR_OP_UNKNOWN;
  /* The loop rule: an operation (with this parameter) already on the stack. */
  for (uint32_t i = 0; i < st->depth; i++) {
    if (st->stack[i].id == id && st->stack[i].param == param)
      return refuse(st, PQUIC_ERR_OP_LOOP, id, param);
  }
  if (st->depth >= PQ_OP_MAX_DEPTH)
    return refuse(st, PQUIC_ERR_OP_DEPTH, id, param);

  const pq_op_entry *generic = &t->entries[id];
  const pq_op_entry *e = pq_op_table_lookup(t, id, param);
  if (e->external && !external_ok)
    return (uint64_t)(int64_t)PQUIC_ERR_INVAL;
  if (external_ok && !e->external)
    return (uint64_t)(int64_t)PQUIC_ERR_INVAL;

  st->stack[st->depth].id = id;
  st->stack[st->depth].param = param;
  st->depth++;

  pquic_op_args a = {id, n_in, n_out, param, in, out, 0};
  /* Observers of the operation as a whole, then of this parameter value. */
  if (e != generic && generic->pre)
    run_observers(cnx, st, generic->pre, &a);
  if (e->pre)
    run_observers(cnx, st, e->pre, &a);
  uint64_t ret = 0;
  if (e->fn && !st->fault)
    ret = e->fn(cnx, &a, e->user);
  a.ret = ret;
  if (e->post && !st->fault)
    run_observers(cnx, st, e->post, &a);
  if (e != generic && generic->post && !st->fault)
    run_observers(cnx, st, generic->post, &a);

  st->depth--;
  return st->fault ? (uint64_t)(int64_t)st->fault : ret;
}
