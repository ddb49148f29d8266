/* The link model alone (no QUIC): timing exact in virtual time, drop-tail
 * queue, exact loss patterns, random loss statistics with fixed seeds,
 * reordering, duplication, ECN marking, tamper hook, reproducibility. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "link.h"
#include "rng.h"

static sim_link *make(const sim_link_config *cfg) {
  sim_link *l = NULL;
  assert_int_equal(sim_link_new(cfg, &l), 0);
  assert_non_null(l);
  return l;
}

static sim_link_verdict send_n(sim_link *l, uint64_t now, size_t len) {
  static uint8_t buf[SIM_LINK_MAX_MTU];
  return sim_link_send(l, now, buf, len, SIM_ECN_NOT_ECT);
}

/* Pops one datagram due at `now` and returns its arrival time. */
static uint64_t pop_arrival(sim_link *l, uint64_t now) {
  uint8_t buf[SIM_LINK_DEFAULT_MTU];
  sim_packet p;
  assert_int_equal(sim_link_pop(l, now, &p, buf, sizeof buf), 1);
  return p.arrival_us;
}

static void test_delay_only(void **state) {
  (void)state;
  sim_link_config c;
  sim_link_config_init(&c);
  c.delay_us = 10000;
  sim_link *l = make(&c);
  assert_int_equal(send_n(l, 5, 1200), SIM_LINK_SENT);
  assert_int_equal(send_n(l, 5, 1200), SIM_LINK_SENT); /* infinite rate: no wait */
  assert_int_equal(sim_link_next_arrival(l), 10005);
  uint8_t buf[SIM_LINK_DEFAULT_MTU];
  sim_packet p;
  assert_int_equal(sim_link_pop(l, 10004, &p, buf, sizeof buf), 0);
  assert_int_equal(pop_arrival(l, 10005), 10005);
  assert_int_equal(pop_arrival(l, 10005), 10005);
  assert_int_equal(sim_link_next_arrival(l), UINT64_MAX);
  assert_int_equal(sim_link_get_stats(l)->delivered, 2);
  assert_int_equal(sim_link_get_stats(l)->bytes_delivered, 2400);
  sim_link_free(l);
}

/* 8 Mbit/s is exactly 1 us per byte: each datagram waits for the previous
 * one's last bit, then travels delay_us. */
static void test_rate_fifo(void **state) {
  (void)state;
  sim_link_config c;
  sim_link_config_init(&c);
  c.delay_us = 10000;
  c.rate_bps = 8000000;
  sim_link *l = make(&c);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(send_n(l, 0, 1000), SIM_LINK_SENT);
  }
  assert_int_equal(pop_arrival(l, UINT64_MAX), 11000);
  assert_int_equal(pop_arrival(l, UINT64_MAX), 12000);
  assert_int_equal(pop_arrival(l, UINT64_MAX), 13000);
  /* Idle link: starts at once. */
  assert_int_equal(send_n(l, 20000, 1000), SIM_LINK_SENT);
  /* Busy until 21000: the 500 bytes start then. */
  assert_int_equal(send_n(l, 20100, 500), SIM_LINK_SENT);
  assert_int_equal(pop_arrival(l, UINT64_MAX), 31000);
  assert_int_equal(pop_arrival(l, UINT64_MAX), 31500);
  sim_link_free(l);
}

/* 3 Mbit/s: 8/3 us a byte, kept in nanoseconds, arrival rounded up. */
static void test_rate_rounding_and_overhead(void **state) {
  (void)state;
  sim_link_config c;
  sim_link_config_init(&c);
  c.rate_bps = 3000000;
  sim_link *l = make(&c);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(send_n(l, 0, 1), SIM_LINK_SENT);
  }
  /* 2667 ns, 5334 ns, 8001 ns. */
  assert_int_equal(pop_arrival(l, UINT64_MAX), 3);
  assert_int_equal(pop_arrival(l, UINT64_MAX), 6);
  assert_int_equal(pop_arrival(l, UINT64_MAX), 9);
  sim_link_free(l);

  sim_link_config_init(&c);
  c.rate_bps = 8000000;
  c.overhead_bytes = 28; /* IPv4 + UDP */
  l = make(&c);
  assert_int_equal(send_n(l, 0, 1000), SIM_LINK_SENT);
  assert_int_equal(pop_arrival(l, UINT64_MAX), 1028);
  sim_link_free(l);
}

static void test_queue_limit(void **state) {
  (void)state;
  sim_link_config c;
  sim_link_config_init(&c);
  c.rate_bps = 8000000;
  c.queue_bytes = 3000;
  sim_link *l = make(&c);
  assert_int_equal(send_n(l, 0, 1000), SIM_LINK_SENT);
  assert_int_equal(send_n(l, 0, 1000), SIM_LINK_SENT);
  assert_int_equal(send_n(l, 0, 1000), SIM_LINK_SENT); /* exactly at the limit */
  assert_int_equal(send_n(l, 0, 1000), SIM_LINK_DROP_QUEUE);
  assert_int_equal(send_n(l, 0, 1), SIM_LINK_DROP_QUEUE);
  assert_int_equal(sim_link_queue_bytes(l, 0), 3000);
  assert_int_equal(sim_link_queue_bytes(l, 999), 3000);
  assert_int_equal(sim_link_queue_bytes(l, 1000), 2000); /* the first has left */
  assert_int_equal(send_n(l, 1000, 1000), SIM_LINK_SENT);
  assert_int_equal(send_n(l, 1000, 1000), SIM_LINK_DROP_QUEUE);
  const sim_link_stats *st = sim_link_get_stats(l);
  assert_int_equal(st->offered, 7);
  assert_int_equal(st->dropped_queue, 3);
  assert_int_equal(st->max_queue_bytes, 3000);
  /* The accepted ones leave back to back. */
  assert_int_equal(pop_arrival(l, UINT64_MAX), 1000);
  assert_int_equal(pop_arrival(l, UINT64_MAX), 2000);
  assert_int_equal(pop_arrival(l, UINT64_MAX), 3000);
  assert_int_equal(pop_arrival(l, UINT64_MAX), 4000);
  assert_int_equal(sim_link_in_flight(l), 0);
  sim_link_free(l);
}

/* Sends n datagrams 1 us apart and returns a bit set of the delivered
 * indices (n <= 256). */
static void delivered_set(sim_link *l, int n, uint8_t *got) {
  memset(got, 0, (size_t)n);
  uint64_t t0 = sim_link_get_stats(l)->offered;
  for (int i = 0; i < n; i++) {
    (void)send_n(l, t0 + (uint64_t)i, 100);
  }
  uint8_t buf[SIM_LINK_DEFAULT_MTU];
  sim_packet p;
  while (sim_link_pop(l, UINT64_MAX, &p, buf, sizeof buf)) {
    assert_true(p.index >= t0 && p.index < t0 + (uint64_t)n);
    got[p.index - t0] = 1;
  }
}

static void test_exact_drop_list(void **state) {
  (void)state;
  sim_link_config c;
  sim_link_config_init(&c);
  sim_link *l = make(&c);
  assert_int_equal(sim_link_drop_range(l, 2, 1), 0);
  assert_int_equal(sim_link_drop_range(l, 5, 2), 0);
  uint8_t got[10];
  delivered_set(l, 10, got);
  const uint8_t want[10] = {1, 1, 0, 1, 1, 0, 0, 1, 1, 1};
  assert_memory_equal(got, want, 10);
  assert_int_equal(sim_link_get_stats(l)->dropped_loss, 3);
  sim_link_free(l);

  l = make(&c);
  for (int i = 0; i < SIM_LINK_MAX_DROP_RANGES; i++) {
    assert_int_equal(sim_link_drop_range(l, (uint64_t)i * 3, 1), 0);
  }
  assert_int_equal(sim_link_drop_range(l, 1000, 1), -1);
  sim_link_free(l);
}

static void test_loss_mask(void **state) {
  (void)state;
  sim_link_config c;
  sim_link_config_init(&c);
  c.loss_mask = UINT64_C(0x8000000000000001); /* the 1st and 64th of every 64 */
  sim_link *l = make(&c);
  uint8_t got[200];
  delivered_set(l, 200, got);
  for (int i = 0; i < 200; i++) {
    int lost = (i % 64 == 0) || (i % 64 == 63);
    assert_int_equal(got[i], !lost);
  }
  /* A new mask counts from the next datagram. */
  sim_link_set_loss_mask(l, 0x2);
  delivered_set(l, 130, got);
  for (int i = 0; i < 130; i++) {
    assert_int_equal(got[i], !(i == 1 || i == 65 || i == 129));
  }
  sim_link_set_loss_mask(l, 0);
  delivered_set(l, 64, got);
  for (int i = 0; i < 64; i++) {
    assert_int_equal(got[i], 1);
  }
  sim_link_free(l);
}

/* Sends n datagrams and records which were lost (lost[i] = 1). */
static uint64_t run_losses(sim_link *l, int n, uint8_t *lost) {
  uint64_t count = 0;
  for (int i = 0; i < n; i++) {
    sim_link_verdict v = send_n(l, (uint64_t)i, 100);
    assert_true(v == SIM_LINK_SENT || v == SIM_LINK_DROP_LOSS);
    lost[i] = v == SIM_LINK_DROP_LOSS;
    count += lost[i];
    uint8_t buf[SIM_LINK_DEFAULT_MTU];
    sim_packet p;
    while (sim_link_pop(l, UINT64_MAX, &p, buf, sizeof buf)) {
    }
  }
  return count;
}

#define NPKT 100000

/* Binomial(100000, p): the count must be within 4 standard deviations. */
static void check_bernoulli(double p, uint64_t seed) {
  sim_link_config c;
  sim_link_config_init(&c);
  c.loss = p;
  c.seed = seed;
  sim_link *l = make(&c);
  static uint8_t lost[NPKT];
  double n = (double)run_losses(l, NPKT, lost);
  double mean = NPKT * p, sd = sqrt(NPKT * p * (1 - p));
  assert_true(fabs(n - mean) <= 4 * sd);
  assert_int_equal(sim_link_get_stats(l)->dropped_loss, (uint64_t)n);
  sim_link_free(l);
}

static void test_bernoulli_rate(void **state) {
  (void)state;
  check_bernoulli(0.01, 1);
  check_bernoulli(0.05, 2);
  check_bernoulli(0.5, 3);
  /* The extremes are exact. */
  check_bernoulli(0.0, 4);
  sim_link_config c;
  sim_link_config_init(&c);
  c.loss = 1.0;
  sim_link *l = make(&c);
  static uint8_t lost[1000];
  assert_int_equal(run_losses(l, 1000, lost), 1000);
  sim_link_free(l);
}

/* Mean loss pi_good * loss_good + pi_bad * loss_bad with pi_bad = p/(p+r),
 * within 15 % (about 3.5 standard deviations for these burst lengths), and
 * loss runs of mean length near 1/r when loss_bad = 1. */
static void check_ge(double p, double r, double lg, double lb, uint64_t seed) {
  sim_link_config c;
  sim_link_config_init(&c);
  c.ge_p = p;
  c.ge_r = r;
  c.ge_loss_good = lg;
  c.ge_loss_bad = lb;
  c.seed = seed;
  sim_link *l = make(&c);
  static uint8_t lost[NPKT];
  double n = (double)run_losses(l, NPKT, lost);
  double pib = p / (p + r);
  double want = NPKT * ((1 - pib) * lg + pib * lb);
  assert_true(fabs(n - want) <= 0.15 * want);
  if (lg == 0.0 && lb == 1.0) {
    uint64_t runs = 0;
    for (int i = 0; i < NPKT; i++) {
      runs += lost[i] && (i == 0 || !lost[i - 1]);
    }
    double mean_run = n / (double)runs;
    assert_true(fabs(mean_run - 1 / r) <= 0.15 / r);
  }
  sim_link_free(l);
}

static void test_gilbert_elliott(void **state) {
  (void)state;
  check_ge(0.01, 0.25, 0.0, 1.0, 7);  /* 3.85 % in bursts of 4 */
  check_ge(0.02, 0.2, 0.005, 0.4, 8); /* 4.09 % */
  check_ge(0.001, 0.5, 0.0, 1.0, 9);  /* 0.2 % in bursts of 2 */
}

/* An exact drop consumes the same random draws as a delivered datagram:
 * the random losses of two links with one seed differ only there. */
static void test_exact_drops_keep_random_stream(void **state) {
  (void)state;
  sim_link_config c;
  sim_link_config_init(&c);
  c.loss = 0.1;
  c.reorder = 0.1;
  c.reorder_delay_us = 10;
  c.seed = 99;
  sim_link *a = make(&c), *b = make(&c);
  assert_int_equal(sim_link_drop_range(b, 10, 1), 0);
  static uint8_t la[2000], lb[2000];
  run_losses(a, 2000, la);
  run_losses(b, 2000, lb);
  assert_int_equal(lb[10], 1);
  la[10] = 1;
  assert_memory_equal(la, lb, sizeof la);
  sim_link_free(a);
  sim_link_free(b);
}

/* Sends 1000 datagrams 100 us apart and records delivery order. */
static void reorder_run(uint64_t seed, uint64_t *order, uint64_t *reordered) {
  sim_link_config c;
  sim_link_config_init(&c);
  c.delay_us = 10000;
  c.rate_bps = 100000000;
  c.reorder = 0.1;
  c.reorder_delay_us = 5000;
  c.seed = seed;
  sim_link *l = make(&c);
  for (int i = 0; i < 1000; i++) {
    assert_int_equal(send_n(l, (uint64_t)i * 100, 1200), SIM_LINK_SENT);
  }
  uint8_t buf[SIM_LINK_DEFAULT_MTU];
  sim_packet p;
  int n = 0;
  uint64_t last = 0;
  while (sim_link_pop(l, UINT64_MAX, &p, buf, sizeof buf)) {
    assert_true(p.arrival_us >= last); /* delivered in arrival order */
    last = p.arrival_us;
    order[n++] = p.index;
  }
  assert_int_equal(n, 1000);
  *reordered = sim_link_get_stats(l)->reordered;
  sim_link_free(l);
}

static void test_reordering(void **state) {
  (void)state;
  static uint64_t o1[1000], o2[1000], o3[1000];
  uint64_t r1, r2, r3;
  reorder_run(5, o1, &r1);
  /* Binomial(1000, 0.1): 100 +- 4 sd (9.5). */
  assert_true(r1 >= 62 && r1 <= 138);
  uint64_t overtaken = 0;
  for (int i = 1; i < 1000; i++) {
    overtaken += o1[i] < o1[i - 1];
  }
  assert_true(overtaken > 0);
  reorder_run(5, o2, &r2);
  assert_int_equal(r1, r2);
  assert_memory_equal(o1, o2, sizeof o1);
  reorder_run(6, o3, &r3);
  assert_true(memcmp(o1, o3, sizeof o1) != 0);
}

static void test_duplication(void **state) {
  (void)state;
  sim_link_config c;
  sim_link_config_init(&c);
  c.duplicate = 0.2;
  c.seed = 11;
  sim_link *l = make(&c);
  uint8_t data[64];
  for (int i = 0; i < 1000; i++) {
    memset(data, i & 0xff, sizeof data);
    assert_int_equal(sim_link_send(l, (uint64_t)i, data, sizeof data, SIM_ECN_ECT0), SIM_LINK_SENT);
  }
  uint8_t buf[SIM_LINK_DEFAULT_MTU];
  sim_packet p;
  uint64_t n = 0, dups = 0, prev = UINT64_MAX;
  while (sim_link_pop(l, UINT64_MAX, &p, buf, sizeof buf)) {
    n++;
    assert_int_equal(buf[0], p.index & 0xff);
    assert_int_equal(p.ecn, SIM_ECN_ECT0);
    if (p.is_duplicate) {
      dups++;
      assert_int_equal(p.index, prev); /* right behind its original */
    }
    prev = p.index;
  }
  const sim_link_stats *st = sim_link_get_stats(l);
  assert_int_equal(dups, st->duplicated);
  assert_int_equal(n, 1000 + dups);
  assert_int_equal(st->delivered, n);
  assert_true(dups >= 150 && dups <= 250); /* 200 +- 4 sd (12.6) */
  sim_link_free(l);
}

static void test_ecn_marking(void **state) {
  (void)state;
  sim_link_config c;
  sim_link_config_init(&c);
  c.rate_bps = 8000000;
  c.ecn_ce_bytes = 2000;
  sim_link *l = make(&c);
  uint8_t data[1000] = {0};
  const uint8_t in[5] = {SIM_ECN_ECT0, SIM_ECN_ECT1, SIM_ECN_ECT0, SIM_ECN_NOT_ECT, SIM_ECN_ECT1};
  const uint8_t want[5] = {SIM_ECN_ECT0, SIM_ECN_ECT1, SIM_ECN_CE, SIM_ECN_NOT_ECT, SIM_ECN_CE};
  for (int i = 0; i < 5; i++) {
    assert_int_equal(sim_link_send(l, 0, data, sizeof data, in[i]), SIM_LINK_SENT);
  }
  uint8_t buf[SIM_LINK_DEFAULT_MTU];
  sim_packet p;
  for (int i = 0; i < 5; i++) {
    assert_int_equal(sim_link_pop(l, UINT64_MAX, &p, buf, sizeof buf), 1);
    assert_int_equal(p.ecn, want[i]);
  }
  assert_int_equal(sim_link_get_stats(l)->ce_marked, 2);
  /* Once the queue has drained, no more marks. */
  assert_int_equal(sim_link_send(l, 100000, data, sizeof data, SIM_ECN_ECT0), SIM_LINK_SENT);
  assert_int_equal(sim_link_pop(l, UINT64_MAX, &p, buf, sizeof buf), 1);
  assert_int_equal(p.ecn, SIM_ECN_ECT0);
  sim_link_free(l);
}

static void test_mtu_and_down(void **state) {
  (void)state;
  sim_link_config c;
  sim_link_config_init(&c);
  c.mtu = 1200;
  c.delay_us = 50;
  sim_link *l = make(&c);
  assert_int_equal(send_n(l, 0, 1201), SIM_LINK_DROP_MTU);
  assert_int_equal(send_n(l, 0, 0), SIM_LINK_DROP_MTU);
  assert_int_equal(send_n(l, 0, 1200), SIM_LINK_SENT);
  sim_link_set_down(l, 1);
  assert_int_equal(send_n(l, 1, 100), SIM_LINK_DROP_DOWN);
  assert_int_equal(pop_arrival(l, UINT64_MAX), 50); /* in flight: still arrives */
  sim_link_set_down(l, 0);
  assert_int_equal(send_n(l, 2, 100), SIM_LINK_SENT);
  const sim_link_stats *st = sim_link_get_stats(l);
  assert_int_equal(st->dropped_mtu, 2);
  assert_int_equal(st->dropped_down, 1);
  assert_int_equal(st->offered, 5);
  sim_link_free(l);

  c.mtu = SIM_LINK_MAX_MTU + 1;
  assert_int_equal(sim_link_new(&c, &l), -2);
  sim_link_config_init(&c);
  c.loss = 1.5;
  assert_int_equal(sim_link_new(&c, &l), -2);
}

static int tamper_cb(void *user, uint64_t index, uint64_t now, uint8_t *data, size_t *len,
                     size_t cap, uint8_t *ecn) {
  int *calls = user;
  (*calls)++;
  assert_int_equal(cap, SIM_LINK_DEFAULT_MTU);
  if (index == 1) {
    data[0] ^= 0xff;
    *ecn = SIM_ECN_CE;
  } else if (index == 2) {
    *len = 10;
  } else if (index == 3) {
    return 1;
  }
  return 0;
}

static void test_tamper(void **state) {
  (void)state;
  sim_link_config c;
  sim_link_config_init(&c);
  sim_link *l = make(&c);
  int calls = 0;
  sim_link_set_tamper(l, tamper_cb, &calls);
  uint8_t data[100];
  memset(data, 0x11, sizeof data);
  for (int i = 0; i < 5; i++) {
    sim_link_verdict v = sim_link_send(l, 0, data, sizeof data, SIM_ECN_NOT_ECT);
    assert_int_equal(v, i == 3 ? SIM_LINK_DROP_TAMPER : SIM_LINK_SENT);
  }
  assert_int_equal(calls, 5);
  uint8_t buf[SIM_LINK_DEFAULT_MTU];
  sim_packet p;
  assert_int_equal(sim_link_pop(l, 0, &p, buf, sizeof buf), 1);
  assert_int_equal(p.len, 100);
  assert_int_equal(buf[0], 0x11);
  assert_int_equal(sim_link_pop(l, 0, &p, buf, sizeof buf), 1);
  assert_int_equal(buf[0], 0xee);
  assert_int_equal(p.ecn, SIM_ECN_CE);
  assert_int_equal(sim_link_pop(l, 0, &p, buf, sizeof buf), 1);
  assert_int_equal(p.len, 10);
  assert_int_equal(sim_link_pop(l, 0, &p, buf, sizeof buf), 1);
  assert_int_equal(p.index, 4);
  assert_int_equal(sim_link_get_stats(l)->dropped_tamper, 1);
  sim_link_free(l);
}

/* Thousands of datagrams in flight: the pool grows, contents survive the
 * moves, order is kept. */
static void test_pool_growth(void **state) {
  (void)state;
  sim_link_config c;
  sim_link_config_init(&c);
  c.delay_us = 1000;
  sim_link *l = make(&c);
  uint8_t data[1500];
  for (uint32_t i = 0; i < 5000; i++) {
    memset(data, 0, sizeof data);
    memcpy(data, &i, sizeof i);
    memcpy(data + 1496, &i, sizeof i);
    assert_int_equal(sim_link_send(l, i / 10, data, sizeof data, 0), SIM_LINK_SENT);
  }
  assert_int_equal(sim_link_in_flight(l), 5000);
  uint8_t buf[1500];
  sim_packet p;
  for (uint32_t i = 0; i < 5000; i++) {
    assert_int_equal(sim_link_pop(l, UINT64_MAX, &p, buf, sizeof buf), 1);
    uint32_t a, b;
    memcpy(&a, buf, sizeof a);
    memcpy(&b, buf + 1496, sizeof b);
    assert_int_equal(a, i);
    assert_int_equal(b, i);
    assert_int_equal(p.arrival_us, i / 10 + 1000);
  }
  sim_link_free(l);
}

static void test_reconfigure(void **state) {
  (void)state;
  sim_link_config c;
  sim_link_config_init(&c);
  c.rate_bps = 8000000;
  c.mtu = 1000;
  sim_link *l = make(&c);
  assert_int_equal(send_n(l, 0, 1000), SIM_LINK_SENT); /* leaves at 1000 */
  c.rate_bps = 16000000;
  c.delay_us = 100;
  c.mtu = 1500; /* larger datagrams than the pool was made for */
  assert_int_equal(sim_link_reconfigure(l, &c), 0);
  assert_int_equal(send_n(l, 0, 1500), SIM_LINK_SENT); /* 750 us after 1000 */
  assert_int_equal(pop_arrival(l, UINT64_MAX), 1000);
  assert_int_equal(pop_arrival(l, UINT64_MAX), 1850);
  c.duplicate = -0.1;
  assert_int_equal(sim_link_reconfigure(l, &c), -2);
  sim_link_free(l);
}

static void test_rng(void **state) {
  (void)state;
  sim_rng a, b;
  sim_rng_seed(&a, 1234);
  sim_rng_seed(&b, 1234);
  for (int i = 0; i < 100; i++) {
    assert_int_equal(sim_rng_next(&a), sim_rng_next(&b));
  }
  sim_rng_seed(&b, 1235);
  assert_true(sim_rng_next(&a) != sim_rng_next(&b));
  uint64_t hist[6] = {0};
  for (int i = 0; i < 60000; i++) {
    uint64_t v = sim_rng_below(&a, 6);
    assert_true(v < 6);
    hist[v]++;
  }
  for (int i = 0; i < 6; i++) {
    assert_true(hist[i] > 9500 && hist[i] < 10500); /* 10000 +- 5.5 sd */
  }
  assert_int_equal(sim_rng_below(&a, 0), 0);
  assert_int_equal(sim_rng_threshold(0.0), 0);
  assert_int_equal(sim_rng_threshold(-1.0), 0);
  assert_int_equal(sim_rng_threshold(1.0), UINT64_MAX);
  assert_int_equal(sim_rng_threshold(0.5), UINT64_C(1) << 63);
  uint8_t x[13], y[13];
  sim_rng_seed(&a, 1);
  sim_rng_seed(&b, 1);
  sim_rng_fill(&a, x, sizeof x);
  sim_rng_fill(&b, y, sizeof y);
  assert_memory_equal(x, y, sizeof x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_delay_only),
      cmocka_unit_test(test_rate_fifo),
      cmocka_unit_test(test_rate_rounding_and_overhead),
      cmocka_unit_test(test_queue_limit),
      cmocka_unit_test(test_exact_drop_list),
      cmocka_unit_test(test_loss_mask),
      cmocka_unit_test(test_bernoulli_rate),
      cmocka_unit_test(test_gilbert_elliott),
      cmocka_unit_test(test_exact_drops_keep_random_stream),
      cmocka_unit_test(test_reordering),
      cmocka_unit_test(test_duplication),
      cmocka_unit_test(test_ecn_marking),
      cmocka_unit_test(test_mtu_and_down),
      cmocka_unit_test(test_tamper),
      cmocka_unit_test(test_pool_growth),
      cmocka_unit_test(test_reconfigure),
      cmocka_unit_test(test_rng),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
