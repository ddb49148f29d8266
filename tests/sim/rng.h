/*
 * tests/sim/rng.h - the simulator's pseudo-random generator.
 *
 * xoshiro256** seeded through splitmix64: fast, 256 bits of state, and
 * fully determined by one 64-bit seed, so a simulation run is reproducible
 * bit for bit. Each link and each endpoint owns its own generator (no
 * global state), so adding a link does not change the draws of another.
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct sim_rng {
  uint64_t s[4];
} sim_rng;

/* One splitmix64 step: advances *x and returns a well-mixed value. Also a
 * good 64-bit hash of a counter. */
uint64_t sim_splitmix64(uint64_t *x);

/* A 64-bit mix of two values (seed derivation, content hashing). */
uint64_t sim_mix64(uint64_t a, uint64_t b);

/* Seeds the generator; any seed (0 included) gives a valid state. */
void sim_rng_seed(sim_rng *r, uint64_t seed);

/* Next 64 uniformly distributed bits. */
uint64_t sim_rng_next(sim_rng *r);

/* Uniform in [0, bound) without modulo bias; bound 0 returns 0. */
uint64_t sim_rng_below(sim_rng *r, uint64_t bound);

/* Converts a probability to a threshold for sim_rng_hit: p <= 0 never hits,
 * p >= 1 always hits. Done once per configuration so the per-packet draw is
 * a single integer compare. */
uint64_t sim_rng_threshold(double p);

/* 1 with the probability the threshold stands for (UINT64_MAX: always). */
int sim_rng_hit(sim_rng *r, uint64_t threshold);

/* Fills buf with len random bytes. */
void sim_rng_fill(sim_rng *r, uint8_t *buf, size_t len);

#endif
