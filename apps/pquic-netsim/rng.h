/*
 * Seeded pseudo-random numbers for the link model: xoshiro256** seeded
 * through splitmix64. Each direction of each link owns its own generators,
 * so a run replays the same loss pattern whatever the other links do.
 */
#ifndef NS_RNG_H
#define NS_RNG_H

#include <stdint.h>

typedef struct ns_rng {
  uint64_t s[4];
} ns_rng;

/* Seeds the generator from one 64-bit value and a stream number: the same
 * (seed, stream) gives the same sequence, different streams independent
 * ones. */
void ns_rng_seed(ns_rng *r, uint64_t seed, uint64_t stream);

/* Next 64 random bits. */
uint64_t ns_rng_next(ns_rng *r);

/* Uniform double in [0, 1), 53 bits of precision. */
double ns_rng_unit(ns_rng *r);

/* 1 with probability p (p <= 0: never, p >= 1: always). Consumes exactly one
 * draw whatever p is, so changing p keeps later draws aligned. */
int ns_rng_chance(ns_rng *r, double p);

#endif
