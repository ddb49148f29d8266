/* Cipher suite table: one row per QUIC suite. */
#include "crypto/suite_gnutls.h"

static const pq_suite_info suites[] = {
    {PQ_SUITE_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256", GNUTLS_CIPHER_AES_128_GCM,
     GNUTLS_CIPHER_AES_128_CBC, GNUTLS_MAC_SHA256, "AES-128-GCM", 16, 32},
    {PQ_SUITE_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384", GNUTLS_CIPHER_AES_256_GCM,
     GNUTLS_CIPHER_AES_256_CBC, GNUTLS_MAC_SHA384, "AES-256-GCM", 32, 48},
    {PQ_SUITE_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256",
     GNUTLS_CIPHER_CHACHA20_POLY1305, GNUTLS_CIPHER_CHACHA20_32, GNUTLS_MAC_SHA256,
     "CHACHA20-POLY1305", 32, 32},
};

const pq_suite_info *pq_suite_get(pq_cipher_suite suite) {
  for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
    if (suites[i].suite == suite)
      return &suites[i];
  return NULL;
}

pq_cipher_suite pq_suite_from_gnutls(gnutls_cipher_algorithm_t aead) {
  for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
    if (suites[i].aead == aead)
      return suites[i].suite;
  return PQ_SUITE_NONE;
}

bool pq_crypto_version_known(uint32_t version) {
  return version == PQ_CRYPTO_V1 || version == PQ_CRYPTO_V2;
}

bool pq_suite_known(pq_cipher_suite suite) {
  return pq_suite_get(suite) != NULL;
}

size_t pq_suite_secret_len(pq_cipher_suite suite) {
  const pq_suite_info *s = pq_suite_get(suite);
  return s ? s->secret_len : 0;
}

size_t pq_suite_key_len(pq_cipher_suite suite) {
  const pq_suite_info *s = pq_suite_get(suite);
  return s ? s->key_len : 0;
}

const char *pq_suite_name(pq_cipher_suite suite) {
  const pq_suite_info *s = pq_suite_get(suite);
  return s ? s->name : "unknown";
}
