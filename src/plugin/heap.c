/* Segregated power-of-two allocator inside a plugin region (heap.h). */
#include "plugin/heap.h"

#include <string.h>

#define MAGIC_LIVE 0x504c4c00u /* "PLL" + class */
#define MAGIC_FREE 0x504c4600u /* "PLF" + class */
#define MIN_BLOCK 32u

static uint32_t rd32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static void wr32(uint8_t *p, uint32_t v) {
  memcpy(p, &v, 4);
}

static uint64_t block_size(unsigned c) {
  return (uint64_t)MIN_BLOCK << c;
}

/* Smallest class holding size + header, or PQ_HEAP_CLASSES if none. */
static unsigned class_of(uint64_t size) {
  uint64_t need = size + PQ_HEAP_HEADER;
  if (need < size)
    return PQ_HEAP_CLASSES;
  unsigned c = 0;
  while (c < PQ_HEAP_CLASSES && block_size(c) < need)
    c++;
  return c;
}

void pq_pl_heap_init(pq_pl_heap *h, uint8_t *mem, uint32_t lo, uint32_t hi) {
  memset(h, 0, sizeof *h);
  h->mem = mem;
  h->lo = lo;
  h->hi = hi;
  h->brk = lo;
}

/* The class of a block starting at `blk` whose header says `magic`, if the
 * block lies within the allocated part of the heap; -1 otherwise. */
static int block_class(const pq_pl_heap *h, uint32_t blk, uint32_t magic) {
  if (blk < h->lo || blk % 16 || (uint64_t)blk + MIN_BLOCK > h->brk)
    return -1;
  uint32_t m = rd32(h->mem + blk);
  if ((m & 0xffffff00u) != magic || (m & 0xffu) >= PQ_HEAP_CLASSES)
    return -1;
  unsigned c = m & 0xffu;
  if ((uint64_t)blk + block_size(c) > h->brk)
    return -1;
  return (int)c;
}

uint32_t pq_pl_heap_alloc(pq_pl_heap *h, uint64_t size) {
  unsigned c = class_of(size ? size : 1);
  if (c >= PQ_HEAP_CLASSES)
    return 0;
  uint32_t blk = h->head[c];
  if (blk) {
    if (block_class(h, blk, MAGIC_FREE) == (int)c) {
      h->head[c] = rd32(h->mem + blk + PQ_HEAP_HEADER);
    } else {
      h->head[c] = 0; /* the plugin overwrote its free list: forget it */
      blk = 0;
    }
  }
  if (!blk) {
    uint64_t bs = block_size(c);
    if ((uint64_t)h->brk + bs > h->hi)
      return 0;
    blk = h->brk;
    h->brk += (uint32_t)bs;
    memset(h->mem + blk, 0, (size_t)bs); /* never hand out the host's old bytes */
  }
  wr32(h->mem + blk, MAGIC_LIVE | c);
  wr32(h->mem + blk + 4, (uint32_t)(size > UINT32_MAX ? UINT32_MAX : size));
  return blk + PQ_HEAP_HEADER;
}

int pq_pl_heap_free(pq_pl_heap *h, uint32_t off) {
  if (off < PQ_HEAP_HEADER)
    return -1;
  uint32_t blk = off - PQ_HEAP_HEADER;
  int c = block_class(h, blk, MAGIC_LIVE);
  if (c < 0)
    return -1;
  wr32(h->mem + blk, MAGIC_FREE | (uint32_t)c);
  wr32(h->mem + off, h->head[c]);
  h->head[c] = blk;
  return 0;
}

uint32_t pq_pl_heap_capacity(const pq_pl_heap *h, uint32_t off) {
  if (off < PQ_HEAP_HEADER)
    return 0;
  int c = block_class(h, off - PQ_HEAP_HEADER, MAGIC_LIVE);
  return c < 0 ? 0 : (uint32_t)(block_size((unsigned)c) - PQ_HEAP_HEADER);
}

int pq_pl_heap_realloc(pq_pl_heap *h, uint32_t off, uint64_t size, uint32_t *out) {
  *out = 0;
  if (off == 0) {
    if (size == 0)
      return 0;
    *out = pq_pl_heap_alloc(h, size);
    return *out ? 0 : 1;
  }
  uint32_t cap = pq_pl_heap_capacity(h, off);
  if (cap == 0)
    return -1;
  if (size == 0)
    return pq_pl_heap_free(h, off);
  if (size <= cap) {
    wr32(h->mem + off - PQ_HEAP_HEADER + 4, (uint32_t)size);
    *out = off;
    return 0;
  }
  uint32_t n = pq_pl_heap_alloc(h, size);
  if (!n)
    return 1;
  memcpy(h->mem + n, h->mem + off, cap);
  (void)pq_pl_heap_free(h, off);
  *out = n;
  return 0;
}
