/* Scenarios: bulk transfers on a clean 100 Mbit/s path with RTT 20 ms and a
 * queue of two bandwidth-delay products: 1 MB and 50 MB downloads, 100
 * parallel streams, a 1 MB upload. */
#include <stdio.h>

#include "scenario.h"

#define MB 1000000ull

/* Bound on completion from t=0: the bytes at 85 % of the link rate (QUIC
 * and packet headers take about 3 %, congestion control the rest), plus
 * extra_rtts round trips: one for the handshake, half for the request, and
 * slow start from 10 packets up to the 250 KB bandwidth-delay product
 * (about 5 round trips), with room for one loss episode when slow start
 * overshoots the 500 KB queue. */
static uint64_t bound_us(const scn_opts *o, uint64_t bytes, uint64_t extra_rtts) {
  uint64_t rtt = o->up.delay_us + o->down.delay_us;
  return scn_tx_us(bytes, o->down.rate_bps) * 100 / 85 + extra_rtts * rtt;
}

static void download(const char *name, size_t streams, uint64_t size, int upload,
                     uint64_t extra_rtts) {
  scn_opts o;
  scn_opts_init(&o);
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = streams, .size = size, .upload = upload};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  uint64_t total = (uint64_t)streams * size;
  uint64_t bound = bound_us(&o, total, extra_rtts);
  scn_run_finished(&x, 10 * bound);
  uint64_t done = scn_check_conn(&x, c);
  scn_report(&x, name, total, done);
  SCN_ASSERT_LE(done, bound, "completion time (us)");
  /* The link never lost or dropped anything it was not asked to. */
  assert_int_equal(sim_link_get_stats(upload ? x.up[0] : x.down[0])->dropped_loss, 0);
  scn_free(&x);
}

static void transfer_1mb(void **state) {
  (void)state;
  download("transfer_1mb", 1, MB, 0, 15);
}

static void transfer_50mb(void **state) {
  (void)state;
  download("transfer_50mb", 1, 50 * MB, 0, 20);
}

/* 100 requests of 20 kB at once: the default limit of 100 bidirectional
 * streams is exactly enough. */
static void streams_100(void **state) {
  (void)state;
  download("streams_100", 100, 20000, 0, 15);
}

static void upload_1mb(void **state) {
  (void)state;
  download("upload_1mb", 1, MB, 1, 15);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(transfer_1mb),
      cmocka_unit_test(transfer_50mb),
      cmocka_unit_test(streams_100),
      cmocka_unit_test(upload_1mb),
  };
  return scn_main(argc, argv, "sim_transfer", tests, sizeof tests / sizeof tests[0]);
}
