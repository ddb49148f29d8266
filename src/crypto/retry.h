/*
 * Retry Integrity Tag (RFC 9001 section 5.8, RFC 9369 section 3.3.3).
 *
 * The tag is AES-128-GCM with a fixed, version-specific key and nonce over
 * an empty plaintext, whose AAD is the Retry pseudo-packet: ODCID length,
 * ODCID, then the Retry packet without its tag. The pseudo-packet is never
 * built: its three pieces are passed to GnuTLS as separate AAD buffers.
 */
#ifndef PQ_CRYPTO_RETRY_H
#define PQ_CRYPTO_RETRY_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/suite.h"

#define PQ_RETRY_TAG_LEN 16

/* Computes the tag of retry[0..retry_len) (the Retry packet up to, not
 * including, its tag) for the Initial whose Destination Connection ID was
 * `odcid`. Errors: PQUIC_ERR_VERSION (unknown version), PQUIC_ERR_INVAL
 * (odcid_len over 20, NULL), PQUIC_ERR_NOMEM, PQUIC_ERR_CRYPTO. */
int pq_retry_tag(uint32_t version, const uint8_t *odcid, size_t odcid_len, const uint8_t *retry,
                 size_t retry_len, uint8_t tag[PQ_RETRY_TAG_LEN]);

/* Verifies a whole received Retry packet (the tag is its last 16 bytes).
 * Returns 0 when the tag is right. Errors: PQUIC_ERR_DECRYPT (wrong tag),
 * PQUIC_ERR_HEADER (shorter than a tag plus one byte), and those of
 * pq_retry_tag. */
int pq_retry_verify(uint32_t version, const uint8_t *odcid, size_t odcid_len, const uint8_t *packet,
                    size_t packet_len);

#endif
