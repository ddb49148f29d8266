/*
 * QUIC versions the codecs know, and the version-specific long header packet
 * type bits (RFC 9000 section 17.2, RFC 9369 section 3.2).
 */
#ifndef PQ_WIRE_VERSION_H
#define PQ_WIRE_VERSION_H

#include <stdbool.h>
#include <stdint.h>

#define PQ_VERSION_NEGOTIATION UINT32_C(0x00000000) /* VN packets */
#define PQ_VERSION_V1 UINT32_C(0x00000001)          /* RFC 9000 */
#define PQ_VERSION_V2 UINT32_C(0x6b3343cf)          /* RFC 9369 */

/* Packet types. The four long header types first, in QUIC v1 wire order. */
typedef enum pq_pkt_type {
  PQ_PKT_INITIAL = 0,
  PQ_PKT_0RTT = 1,
  PQ_PKT_HANDSHAKE = 2,
  PQ_PKT_RETRY = 3,
  PQ_PKT_1RTT = 4, /* short header */
  PQ_PKT_VN = 5,   /* Version Negotiation */
} pq_pkt_type;

/* True for the versions whose packets this library parses and writes. */
static inline bool pq_version_supported(uint32_t v) {
  return v == PQ_VERSION_V1 || v == PQ_VERSION_V2;
}

/* True for versions of the form 0x?a?a?a?a, reserved to exercise version
 * negotiation (RFC 9000 section 15): never selected. */
static inline bool pq_version_is_reserved(uint32_t v) {
  return (v & UINT32_C(0x0f0f0f0f)) == UINT32_C(0x0a0a0a0a);
}

/* Long header type bits (0..3, byte 0 mask 0x30 shifted down) to packet type
 * for a supported version. v2 rotates v1's values by one: Initial 0b01,
 * 0-RTT 0b10, Handshake 0b11, Retry 0b00. */
static inline pq_pkt_type pq_long_type_from_bits(uint32_t version, unsigned bits) {
  if (version == PQ_VERSION_V2)
    bits = (bits + 3) & 3;
  return (pq_pkt_type)(bits & 3);
}

/* Packet type (PQ_PKT_INITIAL..PQ_PKT_RETRY) to its two type bits. */
static inline unsigned pq_long_type_to_bits(uint32_t version, pq_pkt_type type) {
  unsigned bits = (unsigned)type & 3;
  if (version == PQ_VERSION_V2)
    bits = (bits + 1) & 3;
  return bits;
}

/* "Initial", "0-RTT", "Handshake", "Retry", "1-RTT", "VersionNegotiation",
 * or "unknown". */
static inline const char *pq_pkt_type_name(pq_pkt_type t) {
  static const char *const names[] = {"Initial", "0-RTT", "Handshake",
                                      "Retry",   "1-RTT", "VersionNegotiation"};
  return (unsigned)t < 6 ? names[t] : "unknown";
}

#endif
