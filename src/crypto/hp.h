/*
 * Header protection (RFC 9001 section 5.4).
 *
 * The mask is AES-ECB(hp_key, sample) for the AES suites and
 * ChaCha20(hp_key, counter = sample[0..4) little-endian, nonce =
 * sample[4..16)) applied to five zero bytes for ChaCha20-Poly1305. GnuTLS has
 * no ECB mode: one block of AES-CBC with a zero IV is exactly ECB, so that is
 * what runs. A pq_hp is created once per header-protection key and kept
 * across key updates; like pq_aead it is not safe for concurrent use.
 */
#ifndef PQ_CRYPTO_HP_H
#define PQ_CRYPTO_HP_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/crypto.h>

#include "crypto/suite.h"

typedef struct pq_hp {
  gnutls_cipher_hd_t hd; /* NULL when not initialized */
  pq_cipher_suite suite;
} pq_hp;

/* Offset of the sample from the start of the Packet Number field: the
 * sample is always taken as if the packet number were 4 bytes long. */
#define PQ_HP_SAMPLE_OFFSET 4

/* Sets up `h` for `suite` with `key` (pq_suite_key_len(suite) bytes).
 * Errors: PQUIC_ERR_INVAL, PQUIC_ERR_NOMEM, PQUIC_ERR_CRYPTO; on error
 * h->hd is NULL. */
int pq_hp_init(pq_hp *h, pq_cipher_suite suite, const uint8_t *key);

/* Releases GnuTLS state. Safe on a zeroed or freed context. */
void pq_hp_free(pq_hp *h);

/* The 5-byte mask for a 16-byte sample. Errors: PQUIC_ERR_INVAL,
 * PQUIC_ERR_CRYPTO. */
int pq_hp_mask(pq_hp *h, const uint8_t sample[PQ_HP_SAMPLE_LEN], uint8_t mask[PQ_HP_MASK_LEN]);

/* Masks the first byte (4 bits for a long header, 5 for a short one) and the
 * pn_len bytes of the Packet Number field at pkt[pn_offset], sampling
 * pkt[pn_offset + 4 .. + 16) of the already encrypted payload.
 * Errors: PQUIC_ERR_INVAL (pn_len not 1..4, NULL), PQUIC_ERR_HEADER (packet
 * too short to sample: pkt_len < pn_offset + 20), PQUIC_ERR_CRYPTO. */
int pq_hp_apply(pq_hp *h, uint8_t *pkt, size_t pkt_len, size_t pn_offset, size_t pn_len);

/* The inverse: unmasks the first byte, reads the packet number length from
 * its two low bits and unmasks that many bytes at pkt[pn_offset].
 * Errors: PQUIC_ERR_INVAL, PQUIC_ERR_HEADER (too short to sample, or the
 * packet number would run past pkt_len), PQUIC_ERR_CRYPTO. Nothing is
 * modified on error. */
int pq_hp_remove(pq_hp *h, uint8_t *pkt, size_t pkt_len, size_t pn_offset, size_t *pn_len);

#endif
