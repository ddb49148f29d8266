/*
 * Min-heap of timers keyed by a uint64 time (µs). A pq_timer is embedded in
 * the object it wakes (a connection); the heap stores pointers to them and
 * each timer records its index in the heap, so moving or cancelling a timer
 * is O(log n) without any search. The endpoint asks for the earliest timer
 * to learn when the next connection must be woken.
 *
 * The heap array keeps each timer's time next to its pointer, so sifting
 * compares without touching the timers' objects. Timers with equal times
 * come out in an unspecified but deterministic order (the same sequence of
 * calls gives the same order).
 */
#ifndef PQ_COMMON_TIMERHEAP_H
#define PQ_COMMON_TIMERHEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PQ_TIMER_IDLE UINT32_MAX

typedef struct pq_timer {
  uint64_t when; /* valid while queued */
  uint32_t idx;  /* index in the heap, PQ_TIMER_IDLE when not queued */
} pq_timer;

typedef struct pq_timerheap_ent {
  uint64_t when;
  pq_timer *t;
} pq_timerheap_ent;

typedef struct pq_timerheap {
  pq_timerheap_ent *v;
  uint32_t n;
  uint32_t cap;
} pq_timerheap;

/* An unqueued timer. */
static inline void pq_timer_init(pq_timer *t) {
  t->when = UINT64_MAX;
  t->idx = PQ_TIMER_IDLE;
}
static inline bool pq_timer_queued(const pq_timer *t) {
  return t->idx != PQ_TIMER_IDLE;
}

void pq_timerheap_init(pq_timerheap *h);
/* Frees the heap; any timers still queued are marked unqueued. O(n). */
void pq_timerheap_free(pq_timerheap *h);

/*
 * Queues t to fire at `when`, or moves it there if already queued (in this
 * heap: a timer belongs to one heap). O(log n); amortised O(1) allocation.
 * Errors: PQUIC_ERR_NOMEM, PQUIC_ERR_LIMIT (2^32 - 2 timers), only when t was
 * not queued; the heap and t are then unchanged.
 */
int pq_timerheap_set(pq_timerheap *h, pq_timer *t, uint64_t when);

/* Unqueues t; no-op if it is not queued. Never fails. O(log n). */
void pq_timerheap_cancel(pq_timerheap *h, pq_timer *t);

/* The earliest timer (still queued), or NULL. O(1). */
static inline pq_timer *pq_timerheap_peek(const pq_timerheap *h) {
  return h->n ? h->v[0].t : NULL;
}
/* The earliest time, or UINT64_MAX when empty. O(1). */
static inline uint64_t pq_timerheap_next_time(const pq_timerheap *h) {
  return h->n ? h->v[0].when : UINT64_MAX;
}
static inline uint32_t pq_timerheap_count(const pq_timerheap *h) {
  return h->n;
}

/* Unqueues and returns the earliest timer if its time is <= now, else NULL.
 * Pass UINT64_MAX to pop unconditionally. Never fails. O(log n). */
pq_timer *pq_timerheap_pop(pq_timerheap *h, uint64_t now);

/* Room for n timers without allocating. Errors: PQUIC_ERR_NOMEM,
 * PQUIC_ERR_LIMIT (heap unchanged). */
int pq_timerheap_reserve(pq_timerheap *h, uint32_t n);

#endif
