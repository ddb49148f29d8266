/*
 * Packet payload AEAD (RFC 9001 section 5.3): AES-128-GCM, AES-256-GCM and
 * ChaCha20-Poly1305 through GnuTLS.
 *
 * A pq_aead is created once per key (one direction, one key phase) and then
 * seals or opens payloads in place with nonce = IV xor packet number and
 * AAD = the unprotected header. No allocation per packet. A context is not
 * safe for concurrent use (GnuTLS keeps per-call state in the handle): it
 * belongs to the connection's thread like the rest of the connection.
 */
#ifndef PQ_CRYPTO_AEAD_H
#define PQ_CRYPTO_AEAD_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/crypto.h>

#include "crypto/suite.h"

typedef struct pq_aead {
  gnutls_aead_cipher_hd_t hd; /* NULL when not initialized */
  uint8_t iv[PQ_IV_LEN];
  pq_cipher_suite suite;
} pq_aead;

/* Sets up `a` for `suite` with `key` (pq_suite_key_len(suite) bytes) and
 * `iv` (12 bytes). `a` must be zeroed or freed before (re)initialization.
 * Errors: PQUIC_ERR_INVAL (unknown suite, NULL argument), PQUIC_ERR_NOMEM,
 * PQUIC_ERR_CRYPTO. On error `a` stays uninitialized (hd == NULL). */
int pq_aead_init(pq_aead *a, pq_cipher_suite suite, const uint8_t *key, const uint8_t *iv);

/* Replaces the key and IV of an initialized context without allocating (used
 * for key updates). Errors: PQUIC_ERR_INVAL, PQUIC_ERR_CRYPTO. */
int pq_aead_rekey(pq_aead *a, const uint8_t *key, const uint8_t *iv);

/* Releases GnuTLS state and wipes the IV. Safe on a zeroed or freed context. */
void pq_aead_free(pq_aead *a);

/* Encrypts payload[0..plain_len) in place and writes the 16-byte tag at
 * payload[plain_len]: the buffer must hold plain_len + PQ_TAG_LEN bytes.
 * `aad` is the header as sent (before header protection).
 * Errors: PQUIC_ERR_INVAL (uninitialized context, NULL buffer),
 * PQUIC_ERR_CRYPTO. */
int pq_aead_seal(pq_aead *a, uint64_t pn, const uint8_t *aad, size_t aad_len, uint8_t *payload,
                 size_t plain_len);

/* Decrypts payload[0..cipher_len) in place, where the last 16 bytes are the
 * tag, and sets *plain_len = cipher_len - 16.
 * Errors: PQUIC_ERR_DECRYPT (authentication failed, or cipher_len < 16),
 * PQUIC_ERR_INVAL. After PQUIC_ERR_DECRYPT the payload bytes are unspecified:
 * the packet must be dropped. */
int pq_aead_open(pq_aead *a, uint64_t pn, const uint8_t *aad, size_t aad_len, uint8_t *payload,
                 size_t cipher_len, size_t *plain_len);

/* The nonce for packet number `pn`: iv xor pn (left-padded, big-endian). */
static inline void pq_aead_nonce(const uint8_t iv[PQ_IV_LEN], uint64_t pn,
                                 uint8_t nonce[PQ_IV_LEN]) {
  for (int i = 0; i < 4; i++)
    nonce[i] = iv[i];
  for (int i = 4; i < PQ_IV_LEN; i++)
    nonce[i] = (uint8_t)(iv[i] ^ (uint8_t)(pn >> (8 * (PQ_IV_LEN - 1 - i))));
}

#endif
