/* Scenario: link utilization. 10 Mbit/s, 20 ms each way (RTT 40 ms), a
 * drop-tail queue of one bandwidth-delay product (50 kB); a 20 MB download
 * must reach at least 90 % of the link rate. */
#include <stdio.h>

#include "scenario.h"

#define RATE 10000000ull
#define ONE_WAY 20000ull

static void utilization_10mbit(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  scn_link(&o.up, RATE, ONE_WAY, 1.0);
  scn_link(&o.down, RATE, ONE_WAY, 1.0);
  scn x;
  scn_setup(&x, &o);
  const uint64_t size = 20000000;
  const sim_app_plan plan = {.streams = 1, .size = size};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  /* 20 MB x 8 / 10 Mbit/s / 0.9 = 17.78 s, plus 10 round trips (0.4 s)
   * for the handshake, the request, and slow start up to the 50 kB
   * bandwidth-delay product with its first loss episode. */
  const uint64_t rtt = 2 * ONE_WAY;
  const uint64_t bound = scn_tx_us(size, RATE) * 10 / 9 + 10 * rtt;
  scn_run_finished(&x, 2 * bound);
  uint64_t done = scn_check_conn(&x, c);
  scn_report(&x, "utilization_10mbit", size, done);
  printf("scenario utilization_10mbit: goodput %.1f %% of the link rate, bound %llu us\n",
         100.0 * (double)scn_tx_us(size, RATE) / (double)done, (unsigned long long)bound);
  SCN_ASSERT_LE(done, bound, "completion time of 20 MB at 10 Mbit/s (us)");
  scn_free(&x);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(utilization_10mbit),
  };
  return scn_main(argc, argv, "sim_throughput", tests, sizeof tests / sizeof tests[0]);
}
