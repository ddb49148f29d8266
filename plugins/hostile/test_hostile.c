/* Scenarios: hostile plugins (this folder) on one server connection while
 * a second client downloads from the same server endpoint. Each plugin is
 * attached to the first client's server connection in the middle of its
 * download; its first run faults; that connection alone is closed: the
 * server application gets PQUIC_EVENT_OP_FAULT with the fault's code (and
 * pquic_cnx_plugin_fault names the plugin and the instruction), the first client sees
 * INTERNAL_ERROR from its peer, and the second client's download completes byte-exact.
 *
 *   plugin_hostile_oob_write        PQUIC_ERR_FAULT
 *   plugin_hostile_endless_loop     PQUIC_ERR_BUDGET
 *   plugin_hostile_observer_setter  PQUIC_ERR_OP_READONLY
 *   plugin_hostile_op_loop          PQUIC_ERR_OP_LOOP */
#include <inttypes.h>

#include "plugin_scn.h"

static int faulted(void *user) {
  const sim_app_conn *c = user;
  return c->events[PQUIC_EVENT_OP_FAULT] > 0;
}

typedef struct sent_pred {
  pquic_cnx *cnx;
  uint64_t bytes;
} sent_pred;

static int stream_sent(void *user) {
  const sent_pred *p = user;
  pquic_stats st;
  pquic_cnx_get_stats(p->cnx, &st);
  return st.stream_bytes_sent >= p->bytes;
}

static void hostile(const char *name, int err) {
  scn_opts o;
  scn_opts_init(&o);
  o.nclients = 2;
  scn x;
  scn_setup(&x, &o);
  pquic_endpoint *sep = sim_pquic_endpoint(x.server);
  pquic_plugin *p = psc_load(sep, name);
  const sim_app_plan plan = {.streams = 1, .size = 3000000};
  sim_app_conn *victim = scn_connect(&x, 0, &plan);
  pquic_cnx *srv = psc_server_cnx(&x, 1);
  sim_app_conn *srv_app = x.server_app->conns[0];
  sim_app_conn *other = scn_connect(&x, 1, &plan);
  /* Mid-download: the plugin comes. */
  sent_pred sp = {srv, 500000};
  scn_run_pred(&x, stream_sent, &sp, 10000000, "victim download under way");
  psc_attach(srv, p);
  scn_run_pred(&x, faulted, srv_app, sim_now(x.s) + 1000000, "fault");
  char reason[256];
  snprintf(reason, sizeof reason, "%s", pquic_cnx_plugin_fault(srv));
  scn_run_finished(&x, 60000000);
  (void)scn_check_conn(&x, other); /* the neighbour is untouched */
  assert_true(victim->closed);
  assert_int_equal(victim->close_ev.wire_error, PQUIC_WIRE_INTERNAL_ERROR);
  assert_true(victim->close_ev.closed_by_peer);
  assert_true(victim->streams_done < 1);
  assert_int_equal(srv_app->events[PQUIC_EVENT_OP_FAULT], 1);
  assert_int_equal(srv_app->close_ev.err, err);
  char who[128];
  snprintf(who, sizeof who, "plugin %s (manifest line", name);
  if (!strstr(reason, who))
    fail_msg("fault \"%s\" does not name %s", reason, name);
  printf("%s: %s; the other connection completed\n", pquic_errname(err), reason);
  assert_int_equal(x.server_app->conns[1]->events[PQUIC_EVENT_OP_FAULT], 0);
  scn_free(&x);
}

static void plugin_hostile_oob_write(void **state) {
  (void)state;
  hostile("org.pquic.example.hostile.oob-write", PQUIC_ERR_FAULT);
}
static void plugin_hostile_endless_loop(void **state) {
  (void)state;
  hostile("org.pquic.example.hostile.endless-loop", PQUIC_ERR_BUDGET);
}
static void plugin_hostile_observer_setter(void **state) {
  (void)state;
  hostile("org.pquic.example.hostile.observer-setter", PQUIC_ERR_OP_READONLY);
}
static void plugin_hostile_op_loop(void **state) {
  (void)state;
  hostile("org.pquic.example.hostile.op-loop", PQUIC_ERR_OP_LOOP);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(plugin_hostile_oob_write),
      cmocka_unit_test(plugin_hostile_endless_loop),
      cmocka_unit_test(plugin_hostile_observer_setter),
      cmocka_unit_test(plugin_hostile_op_loop),
  };
  return scn_main(argc, argv, "plugin_hostile", tests, sizeof tests / sizeof tests[0]);
}
