/*
 * Stream receive buffer: reassembles STREAM (or CRYPTO) frame data that
 * arrives out of order, overlapping or duplicated, and hands it to the reader
 * in order.
 *
 * Data is copied into chunked storage (chunkq.h) allocated only where bytes
 * land: never a window-sized buffer up front. A `recvd` range set records
 * which offsets have arrived. When retransmitted data overlaps bytes already
 * received, the first copy is kept and the new bytes for those offsets are
 * ignored, even if they differ (RFC 9000 §2.2 lets a receiver treat that as
 * an error; we do not compare).
 *
 * Memory: chunk 0 grows with the data; every other chunk that receives a
 * byte is 16 KiB. A peer scattering tiny frames can thus make us hold up to
 * 16 KiB per touched chunk, bounded by the flow-control window the caller
 * enforces and by the range limit: an insert that would create more than
 * max_ranges separate received ranges is refused with PQUIC_ERR_LIMIT.
 *
 * Final size (RFC 9000 §4.5): known from a FIN or a RESET_STREAM; afterwards
 * data beyond it, or a different final size, is PQUIC_ERR_FINAL_SIZE, and so
 * is a final size below data already received.
 *
 * Flow control is the caller's: it compares pq_recvbuf_highest (the largest
 * offset + length seen, what the peer has consumed of our credit) with the
 * limit it advertised, and uses pq_recvbuf_read_off (bytes the application
 * consumed) to decide when to send MAX_STREAM_DATA.
 *
 * Complexity: insert O(len) copy + O(log r) on the r received ranges (O(1)
 * amortised in order); read O(len); accessors O(1).
 */
#ifndef PQ_COMMON_RECVBUF_H
#define PQ_COMMON_RECVBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/chunkq.h"
#include "common/ranges.h"

#define PQ_RECVBUF_DEFAULT_MAX_RANGES 1024u
#define PQ_FINAL_SIZE_UNKNOWN UINT64_MAX

typedef struct pq_recvbuf {
  pq_chunkq data;
  pq_ranges recvd;     /* offsets received (all of [0, read_off) included) */
  uint64_t read_off;   /* bytes consumed by the reader */
  uint64_t highest;    /* largest offset + length received */
  uint64_t final_size; /* PQ_FINAL_SIZE_UNKNOWN until a FIN or RESET */
  uint32_t max_ranges;
} pq_recvbuf;

/* An empty buffer with the default range limit. Allocates nothing. */
void pq_recvbuf_init(pq_recvbuf *rb);
/* Frees all memory; the buffer is empty again (final size forgotten). */
void pq_recvbuf_free(pq_recvbuf *rb);
/* Limit on separate received ranges (gaps + 1); at least 1. */
void pq_recvbuf_set_max_ranges(pq_recvbuf *rb, uint32_t max_ranges);

/*
 * Stores a copy of the bytes of a frame [off, off + len) not received before
 * (bytes below the read offset are dropped), and the final size if fin.
 * Errors: PQUIC_ERR_FLOW_CONTROL if off + len passes 2^62 - 1;
 * PQUIC_ERR_FINAL_SIZE as described above; PQUIC_ERR_LIMIT (range limit);
 * PQUIC_ERR_NOMEM. On error nothing changed.
 */
int pq_recvbuf_insert(pq_recvbuf *rb, uint64_t off, const void *data, size_t len, bool fin);

/*
 * A RESET_STREAM carrying final_size: checks and records it. Buffered data is
 * kept (pq_recvbuf_free discards it).
 * Errors: PQUIC_ERR_FLOW_CONTROL (above 2^62 - 1), PQUIC_ERR_FINAL_SIZE.
 */
int pq_recvbuf_reset(pq_recvbuf *rb, uint64_t final_size);

/* Bytes readable in order from the read offset. O(1). */
uint64_t pq_recvbuf_readable(const pq_recvbuf *rb);

/* Copies up to len readable bytes into dst and consumes them; returns the
 * count. Frees fully consumed chunks. Never fails. O(count). */
size_t pq_recvbuf_read(pq_recvbuf *rb, void *dst, size_t len);

/* Zero-copy read: pointer to the next readable byte and how many are
 * contiguous in memory (0 and NULL if none). Consume them with
 * pq_recvbuf_consume. O(1). */
size_t pq_recvbuf_peek(const pq_recvbuf *rb, const uint8_t **p);
/* Consumes n readable bytes. Errors: PQUIC_ERR_INVAL if n > readable. */
int pq_recvbuf_consume(pq_recvbuf *rb, uint64_t n);

static inline uint64_t pq_recvbuf_read_off(const pq_recvbuf *rb) {
  return rb->read_off;
}
static inline uint64_t pq_recvbuf_highest(const pq_recvbuf *rb) {
  return rb->highest;
}
static inline bool pq_recvbuf_final_known(const pq_recvbuf *rb) {
  return rb->final_size != PQ_FINAL_SIZE_UNKNOWN;
}
/* The final size, or PQ_FINAL_SIZE_UNKNOWN. */
static inline uint64_t pq_recvbuf_final_size(const pq_recvbuf *rb) {
  return rb->final_size;
}
/* Bytes received and not yet read (memory accounting, CRYPTO buffer limit
 * checks use highest - read_off instead). */
static inline uint64_t pq_recvbuf_buffered(const pq_recvbuf *rb) {
  return pq_ranges_total(&rb->recvd) - rb->read_off;
}
/* Every byte up to the final size has arrived ("Data Recvd"). */
bool pq_recvbuf_all_received(const pq_recvbuf *rb);
/* The reader consumed everything up to the final size ("Data Read"). */
static inline bool pq_recvbuf_finished(const pq_recvbuf *rb) {
  return rb->read_off == rb->final_size;
}
static inline size_t pq_recvbuf_allocated(const pq_recvbuf *rb) {
  return rb->data.allocated;
}

#endif
