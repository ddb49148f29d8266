/* STREAM and CRYPTO frames written in place: how much data fits a budget,
 * and headers the caller appends data to. */
#include "wire/frame.h"

#include "pquic/errors.h"

/* Largest d <= avail with d + (Length field for d) <= rem, or with no Length
 * field d <= rem. */
static size_t fit_data(size_t avail, size_t rem, bool with_len) {
  if (!with_len)
    return avail < rem ? avail : rem;
  /* Try each Length width; the best one that is self-consistent wins. */
  static const size_t widths[4] = {1, 2, 4, 8};
  static const uint64_t maxv[4] = {63, 16383, (UINT64_C(1) << 30) - 1, PQ_VARINT_MAX};
  size_t best = 0;
  for (int i = 0; i < 4; i++) {
    if (rem < widths[i])
      break;
    uint64_t d = rem - widths[i];
    if (d > avail)
      d = avail;
    if (d > maxv[i])
      d = maxv[i];
    if (d > best)
      best = (size_t)d;
  }
  return best;
}

bool pq_stream_frame_fit(uint64_t stream_id, uint64_t offset, size_t avail, size_t budget,
                         bool with_len, size_t *data_len) {
  if (stream_id > PQ_VARINT_MAX || offset > PQ_MAX_STREAM_OFFSET)
    return false;
  size_t hdr = pq_stream_header_len(stream_id, offset, 0, with_len);
  if (budget < hdr)
    return false;
  if (avail > PQ_MAX_STREAM_OFFSET - offset)
    avail = (size_t)(PQ_MAX_STREAM_OFFSET - offset);
  /* hdr counted a one-byte Length; fit_data accounts for the real one. */
  size_t rem = budget - hdr + (with_len ? 1 : 0);
  *data_len = fit_data(avail, rem, with_len);
  return true;
}

int pq_stream_header_write(pq_wbuf *w, uint64_t stream_id, uint64_t offset, size_t data_len,
                           bool fin, bool with_len) {
  if (stream_id > PQ_VARINT_MAX || offset > PQ_MAX_STREAM_OFFSET ||
      data_len > PQ_MAX_STREAM_OFFSET - offset)
    return PQUIC_ERR_INVAL;
  size_t hdr = pq_stream_header_len(stream_id, offset, data_len, with_len);
  if (pq_wbuf_left(w) < hdr || pq_wbuf_left(w) - hdr < data_len)
    return PQUIC_ERR_BUFFER_TOO_SMALL;
  uint8_t type = PQ_FT_STREAM | (offset ? PQ_STREAM_BIT_OFF : 0) |
                 (with_len ? PQ_STREAM_BIT_LEN : 0) | (fin ? PQ_STREAM_BIT_FIN : 0);
  (void)pq_put_u8(w, type);
  (void)pq_put_varint(w, stream_id);
  if (offset)
    (void)pq_put_varint(w, offset);
  if (with_len)
    (void)pq_put_varint(w, data_len);
  return 0;
}

int pq_stream_frame_write(pq_wbuf *w, uint64_t stream_id, uint64_t offset, const uint8_t *data,
                          size_t data_len, bool fin, bool with_len) {
  if (data_len && !data)
    return PQUIC_ERR_INVAL;
  int rc = pq_stream_header_write(w, stream_id, offset, data_len, fin, with_len);
  if (rc == 0)
    (void)pq_put_bytes(w, data, data_len);
  return rc;
}

bool pq_crypto_frame_fit(uint64_t offset, size_t avail, size_t budget, size_t *data_len) {
  if (offset > PQ_MAX_STREAM_OFFSET)
    return false;
  size_t hdr = 1 + pq_varint_len(offset) + 1;
  if (budget < hdr)
    return false;
  if (avail > PQ_MAX_STREAM_OFFSET - offset)
    avail = (size_t)(PQ_MAX_STREAM_OFFSET - offset);
  *data_len = fit_data(avail, budget - hdr + 1, true);
  return true;
}

int pq_crypto_header_write(pq_wbuf *w, uint64_t offset, size_t data_len) {
  if (offset > PQ_MAX_STREAM_OFFSET || data_len > PQ_MAX_STREAM_OFFSET - offset)
    return PQUIC_ERR_INVAL;
  size_t hdr = 1 + pq_varint_len(offset) + pq_varint_len(data_len);
  if (pq_wbuf_left(w) < hdr || pq_wbuf_left(w) - hdr < data_len)
    return PQUIC_ERR_BUFFER_TOO_SMALL;
  (void)pq_put_u8(w, PQ_FT_CRYPTO);
  (void)pq_put_varint(w, offset);
  (void)pq_put_varint(w, data_len);
  return 0;
}
