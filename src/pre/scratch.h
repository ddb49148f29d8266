/*
 * pre/scratch.h - a bump allocator for the temporary arrays of one load
 * (verifier, analysis, loops, JIT passes). They all die together, so one
 * malloc of a chunk replaces dozens of calloc/free pairs; a mark taken
 * before per-function arrays lets the next function reuse their space.
 */
#ifndef PQ_PRE_SCRATCH_H
#define PQ_PRE_SCRATCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct pq_scratch_chunk pq_scratch_chunk;

typedef struct pq_scratch {
  pq_scratch_chunk *head; /* newest chunk */
  uint8_t *cur, *end;     /* free space in head */
} pq_scratch;

/* A position to return to (pq_scratch_release). */
typedef struct pq_scratch_mark {
  pq_scratch_chunk *head;
  uint8_t *cur;
} pq_scratch_mark;

/* An empty allocator (no memory until the first request). */
void pq_scratch_init(pq_scratch *s);

/* A new chunk holding at least `bytes` (scratch.c). Returns 0 or -1. */
int pq_scratch_grow(pq_scratch *s, size_t bytes);

/* n * size bytes, 16-byte aligned, not zeroed (for arrays written before
 * they are read); NULL on NOMEM or overflow. n == 0 gives a valid (empty)
 * pointer. Inline: a load makes about a hundred of these. */
static inline void *pq_scratch_alloc(pq_scratch *s, size_t n, size_t size) {
  if (size && n > (SIZE_MAX - 16) / size)
    return NULL;
  size_t bytes = (n * size + 15) & ~(size_t)15;
  if ((!s->head || (size_t)(s->end - s->cur) < bytes) && pq_scratch_grow(s, bytes))
    return NULL;
  void *p = s->cur;
  s->cur += bytes;
  return p;
}

/* The same, zeroed. */
static inline void *pq_scratch_calloc(pq_scratch *s, size_t n, size_t size) {
  void *p = pq_scratch_alloc(s, n, size);
  if (p)
    memset(p, 0, n * size); /* no overflow: alloc checked it */
  return p;
}

pq_scratch_mark pq_scratch_save(const pq_scratch *s);
/* Releases everything allocated since m was saved. */
void pq_scratch_release(pq_scratch *s, pq_scratch_mark m);

/* Releases everything; s is empty again. */
void pq_scratch_free(pq_scratch *s);

#endif
