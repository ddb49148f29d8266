/* Helpers for plugin scenarios (plugins/<name>/test_*.c and
 * tests/sim/test_sim_plugin*.c): loading example bundles into simulated
 * endpoints, attaching, calling external operations, collecting pushed
 * messages, running until a time. Static inline functions over the
 * scenario API (scenario.h). */
#ifndef SIM_PLUGIN_SCN_H
#define SIM_PLUGIN_SCN_H

#include <stdio.h>
#include <string.h>

#include "pquic/ops.h"
#include "pquic/plugin.h"
#include "scenario.h"

#ifndef PQ_PLUGIN_DIR /* set by CMake: where the bundles are */
#define PQ_PLUGIN_DIR "plugins"
#endif

#define PSC_MAX_MSGS 256

/* Messages pushed by plugins on one endpoint. */
typedef struct psc_msgs {
  size_t n;
  pquic_cnx *cnx[PSC_MAX_MSGS];
  size_t len[PSC_MAX_MSGS];
  uint8_t data[PSC_MAX_MSGS][64];
} psc_msgs;

static inline void psc_on_message(pquic_cnx *cnx, const char *plugin, const uint8_t *data,
                                  size_t len, void *user) {
  (void)plugin;
  psc_msgs *m = user;
  if (m->n < PSC_MAX_MSGS) {
    m->cnx[m->n] = cnx;
    m->len[m->n] = len;
    memcpy(m->data[m->n], data, len < 64 ? len : 64);
    m->n++;
  }
}

static inline void psc_collect(pquic_endpoint *ep, psc_msgs *m) {
  memset(m, 0, sizeof *m);
  assert_int_equal(pquic_endpoint_plugin_messages(ep, psc_on_message, m), 0);
}

/* Loads PQ_PLUGIN_DIR/<name>.pqp into an endpoint. */
static inline pquic_plugin *psc_load(pquic_endpoint *ep, const char *name) {
  char path[512], err[256] = "";
  snprintf(path, sizeof path, "%s/%s.pqp", PQ_PLUGIN_DIR, name);
  pquic_plugin *p = NULL;
  int rc = pquic_plugin_load_file(ep, path, &p, err, sizeof err);
  if (rc)
    fail_msg("load %s: %s (%s)", path, err, pquic_errname(rc));
  return p;
}

static inline void psc_attach(pquic_cnx *cnx, pquic_plugin *p) {
  char err[256] = "";
  int rc = pquic_plugin_attach(cnx, p, err, sizeof err);
  if (rc)
    fail_msg("attach: %s (%s)", err, pquic_errname(rc));
}

static inline uint64_t psc_call(pquic_cnx *cnx, const char *op, uint64_t *out, unsigned n_out) {
  uint64_t ret = 0;
  int rc = pquic_plugin_call(cnx, op, NULL, 0, out, n_out, &ret);
  if (rc)
    fail_msg("%s: %s", op, pquic_errname(rc));
  return ret;
}

/* Runs the simulation until virtual time t (an idle simulation is fine:
 * nothing happens until then). */
static inline void psc_run_to(scn *x, uint64_t t) {
  uint64_t now = sim_now(x->s);
  sim_result r = sim_run_for(x->s, t > now ? t - now : 0);
  if (r == SIM_FAIL) {
    scn_dump(x, "run");
    fail_msg("simulation failed: %s", sim_error(x->s));
  }
}

typedef struct psc_conns {
  scn *x;
  size_t n;
} psc_conns;

static inline int psc_server_has(void *user) {
  const psc_conns *w = user;
  return w->x->server_app->nconns >= w->n;
}

/* Runs until the server has its n-th connection; returns it. */
static inline pquic_cnx *psc_server_cnx(scn *x, size_t n) {
  psc_conns w = {x, n};
  scn_run_pred(x, psc_server_has, &w, sim_now(x->s) + 2000000, "server connection");
  pquic_cnx *cnx = x->server_app->conns[n - 1]->cnx;
  assert_non_null(cnx);
  return cnx;
}

static inline int psc_handshake_done(void *user) {
  const sim_app_conn *c = user;
  return c->handshake_done || c->closed;
}

#endif
