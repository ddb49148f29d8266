/* Datagram packetization layer PMTU discovery (RFC 9000 14.3, RFC 8899):
 * PING + PADDING probes of growing sizes, a binary search between the
 * largest size acknowledged and the smallest that failed; probe losses are
 * not congestion (RFC 9000 14.4). */
#include "conn/cnx_internal.h"
#include "conn/opcalls.h"

#define PQ_PMTU_MAX_PROBES 3 /* losses of one size before it is given up */
#define PQ_PMTU_STEP 16      /* the search stops when the interval is this small */

/* The largest size the peer and our settings allow. */
static uint32_t ceiling(const pq_cnx *cnx) {
  uint64_t c = cnx->ep->cfg.settings.max_udp_payload_size;
  if (cnx->peer_tp_received && cnx->peer.max_udp_payload < c)
    c = cnx->peer.max_udp_payload;
  return (uint32_t)c;
}

PQ_OPIMPL uint64_t opimpl_pmtu_probe_size(pq_cnx *cnx, pq_path *path, uint64_t now) {
  if (!cnx->handshake_confirmed || !path->validated || path->pmtu_probe || now < path->pmtu_next)
    return 0;
  if (path->pmtu_lo == 0) { /* first use: start the search */
    path->pmtu_lo = path->max_udp_payload;
    path->pmtu_hi = ceiling(cnx);
  }
  if (path->pmtu_hi <= path->pmtu_lo + PQ_PMTU_STEP)
    return 0;
  /* Try the ceiling first (the common case is a clean path), then halve. */
  uint32_t size = path->pmtu_fails == 0 && path->pmtu_lo == path->max_udp_payload &&
                          path->pmtu_hi == ceiling(cnx)
                      ? path->pmtu_hi
                      : path->pmtu_lo + (path->pmtu_hi - path->pmtu_lo + 1) / 2;
  return size;
}
PQ_OP_ADAPTER(pmtu_probe_size)

void pq_pmtud_on_sent(pq_path *path, uint32_t size) { path->pmtu_probe = size; }

void pq_pmtud_on_acked(pq_cnx *cnx, const pq_sent_pkt *sp) {
  pq_path *path = sp->path;
  if (sp->size > path->pmtu_lo)
    path->pmtu_lo = sp->size;
  if (sp->size > path->max_udp_payload) {
    path->max_udp_payload = sp->size;
    (void)pq_op_pmtu_updated(cnx, path);
  }
  path->pmtu_probe = 0;
  path->pmtu_fails = 0;
}

void pq_pmtud_on_lost(pq_cnx *cnx, const pq_sent_pkt *sp) {
  pq_path *path = sp->path;
  path->pmtu_probe = 0;
  /* Probe again a little later: the loss may have been congestion. */
  path->pmtu_next = cnx->now + pq_cnx_active_path(cnx)->smoothed_rtt;
  if (++path->pmtu_fails >= PQ_PMTU_MAX_PROBES) {
    path->pmtu_hi = sp->size - 1;
    path->pmtu_fails = 0;
  }
}

PQ_OP_DEFAULTS(pmtud, PQ_OP_DEFAULT(pmtu_probe_size))
