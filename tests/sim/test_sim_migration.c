/* Scenarios: connection migration (RFC 9000 9). The client moves to a new
 * address in the middle of a download; after a while the old path goes
 * dark, and the download must finish on the new one. */
#include <stdio.h>
#include <string.h>

#include "conn/endpoint.h"
#include "scenario.h"

#define MB 1000000ull

static void migrate_client(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 1, .size = 4 * MB};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  assert_int_equal(sim_run_for(x.s, 150000), SIM_DEADLINE);
  assert_true(c->handshake_done && !c->done_us);

  /* A second address for the client, with its own path to the server. */
  struct sockaddr_storage moved;
  assert_int_equal(sim_addr(&moved, "10.0.2.1", 50001), 0);
  assert_int_equal(sim_node_add_address(x.client[0], (struct sockaddr *)&moved), 0);
  assert_int_equal(sim_add_path(x.s, (struct sockaddr *)&moved, (struct sockaddr *)&x.server_addr,
                                &o.up, &o.down, NULL, NULL),
                   0);
  assert_int_equal(pquic_cnx_migrate(c->cnx, (struct sockaddr *)&moved, sim_now(x.s)), 0);
  /* The old path keeps working for 50 ms, then carries nothing more. */
  assert_int_equal(sim_run_for(x.s, 50000), SIM_DEADLINE);
  sim_link_set_down(x.up[0], 1);
  sim_link_set_down(x.down[0], 1);
  /* 4 MB at 100 Mbit/s is 0.32 s; migration costs the packets in flight
   * on the old path (recovered by loss detection) and a fresh slow start
   * on the new network (about 5 round trips to the 250 KB BDP): 1.2 s. */
  scn_run_finished(&x, 3000000);
  uint64_t done = scn_check_conn(&x, c);
  scn_report(&x, "migrate_client", 4 * MB, done);
  SCN_ASSERT_LE(done, 1200000, "completion time (us)");
  pquic_stats cs, ss;
  pquic_cnx_get_stats(c->cnx, &cs);
  pquic_cnx_get_stats(scn_server_conn(&x, c)->cnx, &ss);
  assert_int_equal(cs.migrations, 1);
  assert_true(ss.migrations >= 1);
  /* The moved path carried traffic both ways. */
  assert_true(sim_link_get_stats(
                  sim_find_link(x.s, (struct sockaddr *)&x.server_addr, (struct sockaddr *)&moved))
                  ->delivered > 100);
  scn_free(&x);
}

/* The server announces a preferred address (RFC 9000 9.6): the client
 * validates it and moves there; the original address then goes dark and
 * the download finishes on the preferred one. */
static void preferred_address(void **state) {
  (void)state;
  struct sockaddr_storage pref;
  assert_int_equal(sim_addr(&pref, "10.0.0.2", 4443), 0);
  scn_opts o;
  scn_opts_init(&o);
  o.server_preferred = (struct sockaddr *)&pref;
  scn x;
  scn_setup(&x, &o);
  assert_int_equal(sim_node_add_address(x.server, (struct sockaddr *)&pref), 0);
  assert_int_equal(sim_add_path(x.s, (struct sockaddr *)&x.client_addr[0], (struct sockaddr *)&pref,
                                &o.up, &o.down, NULL, NULL),
                   0);
  const sim_app_plan plan = {.streams = 1, .size = 4 * MB};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  assert_int_equal(sim_run_for(x.s, 300000), SIM_DEADLINE);
  sim_link_set_down(x.up[0], 1);
  sim_link_set_down(x.down[0], 1);
  scn_run_finished(&x, 3000000);
  uint64_t done = scn_check_conn(&x, c);
  scn_report(&x, "preferred_address", 4 * MB, done);
  pquic_stats cs;
  pquic_cnx_get_stats(c->cnx, &cs);
  assert_int_equal(cs.migrations, 1);
  assert_true(sim_link_get_stats(sim_find_link(x.s, (struct sockaddr *)&pref,
                                               (struct sockaddr *)&x.client_addr[0]))
                  ->delivered > 100);
  scn_free(&x);
}

/* The preferred address is on a shorter path than the server's first
 * address: what the client sent on the first path before moving arrives
 * after its RETIRE_CONNECTION_ID for the server's first CID, which came the
 * short way. The server must take those packets as the connection's, not
 * answer them with a stateless reset (which the client would take as the
 * end of the connection were it still checking that CID's token). */
static void preferred_address_reordered(void **state) {
  (void)state;
  struct sockaddr_storage pref;
  assert_int_equal(sim_addr(&pref, "10.0.0.2", 4443), 0);
  scn_opts o;
  scn_opts_init(&o);
  scn_link(&o.up, 100000000, 30000, 2.0); /* first path: 30 ms each way */
  scn_link(&o.down, 100000000, 30000, 2.0);
  o.server_preferred = (struct sockaddr *)&pref;
  scn x;
  scn_setup(&x, &o);
  sim_link_config fast_up, fast_down;
  scn_link(&fast_up, 100000000, 1000, 2.0); /* preferred: 1 ms */
  scn_link(&fast_down, 100000000, 1000, 2.0);
  assert_int_equal(sim_node_add_address(x.server, (struct sockaddr *)&pref), 0);
  assert_int_equal(sim_add_path(x.s, (struct sockaddr *)&x.client_addr[0], (struct sockaddr *)&pref,
                                &fast_up, &fast_down, NULL, NULL),
                   0);
  const sim_app_plan plan = {.streams = 1, .size = 4 * MB};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_finished(&x, 5000000);
  scn_check_conn(&x, c);
  pquic_stats cs;
  pquic_cnx_get_stats(c->cnx, &cs);
  assert_int_equal(cs.migrations, 1);
  /* ...and the server took every datagram as its connection's: none went
   * to an unknown CID (each would have been answered with a reset). */
  const pq_endpoint *sep = sim_pquic_endpoint(x.server);
  assert_int_equal(sep->dropped_datagrams, 0);
  scn_free(&x);
}

/* Before the handshake is confirmed a client may not migrate. */
static void migrate_too_early(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 1, .size = 1000};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  struct sockaddr_storage moved;
  assert_int_equal(sim_addr(&moved, "10.0.2.1", 50001), 0);
  assert_int_equal(pquic_cnx_migrate(c->cnx, (struct sockaddr *)&moved, sim_now(x.s)),
                   PQUIC_ERR_STATE);
  scn_run_finished(&x, 1000000);
  scn_check_conn(&x, c);
  scn_free(&x);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(migrate_client),
      cmocka_unit_test(migrate_too_early),
      cmocka_unit_test(preferred_address),
      cmocka_unit_test(preferred_address_reordered),
  };
  return scn_main(argc, argv, "sim_migration", tests, sizeof tests / sizeof tests[0]);
}
