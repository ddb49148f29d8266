/* The collector's aggregate (apps/pquic-monitor/agg.c): counters grow by
 * what each connection's reports add, once; stale and late reports add
 * nothing; the table evicts closed connections first; the Prometheus text
 * is well formed and says what was counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "agg.h"

static pqm_report conn(int server, uint8_t id, uint32_t seq, uint8_t kind) {
  pqm_report r;
  memset(&r, 0, sizeof r);
  r.kind = kind;
  r.flags = MON_FLAG_CID | MON_FLAG_HANDSHAKE_DONE | (server ? MON_FLAG_SERVER : 0);
  r.cid_len = 4;
  r.cid[0] = id;
  r.seq = seq;
  r.created_us = 1000u * id;
  r.v[MON_F_UPTIME_US] = 10000;
  r.v[MON_F_HANDSHAKE_US] = 1500;
  r.v[MON_F_RTT_SMOOTHED_US] = 30000;
  return r;
}

static void deltas(void **state) {
  (void)state;
  pqm_agg a;
  assert_int_equal(pqm_agg_init(&a, 16), 0);
  pqm_report r = conn(1, 1, 0, MON_KIND_HANDSHAKE);
  r.v[MON_F_BYTES_SENT] = 100;
  r.v[MON_F_LOST] = 1;
  pqm_agg_report(&a, &r);
  assert_int_equal(a.sums[1][0], 100); /* bytes sent */
  assert_int_equal(pqm_agg_active(&a, 1), 1);
  assert_int_equal(pqm_agg_active(&a, 0), 0);
  assert_int_equal(a.handshake[1].count, 1);
  r = conn(1, 1, 1, MON_KIND_PERIODIC);
  r.v[MON_F_BYTES_SENT] = 250;
  r.v[MON_F_LOST] = 3;
  pqm_agg_report(&a, &r);
  assert_int_equal(a.sums[1][0], 250);
  assert_int_equal(a.sums[1][4], 3); /* lost */
  pqm_agg_report(&a, &r);            /* the same report again */
  assert_int_equal(a.sums[1][0], 250);
  assert_int_equal(a.stale, 1);
  /* Another connection (the client side of it) counts apart. */
  pqm_report c = conn(0, 1, 0, MON_KIND_HANDSHAKE);
  c.v[MON_F_BYTES_RECEIVED] = 250;
  pqm_agg_report(&a, &c);
  assert_int_equal(a.sums[0][2], 250);
  assert_int_equal(a.sums[1][0], 250);
  /* The close report: the rest, the reason, the RTT histogram. */
  r = conn(1, 1, 2, MON_KIND_CLOSE);
  r.v[MON_F_BYTES_SENT] = 300;
  r.v[MON_F_LOST] = 3;
  r.v[MON_F_CLOSE_KIND] = MON_CLOSE_PEER;
  pqm_agg_report(&a, &r);
  assert_int_equal(a.sums[1][0], 300);
  assert_int_equal(a.closed[1][MON_CLOSE_PEER], 1);
  assert_int_equal(pqm_agg_active(&a, 1), 0);
  assert_int_equal(a.rtt[1].count, 1);
  assert_int_equal(a.rtt[1].sum_us, 30000);
  /* A late periodic report after the close adds nothing. */
  r = conn(1, 1, 3, MON_KIND_PERIODIC);
  r.v[MON_F_BYTES_SENT] = 999;
  pqm_agg_report(&a, &r);
  assert_int_equal(a.sums[1][0], 300);
  assert_int_equal(a.stale, 2);
  assert_int_equal(a.reports[1][MON_KIND_PERIODIC], 3);
  /* A close report of a connection never seen counts whole. */
  r = conn(1, 9, 5, MON_KIND_CLOSE);
  r.v[MON_F_BYTES_SENT] = 1000;
  r.v[MON_F_CLOSE_KIND] = MON_CLOSE_IDLE;
  pqm_agg_report(&a, &r);
  assert_int_equal(a.sums[1][0], 1300);
  assert_int_equal(a.closed[1][MON_CLOSE_IDLE], 1);
  pqm_agg_free(&a);
}

static void eviction(void **state) {
  (void)state;
  pqm_agg a;
  assert_int_equal(pqm_agg_init(&a, 2), 0);
  pqm_report r1 = conn(0, 1, 0, MON_KIND_HANDSHAKE), r2 = conn(0, 2, 0, MON_KIND_HANDSHAKE);
  pqm_agg_report(&a, &r1);
  pqm_agg_report(&a, &r2);
  pqm_report c2 = conn(0, 2, 1, MON_KIND_CLOSE);
  c2.v[MON_F_CLOSE_KIND] = MON_CLOSE_APPLICATION;
  pqm_agg_report(&a, &c2);
  /* A third: the closed one makes room, nothing open is forgotten. */
  pqm_report r3 = conn(0, 3, 0, MON_KIND_HANDSHAKE);
  pqm_agg_report(&a, &r3);
  assert_int_equal(a.evicted, 0);
  assert_int_equal(pqm_agg_active(&a, 0), 2);
  /* A fourth: the open one unseen for longest (1) goes. */
  pqm_report r4 = conn(0, 4, 0, MON_KIND_HANDSHAKE);
  pqm_agg_report(&a, &r4);
  assert_int_equal(a.evicted, 1);
  assert_int_equal(pqm_agg_active(&a, 0), 2);
  /* Its next report is then a new connection: counted from zero again. */
  r1.seq = 1;
  r1.kind = MON_KIND_PERIODIC;
  r1.v[MON_F_BYTES_SENT] = 10;
  pqm_agg_report(&a, &r1);
  assert_int_equal(a.sums[0][0], 10);
  assert_int_equal(a.evicted, 2);
  pqm_agg_free(&a);
}

/* Every line is a comment or `name{labels} value`, every name pquic_. */
static void check_lines(const char *text) {
  const char *p = text;
  int samples = 0;
  while (*p) {
    const char *nl = strchr(p, '\n');
    assert_non_null(nl);
    size_t n = (size_t)(nl - p);
    char line[512];
    assert_true(n < sizeof line);
    memcpy(line, p, n);
    line[n] = '\0';
    if (line[0] == '#') {
      assert_true(strncmp(line, "# HELP pquic_", 13) == 0 ||
                  strncmp(line, "# TYPE pquic_", 13) == 0);
    } else {
      assert_true(strncmp(line, "pquic_", 6) == 0);
      const char *sp = strrchr(line, ' ');
      assert_non_null(sp);
      assert_true(strspn(sp + 1, "0123456789.") == strlen(sp + 1) && sp[1]);
      const char *brace = strchr(line, '{');
      if (brace)
        assert_true(brace < sp && sp[-1] == '}');
      samples++;
    }
    p = nl + 1;
  }
  assert_true(samples > 50);
}

static void prometheus(void **state) {
  (void)state;
  pqm_agg a;
  assert_int_equal(pqm_agg_init(&a, 8), 0);
  pqm_agg_datagram(&a, PQM_OK);
  pqm_agg_datagram(&a, PQM_DROP_FOREIGN);
  pqm_agg_datagram(&a, PQM_DROP_FIELD);
  pqm_agg_datagram(&a, PQM_DROP_FIELD);
  pqm_report r = conn(1, 1, 0, MON_KIND_HANDSHAKE);
  r.v[MON_F_BYTES_SENT] = 300;
  pqm_agg_report(&a, &r);
  size_t need = pqm_agg_prometheus(&a, NULL, 0);
  char buf[32768];
  assert_true(need < sizeof buf);
  assert_int_equal(pqm_agg_prometheus(&a, buf, sizeof buf), need);
  assert_int_equal(strlen(buf), need);
  static const char *const want[] = {
      "# TYPE pquic_monitor_datagrams_total counter\npquic_monitor_datagrams_total 4\n",
      "pquic_monitor_dropped_total{reason=\"foreign\"} 1\n",
      "pquic_monitor_dropped_total{reason=\"field\"} 2\n",
      "pquic_monitor_dropped_total{reason=\"short\"} 0\n",
      "pquic_reports_total{role=\"server\",kind=\"handshake\"} 1\n",
      "pquic_connections_active{role=\"server\"} 1\n",
      "pquic_connections_active{role=\"client\"} 0\n",
      "pquic_connections_closed_total{role=\"client\",reason=\"idle\"} 0\n",
      "# TYPE pquic_bytes_sent_total counter\n",
      "pquic_bytes_sent_total{role=\"server\"} 300\n",
      "# TYPE pquic_handshake_duration_seconds histogram\n",
      "pquic_handshake_duration_seconds_bucket{role=\"server\",le=\"0.001\"} 0\n",
      "pquic_handshake_duration_seconds_bucket{role=\"server\",le=\"0.0025\"} 1\n",
      "pquic_handshake_duration_seconds_bucket{role=\"server\",le=\"10\"} 1\n",
      "pquic_handshake_duration_seconds_bucket{role=\"server\",le=\"+Inf\"} 1\n",
      "pquic_handshake_duration_seconds_sum{role=\"server\"} 0.0015\n",
      "pquic_handshake_duration_seconds_count{role=\"server\"} 1\n",
      "pquic_rtt_smoothed_seconds_count{role=\"client\"} 0\n",
      "pquic_rtt_smoothed_seconds_sum{role=\"client\"} 0\n"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    if (!strstr(buf, want[i]))
      fail_msg("missing: %s", want[i]);
  check_lines(buf);
  /* Truncated output: NUL-terminated, same length reported. */
  char small[100];
  assert_int_equal(pqm_agg_prometheus(&a, small, sizeof small), need);
  assert_int_equal(strlen(small), sizeof small - 1);
  assert_memory_equal(small, buf, sizeof small - 1);
  pqm_agg_free(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(deltas),
      cmocka_unit_test(eviction),
      cmocka_unit_test(prometheus),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
