/* Generic frame encoding: one routine both measures (dry run) and writes,
 * so size and bytes cannot disagree. */
#include <string.h>

#include "wire/frame.h"
#include "wire/frame_internal.h"

#include "pquic/errors.h"

typedef struct emitter {
  uint8_t *p; /* NULL on a dry run */
  size_t n;   /* bytes emitted so far */
  bool ok;    /* false once a field cannot be encoded */
} emitter;

static void e_varint(emitter *e, uint64_t v) {
  size_t len = pq_varint_len(v);
  if (len == 0) {
    e->ok = false;
    return;
  }
  if (e->p) {
    pq_wbuf w = pq_wbuf_make(e->p + e->n, len);
    (void)pq_put_varint_n(&w, v, len);
  }
  e->n += len;
}

static void e_bytes(emitter *e, const uint8_t *b, size_t len) {
  if (len && !b) {
    e->ok = false;
    return;
  }
  if (e->p && len)
    memcpy(e->p + e->n, b, len);
  e->n += len;
}

static void e_u8(emitter *e, uint8_t v) {
  e_bytes(e, &v, 1);
}

static void emit_ack(emitter *e, const pq_frame *f) {
  const pq_ack_frame *a = &f->u.ack;
  /* The raw ranges must be what the decoder accepts. */
  pq_rbuf r = pq_rbuf_make(a->ranges, a->ranges_len);
  uint64_t smallest;
  if (a->first_range > a->largest ||
      pq_ack_ranges_walk(&r, a->range_count, a->largest - a->first_range, &smallest, NULL) < 0 ||
      pq_rbuf_left(&r) != 0) {
    e->ok = false;
    return;
  }
  e_varint(e, a->largest);
  e_varint(e, a->ack_delay);
  e_varint(e, a->range_count);
  e_varint(e, a->first_range);
  e_bytes(e, a->ranges, a->ranges_len);
  if (f->type == PQ_FT_ACK_ECN)
    for (int i = 0; i < 3; i++)
      e_varint(e, a->ecn[i]);
}

static void emit_stream(emitter *e, const pq_frame *f) {
  const pq_stream_frame *s = &f->u.stream;
  bool off = s->offset != 0 || (f->type & PQ_STREAM_BIT_OFF);
  bool len = (f->type & PQ_STREAM_BIT_LEN) != 0;
  if (s->offset > PQ_MAX_STREAM_OFFSET || s->len > PQ_MAX_STREAM_OFFSET - s->offset) {
    e->ok = false;
    return;
  }
  e_u8(e, (uint8_t)(PQ_FT_STREAM | (off ? PQ_STREAM_BIT_OFF : 0) | (len ? PQ_STREAM_BIT_LEN : 0) |
                    (s->fin ? PQ_STREAM_BIT_FIN : 0)));
  e_varint(e, s->stream_id);
  if (off)
    e_varint(e, s->offset);
  if (len)
    e_varint(e, s->len);
  e_bytes(e, s->data, s->len);
}

static void emit_len_bytes(emitter *e, const uint8_t *b, size_t len) {
  e_varint(e, len);
  e_bytes(e, b, len);
}

static void emit_body(emitter *e, const pq_frame *f) {
  switch (f->type) {
  case PQ_FT_PADDING:
    if (f->u.padding.len == 0) {
      e->ok = false;
      return;
    }
    if (e->p)
      memset(e->p + e->n, 0, f->u.padding.len - 1);
    e->n += f->u.padding.len - 1; /* the type byte was the first */
    return;
  case PQ_FT_PING:
  case PQ_FT_HANDSHAKE_DONE:
    return;
  case PQ_FT_ACK:
  case PQ_FT_ACK_ECN:
    emit_ack(e, f);
    return;
  case PQ_FT_RESET_STREAM:
    e_varint(e, f->u.reset_stream.stream_id);
    e_varint(e, f->u.reset_stream.app_error);
    e_varint(e, f->u.reset_stream.final_size);
    return;
  case PQ_FT_STOP_SENDING:
    e_varint(e, f->u.stop_sending.stream_id);
    e_varint(e, f->u.stop_sending.app_error);
    return;
  case PQ_FT_CRYPTO: {
    const pq_crypto_frame *c = &f->u.crypto;
    if (c->offset > PQ_MAX_STREAM_OFFSET || c->len > PQ_MAX_STREAM_OFFSET - c->offset)
      e->ok = false;
    e_varint(e, c->offset);
    emit_len_bytes(e, c->data, c->len);
    return;
  }
  case PQ_FT_NEW_TOKEN:
    if (f->u.new_token.len == 0)
      e->ok = false;
    emit_len_bytes(e, f->u.new_token.token, f->u.new_token.len);
    return;
  case PQ_FT_MAX_DATA:
    e_varint(e, f->u.max_data.max);
    return;
  case PQ_FT_MAX_STREAM_DATA:
    e_varint(e, f->u.max_stream_data.stream_id);
    e_varint(e, f->u.max_stream_data.max);
    return;
  case PQ_FT_MAX_STREAMS_BIDI:
  case PQ_FT_MAX_STREAMS_UNI:
    if (f->u.max_streams.max > PQ_MAX_STREAMS_LIMIT)
      e->ok = false;
    e_varint(e, f->u.max_streams.max);
    return;
  case PQ_FT_DATA_BLOCKED:
    e_varint(e, f->u.data_blocked.limit);
    return;
  case PQ_FT_STREAM_DATA_BLOCKED:
    e_varint(e, f->u.stream_data_blocked.stream_id);
    e_varint(e, f->u.stream_data_blocked.limit);
    return;
  case PQ_FT_STREAMS_BLOCKED_BIDI:
  case PQ_FT_STREAMS_BLOCKED_UNI:
    if (f->u.streams_blocked.limit > PQ_MAX_STREAMS_LIMIT)
      e->ok = false;
    e_varint(e, f->u.streams_blocked.limit);
    return;
  case PQ_FT_NEW_CONNECTION_ID: {
    const pq_new_cid_frame *n = &f->u.new_cid;
    if (n->cid_len < 1 || n->cid_len > 20 || n->retire_prior_to > n->seq || !n->reset_token)
      e->ok = false;
    e_varint(e, n->seq);
    e_varint(e, n->retire_prior_to);
    e_u8(e, n->cid_len);
    e_bytes(e, n->cid, n->cid_len);
    e_bytes(e, n->reset_token, 16);
    return;
  }
  case PQ_FT_RETIRE_CONNECTION_ID:
    e_varint(e, f->u.retire_cid.seq);
    return;
  case PQ_FT_PATH_CHALLENGE:
  case PQ_FT_PATH_RESPONSE:
    e_bytes(e, f->u.path.data, 8);
    return;
  case PQ_FT_CONNECTION_CLOSE:
  case PQ_FT_CONNECTION_CLOSE_APP:
    e_varint(e, f->u.close.error_code);
    if (f->type == PQ_FT_CONNECTION_CLOSE)
      e_varint(e, f->u.close.frame_type);
    emit_len_bytes(e, f->u.close.reason, f->u.close.reason_len);
    return;
  case PQ_FT_DATAGRAM:
    e_bytes(e, f->u.datagram.data, f->u.datagram.len);
    return;
  case PQ_FT_DATAGRAM_LEN:
    emit_len_bytes(e, f->u.datagram.data, f->u.datagram.len);
    return;
  default:
    e->ok = false;
    return;
  }
}

static void emit(emitter *e, const pq_frame *f) {
  if (pq_frame_is_stream(f->type)) {
    emit_stream(e, f);
    return;
  }
  e_u8(e, (uint8_t)f->type); /* every other built-in type is one byte */
  emit_body(e, f);
}

size_t pq_frame_size(const pq_frame *f) {
  emitter e = {NULL, 0, true};
  emit(&e, f);
  return e.ok ? e.n : 0;
}

int pq_frame_encode(pq_wbuf *w, const pq_frame *f) {
  size_t n = pq_frame_size(f);
  if (n == 0)
    return PQUIC_ERR_INVAL;
  if (pq_wbuf_left(w) < n)
    return PQUIC_ERR_BUFFER_TOO_SMALL;
  emitter e = {w->p, 0, true};
  emit(&e, f);
  w->p += n;
  return 0;
}
