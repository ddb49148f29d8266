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

typedef struct {
  uint64_t v0, v1, v2, v3;
} sipstate;

static void sipround(sipstate *s) {
  s->v0 += s->v1;
  s->v1 = rotl(s->v1, 13);
  s->v1 ^= s->v0;
  s->v0 = rotl(s->v0, 32);
  s->v2 += s->v3;
  s->v3 = rotl(s->v3, 16);
  s->v3 ^= s->v2;
  s->v0 += s->v3;
  s->v3 = rotl(s->v3, 21);
  s->v3 ^= s->v0;
  s->v2 += s->v1;
  s->v1 = rotl(s->v1, 17);
  s->v1 ^= s->v2;
  s->v2 = rotl(s->v2, 32);
}

/* c compression rounds per word, d finalisation rounds; both callers pass
 * constants, so the compiler specialises and unrolls. */
static inline uint64_t siphash(const pq_sipkey *key, const uint8_t *in, size_t len, int c, int d) {
  sipstate s = {key->k0 ^ 0x736f6d6570736575ULL, key->k1 ^ 0x646f72616e646f6dULL,
                key->k0 ^ 0x6c7967656e657261ULL, key->k1 ^ 0x7465646279746573ULL};
  size_t words = len / 8;
  for (size_t w = 0; w < words; w++) {
    uint64_t m = load_le64(in + 8 * w);
    s.v3 ^= m;
    for (int r = 0; r < c; r++)
      sipround(&s);
    s.v0 ^= m;
  }
  /* Last block: the remaining 0..7 bytes, and the length's low byte on top. */
  uint64_t b = (uint64_t)(len & 0xff) << 56;
  const uint8_t *tail = in + 8 * words;
  for (size_t i = 0; i < (len & 7); i++)
    b |= (uint64_t)tail[i] << (8 * i);
  s.v3 ^= b;
  for (int r = 0; r < c; r++)
    sipround(&s);
  s.v0 ^= b;
  s.v2 ^= 0xff;
  for (int r = 0; r < d; r++)
    sipround(&s);
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

uint64_t pq_siphash24(const pq_sipkey *key, const void *data, size_t len) {
  static const uint8_t none[1];
  return siphash(key, len ? (const uint8_t *)data : none, len, 2, 4);
}

uint64_t pq_siphash13(const pq_sipkey *key, const void *data, size_t len) {
  static const uint8_t none[1];
  return siphash(key, len ? (const uint8_t *)data : none, len, 1, 3);
}
