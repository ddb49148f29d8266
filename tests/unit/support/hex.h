/*
 * Test helper: hex strings (spaces and newlines ignored) to bytes, and a
 * minimal long-header walker for tests that must not depend on src/wire.
 * Header-only so any test can include it as "support/hex.h".
 */
#ifndef PQ_TEST_SUPPORT_HEX_H
#define PQ_TEST_SUPPORT_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static inline int pq_test_nibble(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decodes `hex` into out (at most cap bytes); returns the byte count, or
 * (size_t)-1 on a bad digit, an odd digit count or overflow. */
static inline size_t pq_test_unhex(const char *hex, uint8_t *out, size_t cap) {
  size_t n = 0;
  int hi = -1;
  for (const char *p = hex; *p; p++) {
    if (*p == ' ' || *p == '\n' || *p == '\t')
      continue;
    int v = pq_test_nibble(*p);
    if (v < 0)
      return (size_t)-1;
    if (hi < 0) {
      hi = v;
      continue;
    }
    if (n >= cap)
      return (size_t)-1;
    out[n++] = (uint8_t)(hi << 4 | v);
    hi = -1;
  }
  return hi < 0 ? n : (size_t)-1;
}

static inline uint64_t pq_test_varint(const uint8_t *p, size_t *len) {
  size_t n = (size_t)1 << (p[0] >> 6);
  uint64_t v = p[0] & 0x3f;
  for (size_t i = 1; i < n; i++)
    v = v << 8 | p[i];
  *len = n;
  return v;
}

/* Offset of the Packet Number field of a long-header Initial packet, and
 * the packet's end (from its Length field). No bounds checks: test input
 * only. */
static inline size_t pq_test_initial_pn_offset(const uint8_t *pkt, size_t *end) {
  size_t off = 5;
  off += 1 + pkt[off]; /* DCID */
  off += 1 + pkt[off]; /* SCID */
  size_t n;
  uint64_t token = pq_test_varint(pkt + off, &n);
  off += n + (size_t)token;
  uint64_t length = pq_test_varint(pkt + off, &n);
  off += n;
  if (end)
    *end = off + (size_t)length;
  return off;
}

#endif
