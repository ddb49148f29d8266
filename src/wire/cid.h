/*
 * Connection IDs by value (RFC 9000 section 5.1): at most 20 bytes in QUIC v1
 * and v2. Packet and frame decoders point into the input instead; this type
 * is for values that outlive a packet (transport parameters, connection state).
 */
#ifndef PQ_WIRE_CID_H
#define PQ_WIRE_CID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PQ_MAX_CID_LEN 20
#define PQ_RESET_TOKEN_LEN 16 /* stateless reset token */

typedef struct pq_cid {
  uint8_t len;
  uint8_t id[PQ_MAX_CID_LEN];
} pq_cid;

/* Copies len bytes into c; false (c unchanged) if len > PQ_MAX_CID_LEN. */
static inline bool pq_cid_set(pq_cid *c, const uint8_t *id, size_t len) {
  if (len > PQ_MAX_CID_LEN)
    return false;
  c->len = (uint8_t)len;
  if (len)
    memcpy(c->id, id, len);
  return true;
}

static inline bool pq_cid_eq(const pq_cid *a, const pq_cid *b) {
  return a->len == b->len && memcmp(a->id, b->id, a->len) == 0;
}

/* Compares c with a CID given as pointer and length (e.g. into a packet). */
static inline bool pq_cid_eq_bytes(const pq_cid *c, const uint8_t *id, size_t len) {
  return c->len == len && (len == 0 || memcmp(c->id, id, len) == 0);
}

#endif
