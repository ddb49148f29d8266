/*
 * The allocator behind pl_malloc/pl_free/pl_realloc: segregated
 * power-of-two size classes carved from the heap area of a plugin's
 * region. Every operation is O(1) in bookkeeping: a free list pop or a
 * bump of the break (fresh blocks are zeroed, so a plugin never sees bytes
 * the host left in the region's memory).
 *
 * Blocks are 32 << c bytes (c < PQ_HEAP_CLASSES) with a 16-byte header
 * (magic, class, requested size) in front of a 16-byte aligned payload;
 * freed blocks go to their class's list, never merge or split. Cost:
 * internal fragmentation up to half a block plus the header, and memory
 * freed in one class serves only that class.
 *
 * The headers and the free-list links live in the region, where the
 * plugin may scribble: every offset read back is checked (inside the
 * heap, aligned, header of the right class) before use, so a corrupted
 * heap hurts only the plugin. The list heads and the break are host-side.
 */
#ifndef PQ_PLUGIN_HEAP_H
#define PQ_PLUGIN_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define PQ_HEAP_CLASSES 20 /* 32 B .. 16 MiB */
#define PQ_HEAP_HEADER 16

typedef struct pq_pl_heap {
  uint8_t *mem;                   /* the region */
  uint32_t lo, hi;                /* heap area [lo, hi) in the region */
  uint32_t brk;                   /* first never-allocated byte */
  uint32_t head[PQ_HEAP_CLASSES]; /* free lists: block offsets, 0 = empty */
} pq_pl_heap;

/* The heap area must be 16-aligned with lo > 0. */
void pq_pl_heap_init(pq_pl_heap *h, uint8_t *mem, uint32_t lo, uint32_t hi);

/* Offset of a payload of at least `size` bytes, or 0 if none is left. */
uint32_t pq_pl_heap_alloc(pq_pl_heap *h, uint64_t size);
/* Frees the block whose payload is at `off`. Returns 0, or -1 if `off` is
 * not a live block (wild or double free). */
int pq_pl_heap_free(pq_pl_heap *h, uint32_t off);
/* Resizes the block at `off` (0: allocates): *out is the same offset if
 * the block is large enough, else a new block holding the old payload.
 * Returns 0; 1 if no memory is left (the old block stays, *out = 0); -1 if
 * `off` is not a live block. size 0 frees the block (*out = 0). */
int pq_pl_heap_realloc(pq_pl_heap *h, uint32_t off, uint64_t size, uint32_t *out);
/* Payload capacity of the live block at `off` (0 if not one). */
uint32_t pq_pl_heap_capacity(const pq_pl_heap *h, uint32_t off);

#endif
