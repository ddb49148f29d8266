#include "common/ranges.h"

#include <string.h>

#include "common/alloc.h"
#include "pquic/errors.h"

/* Ranges are stored in base(s)[head .. head+n), with free slots on both
 * sides; insertions and deletions shift whichever side is shorter. */
static pq_range *base(pq_ranges *s) {
  return s->heap ? s->heap : s->inl;
}
static pq_range *arr(pq_ranges *s) {
  return base(s) + s->head;
}

static uint64_t range_len(const pq_range *r) {
  return r->hi - r->lo + 1;
}

void pq_ranges_init(pq_ranges *s) {
  s->heap = NULL;
  s->head = 0;
  s->n = 0;
  s->cap = PQ_RANGES_INLINE;
  s->total = 0;
}

void pq_ranges_free(pq_ranges *s) {
  pq_free(s->heap);
  pq_ranges_init(s);
}

void pq_ranges_clear(pq_ranges *s) {
  s->head = 0;
  s->n = 0;
  s->total = 0;
}

/* Moves the ranges into a heap array of at least `want` slots, at index 0. */
static int grow(pq_ranges *s, uint64_t want) {
  uint64_t cap = (uint64_t)s->cap * 2;
  if (cap < want)
    cap = want;
  if (cap < 8)
    cap = 8;
  if (cap > UINT32_MAX)
    cap = UINT32_MAX;
  if (cap < want)
    return PQUIC_ERR_LIMIT;
  pq_range *a = pq_malloc((size_t)cap * sizeof(pq_range));
  if (!a)
    return PQUIC_ERR_NOMEM;
  if (s->n)
    memcpy(a, arr(s), (size_t)s->n * sizeof(pq_range));
  pq_free(s->heap);
  s->heap = a;
  s->head = 0;
  s->cap = (uint32_t)cap;
  return 0;
}

int pq_ranges_reserve(pq_ranges *s, uint32_t extra) {
  if ((uint64_t)s->n + extra <= s->cap)
    return 0;
  return grow(s, (uint64_t)s->n + extra);
}

/* Ensures a free slot after the last range. Compacting only when the front
 * holds a quarter of the array keeps push-back/drop-front cycles amortised
 * O(1): a compaction of n ranges is followed by at least cap/4 free pushes. */
static int room_back(pq_ranges *s) {
  if (s->head + s->n < s->cap)
    return 0;
  if (s->head < s->cap / 4 || s->head == 0) {
    int err = grow(s, (uint64_t)s->n + 1);
    /* Out of memory with room at the front: compact instead, so that
     * pq_ranges_reserve's promise holds. */
    if (err == 0 || s->head == 0)
      return err;
  }
  pq_range *b = base(s);
  memmove(b, b + s->head, (size_t)s->n * sizeof(pq_range));
  s->head = 0;
  return 0;
}

/* Inserts r at position i (0 <= i <= n), shifting the shorter side. */
static int insert_at(pq_ranges *s, uint32_t i, pq_range r) {
  if (s->n == s->cap) {
    int err = grow(s, (uint64_t)s->n + 1);
    if (err)
      return err;
  }
  pq_range *b = base(s);
  bool back_free = s->head + s->n < s->cap;
  if (s->head > 0 && (!back_free || i < s->n / 2)) {
    /* Shift [0, i) one slot to the left. */
    memmove(b + s->head - 1, b + s->head, (size_t)i * sizeof(pq_range));
    s->head--;
  } else {
    pq_range *a = b + s->head;
    memmove(a + i + 1, a + i, (size_t)(s->n - i) * sizeof(pq_range));
  }
  arr(s)[i] = r;
  s->n++;
  return 0;
}

/* Deletes the ranges [i, j), shifting the shorter side. */
static void delete_span(pq_ranges *s, uint32_t i, uint32_t j) {
  uint32_t c = j - i;
  if (c == 0)
    return;
  pq_range *a = arr(s);
  if (i < s->n - j) {
    memmove(a + c, a, (size_t)i * sizeof(pq_range));
    s->head += c;
  } else {
    memmove(a + i, a + j, (size_t)(s->n - j) * sizeof(pq_range));
  }
  s->n -= c;
  if (s->n == 0)
    s->head = 0;
}

uint32_t pq_ranges_lower_bound(const pq_ranges *s, uint64_t v) {
  const pq_range *a = pq_ranges_arr_(s);
  uint32_t lo = 0, hi = s->n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (a[mid].hi < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Index of the first range at or after `from` whose lo > v. */
static uint32_t upper_lo(const pq_ranges *s, uint32_t from, uint64_t v) {
  const pq_range *a = pq_ranges_arr_(s);
  uint32_t lo = from, hi = s->n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (a[mid].lo <= v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int push_back(pq_ranges *s, uint64_t lo, uint64_t hi) {
  int err = room_back(s);
  if (err)
    return err;
  arr(s)[s->n++] = (pq_range){lo, hi};
  return 0;
}

int pq_ranges_add(pq_ranges *s, uint64_t lo, uint64_t hi, uint64_t *added) {
  uint64_t dummy;
  if (!added)
    added = &dummy;
  *added = 0;
  if (lo > hi || hi > PQ_RANGES_VMAX)
    return PQUIC_ERR_INVAL;
  if (s->n == 0 || lo > arr(s)[s->n - 1].hi + 1) {
    /* In-order arrival above everything: append. */
    int err = push_back(s, lo, hi);
    if (err)
      return err;
    *added = hi - lo + 1;
    s->total += *added;
    return 0;
  }
  pq_range *last = &arr(s)[s->n - 1];
  if (lo >= last->lo) {
    /* Touches only the last range: extend it. */
    if (hi > last->hi) {
      *added = hi - last->hi;
      last->hi = hi;
      s->total += *added;
    }
    return 0;
  }
  /* Ranges [i, j) overlap or touch [lo, hi]. */
  uint32_t i = pq_ranges_lower_bound(s, lo == 0 ? 0 : lo - 1);
  uint32_t j = upper_lo(s, i, hi + 1);
  if (i == j) {
    int err = insert_at(s, i, (pq_range){lo, hi});
    if (err)
      return err;
    *added = hi - lo + 1;
    s->total += *added;
    return 0;
  }
  pq_range *a = arr(s);
  uint64_t mlo = a[i].lo < lo ? a[i].lo : lo;
  uint64_t mhi = a[j - 1].hi > hi ? a[j - 1].hi : hi;
  uint64_t had = 0;
  for (uint32_t k = i; k < j; k++)
    had += range_len(&a[k]);
  a[i] = (pq_range){mlo, mhi};
  delete_span(s, i + 1, j);
  *added = (mhi - mlo + 1) - had;
  s->total += *added;
  return 0;
}

int pq_ranges_add1(pq_ranges *s, uint64_t v) {
  uint64_t added;
  int err = pq_ranges_add(s, v, v, &added);
  return err ? err : (int)added;
}

int pq_ranges_remove(pq_ranges *s, uint64_t lo, uint64_t hi, uint64_t *removed) {
  uint64_t dummy;
  if (!removed)
    removed = &dummy;
  *removed = 0;
  if (lo > hi || hi > PQ_RANGES_VMAX)
    return PQUIC_ERR_INVAL;
  uint32_t i = pq_ranges_lower_bound(s, lo);
  if (i == s->n || arr(s)[i].lo > hi)
    return 0;
  pq_range r = arr(s)[i];
  if (r.lo < lo && r.hi > hi) {
    /* Strictly inside one range: split it in two. */
    int err = insert_at(s, i + 1, (pq_range){hi + 1, r.hi});
    if (err)
      return err;
    arr(s)[i].hi = lo - 1;
    *removed = hi - lo + 1;
    s->total -= *removed;
    return 0;
  }
  pq_range *a = arr(s);
  uint64_t rm = 0;
  uint32_t k = i;
  if (a[i].lo < lo) {
    rm += a[i].hi - lo + 1;
    a[i].hi = lo - 1;
    k = i + 1;
  }
  uint32_t j = k;
  while (j < s->n && a[j].hi <= hi)
    rm += range_len(&a[j++]);
  if (j < s->n && a[j].lo <= hi) {
    rm += hi - a[j].lo + 1;
    a[j].lo = hi + 1;
  }
  delete_span(s, k, j);
  *removed = rm;
  s->total -= rm;
  return 0;
}

/* Drops the first c ranges: O(c) for the count, O(1) for the storage. */
static uint64_t drop_front(pq_ranges *s, uint32_t c) {
  const pq_range *a = arr(s);
  uint64_t rm = 0;
  for (uint32_t k = 0; k < c; k++)
    rm += range_len(&a[k]);
  s->head += c;
  s->n -= c;
  if (s->n == 0)
    s->head = 0;
  s->total -= rm;
  return rm;
}

uint64_t pq_ranges_remove_below(pq_ranges *s, uint64_t v) {
  if (s->n == 0 || arr(s)[0].lo >= v)
    return 0;
  uint32_t i = arr(s)[0].hi >= v ? 0 : pq_ranges_lower_bound(s, v);
  uint64_t rm = drop_front(s, i);
  if (s->n && arr(s)[0].lo < v) {
    uint64_t cut = v - arr(s)[0].lo;
    arr(s)[0].lo = v;
    s->total -= cut;
    rm += cut;
  }
  return rm;
}

uint64_t pq_ranges_trim(pq_ranges *s, uint32_t max_ranges) {
  if (s->n <= max_ranges)
    return 0;
  return drop_front(s, s->n - max_ranges);
}

bool pq_ranges_contains(const pq_ranges *s, uint64_t v) {
  if (s->n == 0)
    return false;
  const pq_range *a = pq_ranges_arr_(s);
  if (v > a[s->n - 1].hi)
    return false;
  if (v >= a[s->n - 1].lo)
    return true;
  uint32_t i = pq_ranges_lower_bound(s, v);
  return i < s->n && a[i].lo <= v;
}
