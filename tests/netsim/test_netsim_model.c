/* Link model of pquic-netsim: serialization, drop-tail, loss models,
 * jitter and reordering, seeding; the delivery queue and the histogram. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/alloc.h"
#include "model.h"
#include "pktq.h"
#include "pquic/errors.h"
#include "stats.h"

#define MS 1000000ull
#define US 1000ull

static ns_dir_params params(void) {
  ns_dir_params p;
  ns_dir_params_default(&p);
  return p;
}

static void test_tx_time(void **state) {
  (void)state;
  assert_true(ns_tx_time(1250, 10000000) == 1 * MS); /* 10 kbit at 10 Mbit/s */
  assert_true(ns_tx_time(1, 3) == 2666666667ull);    /* rounded up */
  assert_true(ns_tx_time(1500, 0) == 0);
  assert_true(ns_tx_time(65535, 1000000000000ull) == 525); /* 1 Tbit/s, no overflow */
}

/* 8 Mbit/s is one byte per µs: five 1000-byte datagrams at once leave one
 * ms apart, then travel the delay. */
static void test_serialization(void **state) {
  (void)state;
  ns_dir_params p = params();
  p.rate_bps = 8000000;
  p.queue_bytes = 100000;
  p.delay_ns = 10 * MS;
  ns_dir d;
  ns_dir_init(&d, &p, 1, 0);
  for (int i = 0; i < 5; i++) {
    uint64_t at;
    assert_int_equal(ns_dir_offer(&d, 0, 1000, &at), NS_DELIVER);
    assert_true(at == (uint64_t)(i + 1) * MS + 10 * MS);
  }
  assert_true(ns_dir_backlog(&d, 0) == 5000);
  assert_true(ns_dir_backlog(&d, 2 * MS) == 3000);
  assert_true(ns_dir_backlog(&d, 10 * MS) == 0);
  assert_true(d.st.max_backlog == 5000);
  /* An idle link starts serializing at the arrival. */
  uint64_t at;
  assert_int_equal(ns_dir_offer(&d, 20 * MS, 500, &at), NS_DELIVER);
  assert_true(at == 20 * MS + 500 * US + 10 * MS);
}

static void test_drop_tail(void **state) {
  (void)state;
  ns_dir_params p = params();
  p.rate_bps = 8000000;
  p.queue_bytes = 3000;
  ns_dir d;
  ns_dir_init(&d, &p, 1, 0);
  uint64_t at;
  for (int i = 0; i < 3; i++)
    assert_int_equal(ns_dir_offer(&d, 0, 1000, &at), NS_DELIVER);
  assert_int_equal(ns_dir_offer(&d, 0, 1000, &at), NS_DROP_QUEUE);
  assert_int_equal(ns_dir_offer(&d, 0, 1, &at), NS_DROP_QUEUE);
  /* A ms later one datagram has left: room for exactly one more. */
  assert_int_equal(ns_dir_offer(&d, 1 * MS, 1000, &at), NS_DELIVER);
  assert_true(at == 4 * MS);
  assert_int_equal(ns_dir_offer(&d, 1 * MS, 1000, &at), NS_DROP_QUEUE);
  assert_true(d.st.drop_queue == 3 && d.st.rx_pkts == 7 && d.st.max_backlog == 3000);
  /* The overhead counts against the queue and the rate. */
  ns_dir_params q = params();
  q.rate_bps = 8000000;
  q.queue_bytes = 2000;
  q.overhead = 100;
  ns_dir_init(&d, &q, 1, 0);
  assert_int_equal(ns_dir_offer(&d, 0, 900, &at), NS_DELIVER);
  assert_true(at == 1 * MS);
  assert_int_equal(ns_dir_offer(&d, 0, 901, &at), NS_DROP_QUEUE);
}

static void test_bernoulli(void **state) {
  (void)state;
  ns_dir_params p = params();
  p.loss = 0.01;
  ns_dir a, b, c;
  ns_dir_init(&a, &p, 42, 0);
  ns_dir_init(&b, &p, 42, 0);
  ns_dir_init(&c, &p, 42, 1);
  int same_ab = 1, same_ac = 1;
  for (uint64_t i = 0; i < 1000000; i++) {
    uint64_t at;
    int va = ns_dir_offer(&a, i, 100, &at);
    int vb = ns_dir_offer(&b, i, 100, &at);
    int vc = ns_dir_offer(&c, i, 100, &at);
    same_ab &= va == vb;
    same_ac &= va == vc;
  }
  assert_true(same_ab);  /* same seed and stream: same pattern */
  assert_false(same_ac); /* another stream: another pattern */
  assert_in_range(a.st.drop_loss, 9700, 10300);
  assert_in_range(c.st.drop_loss, 9700, 10300);
}

static void test_gilbert(void **state) {
  (void)state;
  ns_dir_params p = params();
  p.loss = 0.05;
  p.burst = 4;
  ns_dir d;
  ns_dir_init(&d, &p, 3, 0);
  uint64_t bursts = 0, lost = 0;
  int prev = 0;
  const uint64_t n = 2000000;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t at;
    int l = ns_dir_offer(&d, i, 100, &at) == NS_DROP_LOSS;
    lost += (uint64_t)l;
    bursts += (uint64_t)(l && !prev);
    prev = l;
  }
  double rate = (double)lost / (double)n, mean = (double)lost / (double)bursts;
  assert_true(rate > 0.047 && rate < 0.053);
  assert_true(mean > 3.8 && mean < 4.2);
  /* Bernoulli at the same average has bursts of about 1/(1-p). */
  p.burst = 1;
  ns_dir_init(&d, &p, 3, 0);
  lost = bursts = 0;
  prev = 0;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t at;
    int l = ns_dir_offer(&d, i, 100, &at) == NS_DROP_LOSS;
    lost += (uint64_t)l;
    bursts += (uint64_t)(l && !prev);
    prev = l;
  }
  mean = (double)lost / (double)bursts;
  assert_true(mean > 1.03 && mean < 1.08);
}

/* Jitter spreads delivery times uniformly over delay +- jitter, keeps the
 * order of datagrams closer together than the jitter, and never changes the
 * loss pattern of the same seed. */
static void test_jitter(void **state) {
  (void)state;
  ns_dir_params p = params();
  p.delay_ns = 10 * MS;
  p.jitter_ns = 2 * MS;
  p.loss = 0.1;
  ns_dir_params q = p;
  q.jitter_ns = 0;
  ns_dir d, plain;
  ns_dir_init(&d, &p, 9, 0);
  ns_dir_init(&plain, &q, 9, 0);
  /* 5 ms apart: the order never binds, so the spread is the jitter's. */
  uint64_t min_extra = UINT64_MAX, max_extra = 0, sum = 0, n = 0;
  for (uint64_t i = 0; i < 100000; i++) {
    uint64_t now = i * 5 * MS, at, at2;
    int v = ns_dir_offer(&d, now, 100, &at);
    assert_int_equal(v, ns_dir_offer(&plain, now, 100, &at2));
    if (v != NS_DELIVER)
      continue;
    uint64_t extra = at - now;
    min_extra = extra < min_extra ? extra : min_extra;
    max_extra = extra > max_extra ? extra : max_extra;
    sum += extra;
    n++;
  }
  assert_true(min_extra >= 8 * MS && min_extra < 8010 * US);
  assert_true(max_extra <= 12 * MS && max_extra > 11990 * US);
  double mean = (double)sum / (double)n;
  assert_true(mean > 9.98e6 && mean < 10.02e6);
  /* 100 µs apart: delivery times never go backwards. */
  ns_dir_init(&d, &p, 9, 1);
  uint64_t last = 0;
  for (uint64_t i = 0; i < 100000; i++) {
    uint64_t at;
    if (ns_dir_offer(&d, i * 100 * US, 100, &at) != NS_DELIVER)
      continue;
    assert_true(at >= last);
    last = at;
  }
}

static void test_reorder(void **state) {
  (void)state;
  ns_dir_params p = params();
  p.delay_ns = 5 * MS;
  p.reorder = 0.1;
  p.reorder_delay_ns = 2 * MS;
  ns_dir d;
  ns_dir_init(&d, &p, 5, 0);
  uint64_t held = 0, overtaken = 0, held_then_not = 0, prev_at = 0;
  int prev_held = 0;
  for (uint64_t i = 0; i < 10000; i++) {
    uint64_t now = i * 1 * MS, at;
    assert_int_equal(ns_dir_offer(&d, now, 100, &at), NS_DELIVER);
    int is_held = at == now + 7 * MS;
    if (!is_held)
      assert_true(at == now + 5 * MS);
    held += (uint64_t)is_held;
    if (i > 0 && at < prev_at)
      overtaken++; /* it arrives before the datagram sent 1 ms earlier */
    held_then_not += (uint64_t)(prev_held && !is_held);
    prev_at = at;
    prev_held = is_held;
  }
  assert_true(held == d.st.reordered);
  assert_in_range(held, 900, 1100);
  assert_true(overtaken == held_then_not && overtaken > 800);
}

static void test_pktq_order(void **state) {
  (void)state;
  ns_pktq q;
  ns_pktq_init(&q, 1000, 1 << 20);
  uint64_t x = 12345;
  for (int i = 0; i < 500; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    ns_pkt *p = ns_pktq_alloc(&q, 10);
    assert_non_null(p);
    p->at = (x >> 33) % 50; /* many ties */
    memcpy(p->data, &i, sizeof i);
    assert_int_equal(ns_pktq_push(&q, p), 0);
  }
  assert_true(ns_pktq_next(&q) == 0);
  uint64_t last_at = 0;
  int last_i = -1, n = 0;
  ns_pkt *p;
  while ((p = ns_pktq_pop(&q, UINT64_MAX)) != NULL) {
    int i;
    memcpy(&i, p->data, sizeof i);
    assert_true(p->at >= last_at);
    if (p->at == last_at)
      assert_true(i > last_i); /* ties leave in arrival order */
    last_at = p->at;
    last_i = i;
    ns_pktq_drop(&q, p);
    n++;
  }
  assert_int_equal(n, 500);
  assert_true(q.bytes == 0);
  assert_true(ns_pktq_next(&q) == UINT64_MAX);
  ns_pktq_free(&q);
}

static void test_pktq_limits(void **state) {
  (void)state;
  ns_pktq q;
  ns_pktq_init(&q, 4, 1000);
  ns_pkt *a = ns_pktq_alloc(&q, 600);
  assert_non_null(a);
  assert_null(ns_pktq_alloc(&q, 401)); /* bytes */
  ns_pkt *b = ns_pktq_alloc(&q, 400);
  assert_non_null(b);
  a->at = 5;
  b->at = 3;
  assert_int_equal(ns_pktq_push(&q, a), 0);
  assert_int_equal(ns_pktq_push(&q, b), 0);
  assert_null(ns_pktq_pop(&q, 2));
  ns_pkt *p = ns_pktq_pop(&q, 3);
  assert_ptr_equal(p, b);
  ns_pktq_drop(&q, p);
  for (int i = 0; i < 3; i++) {
    p = ns_pktq_alloc(&q, 1);
    assert_non_null(p);
    p->at = 1;
    assert_int_equal(ns_pktq_push(&q, p), 0);
  }
  assert_null(ns_pktq_alloc(&q, 1)); /* count */
  /* Freeing with datagrams queued releases them (ASan checks). */
  ns_pktq_free(&q);
  assert_true(q.bytes == 0);
}

static void test_pktq_oom(void **state) {
  (void)state;
  for (long fail = 0; fail < 8; fail++) {
    ns_pktq q;
    ns_pktq_init(&q, 1000, 1 << 20);
    pq_alloc_fail_after(fail);
    int pushed = 0;
    for (int i = 0; i < 300; i++) {
      ns_pkt *p = ns_pktq_alloc(&q, 8);
      if (!p)
        continue;
      p->at = (uint64_t)(300 - i);
      if (ns_pktq_push(&q, p) == 0)
        pushed++;
    }
    pq_alloc_fail_after(-1);
    assert_true((size_t)pushed == q.n);
    assert_true(q.bytes == (uint64_t)pushed * 8);
    ns_pktq_free(&q);
  }
}

static void test_hist(void **state) {
  (void)state;
  static ns_hist h;
  memset(&h, 0, sizeof h);
  assert_true(ns_hist_quantile(&h, 0.5) == 0);
  for (uint64_t i = 0; i < 98; i++)
    ns_hist_add(&h, 3500); /* 3.5 µs */
  ns_hist_add(&h, 2500 * US);
  ns_hist_add(&h, 5000 * MS);
  assert_true(ns_hist_quantile(&h, 0.5) == 4 * US); /* bucket upper bound */
  assert_true(ns_hist_quantile(&h, 0.99) == 2600 * US);
  assert_true(ns_hist_quantile(&h, 1.0) == 5000 * MS);
  assert_true(h.max_ns == 5000 * MS && h.count == 100);
  ns_dir_stats st;
  memset(&st, 0, sizeof st);
  st.rx_pkts = 7;
  st.late = h;
  char line[768];
  ns_dir_stats_format(&st, 1, NS_DOWN, line, sizeof line);
  assert_non_null(strstr(line, "link=1 dir=down rx_pkts=7 "));
  assert_non_null(strstr(line, "late_p50_us=4.0 late_p99_us=2600.0 late_max_us=5000000.0"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tx_time),     cmocka_unit_test(test_serialization),
      cmocka_unit_test(test_drop_tail),   cmocka_unit_test(test_bernoulli),
      cmocka_unit_test(test_gilbert),     cmocka_unit_test(test_jitter),
      cmocka_unit_test(test_reorder),     cmocka_unit_test(test_pktq_order),
      cmocka_unit_test(test_pktq_limits), cmocka_unit_test(test_pktq_oom),
      cmocka_unit_test(test_hist),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
