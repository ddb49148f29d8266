/* Paths (RFC 9000 8.2, 9): creating one for a new peer address, validation
 * with PATH_CHALLENGE / PATH_RESPONSE, migration, NAT rebinding, falling
 * back when validation fails, and the client's active migration. */
#include <netinet/in.h>
#include <string.h>

#include "conn/cnx_internal.h"
#include "conn/frames.h"
#include "conn/opcalls.h"

void pq_path_init(pq_cnx *cnx, pq_path *p, const struct sockaddr *local,
                  const struct sockaddr *remote) {
  const pquic_settings *s = &cnx->ep->cfg.settings;
  memset(p, 0, sizeof *p);
  if (local)
    memcpy(&p->local, local, pq_sockaddr_len(local));
  memcpy(&p->remote, remote, pq_sockaddr_len(remote));
  p->index = (uint32_t)(p - cnx->paths);
  p->max_udp_payload = s->initial_udp_payload_size;
  if (cnx->peer_tp_received && p->max_udp_payload > cnx->peer.max_udp_payload)
    p->max_udp_payload = (uint32_t)cnx->peer.max_udp_payload;
  p->smoothed_rtt = s->initial_rtt_us;
  p->rttvar = s->initial_rtt_us / 2;
  p->recovery_start = PQ_TIME_NEVER;
  p->validation_deadline = PQ_TIME_NEVER;
  /* A client trusts the address it chose to contact (RFC 9000 8.1). */
  p->validated = !cnx->is_server && cnx->n_paths == 0;
}

/* Same IP, other port: a NAT rebinding, not a new network. */
static int same_host(const struct sockaddr *a, const struct sockaddr *b) {
  if (a->sa_family != b->sa_family)
    return 0;
  if (a->sa_family == AF_INET)
    return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
           ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
  return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
                &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr, 16) == 0;
}

/* A peer CID no path uses, for a new path (RFC 9000 9.5); else the active
 * path's. */
static uint64_t fresh_peer_cid(pq_cnx *cnx) {
  for (size_t i = 0; i < PQ_MAX_PEER_CIDS; i++) {
    const pq_peer_cid *c = &cnx->peer_cids[i];
    if (!c->used || c->retire || c->retiring)
      continue;
    int taken = 0;
    for (uint32_t k = 0; k < cnx->n_paths; k++)
      taken |= cnx->paths[k].peer_cid_seq == c->seq;
    if (!taken)
      return c->seq;
  }
  return pq_cnx_active_path(cnx)->peer_cid_seq;
}

static pq_path *add_path(pq_cnx *cnx, const struct sockaddr *local, const struct sockaddr *remote) {
  pq_path *p = NULL;
  if (cnx->n_paths < PQ_MAX_PATHS) {
    p = &cnx->paths[cnx->n_paths++];
  } else {
    /* Reuse a path that is neither active nor the fallback and carries no
     * packet in flight. */
    for (uint32_t i = 0; i < cnx->n_paths && !p; i++) {
      pq_path *q = &cnx->paths[i];
      if (i != cnx->active_path && i != cnx->fallback_path && q->bytes_in_flight == 0)
        p = q;
    }
    if (!p)
      return NULL;
  }
  uint32_t n = cnx->n_paths;
  cnx->n_paths = 1; /* so pq_path_init sees a path other than the first */
  pq_path_init(cnx, p, local, remote);
  cnx->n_paths = n;
  const pq_path *a = pq_cnx_active_path(cnx);
  if (same_host(remote, (const struct sockaddr *)&a->remote)) {
    /* NAT rebinding: same network, keep RTT and congestion state
     * (RFC 9000 9.4). */
    p->has_rtt = a->has_rtt;
    p->latest_rtt = a->latest_rtt;
    p->min_rtt = a->min_rtt;
    p->smoothed_rtt = a->smoothed_rtt;
    p->rttvar = a->rttvar;
    p->cwnd = a->cwnd;
    p->ssthresh = a->ssthresh;
    p->cubic = a->cubic;
    p->recovery_start = PQ_TIME_NEVER;
    p->max_udp_payload = a->max_udp_payload;
  } else {
    (void)pq_op_cc_init(cnx, p);
  }
  p->peer_cid_seq = fresh_peer_cid(cnx);
  return p;
}

/* A path is its 4-tuple; a path whose local address was never given
 * matches any local address. */
static int path_matches(const pq_path *p, const struct sockaddr *local,
                        const struct sockaddr *remote) {
  if (!pq_sockaddr_eq((const struct sockaddr *)&p->remote, remote))
    return 0;
  return !local || p->local.ss_family == 0 ||
         pq_sockaddr_eq((const struct sockaddr *)&p->local, local);
}

pq_path *pq_cnx_path_for(pq_cnx *cnx, const struct sockaddr *local, const struct sockaddr *remote) {
  for (uint32_t i = 0; i < cnx->n_paths; i++) {
    if (path_matches(&cnx->paths[i], local, remote))
      return &cnx->paths[i];
  }
  /* Only a server follows a peer to a new address, and only once the
   * handshake is confirmed (RFC 9000 9: no migration before). */
  if (!cnx->is_server || !cnx->handshake_confirmed || cnx->peer.disable_migration)
    return NULL;
  return add_path(cnx, local, remote);
}

PQ_OPIMPL uint64_t opimpl_validate_path(pq_cnx *cnx, pq_path *path, uint64_t now) {
  pq_ep_random(cnx->ep, path->challenge, sizeof path->challenge);
  path->challenge_pending = 1;
  /* Abandon after three PTOs, at least (RFC 9000 8.2.4). */
  uint64_t pto = pq_op_compute_pto(cnx, path, PQ_EPOCH_APP);
  uint64_t initial = 2 * cnx->ep->cfg.settings.initial_rtt_us;
  path->validation_deadline = now + 3 * (pto > initial ? pto : initial);
  return 0;
}
PQ_OP_ADAPTER(validate_path)

PQ_OPIMPL uint64_t opimpl_peer_address_changed(pq_cnx *cnx, pq_path *path, uint64_t now) {
  pq_path *old = pq_cnx_active_path(cnx);
  if (old->validated)
    cnx->fallback_path = old->index;
  cnx->active_path = path->index;
  cnx->stats.migrations++;
  /* Until validated, the path is amplification-limited (RFC 9000 9.3). */
  if (!path->validated)
    (void)pq_op_validate_path(cnx, path, now);
  return 0;
}
PQ_OP_ADAPTER(peer_address_changed)

void pq_path_after_packet(pq_cnx *cnx, pq_pkt *pkt) {
  pq_path *p = pkt->path;
  /* Only a server follows its peer; a client chooses its own path. */
  if (!cnx->is_server || p == pq_cnx_active_path(cnx) || !pkt->non_probing || pkt->epoch != PQ_EPOCH_APP ||
      pkt->pn != cnx->spaces[PQ_EPOCH_APP].largest_recv)
    return;
  (void)pq_op_peer_address_changed(cnx, p, cnx->now);
}

pq_path *pq_path_probe_pending(pq_cnx *cnx) {
  for (uint32_t i = 0; i < cnx->n_paths; i++) {
    pq_path *p = &cnx->paths[i];
    if (i != cnx->active_path && (p->challenge_pending || p->response_pending))
      return p;
  }
  return NULL;
}

/* Validation of the path in use failed: back to the last good one
 * (RFC 9000 9.3.2). */
void pq_path_validation_failed(pq_cnx *cnx, pq_path *p) {
  p->validation_deadline = PQ_TIME_NEVER;
  p->challenge_pending = 0;
  if (p->index != cnx->active_path || cnx->fallback_path == p->index)
    return;
  pq_path *back = &cnx->paths[cnx->fallback_path];
  if (back->validated) {
    cnx->active_path = back->index;
    cnx->stats.migrations++;
  }
}

void pq_path_on_challenge(pq_cnx *cnx, pq_pkt *pkt, const uint8_t data[8]) {
  (void)cnx;
  /* Answer on the path it came from (RFC 9000 8.2.2); a newer challenge
   * replaces an unsent answer. */
  memcpy(pkt->path->response, data, 8);
  pkt->path->response_pending = 1;
}

void pq_path_on_response(pq_cnx *cnx, pq_pkt *pkt, const uint8_t data[8]) {
  /* The response may come on any path; it validates the one challenged. */
  for (uint32_t i = 0; i < cnx->n_paths; i++) {
    pq_path *path = &cnx->paths[i];
    if (path->validation_deadline == PQ_TIME_NEVER || memcmp(path->challenge, data, 8) != 0)
      continue;
    path->validated = 1;
    path->validation_deadline = PQ_TIME_NEVER;
    path->challenge_pending = 0;
    (void)pq_op_path_validated(cnx, path);
    if (!cnx->is_server && (int)path->index == cnx->preferred_path &&
        path->index != cnx->active_path)
      (void)pq_op_peer_address_changed(cnx, path, cnx->now); /* move there (RFC 9000 9.6) */
    /* The old path's CID is no longer needed once a client moved. */
    if (!cnx->is_server && path->index == cnx->active_path &&
        cnx->fallback_path != path->index) {
      uint64_t old = cnx->paths[cnx->fallback_path].peer_cid_seq;
      if (old != path->peer_cid_seq)
        (void)pq_op_retire_connection_id(cnx, old);
    }
    return;
  }
  (void)pkt; /* unsolicited or stale: ignore (RFC 9000 8.2.3) */
}

void pq_path_start_preferred(pq_cnx *cnx, uint64_t now) {
  if (cnx->is_server || !cnx->has_preferred || cnx->preferred_path >= 0)
    return;
  pq_path *a = pq_cnx_active_path(cnx);
  const struct sockaddr *local = a->local.ss_family ? (const struct sockaddr *)&a->local : NULL;
  pq_path *p = add_path(cnx, local, (const struct sockaddr *)&cnx->preferred);
  if (!p)
    return;
  p->peer_cid_seq = 1; /* the CID that came with the address */
  cnx->preferred_path = (int)p->index;
  (void)pq_op_validate_path(cnx, p, now);
}

int pquic_cnx_migrate(pquic_cnx *cnx, const struct sockaddr *local, uint64_t now) {
  if (!cnx || !local || cnx->is_server)
    return PQUIC_ERR_INVAL;
  if (!cnx->handshake_confirmed || pq_cnx_closing(cnx) || cnx->peer.disable_migration)
    return PQUIC_ERR_STATE;
  pq_path *a = pq_cnx_active_path(cnx);
  uint64_t seq = fresh_peer_cid(cnx);
  if (seq == a->peer_cid_seq)
    return PQUIC_ERR_STATE; /* no unused connection ID from the peer (RFC 9000 9.5) */
  cnx->now = now;
  pq_path *p = add_path(cnx, local, (const struct sockaddr *)&a->remote);
  if (!p)
    return PQUIC_ERR_LIMIT;
  p->peer_cid_seq = seq;
  /* The client moves first and validates the new path as it goes. */
  (void)pq_op_peer_address_changed(cnx, p, now);
  return 0;
}

PQ_OP_DEFAULTS(path, PQ_OP_DEFAULT(validate_path), PQ_OP_DEFAULT(peer_address_changed))
