#include "common/timerheap.h"

#include <stddef.h>

#include "common/alloc.h"
#include "pquic/errors.h"

void pq_timerheap_init(pq_timerheap *h) {
  h->v = NULL;
  h->n = 0;
  h->cap = 0;
}

void pq_timerheap_free(pq_timerheap *h) {
  for (uint32_t i = 0; i < h->n; i++)
    h->v[i].t->idx = PQ_TIMER_IDLE;
  pq_free(h->v);
  pq_timerheap_init(h);
}

static int resize(pq_timerheap *h, uint64_t cap) {
  if (cap >= PQ_TIMER_IDLE)
    return PQUIC_ERR_LIMIT;
  pq_timerheap_ent *v = pq_realloc(h->v, (size_t)cap * sizeof(*v));
  if (!v)
    return PQUIC_ERR_NOMEM;
  h->v = v;
  h->cap = (uint32_t)cap;
  return 0;
}

int pq_timerheap_reserve(pq_timerheap *h, uint32_t n) {
  return n <= h->cap ? 0 : resize(h, n);
}

static void put(pq_timerheap *h, uint32_t i, pq_timerheap_ent e) {
  h->v[i] = e;
  e.t->idx = i;
}

/* Moves the entry e, destined for slot i, up to its place. */
static void sift_up(pq_timerheap *h, uint32_t i, pq_timerheap_ent e) {
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (h->v[parent].when <= e.when)
      break;
    put(h, i, h->v[parent]);
    i = parent;
  }
  put(h, i, e);
}

/* Moves the entry e, destined for slot i, down to its place. */
static void sift_down(pq_timerheap *h, uint32_t i, pq_timerheap_ent e) {
  for (;;) {
    uint64_t c = 2 * (uint64_t)i + 1;
    if (c >= h->n)
      break;
    if (c + 1 < h->n && h->v[c + 1].when < h->v[c].when)
      c++;
    if (e.when <= h->v[c].when)
      break;
    put(h, i, h->v[c]);
    i = (uint32_t)c;
  }
  put(h, i, e);
}

/* Re-places the entry at slot i after its time changed. */
static void fix(pq_timerheap *h, uint32_t i, pq_timerheap_ent e) {
  if (i > 0 && h->v[(i - 1) / 2].when > e.when)
    sift_up(h, i, e);
  else
    sift_down(h, i, e);
}

int pq_timerheap_set(pq_timerheap *h, pq_timer *t, uint64_t when) {
  if (pq_timer_queued(t)) {
    t->when = when;
    fix(h, t->idx, (pq_timerheap_ent){when, t});
    return 0;
  }
  if (h->n == h->cap) {
    int err = resize(h, h->cap < 16 ? 16 : (uint64_t)h->cap * 2);
    if (err)
      return err;
  }
  t->when = when;
  sift_up(h, h->n++, (pq_timerheap_ent){when, t});
  return 0;
}

/* Removes the entry at slot i, filling it with the last entry. */
static void remove_at(pq_timerheap *h, uint32_t i) {
  h->v[i].t->idx = PQ_TIMER_IDLE;
  pq_timerheap_ent last = h->v[--h->n];
  if (i < h->n)
    fix(h, i, last);
  if (h->cap > 64 && h->n < h->cap / 4)
    (void)resize(h, h->cap / 2); /* best effort: keeping the memory is fine */
}

void pq_timerheap_cancel(pq_timerheap *h, pq_timer *t) {
  if (pq_timer_queued(t))
    remove_at(h, t->idx);
}

pq_timer *pq_timerheap_pop(pq_timerheap *h, uint64_t now) {
  if (h->n == 0 || h->v[0].when > now)
    return NULL;
  pq_timer *t = h->v[0].t;
  remove_at(h, 0);
  return t;
}
