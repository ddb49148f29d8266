/* HTTP/3 between an nghttp3 client and server joined in memory (no QUIC):
 * requests and responses, generated bodies checked byte by byte, errors,
 * many concurrent streams, and a transport that accepts only a little at a
 * time (blocked streams, resumed bodies, bounded memory). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "body.h"
#include "h3.h"
#include "paths.h"

#define MAX_STREAMS 64

typedef struct chunk {
  struct chunk *next;
  int64_t sid;
  int fin;
  size_t len;
  uint8_t data[];
} chunk;

typedef struct side {
  struct net *net;
  int client;
  int64_t next_uni;
  h3 *h;
  chunk *out_head, **out_tail; /* bytes for the other side */
  size_t credit;               /* bytes accepted per stream per pump; 0: unlimited */
  size_t used[256];            /* per stream id / 4 ... (small ids only) */
  int blocked[256];
} side;

typedef struct resp {
  int status;
  int64_t clen;
  uint64_t bytes;
  size_t first_bad; /* offset of the first byte off the pattern, or SIZE_MAX */
  int ended;
  char text[64];
} resp;

typedef struct net {
  side c, s;
  resp r[MAX_STREAMS];
  int requests;
  size_t max_chunk; /* largest single write, to show bodies stream */
} net;

static size_t slot(int64_t sid) {
  return (size_t)sid % 256;
}

static int io_open_uni(void *ctx, int64_t *sid) {
  side *sd = ctx;
  *sid = sd->next_uni;
  sd->next_uni += 4;
  return 0;
}

static int64_t io_write(void *ctx, int64_t sid, const uint8_t *data, size_t len, int fin) {
  side *sd = ctx;
  size_t take = len;
  if (sd->credit) {
    size_t left = sd->credit - sd->used[slot(sid)];
    if (take > left) {
      take = left;
      fin = 0;
      sd->blocked[slot(sid)] = 1;
    }
    sd->used[slot(sid)] += take;
  }
  if (take == 0 && !fin)
    return 0;
  chunk *c = malloc(sizeof *c + take);
  assert_non_null(c);
  c->next = NULL;
  c->sid = sid;
  c->fin = fin;
  c->len = take;
  if (take)
    memcpy(c->data, data, take);
  *sd->out_tail = c;
  sd->out_tail = &c->next;
  if (take > sd->net->max_chunk)
    sd->net->max_chunk = take;
  return (int64_t)take;
}

static int io_reset(void *ctx, int64_t sid, uint64_t code) {
  (void)ctx, (void)sid, (void)code;
  return 0;
}

static const h3_io mem_io = {io_open_uni, io_write, io_reset, io_reset};

/* Server: answers from serve_resolve without a root (generated bodies). */
static void on_request(void *user, int64_t sid, const char *method, const char *path) {
  net *n = user;
  body b;
  int st = serve_resolve(NULL, path, &b);
  assert_int_equal(h3_respond(n->s.h, sid, st, &b, strcmp(method, "HEAD") == 0), 0);
}

static resp *resp_of(net *n, int64_t sid) {
  assert_true(sid % 4 == 0 && sid / 4 < MAX_STREAMS);
  return &n->r[sid / 4];
}

static void on_response(void *user, int64_t sid, int status, int64_t clen) {
  resp *r = resp_of(user, sid);
  r->status = status;
  r->clen = clen;
}

static void on_body(void *user, int64_t sid, const uint8_t *data, size_t len) {
  resp *r = resp_of(user, sid);
  size_t bad = body_pattern_check(r->bytes, data, len);
  if (bad < len && r->first_bad == SIZE_MAX)
    r->first_bad = (size_t)r->bytes + bad;
  size_t room = sizeof r->text - 1 - strlen(r->text);
  strncat(r->text, (const char *)data, len < room ? len : room);
  r->bytes += len;
}

static void on_end(void *user, int64_t sid) {
  resp_of(user, sid)->ended = 1;
}

static const h3_handlers client_h = {NULL, on_response, on_body, on_end};
static const h3_handlers server_h = {on_request, NULL, NULL, NULL};

static void setup(net *n, size_t credit) {
  memset(n, 0, sizeof *n);
  for (int i = 0; i < MAX_STREAMS; i++)
    n->r[i].first_bad = SIZE_MAX;
  n->c = (side){.net = n, .client = 1, .next_uni = 2, .credit = credit};
  n->s = (side){.net = n, .client = 0, .next_uni = 3, .credit = credit};
  n->c.out_tail = &n->c.out_head;
  n->s.out_tail = &n->s.out_head;
  assert_int_equal(h3_new(&n->c.h, 0, &mem_io, &n->c, &client_h, n), 0);
  assert_int_equal(h3_new(&n->s.h, 1, &mem_io, &n->s, &server_h, n), 0);
  assert_int_equal(h3_start(n->c.h), 0);
  assert_int_equal(h3_start(n->s.h), 0);
}

static int deliver(side *from, side *to) {
  int moved = 0;
  while (from->out_head) {
    chunk *c = from->out_head;
    from->out_head = c->next;
    if (!from->out_head)
      from->out_tail = &from->out_head;
    assert_int_equal(h3_recv(to->h, c->sid, c->data, c->len, c->fin), 0);
    free(c);
    moved = 1;
  }
  return moved;
}

/* A transport round: fresh credit, blocked streams resumed. */
static void refill(side *sd) {
  for (size_t i = 0; i < 256; i++) {
    sd->used[i] = 0;
    if (sd->blocked[i]) {
      sd->blocked[i] = 0;
      h3_unblock(sd->h, (int64_t)i);
    }
  }
}

static void pump(net *n) {
  for (int round = 0; round < 100000; round++) {
    refill(&n->c);
    refill(&n->s);
    assert_int_equal(h3_flush(n->c.h), 0);
    assert_int_equal(h3_flush(n->s.h), 0);
    int a = deliver(&n->c, &n->s);
    int b = deliver(&n->s, &n->c);
    if (!a && !b)
      return;
  }
  fail_msg("no quiescence");
}

static void request(net *n, int64_t sid, const char *path) {
  assert_int_equal(h3_request(n->c.h, sid, "localhost:4433", path), 0);
  n->requests++;
}

static void teardown(net *n) {
  for (int64_t sid = 0; sid < 4 * MAX_STREAMS; sid += 4) {
    h3_stream_closed(n->c.h, sid, H3_NO_ERROR);
    h3_stream_closed(n->s.h, sid, H3_NO_ERROR);
  }
  h3_free(n->c.h);
  h3_free(n->s.h);
  for (side *sd = &n->c; sd; sd = sd == &n->c ? &n->s : NULL) {
    while (sd->out_head) {
      chunk *c = sd->out_head;
      sd->out_head = c->next;
      free(c);
    }
  }
}

static void test_one_request(void **state) {
  (void)state;
  net n;
  setup(&n, 0);
  request(&n, 0, "/1000000");
  pump(&n);
  resp *r = &n.r[0];
  assert_int_equal(r->status, 200);
  assert_int_equal(r->clen, 1000000);
  assert_int_equal(r->bytes, 1000000);
  assert_int_equal(r->first_bad, SIZE_MAX);
  assert_int_equal(r->ended, 1);
  teardown(&n);
}

static void test_errors_and_empty(void **state) {
  (void)state;
  net n;
  setup(&n, 0);
  request(&n, 0, "/nothing-here");
  request(&n, 4, "/../etc/passwd");
  request(&n, 8, "/0");
  pump(&n);
  assert_int_equal(n.r[0].status, 404);
  assert_string_equal(n.r[0].text, "404 not found\n");
  assert_int_equal(n.r[0].ended, 1);
  assert_int_equal(n.r[1].status, 400);
  assert_int_equal(n.r[1].ended, 1);
  assert_int_equal(n.r[2].status, 200);
  assert_int_equal(n.r[2].clen, 0);
  assert_int_equal(n.r[2].bytes, 0);
  assert_int_equal(n.r[2].ended, 1);
  teardown(&n);
}

static void test_many_streams(void **state) {
  (void)state;
  net n;
  setup(&n, 0);
  for (int i = 0; i < MAX_STREAMS; i++) {
    char p[32];
    snprintf(p, sizeof p, "/%d", i * 7919);
    request(&n, 4 * i, p);
  }
  pump(&n);
  for (int i = 0; i < MAX_STREAMS; i++) {
    assert_int_equal(n.r[i].status, 200);
    assert_int_equal(n.r[i].bytes, (uint64_t)i * 7919);
    assert_int_equal(n.r[i].first_bad, SIZE_MAX);
    assert_int_equal(n.r[i].ended, 1);
  }
  teardown(&n);
}

/* 1500 bytes per stream per round: bodies block and resume many times;
 * the server never hands the transport more than the ring holds. */
static void test_blocked_transport(void **state) {
  (void)state;
  net n;
  setup(&n, 1500);
  request(&n, 0, "/3000000");
  request(&n, 4, "/12345");
  pump(&n);
  assert_int_equal(n.r[0].status, 200);
  assert_int_equal(n.r[0].bytes, 3000000);
  assert_int_equal(n.r[0].first_bad, SIZE_MAX);
  assert_int_equal(n.r[0].ended, 1);
  assert_int_equal(n.r[1].bytes, 12345);
  assert_int_equal(n.r[1].ended, 1);
  assert_true(n.max_chunk <= 1500);
  teardown(&n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_request),
      cmocka_unit_test(test_errors_and_empty),
      cmocka_unit_test(test_many_streams),
      cmocka_unit_test(test_blocked_transport),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
