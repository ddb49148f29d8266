/* Frame decoding: one frame from a packet payload, every validity rule. */
#include "wire/frame.h"
#include "wire/frame_internal.h"
#include "wire/wire_error.h"

#define FE(text) pq_wire_fail(rule, PQUIC_ERR_FRAME_ENCODING, text)

/* Reads n varints into v[0..n); false if the input ends first. */
static bool get_varints(pq_rbuf *r, uint64_t *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!pq_get_varint(r, &v[i]))
      return false;
  return true;
}

/* Reads a varint length then that many bytes. */
static bool get_len_span(pq_rbuf *r, const uint8_t **p, size_t *len) {
  uint64_t n;
  if (!pq_get_varint(r, &n) || n > pq_rbuf_left(r))
    return false;
  *len = (size_t)n;
  return pq_get_span(r, *len, p);
}

static int dec_ack(pq_rbuf *r, pq_frame *f, const char **rule) {
  pq_ack_frame *a = &f->u.ack;
  if (!pq_get_varint(r, &a->largest) || !pq_get_varint(r, &a->ack_delay) ||
      !pq_get_varint(r, &a->range_count) || !pq_get_varint(r, &a->first_range))
    return FE("ACK frame truncated");
  if (a->first_range > a->largest)
    return FE("ACK first range underflows below packet number 0");
  a->ranges = r->p;
  int rc = pq_ack_ranges_walk(r, a->range_count, a->largest - a->first_range, &a->smallest, rule);
  if (rc < 0)
    return rc;
  a->ranges_len = (size_t)(r->p - a->ranges);
  if (f->type == PQ_FT_ACK_ECN) {
    if (!get_varints(r, a->ecn, 3))
      return FE("ACK frame truncated in the ECN counts");
  } else {
    a->ecn[0] = a->ecn[1] = a->ecn[2] = 0;
  }
  return 0;
}

static int dec_stream(pq_rbuf *r, pq_frame *f, const char **rule) {
  pq_stream_frame *s = &f->u.stream;
  uint64_t len;
  s->offset = 0;
  if (!pq_get_varint(r, &s->stream_id) ||
      ((f->type & PQ_STREAM_BIT_OFF) && !pq_get_varint(r, &s->offset)))
    return FE("STREAM frame truncated");
  if (f->type & PQ_STREAM_BIT_LEN) {
    if (!pq_get_varint(r, &len))
      return FE("STREAM frame truncated");
    if (len > pq_rbuf_left(r))
      return FE("STREAM frame data extends beyond the packet");
  } else {
    len = pq_rbuf_left(r);
  }
  if (len > PQ_MAX_STREAM_OFFSET - s->offset)
    return FE("STREAM frame offset + length exceeds 2^62-1");
  s->len = (size_t)len;
  (void)pq_get_span(r, s->len, &s->data);
  s->fin = (f->type & PQ_STREAM_BIT_FIN) != 0;
  return 0;
}

static int dec_crypto(pq_rbuf *r, pq_frame *f, const char **rule) {
  pq_crypto_frame *c = &f->u.crypto;
  uint64_t len;
  if (!pq_get_varint(r, &c->offset) || !pq_get_varint(r, &len))
    return FE("CRYPTO frame truncated");
  if (len > pq_rbuf_left(r))
    return FE("CRYPTO frame data extends beyond the packet");
  if (len > PQ_MAX_STREAM_OFFSET - c->offset)
    return FE("CRYPTO frame offset + length exceeds 2^62-1");
  c->len = (size_t)len;
  (void)pq_get_span(r, c->len, &c->data);
  return 0;
}

static int dec_new_cid(pq_rbuf *r, pq_frame *f, const char **rule) {
  pq_new_cid_frame *n = &f->u.new_cid;
  if (!pq_get_varint(r, &n->seq) || !pq_get_varint(r, &n->retire_prior_to) ||
      !pq_get_u8(r, &n->cid_len))
    return FE("NEW_CONNECTION_ID frame truncated");
  if (n->cid_len < 1 || n->cid_len > 20)
    return FE("NEW_CONNECTION_ID length not in 1..20");
  if (!pq_get_span(r, n->cid_len, &n->cid) || !pq_get_span(r, 16, &n->reset_token))
    return FE("NEW_CONNECTION_ID frame truncated");
  if (n->retire_prior_to > n->seq)
    return FE("NEW_CONNECTION_ID Retire Prior To greater than Sequence Number");
  return 0;
}

static int dec_close(pq_rbuf *r, pq_frame *f, const char **rule) {
  pq_close_frame *c = &f->u.close;
  c->frame_type = 0;
  if (!pq_get_varint(r, &c->error_code) ||
      (f->type == PQ_FT_CONNECTION_CLOSE && !pq_get_varint(r, &c->frame_type)) ||
      !get_len_span(r, &c->reason, &c->reason_len))
    return FE("CONNECTION_CLOSE frame truncated");
  return 0;
}

static int dec_datagram(pq_rbuf *r, pq_frame *f, const char **rule) {
  if (f->type == PQ_FT_DATAGRAM) {
    f->u.datagram.len = pq_rbuf_left(r);
    (void)pq_get_span(r, f->u.datagram.len, &f->u.datagram.data);
    return 0;
  }
  if (!get_len_span(r, &f->u.datagram.data, &f->u.datagram.len))
    return FE("DATAGRAM frame truncated");
  return 0;
}

/* Frames made of one or two varints. */
static int dec_ints(pq_rbuf *r, pq_frame *f, const char **rule) {
  uint64_t v[3];
  switch (f->type) {
  case PQ_FT_RESET_STREAM:
    if (!get_varints(r, v, 3))
      return FE("RESET_STREAM frame truncated");
    f->u.reset_stream.stream_id = v[0];
    f->u.reset_stream.app_error = v[1];
    f->u.reset_stream.final_size = v[2];
    return 0;
  case PQ_FT_STOP_SENDING:
    if (!get_varints(r, v, 2))
      return FE("STOP_SENDING frame truncated");
    f->u.stop_sending.stream_id = v[0];
    f->u.stop_sending.app_error = v[1];
    return 0;
  case PQ_FT_MAX_DATA:
    if (!pq_get_varint(r, &f->u.max_data.max))
      return FE("MAX_DATA frame truncated");
    return 0;
  case PQ_FT_MAX_STREAM_DATA:
    if (!get_varints(r, v, 2))
      return FE("MAX_STREAM_DATA frame truncated");
    f->u.max_stream_data.stream_id = v[0];
    f->u.max_stream_data.max = v[1];
    return 0;
  case PQ_FT_MAX_STREAMS_BIDI:
  case PQ_FT_MAX_STREAMS_UNI:
    if (!pq_get_varint(r, &f->u.max_streams.max))
      return FE("MAX_STREAMS frame truncated");
    if (f->u.max_streams.max > PQ_MAX_STREAMS_LIMIT)
      return FE("MAX_STREAMS above 2^60");
    return 0;
  case PQ_FT_DATA_BLOCKED:
    if (!pq_get_varint(r, &f->u.data_blocked.limit))
      return FE("DATA_BLOCKED frame truncated");
    return 0;
  case PQ_FT_STREAM_DATA_BLOCKED:
    if (!get_varints(r, v, 2))
      return FE("STREAM_DATA_BLOCKED frame truncated");
    f->u.stream_data_blocked.stream_id = v[0];
    f->u.stream_data_blocked.limit = v[1];
    return 0;
  case PQ_FT_STREAMS_BLOCKED_BIDI:
  case PQ_FT_STREAMS_BLOCKED_UNI:
    if (!pq_get_varint(r, &f->u.streams_blocked.limit))
      return FE("STREAMS_BLOCKED frame truncated");
    if (f->u.streams_blocked.limit > PQ_MAX_STREAMS_LIMIT)
      return FE("STREAMS_BLOCKED above 2^60");
    return 0;
  default: /* PQ_FT_RETIRE_CONNECTION_ID */
    if (!pq_get_varint(r, &f->u.retire_cid.seq))
      return FE("RETIRE_CONNECTION_ID frame truncated");
    return 0;
  }
}

static int dec_body(pq_rbuf *r, pq_frame *f, const char **rule) {
  switch (f->type) {
  case PQ_FT_PADDING: {
    const uint8_t *p = r->p;
    while (p < r->end && *p == 0)
      p++;
    f->u.padding.len = 1 + (size_t)(p - r->p);
    r->p = p;
    return 0;
  }
  case PQ_FT_PING:
  case PQ_FT_HANDSHAKE_DONE:
    return 0;
  case PQ_FT_ACK:
  case PQ_FT_ACK_ECN:
    return dec_ack(r, f, rule);
  case PQ_FT_CRYPTO:
    return dec_crypto(r, f, rule);
  case PQ_FT_NEW_TOKEN:
    if (!get_len_span(r, &f->u.new_token.token, &f->u.new_token.len))
      return FE("NEW_TOKEN frame truncated");
    if (f->u.new_token.len == 0)
      return FE("NEW_TOKEN frame with an empty token");
    return 0;
  case PQ_FT_NEW_CONNECTION_ID:
    return dec_new_cid(r, f, rule);
  case PQ_FT_PATH_CHALLENGE:
  case PQ_FT_PATH_RESPONSE:
    if (!pq_get_bytes(r, f->u.path.data, 8))
      return FE("PATH_CHALLENGE or PATH_RESPONSE frame truncated");
    return 0;
  case PQ_FT_CONNECTION_CLOSE:
  case PQ_FT_CONNECTION_CLOSE_APP:
    return dec_close(r, f, rule);
  case PQ_FT_DATAGRAM:
  case PQ_FT_DATAGRAM_LEN:
    return dec_datagram(r, f, rule);
  default:
    if (pq_frame_is_stream(f->type))
      return dec_stream(r, f, rule);
    if (f->type <= PQ_FT_HANDSHAKE_DONE)
      return dec_ints(r, f, rule);
    return pq_wire_fail(rule, PQUIC_ERR_FRAME_UNKNOWN, "unknown frame type");
  }
}

int pq_frame_decode(pq_rbuf *r, pq_frame *f, const char **rule) {
  pq_rbuf c = *r;
  if (c.p >= c.end)
    return FE("no frame: empty input");
  if (*c.p < 0x40) { /* one-byte type: every built-in frame */
    f->type = *c.p++;
  } else {
    const uint8_t *start = c.p;
    if (!pq_get_varint(&c, &f->type))
      return FE("frame type truncated");
    if ((size_t)(c.p - start) != pq_varint_len(f->type))
      return pq_wire_fail(rule, PQUIC_ERR_PROTOCOL_VIOLATION,
                          "frame type not in its shortest encoding");
  }
  int rc = dec_body(&c, f, rule);
  if (rc == 0)
    *r = c;
  return rc;
}
