/* Scenarios: random loss (Bernoulli 1 % and 5 %, Gilbert-Elliott bursts) in
 * both directions, and tail loss (the last datagrams of a transfer). Path:
 * 20 Mbit/s, 20 ms each way (RTT 40 ms), a queue of one bandwidth-delay
 * product (100 kB). */
#include <math.h>
#include <stdio.h>

#include "scenario.h"

#define RATE 20000000ull
#define ONE_WAY 20000ull
#define RTT (2 * ONE_WAY)

static void lossy_opts(scn_opts *o, uint64_t seed) {
  scn_opts_init(o);
  o->seed = seed;
  scn_link(&o->up, RATE, ONE_WAY, 1.0);
  scn_link(&o->down, RATE, ONE_WAY, 1.0);
}

/* Bound for a transfer under random loss rate p: the handshake may lose
 * datagrams too, which costs at most 3 s of PTOs (see test_sim_hsloss.c),
 * plus 1 s; then the bytes at half the Mathis et al. steady-state rate
 * (MSS / RTT x 1.22 / sqrt(p), MSS 1200), a rate any loss-based congestion
 * controller that recovers by fast retransmit reaches, capped by 85 % of the
 * link rate. */
static uint64_t loss_bound_us(uint64_t bytes, double p) {
  double mathis = 1200.0 * 8 / ((double)RTT / 1e6) * 1.22 / sqrt(p);
  double rate = 0.5 * mathis;
  if (rate > 0.85 * (double)RATE) {
    rate = 0.85 * (double)RATE;
  }
  return 4000000 + (uint64_t)((double)bytes * 8 / rate * 1e6);
}

static void run_random(const char *name, double p, int gilbert, uint64_t seed, uint64_t size) {
  scn_opts o;
  lossy_opts(&o, seed);
  if (gilbert) {
    /* Bad state entered with 0.5 %, left with 30 %: bursts of 3.3 datagrams,
     * 1.64 % of them lost on average. */
    o.up.ge_p = o.down.ge_p = 0.005;
    o.up.ge_r = o.down.ge_r = 0.3;
    o.up.ge_loss_bad = o.down.ge_loss_bad = 1.0;
  } else {
    o.up.loss = o.down.loss = p;
  }
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 1, .size = size};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  uint64_t bound = loss_bound_us(size, p);
  scn_run_finished(&x, 3 * bound);
  uint64_t done = scn_check_conn(&x, c);
  scn_report(&x, name, size, done);
  SCN_ASSERT_LE(done, bound, "completion time under loss (us)");
  /* The loss did happen, at about the configured rate (Binomial: within
   * 5 standard deviations, plus 3 datagrams). */
  const sim_link_stats *d = sim_link_get_stats(x.down[0]);
  double n = (double)(d->offered - d->dropped_queue);
  assert_true(d->dropped_loss > 0);
  if (!gilbert) {
    assert_true(fabs((double)d->dropped_loss - n * p) <= 5 * sqrt(n * p * (1 - p)) + 3);
  }
  scn_free(&x);
}

static void loss_1pct(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 3; seed++) {
    run_random("loss_1pct", 0.01, 0, seed, 2000000);
  }
}

static void loss_5pct(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 3; seed++) {
    run_random("loss_5pct", 0.05, 0, seed, 1000000);
  }
}

static void loss_burst(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 3; seed++) {
    run_random("loss_burst", 0.0164, 1, seed, 2000000);
  }
}

/* Downloads 200 kB, dropping server datagrams first..first+count-1 (none
 * when count is 0); returns the completion time and the number of server
 * datagrams offered until then. */
static uint64_t tail_run(uint64_t first, uint64_t count, uint64_t *offered) {
  scn_opts o;
  lossy_opts(&o, 1);
  scn x;
  scn_setup(&x, &o);
  assert_int_equal(sim_link_drop_range(x.down[0], first, count), 0);
  const sim_app_plan plan = {.streams = 1, .size = 200000};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_finished(&x, 30000000);
  uint64_t done = scn_check_conn(&x, c);
  *offered = sim_link_get_stats(x.down[0])->offered;
  assert_int_equal(sim_link_get_stats(x.down[0])->dropped_loss, count);
  scn_free(&x);
  return done;
}

/* The runs are identical up to the first drop, so the last `k` datagrams
 * the server sent before the loss-free run completed are the tail of the
 * transfer (the last data, with the FIN). Losing them leaves nothing behind
 * to trigger fast retransmit: only the PTO recovers. PTO = srtt +
 * 4 rttvar + max_ack_delay, about 80 + 80 + 25 ms with the queue full;
 * two of them (the second doubled) and two round trips to retransmit and
 * deliver stay under 1 s. */
static void tail_loss(void **state) {
  (void)state;
  uint64_t n;
  uint64_t base = tail_run(0, 0, &n);
  printf("scenario tail_loss: loss-free: done at %llu us after %llu server datagrams\n",
         (unsigned long long)base, (unsigned long long)n);
  const uint64_t ks[] = {1, 3, 10};
  for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
    assert_true(n > ks[i]);
    uint64_t m;
    uint64_t done = tail_run(n - ks[i], ks[i], &m);
    printf("scenario tail_loss: last %llu datagrams lost: done at %llu us\n",
           (unsigned long long)ks[i], (unsigned long long)done);
    assert_true(done > base); /* the loss cost something: it was the tail */
    SCN_ASSERT_LE(done, base + 1000000, "completion time after tail loss (us)");
  }
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(loss_1pct),
      cmocka_unit_test(loss_5pct),
      cmocka_unit_test(loss_burst),
      cmocka_unit_test(tail_loss),
  };
  return scn_main(argc, argv, "sim_loss", tests, sizeof tests / sizeof tests[0]);
}
