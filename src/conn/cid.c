/* Connection IDs (RFC 9000 5.1, 19.15-19.16) and stateless resets
 * (RFC 9000 10.3). */
#include <string.h>

#include <gnutls/crypto.h>

#include "conn/cnx_internal.h"
#include "conn/frames.h"
#include "conn/opcalls.h"

void pq_reset_token(const pq_endpoint *ep, const uint8_t *cid, size_t len, uint8_t token[16]) {
  uint8_t mac[32];
  /* HMAC-SHA256 of the CID under the endpoint's secret: unguessable, and
   * recomputable without state for any CID we issued. */
  if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, ep->reset_key, sizeof ep->reset_key, cid, len, mac))
    memset(mac, 0, sizeof mac);
  memcpy(token, mac, 16);
}

PQ_OPIMPL uint64_t opimpl_stateless_reset_token(pq_cnx *cnx, const uint8_t *cid, size_t cid_len,
                                                uint8_t *token) {
  pq_reset_token(cnx->ep, cid, cid_len, token);
  return 0;
}
PQ_OP_ADAPTER(stateless_reset_token)

PQ_OPIMPL uint64_t opimpl_issue_connection_id(pq_cnx *cnx) {
  pq_local_cid *l;
  int rc = pq_cnx_new_local_cid(cnx, &l);
  if (rc)
    return (uint64_t)(int64_t)rc;
  l->announce = 1;
  return 0;
}
PQ_OP_ADAPTER(issue_connection_id)

/* After the handshake: offer the peer as many CIDs as it accepts. */
void pq_cid_issue_initial(pq_cnx *cnx) {
  uint64_t limit = cnx->peer.active_cid_limit;
  if (limit > PQ_MAX_LOCAL_CIDS)
    limit = PQ_MAX_LOCAL_CIDS;
  size_t active = 0;
  for (size_t i = 0; i < PQ_MAX_LOCAL_CIDS; i++)
    active += cnx->local_cids[i].used;
  while (active < limit) {
    if (pq_op_failed(pq_op_issue_connection_id(cnx)))
      break;
    active++;
  }
}

PQ_OPIMPL uint64_t opimpl_retire_connection_id(pq_cnx *cnx, uint64_t sequence) {
  for (size_t i = 0; i < PQ_MAX_PEER_CIDS; i++) {
    pq_peer_cid *p = &cnx->peer_cids[i];
    if (p->used && p->seq == sequence && !p->retiring)
      p->retire = 1;
  }
  return 0;
}
PQ_OP_ADAPTER(retire_connection_id)

static size_t active_peer_cids(const pq_cnx *cnx) {
  size_t n = 0;
  for (size_t i = 0; i < PQ_MAX_PEER_CIDS; i++)
    n += cnx->peer_cids[i].used && !cnx->peer_cids[i].retire && !cnx->peer_cids[i].retiring;
  return n;
}

void pq_cid_on_new(pq_cnx *cnx, const pq_new_cid_frame *f) {
  if (cnx->peer_cids[0].cid.len == 0) {
    pq_cnx_error(cnx, PQUIC_WIRE_PROTOCOL_VIOLATION, PQ_FT_NEW_CONNECTION_ID,
                 "NEW_CONNECTION_ID while using a zero-length CID");
    return;
  }
  pq_peer_cid *free_slot = NULL;
  for (size_t i = 0; i < PQ_MAX_PEER_CIDS; i++) {
    pq_peer_cid *p = &cnx->peer_cids[i];
    if (!p->used) {
      if (!free_slot)
        free_slot = p;
      continue;
    }
    if (p->seq == f->seq) {
      if (!pq_cid_eq_bytes(&p->cid, f->cid, f->cid_len) ||
          (p->has_token && memcmp(p->token, f->reset_token, 16) != 0))
        pq_cnx_error(cnx, PQUIC_WIRE_PROTOCOL_VIOLATION, PQ_FT_NEW_CONNECTION_ID,
                     "a sequence number reused for another CID");
      return; /* a retransmission */
    }
  }
  if (f->seq < cnx->peer_retire_prior_to) {
    /* Already retired: retire it again right away (RFC 9000 19.15). */
    if (free_slot) {
      memset(free_slot, 0, sizeof *free_slot);
      free_slot->used = 1;
      free_slot->seq = f->seq;
      pq_cid_set(&free_slot->cid, f->cid, f->cid_len);
      free_slot->retire = 1;
    }
    return;
  }
  if (f->retire_prior_to > cnx->peer_retire_prior_to) {
    cnx->peer_retire_prior_to = f->retire_prior_to;
    for (size_t i = 0; i < PQ_MAX_PEER_CIDS; i++) {
      pq_peer_cid *p = &cnx->peer_cids[i];
      if (p->used && p->seq < f->retire_prior_to && !p->retiring)
        p->retire = 1;
    }
  }
  if (!free_slot || active_peer_cids(cnx) >= cnx->ep->cfg.settings.active_connection_id_limit) {
    pq_cnx_error(cnx, PQUIC_WIRE_CONNECTION_ID_LIMIT_ERROR, PQ_FT_NEW_CONNECTION_ID,
                 "more connection IDs than active_connection_id_limit");
    return;
  }
  memset(free_slot, 0, sizeof *free_slot);
  free_slot->used = 1;
  free_slot->seq = f->seq;
  pq_cid_set(&free_slot->cid, f->cid, f->cid_len);
  memcpy(free_slot->token, f->reset_token, 16);
  free_slot->has_token = 1;
  /* Paths whose CID was just retired move to a live one. */
  for (uint32_t i = 0; i < cnx->n_paths; i++) {
    pq_path *path = &cnx->paths[i];
    if (path->peer_cid_seq < cnx->peer_retire_prior_to) {
      for (size_t j = 0; j < PQ_MAX_PEER_CIDS; j++) {
        pq_peer_cid *p = &cnx->peer_cids[j];
        if (p->used && !p->retire && !p->retiring) {
          path->peer_cid_seq = p->seq;
          break;
        }
      }
    }
  }
}

static void linger(pq_cnx *cnx, const pq_cid *cid);

void pq_cid_on_retire(pq_cnx *cnx, pq_pkt *pkt, uint64_t seq) {
  if (seq >= cnx->next_local_seq) {
    pq_cnx_error(cnx, PQUIC_WIRE_PROTOCOL_VIOLATION, PQ_FT_RETIRE_CONNECTION_ID,
                 "retiring a connection ID never issued");
    return;
  }
  for (size_t i = 0; i < PQ_MAX_LOCAL_CIDS; i++) {
    pq_local_cid *l = &cnx->local_cids[i];
    if (!l->used || l->seq != seq)
      continue;
    if (pq_cid_eq_bytes(&l->cid, pkt->h.dcid, pkt->h.dcid_len)) {
      pq_cnx_error(cnx, PQUIC_WIRE_PROTOCOL_VIOLATION, PQ_FT_RETIRE_CONNECTION_ID,
                   "retiring the connection ID the packet was sent to");
      return;
    }
    linger(cnx, &l->cid);
    memset(l, 0, sizeof *l);
    (void)pq_op_issue_connection_id(cnx);
    return;
  }
}

/* Keeps a retired CID routed to the connection for three PTOs (what the
 * peer may still have in flight to it), evicting the oldest if all slots
 * are taken. */
static void linger(pq_cnx *cnx, const pq_cid *cid) {
  pq_retired_cid *slot = &cnx->retired_cids[0];
  for (size_t i = 0; i < PQ_MAX_RETIRED_CIDS; i++) {
    pq_retired_cid *r = &cnx->retired_cids[i];
    if (!r->cid.len) {
      slot = r;
      break;
    }
    if (r->until < slot->until)
      slot = r;
  }
  if (slot->cid.len)
    pq_ep_unregister_cid(cnx->ep, slot->cid.id, slot->cid.len);
  slot->cid = *cid;
  slot->until = cnx->now + 3 * pq_op_compute_pto(cnx, pq_cnx_active_path(cnx), PQ_EPOCH_APP);
}

void pq_cid_expire_retired(pq_cnx *cnx, uint64_t now) {
  for (size_t i = 0; i < PQ_MAX_RETIRED_CIDS; i++) {
    pq_retired_cid *r = &cnx->retired_cids[i];
    if (r->cid.len && now >= r->until) {
      if (pq_cidmap_get(&cnx->ep->cids, r->cid.id, r->cid.len) == cnx)
        pq_ep_unregister_cid(cnx->ep, r->cid.id, r->cid.len);
      memset(r, 0, sizeof *r);
    }
  }
}

/* --- stateless reset --- */

void pq_cnx_stateless_reset(pq_endpoint *ep, const uint8_t *data, size_t len,
                            const struct sockaddr *local, const struct sockaddr *remote) {
  size_t cid_len = ep->cfg.settings.cid_length;
  /* Smaller than what triggered it, so two endpoints cannot loop; at least
   * 21 bytes to look like a short-header packet (RFC 9000 10.3). */
  if (len < 1 + cid_len + 22 || len <= 21)
    return;
  size_t out_len = len - 1 < 43 ? len - 1 : 43;
  uint8_t pkt[64];
  pq_ep_random(ep, pkt, out_len - 16);
  pkt[0] = (uint8_t)((pkt[0] & 0x3f) | 0x40);
  pq_reset_token(ep, data + 1, cid_len, pkt + out_len - 16);
  pq_ep_queue_stateless(ep, pkt, out_len, local, remote);
}

PQ_OPIMPL uint64_t opimpl_detect_stateless_reset(pq_cnx *cnx, const uint8_t *data, size_t len) {
  if (len < 21)
    return 0;
  const uint8_t *tok = data + len - 16;
  for (size_t i = 0; i < PQ_MAX_PEER_CIDS; i++) {
    const pq_peer_cid *p = &cnx->peer_cids[i];
    /* never the token of a CID we retired (RFC 9000 10.3.1): the peer may
     * have forgotten it and reset packets still in flight to it */
    if (!p->used || !p->has_token || p->retire || p->retiring)
      continue;
    uint8_t diff = 0; /* constant time (RFC 9000 10.3.1) */
    for (size_t k = 0; k < 16; k++)
      diff |= (uint8_t)(p->token[k] ^ tok[k]);
    if (diff == 0)
      return 1;
  }
  return 0;
}
PQ_OP_ADAPTER(detect_stateless_reset)

PQ_OP_DEFAULTS(cid, PQ_OP_DEFAULT(stateless_reset_token), PQ_OP_DEFAULT(issue_connection_id),
               PQ_OP_DEFAULT(retire_connection_id), PQ_OP_DEFAULT(detect_stateless_reset))
