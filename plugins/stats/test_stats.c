/* Scenario of org.pquic.example.stats in the simulator:
 *
 *   plugin_stats   both endpoints inject the plugin; a 2 MB download over
 *                  a path losing 2 % of datagrams each way; on each side
 *                  the observers counted exactly the packets sent,
 *                  received and lost that the core counted, and the
 *                  final counters reach the application as a message
 *                  when the connection closes. The plugin changes
 *                  nothing: the run takes exactly as long as without it. */
#include <inttypes.h>

#include "plugin_scn.h"
#include "pquic_plugin.h"
#include "stats.h"

#define NAME "org.pquic.example.stats"

typedef struct result {
  uint64_t done_us;
  stats_counters counters[2]; /* client, server */
  pquic_stats stats[2];
  psc_msgs msgs[2];
} result;

static void run(int with_plugin, result *r) {
  scn_opts o;
  scn_opts_init(&o);
  o.up.loss = 0.02;
  o.down.loss = 0.02;
  scn x;
  scn_setup(&x, &o);
  memset(r, 0, sizeof *r);
  pquic_endpoint *eps[2] = {sim_pquic_endpoint(x.client[0]), sim_pquic_endpoint(x.server)};
  for (int i = 0; i < 2; i++) {
    psc_collect(eps[i], &r->msgs[i]);
    if (with_plugin)
      assert_int_equal(pquic_plugin_inject(eps[i], psc_load(eps[i], NAME)), 0);
  }
  const sim_app_plan plan = {.streams = 1, .size = 2000000};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_finished(&x, 60000000);
  r->done_us = scn_check_conn(&x, c);
  pquic_cnx *cnx[2] = {c->cnx, scn_server_conn(&x, c)->cnx};
  for (int i = 0; i < 2; i++) {
    assert_non_null(cnx[i]);
    pquic_cnx_get_stats(cnx[i], &r->stats[i]);
    if (with_plugin) {
      uint64_t out[STATS_COUNTERS];
      psc_call(cnx[i], "stats_get", out, STATS_COUNTERS);
      memcpy(&r->counters[i], out, sizeof out);
    }
  }
  assert_int_equal(pquic_cnx_close(c->cnx, 0, "done", sim_now(x.s)), 0);
  psc_run_to(&x, sim_now(x.s) + 2000000);
  assert_true(c->closed);
  scn_free(&x);
}

static void plugin_stats(void **state) {
  (void)state;
  result with, without;
  run(1, &with);
  run(0, &without);
  for (int i = 0; i < 2; i++) {
    const stats_counters *s = &with.counters[i];
    const pquic_stats *st = &with.stats[i];
    printf("%s: sent %" PRIu64 " packets / %" PRIu64 " B, received %" PRIu64 ", lost %" PRIu64
           " (core: %" PRIu64 " / %" PRIu64 ", %" PRIu64 ", %" PRIu64 ")\n",
           i ? "server" : "client", s->sent_packets, s->sent_bytes, s->received_packets,
           s->lost_packets, st->packets_sent, st->bytes_sent, st->packets_received,
           st->packets_lost);
    assert_int_equal(s->sent_packets, st->packets_sent);
    assert_int_equal(s->sent_bytes, st->bytes_sent);
    assert_int_equal(s->received_packets, st->packets_received);
    assert_int_equal(s->lost_packets, st->packets_lost);
    /* The final report at close, one per side. */
    assert_int_equal(with.msgs[i].n, 1);
    stats_counters last;
    assert_int_equal(with.msgs[i].len[0], sizeof last);
    memcpy(&last, with.msgs[i].data[0], sizeof last < 64 ? sizeof last : 64);
    assert_true(last.sent_packets >= s->sent_packets);
    assert_int_equal(without.msgs[i].n, 0);
  }
  assert_true(with.counters[1].lost_packets > 0); /* the loss was seen */
  /* Observers only: the same run to the microsecond. */
  assert_int_equal(with.done_us, without.done_us);
  assert_int_equal(with.stats[0].packets_sent, without.stats[0].packets_sent);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(plugin_stats)};
  return scn_main(argc, argv, "plugin_stats", tests, sizeof tests / sizeof tests[0]);
}
