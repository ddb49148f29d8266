/* Out of memory anywhere in a connection's life: for every n from 0 until
 * a run needs no more than n allocations, the (n+1)-th allocation and all
 * later ones fail during a whole run: two endpoints created, a handshake,
 * 20 KB uploaded on one stream and echoed back, the client closes,
 * everything freed. Every run must end
 * cleanly: the transfer completes byte-exact, or a call returns an error,
 * or the connection closes (at worst by its idle timeout, in virtual
 * time); nothing crashes, and a counting allocator finds every block
 * freed (ASan checks the rest in the sanitizer build). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "common/alloc.h"
#include "conn/test_endpoint.h"
#include "crypto/tls.h"
#include "pquic/pquic.h"

#define TRANSFER 20000u
#define MAX_RUNS 20000
#define TIME_LIMIT_US (120 * 1000000ull) /* past the 30 s idle timeout */

/* --- counting allocator: blocks alive; can fail one chosen call --- */

static long g_live;
static long g_calls, g_fail_at; /* g_fail_at: 1-based call to refuse, 0 none */

static int refuse_this(void) {
  return ++g_calls == g_fail_at;
}

static void *count_malloc(void *u, size_t n) {
  (void)u;
  void *p = refuse_this() ? NULL : malloc(n);
  g_live += p != NULL;
  return p;
}

static void *count_realloc(void *u, void *p, size_t n) {
  (void)u;
  void *q = refuse_this() ? NULL : realloc(p, n);
  g_live += q != NULL && p == NULL;
  return q;
}

static void count_free(void *u, void *p) {
  (void)u;
  g_live -= p != NULL;
  free(p);
}

/* --- two endpoints in memory --- */

typedef struct side {
  pquic_endpoint *ep;
  struct sockaddr_in addr;
  pquic_cnx *cnx; /* NULL before it exists and once closed */
  int handshake_done, closed;
  uint64_t stream;   /* the stream data arrived on */
  uint64_t received; /* in-order bytes read */
  uint64_t echoed;   /* server: bytes written back */
  int fin, corrupt, fin_sent;
} side;

typedef struct outcome {
  int completed; /* the echo came back whole and both sides closed */
  int closed;    /* a connection closed (error, idle timeout) */
  int errors;    /* calls that returned an error */
  int spins;     /* nothing moved yet a wake-up was due at once */
} outcome;

static char g_cert[64], g_key[64];

static void on_event(pquic_cnx *cnx, const pquic_event *ev, void *user) {
  side *s = user;
  if (ev->type == PQUIC_EVENT_HANDSHAKE_DONE) {
    s->handshake_done = 1;
    s->cnx = cnx;
  } else if (ev->type == PQUIC_EVENT_CLOSED) {
    s->closed = 1;
    s->cnx = NULL;
  }
}

static uint8_t byte_at(uint64_t off) {
  return (uint8_t)(off * 13 + 5);
}

static void on_data(pquic_cnx *cnx, uint64_t id, void *user) {
  side *s = user;
  s->stream = id;
  uint8_t buf[4096];
  for (;;) {
    int fin = 0;
    int64_t n = pquic_stream_read(cnx, id, buf, sizeof buf, &fin);
    if (n <= 0) {
      s->fin |= n == 0 && fin;
      return;
    }
    for (int64_t i = 0; i < n; i++)
      s->corrupt |= buf[i] != byte_at(s->received + (uint64_t)i);
    s->received += (uint64_t)n;
    s->fin |= fin;
  }
}

static uint64_t g_seed;
static void test_rand(void *u, uint8_t *b, size_t n) {
  (void)u;
  pq_test_rand(&g_seed, b, n);
}

static int make_side(side *s, int server, uint16_t port) {
  memset(s, 0, sizeof *s);
  pq_test_addr(&s->addr, port);
  pquic_config cfg;
  pq_test_config(&cfg, server, g_cert, g_key, s);
  cfg.callbacks.on_event = on_event;
  cfg.callbacks.on_stream_data = on_data;
  cfg.rand = test_rand;
  return pquic_endpoint_new(&cfg, &s->ep);
}

/* Moves every datagram from a to b; returns how many moved. */
static int pump_one(side *a, side *b, uint64_t now, outcome *o) {
  uint8_t buf[65536];
  int moved = 0;
  for (int guard = 0; guard < 1000; guard++) {
    pquic_send_info info;
    int n = pquic_endpoint_output(a->ep, now, buf, sizeof buf, &info);
    if (n < 0) {
      assert_int_equal(n, PQUIC_ERR_NOMEM);
      o->errors++;
      break;
    }
    if (n == 0)
      break;
    assert_true(info.segment_size > 0 && info.count > 0);
    size_t off = 0;
    for (size_t i = 0; i < info.count && off < (size_t)n; i++) {
      size_t len = (size_t)n - off < info.segment_size ? (size_t)n - off : info.segment_size;
      int rc = pquic_endpoint_input(b->ep, buf + off, len, (struct sockaddr *)&b->addr,
                                    (struct sockaddr *)&a->addr, 0, now);
      if (rc != 0) {
        assert_int_equal(rc, PQUIC_ERR_NOMEM);
        o->errors++;
      }
      off += len;
      moved++;
    }
  }
  return moved;
}

/* Writes data[*done..limit) on a stream, the FIN with the last byte. */
static void write_some(pquic_cnx *cnx, uint64_t id, const uint8_t *data, uint64_t *done,
                       uint64_t limit, int fin, int *fin_sent, outcome *o) {
  if (!cnx || *fin_sent || (*done == limit && !fin))
    return;
  int64_t n = pquic_stream_write(cnx, id, data + *done, (size_t)(limit - *done), fin);
  if (n < 0) {
    o->errors++;
    return;
  }
  *done += (uint64_t)n;
  *fin_sent = fin && *done == limit;
}

/* One run, in virtual time: handshake, the client uploads TRANSFER bytes
 * on one stream, the server echoes them back on it, the client closes. */
static void run(side *c, side *s, outcome *o) {
  uint64_t now = 1000000;
  pquic_cnx *cc = NULL;
  int rc = pquic_connect(c->ep, (struct sockaddr *)&c->addr, (struct sockaddr *)&s->addr,
                         "localhost", now, &cc);
  if (rc != 0) {
    assert_int_equal(rc, PQUIC_ERR_NOMEM);
    o->errors++;
    return;
  }
  c->cnx = cc;
  static uint8_t data[TRANSFER];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = byte_at(i);
  int have_stream = 0, close_sent = 0;
  uint64_t id = 0, written = 0;
  for (int iter = 0; iter < 100000 && now < TIME_LIMIT_US; iter++) {
    if (c->closed && (s->closed || !s->handshake_done))
      break;
    if (c->cnx && c->handshake_done && !have_stream) {
      rc = pquic_stream_open(c->cnx, 1, &id);
      if (rc == 0)
        have_stream = 1;
      else
        o->errors++;
    }
    if (have_stream)
      write_some(c->cnx, id, data, &written, TRANSFER, 1, &c->fin_sent, o);
    if (s->received)
      write_some(s->cnx, s->stream, data, &s->echoed, s->received, s->fin, &s->fin_sent, o);
    if (c->cnx && c->fin && !close_sent) {
      close_sent = 1;
      if (pquic_cnx_close(c->cnx, 0, "done", now) != 0)
        o->errors++;
    }
    int moved = pump_one(c, s, now, o) + pump_one(s, c, now, o);
    if (moved == 0) {
      uint64_t w1 = pquic_endpoint_next_wake(c->ep), w2 = pquic_endpoint_next_wake(s->ep);
      uint64_t w = w1 < w2 ? w1 : w2;
      if (w == UINT64_MAX)
        break; /* nothing will ever happen again */
      /* Nothing moved: no wake-up may be due at once, or an event loop
       * would spin. A connection that cannot allocate what it would send
       * backs off instead (pq_cnx_output). */
      if (w <= now)
        o->spins++;
      now = w > now ? w : now + 1;
    }
  }
  assert_false(s->corrupt);
  assert_false(c->corrupt);
  o->completed = c->fin && c->received == TRANSFER && c->closed && s->closed;
  o->closed = c->closed || s->closed;
}

static int setup(void **state) {
  (void)state;
  snprintf(g_cert, sizeof g_cert, "/tmp/pquic-oom-%d.crt", (int)getpid());
  snprintf(g_key, sizeof g_key, "/tmp/pquic-oom-%d.key", (int)getpid());
  return pq_tls_make_self_signed(g_cert, g_key, "localhost");
}

static int teardown(void **state) {
  (void)state;
  unlink(g_cert);
  unlink(g_key);
  return 0;
}

static void test_oom_sweep(void **state) {
  (void)state;
  /* Warm up once, unlimited: builds the process-wide operation table. */
  side c, s;
  outcome o;
  memset(&o, 0, sizeof o);
  g_seed = 1;
  assert_int_equal(make_side(&c, 0, 5000), 0);
  assert_int_equal(make_side(&s, 1, 4433), 0);
  run(&c, &s, &o);
  assert_true(o.completed);
  pquic_endpoint_free(c.ep);
  pquic_endpoint_free(s.ep);

  pq_allocator counting = {count_malloc, count_realloc, count_free, NULL};
  pq_set_allocator(&counting);
  long n;
  int completed = 0, closed = 0, failed_early = 0, unlimited = 0;
  for (n = 0; n < MAX_RUNS && !unlimited; n++) {
    memset(&o, 0, sizeof o);
    g_live = 0;
    g_seed = 1; /* every run makes the same choices up to the failure */
    memset(&c, 0, sizeof c);
    memset(&s, 0, sizeof s);
    pq_alloc_fail_after(n);
    int rc = make_side(&c, 0, 5000);
    if (rc == 0)
      rc = make_side(&s, 1, 4433);
    if (rc == 0) {
      run(&c, &s, &o);
    } else {
      assert_int_equal(rc, PQUIC_ERR_NOMEM);
      o.errors++;
      failed_early++;
    }
    unlimited = pq_alloc_count() <= n; /* no allocation was refused */
    pquic_endpoint_free(c.ep);
    pquic_endpoint_free(s.ep);
    pq_alloc_fail_after(-1);
    if (g_live != 0)
      fail_msg("allocation limit %ld: %ld blocks leaked", n, g_live);
    if (o.spins)
      fail_msg("allocation limit %ld: %d times a wake-up was due at once with nothing sent", n,
               o.spins);
    if (!o.completed && !o.closed && o.errors == 0)
      fail_msg("allocation limit %ld: the run neither completed, nor closed, nor reported an "
               "error",
               n);
    completed += o.completed;
    closed += o.closed && !o.completed;
  }
  pq_set_allocator(NULL);
  assert_true(unlimited);
  assert_true(o.completed);
  printf("oom sweep: %ld runs (a whole run needs %ld allocations); %d completed despite a "
         "failure, %d closed, %d failed creating an endpoint\n",
         n, n - 1, completed - 1, closed, failed_early);
  assert_true(n > 50);
}

/* Transient shortage: only the k-th allocation fails, later ones succeed.
 * The run must still end cleanly, and a connection that survives must
 * deliver every byte. */
static void test_oom_single(void **state) {
  (void)state;
  pq_allocator counting = {count_malloc, count_realloc, count_free, NULL};
  pq_set_allocator(&counting);
  side c, s;
  outcome o;
  long k, total = -1;
  int completed = 0, closed = 0;
  /* k = 0: nothing refused, counts the allocations of a whole run. */
  for (k = 0; k < MAX_RUNS && k <= total + 1; k++) {
    memset(&o, 0, sizeof o);
    memset(&c, 0, sizeof c);
    memset(&s, 0, sizeof s);
    g_live = 0;
    g_calls = 0;
    g_fail_at = k;
    g_seed = 1;
    int rc = make_side(&c, 0, 5000);
    if (rc == 0)
      rc = make_side(&s, 1, 4433);
    if (rc == 0) {
      run(&c, &s, &o);
    } else {
      assert_int_equal(rc, PQUIC_ERR_NOMEM);
      o.errors++;
    }
    pquic_endpoint_free(c.ep);
    pquic_endpoint_free(s.ep);
    if (k == 0) {
      assert_true(o.completed);
      total = g_calls;
    }
    g_fail_at = 0;
    if (g_live != 0)
      fail_msg("allocation %ld refused: %ld blocks leaked", k, g_live);
    if (o.spins)
      fail_msg("allocation %ld refused: %d times a wake-up was due at once with nothing sent", k,
               o.spins);
    if (!o.completed && !o.closed && o.errors == 0)
      fail_msg("allocation %ld refused: the run neither completed, nor closed, nor reported an "
               "error",
               k);
    completed += o.completed;
    closed += o.closed && !o.completed;
  }
  pq_set_allocator(NULL);
  /* The last run refused an allocation past the end: nothing. */
  assert_true(o.completed);
  printf("oom single: each of %ld allocations refused once: %d runs completed, %d closed "
         "early, %ld failed otherwise\n",
         total, completed - 2, closed, k - completed - closed);
  assert_true(total > 50);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_oom_sweep),
      cmocka_unit_test(test_oom_single),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
