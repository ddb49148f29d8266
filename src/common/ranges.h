/*
 * Range set: a set of uint64 values kept as sorted, disjoint, non-adjacent
 * closed intervals [lo, hi].
 *
 * Used for received packet numbers (ACK frames), stream reassembly and the
 * acknowledged/lost byte ranges of send buffers. The ranges live in one array
 * used as a double-ended queue (a "head" index in front of the first range),
 * so the two common cases are O(1) amortised:
 *   - adding at the top (in-order arrivals: extends the last range or appends);
 *   - dropping from the bottom (pq_ranges_remove_below, pq_ranges_trim).
 * Other insertions and removals are a binary search, O(log n), plus a
 * memmove of the shorter side of the array, O(n) worst case with a small
 * constant. The first PQ_RANGES_INLINE ranges are stored inside the struct,
 * so a set that never holds more than that never allocates.
 *
 * Values are 0..PQ_RANGES_VMAX (UINT64_MAX - 1), so hi + 1 never overflows
 * and the total count of values always fits in a uint64_t. Pointers returned
 * by pq_ranges_at/first/last are invalidated by any change to the set. The
 * struct holds no pointer into itself: it may be moved with memcpy.
 */
#ifndef PQ_COMMON_RANGES_H
#define PQ_COMMON_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PQ_RANGES_INLINE 4
#define PQ_RANGES_VMAX (UINT64_MAX - 1)

typedef struct pq_range {
  uint64_t lo; /* first value in the range */
  uint64_t hi; /* last value in the range (closed interval) */
} pq_range;

typedef struct pq_ranges {
  pq_range *heap; /* NULL while the inline array is used */
  uint32_t head;  /* index of the first range in the array */
  uint32_t n;     /* number of ranges */
  uint32_t cap;   /* array capacity in ranges */
  uint64_t total; /* number of values in the set */
  pq_range inl[PQ_RANGES_INLINE];
} pq_ranges;

/* An empty set using only its inline storage. Never fails. */
void pq_ranges_init(pq_ranges *s);
/* Frees any heap storage; the set is empty and usable again afterwards. */
void pq_ranges_free(pq_ranges *s);
/* Removes every value; keeps heap storage for reuse. O(1). */
void pq_ranges_clear(pq_ranges *s);

/*
 * Adds the values [lo, hi], merging with overlapping or adjacent ranges.
 * `*added` (if not NULL) receives how many of these values were not already
 * in the set (0 means a pure duplicate). O(1) amortised when lo is above or
 * inside the last range; otherwise O(log n + n).
 * Errors: PQUIC_ERR_INVAL if lo > hi or hi > PQ_RANGES_VMAX; PQUIC_ERR_NOMEM
 * or PQUIC_ERR_LIMIT (2^32 - 1 ranges) when a new range is needed and there is
 * no room. On error the set is unchanged and `*added` is 0.
 */
int pq_ranges_add(pq_ranges *s, uint64_t lo, uint64_t hi, uint64_t *added);

/* Adds one value: 1 if it was new, 0 if already present, else a negative
 * error as pq_ranges_add. */
int pq_ranges_add1(pq_ranges *s, uint64_t v);

/*
 * Removes the values [lo, hi] (those not in the set are ignored), splitting
 * a range if [lo, hi] falls strictly inside it. `*removed` (if not NULL)
 * receives how many values were actually removed. O(log n + n).
 * Errors: PQUIC_ERR_INVAL if lo > hi or hi > PQ_RANGES_VMAX; PQUIC_ERR_NOMEM
 * or PQUIC_ERR_LIMIT if a split needs room that cannot be had. On error the
 * set is unchanged and `*removed` is 0.
 */
int pq_ranges_remove(pq_ranges *s, uint64_t lo, uint64_t hi, uint64_t *removed);

/* Removes every value below v; returns how many were removed. Never fails.
 * O(log n + number of ranges dropped); O(1) when v is in the first range. */
uint64_t pq_ranges_remove_below(pq_ranges *s, uint64_t v);

/* Drops the lowest ranges until at most max_ranges remain (the ACK frame
 * cap: the oldest packet numbers are forgotten first); returns the number of
 * values removed. Never fails. O(number of ranges dropped). */
uint64_t pq_ranges_trim(pq_ranges *s, uint32_t max_ranges);

/* Makes room for `extra` more ranges, so that the next operations creating
 * at most that many new ranges cannot fail with NOMEM. Callers that change
 * several sets together use it to stay all-or-nothing.
 * Errors: PQUIC_ERR_NOMEM, PQUIC_ERR_LIMIT (set unchanged). */
int pq_ranges_reserve(pq_ranges *s, uint32_t extra);

/* True when v is in the set. O(1) when v is in or above the last range,
 * else O(log n). */
bool pq_ranges_contains(const pq_ranges *s, uint64_t v);

/* Index of the first range whose hi >= v (the range containing v, or the
 * next one above it); pq_ranges_count(s) if none. O(log n). */
uint32_t pq_ranges_lower_bound(const pq_ranges *s, uint64_t v);

static inline const pq_range *pq_ranges_arr_(const pq_ranges *s) {
  return (s->heap ? s->heap : s->inl) + s->head;
}

/* Number of ranges. O(1). */
static inline uint32_t pq_ranges_count(const pq_ranges *s) {
  return s->n;
}
/* True when the set holds no value. */
static inline bool pq_ranges_empty(const pq_ranges *s) {
  return s->n == 0;
}
/* Number of values in the set. O(1). */
static inline uint64_t pq_ranges_total(const pq_ranges *s) {
  return s->total;
}

/*
 * The i-th range in ascending order, 0 <= i < pq_ranges_count(s). Iterate
 * ascending with i = 0 .. count-1 and descending (largest first, as an ACK
 * frame is written) with i = count-1 .. 0. O(1).
 */
static inline const pq_range *pq_ranges_at(const pq_ranges *s, uint32_t i) {
  return pq_ranges_arr_(s) + i;
}
/* The lowest range, or NULL if the set is empty. O(1). */
static inline const pq_range *pq_ranges_first(const pq_ranges *s) {
  return s->n ? pq_ranges_arr_(s) : NULL;
}
/* The highest range, or NULL if the set is empty. O(1). */
static inline const pq_range *pq_ranges_last(const pq_ranges *s) {
  return s->n ? pq_ranges_arr_(s) + s->n - 1 : NULL;
}

#endif
