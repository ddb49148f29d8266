/* Bump allocation in chunks of at least 32 KiB (see scratch.h). */
#include "pre/scratch.h"

#include "common/alloc.h"

#define MIN_CHUNK ((size_t)32 * 1024)

struct pq_scratch_chunk {
  pq_scratch_chunk *prev;
  uint8_t *end; /* two pointers: the data after them stays 16-byte aligned */
};

void pq_scratch_init(pq_scratch *s) {
  s->head = NULL;
  s->cur = s->end = NULL;
}

int pq_scratch_grow(pq_scratch *s, size_t bytes) {
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
