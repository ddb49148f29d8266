/*
 * Chunked byte storage indexed by stream offset, shared by the stream send
 * and receive buffers. Offsets are split into 16 KiB chunks; chunk k holds
 * offsets [k * 16 KiB, (k + 1) * 16 KiB). The queue keeps a dense array of
 * chunk descriptors for chunk numbers [base, base + n) (an entry may have no
 * memory yet: the receive buffer allocates only chunks that data lands in),
 * so finding the chunk of an offset is O(1), and chunks are released from the
 * front as data is acknowledged or read. Memory for descriptors: 16 bytes per
 * 16 KiB of offsets between the lowest and highest chunk held.
 *
 * Chunk 0 starts small (64 bytes, doubled as needed up to 16 KiB), so a
 * stream that carries a few hundred bytes costs a few hundred bytes; any
 * other chunk is allocated whole, because a stream that got that far is a
 * bulk transfer and growing would cost copies. Nothing ever reallocates more
 * than 16 KiB at once.
 *
 * Callers track which bytes are valid; this layer only stores them.
 */
#ifndef PQ_COMMON_CHUNKQ_H
#define PQ_COMMON_CHUNKQ_H

#include <stddef.h>
#include <stdint.h>

#define PQ_CHUNK_SHIFT 14
#define PQ_CHUNK_SIZE (1u << PQ_CHUNK_SHIFT)

typedef struct pq_chunk {
  uint8_t *mem;   /* NULL until some byte of the chunk is reserved */
  uint32_t cap;   /* bytes allocated: offsets [k * size, k * size + cap) */
  uint32_t fresh; /* allocated by the reserve call in progress */
} pq_chunk;

typedef struct pq_chunkq {
  pq_chunk *v;   /* entries v[head .. head + n) */
  uint32_t head; /* index of chunk `base` in v */
  uint32_t n;
  uint32_t cap;
  uint64_t base;    /* chunk number of v[head] */
  size_t allocated; /* bytes of chunk memory held */
} pq_chunkq;

void pq_chunkq_init(pq_chunkq *q);
/* Frees all memory; the queue is empty and usable again. */
void pq_chunkq_free(pq_chunkq *q);

/*
 * Makes bytes [off, off + len) storable: every chunk they touch gets memory
 * reaching at least off + len. All or nothing. O(chunks touched) plus an
 * amortised O(1) growth of the descriptor array.
 * Reserving below the first chunk held prepends descriptors (the receive
 * buffer does so after data landed far ahead); callers never reserve below
 * what they released.
 * Errors: PQUIC_ERR_INVAL if off + len overflows; PQUIC_ERR_NOMEM,
 * PQUIC_ERR_LIMIT (descriptors would span more than 2^26 chunks). On error
 * no byte of memory is held that was not held before.
 */
int pq_chunkq_reserve(pq_chunkq *q, uint64_t off, uint64_t len);

/* Copies len bytes in at off; [off, off + len) must have been reserved. */
void pq_chunkq_write(pq_chunkq *q, uint64_t off, const void *data, size_t len);
/* Copies len bytes at off out; they must be reserved (and, for meaningful
 * contents, written). */
void pq_chunkq_read(const pq_chunkq *q, uint64_t off, void *dst, size_t len);

/* Pointer to the byte at off and how many bytes are stored contiguously from
 * there (to the end of its chunk's memory); 0 and NULL when off is not
 * stored. O(1). */
size_t pq_chunkq_peek(const pq_chunkq *q, uint64_t off, const uint8_t **p);

/* Frees every chunk lying wholly below off. O(chunks freed). */
void pq_chunkq_release_below(pq_chunkq *q, uint64_t off);
/* Frees every chunk; the next reserve may start anywhere. */
void pq_chunkq_clear(pq_chunkq *q);

#endif
