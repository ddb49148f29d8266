/*
 * QUIC key schedule (RFC 9001 sections 5.1, 5.2, 6.1; RFC 9369 section 3.3).
 *
 * HKDF with the TLS 1.3 label format, Initial secrets for QUIC v1 and v2,
 * packet key / IV / header-protection key from a traffic secret, and the
 * key-update secret chain. Version 2 uses its own salt and the "quicv2 ..."
 * labels; everything else is shared. Pure functions: no state, no
 * allocation. Secrets are the caller's to wipe (pq_crypto_wipe).
 */
#ifndef PQ_CRYPTO_SECRETS_H
#define PQ_CRYPTO_SECRETS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/suite.h"

typedef enum pq_hash { PQ_HASH_SHA256 = 0, PQ_HASH_SHA384 = 1 } pq_hash;

/* Output length of the hash: 32 or 48 (0 for an unknown value). */
size_t pq_hash_len(pq_hash hash);

/* HKDF-Extract(salt, ikm) into out (pq_hash_len(hash) bytes).
 * Errors: PQUIC_ERR_INVAL (unknown hash), PQUIC_ERR_CRYPTO (GnuTLS failed). */
int pq_hkdf_extract(pq_hash hash, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
                    size_t ikm_len, uint8_t *out);

/* HKDF-Expand-Label(secret, label, context, out_len) with the TLS 1.3
 * HkdfLabel encoding: "tls13 " is prepended to `label` here.
 * Errors: PQUIC_ERR_INVAL (unknown hash, empty secret, label longer than
 * 249 bytes, context longer than 255, out_len 0 or over 255 * hash length),
 * PQUIC_ERR_CRYPTO. */
int pq_hkdf_expand_label(pq_hash hash, const uint8_t *secret, size_t secret_len, const char *label,
                         const uint8_t *context, size_t context_len, uint8_t *out, size_t out_len);

/* Initial secrets (always SHA-256, 32 bytes each) from the client's first
 * Destination Connection ID, for `version` (PQ_CRYPTO_V1 or PQ_CRYPTO_V2).
 * Either output may be NULL. Errors: PQUIC_ERR_VERSION (unknown version),
 * PQUIC_ERR_INVAL (dcid_len over 20, or dcid NULL with a length),
 * PQUIC_ERR_CRYPTO. */
int pq_initial_secrets(uint32_t version, const uint8_t *dcid, size_t dcid_len,
                       uint8_t client_secret[32], uint8_t server_secret[32]);

/* Packet protection material derived from one traffic secret. */
typedef struct pq_key_material {
  uint8_t key[PQ_KEY_MAX]; /* AEAD key, key_len bytes */
  uint8_t iv[PQ_IV_LEN];   /* AEAD IV */
  uint8_t hp[PQ_KEY_MAX];  /* header-protection key, key_len bytes */
  size_t key_len;
} pq_key_material;

/* key = "quic key", iv = "quic iv", hp = "quic hp" (v2: "quicv2 ...") from
 * `secret`, whose length must be pq_suite_secret_len(suite).
 * Errors: PQUIC_ERR_INVAL (unknown suite, wrong secret length),
 * PQUIC_ERR_VERSION, PQUIC_ERR_CRYPTO. */
int pq_derive_key_material(pq_cipher_suite suite, uint32_t version, const uint8_t *secret,
                           size_t secret_len, pq_key_material *out);

/* Key update (RFC 9001 section 6.1): next = HKDF-Expand-Label(secret,
 * "quic ku" / "quicv2 ku", "", secret_len). The header-protection key is NOT
 * derived again: it stays the one of the first secret of that level.
 * `next` may alias `secret`. Errors as pq_derive_key_material. */
int pq_derive_next_secret(pq_cipher_suite suite, uint32_t version, const uint8_t *secret,
                          size_t secret_len, uint8_t *next);

/* Zeroes `len` bytes in a way the compiler cannot drop. */
void pq_crypto_wipe(void *p, size_t len);

#endif
