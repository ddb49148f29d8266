/* Closing (RFC 9000 section 10): errors, CONNECTION_CLOSE in and out,
 * closing and draining states. */
#include <stdio.h>
#include <string.h>

#include "conn/cnx_internal.h"
#include "conn/frames.h"
#include "conn/opcalls.h"

void pq_cnx_error(pq_cnx *cnx, uint64_t wire_error, uint64_t frame_type, const char *reason) {
  if (pq_cnx_closing(cnx))
    return;
  (void)pq_op_connection_error(cnx, wire_error, frame_type, reason);
}

PQ_OPIMPL uint64_t opimpl_connection_error(pq_cnx *cnx, uint64_t wire_error, uint64_t frame_type,
                                           const char *reason) {
  if (pq_cnx_closing(cnx))
    return 0;
  cnx->close_error = wire_error;
  cnx->close_frame_type = frame_type;
  cnx->close_is_app = 0;
  if (!cnx->close_err) /* the library's view of a transport error we detected */
    cnx->close_err = wire_error == PQUIC_WIRE_INTERNAL_ERROR ? PQUIC_ERR_INTERNAL
                     : wire_error == PQUIC_WIRE_FLOW_CONTROL_ERROR ? PQUIC_ERR_FLOW_CONTROL
                     : wire_error == PQUIC_WIRE_STREAM_LIMIT_ERROR ? PQUIC_ERR_STREAM_LIMIT
                     : wire_error == PQUIC_WIRE_FINAL_SIZE_ERROR   ? PQUIC_ERR_FINAL_SIZE
                     : wire_error == PQUIC_WIRE_TRANSPORT_PARAMETER_ERROR
                         ? PQUIC_ERR_TRANSPORT_PARAMETER
                     : wire_error == PQUIC_WIRE_FRAME_ENCODING_ERROR ? PQUIC_ERR_FRAME_ENCODING
                                                                     : PQUIC_ERR_PROTOCOL_VIOLATION;
  if (reason && reason != cnx->close_reason)
    snprintf(cnx->close_reason, sizeof cnx->close_reason, "%s", reason);
  return pq_op_enter_closing(cnx, cnx->now);
}
PQ_OP_ADAPTER(connection_error)

static uint64_t three_ptos(pq_cnx *cnx) {
  return 3 * pq_op_compute_pto(cnx, pq_cnx_active_path(cnx), PQ_EPOCH_APP);
}

PQ_OPIMPL uint64_t opimpl_enter_closing(pq_cnx *cnx, uint64_t now) {
  if (pq_cnx_closing(cnx))
    return 0;
  pq_cnx_set_state(cnx, PQ_CNX_CLOSING);
  cnx->close_pending = 1;
  cnx->close_deadline = now + three_ptos(cnx);
  cnx->loss_timer = PQ_TIME_NEVER;
  return 0;
}
PQ_OP_ADAPTER(enter_closing)

PQ_OPIMPL uint64_t opimpl_enter_draining(pq_cnx *cnx, uint64_t now) {
  if (cnx->state == PQ_CNX_DRAINING || cnx->state == PQ_CNX_CLOSED)
    return 0;
  pq_cnx_set_state(cnx, PQ_CNX_DRAINING);
  cnx->close_pending = 0;
  cnx->close_deadline = now + three_ptos(cnx);
  cnx->loss_timer = PQ_TIME_NEVER;
  return 0;
}
PQ_OP_ADAPTER(enter_draining)

PQ_OPIMPL uint64_t opimpl_write_connection_close(pq_cnx *cnx, pq_opkt *o) {
  pq_frame f;
  memset(&f, 0, sizeof f);
  /* Before 1-RTT, an application close becomes a transport
   * APPLICATION_ERROR so that it reveals nothing (RFC 9000 10.2.3). */
  int app = cnx->close_is_app && o->level == PQ_CRYPTO_LEVEL_1RTT;
  f.type = app ? PQ_FT_CONNECTION_CLOSE_APP : PQ_FT_CONNECTION_CLOSE;
  f.u.close.error_code = cnx->close_is_app && !app ? PQUIC_WIRE_APPLICATION_ERROR : cnx->close_error;
  f.u.close.frame_type = app ? 0 : cnx->close_frame_type;
  if (!app && cnx->close_is_app)
    f.u.close.frame_type = 0;
  size_t rlen = strlen(cnx->close_reason);
  if (o->level != PQ_CRYPTO_LEVEL_1RTT || cnx->close_reason_private)
    rlen = 0; /* nothing readable by an observer in Initial packets */
  f.u.close.reason = (const uint8_t *)cnx->close_reason;
  f.u.close.reason_len = rlen;
  while (pq_frame_size(&f) > pq_opkt_room(o) && f.u.close.reason_len)
    f.u.close.reason_len /= 2;
  if (pq_frame_encode(&o->w, &f))
    return 0;
  (void)pq_sent_add_frame(o->sp, f.type);
  return 0;
}
PQ_OP_ADAPTER(write_connection_close)

void pq_close_on_frame(pq_cnx *cnx, const pq_close_frame *f, int app) {
  if (cnx->state == PQ_CNX_DRAINING || cnx->state == PQ_CNX_CLOSED)
    return;
  cnx->close_by_peer = 1;
  cnx->close_error = f->error_code;
  cnx->close_is_app = app;
  cnx->close_err = PQUIC_ERR_PEER_CLOSED;
  size_t n = f->reason_len < sizeof cnx->close_reason - 1 ? f->reason_len
                                                          : sizeof cnx->close_reason - 1;
  /* Keep only printable bytes of the peer's reason. */
  for (size_t i = 0; i < n; i++) {
    uint8_t c = f->reason[i];
    cnx->close_reason[i] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
  }
  cnx->close_reason[n] = '\0';
  (void)pq_op_enter_draining(cnx, cnx->now);
}

int pquic_cnx_close(pquic_cnx *cnx, uint64_t app_error, const char *reason, uint64_t now) {
  if (!cnx)
    return PQUIC_ERR_INVAL;
  if (pq_cnx_closing(cnx))
    return 0;
  cnx->now = now;
  cnx->close_is_app = app_error != 0 || cnx->handshake_complete;
  cnx->close_error = app_error;
  cnx->close_frame_type = 0;
  cnx->close_err = 0;
  snprintf(cnx->close_reason, sizeof cnx->close_reason, "%s", reason ? reason : "");
  (void)pq_op_enter_closing(cnx, now);
  return 0;
}

PQ_OP_DEFAULTS(close, PQ_OP_DEFAULT(connection_error), PQ_OP_DEFAULT(enter_closing),
               PQ_OP_DEFAULT(enter_draining), PQ_OP_DEFAULT(write_connection_close))
