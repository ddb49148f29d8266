/* Scenarios: key update (RFC 9001 6). One side updates every N packets;
 * the other follows; a lossy, reordering path puts packets of the old phase
 * behind packets of the new one. Data must arrive intact and both sides
 * must count the updates. */
#include <stdio.h>

#include "scenario.h"

#define MB 1000000ull

static void run(const char *name, int client_updates, int server_updates, double loss,
                double reorder) {
  scn_opts o;
  scn_opts_init(&o);
  o.client.key_update_interval = client_updates ? 300 : 0;
  o.server.key_update_interval = server_updates ? 200 : 0;
  o.down.loss = loss;
  o.down.reorder = reorder;
  o.down.reorder_delay_us = 3000;
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 1, .size = 5 * MB};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  /* 5 MB at 100 Mbit/s is 0.4 s. With 1 % random loss the path allows
   * about 1.22 / sqrt(0.01) packets per RTT (Mathis): 6 Mbit/s, 6.7 s; the
   * bound is twice that. Without loss, 4 s is ten times the link time. */
  scn_run_finished(&x, loss > 0 ? 14000000 : 4000000);
  uint64_t done = scn_check_conn(&x, c);
  scn_report(&x, name, 5 * MB, done);
  pquic_stats cs, ss;
  pquic_cnx_get_stats(c->cnx, &cs);
  pquic_cnx_get_stats(scn_server_conn(&x, c)->cnx, &ss);
  /* 5 MB is ~3500 server packets: ~17 updates at 200 packets, and the
   * client follows each one (and initiates its own every 300). */
  if (server_updates) {
    assert_true(ss.key_updates >= 10);
    assert_true(cs.key_updates >= 10);
  }
  if (client_updates && !server_updates)
    assert_true(cs.key_updates >= 1);
  scn_free(&x);
}

static void key_update_server(void **state) {
  (void)state;
  run("key_update_server", 0, 1, 0, 0);
}

static void key_update_both(void **state) {
  (void)state;
  run("key_update_both", 1, 1, 0, 0);
}

static void key_update_reorder_loss(void **state) {
  (void)state;
  run("key_update_reorder_loss", 0, 1, 0.01, 0.05);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(key_update_server),
      cmocka_unit_test(key_update_both),
      cmocka_unit_test(key_update_reorder_loss),
  };
  return scn_main(argc, argv, "sim_keyupdate", tests, sizeof tests / sizeof tests[0]);
}
