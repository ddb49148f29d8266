/* The connection core end to end between two endpoints in memory, with a
 * lossless zero-delay "wire": handshake, a stream transfer, close, and
 * the pieces of the public API around them. The simulator (tests/sim)
 * covers links, loss and timing. */
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

#include "crypto/tls.h"
#include "pquic/ops.h"
#include "pquic/pquic.h"

typedef struct side {
  pquic_endpoint *ep;
  struct sockaddr_in addr;
  pquic_cnx *cnx;
  int handshake_done, closed, close_err, peer_closed;
  uint64_t close_code;
  uint64_t received;
  int fin;
  uint64_t stream;
} side;

static char g_cert[64], g_key[64];

static void on_event(pquic_cnx *cnx, const pquic_event *ev, void *user) {
  side *s = user;
  switch (ev->type) {
  case PQUIC_EVENT_HANDSHAKE_DONE:
    s->handshake_done = 1;
    s->cnx = cnx;
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

static void on_data(pquic_cnx *cnx, uint64_t id, void *user) {
  side *s = user;
  uint8_t buf[65536];
  for (;;) {
    int fin = 0;
    int64_t n = pquic_stream_read(cnx, id, buf, sizeof buf, &fin);
    if (n < 0)
      break;
    for (int64_t i = 0; i < n; i++)
      assert_int_equal(buf[i], (uint8_t)((s->received + (uint64_t)i) * 7));
    s->received += (uint64_t)n;
    if (fin)
      s->fin = 1;
    if (n == 0)
      break;
  }
}

static uint64_t g_seed = 1;
static void test_rand(void *u, uint8_t *b, size_t n) {
  (void)u;
  for (size_t i = 0; i < n; i++) {
    g_seed = g_seed * 6364136223846793005ull + 1442695040888963407ull;
    b[i] = (uint8_t)(g_seed >> 33);
  }
}

static void make_side_q(side *s, int server, uint16_t port, const char *qlog_dir) {
  memset(s, 0, sizeof *s);
  s->addr.sin_family = AF_INET;
  s->addr.sin_port = htons(port);
  s->addr.sin_addr.s_addr = htonl(0x7f000001);
  pquic_config cfg;
  pquic_config_init(&cfg);
  cfg.accept_incoming = server;
  cfg.cert_file = g_cert;
  cfg.key_file = g_key;
  cfg.insecure = 1;
  cfg.alpn = "hq-interop";
  cfg.callbacks.on_event = on_event;
  cfg.callbacks.on_stream_data = on_data;
  cfg.user = s;
  cfg.rand = test_rand;
  cfg.qlog_dir = qlog_dir;
  assert_int_equal(pquic_endpoint_new(&cfg, &s->ep), 0);
}

static void make_side(side *s, int server, uint16_t port) { make_side_q(s, server, port, NULL); }

/* Counts the records of a qlog file named `name` and checks each one is
 * valid JSON (with Python's parser, which is in the build dependencies). */
static size_t qlog_count(const char *dir, const char *name) {
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "python3 -c 'import json,glob,sys;"
           "t=open(glob.glob(\"%s/*_client.sqlog\")[0]).read();"
           "r=[json.loads(x) for x in t.split(chr(30))[1:]];"
           "assert r[0][\"file_schema\"].endswith(\"sequential\");"
           "print(sum(1 for e in r[1:] if e[\"name\"]==\"%s\"))'",
           dir, name);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  char line[64] = "";
  int ok = fgets(line, sizeof line, p) != NULL;
  assert_int_equal(pclose(p), 0);
  assert_true(ok);
  char *end;
  unsigned long n = strtoul(line, &end, 10);
  assert_true(end != line);
  return n;
}

/* Moves every datagram each side wants to send to the other; returns how
 * many moved. */
static int pump(side *a, side *b, uint64_t now) {
  uint8_t buf[65536];
  int moved = 0;
  side *from[2] = {a, b}, *to[2] = {b, a};
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

static void run_until(side *c, side *s, uint64_t *now, int (*done)(side *, side *)) {
  for (int i = 0; i < 100000 && !done(c, s); i++) {
    if (pump(c, s, *now) == 0 && !done(c, s)) {
      uint64_t w1 = pquic_endpoint_next_wake(c->ep), w2 = pquic_endpoint_next_wake(s->ep);
      uint64_t w = w1 < w2 ? w1 : w2;
      assert_true(w != UINT64_MAX);
      *now = w > *now ? w : *now + 1;
    }
  }
}

static int handshake_both(side *c, side *s) { return c->handshake_done && s->handshake_done; }
static int both_closed(side *c, side *s) { return c->closed && s->closed; }

static int setup(void **state) {
  (void)state;
  snprintf(g_cert, sizeof g_cert, "/tmp/pquic-test-%d.crt", (int)getpid());
  snprintf(g_key, sizeof g_key, "/tmp/pquic-test-%d.key", (int)getpid());
  return pq_tls_make_self_signed(g_cert, g_key, "localhost");
}

static int teardown(void **state) {
  (void)state;
  unlink(g_cert);
  unlink(g_key);
  return 0;
}

static void test_handshake_transfer_close(void **state) {
  (void)state;
  side c, s;
  char qdir[] = "/tmp/pquic-qlog-XXXXXX";
  assert_non_null(mkdtemp(qdir));
  make_side_q(&c, 0, 5000, qdir);
  make_side(&s, 1, 4433);
  uint64_t now = 1000000;
  pquic_cnx *cc;
  assert_int_equal(pquic_connect(c.ep, (struct sockaddr *)&c.addr, (struct sockaddr *)&s.addr,
                                 "localhost", now, &cc),
                   0);
  run_until(&c, &s, &now, handshake_both);
  assert_true(c.handshake_done && s.handshake_done);
  assert_string_equal(pquic_cnx_alpn(cc), "hq-interop");
  assert_true(strlen(pquic_cnx_cipher(cc)) > 0);

  /* 1 MB client to server on one stream. */
  uint64_t id;
  assert_int_equal(pquic_stream_open(cc, 1, &id), 0);
  const size_t total = 1 << 20;
  uint8_t *data = malloc(total);
  for (size_t i = 0; i < total; i++)
    data[i] = (uint8_t)(i * 7);
  size_t written = 0;
  for (int i = 0; i < 1000000 && !s.fin; i++) {
    if (written < total) {
      int64_t n = pquic_stream_write(cc, id, data + written, total - written, 1);
      assert_true(n >= 0);
      written += (size_t)n;
    }
    if (pump(&c, &s, now) == 0) {
      uint64_t w1 = pquic_endpoint_next_wake(c.ep), w2 = pquic_endpoint_next_wake(s.ep);
      uint64_t w = w1 < w2 ? w1 : w2;
      now = w > now && w != UINT64_MAX ? w : now + 1000;
    }
  }
  free(data);
  assert_true(s.fin);
  assert_int_equal(s.received, total);

  pquic_stats st;
  pquic_cnx_get_stats(cc, &st);
  assert_true(st.packets_sent > 700);
  assert_int_equal(st.packets_lost, 0);
  assert_int_equal(st.stream_bytes_sent, total);
  uint64_t sent_before_close = st.packets_sent;

  /* The client closes with an application code; both end. */
  assert_int_equal(pquic_cnx_close(cc, 0x42, "bye", now), 0);
  run_until(&c, &s, &now, both_closed);
  assert_true(c.closed && s.closed);
  assert_true(s.peer_closed);
  assert_int_equal(s.close_code, 0x42);
  assert_int_equal(pquic_endpoint_connection_count(c.ep), 0);
  assert_int_equal(pquic_endpoint_connection_count(s.ep), 0);
  pquic_endpoint_free(c.ep);
  pquic_endpoint_free(s.ep);
  /* The qlog observer saw every packet: at least those before the close,
   * and exactly one record per packet (the close adds one or two). */
  size_t logged = qlog_count(qdir, "quic:packet_sent");
  assert_true(logged >= sent_before_close && logged <= sent_before_close + 3);
  assert_int_equal(qlog_count(qdir, "quic:connection_closed"), 1);
  assert_true(qlog_count(qdir, "quic:packet_received") > 20);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", qdir);
  assert_int_equal(system(cmd), 0);
}

static void test_bad_config(void **state) {
  (void)state;
  pquic_config cfg;
  pquic_config_init(&cfg);
  pquic_endpoint *ep;
  cfg.settings.cid_length = 2;
  assert_int_equal(pquic_endpoint_new(&cfg, &ep), PQUIC_ERR_INVAL);
  pquic_config_init(&cfg);
  cfg.accept_incoming = 1;
  cfg.cert_file = "/nonexistent.crt";
  cfg.key_file = "/nonexistent.key";
  assert_int_equal(pquic_endpoint_new(&cfg, &ep), PQUIC_ERR_CERTIFICATE);
  pquic_config_init(&cfg);
  cfg.struct_size = 3;
  assert_int_equal(pquic_endpoint_new(&cfg, &ep), PQUIC_ERR_INVAL);
  pquic_config_init(&cfg);
  cfg.alpn = "";
  assert_int_equal(pquic_endpoint_new(&cfg, &ep), PQUIC_ERR_INVAL);
}

static void test_garbage_datagrams(void **state) {
  (void)state;
  side s;
  make_side(&s, 1, 4433);
  struct sockaddr_in peer = s.addr;
  peer.sin_port = htons(9999);
  uint8_t junk[1500];
  for (int i = 0; i < 2000; i++) {
    size_t len = (size_t)(i % 1500) + 1;
    test_rand(NULL, junk, len);
    assert_int_equal(pquic_endpoint_input(s.ep, junk, len, (struct sockaddr *)&s.addr,
                                          (struct sockaddr *)&peer, 0, 1000),
                     0);
  }
  assert_int_equal(pquic_endpoint_connection_count(s.ep), 0);
  pquic_endpoint_free(s.ep);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_handshake_transfer_close),
      cmocka_unit_test(test_bad_config),
      cmocka_unit_test(test_garbage_datagrams),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
