#include "common/u64map.h"

#include <stddef.h>

#include "common/alloc.h"
#include "pquic/errors.h"

#define MIN_CAP 8u
#define MAX_CAP 0x80000000u

/* splitmix64's finaliser over key ^ seed; the top bits pick the slot. */
static inline uint64_t hash(const pq_u64map *m, uint64_t key) {
  uint64_t x = key ^ m->seed;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

static inline uint32_t home(const pq_u64map *m, uint64_t key) {
  return (uint32_t)(hash(m, key) >> m->shift);
}

void pq_u64map_init(pq_u64map *m, uint64_t seed) {
  m->slots = NULL;
  m->cap = 0;
  m->count = 0;
  m->min_cap = 0;
  m->shift = 64;
  m->seed = seed;
}

void pq_u64map_free(pq_u64map *m) {
  pq_free(m->slots);
  pq_u64map_init(m, m->seed);
}

/* Slot holding key, or -1. */
static int64_t find(const pq_u64map *m, uint64_t key) {
  if (m->count == 0)
    return -1;
  uint32_t mask = m->cap - 1;
  for (uint32_t i = home(m, key);; i = (i + 1) & mask) {
    const pq_u64map_slot *s = &m->slots[i];
    if (!s->val)
      return -1;
    if (s->key == key)
      return i;
  }
}

void *pq_u64map_get(const pq_u64map *m, uint64_t key) {
  int64_t i = find(m, key);
  return i < 0 ? NULL : m->slots[i].val;
}

/* Places an entry known to be absent; the table has a free slot. */
static void place(pq_u64map *m, uint64_t key, void *val) {
  uint32_t mask = m->cap - 1;
  uint32_t i = home(m, key);
  while (m->slots[i].val)
    i = (i + 1) & mask;
  m->slots[i].key = key;
  m->slots[i].val = val;
}

/* Smallest capacity keeping n entries at or under 3/4 load. */
static uint64_t cap_for(uint64_t n) {
  uint64_t cap = MIN_CAP;
  while (n * 4 > cap * 3)
    cap *= 2;
  return cap;
}

/* Moves every entry into a fresh table of `cap` slots (0 frees it). */
static int rehash(pq_u64map *m, uint64_t cap) {
  if (cap > MAX_CAP)
    return PQUIC_ERR_LIMIT;
  pq_u64map_slot *old = m->slots;
  uint32_t old_cap = m->cap;
  if (cap == 0) {
    pq_free(old);
    pq_u64map_init(m, m->seed);
    return 0;
  }
  pq_u64map_slot *slots = pq_calloc((size_t)cap, sizeof(*slots));
  if (!slots)
    return PQUIC_ERR_NOMEM;
  m->slots = slots;
  m->cap = (uint32_t)cap;
  m->shift = 64 - (uint32_t)__builtin_ctzll(cap);
  for (uint32_t i = 0; i < old_cap; i++)
    if (old[i].val)
      place(m, old[i].key, old[i].val);
  pq_free(old);
  return 0;
}

int pq_u64map_reserve(pq_u64map *m, uint32_t n) {
  uint64_t cap = cap_for(n);
  int err = cap <= m->cap ? 0 : rehash(m, cap);
  if (!err && cap > m->min_cap)
    m->min_cap = (uint32_t)cap;
  return err;
}

int pq_u64map_shrink(pq_u64map *m) {
  uint64_t cap = m->count ? cap_for(m->count) : 0;
  int err = cap >= m->cap ? 0 : rehash(m, cap);
  if (!err)
    m->min_cap = 0;
  return err;
}

/* Table size for n entries after an insert: doubled when over 3/4 full;
 * when under 1/16 full, about 3/8 full again (never below the reserve()
 * floor), so growing and shrinking cannot alternate; else unchanged. */
static uint64_t resize_target(uint64_t cap, uint64_t n, uint64_t min_cap) {
  if (n * 4 > cap * 3)
    return cap_for(n) > cap * 2 ? cap_for(n) : cap * 2;
  if (cap > 64 && n * 16 < cap) {
    uint64_t want = cap_for(n) * 2 > min_cap ? cap_for(n) * 2 : min_cap;
    return want < cap ? want : cap;
  }
  return cap;
}

int pq_u64map_insert(pq_u64map *m, uint64_t key, void *val) {
  if (!val)
    return PQUIC_ERR_INVAL;
  uint64_t want = resize_target(m->cap, (uint64_t)m->count + 1, m->min_cap);
  if (want != m->cap) {
    if (find(m, key) >= 0)
      return PQUIC_ERR_EXISTS;
    int err = rehash(m, want);
    if (err && want > m->cap)
      return err;
    /* A failed shrink is harmless: the old table still has room. */
    place(m, key, val);
    m->count++;
    return 0;
  }
  uint32_t mask = m->cap - 1;
  uint32_t i = home(m, key);
  for (; m->slots[i].val; i = (i + 1) & mask)
    if (m->slots[i].key == key)
      return PQUIC_ERR_EXISTS;
  m->slots[i].key = key;
  m->slots[i].val = val;
  m->count++;
  return 0;
}

void *pq_u64map_remove(pq_u64map *m, uint64_t key) {
  int64_t found = find(m, key);
  if (found < 0)
    return NULL;
  uint32_t mask = m->cap - 1;
  uint32_t hole = (uint32_t)found;
  void *val = m->slots[hole].val;
  /* Backward shift: pull later entries of the probe run into the hole when
   * their home slot is not between the hole and where they sit. */
  for (uint32_t j = (hole + 1) & mask; m->slots[j].val; j = (j + 1) & mask) {
    uint32_t h = home(m, m->slots[j].key);
    if (((j - h) & mask) >= ((j - hole) & mask)) {
      m->slots[hole] = m->slots[j];
      hole = j;
    }
  }
  m->slots[hole].val = NULL;
  m->count--;
  return val;
}

void pq_u64map_iter_init(const pq_u64map *m, pq_u64map_iter *it) {
  it->pos = 0;
  it->left = 0;
  if (m->count == 0)
    return;
  /* Start at an empty slot (there is one: the load is under 3/4). */
  uint32_t e = 0;
  while (m->slots[e].val)
    e++;
  it->pos = e;
  it->left = m->cap - 1;
}

bool pq_u64map_iter_next(const pq_u64map *m, pq_u64map_iter *it, uint64_t *key, void **val) {
  uint32_t mask = m->cap - 1;
  while (it->left > 0) {
    it->pos = (it->pos - 1) & mask;
    it->left--;
    const pq_u64map_slot *s = &m->slots[it->pos];
    if (s->val) {
      if (key)
        *key = s->key;
      if (val)
        *val = s->val;
      return true;
    }
  }
  return false;
}
