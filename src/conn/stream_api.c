/* The application's side of streams: open, write, read, reset, stop. */
#include "conn/cnx_internal.h"
#include "conn/opcalls.h"

int pquic_stream_open(pquic_cnx *cnx, int bidi, uint64_t *stream_id) {
  if (!cnx || !stream_id)
    return PQUIC_ERR_INVAL;
  if (pq_cnx_closing(cnx))
    return PQUIC_ERR_CLOSED;
  uint64_t *next = bidi ? &cnx->next_bidi : &cnx->next_uni;
  uint64_t limit = bidi ? cnx->max_bidi_local : cnx->max_uni_local;
  if ((*next >> 2) >= limit) {
    cnx->streams_blocked_pending[!bidi] = 1;
    return PQUIC_ERR_STREAM_LIMIT;
  }
  uint64_t id = *next;
  /* Created through the common path, which also checks memory. */
  pq_stream *s = pq_cnx_stream_new_local(cnx, id);
  if (!s)
    return PQUIC_ERR_NOMEM;
  *next += 4;
  *stream_id = id;
  (void)pq_op_stream_opened(cnx, s);
  return 0;
}

int64_t pquic_stream_write(pquic_cnx *cnx, uint64_t stream_id, const uint8_t *data, size_t len,
                           int fin) {
  if (!cnx || (!data && len))
    return PQUIC_ERR_INVAL;
  if (pq_cnx_closing(cnx))
    return PQUIC_ERR_CLOSED;
  pq_stream *s = pq_cnx_stream(cnx, stream_id);
  if (!s)
    return PQUIC_ERR_STREAM_NOT_FOUND;
  if (s->send_state != PQ_SEND_READY && s->send_state != PQ_SEND_SEND)
    return PQUIC_ERR_STREAM_STATE;
  if (pq_sendbuf_fin_set(&s->send))
    return PQUIC_ERR_STREAM_STATE;
  uint64_t limit = cnx->ep->cfg.settings.max_stream_send_buffer;
  uint64_t buffered = pq_sendbuf_buffered(&s->send);
  size_t room = buffered < limit ? (size_t)(limit - buffered) : 0;
  size_t n = len < room ? len : room;
  if (n < len)
    s->writable_wanted = 1;
  if (n) {
    int rc = pq_sendbuf_write(&s->send, data, n);
    if (rc)
      return rc;
  }
  if (fin && n == len) {
    int rc = pq_sendbuf_fin(&s->send);
    if (rc)
      return rc;
  }
  if (n || fin)
    pq_stream_schedule(cnx, s);
  return (int64_t)n;
}

uint64_t pquic_stream_writable(const pquic_cnx *cnx, uint64_t stream_id) {
  pq_stream *s = cnx ? pq_cnx_stream((pquic_cnx *)(uintptr_t)cnx, stream_id) : NULL;
  if (!s || (s->send_state != PQ_SEND_READY && s->send_state != PQ_SEND_SEND) ||
      pq_sendbuf_fin_set(&s->send))
    return 0;
  uint64_t limit = cnx->ep->cfg.settings.max_stream_send_buffer;
  uint64_t buffered = pq_sendbuf_buffered(&s->send);
  return buffered < limit ? limit - buffered : 0;
}

int64_t pquic_stream_read(pquic_cnx *cnx, uint64_t stream_id, uint8_t *buf, size_t len, int *fin) {
  if (!cnx || (!buf && len))
    return PQUIC_ERR_INVAL;
  if (fin)
    *fin = 0;
  pq_stream *s = pq_cnx_stream(cnx, stream_id);
  if (!s)
    return PQUIC_ERR_STREAM_NOT_FOUND;
  if (s->recv_state == PQ_RECV_NONE)
    return PQUIC_ERR_STREAM_STATE;
  if (s->recv_state == PQ_RECV_RESET_READ || s->recv_state == PQ_RECV_DATA_READ)
    return 0;
  size_t n = pq_recvbuf_read(&s->recv, buf, len);
  cnx->data_consumed += n;
  if (pq_recvbuf_finished(&s->recv)) {
    s->recv_state = PQ_RECV_DATA_READ;
    if (fin)
      *fin = 1;
  }
  if (n) {
    (void)pq_op_update_max_stream_data(cnx, s, cnx->now);
    (void)pq_op_update_max_data(cnx, cnx->now);
  }
  if (s->recv_state == PQ_RECV_DATA_READ)
    pq_stream_maybe_close(cnx, s);
  return (int64_t)n;
}

int pquic_stream_reset(pquic_cnx *cnx, uint64_t stream_id, uint64_t app_error) {
  if (!cnx)
    return PQUIC_ERR_INVAL;
  pq_stream *s = pq_cnx_stream(cnx, stream_id);
  if (!s)
    return PQUIC_ERR_STREAM_NOT_FOUND;
  return pq_stream_do_reset(cnx, s, app_error);
}

int pquic_stream_stop(pquic_cnx *cnx, uint64_t stream_id, uint64_t app_error) {
  if (!cnx)
    return PQUIC_ERR_INVAL;
  pq_stream *s = pq_cnx_stream(cnx, stream_id);
  if (!s)
    return PQUIC_ERR_STREAM_NOT_FOUND;
  if (s->recv_state == PQ_RECV_NONE)
    return PQUIC_ERR_STREAM_STATE;
  if (s->recv_state != PQ_RECV_RECV && s->recv_state != PQ_RECV_SIZE_KNOWN)
    return 0;
  s->stop_code = app_error;
  pq_stream_ctl(cnx, s, PQ_SCTL_STOP);
  return 0;
}
