#include "common/cidmap.h"

#include <string.h>

#include "common/alloc.h"
#include "pquic/errors.h"

#define MIN_CAP 8u
#define MAX_CAP 0x80000000u

static inline uint32_t hash32(const pq_cidmap *m, const uint8_t *cid, size_t len) {
  return (uint32_t)(pq_siphash13(&m->key, cid, len) >> 32);
}

static inline uint32_t home(const pq_cidmap *m, uint32_t h32) {
  return h32 >> m->shift;
}

static inline bool same_key(const pq_cidmap_slot *s, uint32_t h32, const uint8_t *cid, size_t len) {
  return s->h32 == h32 && s->len == len && (len == 0 || memcmp(s->key, cid, len) == 0);
}

void pq_cidmap_init(pq_cidmap *m, const pq_sipkey *key) {
  m->slots = NULL;
  m->cap = 0;
  m->count = 0;
  m->min_cap = 0;
  m->shift = 32;
  m->key = *key;
}

void pq_cidmap_free(pq_cidmap *m) {
  pq_free(m->slots);
  pq_cidmap_init(m, &m->key);
}

/* Slot holding the key, or -1. */
static int64_t find(const pq_cidmap *m, uint32_t h32, const uint8_t *cid, size_t len) {
  if (m->count == 0)
    return -1;
  uint32_t mask = m->cap - 1;
  for (uint32_t i = home(m, h32);; i = (i + 1) & mask) {
    const pq_cidmap_slot *s = &m->slots[i];
    if (!s->val)
      return -1;
    if (same_key(s, h32, cid, len))
      return i;
  }
}

void *pq_cidmap_get(const pq_cidmap *m, const uint8_t *cid, size_t len) {
  if (len > PQ_CID_MAX_LEN || m->count == 0)
    return NULL;
  int64_t i = find(m, hash32(m, cid, len), cid, len);
  return i < 0 ? NULL : m->slots[i].val;
}

/* First free slot of the probe run for h32; the table has one. */
static pq_cidmap_slot *free_slot(pq_cidmap *m, uint32_t h32) {
  uint32_t mask = m->cap - 1;
  uint32_t i = home(m, h32);
  while (m->slots[i].val)
    i = (i + 1) & mask;
  return &m->slots[i];
}

static uint64_t cap_for(uint64_t n) {
  uint64_t cap = MIN_CAP;
  while (n * 4 > cap * 3)
    cap *= 2;
  return cap;
}

/* Moves every entry into a fresh table of `cap` slots (0 frees it); stored
 * hashes make this free of SipHash calls. */
static int rehash(pq_cidmap *m, uint64_t cap) {
  if (cap > MAX_CAP)
    return PQUIC_ERR_LIMIT;
  pq_cidmap_slot *old = m->slots;
  uint32_t old_cap = m->cap;
  if (cap == 0) {
    pq_free(old);
    pq_cidmap_init(m, &m->key);
    return 0;
  }
  pq_cidmap_slot *slots = pq_calloc((size_t)cap, sizeof(*slots));
  if (!slots)
    return PQUIC_ERR_NOMEM;
  m->slots = slots;
  m->cap = (uint32_t)cap;
  m->shift = 32 - (uint32_t)__builtin_ctzll(cap);
  for (uint32_t i = 0; i < old_cap; i++)
    if (old[i].val)
      *free_slot(m, old[i].h32) = old[i];
  pq_free(old);
  return 0;
}

int pq_cidmap_reserve(pq_cidmap *m, uint32_t n) {
  uint64_t cap = cap_for(n);
  int err = cap <= m->cap ? 0 : rehash(m, cap);
  if (!err && cap > m->min_cap)
    m->min_cap = (uint32_t)cap;
  return err;
}

int pq_cidmap_shrink(pq_cidmap *m) {
  uint64_t cap = m->count ? cap_for(m->count) : 0;
  int err = cap >= m->cap ? 0 : rehash(m, cap);
  if (!err)
    m->min_cap = 0;
  return err;
}

/* As in pq_u64map: double over 3/4 load, shrink to about 3/8 under 1/16
 * (not below the reserve() floor). */
static uint64_t resize_target(uint64_t cap, uint64_t n, uint64_t min_cap) {
  if (n * 4 > cap * 3)
    return cap_for(n) > cap * 2 ? cap_for(n) : cap * 2;
  if (cap > 64 && n * 16 < cap) {
    uint64_t want = cap_for(n) * 2 > min_cap ? cap_for(n) * 2 : min_cap;
    return want < cap ? want : cap;
  }
  return cap;
}

int pq_cidmap_insert(pq_cidmap *m, const uint8_t *cid, size_t len, void *val) {
  if (!val || len > PQ_CID_MAX_LEN)
    return PQUIC_ERR_INVAL;
  uint32_t h32 = hash32(m, cid, len);
  if (find(m, h32, cid, len) >= 0)
    return PQUIC_ERR_EXISTS;
  uint64_t want = resize_target(m->cap, (uint64_t)m->count + 1, m->min_cap);
  if (want != m->cap) {
    int err = rehash(m, want);
    if (err && want > m->cap)
      return err; /* a failed shrink is harmless */
  }
  pq_cidmap_slot *s = free_slot(m, h32);
  s->val = val;
  s->h32 = h32;
  s->len = (uint8_t)len;
  memset(s->key, 0, sizeof(s->key));
  if (len)
    memcpy(s->key, cid, len);
  m->count++;
  return 0;
}

void *pq_cidmap_remove(pq_cidmap *m, const uint8_t *cid, size_t len) {
  if (len > PQ_CID_MAX_LEN || m->count == 0)
    return NULL;
  int64_t found = find(m, hash32(m, cid, len), cid, len);
  if (found < 0)
    return NULL;
  uint32_t mask = m->cap - 1;
  uint32_t hole = (uint32_t)found;
  void *val = m->slots[hole].val;
  for (uint32_t j = (hole + 1) & mask; m->slots[j].val; j = (j + 1) & mask) {
    uint32_t h = home(m, m->slots[j].h32);
    if (((j - h) & mask) >= ((j - hole) & mask)) {
      m->slots[hole] = m->slots[j];
      hole = j;
    }
  }
  m->slots[hole].val = NULL;
  m->count--;
  return val;
}

void pq_cidmap_iter_init(const pq_cidmap *m, pq_cidmap_iter *it) {
  it->pos = 0;
  it->left = 0;
  if (m->count == 0)
    return;
  uint32_t e = 0;
  while (m->slots[e].val)
    e++;
  it->pos = e;
  it->left = m->cap - 1;
}

bool pq_cidmap_iter_next(const pq_cidmap *m, pq_cidmap_iter *it, const uint8_t **cid, size_t *len,
                         void **val) {
  uint32_t mask = m->cap - 1;
  while (it->left > 0) {
    it->pos = (it->pos - 1) & mask;
    it->left--;
    const pq_cidmap_slot *s = &m->slots[it->pos];
    if (s->val) {
      if (cid)
        *cid = s->key;
      if (len)
        *len = s->len;
      if (val)
        *val = s->val;
      return true;
    }
  }
  return false;
}
