/* Bump allocation in chunks of at least 64 KiB (see scratch.h). */
#include "pre/scratch.h"

#include <string.h>

#include "common/alloc.h"

#define MIN_CHUNK ((size_t)32 * 1024)
#define ALIGN 16u

struct pq_scratch_chunk {
  pq_scratch_chunk *prev;
  uint8_t *end; /* two pointers: the data after them stays 16-byte aligned */
};

void pq_scratch_init(pq_scratch *s) {
  s->head = NULL;
  s->cur = s->end = NULL;
}

static int grow(pq_scratch *s, size_t bytes) {
  size_t size = bytes > MIN_CHUNK ? bytes : MIN_CHUNK;
  if (size > SIZE_MAX - sizeof(pq_scratch_chunk))
    return -1;
  pq_scratch_chunk *c = pq_malloc(sizeof(*c) + size);
  if (!c)
    return -1;
  c->prev = s->head;
  s->cur = (uint8_t *)(c + 1);
  c->end = s->end = s->cur + size;
  s->head = c;
  return 0;
}

void *pq_scratch_alloc(pq_scratch *s, size_t n, size_t size) {
  if (size && n > (SIZE_MAX - ALIGN) / size)
    return NULL;
  size_t bytes = (n * size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
  if ((!s->head || (size_t)(s->end - s->cur) < bytes) && grow(s, bytes))
    return NULL;
  void *p = s->cur;
  s->cur += bytes;
  return p;
}

void *pq_scratch_calloc(pq_scratch *s, size_t n, size_t size) {
  void *p = pq_scratch_alloc(s, n, size);
  if (p)
    memset(p, 0, ((n * size + ALIGN - 1) & ~(size_t)(ALIGN - 1)));
  return p;
}

pq_scratch_mark pq_scratch_save(const pq_scratch *s) {
  pq_scratch_mark m = {s->head, s->cur};
  return m;
}

void pq_scratch_release(pq_scratch *s, pq_scratch_mark m) {
  while (s->head != m.head) {
    pq_scratch_chunk *c = s->head;
    s->head = c->prev;
    pq_free(c);
  }
  s->cur = m.head ? m.cur : NULL;
  s->end = m.head ? m.head->end : NULL;
}

void pq_scratch_free(pq_scratch *s) {
  pq_scratch_mark empty = {NULL, NULL};
  pq_scratch_release(s, empty);
}
