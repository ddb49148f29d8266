/* Whole-packet protection: payload AEAD, then header protection. */
#include "crypto/protect.h"

#include "pquic/errors.h"

/* RFC 9000 appendix A.3: the packet number closest to largest_pn + 1 whose
 * low pn_len bytes are `truncated`. Kept private: src/wire owns the public
 * decoder; this one serves pq_packet_unprotect() without a wire dependency. */
static uint64_t pn_decode(uint64_t largest_pn, uint64_t truncated, size_t pn_len) {
  uint64_t expected = largest_pn + 1; /* UINT64_MAX ("none") wraps to 0 */
  uint64_t win = UINT64_C(1) << (8 * pn_len);
  uint64_t hwin = win / 2;
  uint64_t mask = win - 1;
  uint64_t candidate = (expected & ~mask) | (truncated & mask);
  if (expected >= hwin && candidate <= expected - hwin && candidate < (UINT64_C(1) << 62) - win)
    return candidate + win;
  if (candidate > expected + hwin && candidate >= win)
    return candidate - win;
  return candidate;
}

int pq_packet_protect(pq_aead *aead, pq_hp *hp, uint8_t *pkt, size_t pkt_len, size_t pn_offset,
                      size_t pn_len, uint64_t pn) {
  if (!aead || !hp || !pkt || pn_offset == 0 || pn_len < 1 || pn_len > PQ_PN_MAX_LEN)
    return PQUIC_ERR_INVAL;
  if ((size_t)(pkt[0] & 0x03) + 1 != pn_len)
    return PQUIC_ERR_INVAL;
  size_t hdr_len = pn_offset + pn_len;
  if (pn_offset >= pkt_len || pkt_len - pn_offset < PQ_PACKET_MIN_AFTER_PN ||
      pkt_len - hdr_len < PQ_TAG_LEN)
    return PQUIC_ERR_HEADER;
  int rv = pq_aead_seal(aead, pn, pkt, hdr_len, pkt + hdr_len, pkt_len - hdr_len - PQ_TAG_LEN);
  if (rv)
    return rv;
  return pq_hp_apply(hp, pkt, pkt_len, pn_offset, pn_len);
}

int pq_packet_remove_hp(pq_hp *hp, uint8_t *pkt, size_t pkt_len, size_t pn_offset, size_t *pn_len,
                        uint64_t *truncated_pn) {
  if (!pn_len || !truncated_pn)
    return PQUIC_ERR_INVAL;
  size_t n;
  int rv = pq_hp_remove(hp, pkt, pkt_len, pn_offset, &n);
  if (rv)
    return rv;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++)
    v = (v << 8) | pkt[pn_offset + i];
  *pn_len = n;
  *truncated_pn = v;
  return 0;
}

int pq_packet_open(pq_aead *aead, uint8_t *pkt, size_t pkt_len, size_t hdr_len, uint64_t pn,
                   size_t *payload_len) {
  if (!aead || !pkt || !payload_len || hdr_len == 0)
    return PQUIC_ERR_INVAL;
  if (hdr_len > pkt_len || pkt_len - hdr_len < PQ_TAG_LEN)
    return PQUIC_ERR_DECRYPT;
  return pq_aead_open(aead, pn, pkt, hdr_len, pkt + hdr_len, pkt_len - hdr_len, payload_len);
}

int pq_packet_unprotect(pq_aead *aead, pq_hp *hp, uint8_t *pkt, size_t pkt_len, size_t pn_offset,
                        uint64_t largest_pn, uint64_t *pn, size_t *hdr_len, size_t *payload_len) {
  size_t pn_len, plain_len;
  uint64_t truncated;
  int rv = pq_packet_remove_hp(hp, pkt, pkt_len, pn_offset, &pn_len, &truncated);
  if (rv)
    return rv;
  uint64_t full = pn_decode(largest_pn, truncated, pn_len);
  rv = pq_packet_open(aead, pkt, pkt_len, pn_offset + pn_len, full, &plain_len);
  if (rv)
    return rv;
  if (pn)
    *pn = full;
  if (hdr_len)
    *hdr_len = pn_offset + pn_len;
  if (payload_len)
    *payload_len = plain_len;
  return 0;
}
