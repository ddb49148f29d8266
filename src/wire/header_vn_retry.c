/* Version Negotiation and Retry packets: writing, checks, pseudo-packet. */
#include <string.h>

#include "wire/header.h"
#include "wire/wire_error.h"

int pq_vn_write(pq_wbuf *w, uint8_t unused, const uint8_t *dcid, size_t dcid_len,
                const uint8_t *scid, size_t scid_len, const uint32_t *versions, size_t n) {
  if (dcid_len > PQ_MAX_CID_LEN_ANY || scid_len > PQ_MAX_CID_LEN_ANY || n == 0 || !versions ||
      (dcid_len && !dcid) || (scid_len && !scid))
    return PQUIC_ERR_INVAL;
  if (n > (SIZE_MAX - 7 - dcid_len - scid_len) / 4)
    return PQUIC_ERR_BUFFER_TOO_SMALL;
  size_t len = 7 + dcid_len + scid_len + 4 * n;
  if (pq_wbuf_left(w) < len)
    return PQUIC_ERR_BUFFER_TOO_SMALL;
  (void)pq_put_u8(w, (uint8_t)(PQ_HDR_FORM_LONG | PQ_HDR_FIXED_BIT | (unused & 0x3f)));
  (void)pq_put_uint(w, 4, PQ_VERSION_NEGOTIATION);
  (void)pq_put_u8(w, (uint8_t)dcid_len);
  (void)pq_put_bytes(w, dcid, dcid_len);
  (void)pq_put_u8(w, (uint8_t)scid_len);
  (void)pq_put_bytes(w, scid, scid_len);
  for (size_t i = 0; i < n; i++)
    (void)pq_put_uint(w, 4, versions[i]);
  return 0;
}

bool pq_vn_lists(const pq_header *h, uint32_t v) {
  for (size_t i = 0; i < h->n_versions; i++)
    if (pq_vn_version(h, i) == v)
      return true;
  return false;
}

static bool same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

int pq_vn_validate(const pq_header *h, uint32_t attempted_version, const uint8_t *our_scid,
                   size_t our_scid_len, const uint8_t *our_dcid, size_t our_dcid_len,
                   const char **rule) {
  if (h->type != PQ_PKT_VN)
    return pq_wire_fail(rule, PQUIC_ERR_HEADER, "not a Version Negotiation packet");
  if (!same(h->dcid, h->dcid_len, our_scid, our_scid_len) ||
      !same(h->scid, h->scid_len, our_dcid, our_dcid_len))
    return pq_wire_fail(rule, PQUIC_ERR_HEADER,
                        "Version Negotiation packet does not echo our connection IDs");
  if (pq_vn_lists(h, attempted_version))
    return pq_wire_fail(rule, PQUIC_ERR_HEADER,
                        "Version Negotiation packet lists the version we attempted");
  return 0;
}

int pq_vn_select(const pq_header *h, const uint32_t *ours, size_t n, uint32_t *chosen) {
  for (size_t i = 0; i < n; i++) {
    if (!pq_version_is_reserved(ours[i]) && pq_vn_lists(h, ours[i])) {
      *chosen = ours[i];
      return 0;
    }
  }
  return PQUIC_ERR_NOT_FOUND;
}

int pq_retry_write(pq_wbuf *w, uint32_t version, uint8_t unused, const uint8_t *dcid,
                   size_t dcid_len, const uint8_t *scid, size_t scid_len, const uint8_t *token,
                   size_t token_len, uint8_t **tag) {
  if (!pq_version_supported(version) || dcid_len > PQ_MAX_CID_LEN || scid_len > PQ_MAX_CID_LEN ||
      token_len == 0 || !token || (dcid_len && !dcid) || (scid_len && !scid))
    return PQUIC_ERR_INVAL;
  if (token_len > SIZE_MAX - 64)
    return PQUIC_ERR_BUFFER_TOO_SMALL;
  size_t len = 7 + dcid_len + scid_len + token_len + PQ_RETRY_TAG_LEN;
  if (pq_wbuf_left(w) < len)
    return PQUIC_ERR_BUFFER_TOO_SMALL;
  unsigned bits = pq_long_type_to_bits(version, PQ_PKT_RETRY);
  (void)pq_put_u8(w, (uint8_t)(PQ_HDR_FORM_LONG | PQ_HDR_FIXED_BIT | bits << 4 | (unused & 0x0f)));
  (void)pq_put_uint(w, 4, version);
  (void)pq_put_u8(w, (uint8_t)dcid_len);
  (void)pq_put_bytes(w, dcid, dcid_len);
  (void)pq_put_u8(w, (uint8_t)scid_len);
  (void)pq_put_bytes(w, scid, scid_len);
  (void)pq_put_bytes(w, token, token_len);
  if (tag)
    *tag = w->p;
  memset(w->p, 0, PQ_RETRY_TAG_LEN);
  w->p += PQ_RETRY_TAG_LEN;
  return 0;
}

int pq_retry_pseudo_write(pq_wbuf *w, const uint8_t *odcid, size_t odcid_len, const uint8_t *retry,
                          size_t retry_len) {
  if (odcid_len > PQ_MAX_CID_LEN || (odcid_len && !odcid) || retry_len < PQ_RETRY_TAG_LEN || !retry)
    return PQUIC_ERR_INVAL;
  if (pq_wbuf_left(w) < pq_retry_pseudo_len(odcid_len, retry_len))
    return PQUIC_ERR_BUFFER_TOO_SMALL;
  (void)pq_put_u8(w, (uint8_t)odcid_len);
  (void)pq_put_bytes(w, odcid, odcid_len);
  (void)pq_put_bytes(w, retry, retry_len - PQ_RETRY_TAG_LEN);
  return 0;
}
