/* Scenario: the handshake alone, over IPv4 and IPv6, on a clean path. */
#include <stdio.h>
#include <string.h>

#include "scenario.h"

static int both_handshaked(void *user) {
  scn *x = user;
  return x->client_app[0]->nconns == 1 && x->client_app[0]->conns[0]->handshake_done &&
         x->server_app->nconns == 1 && x->server_app->conns[0]->handshake_done;
}

static void run_handshake(int ipv6) {
  scn_opts o;
  scn_opts_init(&o);
  o.ipv6 = ipv6;
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {0};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_pred(&x, both_handshaked, &x, 1000000, "handshake");
  sim_app_conn *s = x.server_app->conns[0];

  /* RTT 20 ms. The client has the server's Finished after one round trip
   * plus a few hundred microseconds of serialization, the server the
   * client's Finished half a round trip later. The bounds allow one more
   * round trip (a Retry, say) and 5 ms. */
  const uint64_t rtt = 2 * o.up.delay_us;
  SCN_ASSERT_LE(c->handshake_us, 2 * rtt + 5000, "client handshake time (us)");
  SCN_ASSERT_LE(s->handshake_us, 2 * rtt + rtt / 2 + 5000, "server handshake time (us)");
  assert_true(c->handshake_us >= rtt); /* causality: nothing beats a round trip */
  assert_true(s->handshake_us >= c->handshake_us - rtt / 2);

  assert_string_equal(pquic_cnx_alpn(c->cnx), SCN_ALPN);
  assert_string_equal(pquic_cnx_alpn(s->cnx), SCN_ALPN);
  assert_true(strlen(pquic_cnx_cipher(c->cnx)) > 0);
  /* Defaults: the client starts in v1 and the server upgrades it to v2
   * (compatible version negotiation, RFC 9368), within the same round trips. */
  assert_int_equal(pquic_cnx_version(c->cnx), PQUIC_VERSION_2);
  assert_false(pquic_cnx_is_server(c->cnx));
  assert_true(pquic_cnx_is_server(s->cnx));
  assert_int_equal(c->events[PQUIC_EVENT_HANDSHAKE_DONE], 1);
  assert_int_equal(s->events[PQUIC_EVENT_HANDSHAKE_DONE], 1);

  /* A clean path: nothing lost, nothing undecryptable. Then a quiet second
   * (well below the 30 s idle timeout): both stay up, no event. */
  assert_int_equal(sim_run_for(x.s, 1000000), SIM_DEADLINE);
  pquic_stats cs, ss;
  pquic_cnx_get_stats(c->cnx, &cs);
  pquic_cnx_get_stats(s->cnx, &ss);
  assert_int_equal(cs.packets_lost, 0);
  assert_int_equal(ss.packets_lost, 0);
  assert_int_equal(cs.packets_dropped, 0);
  assert_int_equal(ss.packets_dropped, 0);
  assert_true(cs.rtt_min_us >= rtt && cs.rtt_min_us <= rtt + 2000);
  assert_false(c->closed || s->closed);
  assert_int_equal(pquic_endpoint_connection_count(sim_pquic_endpoint(x.client[0])), 1);
  assert_int_equal(pquic_endpoint_connection_count(sim_pquic_endpoint(x.server)), 1);
  assert_int_equal(sim_node_get_stats(x.client[0])->unroutable, 0);
  printf("scenario handshake%s: client done at %llu us, server at %llu us, %llu+%llu datagrams\n",
         ipv6 ? "_ipv6" : "", (unsigned long long)c->handshake_us,
         (unsigned long long)s->handshake_us,
         (unsigned long long)sim_link_get_stats(x.up[0])->offered,
         (unsigned long long)sim_link_get_stats(x.down[0])->offered);
  scn_free(&x);
}

static void handshake(void **state) {
  (void)state;
  run_handshake(0);
}

static void handshake_ipv6(void **state) {
  (void)state;
  run_handshake(1);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(handshake),
      cmocka_unit_test(handshake_ipv6),
  };
  return scn_main(argc, argv, "sim_handshake", tests, sizeof tests / sizeof tests[0]);
}
