/* Scenario of org.pquic.example.fixed-cwnd in the simulator:
 *
 *   plugin_fixed_cwnd   a 2 MB download on a 20 Mbit/s path with a 40 ms
 *                       round trip (a BDP of 100 KB), first with the
 *                       built-in controller, then with the server's
 *                       controller replaced: the window stays at
 *                       FIXED_CWND, the goodput drops to about one window
 *                       per round trip (within 25 %), the transfer takes
 *                       more than twice as long, and losses from a 1 %
 *                       random loss are ignored (no reduction). */
#include <inttypes.h>

#include "fixed-cwnd.h"
#include "plugin_scn.h"

#define NAME "org.pquic.example.fixed-cwnd"
#define SIZE 2000000ull
#define RATE 20000000ull
#define ONE_WAY 20000ull

typedef struct result {
  uint64_t done_us, cwnd, lost;
  uint64_t events[2];
} result;

static void run(int with_plugin, double loss, result *r) {
  scn_opts o;
  scn_opts_init(&o);
  scn_link(&o.up, RATE, ONE_WAY, 2.0);
  scn_link(&o.down, RATE, ONE_WAY, 2.0);
  o.down.loss = loss;
  scn x;
  scn_setup(&x, &o);
  memset(r, 0, sizeof *r);
  pquic_endpoint *sep = sim_pquic_endpoint(x.server);
  if (with_plugin)
    assert_int_equal(pquic_plugin_inject(sep, psc_load(sep, NAME)), 0);
  const sim_app_plan plan = {.streams = 1, .size = SIZE};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_finished(&x, 120000000);
  r->done_us = scn_check_conn(&x, c);
  pquic_cnx *srv = scn_server_conn(&x, c)->cnx;
  assert_non_null(srv);
  pquic_stats st;
  pquic_cnx_get_stats(srv, &st);
  r->cwnd = st.cwnd;
  r->lost = st.packets_lost;
  if (with_plugin)
    psc_call(srv, "fixed_cwnd_events", r->events, 2);
  scn_report(&x, with_plugin ? "plugin_fixed_cwnd (plugin)" : "plugin_fixed_cwnd (built-in)", SIZE,
             r->done_us);
  scn_free(&x);
}

static void plugin_fixed_cwnd(void **state) {
  (void)state;
  result base, fixed, lossy;
  run(0, 0, &base);
  run(1, 0, &fixed);
  run(1, 0.01, &lossy);
  double goodput = (double)SIZE * 8.0 / ((double)fixed.done_us / 1e6);
  double expected = (double)FIXED_CWND * 8.0 / ((double)(2 * ONE_WAY) / 1e6);
  printf("built-in: %" PRIu64 " us, cwnd %" PRIu64 "; fixed: %" PRIu64 " us, cwnd %" PRIu64
         ", %.2f Mbit/s (one window per RTT: %.2f); lossy: %" PRIu64 " us, %" PRIu64
         " lost, %" PRIu64 " congestion events ignored\n",
         base.done_us, base.cwnd, fixed.done_us, fixed.cwnd, goodput / 1e6, expected / 1e6,
         lossy.done_us, lossy.lost, lossy.events[1]);
  assert_true(base.cwnd > FIXED_CWND);
  assert_int_equal(fixed.cwnd, FIXED_CWND);
  assert_true(fixed.events[0] > 100); /* the plugin saw the acks */
  assert_true(fixed.done_us > 2 * base.done_us);
  assert_true(goodput < expected * 1.25 && goodput > expected * 0.75);
  /* Losses do not shrink the window. */
  assert_true(lossy.lost > 0 && lossy.events[1] > 0);
  assert_int_equal(lossy.cwnd, FIXED_CWND);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(plugin_fixed_cwnd)};
  return scn_main(argc, argv, "plugin_fixed_cwnd", tests, sizeof tests / sizeof tests[0]);
}
