/* Flow control (RFC 9000 section 4): window updates with auto-tuning,
 * stream limits, and the peer's credit. */
#include "conn/cnx_internal.h"
#include "conn/frames.h"
#include "conn/opcalls.h"

/* A window is grown when the reader used a whole window in less than two
 * round trips: the window, not the reader, is the bottleneck. */
static uint64_t tune(pq_cnx *cnx, uint64_t window, uint64_t *epoch_start, uint64_t ceiling,
                     uint64_t now) {
  uint64_t srtt = pq_cnx_active_path(cnx)->smoothed_rtt;
  if (now - *epoch_start < 2 * srtt && window < ceiling) {
    window *= 2;
    if (window > ceiling)
      window = ceiling;
  }
  *epoch_start = now;
  return window;
}

PQ_OPIMPL uint64_t opimpl_update_max_data(pq_cnx *cnx, uint64_t now) {
  uint64_t consumed = cnx->data_consumed;
  if (cnx->max_data_recv - consumed >= cnx->recv_window / 2)
    return 0;
  cnx->recv_window = tune(cnx, cnx->recv_window, &cnx->window_epoch_start,
                          cnx->ep->cfg.settings.max_window_data, now);
  cnx->max_data_recv = consumed + cnx->recv_window;
  cnx->max_data_pending = 1;
  return 0;
}
PQ_OP_ADAPTER(update_max_data)

PQ_OPIMPL uint64_t opimpl_update_max_stream_data(pq_cnx *cnx, pq_stream *s, uint64_t now) {
  if (s->recv_state != PQ_RECV_RECV)
    return 0; /* the final size is known: no more credit needed */
  uint64_t read = pq_recvbuf_read_off(&s->recv);
  if (s->max_recv - read >= s->recv_window / 2)
    return 0;
  s->recv_window = tune(cnx, s->recv_window, &s->window_epoch_start,
                        cnx->ep->cfg.settings.max_window_stream_data, now);
  s->max_recv = read + s->recv_window;
  pq_stream_ctl(cnx, s, PQ_SCTL_MAX_STREAM_DATA);
  return 0;
}
PQ_OP_ADAPTER(update_max_stream_data)

PQ_OPIMPL uint64_t opimpl_update_max_streams(pq_cnx *cnx, uint64_t bidi) {
  const pquic_settings *st = &cnx->ep->cfg.settings;
  uint64_t initial = bidi ? st->initial_max_streams_bidi : st->initial_max_streams_uni;
  uint64_t closed = bidi ? cnx->closed_bidi_remote : cnx->closed_uni_remote;
  uint64_t *limit = bidi ? &cnx->max_bidi_remote : &cnx->max_uni_remote;
  /* Keep `initial` streams available to the peer; announce in steps of a
   * quarter so MAX_STREAMS is not sent for every closed stream. */
  uint64_t want = closed + initial;
  if (want > (1ull << 60))
    want = 1ull << 60;
  if (want >= *limit + (initial + 3) / 4) {
    *limit = want;
    cnx->max_streams_pending[!bidi] = 1;
  }
  return 0;
}
PQ_OP_ADAPTER(update_max_streams)

PQ_OPIMPL uint64_t opimpl_check_blocked(pq_cnx *cnx, uint64_t now) {
  (void)now;
  /* STREAM_DATA_BLOCKED and DATA_BLOCKED are noted when the scheduler
   * finds a stream with data it may not send; nothing else to check. */
  (void)cnx;
  return 0;
}
PQ_OP_ADAPTER(check_blocked)

void pq_flow_on_max_data(pq_cnx *cnx, uint64_t max) {
  if (max > cnx->max_data_send)
    cnx->max_data_send = max;
}

void pq_flow_on_data_blocked(pq_cnx *cnx, uint64_t limit) {
  (void)limit;
  (void)pq_op_update_max_data(cnx, cnx->now);
}

PQ_OP_DEFAULTS(flow, PQ_OP_DEFAULT(update_max_data), PQ_OP_DEFAULT(update_max_stream_data),
               PQ_OP_DEFAULT(update_max_streams), PQ_OP_DEFAULT(check_blocked))
