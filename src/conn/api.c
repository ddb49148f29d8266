/* Public accessors of a connection, statistics, and the native-pluglet and
 * operation-call API (pquic/ops.h). */
#include <stdio.h>
#include <string.h>

#include "conn/cnx_internal.h"
#include "conn/opcalls.h"
#include "conn/session.h"
#include "pquic/ops.h"

void pquic_cnx_set_user(pquic_cnx *cnx, void *user) {
  if (cnx)
    cnx->user = user;
}

void *pquic_cnx_get_user(const pquic_cnx *cnx) { return cnx ? cnx->user : NULL; }
int pquic_cnx_is_server(const pquic_cnx *cnx) { return cnx && cnx->is_server; }
int pquic_cnx_handshake_done(const pquic_cnx *cnx) { return cnx && cnx->handshake_complete; }
const char *pquic_cnx_alpn(const pquic_cnx *cnx) { return cnx ? cnx->alpn : ""; }
uint32_t pquic_cnx_version(const pquic_cnx *cnx) { return cnx ? cnx->version : 0; }

const char *pquic_cnx_cipher(const pquic_cnx *cnx) {
  if (!cnx || !cnx->tls)
    return "";
  const char *name = pq_tls_session_cipher_name(cnx->tls);
  return name ? name : "";
}

void pquic_cnx_get_stats(const pquic_cnx *cnx, pquic_stats *st) {
  if (!cnx || !st)
    return;
  *st = cnx->stats;
  const pq_path *p = &cnx->paths[0];
  st->rtt_min_us = p->min_rtt;
  st->rtt_smoothed_us = p->smoothed_rtt;
  st->rtt_var_us = p->rttvar;
  st->rtt_latest_us = p->latest_rtt;
  st->cwnd = p->cwnd;
  st->bytes_in_flight = p->bytes_in_flight;
  st->ssthresh = p->ssthresh;
  st->max_udp_payload = p->max_udp_payload;
  st->resumed = cnx->resumed;
  st->early_data = pq_session_early_state(cnx);
  st->retry = cnx->retry_scid.len != 0;
}

static void set_err(char *err, size_t errlen, const char *fmt, const char *a, const char *b) {
  if (err && errlen)
    snprintf(err, errlen, fmt, a, b);
}

int pquic_cnx_attach_native(pquic_cnx *cnx, const char *name, const pquic_native_pluglet *pl,
                            size_t n, void *user, char *err, size_t errlen) {
  if (!cnx || !name || (!pl && n) || n > 256) {
    set_err(err, errlen, "%s%s", "invalid arguments", "");
    return PQUIC_ERR_INVAL;
  }
  if (pq_cnx_closing(cnx)) {
    set_err(err, errlen, "%s%s", "connection is closing", "");
    return PQUIC_ERR_STATE;
  }
  for (size_t i = 0; i < cnx->n_plugins; i++) {
    if (strcmp(cnx->plugins[i].name, name) == 0) {
      set_err(err, errlen, "plugin %s is already attached%s", name, "");
      return PQUIC_ERR_EXISTS;
    }
  }
  if (cnx->n_plugins == PQ_MAX_PLUGINS || strlen(name) >= sizeof cnx->plugins[0].name) {
    set_err(err, errlen, "%s%s", "too many plugins or name too long", "");
    return PQUIC_ERR_LIMIT;
  }
  pq_op_attach list[256] = {0};
  for (size_t i = 0; i < n; i++) {
    uint32_t id;
    int rc = pq_op_intern(&cnx->ep->registry, pl[i].op, pl[i].has_param, &id);
    if (rc) {
      set_err(err, errlen, "operation %s: %s", pl[i].op ? pl[i].op : "(null)",
              pquic_strerror(rc));
      return rc;
    }
    list[i] = (pq_op_attach){id, pl[i].has_param, pl[i].param, pl[i].anchor, pl[i].fn, user};
  }
  uint32_t owner = ++cnx->op.next_owner;
  size_t bad = 0;
  int rc = pq_op_attach_group(&cnx->op, list, n, owner, &bad);
  if (rc) {
    set_err(err, errlen, "pluglet on %s: %s", bad < n ? pl[bad].op : "?", pquic_strerror(rc));
    return rc;
  }
  snprintf(cnx->plugins[cnx->n_plugins].name, sizeof cnx->plugins[0].name, "%s", name);
  cnx->plugins[cnx->n_plugins].owner = owner;
  cnx->n_plugins++;
  return 0;
}

static int run(pquic_cnx *cnx, const char *op, uint64_t param, const uint64_t *in, unsigned n_in,
               uint64_t *out, unsigned n_out, uint64_t *ret, int external) {
  if (!cnx || !op || n_in > PQUIC_OP_MAX_ARGS || n_out > PQUIC_OP_MAX_ARGS ||
      (!in && n_in) || (!out && n_out))
    return PQUIC_ERR_INVAL;
  if (cnx->state == PQ_CNX_CLOSED || cnx->op.fault)
    return PQUIC_ERR_CLOSED;
  uint32_t id;
  int rc = pq_op_lookup(&cnx->ep->registry, op, &id);
  if (rc)
    return rc;
  if (id >= cnx->op.table->n_entries)
    return PQUIC_ERR_OP_UNKNOWN;
  uint64_t v = pq_op_dispatch(cnx, &cnx->op, id, param, in, n_in, out, n_out, external);
  if (cnx->op.fault) {
    rc = cnx->op.fault;
    /* From inside a pluglet, the operations below us on the stack still use
     * the table: the outermost caller (pq_cnx_after_call) handles it. */
    if (cnx->op.depth == 0)
      pq_cnx_check_fault(cnx);
    return rc;
  }
  if (pq_op_failed(v) && (int64_t)v == PQUIC_ERR_INVAL)
    return PQUIC_ERR_INVAL; /* external mismatch */
  if (ret)
    *ret = v;
  return 0;
}

int pquic_op_run(pquic_cnx *cnx, const char *op, uint64_t param, const uint64_t *in,
                 unsigned n_in, uint64_t *out, unsigned n_out, uint64_t *ret) {
  return run(cnx, op, param, in, n_in, out, n_out, ret, 0);
}

int pquic_plugin_call(pquic_cnx *cnx, const char *op, const uint64_t *in, unsigned n_in,
                      uint64_t *out, unsigned n_out, uint64_t *ret) {
  return run(cnx, op, 0, in, n_in, out, n_out, ret, 1);
}
