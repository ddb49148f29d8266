/*
 * Resumption and 0-RTT (RFC 9000 7.4.1, RFC 9001 4.6): the client keeps
 * what a later connection to the same server needs in one blob: the TLS
 * ticket, the server's transport parameters that 0-RTT must respect, the
 * QUIC version and ALPN it was made for, and a NEW_TOKEN token.
 *
 * Blob (all integers big-endian or varints): "PQS1" | version (4) |
 * ALPN length (1) ALPN | ticket length (2) ticket | token length (2) token
 * | 10 varints: initial_max_data, stream data bidi local / bidi remote /
 * uni, max streams bidi / uni, active_connection_id_limit,
 * max_datagram_frame_size, max_idle_timeout (µs), max_udp_payload.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "conn/cnx_internal.h"
#include "conn/opcalls.h"
#include "conn/session.h"

#define MAGIC "PQS1"

void pq_session_on_ticket(void *user, const uint8_t *blob, size_t len) {
  pq_cnx *cnx = user;
  if (len == 0 || len > 0xffff)
    return;
  uint8_t *copy = pq_malloc(len);
  if (!copy)
    return; /* no ticket this time: resumption is an optimisation */
  memcpy(copy, blob, len);
  pq_free(cnx->ticket);
  cnx->ticket = copy;
  cnx->ticket_len = len;
}

int pquic_cnx_get_session(const pquic_cnx *cnx, uint8_t *buf, size_t cap, size_t *len) {
  if (!cnx || !buf || !len || cnx->is_server)
    return PQUIC_ERR_INVAL;
  if (!cnx->ticket || !cnx->peer_tp_received)
    return PQUIC_ERR_AGAIN; /* no NewSessionTicket yet */
  pq_wbuf w = pq_wbuf_make(buf, cap);
  size_t alpn_len = strlen(cnx->alpn);
  const pq_peer_params *p = &cnx->peer;
  uint64_t vals[10] = {cnx->peer_initial_max_data, cnx->peer_max_stream_data_bidi_local,
                       cnx->peer_max_stream_data_bidi_remote, cnx->peer_max_stream_data_uni,
                       cnx->peer_initial_max_streams_bidi, cnx->peer_initial_max_streams_uni,
                       p->active_cid_limit, p->max_datagram_frame, p->max_idle_timeout,
                       p->max_udp_payload};
  int ok = pq_put_bytes(&w, MAGIC, 4) && pq_put_uint(&w, 4, cnx->version) &&
           pq_put_u8(&w, (uint8_t)alpn_len) && pq_put_bytes(&w, cnx->alpn, alpn_len) &&
           pq_put_uint(&w, 2, cnx->ticket_len) && pq_put_bytes(&w, cnx->ticket, cnx->ticket_len) &&
           pq_put_uint(&w, 2, cnx->token_len) && pq_put_bytes(&w, cnx->token, cnx->token_len);
  for (int i = 0; ok && i < 10; i++)
    ok = pq_put_varint(&w, vals[i] > PQ_VARINT_MAX ? PQ_VARINT_MAX : vals[i]);
  if (!ok)
    return PQUIC_ERR_BUFFER_TOO_SMALL;
  *len = (size_t)(w.p - buf);
  return 0;
}

int pq_session_parse(const uint8_t *data, size_t len, pq_session *s) {
  memset(s, 0, sizeof *s);
  pq_rbuf r = pq_rbuf_make(data, len);
  const uint8_t *magic, *alpn;
  uint64_t v, ticket_len, token_len;
  uint8_t alpn_len;
  if (!pq_get_span(&r, 4, &magic) || memcmp(magic, MAGIC, 4) != 0 || !pq_get_uint(&r, 4, &v) ||
      !pq_get_u8(&r, &alpn_len) || !pq_get_span(&r, alpn_len, &alpn) ||
      !pq_get_uint(&r, 2, &ticket_len) || ticket_len == 0 ||
      !pq_get_span(&r, (size_t)ticket_len, &s->ticket) || !pq_get_uint(&r, 2, &token_len) ||
      token_len > PQ_SESSION_MAX_TOKEN || !pq_get_span(&r, (size_t)token_len, &s->token))
    return PQUIC_ERR_INVAL;
  if (v != PQUIC_VERSION_1 && v != PQUIC_VERSION_2)
    return PQUIC_ERR_INVAL;
  s->version = (uint32_t)v;
  memcpy(s->alpn, alpn, alpn_len);
  s->alpn[alpn_len] = '\0';
  s->ticket_len = (size_t)ticket_len;
  s->token_len = (size_t)token_len;
  for (int i = 0; i < 10; i++) {
    if (!pq_get_varint(&r, &s->tp[i]))
      return PQUIC_ERR_INVAL;
  }
  if (pq_rbuf_left(&r) != 0)
    return PQUIC_ERR_INVAL;
  return 0;
}

/* 0-RTT uses the remembered limits until the server's own arrive
 * (RFC 9000 7.4.1). */
void pq_session_apply(pq_cnx *cnx, const pq_session *s) {
  cnx->max_data_send = s->tp[0];
  cnx->peer_max_stream_data_bidi_local = s->tp[1];
  cnx->peer_max_stream_data_bidi_remote = s->tp[2];
  cnx->peer_max_stream_data_uni = s->tp[3];
  cnx->max_bidi_local = s->tp[4];
  cnx->max_uni_local = s->tp[5];
  memcpy(cnx->remembered, s->tp, sizeof cnx->remembered);
  cnx->has_remembered = 1;
}

/* A server accepting 0-RTT must not lower a remembered limit (RFC 9000
 * 7.4.1); returns 0 if it did not. */
int pq_session_check_limits(const pq_cnx *cnx) {
  if (!cnx->has_remembered || !cnx->early_data_accepted)
    return 0;
  const uint64_t now[6] = {cnx->peer_initial_max_data, cnx->peer_max_stream_data_bidi_local,
                           cnx->peer_max_stream_data_bidi_remote, cnx->peer_max_stream_data_uni,
                           cnx->peer_initial_max_streams_bidi, cnx->peer_initial_max_streams_uni};
  for (int i = 0; i < 6; i++) {
    if (now[i] < cnx->remembered[i])
      return PQUIC_ERR_PROTOCOL_VIOLATION;
  }
  return 0;
}

int pq_session_early_state(const pq_cnx *cnx) {
  if (!cnx->early_data_offered)
    return 0;
  if (!cnx->is_server && !cnx->handshake_complete)
    return 3;
  return cnx->early_data_accepted ? 1 : 2;
}

/* The server refused 0-RTT: everything sent in it goes again in 1-RTT,
 * without treating it as congestion (RFC 9001 4.6.2). */
void pq_session_early_rejected(pq_cnx *cnx) {
  pq_space *sp = &cnx->spaces[PQ_EPOCH_APP];
  for (pq_sent_pkt *p = sp->sent_head; p; p = p->next) {
    if (p->level != PQ_CRYPTO_LEVEL_0RTT || (p->flags & PQ_SENT_LOST))
      continue;
    pq_recovery_refused(cnx, p, cnx->now);
  }
  pq_dir_keys_free(&cnx->wkeys[PQ_CRYPTO_LEVEL_0RTT]);
  cnx->wkeys_ok[PQ_CRYPTO_LEVEL_0RTT] = 0;
}
