/*
 * Bounded byte cursors for decoding (pq_rbuf) and encoding (pq_wbuf).
 *
 * Readers never read past `end`: every getter checks the remaining length
 * first and returns false without moving when the input is too short.
 * Writers never write past `end` the same way. Everything is inline: these
 * sit on the packet path.
 */
#ifndef PQ_COMMON_BUF_H
#define PQ_COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct pq_rbuf {
  const uint8_t *p;
  const uint8_t *end;
} pq_rbuf;

typedef struct pq_wbuf {
  uint8_t *p;
  uint8_t *end;
} pq_wbuf;

/* An empty buffer may be given as (NULL, 0): it is replaced by a private
 * non-NULL address, because NULL + 0 (and then p += 0) is undefined behaviour
 * in C and UBSan reports it. */
static inline pq_rbuf pq_rbuf_make(const void *data, size_t len) {
  static const uint8_t empty[1];
  const uint8_t *b = data ? (const uint8_t *)data : empty;
  return (pq_rbuf){b, b + (data ? len : 0)};
}

static inline pq_wbuf pq_wbuf_make(void *data, size_t len) {
  static uint8_t empty[1];
  uint8_t *b = data ? (uint8_t *)data : empty;
  return (pq_wbuf){b, b + (data ? len : 0)};
}

static inline size_t pq_rbuf_left(const pq_rbuf *r) {
  return (size_t)(r->end - r->p);
}
static inline size_t pq_wbuf_left(const pq_wbuf *w) {
  return (size_t)(w->end - w->p);
}

static inline bool pq_get_u8(pq_rbuf *r, uint8_t *v) {
  if (r->p >= r->end)
    return false;
  *v = *r->p++;
  return true;
}

/* Big-endian unsigned integer of `n` bytes (1..8). */
static inline bool pq_get_uint(pq_rbuf *r, size_t n, uint64_t *v) {
  if (pq_rbuf_left(r) < n)
    return false;
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++)
    x = (x << 8) | r->p[i];
  r->p += n;
  *v = x;
  return true;
}

static inline bool pq_get_u16(pq_rbuf *r, uint16_t *v) {
  uint64_t x;
  if (!pq_get_uint(r, 2, &x))
    return false;
  *v = (uint16_t)x;
  return true;
}

static inline bool pq_get_u32(pq_rbuf *r, uint32_t *v) {
  uint64_t x;
  if (!pq_get_uint(r, 4, &x))
    return false;
  *v = (uint32_t)x;
  return true;
}

/* Points *out at the next n bytes without copying. */
static inline bool pq_get_span(pq_rbuf *r, size_t n, const uint8_t **out) {
  if (pq_rbuf_left(r) < n)
    return false;
  *out = r->p;
  r->p += n;
  return true;
}

static inline bool pq_get_bytes(pq_rbuf *r, void *out, size_t n) {
  if (pq_rbuf_left(r) < n)
    return false;
  if (n) /* memcpy's pointers must be valid even for n == 0 */
    memcpy(out, r->p, n);
  r->p += n;
  return true;
}

static inline bool pq_put_u8(pq_wbuf *w, uint8_t v) {
  if (w->p >= w->end)
    return false;
  *w->p++ = v;
  return true;
}

static inline bool pq_put_uint(pq_wbuf *w, size_t n, uint64_t v) {
  if (pq_wbuf_left(w) < n)
    return false;
  for (size_t i = 0; i < n; i++)
    w->p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
  w->p += n;
  return true;
}

static inline bool pq_put_bytes(pq_wbuf *w, const void *data, size_t n) {
  if (pq_wbuf_left(w) < n)
    return false;
  if (n)
    memcpy(w->p, data, n);
  w->p += n;
  return true;
}

/* --- QUIC variable-length integers (RFC 9000 section 16) --- */

#define PQ_VARINT_MAX ((UINT64_C(1) << 62) - 1)

/* Encoded length of v: 1, 2, 4 or 8; 0 if v does not fit in 62 bits. */
static inline size_t pq_varint_len(uint64_t v) {
  if (v < 64)
    return 1;
  if (v < 16384)
    return 2;
  if (v < 1073741824)
    return 4;
  if (v <= PQ_VARINT_MAX)
    return 8;
  return 0;
}

/* Decodes a varint. Any encoding length is accepted (non-minimal encodings
 * are legal on the wire, RFC 9000 section 16). */
static inline bool pq_get_varint(pq_rbuf *r, uint64_t *v) {
  if (r->p >= r->end)
    return false;
  size_t n = (size_t)1 << (r->p[0] >> 6);
  if (pq_rbuf_left(r) < n)
    return false;
  uint64_t x = r->p[0] & 0x3f;
  for (size_t i = 1; i < n; i++)
    x = (x << 8) | r->p[i];
  r->p += n;
  *v = x;
  return true;
}

/* Encodes v in exactly n bytes (1, 2, 4 or 8); false if it does not fit. */
static inline bool pq_put_varint_n(pq_wbuf *w, uint64_t v, size_t n) {
  static const uint8_t prefix[9] = {0, 0x00, 0x40, 0, 0x80, 0, 0, 0, 0xc0};
  if (n != 1 && n != 2 && n != 4 && n != 8)
    return false;
  if (pq_varint_len(v) == 0 || pq_varint_len(v) > n || pq_wbuf_left(w) < n)
    return false;
  for (size_t i = 0; i < n; i++)
    w->p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
  w->p[0] |= prefix[n];
  w->p += n;
  return true;
}

/* Encodes v minimally; false if it does not fit in 62 bits or in w. */
static inline bool pq_put_varint(pq_wbuf *w, uint64_t v) {
  size_t n = pq_varint_len(v);
  return n && pq_put_varint_n(w, v, n);
}

#endif
