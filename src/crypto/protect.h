/*
 * Packet protection: AEAD on the payload plus header protection, in place
 * (RFC 9001 sections 5.3 and 5.4).
 *
 * Sending: the caller writes the whole packet (header with the truncated
 * packet number, then the plaintext payload) and leaves PQ_TAG_LEN bytes of
 * room at the end; pq_packet_protect() turns it into the wire form.
 *
 * Receiving, two ways:
 *  - two steps, when the keys depend on the packet number (key phase):
 *    pq_packet_remove_hp() -> caller decodes the full packet number
 *    (src/wire's pq_pn_decode()) and picks keys -> pq_packet_open();
 *  - one step, pq_packet_unprotect(), when the keys are known up front.
 *
 * `pkt_len` is always the length of this one packet (for a long header, up
 * to the end given by its Length field), so coalesced packets are handled
 * one at a time. On any error the packet must be dropped; its bytes may
 * have been modified.
 */
#ifndef PQ_CRYPTO_PROTECT_H
#define PQ_CRYPTO_PROTECT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/aead.h"
#include "crypto/hp.h"

/* Smallest packet that can be sampled, counted from the Packet Number
 * field: a sender pads the payload so pkt_len >= pn_offset + this. */
#define PQ_PACKET_MIN_AFTER_PN (PQ_HP_SAMPLE_OFFSET + PQ_HP_SAMPLE_LEN)

/* Protects pkt[0..pkt_len) in place. Layout on entry:
 *   pkt[0 .. pn_offset)                    header up to the Packet Number,
 *   pkt[pn_offset .. pn_offset + pn_len)   truncated packet number,
 *   pkt[hdr_len .. pkt_len - 16)           plaintext payload,
 *   pkt[pkt_len - 16 .. pkt_len)           room for the tag,
 * with hdr_len = pn_offset + pn_len and the first byte's low two bits equal
 * to pn_len - 1. `pn` is the full packet number (for the nonce).
 * Errors: PQUIC_ERR_INVAL (pn_len not 1..4, pn_len not matching the first
 * byte, pn_offset 0, NULL), PQUIC_ERR_HEADER (packet too short to sample:
 * pkt_len < pn_offset + 20, or shorter than header + tag),
 * PQUIC_ERR_CRYPTO. */
int pq_packet_protect(pq_aead *aead, pq_hp *hp, uint8_t *pkt, size_t pkt_len, size_t pn_offset,
                      size_t pn_len, uint64_t pn);

/* Step 1 of receiving: removes header protection in place and returns the
 * packet number length and its truncated value (pn_len bytes, big-endian).
 * Errors: PQUIC_ERR_INVAL, PQUIC_ERR_HEADER (too short to sample),
 * PQUIC_ERR_CRYPTO. */
int pq_packet_remove_hp(pq_hp *hp, uint8_t *pkt, size_t pkt_len, size_t pn_offset, size_t *pn_len,
                        uint64_t *truncated_pn);

/* Step 2 of receiving: opens the payload in place. hdr_len = pn_offset +
 * pn_len (the header is the AAD, already unmasked); `pn` is the full packet
 * number. On success the plaintext is pkt[hdr_len .. hdr_len + *payload_len).
 * Errors: PQUIC_ERR_DECRYPT (authentication failed, or no room for a tag),
 * PQUIC_ERR_INVAL, PQUIC_ERR_CRYPTO. */
int pq_packet_open(pq_aead *aead, uint8_t *pkt, size_t pkt_len, size_t hdr_len, uint64_t pn,
                   size_t *payload_len);

/* Both steps. `largest_pn` is the largest packet number successfully
 * processed in this packet number space, or UINT64_MAX when there is none
 * (the expected number is then 0). Outputs: full packet number, header
 * length (the payload starts there) and plaintext length; any may be NULL.
 * Errors: as pq_packet_remove_hp and pq_packet_open. */
int pq_packet_unprotect(pq_aead *aead, pq_hp *hp, uint8_t *pkt, size_t pkt_len, size_t pn_offset,
                        uint64_t largest_pn, uint64_t *pn, size_t *hdr_len, size_t *payload_len);

#endif
