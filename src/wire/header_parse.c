/* Packet header parsing: phase 1 (unprotected fields), phase 2 (after header
 * protection removal), and iteration over coalesced packets. */
#include <string.h>

#include "wire/header.h"
#include "wire/pn.h"
#include "wire/wire_error.h"

#define HDR_FAIL(text) pq_wire_fail(rule, PQUIC_ERR_HEADER, text)

/* Short header: byte 0, DCID of the length we issue, packet number. */
static int parse_short(const uint8_t *pkt, size_t avail, size_t dcid_len, pq_header *h,
                       const char **rule) {
  if (dcid_len > PQ_MAX_CID_LEN)
    return pq_wire_fail(rule, PQUIC_ERR_INVAL, "short header DCID length over 20 bytes");
  if (avail - 1 < dcid_len)
    return HDR_FAIL("short header packet shorter than its DCID");
  h->type = PQ_PKT_1RTT;
  h->dcid = pkt + 1;
  h->dcid_len = (uint8_t)dcid_len;
  h->spin = (pkt[0] & PQ_HDR_SPIN_BIT) != 0;
  h->pn_offset = 1 + dcid_len;
  h->len = avail; /* no Length field: the rest of the datagram */
  return 0;
}

/* Version Negotiation: the rest is a list of 32-bit versions. */
static int parse_vn(pq_rbuf *r, size_t avail, pq_header *h, const char **rule) {
  size_t left = pq_rbuf_left(r);
  if (left == 0)
    return HDR_FAIL("Version Negotiation packet lists no version");
  if (left % 4)
    return HDR_FAIL("Version Negotiation version list is not a multiple of 4 bytes");
  h->type = PQ_PKT_VN;
  h->versions = r->p;
  h->n_versions = left / 4;
  h->len = avail;
  return 0;
}

/* Retry: the rest is the token then the 16-byte integrity tag. */
static int parse_retry(pq_rbuf *r, size_t avail, pq_header *h, const char **rule) {
  size_t left = pq_rbuf_left(r);
  if (left < PQ_RETRY_TAG_LEN)
    return HDR_FAIL("Retry packet shorter than its integrity tag");
  if (left == PQ_RETRY_TAG_LEN)
    return HDR_FAIL("Retry packet has an empty token"); /* RFC 9000 17.2.5.2 */
  h->token = r->p;
  h->token_len = left - PQ_RETRY_TAG_LEN;
  h->retry_tag = r->end - PQ_RETRY_TAG_LEN;
  h->len = avail;
  return 0;
}

/* Initial, 0-RTT, Handshake: [token], Length, then packet number. */
static int parse_length(const uint8_t *pkt, pq_rbuf *r, pq_header *h, const char **rule) {
  uint64_t v;
  if (h->type == PQ_PKT_INITIAL) {
    if (!pq_get_varint(r, &v))
      return HDR_FAIL("Initial packet truncated in the token length");
    if (v > pq_rbuf_left(r))
      return HDR_FAIL("Initial token extends beyond the datagram");
    h->token_len = (size_t)v;
    (void)pq_get_span(r, h->token_len, &h->token);
  }
  if (!pq_get_varint(r, &v))
    return HDR_FAIL("long header truncated in the Length field");
  if (v > pq_rbuf_left(r))
    return HDR_FAIL("Length field exceeds the datagram");
  h->pn_offset = (size_t)(r->p - pkt);
  h->len = h->pn_offset + (size_t)v;
  return 0;
}

static int parse_long(const uint8_t *pkt, size_t avail, unsigned flags, pq_header *h,
                      const char **rule) {
  pq_rbuf r = pq_rbuf_make(pkt + 1, avail - 1);
  uint8_t dl, sl;
  if (!pq_get_u32(&r, &h->version))
    return HDR_FAIL("long header truncated in the version");
  /* CIDs are version-independent (RFC 8999), read before judging the version
   * so that a Version Negotiation packet can echo them. */
  if (!pq_get_u8(&r, &dl) || !pq_get_span(&r, dl, &h->dcid) || !pq_get_u8(&r, &sl) ||
      !pq_get_span(&r, sl, &h->scid))
    return HDR_FAIL("long header truncated in the connection IDs");
  h->dcid_len = dl;
  h->scid_len = sl;
  if (h->version == PQ_VERSION_NEGOTIATION)
    return parse_vn(&r, avail, h, rule);
  if (!pq_version_supported(h->version)) {
    h->len = avail;
    return pq_wire_fail(rule, PQUIC_ERR_VERSION, "long header of an unsupported version");
  }
  if (dl > PQ_MAX_CID_LEN || sl > PQ_MAX_CID_LEN)
    return HDR_FAIL("long header connection ID longer than 20 bytes");
  if (!(pkt[0] & PQ_HDR_FIXED_BIT) && !(flags & PQ_HDR_GREASE_QUIC_BIT))
    return HDR_FAIL("fixed bit is 0");
  h->type = (uint8_t)pq_long_type_from_bits(h->version, (pkt[0] >> 4) & 3);
  if (h->type == PQ_PKT_RETRY)
    return parse_retry(&r, avail, h, rule);
  return parse_length(pkt, &r, h, rule);
}

int pq_header_parse(const uint8_t *pkt, size_t avail, size_t short_dcid_len, unsigned flags,
                    pq_header *h, const char **rule) {
  memset(h, 0, sizeof *h);
  if (avail == 0)
    return HDR_FAIL("empty packet");
  h->pkt = pkt;
  h->first = pkt[0];
  if (pkt[0] & PQ_HDR_FORM_LONG)
    return parse_long(pkt, avail, flags, h, rule);
  if (!(pkt[0] & PQ_HDR_FIXED_BIT) && !(flags & PQ_HDR_GREASE_QUIC_BIT))
    return HDR_FAIL("fixed bit is 0");
  return parse_short(pkt, avail, short_dcid_len, h, rule);
}

int pq_header_read_pn(pq_header *h, const char **rule) {
  if (h->type != PQ_PKT_INITIAL && h->type != PQ_PKT_0RTT && h->type != PQ_PKT_HANDSHAKE &&
      h->type != PQ_PKT_1RTT)
    return HDR_FAIL("packet type has no packet number");
  uint8_t b = h->pkt[0];
  size_t pn_len = (size_t)(b & PQ_HDR_PN_LEN_MASK) + 1;
  if (h->pn_offset > h->len || h->len - h->pn_offset < pn_len)
    return HDR_FAIL("packet number extends beyond the packet");
  pq_rbuf r = pq_rbuf_make(h->pkt + h->pn_offset, pn_len);
  (void)pq_pn_read(&r, pn_len, &h->pn_truncated);
  h->pn_len = (uint8_t)pn_len;
  if (h->type == PQ_PKT_1RTT) {
    h->reserved = b & PQ_HDR_SHORT_RESERVED;
    h->key_phase = (b & PQ_HDR_KEY_PHASE_BIT) != 0;
  } else {
    h->reserved = b & PQ_HDR_LONG_RESERVED;
  }
  return 0;
}

void pq_dgram_iter_init(pq_dgram_iter *it, const uint8_t *dgram, size_t len, size_t short_dcid_len,
                        unsigned flags) {
  pq_rbuf r = pq_rbuf_make(dgram, len);
  it->p = r.p;
  it->end = r.end;
  it->dcid0 = NULL;
  it->dcid0_len = 0;
  it->short_dcid_len = short_dcid_len;
  it->flags = flags;
  it->count = 0;
}

int pq_dgram_next(pq_dgram_iter *it, pq_header *h, const char **rule) {
  if (it->p >= it->end)
    return 0;
  int rc =
      pq_header_parse(it->p, (size_t)(it->end - it->p), it->short_dcid_len, it->flags, h, rule);
  if (rc < 0) {
    it->p = it->end;
    return rc;
  }
  if (it->count == 0) {
    it->dcid0 = h->dcid;
    it->dcid0_len = h->dcid_len;
  } else if (h->dcid_len != it->dcid0_len ||
             (h->dcid_len && memcmp(h->dcid, it->dcid0, h->dcid_len) != 0)) {
    /* RFC 9000 12.2: receivers SHOULD ignore such packets. */
    it->p = it->end;
    return HDR_FAIL("coalesced packet with a different DCID than the first");
  }
  it->p += h->len;
  it->count++;
  return 1;
}
