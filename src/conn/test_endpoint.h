/*
 * TEST SUPPORT ONLY: what the in-memory endpoints of tests and benchmarks
 * share (tests/unit/pair.h, test_conn_oom.c, bench/bench.h, bench_ops.c):
 * an address on 127.0.0.1, a configuration for hq-interop with a given
 * certificate and no certificate checks, and a seeded random generator so
 * runs repeat exactly. Not part of the public API.
 */
#ifndef PQ_CONN_TEST_ENDPOINT_H
#define PQ_CONN_TEST_ENDPOINT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pquic/pquic.h"

static inline void pq_test_addr(struct sockaddr_in *a, uint16_t port) {
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_port = htons(port);
  a->sin_addr.s_addr = htonl(0x7f000001);
}

/* n bytes from a 64-bit linear congruential generator at *seed. */
static inline void pq_test_rand(uint64_t *seed, uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
    b[i] = (uint8_t)(*seed >> 33);
  }
}

/* A client or server (`server`) configuration; the caller sets callbacks
 * and the random generator. */
static inline void pq_test_config(pquic_config *cfg, int server, const char *cert, const char *key,
                                  void *user) {
  pquic_config_init(cfg);
  cfg->accept_incoming = server;
  cfg->cert_file = cert;
  cfg->key_file = key;
  cfg->insecure = 1;
  cfg->alpn = "hq-interop";
  cfg->user = user;
}

#endif
