#include "common/siphash.h"

#include <string.h>

static uint64_t rotl(uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

/* One unaligned load on little-endian machines. */
static uint64_t load_le64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

/* One SipRound on the four state words (kept in local variables so the
 * compiler holds them in registers). */
#define SIPROUND(v0, v1, v2, v3)                                                                   \
  do {                                                                                             \
    v0 += v1;                                                                                      \
    v1 = rotl(v1, 13);                                                                             \
    v1 ^= v0;                                                                                      \
    v0 = rotl(v0, 32);                                                                             \
    v2 += v3;                                                                                      \
    v3 = rotl(v3, 16);                                                                             \
    v3 ^= v2;                                                                                      \
    v0 += v3;                                                                                      \
    v3 = rotl(v3, 21);                                                                             \
    v3 ^= v0;                                                                                      \
    v2 += v1;                                                                                      \
    v1 = rotl(v1, 17);                                                                             \
    v1 ^= v2;                                                                                      \
    v2 = rotl(v2, 32);                                                                             \
  } while (0)

/* c compression rounds per word, d finalisation rounds; both callers pass
 * constants, so the compiler specialises and unrolls. */
static inline uint64_t siphash(const pq_sipkey *key, const uint8_t *in, size_t len, int c, int d) {
  uint64_t v0 = key->k0 ^ 0x736f6d6570736575ULL, v1 = key->k1 ^ 0x646f72616e646f6dULL;
  uint64_t v2 = key->k0 ^ 0x6c7967656e657261ULL, v3 = key->k1 ^ 0x7465646279746573ULL;
  size_t words = len / 8;
  for (size_t w = 0; w < words; w++) {
    uint64_t m = load_le64(in + 8 * w);
    v3 ^= m;
    for (int r = 0; r < c; r++)
      SIPROUND(v0, v1, v2, v3);
    v0 ^= m;
  }
  /* Last block: the remaining 0..7 bytes, and the length's low byte on top. */
  uint64_t b = (uint64_t)(len & 0xff) << 56;
  const uint8_t *tail = in + 8 * words;
  for (size_t i = 0; i < (len & 7); i++)
    b |= (uint64_t)tail[i] << (8 * i);
  v3 ^= b;
  for (int r = 0; r < c; r++)
    SIPROUND(v0, v1, v2, v3);
  v0 ^= b;
  v2 ^= 0xff;
  for (int r = 0; r < d; r++)
    SIPROUND(v0, v1, v2, v3);
  return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t pq_siphash24(const pq_sipkey *key, const void *data, size_t len) {
  static const uint8_t none[1];
  return siphash(key, len ? (const uint8_t *)data : none, len, 2, 4);
}

uint64_t pq_siphash13(const pq_sipkey *key, const void *data, size_t len) {
  static const uint8_t none[1];
  return siphash(key, len ? (const uint8_t *)data : none, len, 1, 3);
}
