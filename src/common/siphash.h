/*
 * SipHash (Aumasson and Bernstein), a keyed pseudo-random function for short
 * inputs, written from the paper's description. Hash tables whose keys come
 * from the network use it so that a peer who does not know the key cannot
 * choose keys that collide.
 *
 * pq_siphash24 is the standard SipHash-2-4; pq_siphash13 (one compression
 * round, three finalisation rounds) is the faster variant common in hash
 * tables, enough when the output is never revealed. Both are O(len), never
 * fail and accept data == NULL when len == 0.
 */
#ifndef PQ_COMMON_SIPHASH_H
#define PQ_COMMON_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* The 128-bit key as two little-endian words: k0 = bytes 0..7. */
typedef struct pq_sipkey {
  uint64_t k0;
  uint64_t k1;
} pq_sipkey;

uint64_t pq_siphash24(const pq_sipkey *key, const void *data, size_t len);
uint64_t pq_siphash13(const pq_sipkey *key, const void *data, size_t len);

#endif
