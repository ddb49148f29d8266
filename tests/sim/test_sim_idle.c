/* Scenario: idle timeout. After a small request the connection stays
 * quiet; both sides must close silently after the negotiated timeout (the
 * smaller of the two advertised values, a side advertising 0 having none),
 * in virtual time, and send nothing more. */
#include <stdio.h>

#include "scenario.h"

static int both_closed(void *user) {
  scn *x = user;
  return sim_app_all_closed(x->client_app[0]) && sim_app_all_closed(x->server_app);
}

/* The timer restarts when a packet from the peer is processed (RFC 9000
 * 10.1), and when an ack-eliciting packet is sent with none sent since the
 * last receipt: so a side closes no earlier than timeout after its last
 * receipt and no later than timeout after its last receipt or sending.
 * (The RFC's floor of 3 PTOs, about 0.2 s here, is far below.) */
static void check_side(const sim_app_conn *c, const sim_node *n, uint64_t timeout) {
  const sim_node_stats *st = sim_node_get_stats(n);
  assert_true(c->closed);
  assert_int_equal(c->close_ev.err, PQUIC_ERR_IDLE_TIMEOUT);
  assert_false(c->close_ev.closed_by_peer);
  assert_int_equal(c->events[PQUIC_EVENT_CLOSED], 1);
  assert_true(st->last_tx_us < c->closed_us); /* silent: nothing sent at or after */
  assert_true(st->last_rx_us < c->closed_us);
  uint64_t last = st->last_rx_us > st->last_tx_us ? st->last_rx_us : st->last_tx_us;
  assert_true(c->closed_us >= st->last_rx_us + timeout);
  SCN_ASSERT_LE(c->closed_us, last + timeout + 1000, "idle close time (us)");
}

static void run_idle(uint64_t client_us, uint64_t server_us, uint64_t want_us) {
  scn_opts o;
  scn_opts_init(&o);
  o.client.max_idle_timeout_us = client_us;
  o.server.max_idle_timeout_us = server_us;
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 1, .size = 1000};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_finished(&x, 1000000);
  scn_check_conn(&x, c);
  sim_app_conn *s = scn_server_conn(&x, c);
  assert_non_null(s);
  scn_run_pred(&x, both_closed, &x, sim_now(x.s) + 4 * want_us, "idle timeout on both sides");
  printf("scenario idle_timeout: timeouts %llu/%llu us: client closed at %llu us, server at %llu "
         "us (request done at %llu us)\n",
         (unsigned long long)client_us, (unsigned long long)server_us,
         (unsigned long long)c->closed_us, (unsigned long long)s->closed_us,
         (unsigned long long)c->done_us);
  check_side(c, x.client[0], want_us);
  check_side(s, x.server, want_us);
  /* Both endpoints forgot their connection; another quiet minute: nothing. */
  assert_int_equal(sim_run_for(x.s, 60000000), SIM_DEADLINE);
  assert_int_equal(pquic_endpoint_connection_count(sim_pquic_endpoint(x.client[0])), 0);
  assert_int_equal(pquic_endpoint_connection_count(sim_pquic_endpoint(x.server)), 0);
  assert_true(sim_node_get_stats(x.server)->last_tx_us < s->closed_us);
  assert_true(sim_node_get_stats(x.client[0])->last_tx_us < c->closed_us);
  scn_free(&x);
}

static void idle_timeout(void **state) {
  (void)state;
  run_idle(3000000, 5000000, 3000000);
}

static void idle_timeout_one_side(void **state) {
  (void)state;
  run_idle(0, 2000000, 2000000);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(idle_timeout),
      cmocka_unit_test(idle_timeout_one_side),
  };
  return scn_main(argc, argv, "sim_idle", tests, sizeof tests / sizeof tests[0]);
}
