/*
 * Stream send buffer: the bytes an application wrote on a stream (or the TLS
 * handshake bytes of one CRYPTO stream), from when they are written until
 * the peer acknowledges them.
 *
 * Writes are copied into chunked storage (see chunkq.h: 16 KiB chunks, a
 * small first chunk, never one big reallocation). The sender asks for the
 * next range to send (lost ranges first, lowest offset first, then new data
 * up to a flow-control limit), copies bytes out of any still-stored range
 * into a packet, and reports what happened to each range it put in a packet:
 * sent, acknowledged or lost. Acknowledged data at the front is freed as soon
 * as it forms a contiguous prefix (chunk by chunk; everything once all data
 * is acknowledged).
 *
 * Bookkeeping uses two range sets: `acked` (offsets acknowledged) and `lost`
 * (offsets to resend: always sent, never acknowledged; losing acknowledged
 * data is a no-op). Invariants: [0, sent_hi) has been sent at least once;
 * lost is within [0, sent_hi) and disjoint from acked.
 *
 * Complexity: write O(len) copy plus amortised O(1) allocation; next, the
 * accessors O(1); sent/ack/lost O(log r + r') on range sets of r ranges
 * (O(1) amortised for in-order acknowledgements); copy O(len).
 */
#ifndef PQ_COMMON_SENDBUF_H
#define PQ_COMMON_SENDBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/chunkq.h"
#include "common/ranges.h"

/* The largest stream offset QUIC can express: 2^62 - 1 (RFC 9000 §19.8). */
#define PQ_STREAM_MAX_OFFSET ((UINT64_C(1) << 62) - 1)

enum {
  PQ_SENDBUF_STREAM = 0, /* a STREAM: may end with a FIN */
  PQ_SENDBUF_CRYPTO = 1, /* a CRYPTO stream: no FIN, done when all is acked */
};

typedef struct pq_sendbuf {
  pq_chunkq data;
  pq_ranges acked;
  pq_ranges lost;
  uint64_t written;      /* bytes appended: the end offset */
  uint64_t sent_hi;      /* [0, sent_hi) sent at least once */
  uint64_t acked_prefix; /* [0, acked_prefix) acknowledged */
  uint8_t crypto;
  uint8_t fin;      /* FIN requested: final size == written */
  uint8_t fin_sent; /* FIN sent at least once */
  uint8_t fin_acked;
  uint8_t fin_lost; /* FIN must be sent again */
} pq_sendbuf;

/* A range to put in a frame: [off, off + len), plus the FIN bit. */
typedef struct pq_sendbuf_range {
  uint64_t off;
  uint64_t len;
  bool fin;        /* the frame carries the FIN (off + len is the final size) */
  bool retransmit; /* these bytes (or this FIN) were sent before and lost */
} pq_sendbuf_range;

/* An empty buffer; mode is PQ_SENDBUF_STREAM or PQ_SENDBUF_CRYPTO. Never
 * fails, allocates nothing. */
void pq_sendbuf_init(pq_sendbuf *sb, int mode);
/* Frees all memory (use it for a reset stream or discarded keys too). */
void pq_sendbuf_free(pq_sendbuf *sb);

/*
 * Appends a copy of len bytes. O(len).
 * Errors: PQUIC_ERR_STATE after pq_sendbuf_fin; PQUIC_ERR_LIMIT if the end
 * offset would pass 2^62 - 1; PQUIC_ERR_NOMEM. On error nothing changed.
 */
int pq_sendbuf_write(pq_sendbuf *sb, const void *data, size_t len);

/* Ends the stream: the final size is the current end offset. Idempotent.
 * Errors: PQUIC_ERR_STATE in CRYPTO mode. */
int pq_sendbuf_fin(pq_sendbuf *sb);

/*
 * The next range to send, or false when there is nothing: first the lowest
 * lost range, then new data from sent_hi below the flow-control limit
 * `max_off` (new data never goes past it; pass UINT64_MAX for CRYPTO), then a
 * FIN that still needs sending (len 0 at the final size). The range is at most
 * max_len bytes long; fin is set only when it reaches the final size. With
 * max_len == 0 only a bare FIN can be returned. Nothing changes until the
 * caller reports the range with pq_sendbuf_sent. O(1).
 */
bool pq_sendbuf_next(const pq_sendbuf *sb, uint64_t max_off, uint64_t max_len,
                     pq_sendbuf_range *out);

/*
 * Copies bytes [off, off + len) into dst (they may span chunks). O(len).
 * Errors: PQUIC_ERR_INVAL if the range ends past the written data or starts
 * below the acknowledged prefix (that memory may have been freed).
 */
int pq_sendbuf_copy(const pq_sendbuf *sb, uint64_t off, void *dst, size_t len);

/* Zero-copy access: pointer to the byte at off and the number of bytes
 * readable contiguously from it (within one chunk, not past the written
 * data); 0 and NULL if off is below the acknowledged prefix or at/after the
 * end. O(1). */
size_t pq_sendbuf_peek(const pq_sendbuf *sb, uint64_t off, const uint8_t **p);

/*
 * Records that [off, off + len) (and the FIN if fin) went out in a packet: it
 * is no longer lost, and sent_hi advances past it. New data must continue
 * from sent_hi without a gap.
 * Errors: PQUIC_ERR_INVAL if the range passes the written data, leaves a gap
 * after sent_hi, or fin is set without a FIN at off + len; PQUIC_ERR_NOMEM
 * (resending the middle of a lost range splits it). On error nothing changed.
 * Never fails when [off, off + len) starts where the range returned by
 * pq_sendbuf_next starts and is no longer (with that range's fin, or none):
 * that only trims the front of a lost range or extends sent_hi.
 */
int pq_sendbuf_sent(pq_sendbuf *sb, uint64_t off, uint64_t len, bool fin);

/*
 * Records that the peer acknowledged [off, off + len) (and the FIN if fin).
 * Acknowledged bytes leave the lost set; the contiguous acknowledged prefix
 * is freed. Acknowledging twice is harmless.
 * Errors: PQUIC_ERR_INVAL if the range was never sent (passes sent_hi) or fin
 * is set but no FIN was sent; PQUIC_ERR_NOMEM. On error nothing changed.
 */
int pq_sendbuf_ack(pq_sendbuf *sb, uint64_t off, uint64_t len, bool fin);

/*
 * Records that the packet carrying [off, off + len) (and the FIN if fin) was
 * declared lost: the parts not yet acknowledged will be offered again by
 * pq_sendbuf_next. Already acknowledged parts are ignored.
 * Errors: PQUIC_ERR_INVAL as for pq_sendbuf_ack; PQUIC_ERR_NOMEM. On error
 * nothing changed.
 */
int pq_sendbuf_lost(pq_sendbuf *sb, uint64_t off, uint64_t len, bool fin);

/* Bytes written: the end offset (the final size once FIN is set). */
static inline uint64_t pq_sendbuf_written(const pq_sendbuf *sb) {
  return sb->written;
}
/* Bytes held for the application's send-buffer limit: written but not in
 * the acknowledged prefix. */
static inline uint64_t pq_sendbuf_buffered(const pq_sendbuf *sb) {
  return sb->written - sb->acked_prefix;
}
/* End of the data sent at least once; flow control counts only new bytes,
 * i.e. increases of this value. */
static inline uint64_t pq_sendbuf_sent_hi(const pq_sendbuf *sb) {
  return sb->sent_hi;
}
static inline uint64_t pq_sendbuf_acked_prefix(const pq_sendbuf *sb) {
  return sb->acked_prefix;
}
/* Bytes written but never sent. */
static inline uint64_t pq_sendbuf_unsent(const pq_sendbuf *sb) {
  return sb->written - sb->sent_hi;
}
/* True when lost data waits to be resent. */
static inline bool pq_sendbuf_has_lost(const pq_sendbuf *sb) {
  return !pq_ranges_empty(&sb->lost);
}
static inline bool pq_sendbuf_fin_set(const pq_sendbuf *sb) {
  return sb->fin;
}
static inline bool pq_sendbuf_fin_sent(const pq_sendbuf *sb) {
  return sb->fin_sent;
}
static inline bool pq_sendbuf_fin_acked(const pq_sendbuf *sb) {
  return sb->fin_acked;
}
/* Everything is acknowledged: all written bytes, and the FIN for a STREAM
 * (a STREAM without FIN is never done). */
static inline bool pq_sendbuf_all_acked(const pq_sendbuf *sb) {
  return sb->acked_prefix == sb->written && (sb->crypto || sb->fin_acked);
}
/* Bytes of chunk memory held (for memory accounting). */
static inline size_t pq_sendbuf_allocated(const pq_sendbuf *sb) {
  return sb->data.allocated;
}

#endif
