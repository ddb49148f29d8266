/* The simulation loop driven by toy endpoints (no QUIC): delivery times,
 * GSO splitting and its checks, timers, the livelock, iteration and time
 * guards, routing, injection, reproducibility; and the content generator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "content.h"
#include "sim.h"

#define TOY_LOG 4096

/* A toy endpoint: sends planned GSO batches at planned times, optionally
 * echoes what it receives, and logs every arrival. */
typedef struct toy {
  struct {
    uint64_t at;
    size_t total, seg, count;
    struct sockaddr_storage dst, src; /* src AF_UNSPEC: left to the sim */
    uint8_t ecn;
    int done;
  } plan[8];
  int nplan;
  int echo;
  struct {
    struct sockaddr_storage to;
    size_t len;
    uint8_t first;
  } pending[256];
  int npending;
  struct {
    uint64_t t;
    size_t len;
    uint8_t first, ecn;
  } log[TOY_LOG];
  int nlog;
  int stuck;     /* next_wake always 0 */
  int input_rc;  /* returned by input */
  uint64_t rand; /* first draw of the node generator */
} toy;

static int toy_input(void *ctx, const uint8_t *data, size_t len, const struct sockaddr *local,
                     const struct sockaddr *remote, uint8_t ecn, uint64_t now) {
  toy *t = ctx;
  if (t->nlog < TOY_LOG) {
    t->log[t->nlog].t = now;
    t->log[t->nlog].len = len;
    t->log[t->nlog].first = data[0];
    t->log[t->nlog].ecn = ecn;
    t->nlog++;
  }
  if (t->echo && t->npending < 256) {
    memset(&t->pending[t->npending].to, 0, sizeof(struct sockaddr_storage));
    memcpy(&t->pending[t->npending].to, remote,
           remote->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                         : sizeof(struct sockaddr_in));
    t->pending[t->npending].len = len;
    t->pending[t->npending].first = data[0];
    t->npending++;
  }
  return t->input_rc;
}

static int toy_output(void *ctx, uint64_t now, uint8_t *buf, size_t cap, sim_send_info *info) {
  toy *t = ctx;
  if (t->npending > 0) {
    /* Echo the oldest pending datagram. */
    info->remote = t->pending[0].to;
    info->segment_size = t->pending[0].len;
    info->count = 1;
    memset(buf, t->pending[0].first, t->pending[0].len);
    size_t len = t->pending[0].len;
    memmove(&t->pending[0], &t->pending[1], (size_t)(t->npending - 1) * sizeof t->pending[0]);
    t->npending--;
    return (int)len;
  }
  for (int i = 0; i < t->nplan; i++) {
    if (!t->plan[i].done && t->plan[i].at <= now) {
      t->plan[i].done = 1;
      assert_true(t->plan[i].total <= cap);
      for (size_t off = 0; off < t->plan[i].total; off++) {
        buf[off] = (uint8_t)(off / (t->plan[i].seg ? t->plan[i].seg : 1));
      }
      info->local = t->plan[i].src;
      info->remote = t->plan[i].dst;
      info->segment_size = t->plan[i].seg;
      info->count = t->plan[i].count;
      info->ecn = t->plan[i].ecn;
      return (int)t->plan[i].total;
    }
  }
  return 0;
}

static uint64_t toy_wake(void *ctx) {
  toy *t = ctx;
  if (t->stuck) {
    return 0;
  }
  uint64_t w = UINT64_MAX;
  for (int i = 0; i < t->nplan; i++) {
    if (!t->plan[i].done && t->plan[i].at < w) {
      w = t->plan[i].at;
    }
  }
  return w;
}

static const char *toy_errname(int err) {
  return err == -5 ? "TOY_ERROR" : NULL;
}

static const sim_node_ops toy_ops = {toy_input, toy_output, toy_wake, NULL, toy_errname};

static void plan(toy *t, uint64_t at, const struct sockaddr_storage *dst, size_t total, size_t seg,
                 size_t count) {
  memset(&t->plan[t->nplan], 0, sizeof t->plan[0]);
  t->plan[t->nplan].at = at;
  t->plan[t->nplan].dst = *dst;
  t->plan[t->nplan].total = total;
  t->plan[t->nplan].seg = seg;
  t->plan[t->nplan].count = count;
  t->nplan++;
}

typedef struct fixture {
  sim *s;
  struct sockaddr_storage a, b;
  toy *ta, *tb;
  sim_node *na, *nb;
  sim_link *ab, *ba;
} fixture;

/* Two toy nodes on a path of 10 ms each way at 8 Mbit/s (1 us a byte). */
static void setup_pair(fixture *f, const sim_config *cfg, const sim_link_config *lc) {
  memset(f, 0, sizeof *f);
  f->s = sim_new(cfg);
  assert_non_null(f->s);
  assert_int_equal(sim_addr(&f->a, "10.0.0.1", 4433), 0);
  assert_int_equal(sim_addr(&f->b, "10.0.0.2", 443), 0);
  f->ta = calloc(1, sizeof *f->ta);
  f->tb = calloc(1, sizeof *f->tb);
  f->na = sim_add_node(f->s, (struct sockaddr *)&f->a, &toy_ops, f->ta);
  f->nb = sim_add_node(f->s, (struct sockaddr *)&f->b, &toy_ops, f->tb);
  assert_non_null(f->na);
  assert_non_null(f->nb);
  sim_link_config def;
  sim_link_config_init(&def);
  def.delay_us = 10000;
  def.rate_bps = 8000000;
  assert_int_equal(sim_add_path(f->s, (struct sockaddr *)&f->a, (struct sockaddr *)&f->b,
                                lc ? lc : &def, lc ? lc : &def, &f->ab, &f->ba),
                   0);
}

static void teardown_pair(fixture *f) {
  sim_free(f->s);
  free(f->ta);
  free(f->tb);
}

static int got_n(void *user) {
  const toy *t = ((const void **)user)[0];
  return t->nlog >= *(const int *)((const void **)user)[1];
}

/* A GSO batch of 3 x 1000 bytes at t=0 reaches B at 11, 12 and 13 ms (each
 * waits for the previous one's serialization); B echoes each at once and A
 * gets them 11 ms after that: 22, 23, 24 ms. */
static void test_ping_pong_timing(void **state) {
  (void)state;
  fixture f;
  sim_config c;
  sim_config_init(&c);
  setup_pair(&f, &c, NULL);
  f.tb->echo = 1;
  plan(f.ta, 0, &f.b, 3000, 1000, 3);
  int want = 3;
  const void *arg[2] = {f.ta, &want};
  assert_int_equal(sim_run_until(f.s, got_n, arg, 1000000), SIM_OK);
  assert_int_equal(sim_now(f.s), 24000);
  assert_int_equal(f.tb->nlog, 3);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(f.tb->log[i].t, 11000 + 1000 * (uint64_t)i);
    assert_int_equal(f.tb->log[i].len, 1000);
    assert_int_equal(f.tb->log[i].first, i); /* segment i, in order */
    assert_int_equal(f.ta->log[i].t, 22000 + 1000 * (uint64_t)i);
    assert_int_equal(f.ta->log[i].first, i);
  }
  const sim_node_stats *sa = sim_node_get_stats(f.na), *sb = sim_node_get_stats(f.nb);
  assert_int_equal(sa->tx_batches, 1);
  assert_int_equal(sa->tx_datagrams, 3);
  assert_int_equal(sa->tx_bytes, 3000);
  assert_int_equal(sb->rx_datagrams, 3);
  assert_int_equal(sb->tx_datagrams, 3);
  assert_int_equal(sa->rx_datagrams, 3);
  assert_int_equal(sa->last_rx_us, 24000);
  assert_int_equal(sb->last_tx_us, 13000);
  assert_int_equal(sim_link_get_stats(f.ab)->delivered, 3);
  /* Nothing else happens: the simulation is idle. */
  int never = 4;
  arg[1] = &never;
  assert_int_equal(sim_run_until(f.s, got_n, arg, 10000000), SIM_IDLE);
  teardown_pair(&f);
}

static void test_gso_split(void **state) {
  (void)state;
  fixture f;
  sim_config c;
  sim_config_init(&c);
  setup_pair(&f, &c, NULL);
  plan(f.ta, 0, &f.b, 2500, 1000, 3); /* 1000, 1000, 500 */
  plan(f.ta, 0, &f.b, 700, 0, 0);     /* no segment size: one datagram */
  assert_int_equal(sim_run_for(f.s, 100000), SIM_DEADLINE);
  assert_int_equal(sim_now(f.s), 100000);
  assert_int_equal(f.tb->nlog, 4);
  assert_int_equal(f.tb->log[0].len, 1000);
  assert_int_equal(f.tb->log[1].len, 1000);
  assert_int_equal(f.tb->log[2].len, 500);
  assert_int_equal(f.tb->log[2].first, 2);
  assert_int_equal(f.tb->log[3].len, 700);
  assert_int_equal(f.tb->log[3].t, 10000 + 3200);
  teardown_pair(&f);
}

static void test_gso_count_mismatch_fails(void **state) {
  (void)state;
  fixture f;
  sim_config c;
  sim_config_init(&c);
  setup_pair(&f, &c, NULL);
  plan(f.ta, 0, &f.b, 3000, 1000, 2);
  assert_int_equal(sim_run_for(f.s, 100000), SIM_FAIL);
  assert_non_null(strstr(sim_error(f.s), "has 3 datagrams, info says 2"));
  /* Failure is sticky. */
  assert_int_equal(sim_run_for(f.s, 100000), SIM_FAIL);
  teardown_pair(&f);
}

/* The clock jumps straight to a timer: a handful of iterations, not one per
 * microsecond. */
static void test_timer_jump(void **state) {
  (void)state;
  fixture f;
  sim_config c;
  sim_config_init(&c);
  c.start_us = 1000;
  setup_pair(&f, &c, NULL);
  plan(f.ta, 5000000, &f.b, 100, 0, 1);
  int want = 1;
  const void *arg[2] = {f.tb, &want};
  assert_int_equal(sim_run_until(f.s, got_n, arg, UINT64_MAX), SIM_OK);
  assert_int_equal(f.tb->log[0].t, 5000000 + 100 + 10000);
  assert_true(sim_iterations(f.s) <= 4);
  teardown_pair(&f);
}

static void test_livelock_detected(void **state) {
  (void)state;
  fixture f;
  sim_config c;
  sim_config_init(&c);
  c.max_stall = 100;
  setup_pair(&f, &c, NULL);
  f.tb->stuck = 1;
  assert_int_equal(sim_run_for(f.s, 1000000), SIM_FAIL);
  assert_non_null(strstr(sim_error(f.s), "livelock"));
  assert_non_null(strstr(sim_error(f.s), "node 1"));
  assert_int_equal(sim_now(f.s), 100); /* nudged 1 us per stalled step */
  teardown_pair(&f);
}

static void test_iteration_limit(void **state) {
  (void)state;
  fixture f;
  sim_config c;
  sim_config_init(&c);
  c.max_iterations = 50;
  setup_pair(&f, &c, NULL);
  f.ta->echo = 1;
  f.tb->echo = 1; /* ping-pong forever */
  plan(f.ta, 0, &f.b, 100, 0, 1);
  assert_int_equal(sim_run_for(f.s, UINT64_C(1000000000)), SIM_FAIL);
  assert_non_null(strstr(sim_error(f.s), "iteration limit 50"));
  teardown_pair(&f);
}

static int never(void *user) {
  (void)user;
  return 0;
}

static void test_time_limit_and_idle(void **state) {
  (void)state;
  fixture f;
  sim_config c;
  sim_config_init(&c);
  c.max_time_us = 50000;
  setup_pair(&f, &c, NULL);
  plan(f.ta, 60000, &f.b, 100, 0, 1);
  /* A deadline inside the limit is a plain deadline... */
  assert_int_equal(sim_run_until(f.s, never, NULL, 20000), SIM_DEADLINE);
  assert_int_equal(sim_now(f.s), 20000);
  /* ...one beyond it with an unmet predicate is a failure. */
  assert_int_equal(sim_run_until(f.s, never, NULL, UINT64_MAX), SIM_FAIL);
  assert_non_null(strstr(sim_error(f.s), "virtual time limit 50000"));
  teardown_pair(&f);

  sim_config_init(&c);
  setup_pair(&f, &c, NULL);
  assert_int_equal(sim_run_until(f.s, never, NULL, UINT64_MAX), SIM_IDLE);
  assert_int_equal(sim_now(f.s), 0);
  assert_int_equal(sim_run_for(f.s, 777), SIM_DEADLINE);
  assert_int_equal(sim_now(f.s), 777);
  teardown_pair(&f);
}

static void test_node_errors(void **state) {
  (void)state;
  fixture f;
  sim_config c;
  sim_config_init(&c);
  setup_pair(&f, &c, NULL);
  f.tb->input_rc = -5;
  plan(f.ta, 0, &f.b, 100, 0, 1);
  assert_int_equal(sim_run_for(f.s, 100000), SIM_FAIL);
  assert_non_null(strstr(sim_error(f.s), "node 1 input of datagram #0"));
  assert_non_null(strstr(sim_error(f.s), "-5 TOY_ERROR"));
  teardown_pair(&f);

  /* Sending from an address the node does not own. */
  setup_pair(&f, &c, NULL);
  plan(f.ta, 0, &f.b, 100, 0, 1);
  f.ta->plan[0].src = f.b;
  assert_int_equal(sim_run_for(f.s, 100000), SIM_FAIL);
  assert_non_null(strstr(sim_error(f.s), "not its address"));
  teardown_pair(&f);
}

/* IPv6, a second address, a destination without link (counted, not fatal),
 * and an injected datagram. */
static void test_routing_and_inject(void **state) {
  (void)state;
  sim_config c;
  sim_config_init(&c);
  sim *s = sim_new(&c);
  struct sockaddr_storage a, b, b2, nowhere;
  assert_int_equal(sim_addr(&a, "fd00::1", 4433), 0);
  assert_int_equal(sim_addr(&b, "fd00::2", 4433), 0);
  assert_int_equal(sim_addr(&b2, "10.9.9.9", 4433), 0);
  assert_int_equal(sim_addr(&nowhere, "fd00::99", 1), 0);
  assert_int_equal(sim_addr(&nowhere, "not an address", 1), -1);
  assert_int_equal(sim_addr(&nowhere, "fd00::99", 1), 0);
  toy *ta = calloc(1, sizeof *ta), *tb = calloc(1, sizeof *tb);
  sim_node *na = sim_add_node(s, (struct sockaddr *)&a, &toy_ops, ta);
  sim_node *nb = sim_add_node(s, (struct sockaddr *)&b, &toy_ops, tb);
  assert_null(sim_add_node(s, (struct sockaddr *)&b, &toy_ops, tb)); /* taken */
  assert_int_equal(sim_node_add_address(nb, (struct sockaddr *)&b2), 0);
  assert_int_equal(sim_node_add_address(na, (struct sockaddr *)&b2), -1);
  char buf[64];
  assert_string_equal(sim_addr_str((struct sockaddr *)&a, buf, sizeof buf), "[fd00::1]:4433");
  assert_string_equal(sim_addr_str((struct sockaddr *)&b2, buf, sizeof buf), "10.9.9.9:4433");

  sim_link_config lc;
  sim_link_config_init(&lc);
  lc.delay_us = 500;
  assert_non_null(sim_add_link(s, (struct sockaddr *)&a, (struct sockaddr *)&b, &lc));
  assert_null(sim_add_link(s, (struct sockaddr *)&a, (struct sockaddr *)&b, &lc)); /* twice */
  assert_null(sim_add_link(s, (struct sockaddr *)&a, (struct sockaddr *)&nowhere, &lc));
  lc.delay_us = 900;
  sim_link *to_b2 = sim_add_link(s, (struct sockaddr *)&a, (struct sockaddr *)&b2, &lc);
  assert_non_null(to_b2);
  assert_ptr_equal(sim_find_link(s, (struct sockaddr *)&a, (struct sockaddr *)&b2), to_b2);

  plan(ta, 0, &b, 100, 0, 1);
  plan(ta, 0, &b2, 200, 0, 1);
  plan(ta, 0, &nowhere, 300, 0, 1);
  uint8_t forged[50];
  memset(forged, 0xab, sizeof forged);
  assert_int_equal(sim_inject(s, (struct sockaddr *)&a, (struct sockaddr *)&b, forged, 50, 0),
                   SIM_LINK_SENT);
  assert_int_equal(sim_inject(s, (struct sockaddr *)&b, (struct sockaddr *)&a, forged, 50, 0), -2);
  assert_int_equal(sim_run_for(s, 10000), SIM_DEADLINE);
  assert_int_equal(tb->nlog, 3);
  assert_int_equal(tb->log[0].first, 0xab);
  assert_int_equal(tb->log[0].t, 500);
  assert_int_equal(tb->log[1].len, 100);
  assert_int_equal(tb->log[2].len, 200);
  assert_int_equal(tb->log[2].t, 900);
  assert_int_equal(sim_node_get_stats(na)->unroutable, 1);
  sim_free(s);
  free(ta);
  free(tb);
}

static void test_ecn_path(void **state) {
  (void)state;
  fixture f;
  sim_config c;
  sim_config_init(&c);
  sim_link_config lc;
  sim_link_config_init(&lc);
  lc.rate_bps = 8000000;
  lc.ecn_ce_bytes = 1500;
  setup_pair(&f, &c, &lc);
  plan(f.ta, 0, &f.b, 3000, 1000, 3);
  f.ta->plan[0].ecn = SIM_ECN_ECT0;
  assert_int_equal(sim_run_for(f.s, 100000), SIM_DEADLINE);
  assert_int_equal(f.tb->nlog, 3);
  assert_int_equal(f.tb->log[0].ecn, SIM_ECN_ECT0);
  assert_int_equal(f.tb->log[1].ecn, SIM_ECN_ECT0);
  assert_int_equal(f.tb->log[2].ecn, SIM_ECN_CE);
  teardown_pair(&f);
}

static int trace_count;
static void count_trace(void *user, const sim *s, const sim_link *link, const char *name,
                        int verdict, uint64_t index, size_t len, uint64_t now) {
  (void)user;
  (void)s;
  (void)link;
  (void)index;
  (void)len;
  (void)now;
  assert_non_null(strstr(name, "->"));
  trace_count += verdict < 0 ? 100 : 1;
}

/* Same seed, same run: node generators and lossy links repeat exactly. */
static void lossy_run(uint64_t seed, toy *out, uint64_t *draw) {
  fixture f;
  sim_config c;
  sim_config_init(&c);
  c.seed = seed;
  sim_link_config lc;
  sim_link_config_init(&lc);
  lc.delay_us = 1000;
  lc.loss = 0.3;
  lc.reorder = 0.2;
  lc.reorder_delay_us = 3000;
  setup_pair(&f, &c, &lc);
  f.tb->echo = 1;
  for (int i = 0; i < 8; i++) {
    plan(f.ta, (uint64_t)i * 100, &f.b, 4000, 200, 20);
  }
  trace_count = 0;
  sim_set_trace(f.s, count_trace, NULL);
  assert_int_equal(sim_run_for(f.s, 1000000), SIM_DEADLINE);
  assert_true(trace_count > 0);
  *out = *f.ta;
  *draw = sim_rng_next(sim_node_rng(f.na));
  teardown_pair(&f);
}

static void test_reproducible(void **state) {
  (void)state;
  toy *x = calloc(1, sizeof *x), *y = calloc(1, sizeof *y), *z = calloc(1, sizeof *z);
  uint64_t dx, dy, dz;
  lossy_run(42, x, &dx);
  lossy_run(42, y, &dy);
  lossy_run(43, z, &dz);
  assert_true(x->nlog > 40 && x->nlog < 160); /* 160 sent, ~49 % survive both ways */
  assert_int_equal(x->nlog, y->nlog);
  assert_memory_equal(x->log, y->log, sizeof x->log[0] * (size_t)x->nlog);
  assert_int_equal(dx, dy);
  assert_true(dx != dz);
  assert_true(x->nlog != z->nlog ||
              memcmp(x->log, z->log, sizeof x->log[0] * (size_t)x->nlog) != 0);
  free(x);
  free(y);
  free(z);
}

static void test_content(void **state) {
  (void)state;
  uint64_t k = sim_content_key(1, 4, 1);
  assert_true(k != sim_content_key(1, 4, 0));
  assert_true(k != sim_content_key(1, 8, 1));
  assert_true(k != sim_content_key(2, 4, 1));
  uint8_t whole[1000], part[1000];
  sim_content_fill(k, 0, whole, sizeof whole);
  /* Any sub-range generated alone matches the whole. */
  for (size_t off = 0; off < 40; off++) {
    for (size_t len = 0; len < 40; len++) {
      sim_content_fill(k, off, part, len);
      assert_memory_equal(part, whole + off, len);
      assert_int_equal(sim_content_check(k, off, whole + off, len), len);
    }
  }
  assert_int_equal(sim_content_check(k, 0, whole, sizeof whole), sizeof whole);
  whole[517] ^= 1;
  assert_int_equal(sim_content_check(k, 0, whole, sizeof whole), 517);
  assert_int_equal(sim_content_check(k, 13, whole + 13, 600), 504);
  /* Not constant: both nibbles of bytes vary. */
  int distinct[256] = {0}, n = 0;
  for (size_t i = 0; i < sizeof whole; i++) {
    n += !distinct[whole[i]]++;
  }
  assert_true(n > 200);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ping_pong_timing),
      cmocka_unit_test(test_gso_split),
      cmocka_unit_test(test_gso_count_mismatch_fails),
      cmocka_unit_test(test_timer_jump),
      cmocka_unit_test(test_livelock_detected),
      cmocka_unit_test(test_iteration_limit),
      cmocka_unit_test(test_time_limit_and_idle),
      cmocka_unit_test(test_node_errors),
      cmocka_unit_test(test_routing_and_inject),
      cmocka_unit_test(test_ecn_path),
      cmocka_unit_test(test_reproducible),
      cmocka_unit_test(test_content),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
