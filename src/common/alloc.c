#include "common/alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *libc_malloc(void *u, size_t n) { (void)u; return malloc(n); }
static void *libc_realloc(void *u, void *p, size_t n) { (void)u; return realloc(p, n); }
static void libc_free(void *u, void *p) { (void)u; free(p); }

static pq_allocator g_alloc = {libc_malloc, libc_realloc, libc_free, NULL};
/* Failure injection state. A test arms it from one thread, but the library
 * may allocate from several (plugin loads, the PRE's thread test): relaxed
 * atomics keep that race-free, and while disarmed an allocation only reads. */
static atomic_long g_fail_after = -1;
static atomic_long g_count;

void pq_set_allocator(const pq_allocator *a) {
  if (a)
    g_alloc = *a;
  else
    g_alloc = (pq_allocator){libc_malloc, libc_realloc, libc_free, NULL};
}

void pq_alloc_fail_after(long n) {
  atomic_store_explicit(&g_count, 0, memory_order_relaxed);
  atomic_store_explicit(&g_fail_after, n, memory_order_relaxed);
}

long pq_alloc_count(void) { return atomic_load_explicit(&g_count, memory_order_relaxed); }

/* True when this allocation must fail. */
static int inject_failure(void) {
  long limit = atomic_load_explicit(&g_fail_after, memory_order_relaxed);
  if (limit < 0)
    return 0;
  return atomic_fetch_add_explicit(&g_count, 1, memory_order_relaxed) + 1 > limit;
}

void *pq_malloc(size_t size) {
  if (inject_failure())
    return NULL;
  return g_alloc.malloc_fn(g_alloc.user, size ? size : 1);
}

void *pq_calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size)
    return NULL;
  void *p = pq_malloc(n * size);
  if (p)
    memset(p, 0, n * size);
  return p;
}

void *pq_realloc(void *ptr, size_t size) {
  if (inject_failure())
    return NULL;
  return g_alloc.realloc_fn(g_alloc.user, ptr, size ? size : 1);
}

void pq_free(void *ptr) {
  if (ptr)
    g_alloc.free_fn(g_alloc.user, ptr);
}
