/*
 * Test helpers for the wire codec tests: hex decoding and a byte forger that
 * builds packets, frames and transport parameters field by field, including
 * deliberately malformed ones (non-minimal varints, wrong lengths).
 * Header-only, included by tests/unit/test_wire_*.c.
 */
#ifndef PQ_TESTS_WIRE_FORGE_H
#define PQ_TESTS_WIRE_FORGE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"

static inline int hex_nibble(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decodes hex (spaces ignored) into out; returns the byte count, SIZE_MAX on
 * a bad digit or overflow. */
static inline size_t unhex(const char *hex, uint8_t *out, size_t cap) {
  size_t n = 0;
  while (*hex) {
    if (*hex == ' ' || *hex == '\n') {
      hex++;
      continue;
    }
    int hi = hex_nibble(hex[0]), lo = hi < 0 ? -1 : hex_nibble(hex[1]);
    if (n >= cap || lo < 0)
      return SIZE_MAX;
    out[n++] = (uint8_t)(hi << 4 | lo);
    hex += 2;
  }
  return n;
}

typedef struct forge {
  uint8_t b[4096];
  size_t n;
} forge;

static inline forge *f_reset(forge *f) {
  memset(f->b, 0, sizeof f->b);
  f->n = 0;
  return f;
}

static inline void f_u8(forge *f, uint8_t v) {
  if (f->n < sizeof f->b)
    f->b[f->n++] = v;
}

static inline void f_uint(forge *f, uint64_t v, size_t len) {
  for (size_t i = 0; i < len; i++)
    f_u8(f, (uint8_t)(v >> (8 * (len - 1 - i))));
}

static inline void f_bytes(forge *f, const void *p, size_t len) {
  for (size_t i = 0; i < len; i++)
    f_u8(f, ((const uint8_t *)p)[i]);
}

static inline void f_fill(forge *f, uint8_t v, size_t len) {
  for (size_t i = 0; i < len; i++)
    f_u8(f, v);
}

/* Varint in exactly len bytes (1, 2, 4, 8): len larger than needed forges a
 * non-minimal encoding. */
static inline void f_varint_n(forge *f, uint64_t v, size_t len) {
  static const uint8_t prefix[9] = {0, 0x00, 0x40, 0, 0x80, 0, 0, 0, 0xc0};
  size_t at = f->n;
  f_uint(f, v, len);
  if (at < sizeof f->b)
    f->b[at] |= prefix[len];
}

static inline void f_varint(forge *f, uint64_t v) {
  f_varint_n(f, v, pq_varint_len(v));
}

static inline void f_hex(forge *f, const char *hex) {
  uint8_t tmp[2048];
  size_t n = unhex(hex, tmp, sizeof tmp);
  if (n != SIZE_MAX)
    f_bytes(f, tmp, n);
}

static inline pq_rbuf f_rbuf(const forge *f) {
  return pq_rbuf_make(f->b, f->n);
}

#endif
