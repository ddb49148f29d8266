/*
 * Allocation hook. Every allocation in the library goes through these, so a
 * test can fail the n-th allocation (out-of-memory sweeps) and an application
 * can supply its own allocator.
 */
#ifndef PQ_COMMON_ALLOC_H
#define PQ_COMMON_ALLOC_H

#include <stddef.h>

typedef struct pq_allocator {
  void *(*malloc_fn)(void *user, size_t size);
  void *(*realloc_fn)(void *user, void *ptr, size_t size);
  void (*free_fn)(void *user, void *ptr);
  void *user;
} pq_allocator;

/* Installs a process-wide allocator; NULL restores the C library's. Call it
 * before creating any object: memory must be freed by the allocator that
 * made it. */
void pq_set_allocator(const pq_allocator *a);

void *pq_malloc(size_t size);
void *pq_calloc(size_t n, size_t size); /* zeroed; NULL on overflow */
void *pq_realloc(void *ptr, size_t size);
void pq_free(void *ptr);

/* Test support: after `n` more successful allocations, every further one
 * fails (n = 0 fails the next). A negative n disables injection. */
void pq_alloc_fail_after(long n);
/* Number of allocations attempted since the last pq_alloc_fail_after(n)
 * with n >= 0 (nothing is counted while injection is off). */
long pq_alloc_count(void);

#endif
