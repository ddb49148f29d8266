/* The in-memory client-server pair bench_plugins and bench_monitoring share
 * (virtual time, uploads timed in thread CPU time); static, bench_begin() first. */
#ifndef PQ_BENCH_H
#define PQ_BENCH_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn/test_endpoint.h"
#include "crypto/tls.h"
#include "pquic/pquic.h"

typedef struct bench_side {
  pquic_endpoint *ep;
  struct sockaddr_in addr;
  pquic_cnx *cnx; /* the last connection whose handshake completed */
  int done;       /* a stream's FIN arrived */
  uint64_t received;
} bench_side;

static const char *bench_name = "bench"; /* the program, in messages */
static char bench_cert[256], bench_key[256];

/* Removes the certificate bench_begin() made, if it did. */
static inline void bench_end(void) {
  if (bench_cert[0]) {
    unlink(bench_cert);
    unlink(bench_key);
  }
}

static inline void bench_die(const char *what, int rc) {
  fprintf(stderr, "%s: %s: %s\n", bench_name, what, pquic_strerror(rc));
  bench_end();
  exit(1);
}

/* Names the program and makes a self-signed certificate for the servers. */
static inline void bench_begin(const char *name) {
  bench_name = name;
  snprintf(bench_cert, sizeof bench_cert, "/tmp/%s-%d.crt", name, (int)getpid());
  snprintf(bench_key, sizeof bench_key, "/tmp/%s-%d.key", name, (int)getpid());
  if (pq_tls_make_self_signed(bench_cert, bench_key, "localhost"))
    bench_die("certificate", PQUIC_ERR_CERTIFICATE);
}

/* Thread CPU time in ns. */
static inline double bench_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int bench_by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Sorts v. */
static inline double bench_median(double *v, size_t n) {
  qsort(v, n, sizeof v[0], bench_by_value);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A whole file (up to 4 MiB) in memory the caller frees. */
static inline uint8_t *bench_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    bench_die(path, PQUIC_ERR_IO);
  uint8_t *b = malloc(1 << 22);
  if (!b)
    bench_die(path, PQUIC_ERR_NOMEM);
  *len = fread(b, 1, 1 << 22, f);
  fclose(f);
  return b;
}

static inline void bench_on_event(pquic_cnx *cnx, const pquic_event *ev, void *user) {
  bench_side *s = user;
  if (ev->type == PQUIC_EVENT_HANDSHAKE_DONE)
    s->cnx = cnx;
  else if (ev->type == PQUIC_EVENT_OP_FAULT)
    bench_die(ev->reason ? ev->reason : "plugin fault", ev->err);
}

static inline void bench_on_data(pquic_cnx *cnx, uint64_t id, void *user) {
  bench_side *s = user;
  static uint8_t sink[65536];
  for (;;) {
    int fin = 0;
    int64_t n = pquic_stream_read(cnx, id, sink, sizeof sink, &fin);
    if (n <= 0)
      return;
    s->received += (uint64_t)n;
    s->done |= fin;
  }
}

static uint64_t bench_seed = 7;
static inline void bench_rand(void *user, uint8_t *b, size_t n) {
  (void)user;
  pq_test_rand(&bench_seed, b, n);
}

/* An endpoint (a server if `server`) at 127.0.0.1:port. */
static inline void bench_side_init(bench_side *s, int server, uint16_t port) {
  memset(s, 0, sizeof *s);
  pq_test_addr(&s->addr, port);
  pquic_config cfg;
  pq_test_config(&cfg, server, bench_cert, bench_key, s);
  cfg.callbacks.on_event = bench_on_event;
  cfg.callbacks.on_stream_data = bench_on_data;
  cfg.rand = bench_rand;
  int rc = pquic_endpoint_new(&cfg, &s->ep);
  if (rc)
    bench_die("endpoint", rc);
}

/* Moves every datagram each side has at `now`; how many moved. Never
 * inlined: bench/monitoring/monitoring.py counts its instructions under
 * callgrind (--toggle-collect=bench_pump). */
__attribute__((noinline)) static int bench_pump(bench_side *a, bench_side *b, uint64_t now) {
  static uint8_t buf[65536];
  int moved = 0;
  bench_side *from[2] = {a, b}, *to[2] = {b, a};
  for (int k = 0; k < 2; k++) {
    for (;;) {
      pquic_send_info info;
      int n = pquic_endpoint_output(from[k]->ep, now, buf, sizeof buf, &info);
      if (n <= 0)
        break;
      size_t off = 0;
      for (size_t i = 0; i < info.count; i++) {
        size_t len = (size_t)n - off < info.segment_size ? (size_t)n - off : info.segment_size;
        (void)pquic_endpoint_input(to[k]->ep, buf + off, len, (struct sockaddr *)&to[k]->addr,
                                   (struct sockaddr *)&from[k]->addr, 0, now);
        off += len;
        moved++;
      }
    }
  }
  return moved;
}

/* Pumps once; when nothing moved, time goes to the next wake-up. */
static inline void bench_step(bench_side *c, bench_side *s, uint64_t *now) {
  if (bench_pump(c, s, *now))
    return;
  uint64_t w1 = pquic_endpoint_next_wake(c->ep), w2 = pquic_endpoint_next_wake(s->ep);
  uint64_t w = w1 < w2 ? w1 : w2;
  *now = w > *now && w != UINT64_MAX ? w : *now + 1000;
}

/* Connects c to s and runs until both have completed the handshake. */
static inline void bench_handshake(bench_side *c, bench_side *s, uint64_t *now) {
  int rc = pquic_connect(c->ep, (struct sockaddr *)&c->addr, (struct sockaddr *)&s->addr,
                         "localhost", *now, &c->cnx);
  if (rc)
    bench_die("connect", rc);
  for (int i = 0; i < 10000 && !(s->cnx && c->cnx && pquic_cnx_handshake_done(c->cnx)); i++)
    bench_step(c, s, now);
  if (!(s->cnx && c->cnx && pquic_cnx_handshake_done(c->cnx)))
    bench_die("handshake", PQUIC_ERR_STATE);
}

/* Uploads `size` bytes (zeros) from c to s on a new stream; thread CPU ns
 * per byte of the transfer. */
static inline double bench_upload(bench_side *c, bench_side *s, uint64_t *now, size_t size) {
  uint64_t id;
  int rc = pquic_stream_open(c->cnx, 1, &id);
  if (rc)
    bench_die("stream", rc);
  static uint8_t chunk[65536];
  size_t written = 0;
  double t0 = bench_cpu_ns();
  for (uint64_t i = 0; i < 100000000 && !s->done; i++) {
    if (written < size) {
      size_t n = size - written < sizeof chunk ? size - written : sizeof chunk;
      int64_t w = pquic_stream_write(c->cnx, id, chunk, n, written + n == size);
      if (w > 0)
        written += (size_t)w;
    }
    bench_step(c, s, now);
  }
  double ns = (bench_cpu_ns() - t0) / (double)size;
  if (!s->done || s->received != size)
    bench_die("transfer incomplete", PQUIC_ERR_STATE);
  return ns;
}

#endif
