#include "common/recvbuf.h"

#include <string.h>

#include "common/sendbuf.h" /* PQ_STREAM_MAX_OFFSET */
#include "pquic/errors.h"

void pq_recvbuf_init(pq_recvbuf *rb) {
  memset(rb, 0, sizeof(*rb));
  pq_chunkq_init(&rb->data);
  pq_ranges_init(&rb->recvd);
  rb->final_size = PQ_FINAL_SIZE_UNKNOWN;
  rb->max_ranges = PQ_RECVBUF_DEFAULT_MAX_RANGES;
}

void pq_recvbuf_free(pq_recvbuf *rb) {
  uint32_t max = rb->max_ranges;
  pq_chunkq_free(&rb->data);
  pq_ranges_free(&rb->recvd);
  pq_recvbuf_init(rb);
  rb->max_ranges = max;
}

void pq_recvbuf_set_max_ranges(pq_recvbuf *rb, uint32_t max_ranges) {
  rb->max_ranges = max_ranges ? max_ranges : 1;
}

/* End of the in-order data received from offset 0. */
static uint64_t contig_end(const pq_recvbuf *rb) {
  const pq_range *f = pq_ranges_first(&rb->recvd);
  return f && f->lo == 0 ? f->hi + 1 : 0;
}

uint64_t pq_recvbuf_readable(const pq_recvbuf *rb) {
  return contig_end(rb) - rb->read_off;
}

bool pq_recvbuf_all_received(const pq_recvbuf *rb) {
  return pq_recvbuf_final_known(rb) && contig_end(rb) == rb->final_size;
}

/* Records the final size; if the reader already consumed everything, the
 * storage it kept (a partly read chunk) is no longer needed. */
static void set_final(pq_recvbuf *rb, uint64_t final_size) {
  rb->final_size = final_size;
  if (rb->read_off == final_size)
    pq_chunkq_clear(&rb->data);
}

static int check_final(const pq_recvbuf *rb, uint64_t end, bool fin) {
  if (pq_recvbuf_final_known(rb))
    return end > rb->final_size || (fin && end != rb->final_size) ? PQUIC_ERR_FINAL_SIZE : 0;
  return fin && end < rb->highest ? PQUIC_ERR_FINAL_SIZE : 0;
}

/* Copies the bytes of [lo, end) that have not been received, taken from the
 * frame data starting at offset `off`. */
static void store_new(pq_recvbuf *rb, uint64_t off, const uint8_t *data, uint64_t lo,
                      uint64_t end) {
  uint64_t cur = lo;
  for (uint32_t i = pq_ranges_lower_bound(&rb->recvd, lo); i < pq_ranges_count(&rb->recvd); i++) {
    const pq_range *r = pq_ranges_at(&rb->recvd, i);
    if (r->lo >= end)
      break;
    if (r->lo > cur)
      pq_chunkq_write(&rb->data, cur, data + (cur - off), (size_t)(r->lo - cur));
    cur = r->hi + 1;
    if (cur >= end)
      return;
  }
  pq_chunkq_write(&rb->data, cur, data + (cur - off), (size_t)(end - cur));
}

int pq_recvbuf_insert(pq_recvbuf *rb, uint64_t off, const void *data, size_t len, bool fin) {
  if (off > PQ_STREAM_MAX_OFFSET || len > PQ_STREAM_MAX_OFFSET - off)
    return PQUIC_ERR_FLOW_CONTROL;
  uint64_t end = off + len;
  int err = check_final(rb, end, fin);
  if (err)
    return err;
  uint64_t lo = off > rb->read_off ? off : rb->read_off;
  if (lo < end) {
    /* Would [lo, end) become a range of its own (touching no other)? */
    uint32_t i = pq_ranges_lower_bound(&rb->recvd, lo == 0 ? 0 : lo - 1);
    bool alone = i == pq_ranges_count(&rb->recvd) || pq_ranges_at(&rb->recvd, i)->lo > end;
    if (alone && pq_ranges_count(&rb->recvd) >= rb->max_ranges)
      return PQUIC_ERR_LIMIT;
    if ((err = pq_ranges_reserve(&rb->recvd, 1)))
      return err;
    if ((err = pq_chunkq_reserve(&rb->data, lo, end - lo)))
      return err;
    store_new(rb, off, data, lo, end);
    (void)pq_ranges_add(&rb->recvd, lo, end - 1, NULL);
  }
  if (end > rb->highest)
    rb->highest = end;
  if (fin)
    set_final(rb, end);
  return 0;
}

int pq_recvbuf_reset(pq_recvbuf *rb, uint64_t final_size) {
  if (final_size > PQ_STREAM_MAX_OFFSET)
    return PQUIC_ERR_FLOW_CONTROL;
  int err = check_final(rb, final_size, true);
  if (err)
    return err;
  set_final(rb, final_size);
  return 0;
}

/* Frees what the reader is done with. */
static void release(pq_recvbuf *rb) {
  if (rb->read_off == rb->final_size)
    pq_chunkq_clear(&rb->data);
  else
    pq_chunkq_release_below(&rb->data, rb->read_off);
}

size_t pq_recvbuf_read(pq_recvbuf *rb, void *dst, size_t len) {
  uint64_t avail = pq_recvbuf_readable(rb);
  size_t n = avail < len ? (size_t)avail : len;
  if (n == 0)
    return 0;
  pq_chunkq_read(&rb->data, rb->read_off, dst, n);
  rb->read_off += n;
  release(rb);
  return n;
}

size_t pq_recvbuf_peek(const pq_recvbuf *rb, const uint8_t **p) {
  uint64_t avail = pq_recvbuf_readable(rb);
  *p = NULL;
  if (avail == 0)
    return 0;
  size_t n = pq_chunkq_peek(&rb->data, rb->read_off, p);
  return avail < n ? (size_t)avail : n;
}

int pq_recvbuf_consume(pq_recvbuf *rb, uint64_t n) {
  if (n > pq_recvbuf_readable(rb))
    return PQUIC_ERR_INVAL;
  rb->read_off += n;
  release(rb);
  return 0;
}
