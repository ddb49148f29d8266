/* xoshiro256** (Blackman and Vigna) with a splitmix64 seeder. */
#include "rng.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

void ns_rng_seed(ns_rng *r, uint64_t seed, uint64_t stream) {
  /* Mix the stream in first so that nearby (seed, stream) pairs land far
   * apart; splitmix64 never yields four zero words from one state. */
  uint64_t x = seed;
  uint64_t mixed = splitmix64(&x) ^ (stream * 0xd1b54a32d192ed03ull);
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64(&mixed);
}

uint64_t ns_rng_next(ns_rng *r) {
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

double ns_rng_unit(ns_rng *r) {
  return (double)(ns_rng_next(r) >> 11) * 0x1.0p-53;
}

int ns_rng_chance(ns_rng *r, double p) {
  double u = ns_rng_unit(r);
  return u < p;
}
