/* Scenario: short downloads (50 KB) over the experiment harness's default
 * space (one-way delay 2.5-25 ms, 5-50 Mbit/s, a drop-tail queue of
 * max(1 BDP, 32 KiB) as bench/testbed sets up). A 50 KB body needs the
 * handshake's round trip, the request's, and two more of slow start from an
 * initial window of 10 packets (10, 20, then the rest): every download must
 * finish within those 4 round trips plus the time the link takes to carry
 * the body and about 6 KB of handshake. One more round trip anywhere (a
 * delayed ACK held too long, a first flight paced over an RTT, a smaller
 * initial window) breaks the bound at the long delays. */
#include <stdio.h>

#include "scenario.h"

#define BODY 50000u
#define HANDSHAKE_BYTES 6000u

static void short_transfers(void **state) {
  (void)state;
  const uint64_t delays_us[] = {2500, 5700, 10000, 25000};
  const uint64_t rates_bps[] = {5000000, 20000000, 50000000};
  for (size_t d = 0; d < sizeof delays_us / sizeof delays_us[0]; d++) {
    for (size_t r = 0; r < sizeof rates_bps / sizeof rates_bps[0]; r++) {
      uint64_t rtt = 2 * delays_us[d];
      double bdp = (double)rates_bps[r] / 8 * (double)rtt / 1e6;
      double queue_bdp = bdp < 32768 ? 32768 / bdp : 1.0;
      scn_opts o;
      scn_opts_init(&o);
      scn_link(&o.up, rates_bps[r], delays_us[d], queue_bdp);
      scn_link(&o.down, rates_bps[r], delays_us[d], queue_bdp);
      scn x;
      scn_setup(&x, &o);
      const sim_app_plan plan = {.streams = 1, .size = BODY};
      uint64_t t0 = sim_now(x.s);
      sim_app_conn *c = scn_connect(&x, 0, &plan);
      uint64_t bound = 4 * rtt + scn_tx_us(BODY + HANDSHAKE_BYTES, rates_bps[r]);
      scn_run_finished(&x, t0 + 10 * bound);
      uint64_t dct = scn_check_conn(&x, c) - t0;
      printf("one-way %5llu us, %2llu Mbit/s: %7llu us (%.2f RTT), bound %7llu us\n",
             (unsigned long long)delays_us[d], (unsigned long long)(rates_bps[r] / 1000000),
             (unsigned long long)dct, (double)dct / (double)rtt, (unsigned long long)bound);
      SCN_ASSERT_LE(dct, bound, "50 KB completion time (us)");
      assert_int_equal(sim_link_get_stats(x.down[0])->dropped_queue, 0);
      scn_free(&x);
    }
  }
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(short_transfers)};
  return scn_main(argc, argv, "short", tests, sizeof tests / sizeof tests[0]);
}
