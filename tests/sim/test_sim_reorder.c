/* Scenario: reordering. 20 Mbit/s, 20 ms each way, queue of one
 * bandwidth-delay product; 3 % of the datagrams in each direction arrive
 * 8 ms late (about 13 full-size datagrams behind at this rate, past the
 * packet-reordering threshold of 3, so some are declared lost spuriously).
 * The transfer must complete byte-exact. */
#include <math.h>
#include <stdio.h>

#include "scenario.h"

#define RATE 20000000ull
#define ONE_WAY 20000ull

static void reorder(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 2; seed++) {
    scn_opts o;
    scn_opts_init(&o);
    o.seed = seed;
    scn_link(&o.up, RATE, ONE_WAY, 1.0);
    scn_link(&o.down, RATE, ONE_WAY, 1.0);
    o.up.reorder = o.down.reorder = 0.03;
    o.up.reorder_delay_us = o.down.reorder_delay_us = 8000;
    scn x;
    scn_setup(&x, &o);
    const uint64_t size = 2000000;
    const sim_app_plan plan = {.streams = 1, .size = size};
    sim_app_conn *c = scn_connect(&x, 0, &plan);
    /* Bound: each late datagram can at worst be taken for a loss, so treat
     * the 3 % as a loss rate: half the Mathis rate at p = 0.03 (MSS 1200,
     * RTT 40 ms) is 1.7 Mbit/s, 9.4 s for 2 MB, plus 4 s for a handshake
     * datagram held back past a PTO. A stack that spuriously retransmits
     * everything or collapses its window per reordering event misses it. */
    double mathis = 1200.0 * 8 / 0.04 * 1.22 / sqrt(0.03);
    uint64_t bound = 4000000 + (uint64_t)((double)size * 8 / (0.5 * mathis) * 1e6);
    scn_run_finished(&x, 3 * bound);
    uint64_t done = scn_check_conn(&x, c);
    scn_report(&x, "reorder", size, done);
    SCN_ASSERT_LE(done, bound, "completion time with reordering (us)");
    const sim_link_stats *d = sim_link_get_stats(x.down[0]);
    assert_true(d->reordered > 0);
    assert_int_equal(d->dropped_loss, 0);
    pquic_stats st;
    pquic_cnx_get_stats(scn_server_conn(&x, c)->cnx, &st);
    printf("scenario reorder: seed %llu: server declared %llu lost, %llu spurious; "
           "%llu datagrams held back\n",
           (unsigned long long)seed, (unsigned long long)st.packets_lost,
           (unsigned long long)st.packets_spurious_lost, (unsigned long long)d->reordered);
    scn_free(&x);
  }
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reorder),
  };
  return scn_main(argc, argv, "sim_reorder", tests, sizeof tests / sizeof tests[0]);
}
