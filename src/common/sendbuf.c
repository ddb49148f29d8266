#include "common/sendbuf.h"

#include <string.h>

#include "common/alloc.h"
#include "pquic/errors.h"

void pq_sendbuf_init(pq_sendbuf *sb, int mode) {
  memset(sb, 0, sizeof(*sb));
  pq_chunkq_init(&sb->data);
  pq_ranges_init(&sb->acked);
  pq_ranges_init(&sb->lost);
  sb->crypto = mode == PQ_SENDBUF_CRYPTO;
}

void pq_sendbuf_free(pq_sendbuf *sb) {
  pq_chunkq_free(&sb->data);
  pq_ranges_free(&sb->acked);
  pq_ranges_free(&sb->lost);
  pq_sendbuf_init(sb, sb->crypto ? PQ_SENDBUF_CRYPTO : PQ_SENDBUF_STREAM);
}

int pq_sendbuf_write(pq_sendbuf *sb, const void *data, size_t len) {
  if (sb->fin)
    return PQUIC_ERR_STATE;
  if (len == 0)
    return 0;
  if (len > PQ_STREAM_MAX_OFFSET - sb->written)
    return PQUIC_ERR_LIMIT;
  int err = pq_chunkq_reserve(&sb->data, sb->written, len);
  if (err)
    return err;
  pq_chunkq_write(&sb->data, sb->written, data, len);
  sb->written += len;
  return 0;
}

int pq_sendbuf_fin(pq_sendbuf *sb) {
  if (sb->crypto)
    return PQUIC_ERR_STATE;
  sb->fin = 1;
  return 0;
}

/* The FIN has to go out (again). */
static bool needs_fin(const pq_sendbuf *sb) {
  return sb->fin && !sb->fin_acked && (!sb->fin_sent || sb->fin_lost);
}

bool pq_sendbuf_next(const pq_sendbuf *sb, uint64_t max_off, uint64_t max_len,
                     pq_sendbuf_range *out) {
  if (max_len > 0 && !pq_ranges_empty(&sb->lost)) {
    const pq_range *r = pq_ranges_first(&sb->lost);
    uint64_t len = r->hi - r->lo + 1;
    if (len > max_len)
      len = max_len;
    *out = (pq_sendbuf_range){r->lo, len, needs_fin(sb) && r->lo + len == sb->written, true};
    return true;
  }
  if (max_len > 0 && sb->sent_hi < sb->written && sb->sent_hi < max_off) {
    uint64_t end = sb->written < max_off ? sb->written : max_off;
    uint64_t len = end - sb->sent_hi;
    if (len > max_len)
      len = max_len;
    *out = (pq_sendbuf_range){sb->sent_hi, len, needs_fin(sb) && sb->sent_hi + len == sb->written,
                              false};
    return true;
  }
  if (needs_fin(sb) && sb->sent_hi == sb->written) {
    *out = (pq_sendbuf_range){sb->written, 0, true, sb->fin_sent};
    return true;
  }
  return false;
}

int pq_sendbuf_copy(const pq_sendbuf *sb, uint64_t off, void *dst, size_t len) {
  if (off < sb->acked_prefix || off > sb->written || len > sb->written - off)
    return PQUIC_ERR_INVAL;
  pq_chunkq_read(&sb->data, off, dst, len);
  return 0;
}

size_t pq_sendbuf_peek(const pq_sendbuf *sb, uint64_t off, const uint8_t **p) {
  *p = NULL;
  if (off < sb->acked_prefix || off >= sb->written)
    return 0;
  size_t n = pq_chunkq_peek(&sb->data, off, p);
  if (n > sb->written - off)
    n = (size_t)(sb->written - off);
  return n;
}

int pq_sendbuf_sent(pq_sendbuf *sb, uint64_t off, uint64_t len, bool fin) {
  if (off > sb->written || len > sb->written - off)
    return PQUIC_ERR_INVAL;
  uint64_t end = off + len;
  if (end > sb->sent_hi && off > sb->sent_hi)
    return PQUIC_ERR_INVAL;
  if (fin && (!sb->fin || end != sb->written))
    return PQUIC_ERR_INVAL;
  if (len > 0) {
    int err = pq_ranges_remove(&sb->lost, off, end - 1, NULL);
    if (err)
      return err;
  }
  if (end > sb->sent_hi)
    sb->sent_hi = end;
  if (fin) {
    sb->fin_sent = 1;
    sb->fin_lost = 0;
  }
  return 0;
}

/* Checks a range reported acknowledged or lost: it must have been sent. */
static int check_sent(const pq_sendbuf *sb, uint64_t off, uint64_t len, bool fin) {
  if (off > sb->sent_hi || len > sb->sent_hi - off)
    return PQUIC_ERR_INVAL;
  if (fin && !sb->fin_sent)
    return PQUIC_ERR_INVAL;
  return 0;
}

int pq_sendbuf_ack(pq_sendbuf *sb, uint64_t off, uint64_t len, bool fin) {
  int err = check_sent(sb, off, len, fin);
  if (err)
    return err;
  uint64_t end = off + len;
  if (len > 0 && end > sb->acked_prefix) {
    /* Both changes below create at most one range each: reserve first so
     * that they cannot fail half way. */
    if ((err = pq_ranges_reserve(&sb->acked, 1)) || (err = pq_ranges_reserve(&sb->lost, 1)))
      return err;
    (void)pq_ranges_add(&sb->acked, off, end - 1, NULL);
    (void)pq_ranges_remove(&sb->lost, off, end - 1, NULL);
    const pq_range *first = pq_ranges_first(&sb->acked);
    uint64_t prefix = first->lo == 0 ? first->hi + 1 : 0;
    if (prefix > sb->acked_prefix) {
      sb->acked_prefix = prefix;
      if (prefix == sb->written)
        pq_chunkq_clear(&sb->data);
      else
        pq_chunkq_release_below(&sb->data, prefix);
    }
  }
  if (fin) {
    sb->fin_acked = 1;
    sb->fin_lost = 0;
  }
  return 0;
}

/* Counts the maximal sub-ranges of [lo, hi] that are not acknowledged and,
 * if `add`, adds them to the lost set. */
static uint32_t unacked_gaps(pq_sendbuf *sb, uint64_t lo, uint64_t hi, bool add) {
  uint32_t gaps = 0;
  uint64_t cur = lo;
  for (uint32_t i = pq_ranges_lower_bound(&sb->acked, lo); i < pq_ranges_count(&sb->acked); i++) {
    const pq_range *r = pq_ranges_at(&sb->acked, i);
    if (r->lo > hi)
      break;
    if (r->lo > cur) {
      gaps++;
      if (add)
        (void)pq_ranges_add(&sb->lost, cur, r->lo - 1, NULL);
    }
    cur = r->hi + 1;
    if (cur > hi)
      return gaps;
  }
  gaps++;
  if (add)
    (void)pq_ranges_add(&sb->lost, cur, hi, NULL);
  return gaps;
}

int pq_sendbuf_lost(pq_sendbuf *sb, uint64_t off, uint64_t len, bool fin) {
  int err = check_sent(sb, off, len, fin);
  if (err)
    return err;
  uint64_t end = off + len;
  if (len > 0 && end > sb->acked_prefix) {
    uint64_t lo = off > sb->acked_prefix ? off : sb->acked_prefix;
    /* Count the unacknowledged pieces, make room for as many new ranges,
     * then add them: all or nothing. */
    uint32_t gaps = unacked_gaps(sb, lo, end - 1, false);
    if ((err = pq_ranges_reserve(&sb->lost, gaps)))
      return err;
    (void)unacked_gaps(sb, lo, end - 1, true);
  }
  if (fin && !sb->fin_acked)
    sb->fin_lost = 1;
  return 0;
}
