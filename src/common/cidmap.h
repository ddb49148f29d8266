/*
 * pq_cidmap: connection ID (a byte string of 0..20 bytes) -> non-NULL
 * void * value. Same table as pq_u64map (open addressing, linear probing,
 * backward-shift deletion, load <= 3/4, iteration that tolerates removing the
 * current element), with keys hashed by SipHash-1-3 under a per-map 128-bit
 * secret, because every packet's destination CID is chosen by whoever sent
 * it. Each slot keeps 32 bits of the hash, so a probe compares the key bytes
 * only when those match, and deletion never rehashes a key. 40 bytes per slot.
 */
#ifndef PQ_COMMON_CIDMAP_H
#define PQ_COMMON_CIDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/siphash.h"

#define PQ_CID_MAX_LEN 20

typedef struct pq_cidmap_slot {
  void *val;    /* NULL marks an empty slot */
  uint32_t h32; /* top 32 bits of the key's hash */
  uint8_t len;
  uint8_t key[PQ_CID_MAX_LEN];
} pq_cidmap_slot;

typedef struct pq_cidmap {
  pq_cidmap_slot *slots; /* NULL while cap == 0 */
  uint32_t cap;          /* 0 or a power of two */
  uint32_t count;
  uint32_t min_cap; /* floor set by reserve for automatic shrinking */
  uint32_t shift;   /* 32 - log2(cap) */
  pq_sipkey key;
} pq_cidmap;

typedef struct pq_cidmap_iter {
  uint32_t pos;
  uint32_t left;
} pq_cidmap_iter;

/* An empty map hashing with the secret `key` (take it from the endpoint's
 * random source). Never fails, allocates nothing. */
void pq_cidmap_init(pq_cidmap *m, const pq_sipkey *key);
/* Frees the table (not the values); the map is empty and usable again. */
void pq_cidmap_free(pq_cidmap *m);

/* The value stored for the `len`-byte cid, or NULL (also when len > 20).
 * O(len) for the hash plus O(1) expected probes. */
void *pq_cidmap_get(const pq_cidmap *m, const uint8_t *cid, size_t len);

/*
 * Adds cid -> val (the key bytes are copied). May grow the table (amortised
 * O(1)) or shrink a mostly empty one (best effort). Invalidates iterators.
 * Errors: PQUIC_ERR_INVAL if len > 20 or val is NULL; PQUIC_ERR_EXISTS if the
 * cid is present (value not replaced); PQUIC_ERR_NOMEM, PQUIC_ERR_LIMIT. On
 * error the map is unchanged.
 */
int pq_cidmap_insert(pq_cidmap *m, const uint8_t *cid, size_t len, void *val);

/* Removes cid; returns its value, or NULL if absent. Never allocates or
 * fails; safe on the current element of an iteration. */
void *pq_cidmap_remove(pq_cidmap *m, const uint8_t *cid, size_t len);

/* Grows the table so that n entries fit without rehashing; automatic
 * shrinking will not go below that size.
 * Errors: PQUIC_ERR_NOMEM, PQUIC_ERR_LIMIT (map unchanged). */
int pq_cidmap_reserve(pq_cidmap *m, uint32_t n);
/* Rehashes into the smallest table that fits (frees it when empty) and
 * forgets the reserve() floor. Errors: PQUIC_ERR_NOMEM (map unchanged). */
int pq_cidmap_shrink(pq_cidmap *m);

static inline uint32_t pq_cidmap_count(const pq_cidmap *m) {
  return m->count;
}

/* Iteration in unspecified order; see pq_u64map for the removal rule. *cid
 * points into the table (valid until the next change), *len its length. */
void pq_cidmap_iter_init(const pq_cidmap *m, pq_cidmap_iter *it);
bool pq_cidmap_iter_next(const pq_cidmap *m, pq_cidmap_iter *it, const uint8_t **cid, size_t *len,
                         void **val);

#endif
