/* ACK frames: range validation, iteration over the encoded ranges, and
 * writing from a range list under a byte budget. */
#include "wire/frame.h"
#include "wire/frame_internal.h"
#include "wire/wire_error.h"

int pq_ack_ranges_walk(pq_rbuf *r, uint64_t count, uint64_t smallest, uint64_t *out,
                       const char **rule) {
  /* No bound on count is needed: each pair takes at least 2 input bytes. */
  for (uint64_t i = 0; i < count; i++) {
    uint64_t gap, len;
    if (!pq_get_varint(r, &gap) || !pq_get_varint(r, &len))
      return pq_wire_fail(rule, PQUIC_ERR_FRAME_ENCODING, "ACK frame truncated in its ranges");
    /* largest = smallest - gap - 2; then smallest = largest - len. */
    if (smallest < gap + 2 || smallest - gap - 2 < len)
      return pq_wire_fail(rule, PQUIC_ERR_FRAME_ENCODING,
                          "ACK range underflows below packet number 0");
    smallest = smallest - gap - 2 - len;
  }
  *out = smallest;
  return 0;
}

void pq_ack_iter_init(pq_ack_iter *it, const pq_ack_frame *a) {
  it->r = pq_rbuf_make(a->ranges, a->ranges_len);
  it->left = a->range_count;
  it->largest0 = a->largest;
  it->started = false;
  if (a->first_range > a->largest) { /* never from the decoder */
    it->started = true;
    it->left = 0;
  } else {
    it->smallest = a->largest - a->first_range;
  }
}

bool pq_ack_iter_next(pq_ack_iter *it, uint64_t *smallest, uint64_t *largest) {
  if (!it->started) {
    it->started = true;
    *smallest = it->smallest;
    *largest = it->largest0;
    return true;
  }
  if (it->left == 0)
    return false;
  uint64_t gap, len;
  if (!pq_get_varint(&it->r, &gap) || !pq_get_varint(&it->r, &len) || it->smallest < gap + 2 ||
      it->smallest - gap - 2 < len) {
    it->left = 0;
    return false;
  }
  it->left--;
  *largest = it->smallest - gap - 2;
  *smallest = *largest - len;
  it->smallest = *smallest;
  return true;
}

int pq_ack_frame_write(pq_wbuf *w, const pq_range *ranges, size_t n, uint64_t ack_delay,
                       const uint64_t ecn[3], size_t budget, size_t *n_written) {
  if (n == 0 || !ranges)
    return PQUIC_ERR_INVAL;
  const pq_range *top = &ranges[n - 1];
  if (top->lo > top->hi || top->hi > PQ_VARINT_MAX || ack_delay > PQ_VARINT_MAX)
    return PQUIC_ERR_INVAL;
  size_t fixed =
      1 + pq_varint_len(top->hi) + pq_varint_len(ack_delay) + pq_varint_len(top->hi - top->lo);
  if (ecn) {
    for (int i = 0; i < 3; i++) {
      if (ecn[i] > PQ_VARINT_MAX)
        return PQUIC_ERR_INVAL;
      fixed += pq_varint_len(ecn[i]);
    }
  }
  size_t limit = budget < pq_wbuf_left(w) ? budget : pq_wbuf_left(w);
  if (fixed + 1 > limit)
    return PQUIC_ERR_BUFFER_TOO_SMALL;
  /* Add ranges from the top down while the frame still fits; the Range
   * Count field grows with their number, so the size is recomputed. */
  size_t k = 0, extra = 0;
  for (size_t i = n - 1; i-- > 0;) {
    const pq_range *cur = &ranges[i], *prev = &ranges[i + 1];
    if (cur->lo > cur->hi || cur->hi >= prev->lo || prev->lo - cur->hi < 2)
      return PQUIC_ERR_INVAL;
    size_t pair = pq_varint_len(prev->lo - cur->hi - 2) + pq_varint_len(cur->hi - cur->lo);
    if (fixed + pq_varint_len(k + 1) + extra + pair > limit)
      break;
    extra += pair;
    k++;
  }
  /* Everything fits now. */
  (void)pq_put_u8(w, ecn ? PQ_FT_ACK_ECN : PQ_FT_ACK);
  (void)pq_put_varint(w, top->hi);
  (void)pq_put_varint(w, ack_delay);
  (void)pq_put_varint(w, k);
  (void)pq_put_varint(w, top->hi - top->lo);
  for (size_t j = 0; j < k; j++) {
    const pq_range *cur = &ranges[n - 2 - j], *prev = &ranges[n - 1 - j];
    (void)pq_put_varint(w, prev->lo - cur->hi - 2);
    (void)pq_put_varint(w, cur->hi - cur->lo);
  }
  if (ecn)
    for (int i = 0; i < 3; i++)
      (void)pq_put_varint(w, ecn[i]);
  if (n_written)
    *n_written = k + 1;
  return 0;
}
