/* Scenarios: flow-control-limited transfers. The receiver advertises small
 * windows that never grow; the transfer must complete byte-exact, and no
 * faster than the windows allow (which shows they were respected). Path:
 * 100 Mbit/s, 10 ms each way (RTT 20 ms): the windows, not the link, set
 * the pace. */
#include <stdio.h>

#include "scenario.h"

/* With a window of W bytes, the sender can have sent at time t at most W
 * more than the receiver had consumed one propagation delay earlier, which
 * is at most what the sender had sent one round trip earlier: S(t) <=
 * S(t - RTT) + W. So `bytes` take at least (bytes / W - 1) round trips.
 * Upper bound: a receiver that re-advertises once half of the window is
 * consumed grants at least W / 2 per round trip: 2 bytes / W round trips,
 * plus 10 for the handshake, the request and the last credit update. */
static void check_pace(uint64_t done, uint64_t bytes, uint64_t window, uint64_t rtt) {
  uint64_t lower = (bytes / window - 1) * rtt;
  uint64_t upper = (2 * bytes / window + 10) * rtt;
  printf("scenario flow_control: %llu bytes, window %llu: done at %llu us (bounds %llu..%llu)\n",
         (unsigned long long)bytes, (unsigned long long)window, (unsigned long long)done,
         (unsigned long long)lower, (unsigned long long)upper);
  assert_true(done >= lower);
  SCN_ASSERT_LE(done, upper, "completion time under flow control (us)");
}

static void run_flow(const scn_opts *o, const sim_app_plan *plan, uint64_t window) {
  scn x;
  scn_setup(&x, o);
  sim_app_conn *c = scn_connect(&x, 0, plan);
  uint64_t rtt = o->up.delay_us + o->down.delay_us;
  uint64_t bytes = plan->streams * plan->size;
  scn_run_finished(&x, (4 * bytes / window + 100) * rtt);
  uint64_t done = scn_check_conn(&x, c);
  check_pace(done, bytes, window, rtt);
  scn_free(&x);
}

/* Stream window 16 kB (the client's limit for data on streams it opened),
 * 1 MB download. */
static void flow_control_stream(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  o.client.initial_max_stream_data_bidi_local = 16384;
  o.client.max_window_stream_data = 16384;
  const sim_app_plan plan = {.streams = 1, .size = 1000000};
  run_flow(&o, &plan, 16384);
}

/* Connection window 32 kB shared by 4 streams of 256 kB. */
static void flow_control_connection(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  o.client.initial_max_data = 32768;
  o.client.max_window_data = 32768;
  const sim_app_plan plan = {.streams = 4, .size = 256000};
  run_flow(&o, &plan, 32768);
}

/* Upload against the server's 16 kB stream window (its limit for data on
 * streams the peer opened). */
static void flow_control_upload(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  o.server.initial_max_stream_data_bidi_remote = 16384;
  o.server.max_window_stream_data = 16384;
  const sim_app_plan plan = {.streams = 1, .size = 500000, .upload = 1};
  run_flow(&o, &plan, 16384);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(flow_control_stream),
      cmocka_unit_test(flow_control_connection),
      cmocka_unit_test(flow_control_upload),
  };
  return scn_main(argc, argv, "sim_flow", tests, sizeof tests / sizeof tests[0]);
}
