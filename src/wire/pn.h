/*
 * Packet number encoding and decoding (RFC 9000 sections 12.3 and 17.1,
 * Appendices A.2 and A.3). Packet numbers are 0..2^62-1; in headers they are
 * truncated to 1..4 bytes. All inline: called for every packet.
 */
#ifndef PQ_WIRE_PN_H
#define PQ_WIRE_PN_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define PQ_PN_MAX ((UINT64_C(1) << 62) - 1)
/* "No packet number yet": nothing acknowledged / nothing received. */
#define PQ_PN_NONE UINT64_MAX

/* Number of bytes (1..4) to encode full_pn so that a peer that has seen
 * largest_acked (PQ_PN_NONE if nothing was acknowledged in this space) can
 * decode it: the encoding must represent more than twice the number of
 * unacknowledged packet numbers, including this one (RFC 9000 A.2). Returns
 * 4 when even 4 bytes are not enough (more than 2^31 packets in flight, which
 * a sender must not let happen). full_pn <= largest_acked is treated as one
 * packet in flight. */
static inline size_t pq_pn_encode_len(uint64_t full_pn, uint64_t largest_acked) {
  uint64_t unacked;
  if (largest_acked == PQ_PN_NONE)
    unacked = full_pn + 1;
  else
    unacked = full_pn > largest_acked ? full_pn - largest_acked : 1;
  /* n bytes represent 2^(8n) values: enough when 2 * unacked <= 2^(8n). */
  if (unacked <= (UINT64_C(1) << 7))
    return 1;
  if (unacked <= (UINT64_C(1) << 15))
    return 2;
  if (unacked <= (UINT64_C(1) << 23))
    return 3;
  return 4;
}

/* The low len bytes (1..4) of pn: the value carried in the header. */
static inline uint32_t pq_pn_truncate(uint64_t pn, size_t len) {
  return (uint32_t)(pn & ((UINT64_C(1) << (8 * len)) - 1));
}

/* Writes the low len bytes (1..4) of pn big-endian; false if w is too small
 * or len is not 1..4. */
static inline bool pq_pn_write(pq_wbuf *w, uint64_t pn, size_t len) {
  if (len < 1 || len > 4)
    return false;
  return pq_put_uint(w, len, pq_pn_truncate(pn, len));
}

/* Reads a len-byte (1..4) truncated packet number. */
static inline bool pq_pn_read(pq_rbuf *r, size_t len, uint32_t *truncated) {
  uint64_t v;
  if (len < 1 || len > 4 || !pq_get_uint(r, len, &v))
    return false;
  *truncated = (uint32_t)v;
  return true;
}

/* Recovers the full packet number from its len-byte (1..4) truncated value:
 * the value closest to largest_pn + 1, where largest_pn is the largest packet
 * number successfully processed in this space (PQ_PN_NONE if none, so the
 * expected next is 0). RFC 9000 Appendix A.3, written without the
 * pseudocode's underflow.
 *
 * The result can exceed PQ_PN_MAX only when largest_pn is within 2^31 of the
 * end of the space and the truncated value points past it; no valid packet
 * has such a number, so the caller drops the packet in that case. */
static inline uint64_t pq_pn_decode(uint64_t largest_pn, uint32_t truncated, size_t len) {
  uint64_t expected = largest_pn == PQ_PN_NONE ? 0 : largest_pn + 1;
  uint64_t win = UINT64_C(1) << (8 * len);
  uint64_t hwin = win / 2;
  uint64_t mask = win - 1;
  uint64_t candidate = (expected & ~mask) | (truncated & mask);
  /* candidate <= expected - hwin, rearranged so nothing wraps. */
  if (candidate + hwin <= expected && candidate < (UINT64_C(1) << 62) - win)
    return candidate + win;
  if (candidate > expected + hwin && candidate >= win)
    return candidate - win;
  return candidate;
}

#endif
