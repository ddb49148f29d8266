/*
 * Fixed-size object pool: objects of one size carved from slabs of
 * `per_slab` objects, recycled through a free list. Get and put are O(1)
 * (a new slab is one allocation, and its objects are handed out by bumping a
 * pointer, never threaded up front). Slabs are only returned by
 * pq_pool_free, which frees every object at once: meant for records with a
 * bounded working set, such as sent packets.
 *
 * The most recently returned object is handed out first (LIFO: likely still
 * in cache). Objects are aligned for any C type (max_align_t). Under AddressSanitizer,
 * free objects and unused slab space are poisoned, so a use after put is
 * reported like a use after free.
 */
#ifndef PQ_COMMON_POOL_H
#define PQ_COMMON_POOL_H

#include <stddef.h>

typedef struct pq_pool {
  void *free_list;     /* free objects, linked through their first word */
  unsigned char *bump; /* next never-used object of the newest slab */
  unsigned char *bump_end;
  void *slabs; /* all slabs, linked through their header */
  size_t obj_size;
  size_t per_slab;
  size_t in_use;
  size_t nslabs;
} pq_pool;

/* A pool of objects of obj_size bytes, allocating per_slab at a time.
 * Allocates nothing yet. Errors: PQUIC_ERR_INVAL if either is 0 or a slab's
 * size overflows. */
int pq_pool_init(pq_pool *p, size_t obj_size, size_t per_slab);

/* An object with unspecified contents, or NULL when out of memory (the pool
 * is then unchanged). O(1). */
void *pq_pool_get(pq_pool *p);
/* Same, zero-filled. */
void *pq_pool_zget(pq_pool *p);

/* Returns obj (from pq_pool_get on this pool; NULL is ignored). O(1). */
void pq_pool_put(pq_pool *p, void *obj);

/* Frees every slab, which ends the life of every object, in use or not. The
 * pool is empty afterwards and may be used again. O(slabs). */
void pq_pool_free(pq_pool *p);

static inline size_t pq_pool_in_use(const pq_pool *p) {
  return p->in_use;
}
/* Bytes held in slabs (for memory accounting). */
size_t pq_pool_footprint(const pq_pool *p);

#endif
