/*
 * pq_u64map: uint64 key -> non-NULL void * value, an open-addressing hash
 * table with linear probing and backward-shift deletion (no tombstones, so
 * lookups never slow down after many deletions).
 *
 * Keys come from the network (stream ids), so slots are chosen by a keyed
 * hash: the splitmix64 finaliser (two multiply-xorshift steps) applied to
 * key ^ seed, where seed is a per-map 64-bit secret given at init, and the
 * top bits of the result pick the slot. A peer who does not know the seed
 * cannot aim keys at one slot; this is not a cryptographic PRF, which is
 * acceptable because stream ids are also bounded by MAX_STREAMS. Byte-string
 * keys (pq_cidmap) use SipHash instead.
 *
 * Capacity is a power of two, grown x2 when the load would pass 3/4, so
 * expected probes are about 2.5 for a hit and 8.5 for a miss in the worst
 * case, far fewer on average. Memory: 16 bytes per slot; nothing is
 * allocated until the first insert.
 *
 * Iteration visits slots in descending order starting just below an empty
 * slot. With backward-shift deletion this makes it safe to remove the current
 * element (or any element already returned) during iteration: the entries that
 * shift all move within the already-visited part. Inserting, reserving or
 * shrinking during iteration is not allowed (it may rehash).
 */
#ifndef PQ_COMMON_U64MAP_H
#define PQ_COMMON_U64MAP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct pq_u64map_slot {
  uint64_t key;
  void *val; /* NULL marks an empty slot */
} pq_u64map_slot;

typedef struct pq_u64map {
  pq_u64map_slot *slots; /* NULL while cap == 0 */
  uint32_t cap;          /* 0 or a power of two */
  uint32_t count;
  uint32_t min_cap; /* floor set by reserve for automatic shrinking */
  uint32_t shift;   /* 64 - log2(cap) */
  uint64_t seed;
} pq_u64map;

typedef struct pq_u64map_iter {
  uint32_t pos;
  uint32_t left;
} pq_u64map_iter;

/* An empty map keyed by `seed` (take it from the endpoint's random source).
 * Never fails, allocates nothing. */
void pq_u64map_init(pq_u64map *m, uint64_t seed);
/* Frees the table (not the values); the map is empty and usable again. */
void pq_u64map_free(pq_u64map *m);

/* The value stored for key, or NULL. O(1) expected. */
void *pq_u64map_get(const pq_u64map *m, uint64_t key);

/*
 * Adds key -> val. May grow the table (O(n) rehash, amortised O(1)), or
 * shrink it when it is mostly empty (best effort: an allocation failure there
 * is ignored). Invalidates iterators.
 * Errors: PQUIC_ERR_INVAL if val is NULL; PQUIC_ERR_EXISTS if key is present
 * (its value is not replaced); PQUIC_ERR_NOMEM, PQUIC_ERR_LIMIT (2^31
 * slots). On error the map is unchanged.
 */
int pq_u64map_insert(pq_u64map *m, uint64_t key, void *val);

/* Removes key; returns its value, or NULL if absent. Never allocates or
 * fails; safe on the current element of an iteration. O(1) expected. */
void *pq_u64map_remove(pq_u64map *m, uint64_t key);

/* Grows the table so that `n` entries fit without rehashing; automatic
 * shrinking will not go below that size.
 * Errors: PQUIC_ERR_NOMEM, PQUIC_ERR_LIMIT (map unchanged). */
int pq_u64map_reserve(pq_u64map *m, uint32_t n);
/* Rehashes into the smallest table that fits the current entries (frees it
 * when empty) and forgets the reserve() floor.
 * Errors: PQUIC_ERR_NOMEM (map unchanged). O(n). */
int pq_u64map_shrink(pq_u64map *m);

static inline uint32_t pq_u64map_count(const pq_u64map *m) {
  return m->count;
}

/* Starts an iteration (order unspecified). O(1) expected. */
void pq_u64map_iter_init(const pq_u64map *m, pq_u64map_iter *it);
/* Next entry: true and *key, *val set (either may be NULL), or false at the
 * end. A whole iteration is O(capacity). */
bool pq_u64map_iter_next(const pq_u64map *m, pq_u64map_iter *it, uint64_t *key, void **val);

#endif
