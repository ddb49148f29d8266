/* Scenarios: the plugin frame scheduler under greedy plugins
 * (tests/plugins/greedy: each keeps more 1000-byte frames reserved than
 * it may send). The server answers an 8 MB GET on a 50 Mbit/s, 20 ms path
 * while greedy plugins run on its connection; measured between two points
 * in the middle of the response, while the core has stream data to send:
 *
 *   plugin_sched_share   one greedy plugin: stream data keeps at least
 *                        the configured share (50 %, then 80 %) of the
 *                        bytes sent (see check_share), and the plugin
 *                        gets the rest;
 *   plugin_sched_fair    two greedy plugins: stream data keeps its share
 *                        and the plugins split the rest evenly (deficit
 *                        round robin).
 *
 * The transfer completes, byte-exact, in every run, and the client's copy
 * of each plugin received the frames the server's wrote (but those in
 * packets the bottleneck queue dropped). */
#include <inttypes.h>

#include "plugin_scn.h"

#define GREEDY_A "org.pquic.test.greedy-a"
#define GREEDY_B "org.pquic.test.greedy-b"
#define SIZE 8000000ull
#define WINDOW 3000000ull /* stream bytes between the two measurements */

/* Over the measurement window: unique stream bytes, plugin frame bytes,
 * their sum, and the UDP payload bytes sent (stream retransmissions and
 * packet overhead included). */
typedef struct shares {
  uint64_t stream, plugin[2], total, wire;
} shares;

typedef struct bytes_pred {
  pquic_cnx *cnx;
  uint64_t at_least;
} bytes_pred;

static int stream_sent(void *user) {
  const bytes_pred *b = user;
  pquic_stats st;
  pquic_cnx_get_stats(b->cnx, &st);
  return st.stream_bytes_sent >= b->at_least;
}

static uint64_t written(pquic_cnx *cnx, const char *counts_op) {
  uint64_t out[4] = {0};
  psc_call(cnx, counts_op, out, 4);
  return out[0];
}

static uint64_t received(pquic_cnx *cnx, const char *counts_op) {
  uint64_t out[4] = {0};
  psc_call(cnx, counts_op, out, 4);
  return out[2];
}

static void greedy_run(size_t n_greedy, uint32_t stream_share, shares *sh) {
  static const char *const names[2] = {GREEDY_A, GREEDY_B};
  static const char *const start[2] = {"greedy_a_start", "greedy_b_start"};
  static const char *const stop[2] = {"greedy_a_stop", "greedy_b_stop"};
  static const char *const counts[2] = {"greedy_a_counts", "greedy_b_counts"};
  scn_opts o;
  scn_opts_init(&o);
  scn_link(&o.up, 50000000, 10000, 2.0);
  scn_link(&o.down, 50000000, 10000, 2.0);
  /* Flow control never binds: the stream always has data to send. */
  o.client.initial_max_data = 64u << 20;
  o.client.initial_max_stream_data_bidi_local = 32u << 20;
  scn x;
  scn_setup(&x, &o);
  pquic_endpoint *sep = sim_pquic_endpoint(x.server);
  pquic_endpoint *cep = sim_pquic_endpoint(x.client[0]);
  pquic_plugin_settings set;
  pquic_plugin_settings_init(&set);
  set.stream_share = stream_share;
  assert_int_equal(pquic_endpoint_plugin_settings(sep, &set), 0);
  for (size_t i = 0; i < n_greedy; i++) {
    assert_int_equal(pquic_plugin_inject(sep, psc_load(sep, names[i])), 0);
    assert_int_equal(pquic_plugin_inject(cep, psc_load(cep, names[i])), 0);
  }
  const sim_app_plan plan = {.streams = 1, .size = SIZE};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  pquic_cnx *srv = psc_server_cnx(&x, 1);
  /* The response is under way: the greedy plugins start. */
  bytes_pred b = {srv, 200000};
  scn_run_pred(&x, stream_sent, &b, 10000000, "response started");
  for (size_t i = 0; i < n_greedy; i++)
    psc_call(srv, start[i], NULL, 0);
  /* Measure over WINDOW stream bytes in the middle of the transfer. */
  b.at_least = 1000000;
  scn_run_pred(&x, stream_sent, &b, 60000000, "first mark");
  pquic_stats s0, s1;
  pquic_cnx_get_stats(srv, &s0);
  uint64_t p0[2] = {0, 0};
  for (size_t i = 0; i < n_greedy; i++)
    p0[i] = written(srv, counts[i]);
  b.at_least = s0.stream_bytes_sent + WINDOW;
  scn_run_pred(&x, stream_sent, &b, 120000000, "second mark");
  pquic_cnx_get_stats(srv, &s1);
  memset(sh, 0, sizeof *sh);
  sh->stream = s1.stream_bytes_sent - s0.stream_bytes_sent;
  sh->total = sh->stream;
  sh->wire = s1.bytes_sent - s0.bytes_sent;
  for (size_t i = 0; i < n_greedy; i++) {
    sh->plugin[i] = written(srv, counts[i]) - p0[i];
    sh->total += sh->plugin[i];
    psc_call(srv, stop[i], NULL, 0);
  }
  printf("share %u%%, %zu greedy: stream %" PRIu64 " B (%.1f %% of stream + plugin bytes), "
         "plugins %" PRIu64 " + %" PRIu64 " B; %" PRIu64 " B sent, %.1f %% not plugin frames\n",
         stream_share, n_greedy, sh->stream, 100.0 * (double)sh->stream / (double)sh->total,
         sh->plugin[0], sh->plugin[1], sh->wire,
         100.0 - 100.0 * (double)(sh->plugin[0] + sh->plugin[1]) / (double)sh->wire);
  scn_run_finished(&x, 120000000);
  (void)scn_check_conn(&x, c);
  /* What the server's plugins wrote reached the client's copies, but for
   * the frames in packets the bottleneck queue dropped: greedy frames
   * are never resent). */
  psc_run_to(&x, sim_now(x.s) + 1000000);
  for (size_t i = 0; i < n_greedy; i++) {
    char cops[32];
    snprintf(cops, sizeof cops, "%s", counts[i]);
    assert_non_null(c->cnx);
    uint64_t rx = received(c->cnx, cops), tx = written(srv, cops);
    printf("%s: client received %" PRIu64 " of %" PRIu64 " B\n", cops, rx, tx);
    assert_true(rx <= tx && rx * 2 >= tx);
  }
  scn_free(&x);
}

/* The class-based queuing guarantee, over the bytes sent: at least `share`
 * percent are not plugin frames (stream data, its retransmissions, packet
 * overhead). Unique stream bytes then lose only what retransmissions and
 * headers take, and the plugins do get the rest. */
static void check_share(const shares *sh, uint64_t share) {
  uint64_t plugin = sh->plugin[0] + sh->plugin[1];
  assert_true((sh->wire - plugin) * 1000 >= sh->wire * (share * 10 - 5));
  assert_true(sh->stream * 100 >= sh->total * (share - 4));
  assert_true(plugin * 100 >= sh->total * (100 - share - 5));
}

static void plugin_sched_share(void **state) {
  (void)state;
  shares sh;
  greedy_run(1, 50, &sh);
  check_share(&sh, 50);
  greedy_run(1, 80, &sh);
  check_share(&sh, 80);
}

static void plugin_sched_fair(void **state) {
  (void)state;
  shares sh;
  greedy_run(2, 50, &sh);
  check_share(&sh, 50);
  uint64_t a = sh.plugin[0], b = sh.plugin[1];
  assert_true(a > 0 && b > 0);
  uint64_t diff = a > b ? a - b : b - a;
  assert_true(diff * 100 <= (a + b) * 5); /* within 5 % of an even split */
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(plugin_sched_share),
      cmocka_unit_test(plugin_sched_fair),
  };
  return scn_main(argc, argv, "plugin_sched", tests, sizeof tests / sizeof tests[0]);
}
