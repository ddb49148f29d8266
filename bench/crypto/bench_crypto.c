/*
 * Packet protection cost: protect + unprotect (two-step, as the connection
 * does it) of a 1400-byte short-header packet with AES-128-GCM, against the
 * bare GnuTLS AEAD seal + open of the same payload and header in the same
 * run. Rounds alternate between the two so drift hits both; each figure is
 * the median over rounds. Last line:
 *   crypto: ns_per_packet=... bare_ns=... ratio=...
 * Options: -n packets per round (default 20000), -r rounds (default 9).
 */
#include <gnutls/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/keys.h"
#include "crypto/protect.h"

#define PKT_LEN 1400
#define DCID_LEN 8
#define PN_OFFSET (1 + DCID_LEN)
#define PN_LEN 4
#define HDR_LEN (PN_OFFSET + PN_LEN)
#define PAYLOAD_LEN (PKT_LEN - HDR_LEN - PQ_TAG_LEN)
#define MAX_ROUNDS 101

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void write_header(uint8_t *pkt, uint64_t pn) {
  pkt[0] = 0x40 | (PN_LEN - 1);
  memset(pkt + 1, 0xcd, DCID_LEN);
  for (int i = 0; i < PN_LEN; i++)
    pkt[PN_OFFSET + i] = (uint8_t)(pn >> (8 * (PN_LEN - 1 - i)));
}

static volatile uint64_t sink;

/* One round of our path; returns ns per packet, or 0 on failure. */
static double run_ours(pq_dir_keys *tx, pq_dir_keys *rx, uint8_t *pkt, long n, uint64_t *pn) {
  uint64_t t0 = now_ns();
  for (long i = 0; i < n; i++, (*pn)++) {
    write_header(pkt, *pn);
    if (pq_packet_protect(&tx->phase.aead, &tx->hp, pkt, PKT_LEN, PN_OFFSET, PN_LEN, *pn))
      return 0;
    size_t pn_len, plen;
    uint64_t trunc;
    if (pq_packet_remove_hp(&rx->hp, pkt, PKT_LEN, PN_OFFSET, &pn_len, &trunc))
      return 0;
    /* The connection decodes the full number here; it is *pn. */
    if (pq_packet_open(&rx->phase.aead, pkt, PKT_LEN, PN_OFFSET + pn_len, *pn, &plen))
      return 0;
    sink += plen + trunc;
  }
  return (double)(now_ns() - t0) / (double)n;
}

/* The same work with GnuTLS alone: nonce from a fixed IV, seal, open. */
static double run_bare(gnutls_aead_cipher_hd_t enc, gnutls_aead_cipher_hd_t dec, uint8_t *pkt,
                       long n, uint64_t *pn) {
  static const uint8_t iv[PQ_IV_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  uint64_t t0 = now_ns();
  for (long i = 0; i < n; i++, (*pn)++) {
    write_header(pkt, *pn);
    uint8_t nonce[PQ_IV_LEN];
    pq_aead_nonce(iv, *pn, nonce);
    giovec_t ad = {pkt, HDR_LEN}, data = {pkt + HDR_LEN, PAYLOAD_LEN};
    size_t tag_len = PQ_TAG_LEN;
    if (gnutls_aead_cipher_encryptv2(enc, nonce, sizeof nonce, &ad, 1, &data, 1,
                                     pkt + HDR_LEN + PAYLOAD_LEN, &tag_len))
      return 0;
    if (gnutls_aead_cipher_decryptv2(dec, nonce, sizeof nonce, &ad, 1, &data, 1,
                                     pkt + HDR_LEN + PAYLOAD_LEN, PQ_TAG_LEN))
      return 0;
    sink += pkt[HDR_LEN];
  }
  return (double)(now_ns() - t0) / (double)n;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
  long n = 20000;
  int rounds = 9;
  int opt;
  while ((opt = getopt(argc, argv, "n:r:")) != -1) {
    if (opt == 'n')
      n = strtol(optarg, NULL, 10);
    else if (opt == 'r')
      rounds = (int)strtol(optarg, NULL, 10);
    else {
      fprintf(stderr, "usage: %s [-n packets] [-r rounds]\n", argv[0]);
      return 2;
    }
  }
  if (n <= 0 || rounds <= 0 || rounds > MAX_ROUNDS) {
    fprintf(stderr, "bench-crypto: bad -n or -r\n");
    return 2;
  }

  uint8_t secret[32];
  for (int i = 0; i < 32; i++)
    secret[i] = (uint8_t)(i * 5 + 3);
  pq_dir_keys tx, rx;
  if (pq_dir_keys_init(&tx, PQ_SUITE_AES_128_GCM_SHA256, PQ_CRYPTO_V1, secret, 32) ||
      pq_dir_keys_init(&rx, PQ_SUITE_AES_128_GCM_SHA256, PQ_CRYPTO_V1, secret, 32)) {
    fprintf(stderr, "bench-crypto: key setup failed\n");
    return 1;
  }
  gnutls_aead_cipher_hd_t enc, dec;
  gnutls_datum_t key = {secret, 16};
  if (gnutls_aead_cipher_init(&enc, GNUTLS_CIPHER_AES_128_GCM, &key) ||
      gnutls_aead_cipher_init(&dec, GNUTLS_CIPHER_AES_128_GCM, &key)) {
    fprintf(stderr, "bench-crypto: gnutls setup failed\n");
    return 1;
  }

  static uint8_t pkt[PKT_LEN];
  for (size_t i = 0; i < PAYLOAD_LEN; i++)
    pkt[HDR_LEN + i] = (uint8_t)i;
  uint64_t pn_ours = 0, pn_bare = 0;
  /* Warm-up: caches, frequency. */
  run_ours(&tx, &rx, pkt, n / 4 + 1, &pn_ours);
  run_bare(enc, dec, pkt, n / 4 + 1, &pn_bare);

  double ours[MAX_ROUNDS] = {0}, bare[MAX_ROUNDS] = {0};
  for (int r = 0; r < rounds; r++) {
    bare[r] = run_bare(enc, dec, pkt, n, &pn_bare);
    ours[r] = run_ours(&tx, &rx, pkt, n, &pn_ours);
    if (bare[r] == 0 || ours[r] == 0) {
      fprintf(stderr, "bench-crypto: protection failed in round %d\n", r);
      return 1;
    }
    printf("round %d: ours %.1f ns  bare %.1f ns\n", r, ours[r], bare[r]);
  }
  double m_ours = median(ours, rounds), m_bare = median(bare, rounds);
  printf("packet %d bytes (payload %d), AES-128-GCM, %ld packets x %d rounds\n", PKT_LEN,
         PAYLOAD_LEN, n, rounds);
  printf("crypto: ns_per_packet=%.1f bare_ns=%.1f ratio=%.3f\n", m_ours, m_bare, m_ours / m_bare);

  gnutls_aead_cipher_deinit(enc);
  gnutls_aead_cipher_deinit(dec);
  pq_dir_keys_free(&tx);
  pq_dir_keys_free(&rx);
  return 0;
}
