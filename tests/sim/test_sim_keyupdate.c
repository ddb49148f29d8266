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
  /* 20 MB without loss (1.7 s), 5 MB with loss (about 6 s). */
  const sim_app_plan plan = {.streams = 1, .size = loss > 0 ? 5 * MB : 20 * MB};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  /* 20 MB at 100 Mbit/s is 1.6 s; 8 s is a loose bound. With 1 % random
   * loss the path allows about 1.22 / sqrt(0.01) packets per RTT (Mathis):
   * 6 Mbit/s, 6.7 s for 5 MB; the bound is twice that. */
  scn_run_finished(&x, loss > 0 ? 14000000 : 8000000);
  uint64_t done = scn_check_conn(&x, c);
  scn_report(&x, name, plan.size, done);
  pquic_stats cs, ss;
  pquic_cnx_get_stats(c->cnx, &cs);
  pquic_cnx_get_stats(scn_server_conn(&x, c)->cnx, &ss);
  /* Every 200 packets, but never within three PTOs of the last phase
   * change (RFC 9001 6.5; about 160 ms here): over 1.7 s or more, at least
   * five updates and at most one per 150 ms; the client follows each. */
  if (server_updates) {
    assert_true(ss.key_updates >= 5);
    assert_true(cs.key_updates >= 5);
    assert_true(ss.key_updates <= done / 150000 + 1);
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
