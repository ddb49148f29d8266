/* TEST SUPPORT ONLY (see test_forge.h): forges a protected 1-RTT packet
 * with a caller-chosen payload. */
#include <string.h>

#include "conn/cnx_internal.h"
#include "conn/test_forge.h"
#include "crypto/protect.h"
#include "crypto/suite.h"
#include "wire/pn.h"

int pq_test_forge_1rtt(pquic_cnx *cnx, const uint8_t *payload, size_t len, uint8_t *out,
                       size_t cap) {
  if (!cnx || !payload || !out || len < 3)
    return PQUIC_ERR_INVAL;
  if (!cnx->wkeys_ok[PQ_CRYPTO_LEVEL_1RTT] || pq_cnx_closing(cnx))
    return PQUIC_ERR_STATE;
  pq_space *sp = &cnx->spaces[PQ_EPOCH_APP];
  pq_path *path = pq_cnx_active_path(cnx);
  const pq_cid *dcid = pq_cnx_peer_cid(cnx, path);
  pq_header_spec s;
  memset(&s, 0, sizeof s);
  s.type = PQ_PKT_1RTT;
  s.dcid = dcid->id;
  s.dcid_len = dcid->len;
  s.pn = sp->next_pn;
  s.pn_len = (uint8_t)pq_pn_encode_len(sp->next_pn, sp->largest_acked);
  s.key_phase = cnx->key_phase != 0;
  pq_wbuf w = pq_wbuf_make(out, cap);
  pq_header_out h;
  int rc = pq_header_write(&w, &s, &h);
  if (rc)
    return rc;
  if (len > pq_wbuf_left(&w) || pq_wbuf_left(&w) - len < PQ_TAG_LEN)
    return PQUIC_ERR_BUFFER_TOO_SMALL;
  memcpy(w.p, payload, len);
  size_t pkt_len = h.len + len + PQ_TAG_LEN;
  pq_dir_keys *k = &cnx->wkeys[PQ_CRYPTO_LEVEL_1RTT];
  rc = pq_packet_protect(&k->phase.aead, &k->hp, out, pkt_len, h.pn_offset, s.pn_len, s.pn);
  if (rc)
    return rc;
  /* As if sent and forgotten: the next real packet takes the next number. */
  sp->next_pn++;
  return (int)pkt_len;
}
