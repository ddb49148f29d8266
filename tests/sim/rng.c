/* xoshiro256** (Blackman and Vigna) with splitmix64 seeding. */
#include "rng.h"

#include <string.h>

uint64_t sim_splitmix64(uint64_t *x) {
  uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

uint64_t sim_mix64(uint64_t a, uint64_t b) {
  uint64_t x = a ^ (b * UINT64_C(0xd6e8feb86659fd93));
  return sim_splitmix64(&x);
}

void sim_rng_seed(sim_rng *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++) {
    r->s[i] = sim_splitmix64(&x);
  }
}

static uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(sim_rng *r) {
  uint64_t *s = r->s;
  uint64_t out = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

uint64_t sim_rng_below(sim_rng *r, uint64_t bound) {
  if (bound == 0) {
    return 0;
  }
  /* Rejection of the short last bucket keeps the result unbiased. */
  uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t v;
  do {
    v = sim_rng_next(r);
  } while (v >= limit);
  return v % bound;
}

uint64_t sim_rng_threshold(double p) {
  if (!(p > 0.0)) {
    return 0;
  }
  if (p >= 1.0) {
    return UINT64_MAX;
  }
  /* p * 2^64; a p so close to 1 that the product rounds up to 2^64 would
   * not convert, and means "always" anyway. */
  double t = p * 18446744073709551616.0;
  if (t >= 18446744073709551616.0) {
    return UINT64_MAX;
  }
  return (uint64_t)t;
}

int sim_rng_hit(sim_rng *r, uint64_t threshold) {
  if (threshold == 0) {
    return 0;
  }
  if (threshold == UINT64_MAX) {
    return 1;
  }
  return sim_rng_next(r) < threshold;
}

void sim_rng_fill(sim_rng *r, uint8_t *buf, size_t len) {
  while (len > 0) {
    uint64_t v = sim_rng_next(r);
    size_t n = len < 8 ? len : 8;
    memcpy(buf, &v, n);
    buf += n;
    len -= n;
  }
}
