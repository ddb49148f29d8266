/* Key update (RFC 9001 section 6). */
#include "conn/cnx_internal.h"

void pq_cnx_peer_key_update(pq_cnx *cnx, uint64_t pn) {
  pq_dir_keys *r = &cnx->rkeys[PQ_CRYPTO_LEVEL_1RTT];
  pq_dir_keys *w = &cnx->wkeys[PQ_CRYPTO_LEVEL_1RTT];
  /* The next read phase becomes current; the old one is re-keyed in place
   * to become the phase after. */
  pq_phase_keys old = r->phase;
  r->phase = cnx->rnext;
  cnx->rnext = old;
  cnx->rnext_ok = pq_phase_keys_next(&cnx->rnext, &r->phase) == 0;
  /* Answer with our own update (RFC 9001 6.2). */
  pq_phase_keys next = {0};
  if (pq_phase_keys_next(&next, &w->phase) == 0) {
    pq_phase_keys_free(&w->phase);
    w->phase = next;
  }
  cnx->key_phase ^= 1;
  cnx->key_phase_start_pn = pn;
  cnx->stats.key_updates++;
}
