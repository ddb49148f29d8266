/* Control frames, written from connection state when a packet has room:
 * HANDSHAKE_DONE, PATH_*, MAX_*, *_BLOCKED, NEW/RETIRE_CONNECTION_ID and
 * the per-stream RESET_STREAM, STOP_SENDING, MAX_STREAM_DATA and
 * STREAM_DATA_BLOCKED. A lost control frame sets its pending flag again
 * (notify_frame), so it is resent with current values. */
#include <string.h>

#include "conn/cnx_internal.h"
#include "conn/frames.h"
#include "conn/opcalls.h"
#include "conn/token.h"

/* Encodes f if it fits and records it; 1 if written. `record` receives the
 * sent-frame key (value or stream id + value). */
static int put(pq_opkt *o, const pq_frame *f, uint64_t type_key, uint64_t id, uint64_t value) {
  size_t size = pq_frame_size(f);
  if (size == 0 || size > pq_opkt_room(o))
    return 0;
  pq_sent_frame *sf = pq_sent_add_frame(o->sp, type_key);
  if (!sf)
    return 0;
  if (pq_frame_encode(&o->w, f)) {
    o->sp->n_frames--;
    return 0;
  }
  sf->u.sv.id = id;
  sf->u.sv.value = value;
  if (type_key != PQ_FT_STREAM_DATA_BLOCKED && type_key != PQ_FT_MAX_STREAM_DATA &&
      type_key != PQ_FT_RESET_STREAM && type_key != PQ_FT_STOP_SENDING)
    sf->u.value = value;
  const pq_frame_info *info = pq_frame_info_get(type_key);
  if (info && (info->flags & PQ_FRAME_ACK_ELICITING))
    o->ack_eliciting = o->in_flight = 1;
  return 1;
}

void pq_control_write_path_frames(pq_cnx *cnx, pq_opkt *o) {
  pq_path *p = o->path;
  pq_frame f;
  if (p->response_pending) {
    f.type = PQ_FT_PATH_RESPONSE;
    memcpy(f.u.path.data, p->response, 8);
    if (put(o, &f, PQ_FT_PATH_RESPONSE, 0, 0))
      p->response_pending = 0;
  }
  if (p->challenge_pending) {
    f.type = PQ_FT_PATH_CHALLENGE;
    memcpy(f.u.path.data, p->challenge, 8);
    if (put(o, &f, PQ_FT_PATH_CHALLENGE, 0, 0))
      p->challenge_pending = 0;
  }
  (void)cnx;
}

static void write_limits(pq_cnx *cnx, pq_opkt *o) {
  pq_frame f;
  if (cnx->max_data_pending) {
    f.type = PQ_FT_MAX_DATA;
    f.u.max_data.max = cnx->max_data_recv;
    if (put(o, &f, PQ_FT_MAX_DATA, 0, cnx->max_data_recv))
      cnx->max_data_pending = 0;
  }
  for (int uni = 0; uni < 2; uni++) {
    if (cnx->max_streams_pending[uni]) {
      uint64_t max = uni ? cnx->max_uni_remote : cnx->max_bidi_remote;
      f.type = uni ? PQ_FT_MAX_STREAMS_UNI : PQ_FT_MAX_STREAMS_BIDI;
      f.u.max_streams.max = max;
      if (put(o, &f, f.type, 0, max)) {
        cnx->max_streams_pending[uni] = 0;
        cnx->max_streams_sent[uni] = max;
      }
    }
    if (cnx->streams_blocked_pending[uni]) {
      uint64_t lim = uni ? cnx->max_uni_local : cnx->max_bidi_local;
      f.type = uni ? PQ_FT_STREAMS_BLOCKED_UNI : PQ_FT_STREAMS_BLOCKED_BIDI;
      f.u.streams_blocked.limit = lim;
      if (put(o, &f, f.type, 0, lim))
        cnx->streams_blocked_pending[uni] = 0;
    }
  }
  if (cnx->data_blocked_pending) {
    f.type = PQ_FT_DATA_BLOCKED;
    f.u.data_blocked.limit = cnx->max_data_send;
    if (put(o, &f, PQ_FT_DATA_BLOCKED, 0, cnx->max_data_send))
      cnx->data_blocked_pending = 0;
  }
}

static void write_cid_frames(pq_cnx *cnx, pq_opkt *o) {
  pq_frame f;
  for (size_t i = 0; i < PQ_MAX_LOCAL_CIDS; i++) {
    pq_local_cid *l = &cnx->local_cids[i];
    if (!l->used || !l->announce)
      continue;
    f.type = PQ_FT_NEW_CONNECTION_ID;
    f.u.new_cid.seq = l->seq;
    f.u.new_cid.retire_prior_to = 0;
    f.u.new_cid.cid = l->cid.id;
    f.u.new_cid.cid_len = l->cid.len;
    f.u.new_cid.reset_token = l->token;
    if (put(o, &f, PQ_FT_NEW_CONNECTION_ID, 0, l->seq))
      l->announce = 0;
  }
  for (size_t i = 0; i < PQ_MAX_PEER_CIDS; i++) {
    pq_peer_cid *p = &cnx->peer_cids[i];
    if (!p->used || !p->retire)
      continue;
    f.type = PQ_FT_RETIRE_CONNECTION_ID;
    f.u.retire_cid.seq = p->seq;
    if (put(o, &f, PQ_FT_RETIRE_CONNECTION_ID, 0, p->seq)) {
      p->retire = 0;
      p->retiring = 1; /* the slot is freed when the frame is acknowledged */
    }
  }
}

/* Writes what one stream has pending; returns its remaining flags. */
static uint8_t write_stream_ctl(pq_cnx *cnx, pq_opkt *o, pq_stream *s) {
  pq_frame f;
  if (s->ctl & PQ_SCTL_RESET) {
    f.type = PQ_FT_RESET_STREAM;
    f.u.reset_stream.stream_id = s->id;
    f.u.reset_stream.app_error = s->reset_code;
    f.u.reset_stream.final_size = pq_sendbuf_sent_hi(&s->send);
    if (put(o, &f, PQ_FT_RESET_STREAM, s->id, s->reset_code))
      s->ctl &= (uint8_t)~PQ_SCTL_RESET;
  }
  if (s->ctl & PQ_SCTL_STOP) {
    f.type = PQ_FT_STOP_SENDING;
    f.u.stop_sending.stream_id = s->id;
    f.u.stop_sending.app_error = s->stop_code;
    if (put(o, &f, PQ_FT_STOP_SENDING, s->id, s->stop_code))
      s->ctl &= (uint8_t)~PQ_SCTL_STOP;
  }
  if (s->ctl & PQ_SCTL_MAX_STREAM_DATA) {
    f.type = PQ_FT_MAX_STREAM_DATA;
    f.u.max_stream_data.stream_id = s->id;
    f.u.max_stream_data.max = s->max_recv;
    if (s->recv_state != PQ_RECV_RECV ||
        put(o, &f, PQ_FT_MAX_STREAM_DATA, s->id, s->max_recv))
      s->ctl &= (uint8_t)~PQ_SCTL_MAX_STREAM_DATA;
  }
  if (s->ctl & PQ_SCTL_BLOCKED) {
    f.type = PQ_FT_STREAM_DATA_BLOCKED;
    f.u.stream_data_blocked.stream_id = s->id;
    f.u.stream_data_blocked.limit = s->max_send;
    if (put(o, &f, PQ_FT_STREAM_DATA_BLOCKED, s->id, s->max_send))
      s->ctl &= (uint8_t)~PQ_SCTL_BLOCKED;
  }
  (void)cnx;
  return s->ctl;
}

static void write_streams_ctl(pq_cnx *cnx, pq_opkt *o) {
  pq_stream **link = &cnx->ctl_list;
  while (*link && pq_opkt_room(o) > 2) {
    pq_stream *s = *link;
    if (write_stream_ctl(cnx, o, s)) {
      link = &s->ctl_next;
      continue;
    }
    *link = s->ctl_next;
    s->on_ctl_list = 0;
    s->ctl_next = NULL;
    pq_stream_maybe_close(cnx, s);
  }
}

PQ_OPIMPL uint64_t opimpl_write_control_frames(pq_cnx *cnx, pq_opkt *o) {
  if (cnx->handshake_done_pending && pq_opkt_room(o) >= 1) {
    pq_frame f = {.type = PQ_FT_HANDSHAKE_DONE};
    if (put(o, &f, PQ_FT_HANDSHAKE_DONE, 0, 0))
      cnx->handshake_done_pending = 0;
  }
  if (cnx->new_token_pending && pq_opkt_room(o) > PQ_TOKEN_MAX + 4) {
    uint8_t token[PQ_TOKEN_MAX];
    size_t n = pq_token_make(cnx->ep, PQ_TOKEN_NEW_TOKEN, o->now,
                             (const struct sockaddr *)&o->path->remote, NULL, NULL, token,
                             sizeof token);
    pq_frame f = {.type = PQ_FT_NEW_TOKEN};
    f.u.new_token.token = token;
    f.u.new_token.len = n;
    if (n && put(o, &f, PQ_FT_NEW_TOKEN, 0, 0))
      cnx->new_token_pending = 0;
  }
  pq_control_write_path_frames(cnx, o);
  write_limits(cnx, o);
  write_cid_frames(cnx, o);
  write_streams_ctl(cnx, o);
  return 0;
}
PQ_OP_ADAPTER(write_control_frames)

/* Anything for the application space besides ACKs and timers. */
int pq_cnx_has_pending(pq_cnx *cnx) {
  if (pq_cnx_app_write_level(cnx) == PQ_CRYPTO_LEVEL_0RTT)
    return pq_streams_have_pending(cnx); /* 0-RTT carries stream data only */
  if (cnx->handshake_done_pending || cnx->new_token_pending || cnx->max_data_pending || cnx->data_blocked_pending ||
      cnx->max_streams_pending[0] || cnx->max_streams_pending[1] ||
      cnx->streams_blocked_pending[0] || cnx->streams_blocked_pending[1] || cnx->ctl_list)
    return 1;
  for (uint32_t i = 0; i < cnx->n_paths; i++) {
    if (cnx->paths[i].challenge_pending || cnx->paths[i].response_pending)
      return 1;
  }
  for (size_t i = 0; i < PQ_MAX_LOCAL_CIDS; i++) {
    if (cnx->local_cids[i].used && cnx->local_cids[i].announce)
      return 1;
  }
  for (size_t i = 0; i < PQ_MAX_PEER_CIDS; i++) {
    if (cnx->peer_cids[i].used && cnx->peer_cids[i].retire)
      return 1;
  }
  if (cnx->pl && cnx->pl->hooks->has_pending(cnx))
    return 1; /* frames reserved by plugins */
  return pq_streams_have_pending(cnx);
}

PQ_OP_DEFAULTS(control, PQ_OP_DEFAULT(write_control_frames))
