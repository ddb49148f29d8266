/*
 * Fuzzes packet header parsing over whole datagrams: coalesced packet
 * splitting, both parsing phases, Version Negotiation and Retry packets,
 * DCID peeking. Every packet that parses is written back with the header
 * writers and must come out byte for byte (when its encoding is canonical),
 * and every pointer the parser hands out must lie inside the datagram.
 *
 * Input: byte 0 = configuration (bits 0-4: short header DCID length mod 21,
 * bit 7: grease_quic_bit accepted), the rest = one datagram.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/header.h"
#include "wire/pn.h"

#define CHECK(c)                                                                                   \
  do {                                                                                             \
    if (!(c)) {                                                                                    \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                        \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

static const uint8_t *g_start, *g_end;
static uint8_t g_out[1 << 17];

static void check_span(const uint8_t *p, size_t n) {
  CHECK(n == 0 || (p >= g_start && p <= g_end && n <= (size_t)(g_end - p)));
}

/* Writes a VN answer to an unknown version and parses it back. */
static void answer_vn(const pq_header *h) {
  uint8_t out[1024];
  const uint32_t ours[3] = {PQ_VERSION_V1, 0x3a4a5a6a, PQ_VERSION_V2};
  pq_wbuf w = pq_wbuf_make(out, sizeof out);
  CHECK(pq_vn_write(&w, h->first, h->scid, h->scid_len, h->dcid, h->dcid_len, ours, 3) == 0);
  pq_header vn;
  CHECK(pq_header_parse(out, (size_t)(w.p - out), 0, 0, &vn, NULL) == 0);
  CHECK(vn.type == PQ_PKT_VN && vn.n_versions == 3);
  CHECK(vn.dcid_len == h->scid_len && memcmp(vn.dcid, h->scid, h->scid_len) == 0);
  CHECK(vn.scid_len == h->dcid_len && memcmp(vn.scid, h->dcid, h->dcid_len) == 0);
  uint32_t chosen = 0;
  CHECK(pq_vn_select(&vn, ours + 2, 1, &chosen) == 0 && chosen == PQ_VERSION_V2);
}

static void check_vn(const pq_header *h) {
  CHECK(h->n_versions > 0);
  check_span(h->versions, 4 * h->n_versions);
  CHECK(h->versions + 4 * h->n_versions == h->pkt + h->len);
  uint32_t first = pq_vn_version(h, 0), chosen = 0;
  CHECK(pq_vn_lists(h, first));
  CHECK(pq_vn_select(h, &first, 1, &chosen) ==
        (pq_version_is_reserved(first) ? PQUIC_ERR_NOT_FOUND : 0));
  CHECK(pq_vn_validate(h, first, h->dcid, h->dcid_len, h->scid, h->scid_len, NULL) ==
        PQUIC_ERR_HEADER);
  if (!(h->pkt[0] & PQ_HDR_FIXED_BIT))
    return;
  uint32_t vs[64];
  size_t n = h->n_versions < 64 ? h->n_versions : 64;
  if (n != h->n_versions)
    return;
  for (size_t i = 0; i < n; i++)
    vs[i] = pq_vn_version(h, i);
  uint8_t *out = g_out;
  pq_wbuf w = pq_wbuf_make(out, sizeof g_out);
  CHECK(pq_vn_write(&w, h->pkt[0], h->dcid, h->dcid_len, h->scid, h->scid_len, vs, n) == 0);
  CHECK((size_t)(w.p - out) == h->len && memcmp(out, h->pkt, h->len) == 0);
}

static void check_retry(const pq_header *h) {
  check_span(h->token, h->token_len);
  CHECK(h->token_len > 0 && h->retry_tag == h->pkt + h->len - PQ_RETRY_TAG_LEN);
  CHECK(h->token + h->token_len == h->retry_tag);
  uint8_t *out = g_out;
  if (h->len > sizeof g_out - 64)
    return;
  /* The pseudo-packet is the ODCID then the packet minus its tag. */
  const uint8_t odcid[4] = {1, 2, 3, 4};
  pq_wbuf w = pq_wbuf_make(out, sizeof g_out);
  CHECK(pq_retry_pseudo_write(&w, odcid, 4, h->pkt, h->len) == 0);
  CHECK((size_t)(w.p - out) == pq_retry_pseudo_len(4, h->len));
  CHECK(out[0] == 4 && memcmp(out + 5, h->pkt, h->len - PQ_RETRY_TAG_LEN) == 0);
  if (!(h->pkt[0] & PQ_HDR_FIXED_BIT))
    return;
  uint8_t *tag = NULL;
  w = pq_wbuf_make(out, sizeof g_out);
  CHECK(pq_retry_write(&w, h->version, h->pkt[0], h->dcid, h->dcid_len, h->scid, h->scid_len,
                       h->token, h->token_len, &tag) == 0);
  CHECK((size_t)(w.p - out) == h->len && tag == out + h->len - PQ_RETRY_TAG_LEN);
  CHECK(memcmp(out, h->pkt, h->len - PQ_RETRY_TAG_LEN) == 0);
}

/* Rewrites a header with a packet number from its parsed fields; when the
 * original used the canonical widths the bytes must be identical. */
static void check_rewrite(const pq_header *h) {
  if (h->reserved || !(h->pkt[0] & PQ_HDR_FIXED_BIT))
    return;
  size_t hdr_len = h->pn_offset + h->pn_len;
  pq_header_spec s = {.type = h->type,
                      .version = h->version,
                      .dcid = h->dcid,
                      .dcid_len = h->dcid_len,
                      .scid = h->scid,
                      .scid_len = h->scid_len,
                      .token = h->token,
                      .token_len = h->token_len,
                      .pn = h->pn_truncated,
                      .pn_len = h->pn_len,
                      .spin = h->spin,
                      .key_phase = h->key_phase};
  if (h->type != PQ_PKT_1RTT) {
    /* Length field width: what remains between the token and the pn. */
    size_t before = 7 + h->dcid_len + h->scid_len;
    if (h->type == PQ_PKT_INITIAL) {
      size_t tl_width = (size_t)1 << (h->pkt[before] >> 6);
      if (tl_width != pq_varint_len(h->token_len))
        return; /* non-minimal token length encoding */
      before += tl_width + h->token_len;
    }
    size_t width = h->pn_offset - before;
    if (width != 1 && width != 2 && width != 4 && width != 8)
      return;
    s.length_len = (uint8_t)width;
    s.length = h->len - h->pn_offset;
  }
  if (pq_header_len(&s) != hdr_len || hdr_len > sizeof g_out)
    return;
  uint8_t *out = g_out;
  pq_wbuf w = pq_wbuf_make(out, sizeof g_out);
  pq_header_out o;
  CHECK(pq_header_write(&w, &s, &o) == 0);
  CHECK(o.len == hdr_len && o.pn_offset == h->pn_offset);
  CHECK(memcmp(out, h->pkt, hdr_len) == 0);
}

static void check_packet(const pq_header *h, unsigned short_len) {
  check_span(h->pkt, h->len);
  check_span(h->dcid, h->dcid_len);
  if (h->type == PQ_PKT_VN) {
    check_vn(h);
    return;
  }
  CHECK(pq_version_supported(h->version) || h->type == PQ_PKT_1RTT);
  CHECK(h->dcid_len <= PQ_MAX_CID_LEN && h->scid_len <= PQ_MAX_CID_LEN);
  if (h->type == PQ_PKT_RETRY) {
    check_retry(h);
    return;
  }
  if (h->type == PQ_PKT_1RTT)
    CHECK(h->dcid_len == short_len && h->pn_offset == 1 + short_len);
  check_span(h->token, h->token_len);
  CHECK(h->pn_offset <= h->len);
  const uint8_t *sample = pq_header_hp_sample(h);
  if (sample)
    check_span(sample, PQ_HP_SAMPLE_LEN);
  pq_header p = *h;
  const char *rule = NULL;
  if (pq_header_read_pn(&p, &rule) != 0) {
    CHECK(rule != NULL);
    CHECK(h->len - h->pn_offset < 4); /* only a too-short packet fails */
    return;
  }
  CHECK(p.pn_len >= 1 && p.pn_len <= 4 && p.pn_offset + p.pn_len <= p.len);
  check_span(pq_header_payload(&p), pq_header_payload_len(&p));
  CHECK((pq_header_check_reserved(&p, NULL) == 0) == (p.reserved == 0));
  CHECK(pq_pn_decode(PQ_PN_NONE, p.pn_truncated, p.pn_len) == p.pn_truncated);
  check_rewrite(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  unsigned short_len = (data[0] & 0x1f) % 21;
  unsigned flags = (data[0] & 0x80) ? PQ_HDR_GREASE_QUIC_BIT : 0;
  const uint8_t *dg = data + 1;
  size_t len = size - 1;
  g_start = dg;
  g_end = dg + len;

  const uint8_t *peek = NULL;
  size_t peek_len = 0;
  int peek_rc = pq_peek_dcid(dg, len, short_len, &peek, &peek_len);

  pq_dgram_iter it;
  pq_header h;
  const char *rule = NULL;
  pq_dgram_iter_init(&it, dg, len, short_len, flags);
  int rc;
  unsigned n = 0;
  while ((rc = pq_dgram_next(&it, &h, &rule)) == 1) {
    if (n++ == 0) {
      CHECK(peek_rc == 0 && peek == h.dcid && peek_len == h.dcid_len);
      CHECK(h.pkt == dg);
    }
    check_packet(&h, short_len);
  }
  if (rc < 0) {
    CHECK(rule != NULL);
    if (rc == PQUIC_ERR_VERSION) {
      check_span(h.dcid, h.dcid_len);
      check_span(h.scid, h.scid_len);
      answer_vn(&h);
    } else {
      CHECK(rc == PQUIC_ERR_HEADER || rc == PQUIC_ERR_INVAL);
    }
  }
  CHECK(pq_dgram_next(&it, &h, NULL) == 0);
  return 0;
}
