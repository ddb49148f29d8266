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

/* n * size zeroed bytes, 16-byte aligned; NULL on NOMEM or overflow.
 * n == 0 gives a valid (empty) pointer. */
void *pq_scratch_calloc(pq_scratch *s, size_t n, size_t size);
/* The same, not zeroed: for arrays written before they are read. */
void *pq_scratch_alloc(pq_scratch *s, size_t n, size_t size);

pq_scratch_mark pq_scratch_save(const pq_scratch *s);
/* Releases everything allocated since m was saved. */
void pq_scratch_release(pq_scratch *s, pq_scratch_mark m);

/* Releases everything; s is empty again. */
void pq_scratch_free(pq_scratch *s);

#endif
