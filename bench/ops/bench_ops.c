/*
 * The cost of pluginizability: one bulk transfer between two endpoints in
 * memory (no link, no delay, virtual time), CPU time per delivered byte.
 * bench/ops/CMakeLists.txt builds this program twice, against a library
 * whose core call sites go through the operation table (the default) and
 * against one built with -DPQUIC_DIRECT_OPS=ON (direct calls); compare.py
 * alternates the two and takes medians.
 *
 * Usage: bench_ops [-b bytes]   (default 100 MB)
 * Prints one line:
 *   ops-run: mode=direct|dispatch bytes=N cpu_ns=T ns_per_kb=X packets=P
 */
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

#ifdef PQUIC_DIRECT_OPS
#define MODE "direct"
#else
#define MODE "dispatch"
#endif

#define CHUNK (1u << 20)

typedef struct side {
  pquic_endpoint *ep;
  struct sockaddr_in addr;
  pquic_cnx *cnx;
  int handshake_done, closed;
  uint64_t received;
  int fin, bad;
} side;

static uint8_t g_data[CHUNK];
static uint8_t g_scratch[1 << 16];

/* Periodic in 64 KiB, so the 1 MiB source buffer repeats seamlessly. */
static uint8_t byte_at(uint64_t off) {
  return (uint8_t)((off * 7) ^ (off >> 8));
}

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

/* Reads everything; spot-checks the first and last byte of each read so
 * the check costs the same in both builds and almost nothing. */
static void on_data(pquic_cnx *cnx, uint64_t id, void *user) {
  side *s = user;
  for (;;) {
    int fin = 0;
    int64_t n = pquic_stream_read(cnx, id, g_scratch, sizeof g_scratch, &fin);
    if (n < 0) {
      s->bad = 1;
      return;
    }
    if (n > 0) {
      s->bad |= g_scratch[0] != byte_at(s->received);
      s->bad |= g_scratch[n - 1] != byte_at(s->received + (uint64_t)n - 1);
      s->received += (uint64_t)n;
    }
    s->fin |= fin;
    if (n == 0 || fin)
      return;
  }
}

static uint64_t g_seed = 1;
static void det_rand(void *u, uint8_t *b, size_t n) {
  (void)u;
  pq_test_rand(&g_seed, b, n);
}

static int make_side(side *s, int server, uint16_t port, const char *cert, const char *key) {
  memset(s, 0, sizeof *s);
  pq_test_addr(&s->addr, port);
  pquic_config cfg;
  pq_test_config(&cfg, server, cert, key, s);
  cfg.callbacks.on_event = on_event;
  cfg.callbacks.on_stream_data = on_data;
  cfg.rand = det_rand;
  return pquic_endpoint_new(&cfg, &s->ep);
}

static uint8_t g_buf[1 << 16];

/* Moves every datagram from a to b; returns how many, -1 on error. */
static long pump(side *a, side *b, uint64_t now) {
  long moved = 0;
  for (;;) {
    pquic_send_info info;
    int n = pquic_endpoint_output(a->ep, now, g_buf, sizeof g_buf, &info);
    if (n < 0)
      return -1;
    if (n == 0)
      return moved;
    size_t off = 0;
    while (off < (size_t)n) {
      size_t len = (size_t)n - off < info.segment_size ? (size_t)n - off : info.segment_size;
      if (pquic_endpoint_input(b->ep, g_buf + off, len, (struct sockaddr *)&b->addr,
                               (struct sockaddr *)&a->addr, 0, now) != 0)
        return -1;
      off += len;
      moved++;
    }
  }
}

static uint64_t cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One step of the in-memory network: both directions, then time moves to
 * the next wake-up if nothing moved (otherwise by 1 us). */
static int step(side *c, side *s, uint64_t *now) {
  long m1 = pump(c, s, *now), m2 = pump(s, c, *now);
  if (m1 < 0 || m2 < 0)
    return -1;
  if (m1 + m2 > 0) {
    *now += 1;
    return 0;
  }
  uint64_t w1 = pquic_endpoint_next_wake(c->ep), w2 = pquic_endpoint_next_wake(s->ep);
  uint64_t w = w1 < w2 ? w1 : w2;
  if (w == UINT64_MAX)
    return -1; /* nothing will ever happen */
  *now = w > *now ? w : *now + 1;
  return 0;
}

int main(int argc, char **argv) {
  uint64_t total = 100ull * 1000 * 1000;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-b") == 0 && i + 1 < argc) {
      total = strtoull(argv[++i], NULL, 10);
    } else {
      fprintf(stderr, "usage: %s [-b bytes]\n", argv[0]);
      return 2;
    }
  }
  for (uint64_t i = 0; i < CHUNK; i++)
    g_data[i] = byte_at(i);
  char cert[64], key[64];
  snprintf(cert, sizeof cert, "/tmp/pquic-bench-ops-%d.crt", (int)getpid());
  snprintf(key, sizeof key, "/tmp/pquic-bench-ops-%d.key", (int)getpid());
  if (pq_tls_make_self_signed(cert, key, "localhost") != 0) {
    fprintf(stderr, "bench_ops: cannot make a certificate\n");
    return 1;
  }
  side c, s;
  int rc = make_side(&c, 0, 5000, cert, key);
  if (rc == 0)
    rc = make_side(&s, 1, 4433, cert, key);
  unlink(cert);
  unlink(key);
  if (rc != 0) {
    fprintf(stderr, "bench_ops: endpoint: %s\n", pquic_strerror(rc));
    return 1;
  }
  uint64_t now = 1000000;
  pquic_cnx *cc;
  rc = pquic_connect(c.ep, (struct sockaddr *)&c.addr, (struct sockaddr *)&s.addr, "localhost", now,
                     &cc);
  for (int i = 0; rc == 0 && i < 100000 && !(c.handshake_done && s.handshake_done); i++)
    rc = step(&c, &s, &now);
  uint64_t id = 0;
  if (rc != 0 || !c.handshake_done || pquic_stream_open(cc, 1, &id) != 0) {
    fprintf(stderr, "bench_ops: handshake failed\n");
    return 1;
  }

  uint64_t t0 = cpu_ns();
  uint64_t written = 0;
  for (uint64_t i = 0; !s.fin && !c.closed && !s.closed; i++) {
    while (written < total) {
      uint64_t off = written % CHUNK;
      uint64_t len = CHUNK - off < total - written ? CHUNK - off : total - written;
      int64_t n = pquic_stream_write(cc, id, g_data + off, (size_t)len, written + len == total);
      if (n <= 0)
        break;
      written += (uint64_t)n;
    }
    if (step(&c, &s, &now) != 0 || i > 100000000) {
      fprintf(stderr, "bench_ops: transfer stalled at %llu bytes\n",
              (unsigned long long)s.received);
      return 1;
    }
  }
  uint64_t t = cpu_ns() - t0;
  if (!s.fin || s.received != total || s.bad) {
    fprintf(stderr, "bench_ops: transfer incomplete or corrupt (%llu of %llu bytes)\n",
            (unsigned long long)s.received, (unsigned long long)total);
    return 1;
  }
  pquic_stats st;
  pquic_cnx_get_stats(cc, &st);
  printf("ops-run: mode=%s bytes=%llu cpu_ns=%llu ns_per_kb=%.2f packets=%llu\n", MODE,
         (unsigned long long)total, (unsigned long long)t, (double)t * 1000.0 / (double)total,
         (unsigned long long)st.packets_sent);
  pquic_endpoint_free(c.ep);
  pquic_endpoint_free(s.ep);
  return 0;
}
