/*
 * Internal to src/crypto: how each suite maps onto GnuTLS algorithms.
 */
#ifndef PQ_CRYPTO_SUITE_GNUTLS_H
#define PQ_CRYPTO_SUITE_GNUTLS_H

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "crypto/suite.h"

typedef struct pq_suite_info {
  pq_cipher_suite suite;
  const char *name;
  gnutls_cipher_algorithm_t aead; /* packet payload AEAD */
  gnutls_cipher_algorithm_t hp;   /* header protection (CBC stands in for ECB) */
  gnutls_mac_algorithm_t hash;    /* HKDF hash */
  const char *priority;           /* GnuTLS priority-string cipher keyword */
  unsigned char key_len;
  unsigned char secret_len;
} pq_suite_info;

/* The suite's row, or NULL when unknown. */
const pq_suite_info *pq_suite_get(pq_cipher_suite suite);

/* The suite for a GnuTLS AEAD algorithm, PQ_SUITE_NONE for any other. */
pq_cipher_suite pq_suite_from_gnutls(gnutls_cipher_algorithm_t aead);

#endif
