/* Streams: creation and limits, receiving STREAM and RESET_STREAM /
 * STOP_SENDING, scheduling and writing STREAM frames, states and closing
 * (RFC 9000 sections 2-4 and 19.4-19.8). */
#include <string.h>

#include "common/alloc.h"
#include "conn/cnx_internal.h"
#include "conn/frames.h"
#include "conn/opcalls.h"

/* --- lookup and creation --- */

static uint64_t local_bit(const pq_cnx *cnx) { return cnx->is_server ? PQ_STREAM_SERVER_BIT : 0; }

static int is_local(const pq_cnx *cnx, uint64_t id) {
  return (id & PQ_STREAM_SERVER_BIT) == local_bit(cnx);
}

static pq_stream *stream_new(pq_cnx *cnx, uint64_t id) {
  const pquic_settings *st = &cnx->ep->cfg.settings;
  pq_stream *s = pq_calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->id = id;
  pq_sendbuf_init(&s->send, PQ_SENDBUF_STREAM);
  pq_recvbuf_init(&s->recv);
  int local = is_local(cnx, id), uni = pq_stream_is_uni(id);
  s->send_state = uni && !local ? PQ_SEND_NONE : PQ_SEND_READY;
  s->recv_state = uni && local ? PQ_RECV_NONE : PQ_RECV_RECV;
  /* Our receive window for it, as advertised in our transport parameters. */
  uint64_t win = uni ? st->initial_max_stream_data_uni
                     : local ? st->initial_max_stream_data_bidi_local
                             : st->initial_max_stream_data_bidi_remote;
  s->max_recv = win;
  s->recv_window = win;
  s->window_epoch_start = cnx->now;
  /* The peer's limit for our sending, from its transport parameters. */
  s->max_send = uni ? cnx->peer_max_stream_data_uni
                    : local ? cnx->peer_max_stream_data_bidi_remote
                            : cnx->peer_max_stream_data_bidi_local;
  if (pq_u64map_insert(&cnx->streams, id, s)) {
    pq_sendbuf_free(&s->send);
    pq_recvbuf_free(&s->recv);
    pq_free(s);
    return NULL;
  }
  cnx->stats.streams_opened++;
  return s;
}

static void stream_destroy(pq_stream *s) {
  pq_sendbuf_free(&s->send);
  pq_recvbuf_free(&s->recv);
  pq_free(s);
}

void pq_cnx_free_streams(pq_cnx *cnx) {
  pq_u64map_iter it;
  uint64_t id;
  void *v;
  pq_u64map_iter_init(&cnx->streams, &it);
  while (pq_u64map_iter_next(&cnx->streams, &it, &id, &v))
    stream_destroy(v);
  pq_u64map_free(&cnx->streams);
  pq_u64map_init(&cnx->streams, 0);
  cnx->send_list = NULL;
  cnx->ctl_list = NULL;
}

pq_stream *pq_cnx_stream(pq_cnx *cnx, uint64_t id) { return pq_u64map_get(&cnx->streams, id); }

pq_stream *pq_cnx_stream_new_local(pq_cnx *cnx, uint64_t id) { return stream_new(cnx, id); }

void pq_streams_apply_peer_limits(pq_cnx *cnx) {
  pq_u64map_iter it;
  uint64_t id;
  void *v;
  pq_u64map_iter_init(&cnx->streams, &it);
  while (pq_u64map_iter_next(&cnx->streams, &it, &id, &v)) {
    pq_stream *s = v;
    int local = is_local(cnx, id);
    uint64_t lim = pq_stream_is_uni(id) ? cnx->peer_max_stream_data_uni
                   : local             ? cnx->peer_max_stream_data_bidi_remote
                                       : cnx->peer_max_stream_data_bidi_local;
    if (lim > s->max_send) {
      s->max_send = lim;
      if (s->on_send_list == 0 && (pq_sendbuf_unsent(&s->send) || pq_sendbuf_fin_set(&s->send)))
        pq_stream_schedule(cnx, s);
    }
  }
}

PQ_OPIMPL uint64_t opimpl_get_peer_stream(pq_cnx *cnx, uint64_t id, uint64_t for_send) {
  pq_stream *s = pq_u64map_get(&cnx->streams, id);
  if (s)
    return (uint64_t)(uintptr_t)s;
  int uni = pq_stream_is_uni(id);
  uint64_t index = id >> 2;
  if (is_local(cnx, id)) {
    uint64_t next = uni ? cnx->next_uni : cnx->next_bidi;
    if (id >= next) {
      pq_cnx_error(cnx, PQUIC_WIRE_STREAM_STATE_ERROR, 0, "frame for a stream we did not open");
      return 0;
    }
    return 0; /* ours, closed and forgotten */
  }
  if (uni && for_send) {
    pq_cnx_error(cnx, PQUIC_WIRE_STREAM_STATE_ERROR, 0, "send-side frame for a receive stream");
    return 0;
  }
  uint64_t *opened = uni ? &cnx->opened_uni_remote : &cnx->opened_bidi_remote;
  uint64_t limit = uni ? cnx->max_uni_remote : cnx->max_bidi_remote;
  if (index < *opened)
    return 0; /* the peer's, closed and forgotten */
  if (index >= limit) {
    pq_cnx_error(cnx, PQUIC_WIRE_STREAM_LIMIT_ERROR, 0, "peer exceeded its stream limit");
    return 0;
  }
  /* Opening a stream opens every lower one of its type (RFC 9000 3.2). */
  for (uint64_t i = *opened; i <= index; i++) {
    uint64_t sid = (i << 2) | (id & 3);
    pq_stream *n = stream_new(cnx, sid);
    if (!n) {
      pq_cnx_error(cnx, PQUIC_WIRE_INTERNAL_ERROR, 0, "out of memory");
      return 0;
    }
    *opened = i + 1;
    (void)pq_op_stream_opened(cnx, n);
    pquic_event ev = {.type = PQUIC_EVENT_STREAM_OPENED, .stream_id = sid};
    pq_cnx_emit(cnx, &ev);
    if (pq_cnx_closing(cnx))
      return 0;
    s = n;
  }
  return (uint64_t)(uintptr_t)s;
}
PQ_OP_ADAPTER(get_peer_stream)

static pq_stream *peer_stream(pq_cnx *cnx, uint64_t id, int for_send) {
  uint64_t v = pq_op_get_peer_stream(cnx, id, (uint64_t)for_send);
  if (pq_op_failed(v) || pq_cnx_closing(cnx))
    return NULL;
  return (pq_stream *)(uintptr_t)v;
}

/* --- closing --- */

static int send_done(const pq_stream *s) {
  return s->send_state == PQ_SEND_NONE || s->send_state == PQ_SEND_DATA_RECVD ||
         s->send_state == PQ_SEND_RESET_RECVD;
}

static int recv_done(const pq_stream *s) {
  return s->recv_state == PQ_RECV_NONE || s->recv_state == PQ_RECV_DATA_READ ||
         s->recv_state == PQ_RECV_RESET_READ;
}

void pq_stream_maybe_close(pq_cnx *cnx, pq_stream *s) {
  if (!send_done(s) || !recv_done(s) || s->ctl)
    return;
  pq_stream_unschedule(cnx, s);
  (void)pq_op_stream_closed(cnx, s);
  pquic_event ev = {.type = PQUIC_EVENT_STREAM_CLOSED, .stream_id = s->id};
  pq_cnx_emit(cnx, &ev);
  (void)pq_u64map_remove(&cnx->streams, s->id);
  if (!is_local(cnx, s->id)) {
    int uni = pq_stream_is_uni(s->id);
    if (uni)
      cnx->closed_uni_remote++;
    else
      cnx->closed_bidi_remote++;
    (void)pq_op_update_max_streams(cnx, (uint64_t)!uni);
  }
  stream_destroy(s);
}

/* --- scheduling lists --- */

void pq_stream_schedule(pq_cnx *cnx, pq_stream *s) {
  if (s->on_send_list)
    return;
  s->on_send_list = 1;
  if (!cnx->send_list) {
    s->send_next = s->send_prev = s;
    cnx->send_list = s;
    return;
  }
  /* Insert before the cursor: the new stream goes last in this round. */
  pq_stream *head = cnx->send_list;
  s->send_next = head;
  s->send_prev = head->send_prev;
  head->send_prev->send_next = s;
  head->send_prev = s;
}

void pq_stream_unschedule(pq_cnx *cnx, pq_stream *s) {
  if (!s->on_send_list)
    return;
  s->on_send_list = 0;
  if (s->send_next == s) {
    cnx->send_list = NULL;
  } else {
    s->send_prev->send_next = s->send_next;
    s->send_next->send_prev = s->send_prev;
    if (cnx->send_list == s)
      cnx->send_list = s->send_next;
  }
  s->send_next = s->send_prev = NULL;
  if (cnx->ctl_list == NULL)
    return;
}

void pq_stream_ctl(pq_cnx *cnx, pq_stream *s, uint8_t flags) {
  s->ctl |= flags;
  if (s->on_ctl_list)
    return;
  s->on_ctl_list = 1;
  s->ctl_next = cnx->ctl_list;
  cnx->ctl_list = s;
}

/* Highest offset new data of s may reach now (stream and connection credit). */
static uint64_t send_limit(const pq_cnx *cnx, const pq_stream *s) {
  uint64_t conn_credit = cnx->max_data_send > cnx->data_sent ? cnx->max_data_send - cnx->data_sent : 0;
  uint64_t hi = pq_sendbuf_sent_hi(&s->send);
  uint64_t lim = hi + conn_credit;
  return lim < s->max_send ? lim : s->max_send;
}

/* True if s can put something in a STREAM frame now. */
static int sendable(const pq_cnx *cnx, const pq_stream *s) {
  if (s->send_state != PQ_SEND_READY && s->send_state != PQ_SEND_SEND &&
      s->send_state != PQ_SEND_DATA_SENT)
    return 0;
  pq_sendbuf_range r;
  return pq_sendbuf_next(&s->send, send_limit(cnx, s), 1, &r);
}

int pq_streams_have_pending(pq_cnx *cnx) {
  pq_stream *s = cnx->send_list;
  if (!s)
    return 0;
  do {
    if (sendable(cnx, s))
      return 1;
    s = s->send_next;
  } while (s != cnx->send_list);
  return 0;
}

/* Notes that s or the connection is flow-control blocked (for *_BLOCKED). */
static void note_blocked(pq_cnx *cnx, pq_stream *s) {
  if (pq_sendbuf_unsent(&s->send) == 0)
    return;
  uint64_t hi = pq_sendbuf_sent_hi(&s->send);
  if (hi >= s->max_send && s->blocked_at != s->max_send) {
    s->blocked_at = s->max_send;
    pq_stream_ctl(cnx, s, PQ_SCTL_BLOCKED);
  }
  if (cnx->data_sent >= cnx->max_data_send && cnx->data_blocked_at != cnx->max_data_send) {
    cnx->data_blocked_at = cnx->max_data_send;
    cnx->data_blocked_pending = 1;
  }
}

PQ_OPIMPL uint64_t opimpl_schedule_stream(pq_cnx *cnx, pq_opkt *o) {
  (void)o;
  pq_stream *start = cnx->send_list;
  if (!start)
    return 0;
  pq_stream *s = start;
  do {
    pq_stream *next = s->send_next;
    if (sendable(cnx, s))
      return (uint64_t)(uintptr_t)s;
    note_blocked(cnx, s);
    /* Nothing buffered at all: off the list until the app writes again. */
    pq_sendbuf_range r;
    if (!pq_sendbuf_next(&s->send, UINT64_MAX, 1, &r)) {
      pq_stream_unschedule(cnx, s);
      if (!cnx->send_list)
        return 0;
    }
    s = next;
  } while (cnx->send_list && s != cnx->send_list && s != start);
  return 0;
}
PQ_OP_ADAPTER(schedule_stream)

PQ_OPIMPL uint64_t opimpl_write_stream_frame(pq_cnx *cnx, pq_opkt *o, pq_stream *s) {
  pq_sendbuf_range r;
  size_t room = pq_opkt_room(o);
  if (!pq_sendbuf_next(&s->send, send_limit(cnx, s), room, &r))
    return 0;
  size_t n;
  int with_len = 1;
  if (!pq_stream_frame_fit(s->id, r.off, (size_t)r.len, room, true, &n))
    return 0;
  if (n < r.len) {
    /* It does not all fit: the frame takes the rest of the packet. */
    size_t n2;
    if (pq_stream_frame_fit(s->id, r.off, (size_t)r.len, room, false, &n2) && n2 >= n) {
      n = n2;
      with_len = 0;
    }
  }
  if (n == 0 && !(r.fin && r.len == 0))
    return 0;
  int fin = r.fin && n == r.len;
  pq_sent_frame *sf = pq_sent_add_frame(o->sp, PQ_FT_STREAM);
  if (!sf)
    return (uint64_t)(int64_t)PQUIC_ERR_NOMEM;
  uint64_t old_hi = pq_sendbuf_sent_hi(&s->send);
  if (pq_stream_header_write(&o->w, s->id, r.off, n, fin, with_len) ||
      pq_sendbuf_copy(&s->send, r.off, o->w.p, n) || pq_sendbuf_sent(&s->send, r.off, n, fin)) {
    o->sp->n_frames--;
    return 0;
  }
  o->w.p += n;
  uint64_t new_hi = pq_sendbuf_sent_hi(&s->send);
  if (new_hi > old_hi) {
    cnx->data_sent += new_hi - old_hi;
    cnx->stats.stream_bytes_sent += new_hi - old_hi;
  }
  sf->u.stream.id = s->id;
  sf->u.stream.offset = r.off;
  sf->u.stream.len = (uint32_t)n;
  sf->u.stream.fin = (uint8_t)fin;
  o->ack_eliciting = o->in_flight = 1;
  if (s->send_state == PQ_SEND_READY)
    s->send_state = PQ_SEND_SEND;
  if (pq_sendbuf_fin_sent(&s->send) && s->send_state == PQ_SEND_SEND)
    s->send_state = PQ_SEND_DATA_SENT;
  cnx->send_list = s->send_next ? s->send_next : cnx->send_list; /* round robin */
  return 0;
}
PQ_OP_ADAPTER(write_stream_frame)

/* --- receiving --- */

PQ_OPIMPL uint64_t opimpl_stream_receive(pq_cnx *cnx, pq_stream *s, uint64_t offset,
                                         const uint8_t *data, size_t len, uint64_t fin) {
  if (s->recv_state != PQ_RECV_RECV && s->recv_state != PQ_RECV_SIZE_KNOWN)
    return 0; /* data after all was received, or after a reset: ignore */
  uint64_t end = offset + len;
  if (end > s->max_recv) {
    pq_cnx_error(cnx, PQUIC_WIRE_FLOW_CONTROL_ERROR, PQ_FT_STREAM, "stream flow control");
    return 0;
  }
  uint64_t highest = pq_recvbuf_highest(&s->recv);
  uint64_t fresh = end > highest ? end - highest : 0;
  if (cnx->data_recv + fresh > cnx->max_data_recv) {
    pq_cnx_error(cnx, PQUIC_WIRE_FLOW_CONTROL_ERROR, PQ_FT_STREAM, "connection flow control");
    return 0;
  }
  int rc = pq_recvbuf_insert(&s->recv, offset, data, len, fin != 0);
  if (rc == PQUIC_ERR_FINAL_SIZE) {
    pq_cnx_error(cnx, PQUIC_WIRE_FINAL_SIZE_ERROR, PQ_FT_STREAM, "final size changed");
    return 0;
  }
  if (rc) {
    pq_cnx_error(cnx, PQUIC_WIRE_INTERNAL_ERROR, PQ_FT_STREAM, "cannot store stream data");
    return 0;
  }
  cnx->data_recv += fresh;
  cnx->stats.stream_bytes_received += fresh;
  if (pq_recvbuf_final_known(&s->recv) && s->recv_state == PQ_RECV_RECV)
    s->recv_state = PQ_RECV_SIZE_KNOWN;
  if (s->recv_state == PQ_RECV_SIZE_KNOWN && pq_recvbuf_all_received(&s->recv))
    s->recv_state = PQ_RECV_DATA_RECVD;
  if (pq_recvbuf_readable(&s->recv) > 0 || pq_recvbuf_finished(&s->recv)) {
    const pquic_callbacks *cb = &cnx->ep->cfg.callbacks;
    if (cb->on_stream_data)
      cb->on_stream_data(cnx, s->id, cnx->ep->cfg.user);
  }
  return 0;
}
PQ_OP_ADAPTER(stream_receive)

void pq_stream_on_stream(pq_cnx *cnx, pq_pkt *pkt, const pq_stream_frame *f) {
  (void)pkt;
  pq_stream *s = peer_stream(cnx, f->stream_id, 0);
  if (!s)
    return;
  if (s->recv_state == PQ_RECV_NONE) {
    pq_cnx_error(cnx, PQUIC_WIRE_STREAM_STATE_ERROR, PQ_FT_STREAM, "STREAM on a send-only stream");
    return;
  }
  (void)pq_op_stream_receive(cnx, s, f->offset, f->data, f->len, f->fin);
}

void pq_stream_on_reset(pq_cnx *cnx, uint64_t id, uint64_t code, uint64_t final_size) {
  pq_stream *s = peer_stream(cnx, id, 0);
  if (!s)
    return;
  if (s->recv_state == PQ_RECV_NONE) {
    pq_cnx_error(cnx, PQUIC_WIRE_STREAM_STATE_ERROR, PQ_FT_RESET_STREAM,
                 "RESET_STREAM on a send-only stream");
    return;
  }
  if (s->recv_state == PQ_RECV_RESET_RECVD || s->recv_state == PQ_RECV_RESET_READ ||
      s->recv_state == PQ_RECV_DATA_READ)
    return;
  uint64_t highest = pq_recvbuf_highest(&s->recv);
  if (final_size > s->max_recv) {
    pq_cnx_error(cnx, PQUIC_WIRE_FLOW_CONTROL_ERROR, PQ_FT_RESET_STREAM, "final size over limit");
    return;
  }
  if (pq_recvbuf_reset(&s->recv, final_size)) {
    pq_cnx_error(cnx, PQUIC_WIRE_FINAL_SIZE_ERROR, PQ_FT_RESET_STREAM, "final size changed");
    return;
  }
  /* The bytes up to the final size count against connection flow control. */
  if (final_size > highest) {
    uint64_t fresh = final_size - highest;
    if (cnx->data_recv + fresh > cnx->max_data_recv) {
      pq_cnx_error(cnx, PQUIC_WIRE_FLOW_CONTROL_ERROR, PQ_FT_RESET_STREAM,
                   "connection flow control");
      return;
    }
    cnx->data_recv += fresh;
  }
  /* Unread bytes are discarded: give their credit back. */
  uint64_t unread = final_size - pq_recvbuf_read_off(&s->recv);
  cnx->data_consumed += unread;
  s->recv_state = PQ_RECV_RESET_READ;
  pquic_event ev = {.type = PQUIC_EVENT_STREAM_RESET, .stream_id = id, .wire_error = code,
                    .wire_error_is_app = 1};
  pq_cnx_emit(cnx, &ev);
  (void)pq_op_update_max_data(cnx, cnx->now);
  pq_stream_maybe_close(cnx, s);
}

/* Abandons sending: RESET_STREAM (RFC 9000 3.1). */
int pq_stream_do_reset(pq_cnx *cnx, pq_stream *s, uint64_t code) {
  if (s->send_state == PQ_SEND_NONE)
    return PQUIC_ERR_STREAM_STATE;
  if (s->send_state == PQ_SEND_DATA_RECVD || s->send_state == PQ_SEND_RESET_SENT ||
      s->send_state == PQ_SEND_RESET_RECVD)
    return 0;
  s->send_state = PQ_SEND_RESET_SENT;
  s->reset_code = code;
  pq_stream_unschedule(cnx, s);
  pq_stream_ctl(cnx, s, PQ_SCTL_RESET);
  return 0;
}

void pq_stream_on_stop(pq_cnx *cnx, uint64_t id, uint64_t code) {
  pq_stream *s = peer_stream(cnx, id, 1);
  if (!s)
    return;
  if (s->send_state == PQ_SEND_NONE) {
    pq_cnx_error(cnx, PQUIC_WIRE_STREAM_STATE_ERROR, PQ_FT_STOP_SENDING,
                 "STOP_SENDING on a receive-only stream");
    return;
  }
  pquic_event ev = {.type = PQUIC_EVENT_STREAM_STOP, .stream_id = id, .wire_error = code,
                    .wire_error_is_app = 1};
  pq_cnx_emit(cnx, &ev);
  /* Answer with RESET_STREAM carrying the same code (RFC 9000 3.5). */
  (void)pq_stream_do_reset(cnx, s, code);
}

void pq_stream_on_max_stream_data(pq_cnx *cnx, uint64_t id, uint64_t max) {
  pq_stream *s = peer_stream(cnx, id, 1);
  if (!s)
    return;
  if (s->send_state == PQ_SEND_NONE) {
    pq_cnx_error(cnx, PQUIC_WIRE_STREAM_STATE_ERROR, PQ_FT_MAX_STREAM_DATA,
                 "MAX_STREAM_DATA on a receive-only stream");
    return;
  }
  if (max > s->max_send) {
    s->max_send = max;
    if (pq_sendbuf_unsent(&s->send) || pq_sendbuf_fin_set(&s->send))
      pq_stream_schedule(cnx, s);
  }
}

void pq_stream_on_stream_data_blocked(pq_cnx *cnx, uint64_t id, uint64_t limit) {
  (void)limit;
  pq_stream *s = peer_stream(cnx, id, 0);
  if (s && s->recv_state == PQ_RECV_NONE)
    pq_cnx_error(cnx, PQUIC_WIRE_STREAM_STATE_ERROR, PQ_FT_STREAM_DATA_BLOCKED,
                 "STREAM_DATA_BLOCKED on a send-only stream");
}

void pq_stream_on_max_streams(pq_cnx *cnx, int uni, uint64_t max) {
  uint64_t *lim = uni ? &cnx->max_uni_local : &cnx->max_bidi_local;
  if (max > *lim)
    *lim = max;
}

void pq_stream_on_streams_blocked(pq_cnx *cnx, int uni, uint64_t limit) {
  (void)limit;
  (void)pq_op_update_max_streams(cnx, (uint64_t)!uni);
}

/* The fate of a sent STREAM, RESET_STREAM, STOP_SENDING, MAX_STREAM_DATA
 * or STREAM_DATA_BLOCKED frame. */
void pq_stream_on_sent_fate(pq_cnx *cnx, const pq_sent_frame *sf, int fate) {
  if (fate == PQ_FATE_DISCARDED)
    return;
  uint64_t id = sf->type == PQ_FT_STREAM ? sf->u.stream.id : sf->u.sv.id;
  pq_stream *s = pq_u64map_get(&cnx->streams, id);
  if (!s)
    return;
  switch (sf->type) {
  case PQ_FT_STREAM:
    if (s->send_state == PQ_SEND_RESET_SENT || s->send_state == PQ_SEND_RESET_RECVD)
      return;
    if (fate == PQ_FATE_ACKED) {
      if (pq_sendbuf_ack(&s->send, sf->u.stream.offset, sf->u.stream.len, sf->u.stream.fin) ==
          PQUIC_ERR_NOMEM) {
        /* Unrecorded, the data would never count as delivered. */
        pq_cnx_error(cnx, PQUIC_WIRE_INTERNAL_ERROR, PQ_FT_STREAM, "out of memory");
        return;
      }
      if (s->writable_wanted && pq_sendbuf_buffered(&s->send) <
                                    cnx->ep->cfg.settings.max_stream_send_buffer) {
        s->writable_wanted = 0;
        pquic_event ev = {.type = PQUIC_EVENT_STREAM_WRITABLE, .stream_id = id};
        pq_cnx_emit(cnx, &ev);
      }
      if (pq_sendbuf_all_acked(&s->send)) {
        s->send_state = PQ_SEND_DATA_RECVD;
        pq_stream_maybe_close(cnx, s);
      }
    } else {
      if (pq_sendbuf_lost(&s->send, sf->u.stream.offset, sf->u.stream.len, sf->u.stream.fin) ==
          PQUIC_ERR_NOMEM) {
        /* Unrecorded, the data would never be sent again. */
        pq_cnx_error(cnx, PQUIC_WIRE_INTERNAL_ERROR, PQ_FT_STREAM, "out of memory");
        return;
      }
      pq_stream_schedule(cnx, s);
    }
    return;
  case PQ_FT_RESET_STREAM:
    if (fate == PQ_FATE_ACKED) {
      s->send_state = PQ_SEND_RESET_RECVD;
      pq_stream_maybe_close(cnx, s);
    } else {
      pq_stream_ctl(cnx, s, PQ_SCTL_RESET);
    }
    return;
  case PQ_FT_STOP_SENDING:
    if (fate == PQ_FATE_LOST && s->recv_state != PQ_RECV_DATA_RECVD &&
        s->recv_state < PQ_RECV_DATA_READ)
      pq_stream_ctl(cnx, s, PQ_SCTL_STOP);
    return;
  case PQ_FT_MAX_STREAM_DATA:
    if (fate == PQ_FATE_LOST && (s->recv_state == PQ_RECV_RECV))
      pq_stream_ctl(cnx, s, PQ_SCTL_MAX_STREAM_DATA);
    return;
  case PQ_FT_STREAM_DATA_BLOCKED:
    if (fate == PQ_FATE_LOST && s->blocked_at == sf->u.sv.value &&
        pq_sendbuf_sent_hi(&s->send) >= s->max_send)
      pq_stream_ctl(cnx, s, PQ_SCTL_BLOCKED);
    return;
  default:
    return;
  }
}

PQ_OP_DEFAULTS(streams, PQ_OP_DEFAULT(get_peer_stream), PQ_OP_DEFAULT(schedule_stream),
               PQ_OP_DEFAULT(write_stream_frame), PQ_OP_DEFAULT(stream_receive))
