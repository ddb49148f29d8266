/*
 * QUIC cipher suites, versions and sizes shared by the crypto module.
 *
 * The three TLS 1.3 suites QUIC allows (RFC 9001 section 5.3; CCM is not
 * offered). Enum values are the TLS cipher suite code points, so a suite can
 * be logged or compared with what a peer names.
 */
#ifndef PQ_CRYPTO_SUITE_H
#define PQ_CRYPTO_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum pq_cipher_suite {
  PQ_SUITE_NONE = 0,
  PQ_SUITE_AES_128_GCM_SHA256 = 0x1301,
  PQ_SUITE_AES_256_GCM_SHA384 = 0x1302,
  PQ_SUITE_CHACHA20_POLY1305_SHA256 = 0x1303,
} pq_cipher_suite;

/* QUIC versions whose key derivation this module knows (RFC 9001, RFC 9369).
 * Functions taking a `version` accept exactly these two values. */
#define PQ_CRYPTO_V1 0x00000001u
#define PQ_CRYPTO_V2 0x6b3343cfu

/* Largest sizes over all suites, for stack buffers. */
#define PQ_SECRET_MAX 48 /* SHA-384 output */
#define PQ_KEY_MAX 32
#define PQ_IV_LEN 12
#define PQ_TAG_LEN 16
#define PQ_HP_SAMPLE_LEN 16
#define PQ_HP_MASK_LEN 5
#define PQ_PN_MAX_LEN 4

/* True for PQ_CRYPTO_V1 and PQ_CRYPTO_V2. */
bool pq_crypto_version_known(uint32_t version);

/* True for the three suites above. */
bool pq_suite_known(pq_cipher_suite suite);

/* Length of the suite's hash (= traffic secret length): 32 or 48; 0 if the
 * suite is unknown. */
size_t pq_suite_secret_len(pq_cipher_suite suite);

/* AEAD key length: 16 or 32; 0 if unknown. The header-protection key has the
 * same length. */
size_t pq_suite_key_len(pq_cipher_suite suite);

/* IANA name, e.g. "TLS_AES_128_GCM_SHA256"; "unknown" otherwise. */
const char *pq_suite_name(pq_cipher_suite suite);

#endif
