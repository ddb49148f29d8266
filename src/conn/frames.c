/* The built-in frame operations: parse_frame and process_frame for every
 * RFC 9000 frame, notify_frame for the fate of sent frames. New frame
 * types come from plugins, which register their own entries. */
#include <string.h>

#include "conn/frames.h"
#include "conn/cnx_internal.h"
#include "conn/opcalls.h"

int pq_cnx_frame_props(pq_cnx *cnx, uint64_t type, uint8_t *props) {
  const pq_frame_info *info = pq_frame_info_get(type);
  if (info && type != PQ_FT_DATAGRAM && type != PQ_FT_DATAGRAM_LEN) {
    *props = info->flags;
    return 1;
  }
  /* DATAGRAM and extension frames: registered by plugins */
  return cnx->pl ? cnx->pl->hooks->frame_props(cnx, type, props) : 0;
}

PQ_OPIMPL uint64_t opimpl_parse_frame(pq_cnx *cnx, uint64_t param, pq_pkt *pkt,
                                      const uint8_t *data, size_t len, uint64_t *out) {
  (void)cnx;
  (void)param;
  pq_rbuf r = pq_rbuf_make(data, len);
  int rc = pq_frame_decode(&r, &pkt->frame, NULL);
  if (rc)
    return (uint64_t)(int64_t)rc;
  out[0] = (uint64_t)(r.p - data);
  out[1] = (uint64_t)(uintptr_t)&pkt->frame;
  return 0;
}
PQ_OP_ADAPTER(parse_frame)

static void on_crypto(pq_cnx *cnx, pq_pkt *pkt, const pq_crypto_frame *f) {
  (void)pq_op_crypto_receive(cnx, pkt->level, f->offset, f->data, f->len);
}

static void on_handshake_done(pq_cnx *cnx) {
  if (cnx->is_server) {
    pq_cnx_error(cnx, PQUIC_WIRE_PROTOCOL_VIOLATION, PQ_FT_HANDSHAKE_DONE,
                 "HANDSHAKE_DONE from a client");
    return;
  }
  (void)pq_op_handshake_confirmed(cnx, cnx->now);
}

static void on_new_token(pq_cnx *cnx, const pq_frame *f) {
  if (cnx->is_server) {
    pq_cnx_error(cnx, PQUIC_WIRE_PROTOCOL_VIOLATION, PQ_FT_NEW_TOKEN, "NEW_TOKEN from a client");
    return;
  }
  /* Kept for the next connection to the same server (RFC 9000 8.1.3). */
  if (f->u.new_token.len <= sizeof cnx->token) {
    memcpy(cnx->token, f->u.new_token.token, f->u.new_token.len);
    cnx->token_len = f->u.new_token.len;
  }
}

PQ_OPIMPL uint64_t opimpl_process_frame(pq_cnx *cnx, uint64_t param, pq_pkt *pkt, void *frame) {
  const pq_frame *f = frame;
  switch (param) {
  case PQ_FT_PADDING:
  case PQ_FT_PING:
    break;
  case PQ_FT_ACK:
  case PQ_FT_ACK_ECN:
    pq_ack_on_frame(cnx, pkt, &f->u.ack, param == PQ_FT_ACK_ECN);
    break;
  case PQ_FT_RESET_STREAM:
    pq_stream_on_reset(cnx, f->u.reset_stream.stream_id, f->u.reset_stream.app_error,
                       f->u.reset_stream.final_size);
    break;
  case PQ_FT_STOP_SENDING:
    pq_stream_on_stop(cnx, f->u.stop_sending.stream_id, f->u.stop_sending.app_error);
    break;
  case PQ_FT_CRYPTO:
    on_crypto(cnx, pkt, &f->u.crypto);
    break;
  case PQ_FT_NEW_TOKEN:
    on_new_token(cnx, f);
    break;
  case PQ_FT_STREAM:
    pq_stream_on_stream(cnx, pkt, &f->u.stream);
    break;
  case PQ_FT_MAX_DATA:
    pq_flow_on_max_data(cnx, f->u.max_data.max);
    break;
  case PQ_FT_MAX_STREAM_DATA:
    pq_stream_on_max_stream_data(cnx, f->u.max_stream_data.stream_id, f->u.max_stream_data.max);
    break;
  case PQ_FT_MAX_STREAMS_BIDI:
  case PQ_FT_MAX_STREAMS_UNI:
    pq_stream_on_max_streams(cnx, param == PQ_FT_MAX_STREAMS_UNI, f->u.max_streams.max);
    break;
  case PQ_FT_DATA_BLOCKED:
    pq_flow_on_data_blocked(cnx, f->u.data_blocked.limit);
    break;
  case PQ_FT_STREAM_DATA_BLOCKED:
    pq_stream_on_stream_data_blocked(cnx, f->u.stream_data_blocked.stream_id,
                                     f->u.stream_data_blocked.limit);
    break;
  case PQ_FT_STREAMS_BLOCKED_BIDI:
  case PQ_FT_STREAMS_BLOCKED_UNI:
    pq_stream_on_streams_blocked(cnx, param == PQ_FT_STREAMS_BLOCKED_UNI,
                                 f->u.streams_blocked.limit);
    break;
  case PQ_FT_NEW_CONNECTION_ID:
    pq_cid_on_new(cnx, &f->u.new_cid);
    break;
  case PQ_FT_RETIRE_CONNECTION_ID:
    pq_cid_on_retire(cnx, pkt, f->u.retire_cid.seq);
    break;
  case PQ_FT_PATH_CHALLENGE:
    pq_path_on_challenge(cnx, pkt, f->u.path.data);
    break;
  case PQ_FT_PATH_RESPONSE:
    pq_path_on_response(cnx, pkt, f->u.path.data);
    break;
  case PQ_FT_CONNECTION_CLOSE:
  case PQ_FT_CONNECTION_CLOSE_APP:
    pq_close_on_frame(cnx, &f->u.close, param == PQ_FT_CONNECTION_CLOSE_APP);
    break;
  case PQ_FT_HANDSHAKE_DONE:
    on_handshake_done(cnx);
    break;
  default:
    /* A type someone parsed but nobody processes. */
    pq_cnx_error(cnx, PQUIC_WIRE_FRAME_ENCODING_ERROR, param, "unsupported frame type");
    break;
  }
  return 0;
}
PQ_OP_ADAPTER(process_frame)

/* Built-in frames are written by the packet builder from connection state,
 * so there is no queued frame to encode: only plugins use write_frame. */
PQ_OPIMPL uint64_t opimpl_write_frame(pq_cnx *cnx, uint64_t param, pq_opkt *opkt, void *frame,
                                      uint8_t *buf, size_t cap, uint64_t *out) {
  (void)cnx;
  (void)param;
  (void)opkt;
  (void)frame;
  (void)buf;
  (void)cap;
  out[0] = 0;
  return (uint64_t)(int64_t)PQUIC_ERR_UNSUPPORTED;
}
PQ_OP_ADAPTER(write_frame)

PQ_OPIMPL uint64_t opimpl_notify_frame(pq_cnx *cnx, uint64_t param, pq_sent_pkt *sp,
                                       pq_sent_frame *sf, uint64_t fate) {
  switch (param) {
  case PQ_FT_ACK:
  case PQ_FT_ACK_ECN:
    if (fate == PQ_FATE_ACKED)
      pq_ack_on_our_ack_acked(cnx, sp->epoch, sf->u.ack.largest);
    break;
  case PQ_FT_CRYPTO: {
    pq_sendbuf *b = &cnx->spaces[sp->epoch].crypto_out;
    int rc = 0;
    if (cnx->spaces[sp->epoch].discarded)
      break; /* the buffer is gone with its keys */
    if (fate == PQ_FATE_ACKED)
      rc = pq_sendbuf_ack(b, sf->u.crypto.offset, sf->u.crypto.len, false);
    else if (fate == PQ_FATE_LOST)
      rc = pq_sendbuf_lost(b, sf->u.crypto.offset, sf->u.crypto.len, false);
    if (rc == PQUIC_ERR_NOMEM) /* the handshake could never finish */
      pq_cnx_error(cnx, PQUIC_WIRE_INTERNAL_ERROR, PQ_FT_CRYPTO, "out of memory");
    break;
  }
  case PQ_FT_HANDSHAKE_DONE:
    if (fate == PQ_FATE_LOST)
      cnx->handshake_done_pending = 1;
    break;
  case PQ_FT_NEW_TOKEN:
    if (fate == PQ_FATE_LOST)
      cnx->new_token_pending = 1; /* a fresh token */
    break;
  case PQ_FT_MAX_DATA:
    if (fate == PQ_FATE_LOST)
      cnx->max_data_pending = 1; /* resent with the current value */
    break;
  case PQ_FT_DATA_BLOCKED:
    if (fate == PQ_FATE_LOST && cnx->data_blocked_at == sf->u.value &&
        cnx->data_sent >= cnx->max_data_send)
      cnx->data_blocked_pending = 1;
    break;
  case PQ_FT_MAX_STREAMS_BIDI:
  case PQ_FT_MAX_STREAMS_UNI:
    if (fate == PQ_FATE_LOST)
      cnx->max_streams_pending[param == PQ_FT_MAX_STREAMS_UNI] = 1;
    break;
  case PQ_FT_STREAMS_BLOCKED_BIDI:
  case PQ_FT_STREAMS_BLOCKED_UNI:
    if (fate == PQ_FATE_LOST)
      cnx->streams_blocked_pending[param == PQ_FT_STREAMS_BLOCKED_UNI] = 1;
    break;
  case PQ_FT_NEW_CONNECTION_ID:
    if (fate == PQ_FATE_LOST) {
      for (size_t i = 0; i < PQ_MAX_LOCAL_CIDS; i++) {
        pq_local_cid *l = &cnx->local_cids[i];
        if (l->used && l->seq == sf->u.value)
          l->announce = 1;
      }
    }
    break;
  case PQ_FT_RETIRE_CONNECTION_ID:
    for (size_t i = 0; i < PQ_MAX_PEER_CIDS; i++) {
      pq_peer_cid *p = &cnx->peer_cids[i];
      if (!p->used || !p->retiring || p->seq != sf->u.value)
        continue;
      if (fate == PQ_FATE_LOST) {
        p->retire = 1;
      } else {
        p->used = 0; /* acknowledged (or the space is gone): forget it */
        p->retiring = 0;
      }
    }
    break;
  case PQ_FT_STREAM:
  case PQ_FT_RESET_STREAM:
  case PQ_FT_STOP_SENDING:
  case PQ_FT_MAX_STREAM_DATA:
  case PQ_FT_STREAM_DATA_BLOCKED:
    pq_stream_on_sent_fate(cnx, sf, (int)fate);
    break;
  default:
    /* PING, PADDING, PATH_*, CONNECTION_CLOSE: never retransmitted as such. */
    break;
  }
  return 0;
}
PQ_OP_ADAPTER(notify_frame)

PQ_OP_DEFAULTS(frames, PQ_OP_DEFAULT(parse_frame), PQ_OP_DEFAULT(process_frame),
               PQ_OP_DEFAULT(write_frame), PQ_OP_DEFAULT(notify_frame))
