/* Paths: validation with PATH_CHALLENGE / PATH_RESPONSE (RFC 9000 8.2)
 * and reaction to a peer address change (RFC 9000 9). */
#include <string.h>

#include "conn/cnx_internal.h"
#include "conn/frames.h"
#include "conn/opcalls.h"

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
  /* Migration is validated before use; the path starts unvalidated and
   * amplification-limited (RFC 9000 9.3). */
  path->validated = 0;
  return pq_op_validate_path(cnx, path, now);
}
PQ_OP_ADAPTER(peer_address_changed)

void pq_path_on_challenge(pq_cnx *cnx, pq_pkt *pkt, const uint8_t data[8]) {
  (void)cnx;
  /* Answer on the path it came from (RFC 9000 8.2.2); a newer challenge
   * replaces an unsent answer. */
  memcpy(pkt->path->response, data, 8);
  pkt->path->response_pending = 1;
}

void pq_path_on_response(pq_cnx *cnx, pq_pkt *pkt, const uint8_t data[8]) {
  pq_path *path = pkt->path;
  if (path->validation_deadline == PQ_TIME_NEVER || memcmp(path->challenge, data, 8) != 0)
    return; /* unsolicited or stale: ignore (RFC 9000 8.2.3) */
  path->validated = 1;
  path->validation_deadline = PQ_TIME_NEVER;
  path->challenge_pending = 0;
  (void)pq_op_path_validated(cnx, path);
}

PQ_OP_DEFAULTS(path, PQ_OP_DEFAULT(validate_path), PQ_OP_DEFAULT(peer_address_changed))
