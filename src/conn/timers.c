/* Timers: idle timeout (RFC 9000 10.1), loss detection, closing and
 * draining, path validation; and the next wake-up time of a connection. */
#include <stdio.h>

#include "conn/cnx_internal.h"
#include "conn/opcalls.h"

PQ_OPIMPL uint64_t opimpl_update_idle_timer(pq_cnx *cnx, uint64_t now, uint64_t sent) {
  if (!cnx->idle_timeout)
    return 0;
  /* Sending restarts the timer only for the first ack-eliciting packet
   * after a receipt (RFC 9000 10.1). */
  if (sent && cnx->idle_armed_by_send)
    return 0;
  cnx->idle_armed_by_send = sent != 0;
  uint64_t pto = pq_op_compute_pto(cnx, pq_cnx_active_path(cnx), PQ_EPOCH_APP);
  if (pq_op_failed(pto))
    return pto; /* refused: the connection is being torn down */
  /* Saturating: a replaced compute_pto may return anything. */
  uint64_t pto3 = pto < PQ_TIME_NEVER / 3 ? 3 * pto : PQ_TIME_NEVER;
  uint64_t t = cnx->idle_timeout > pto3 ? cnx->idle_timeout : pto3;
  cnx->idle_deadline = t < PQ_TIME_NEVER - now ? now + t : PQ_TIME_NEVER;
  return 0;
}
PQ_OP_ADAPTER(update_idle_timer)

PQ_OPIMPL uint64_t opimpl_timer_expired(pq_cnx *cnx, uint64_t param, uint64_t now) {
  switch (param) {
  case PQ_TIMER_IDLE:
    /* Silent close (RFC 9000 10.1). */
    cnx->close_err = PQUIC_ERR_IDLE_TIMEOUT;
    snprintf(cnx->close_reason, sizeof cnx->close_reason, "idle timeout");
    pq_cnx_set_state(cnx, PQ_CNX_CLOSED);
    break;
  case PQ_TIMER_LOSS:
    cnx->loss_timer = PQ_TIME_NEVER;
    (void)pq_op_on_loss_detection_timeout(cnx, now);
    break;
  case PQ_TIMER_CLOSE:
    pq_cnx_set_state(cnx, PQ_CNX_CLOSED);
    break;
  case PQ_TIMER_PATH:
    for (uint32_t i = 0; i < cnx->n_paths; i++) {
      if (cnx->paths[i].validation_deadline <= now)
        pq_path_validation_failed(cnx, &cnx->paths[i]);
    }
    break;
  default:
    break;
  }
  return 0;
}
PQ_OP_ADAPTER(timer_expired)

void pq_cnx_run_timers(pq_cnx *cnx, uint64_t now) {
  if (cnx->state == PQ_CNX_CLOSED)
    return;
  if (now >= cnx->close_deadline) {
    (void)pq_op_timer_expired(cnx, PQ_TIMER_CLOSE, now);
    return;
  }
  uint64_t hs = cnx->ep->cfg.settings.handshake_timeout_us;
  if (hs && !cnx->handshake_complete && now >= cnx->created + hs && !pq_cnx_closing(cnx)) {
    /* Give up quietly, as on an idle timeout (RFC 9000 10.1). */
    cnx->close_err = PQUIC_ERR_HANDSHAKE_TIMEOUT;
    snprintf(cnx->close_reason, sizeof cnx->close_reason, "handshake timeout");
    pq_cnx_set_state(cnx, PQ_CNX_CLOSED);
    return;
  }
  if (now >= cnx->idle_deadline && !pq_cnx_closing(cnx)) {
    (void)pq_op_timer_expired(cnx, PQ_TIMER_IDLE, now);
    return;
  }
  if (now >= cnx->loss_timer && !pq_cnx_closing(cnx))
    (void)pq_op_timer_expired(cnx, PQ_TIMER_LOSS, now);
  pq_cnx_key_timers(cnx, now);
  pq_cid_expire_retired(cnx, now);
  pq_ecn_check_testing(cnx, pq_cnx_active_path(cnx), now);
  for (uint32_t i = 0; i < cnx->n_paths; i++) {
    if (now >= cnx->paths[i].validation_deadline) {
      (void)pq_op_timer_expired(cnx, PQ_TIMER_PATH, now);
      break;
    }
  }
}

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

PQ_OPIMPL uint64_t opimpl_next_wake_time(pq_cnx *cnx) {
  if (cnx->state == PQ_CNX_CLOSED || cnx->op.fault)
    return 0;
  /* While closing or draining only the close timer runs (pq_cnx_run_timers):
   * an idle deadline that passed meanwhile must not keep waking us. */
  if (cnx->state == PQ_CNX_DRAINING)
    return cnx->close_deadline;
  uint64_t t = min64(cnx->close_deadline, cnx->idle_deadline);
  uint64_t hs = cnx->ep->cfg.settings.handshake_timeout_us;
  if (hs && !cnx->handshake_complete)
    t = min64(t, cnx->created + hs);
  /* What is sent "now" waits while output is backing off (pq_cnx_output). */
  uint64_t now = cnx->now > cnx->send_not_before ? cnx->now : cnx->send_not_before;
  pq_path *path = pq_cnx_active_path(cnx);
  int can_send = pq_op_check_amplification_limit(cnx, path) > 0;
  if (cnx->state == PQ_CNX_CLOSING)
    return cnx->close_pending && can_send ? min64(now, cnx->close_deadline) : cnx->close_deadline;
  t = min64(t, cnx->loss_timer);
  for (uint32_t i = 0; i < cnx->n_paths; i++)
    t = min64(t, cnx->paths[i].validation_deadline);
  if (!can_send)
    return t;
  for (int e = 0; e < PQ_EPOCH_COUNT; e++) {
    pq_space *sp = &cnx->spaces[e];
    if (sp->discarded || !cnx->wkeys_ok[pq_epoch_level(e)])
      continue;
    if (sp->ack_pending)
      t = min64(t, sp->ack_now ? now : max64(sp->ack_deadline, now));
    pq_sendbuf_range r;
    if (sp->probe_pending || pq_sendbuf_next(&sp->crypto_out, UINT64_MAX, 1, &r))
      return min64(t, now);
  }
  if (cnx->wkeys_ok[pq_cnx_app_write_level(cnx)] && pq_cnx_has_pending(cnx) &&
      pq_op_cc_available(cnx, path) > 0)
    t = min64(t, max64(pq_op_pacing_next_send_time(cnx, path, path->max_udp_payload, cnx->now), now));
  return t;
}
PQ_OP_ADAPTER(next_wake_time)

PQ_OP_DEFAULTS(timers, PQ_OP_DEFAULT(update_idle_timer), PQ_OP_DEFAULT(timer_expired),
               PQ_OP_DEFAULT(next_wake_time))
