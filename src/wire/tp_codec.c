/* Transport parameters: decoding and encoding of the (id, length, value)
 * sequence (RFC 9000 section 18). */
#include <stddef.h>
#include <string.h>

#include "wire/tp.h"
#include "wire/wire_error.h"

#define TP_FAIL(text) pq_wire_fail(rule, PQUIC_ERR_TRANSPORT_PARAMETER, text)

/* Where integer and connection ID parameters live in pq_tp, so decoding
 * and encoding share one list. */
typedef struct field {
  uint64_t id;
  size_t off;
} field;

static const field int_fields[] = {
    {PQ_TP_MAX_IDLE_TIMEOUT, offsetof(pq_tp, max_idle_timeout)},
    {PQ_TP_MAX_UDP_PAYLOAD_SIZE, offsetof(pq_tp, max_udp_payload_size)},
    {PQ_TP_INITIAL_MAX_DATA, offsetof(pq_tp, initial_max_data)},
    {PQ_TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL, offsetof(pq_tp, initial_max_stream_data_bidi_local)},
    {PQ_TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE,
     offsetof(pq_tp, initial_max_stream_data_bidi_remote)},
    {PQ_TP_INITIAL_MAX_STREAM_DATA_UNI, offsetof(pq_tp, initial_max_stream_data_uni)},
    {PQ_TP_INITIAL_MAX_STREAMS_BIDI, offsetof(pq_tp, initial_max_streams_bidi)},
    {PQ_TP_INITIAL_MAX_STREAMS_UNI, offsetof(pq_tp, initial_max_streams_uni)},
    {PQ_TP_ACK_DELAY_EXPONENT, offsetof(pq_tp, ack_delay_exponent)},
    {PQ_TP_MAX_ACK_DELAY, offsetof(pq_tp, max_ack_delay)},
    {PQ_TP_ACTIVE_CONNECTION_ID_LIMIT, offsetof(pq_tp, active_connection_id_limit)},
    {PQ_TP_MAX_DATAGRAM_FRAME_SIZE, offsetof(pq_tp, max_datagram_frame_size)},
};

static const field cid_fields[] = {
    {PQ_TP_ORIGINAL_DCID, offsetof(pq_tp, original_dcid)},
    {PQ_TP_INITIAL_SCID, offsetof(pq_tp, initial_scid)},
    {PQ_TP_RETRY_SCID, offsetof(pq_tp, retry_scid)},
};

/* Offset of the field of id in fields[0..n), or SIZE_MAX. */
static size_t field_off(const field *fields, size_t n, uint64_t id) {
  for (size_t i = 0; i < n; i++)
    if (fields[i].id == id)
      return fields[i].off;
  return SIZE_MAX;
}

#define INT_OFF(id) field_off(int_fields, sizeof int_fields / sizeof int_fields[0], id)
#define CID_OFF(id) field_off(cid_fields, sizeof cid_fields / sizeof cid_fields[0], id)

static int dec_preferred_address(pq_preferred_address *pa, pq_rbuf *v, const char **rule) {
  uint16_t p4, p6;
  uint8_t cl;
  if (!pq_get_bytes(v, pa->ipv4, 4) || !pq_get_u16(v, &p4) || !pq_get_bytes(v, pa->ipv6, 16) ||
      !pq_get_u16(v, &p6) || !pq_get_u8(v, &cl))
    return TP_FAIL("preferred_address length does not match its contents");
  if (cl > PQ_MAX_CID_LEN)
    return TP_FAIL("preferred_address connection ID longer than 20 bytes");
  pa->ipv4_port = p4;
  pa->ipv6_port = p6;
  pa->cid.len = cl;
  if (!pq_get_bytes(v, pa->cid.id, cl) || !pq_get_bytes(v, pa->reset_token, PQ_RESET_TOKEN_LEN) ||
      pq_rbuf_left(v) != 0)
    return TP_FAIL("preferred_address length does not match its contents");
  return 0;
}

static int dec_version_info(pq_tp *tp, pq_rbuf *v, const char **rule) {
  size_t len = pq_rbuf_left(v);
  if (len < 4 || len % 4)
    return TP_FAIL("version_information is not a non-empty multiple of 4 bytes");
  if (len / 4 - 1 > PQ_TP_MAX_VERSIONS)
    return TP_FAIL("version_information lists more versions than supported");
  (void)pq_get_u32(v, &tp->chosen_version);
  tp->n_available_versions = len / 4 - 1;
  for (size_t i = 0; i < tp->n_available_versions; i++)
    (void)pq_get_u32(v, &tp->available_versions[i]);
  return 0;
}

static int dec_known(pq_tp *tp, uint64_t id, pq_rbuf *v, const char **rule) {
  size_t off = INT_OFF(id);
  if (off != SIZE_MAX) {
    if (!pq_get_varint(v, (uint64_t *)((char *)tp + off)) || pq_rbuf_left(v) != 0)
      return TP_FAIL("integer transport parameter length does not match its value");
    return 0;
  }
  off = CID_OFF(id);
  if (off != SIZE_MAX) {
    if (!pq_cid_set((pq_cid *)((char *)tp + off), v->p, pq_rbuf_left(v)))
      return TP_FAIL("connection ID transport parameter longer than 20 bytes");
    return 0;
  }
  switch (id) {
  case PQ_TP_STATELESS_RESET_TOKEN:
    if (pq_rbuf_left(v) != PQ_RESET_TOKEN_LEN)
      return TP_FAIL("stateless_reset_token is not 16 bytes");
    memcpy(tp->stateless_reset_token, v->p, PQ_RESET_TOKEN_LEN);
    return 0;
  case PQ_TP_DISABLE_ACTIVE_MIGRATION:
    return pq_rbuf_left(v) ? TP_FAIL("disable_active_migration is not empty") : 0;
  case PQ_TP_GREASE_QUIC_BIT:
    return pq_rbuf_left(v) ? TP_FAIL("grease_quic_bit is not empty") : 0;
  case PQ_TP_PREFERRED_ADDRESS:
    return dec_preferred_address(&tp->preferred_address, v, rule);
  default: /* PQ_TP_VERSION_INFORMATION */
    return dec_version_info(tp, v, rule);
  }
}

static int dec_unknown(pq_tp *tp, uint64_t id, const uint8_t *val, size_t len, const char **rule) {
  if (pq_tp_find_ext(tp, id))
    return TP_FAIL("duplicate transport parameter");
  if (tp->n_ext < PQ_TP_MAX_EXT)
    tp->ext[tp->n_ext++] = (pq_tp_ext){id, val, len};
  else
    tp->n_ext_dropped++;
  return 0;
}

int pq_tp_decode(const uint8_t *data, size_t len, bool sender_is_server, pq_tp *tp,
                 const char **rule) {
  pq_tp_init(tp);
  pq_rbuf r = pq_rbuf_make(data, len);
  while (pq_rbuf_left(&r)) {
    uint64_t id, plen;
    const uint8_t *val;
    if (!pq_get_varint(&r, &id) || !pq_get_varint(&r, &plen) || plen > pq_rbuf_left(&r))
      return TP_FAIL("transport parameter truncated");
    (void)pq_get_span(&r, (size_t)plen, &val);
    int bit = pq_tp_bit(id);
    int rc;
    if (bit < 0) {
      rc = dec_unknown(tp, id, val, (size_t)plen, rule);
    } else if (tp->present & (UINT32_C(1) << bit)) {
      rc = TP_FAIL("duplicate transport parameter");
    } else {
      pq_rbuf v = pq_rbuf_make(val, (size_t)plen);
      rc = dec_known(tp, id, &v, rule);
      tp->present |= UINT32_C(1) << bit;
    }
    if (rc)
      return rc;
  }
  return pq_tp_validate(tp, sender_is_server, rule);
}

/* ---- Encoding ---- */

static bool put_param(pq_wbuf *w, uint64_t id, const uint8_t *val, size_t len) {
  return pq_put_varint(w, id) && pq_put_varint(w, len) && pq_put_bytes(w, val, len);
}

static bool put_int(pq_wbuf *w, uint64_t id, uint64_t v) {
  return pq_put_varint(w, id) && pq_put_varint(w, pq_varint_len(v)) && pq_put_varint(w, v);
}

static bool put_preferred_address(pq_wbuf *w, const pq_preferred_address *pa) {
  size_t len = 4 + 2 + 16 + 2 + 1 + pa->cid.len + PQ_RESET_TOKEN_LEN;
  return pq_put_varint(w, PQ_TP_PREFERRED_ADDRESS) && pq_put_varint(w, len) &&
         pq_put_bytes(w, pa->ipv4, 4) && pq_put_uint(w, 2, pa->ipv4_port) &&
         pq_put_bytes(w, pa->ipv6, 16) && pq_put_uint(w, 2, pa->ipv6_port) &&
         pq_put_u8(w, pa->cid.len) && pq_put_bytes(w, pa->cid.id, pa->cid.len) &&
         pq_put_bytes(w, pa->reset_token, PQ_RESET_TOKEN_LEN);
}

static bool put_version_info(pq_wbuf *w, const pq_tp *tp) {
  bool ok = pq_put_varint(w, PQ_TP_VERSION_INFORMATION) &&
            pq_put_varint(w, 4 * (1 + tp->n_available_versions)) &&
            pq_put_uint(w, 4, tp->chosen_version);
  for (size_t i = 0; ok && i < tp->n_available_versions; i++)
    ok = pq_put_uint(w, 4, tp->available_versions[i]);
  return ok;
}

/* Writes one present known parameter. */
static bool put_known(pq_wbuf *w, const pq_tp *tp, uint64_t id) {
  size_t off = INT_OFF(id);
  if (off != SIZE_MAX)
    return put_int(w, id, *(const uint64_t *)((const char *)tp + off));
  off = CID_OFF(id);
  if (off != SIZE_MAX) {
    const pq_cid *c = (const pq_cid *)((const char *)tp + off);
    return put_param(w, id, c->id, c->len);
  }
  switch (id) {
  case PQ_TP_STATELESS_RESET_TOKEN:
    return put_param(w, id, tp->stateless_reset_token, PQ_RESET_TOKEN_LEN);
  case PQ_TP_DISABLE_ACTIVE_MIGRATION:
  case PQ_TP_GREASE_QUIC_BIT:
    return put_param(w, id, NULL, 0);
  case PQ_TP_PREFERRED_ADDRESS:
    return put_preferred_address(w, &tp->preferred_address);
  default: /* PQ_TP_VERSION_INFORMATION */
    return put_version_info(w, tp);
  }
}

static int check_ext(const pq_tp *tp) {
  if (tp->n_ext > PQ_TP_MAX_EXT)
    return PQUIC_ERR_INVAL;
  for (size_t i = 0; i < tp->n_ext; i++) {
    const pq_tp_ext *e = &tp->ext[i];
    if (pq_tp_bit(e->id) >= 0 || e->id > PQ_VARINT_MAX || (e->len && !e->value))
      return PQUIC_ERR_INVAL;
    for (size_t j = 0; j < i; j++)
      if (tp->ext[j].id == e->id)
        return PQUIC_ERR_INVAL;
  }
  return 0;
}

int pq_tp_encode(pq_wbuf *w, const pq_tp *tp, bool sender_is_server, const char **rule) {
  int rc = pq_tp_validate(tp, sender_is_server, rule);
  if (rc)
    return rc;
  rc = check_ext(tp);
  if (rc)
    return rc;
  static const uint64_t extra_ids[2] = {PQ_TP_MAX_DATAGRAM_FRAME_SIZE, PQ_TP_GREASE_QUIC_BIT};
  pq_wbuf c = *w;
  bool ok = true;
  for (uint64_t id = 0; ok && id <= PQ_TP_VERSION_INFORMATION; id++)
    if (pq_tp_has(tp, id))
      ok = put_known(&c, tp, id);
  for (int i = 0; ok && i < 2; i++)
    if (pq_tp_has(tp, extra_ids[i]))
      ok = put_known(&c, tp, extra_ids[i]);
  for (size_t i = 0; ok && i < tp->n_ext; i++)
    ok = put_param(&c, tp->ext[i].id, tp->ext[i].value, tp->ext[i].len);
  if (!ok)
    return PQUIC_ERR_BUFFER_TOO_SMALL;
  *w = c;
  return 0;
}
