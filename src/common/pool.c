#include "common/pool.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "common/alloc.h"
#include "pquic/errors.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PQ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define PQ_ASAN 1
#endif

#ifdef PQ_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* Slab header, padded so the objects after it keep max_align_t alignment. */
typedef union slab {
  union slab *next;
  max_align_t align;
} slab;

#define ALIGN alignof(max_align_t)

int pq_pool_init(pq_pool *p, size_t obj_size, size_t per_slab) {
  memset(p, 0, sizeof(*p));
  if (obj_size == 0 || per_slab == 0 || obj_size > SIZE_MAX / 2)
    return PQUIC_ERR_INVAL;
  if (obj_size < sizeof(void *))
    obj_size = sizeof(void *);
  obj_size = (obj_size + ALIGN - 1) / ALIGN * ALIGN;
  if (per_slab > (SIZE_MAX - sizeof(slab)) / obj_size)
    return PQUIC_ERR_INVAL;
  p->obj_size = obj_size;
  p->per_slab = per_slab;
  return 0;
}

static size_t slab_bytes(const pq_pool *p) {
  return sizeof(slab) + p->obj_size * p->per_slab;
}

void *pq_pool_get(pq_pool *p) {
  unsigned char *obj;
  if (p->free_list) {
    obj = p->free_list;
    UNPOISON(obj, p->obj_size);
    p->free_list = *(void **)(void *)obj; /* the link in a free object's first word */
  } else {
    if (p->bump == p->bump_end) {
      if (p->obj_size == 0)
        return NULL; /* pool not initialised */
      slab *s = pq_malloc(slab_bytes(p));
      if (!s)
        return NULL;
      s->next = p->slabs;
      p->slabs = s;
      p->nslabs++;
      p->bump = (unsigned char *)(s + 1);
      p->bump_end = p->bump + p->obj_size * p->per_slab;
      POISON(p->bump, p->obj_size * p->per_slab);
    }
    obj = p->bump;
    p->bump += p->obj_size;
    UNPOISON(obj, p->obj_size);
  }
  p->in_use++;
  return obj;
}

void *pq_pool_zget(pq_pool *p) {
  void *obj = pq_pool_get(p);
  if (obj)
    memset(obj, 0, p->obj_size);
  return obj;
}

void pq_pool_put(pq_pool *p, void *obj) {
  if (!obj)
    return;
  *(void **)obj = p->free_list;
  p->free_list = obj;
  p->in_use--;
  POISON(obj, p->obj_size);
}

void pq_pool_free(pq_pool *p) {
  slab *s = p->slabs;
  while (s) {
    slab *next = s->next;
    UNPOISON(s, slab_bytes(p));
    pq_free(s);
    s = next;
  }
  p->free_list = NULL;
  p->bump = p->bump_end = NULL;
  p->slabs = NULL;
  p->in_use = 0;
  p->nslabs = 0;
}

size_t pq_pool_footprint(const pq_pool *p) {
  return p->nslabs * slab_bytes(p);
}
