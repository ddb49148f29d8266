/* Key update (RFC 9001 section 6): initiating one, following the peer's,
 * and keeping the previous read phase for reordered packets. */
#include "conn/cnx_internal.h"
#include "conn/opcalls.h"

/* Moves the write keys to the next phase. */
static int next_write_phase(pq_cnx *cnx) {
  pq_dir_keys *w = &cnx->wkeys[PQ_CRYPTO_LEVEL_1RTT];
  pq_phase_keys next = {0};
  int rc = pq_phase_keys_next(&next, &w->phase);
  if (rc)
    return rc;
  pq_phase_keys_free(&w->phase);
  w->phase = next;
  cnx->key_phase ^= 1;
  cnx->key_phase_start_pn = cnx->spaces[PQ_EPOCH_APP].next_pn;
  cnx->key_phase_time = cnx->now;
  cnx->stats.key_updates++;
  return 0;
}

/* Until a packet of the current write phase is acknowledged, another
 * update would leave the peer two phases behind (RFC 9001 6.1). */
static int write_phase_acked(const pq_cnx *cnx) {
  uint64_t la = cnx->spaces[PQ_EPOCH_APP].largest_acked;
  return la != PQ_PN_NONE && la >= cnx->key_phase_start_pn;
}

PQ_OPIMPL uint64_t opimpl_initiate_key_update(pq_cnx *cnx, uint64_t now) {
  /* The peer keeps the previous read keys for about three PTOs and may
   * not be ready for the next phase before (RFC 9001 6.5): wait as long. */
  uint64_t settle = 3 * pq_op_compute_pto(cnx, pq_cnx_active_path(cnx), PQ_EPOCH_APP);
  if (!cnx->handshake_confirmed || !cnx->wkeys_ok[PQ_CRYPTO_LEVEL_1RTT] ||
      cnx->key_phase != cnx->read_phase || !write_phase_acked(cnx) ||
      now < cnx->key_phase_time + settle)
    return (uint64_t)(int64_t)PQUIC_ERR_STATE;
  int rc = next_write_phase(cnx);
  if (rc)
    return (uint64_t)(int64_t)rc;
  (void)pq_op_key_updated(cnx, 1);
  return 0;
}
PQ_OP_ADAPTER(initiate_key_update)

/* Keys to open a 1-RTT packet carrying phase bit `bit` and number `pn`:
 * the current phase, the previous one (older packets), or the next. */
pq_aead *pq_cnx_read_aead(pq_cnx *cnx, int bit, uint64_t pn, int *next) {
  *next = 0;
  if (bit == cnx->read_phase)
    return &cnx->rkeys[PQ_CRYPTO_LEVEL_1RTT].phase.aead;
  if (cnx->rprev_ok && pn < cnx->read_phase_start_pn)
    return &cnx->rprev.aead;
  if (!cnx->rnext_ok)
    return NULL;
  *next = 1;
  return &cnx->rnext.aead;
}

void pq_cnx_peer_key_update(pq_cnx *cnx, uint64_t pn) {
  pq_dir_keys *r = &cnx->rkeys[PQ_CRYPTO_LEVEL_1RTT];
  /* current -> previous, next -> current; the old previous is re-keyed in
   * place to become the new next (no allocation on the packet path). */
  pq_phase_keys spare = cnx->rprev;
  int spare_ok = cnx->rprev_ok;
  cnx->rprev = r->phase;
  cnx->rprev_ok = 1;
  r->phase = cnx->rnext;
  cnx->rnext = spare;
  if (!spare_ok)
    cnx->rnext = (pq_phase_keys){0};
  cnx->rnext_ok = pq_phase_keys_next(&cnx->rnext, &r->phase) == 0;
  cnx->read_phase ^= 1;
  cnx->read_phase_start_pn = pn;
  cnx->key_phase_time = cnx->now;
  /* Old-phase packets may still arrive for a while (RFC 9001 6.5). */
  cnx->rprev_until = cnx->now + 3 * pq_op_compute_pto(cnx, pq_cnx_active_path(cnx), PQ_EPOCH_APP);
  /* Follow the peer with our write keys (RFC 9001 6.2), unless we started
   * this update ourselves. */
  if (cnx->key_phase != cnx->read_phase && next_write_phase(cnx) == 0)
    (void)pq_op_key_updated(cnx, 0);
}

/* Called from the timers: forget the previous read phase. */
void pq_cnx_key_timers(pq_cnx *cnx, uint64_t now) {
  if (cnx->rprev_ok && now >= cnx->rprev_until) {
    pq_phase_keys_free(&cnx->rprev);
    cnx->rprev_ok = 0;
  }
  uint32_t every = cnx->ep->cfg.settings.key_update_interval;
  if (every && cnx->spaces[PQ_EPOCH_APP].next_pn >= cnx->key_phase_start_pn + every)
    (void)pq_op_initiate_key_update(cnx, now);
}

PQ_OP_DEFAULTS(keyupdate, PQ_OP_DEFAULT(initiate_key_update))
