/* Test support: a client and a server endpoint in memory over a lossless,
 * zero-delay wire, with events (and, for the plugin tests, plugin
 * messages) recorded. Static functions only; each test file includes it. */
#ifndef PQ_TEST_PAIR_H
#define PQ_TEST_PAIR_H

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

#include "conn/test_endpoint.h"
#include "crypto/tls.h"
#include "pquic/ops.h"
#include "pquic/plugin.h"
#include "pquic/pquic.h"

#define PAIR_MAX_MSGS 64

typedef struct pair_side {
  pquic_endpoint *ep;
  struct sockaddr_in addr;
  pquic_cnx *cnx;
  int handshake_done, closing, closed, close_err, peer_closed, op_fault, fault_err;
  uint64_t closing_code;
  uint64_t close_code;
  char fault_reason[256];
  uint64_t received;
  int fin;
  int check_pattern; /* on_data asserts byte i of a stream is (uint8_t)(i * 7) */
  size_t n_msgs, n_msg_events;
  uint8_t msgs[PAIR_MAX_MSGS][128];
  size_t msg_len[PAIR_MAX_MSGS];
  char msg_plugin[64];
} pair_side;

static char pair_cert[64], pair_key[64];

static inline void pair_on_event(pquic_cnx *cnx, const pquic_event *ev, void *user) {
  pair_side *s = user;
  switch (ev->type) {
  case PQUIC_EVENT_HANDSHAKE_DONE:
    s->handshake_done = 1;
    s->cnx = cnx;
    break;
  case PQUIC_EVENT_CLOSING:
    s->closing = 1;
    s->closing_code = ev->wire_error;
    break;
  case PQUIC_EVENT_OP_FAULT:
    s->op_fault++;
    s->fault_err = ev->err;
    snprintf(s->fault_reason, sizeof s->fault_reason, "%s", ev->reason ? ev->reason : "");
    break;
  case PQUIC_EVENT_PLUGIN_MESSAGE:
    s->n_msg_events++;
    assert_non_null(ev->reason);
    break;
  case PQUIC_EVENT_CLOSED:
    s->closed = 1;
    s->close_err = ev->err;
    s->close_code = ev->wire_error;
    s->peer_closed = ev->closed_by_peer;
    s->cnx = NULL;
    break;
  default:
    break;
  }
}

static inline void pair_on_message(pquic_cnx *cnx, const char *plugin, const uint8_t *data,
                                   size_t len, void *user) {
  (void)cnx;
  pair_side *s = user;
  if (s->n_msgs < PAIR_MAX_MSGS) {
    size_t n = len < sizeof s->msgs[0] ? len : sizeof s->msgs[0];
    memcpy(s->msgs[s->n_msgs], data, n);
    s->msg_len[s->n_msgs] = len;
    s->n_msgs++;
  }
  snprintf(s->msg_plugin, sizeof s->msg_plugin, "%s", plugin);
}

static inline void pair_on_data(pquic_cnx *cnx, uint64_t id, void *user) {
  pair_side *s = user;
  uint8_t buf[16384];
  for (;;) {
    int fin = 0;
    int64_t n = pquic_stream_read(cnx, id, buf, sizeof buf, &fin);
    if (n < 0)
      break;
    for (int64_t i = 0; s->check_pattern && i < n; i++)
      assert_int_equal(buf[i], (uint8_t)((s->received + (uint64_t)i) * 7));
    s->received += (uint64_t)n;
    if (fin)
      s->fin = 1;
    if (n == 0)
      break;
  }
}

static uint64_t pair_seed = 1;
static inline void pair_rand(void *u, uint8_t *b, size_t n) {
  (void)u;
  pq_test_rand(&pair_seed, b, n);
}

/* An endpoint (a server if `server`) at 127.0.0.1:port, writing qlog
 * files to qlog_dir unless it is NULL. */
static inline void pair_side_open(pair_side *s, int server, uint16_t port, const char *qlog_dir) {
  memset(s, 0, sizeof *s);
  pq_test_addr(&s->addr, port);
  pquic_config cfg;
  pq_test_config(&cfg, server, pair_cert, pair_key, s);
  cfg.callbacks.on_event = pair_on_event;
  cfg.callbacks.on_stream_data = pair_on_data;
  cfg.rand = pair_rand;
  cfg.qlog_dir = qlog_dir;
  assert_int_equal(pquic_endpoint_new(&cfg, &s->ep), 0);
}

/* pair_side_open recording plugin messages (links with pquic_plugin). */
static inline void pair_side_init(pair_side *s, int server, uint16_t port) {
  pair_side_open(s, server, port, NULL);
  assert_int_equal(pquic_endpoint_plugin_messages(s->ep, pair_on_message, s), 0);
}

/* Moves every datagram each side wants to send to the other. */
static inline int pair_pump(pair_side *a, pair_side *b, uint64_t now) {
  static uint8_t buf[65536];
  int moved = 0;
  pair_side *from[2] = {a, b}, *to[2] = {b, a};
  for (int k = 0; k < 2; k++) {
    for (;;) {
      pquic_send_info info;
      int n = pquic_endpoint_output(from[k]->ep, now, buf, sizeof buf, &info);
      assert_true(n >= 0);
      if (n == 0)
        break;
      size_t off = 0;
      for (size_t i = 0; i < info.count; i++) {
        size_t len = (size_t)n - off < info.segment_size ? (size_t)n - off : info.segment_size;
        assert_int_equal(pquic_endpoint_input(to[k]->ep, buf + off, len,
                                              (struct sockaddr *)&to[k]->addr,
                                              (struct sockaddr *)&from[k]->addr, 0, now),
                         0);
        off += len;
        moved++;
      }
    }
  }
  return moved;
}

/* Pumps (and advances time to the next wake-up when idle) until done()
 * holds, `rounds` rounds have run or nothing is left to do; done() at the
 * end. */
static inline int pair_run_for(pair_side *c, pair_side *s, uint64_t *now,
                               int (*done)(pair_side *, pair_side *), int rounds) {
  for (int i = 0; i < rounds && !done(c, s); i++) {
    if (pair_pump(c, s, *now) == 0 && !done(c, s)) {
      uint64_t w1 = pquic_endpoint_next_wake(c->ep), w2 = pquic_endpoint_next_wake(s->ep);
      uint64_t w = w1 < w2 ? w1 : w2;
      if (w == UINT64_MAX)
        break;
      *now = w > *now ? w : *now + 1;
    }
  }
  return done(c, s);
}

static inline void pair_run(pair_side *c, pair_side *s, uint64_t *now,
                            int (*done)(pair_side *, pair_side *)) {
  (void)pair_run_for(c, s, now, done, 200000);
}

static inline int pair_handshaken(pair_side *c, pair_side *s) {
  return c->handshake_done && s->handshake_done;
}
static inline int pair_closed(pair_side *c, pair_side *s) {
  return c->closed && s->closed;
}
static inline int pair_client_closing(pair_side *c, pair_side *s) {
  (void)s;
  return c->closing;
}

static inline int pair_setup(void **state) {
  (void)state;
  snprintf(pair_cert, sizeof pair_cert, "/tmp/pquic-pair-%d.crt", (int)getpid());
  snprintf(pair_key, sizeof pair_key, "/tmp/pquic-pair-%d.key", (int)getpid());
  return pq_tls_make_self_signed(pair_cert, pair_key, "localhost");
}

static inline int pair_teardown(void **state) {
  (void)state;
  unlink(pair_cert);
  unlink(pair_key);
  return 0;
}

/* Connects c to s (client connection in c->cnx right away). */
static inline void pair_connect(pair_side *c, pair_side *s, uint64_t now) {
  assert_int_equal(pquic_connect(c->ep, (struct sockaddr *)&c->addr, (struct sockaddr *)&s->addr,
                                 "localhost", now, &c->cnx),
                   0);
}

/* Sends `total` bytes from the client on a new stream and runs until the
 * server has them all: `data` (all that is left at each write) or, if it
 * is NULL, zeros 16 KB at a time. */
static inline void pair_transfer(pair_side *c, pair_side *s, uint64_t *now, size_t total,
                                 const uint8_t *data) {
  uint64_t id;
  assert_int_equal(pquic_stream_open(c->cnx, 1, &id), 0);
  static uint8_t chunk[16384];
  size_t written = 0;
  for (int i = 0; i < 1000000 && !s->fin && c->cnx; i++) {
    if (written < total) {
      size_t n = total - written;
      if (!data && n > sizeof chunk)
        n = sizeof chunk;
      int64_t w =
          pquic_stream_write(c->cnx, id, data ? data + written : chunk, n, written + n == total);
      assert_true(w >= 0);
      written += (size_t)w;
    }
    if (pair_pump(c, s, *now) == 0) {
      uint64_t w1 = pquic_endpoint_next_wake(c->ep), w2 = pquic_endpoint_next_wake(s->ep);
      uint64_t w = w1 < w2 ? w1 : w2;
      *now = w > *now && w != UINT64_MAX ? w : *now + 1000;
    }
  }
}

/* Reads a whole file. */
static inline uint8_t *pair_read(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    fail_msg("cannot open %s", path);
  static uint8_t *buf;
  buf = malloc(1 << 22);
  assert_non_null(buf);
  *len = fread(buf, 1, 1 << 22, f);
  fclose(f);
  return buf;
}

static inline void pair_free(pair_side *s) {
  pquic_endpoint_free(s->ep);
}

#endif
