/* Scenarios: an application close from either side. The closing side sees
 * CLOSED with its own code, the peer sees CLOSED with the same application
 * error code, reported as coming from the peer; both endpoints then forget
 * the connection. Path: 100 Mbit/s, RTT 20 ms. */
#include <stdio.h>

#include "scenario.h"

static int both_closed(void *user) {
  scn *x = user;
  return sim_app_all_closed(x->client_app[0]) && sim_app_all_closed(x->server_app);
}

static void check_closed(const sim_app_conn *c, uint64_t code, int by_peer) {
  assert_true(c->closed);
  assert_int_equal(c->events[PQUIC_EVENT_CLOSED], 1);
  assert_true(c->close_ev.wire_error_is_app);
  assert_int_equal(c->close_ev.wire_error, code);
  assert_int_equal(!!c->close_ev.closed_by_peer, by_peer);
}

/* The closer sends CONNECTION_CLOSE at once; the peer receives it half a
 * round trip later and reports CLOSED at the latest when its draining
 * period (3 PTO, about 3 x 85 ms here) ends. The closer's own CLOSED comes
 * at the latest after its closing period (also 3 PTO). Bound: 1 s. */
static void run_close(int server_closes) {
  const uint64_t code = server_closes ? 0x77 : 0x42;
  scn_opts o;
  scn_opts_init(&o);
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {
      .streams = 1, .size = 10000, .close_when_done = !server_closes, .close_app_error = code};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_finished(&x, 1000000);
  scn_check_conn(&x, c);
  sim_app_conn *s = scn_server_conn(&x, c);
  assert_non_null(s);
  uint64_t t0 = sim_now(x.s);
  if (server_closes) {
    sim_app_close(s, code);
  }
  scn_run_pred(&x, both_closed, &x, t0 + 5000000, "both sides closed");
  printf("scenario close (%s closes at %llu us): client CLOSED at %llu us, server at %llu us\n",
         server_closes ? "server" : "client", (unsigned long long)t0,
         (unsigned long long)c->closed_us, (unsigned long long)s->closed_us);
  check_closed(server_closes ? s : c, code, 0);
  check_closed(server_closes ? c : s, code, 1);
  SCN_ASSERT_LE(c->closed_us, t0 + 1000000, "client CLOSED time (us)");
  SCN_ASSERT_LE(s->closed_us, t0 + 1000000, "server CLOSED time (us)");
  /* Nothing lingers past the closing and draining periods. */
  assert_int_equal(sim_run_for(x.s, 5000000), SIM_DEADLINE);
  assert_int_equal(pquic_endpoint_connection_count(sim_pquic_endpoint(x.client[0])), 0);
  assert_int_equal(pquic_endpoint_connection_count(sim_pquic_endpoint(x.server)), 0);
  scn_free(&x);
}

static void close_by_client(void **state) {
  (void)state;
  run_close(0);
}

static void close_by_server(void **state) {
  (void)state;
  run_close(1);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(close_by_client),
      cmocka_unit_test(close_by_server),
  };
  return scn_main(argc, argv, "sim_close", tests, sizeof tests / sizeof tests[0]);
}
