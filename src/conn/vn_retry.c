/* Client side of Version Negotiation (RFC 9000 6, RFC 9368) and Retry
 * (RFC 9000 8.1.2, 17.2.5; RFC 9001 5.8). */
#include <stdio.h>
#include <string.h>

#include "conn/cnx_internal.h"
#include "conn/opcalls.h"
#include "crypto/retry.h"
#include "wire/header.h"

PQ_OPIMPL uint64_t opimpl_process_version_negotiation(pq_cnx *cnx, const uint8_t *data,
                                                      size_t len) {
  /* Only before anything else came from the server. */
  if (cnx->is_server || cnx->peer_cid_learned || cnx->stats.packets_received)
    return 0;
  pq_header h;
  if (pq_header_parse(data, len, 0, 0, &h, NULL) || h.type != PQ_PKT_VN)
    return 0;
  const pq_cid *dcid = &cnx->peer_cids[0].cid;
  if (pq_vn_validate(&h, cnx->version, cnx->initial_scid.id, cnx->initial_scid.len, dcid->id,
                     dcid->len, NULL))
    return 0;
  /* Incompatible version negotiation (RFC 9368 2.1): start again in the
   * first version of ours the server lists, or give up. */
  uint32_t ours[2], chosen;
  size_t n = pq_ep_versions(cnx->ep, ours);
  if (cnx->version_restarted || pq_vn_select(&h, ours, n, &chosen) || chosen == cnx->version) {
    cnx->close_err = PQUIC_ERR_VERSION;
    snprintf(cnx->close_reason, sizeof cnx->close_reason, "no common QUIC version");
    pq_cnx_set_state(cnx, PQ_CNX_CLOSED);
    return 0;
  }
  cnx->version_restarted = 1;
  if (pq_cnx_restart(cnx, chosen)) {
    cnx->close_err = PQUIC_ERR_VERSION;
    pq_cnx_set_state(cnx, PQ_CNX_CLOSED);
  }
  return 0;
}
PQ_OP_ADAPTER(process_version_negotiation)

PQ_OPIMPL uint64_t opimpl_process_retry(pq_cnx *cnx, const uint8_t *data, size_t len) {
  if (cnx->is_server || cnx->retry_scid.len || cnx->peer_cid_learned)
    return 0; /* one Retry, and only before the server's first Initial */
  pq_header h;
  if (pq_header_parse(data, len, 0, 0, &h, NULL) || h.type != PQ_PKT_RETRY ||
      h.version != cnx->version)
    return 0;
  if (pq_retry_verify(cnx->version, cnx->odcid.id, cnx->odcid.len, data, len))
    return 0; /* forged or corrupted: ignore (RFC 9001 5.8) */
  if (pq_cid_eq_bytes(&cnx->odcid, h.scid, h.scid_len) || h.token_len == 0 ||
      h.token_len > sizeof cnx->token)
    return 0;
  pq_cid_set(&cnx->retry_scid, h.scid, h.scid_len);
  pq_cid_set(&cnx->peer_cids[0].cid, h.scid, h.scid_len);
  memcpy(cnx->token, h.token, h.token_len);
  cnx->token_len = h.token_len;
  /* New Initial keys from the server's chosen CID; the ClientHello goes
   * again in new Initial packets (RFC 9000 17.2.5.2). */
  pq_dir_keys_free(&cnx->rkeys[0]);
  pq_dir_keys_free(&cnx->wkeys[0]);
  if (pq_initial_keys(&cnx->wkeys[0], &cnx->rkeys[0], cnx->version, h.scid, h.scid_len)) {
    cnx->close_err = PQUIC_ERR_CRYPTO;
    pq_cnx_set_state(cnx, PQ_CNX_CLOSED);
    return 0;
  }
  pq_recovery_requeue_space(cnx, PQ_EPOCH_INITIAL);
  return 0;
}
PQ_OP_ADAPTER(process_retry)

PQ_OP_DEFAULTS(vn_retry, PQ_OP_DEFAULT(process_version_negotiation), PQ_OP_DEFAULT(process_retry))
