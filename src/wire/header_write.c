/* Writing long (Initial, 0-RTT, Handshake) and short (1-RTT) headers. */
#include "wire/header.h"
#include "wire/pn.h"

static bool valid_varint_width(size_t n) {
  return n == 1 || n == 2 || n == 4 || n == 8;
}

/* Checks a spec; returns the header length or 0. *length_len gets the width
 * of the Length field (long headers). */
static size_t spec_len(const pq_header_spec *s, size_t *length_len) {
  if (s->pn_len < 1 || s->pn_len > 4 || s->dcid_len > PQ_MAX_CID_LEN || (s->dcid_len && !s->dcid))
    return 0;
  if (s->type == PQ_PKT_1RTT)
    return 1 + s->dcid_len + s->pn_len;
  if (s->type != PQ_PKT_INITIAL && s->type != PQ_PKT_0RTT && s->type != PQ_PKT_HANDSHAKE)
    return 0;
  if (!pq_version_supported(s->version) || s->scid_len > PQ_MAX_CID_LEN ||
      (s->scid_len && !s->scid))
    return 0;
  if (s->token_len && (s->type != PQ_PKT_INITIAL || !s->token))
    return 0;
  size_t ll = s->length_len;
  if (ll == 0)
    ll = pq_varint_len(s->length);
  else if (!valid_varint_width(ll))
    return 0;
  if (ll == 0 || pq_varint_len(s->length) > ll)
    return 0;
  *length_len = ll;
  size_t n = 7 + s->dcid_len + s->scid_len + ll + s->pn_len;
  if (s->type == PQ_PKT_INITIAL)
    n += pq_varint_len(s->token_len) + s->token_len;
  return n;
}

size_t pq_header_len(const pq_header_spec *s) {
  size_t ll;
  return spec_len(s, &ll);
}

int pq_header_write(pq_wbuf *w, const pq_header_spec *s, pq_header_out *out) {
  size_t ll = 0;
  size_t n = spec_len(s, &ll);
  if (n == 0)
    return PQUIC_ERR_INVAL;
  if (pq_wbuf_left(w) < n)
    return PQUIC_ERR_BUFFER_TOO_SMALL;
  uint8_t fixed = s->clear_fixed_bit ? 0 : PQ_HDR_FIXED_BIT;
  uint8_t pnl = (uint8_t)(s->pn_len - 1);
  out->start = w->p;
  out->length_field = NULL;
  out->length_len = 0;
  /* Every write below fits: n was checked against the room left. */
  if (s->type == PQ_PKT_1RTT) {
    uint8_t b =
        fixed | pnl | (s->spin ? PQ_HDR_SPIN_BIT : 0) | (s->key_phase ? PQ_HDR_KEY_PHASE_BIT : 0);
    (void)pq_put_u8(w, b);
    (void)pq_put_bytes(w, s->dcid, s->dcid_len);
  } else {
    unsigned bits = pq_long_type_to_bits(s->version, (pq_pkt_type)s->type);
    (void)pq_put_u8(w, (uint8_t)(PQ_HDR_FORM_LONG | fixed | bits << 4 | pnl));
    (void)pq_put_uint(w, 4, s->version);
    (void)pq_put_u8(w, (uint8_t)s->dcid_len);
    (void)pq_put_bytes(w, s->dcid, s->dcid_len);
    (void)pq_put_u8(w, (uint8_t)s->scid_len);
    (void)pq_put_bytes(w, s->scid, s->scid_len);
    if (s->type == PQ_PKT_INITIAL) {
      (void)pq_put_varint(w, s->token_len);
      (void)pq_put_bytes(w, s->token, s->token_len);
    }
    out->length_field = w->p;
    out->length_len = (uint8_t)ll;
    (void)pq_put_varint_n(w, s->length, ll);
  }
  out->pn_offset = (size_t)(w->p - out->start);
  (void)pq_pn_write(w, s->pn, s->pn_len);
  out->len = n;
  return 0;
}

int pq_header_set_length(const pq_header_out *o, uint64_t length) {
  if (!o->length_field)
    return PQUIC_ERR_INVAL;
  pq_wbuf w = pq_wbuf_make(o->length_field, o->length_len);
  return pq_put_varint_n(&w, length, o->length_len) ? 0 : PQUIC_ERR_VARINT_RANGE;
}
