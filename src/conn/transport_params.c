/* Transport parameters (RFC 9000 sections 7.3-7.4 and 18): the ones we
 * send, checking and applying the peer's. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "conn/cnx_internal.h"
#include "conn/opcalls.h"
#include "wire/tp.h"

/* Server: the preferred_address parameter, with a connection ID of its own
 * (sequence 1, RFC 9000 5.1.1) made the first time. */
static int preferred_address(pq_cnx *cnx, pq_preferred_address *pa) {
  const pq_endpoint *ep = cnx->ep;
  if (!ep->preferred_v4.sin_family && !ep->preferred_v6.sin6_family)
    return PQUIC_ERR_NOT_FOUND;
  pq_local_cid *l = NULL;
  for (size_t i = 0; i < PQ_MAX_LOCAL_CIDS; i++) {
    if (cnx->local_cids[i].used && cnx->local_cids[i].seq == cnx->preferred_cid_seq &&
        cnx->preferred_cid_seq)
      l = &cnx->local_cids[i];
  }
  if (!l) {
    int rc = pq_cnx_new_local_cid(cnx, &l);
    if (rc)
      return rc;
    cnx->preferred_cid_seq = l->seq;
  }
  memset(pa, 0, sizeof *pa);
  if (ep->preferred_v4.sin_family) {
    memcpy(pa->ipv4, &ep->preferred_v4.sin_addr, 4);
    pa->ipv4_port = ntohs(ep->preferred_v4.sin_port);
  }
  if (ep->preferred_v6.sin6_family) {
    memcpy(pa->ipv6, &ep->preferred_v6.sin6_addr, 16);
    pa->ipv6_port = ntohs(ep->preferred_v6.sin6_port);
  }
  pa->cid = l->cid;
  memcpy(pa->reset_token, l->token, PQ_RESET_TOKEN_LEN);
  return 0;
}

PQ_OPIMPL uint64_t opimpl_prepare_transport_parameters(pq_cnx *cnx, pq_tp *tp) {
  const pquic_settings *s = &cnx->ep->cfg.settings;
  tp->max_idle_timeout = s->max_idle_timeout_us / 1000;
  tp->max_udp_payload_size = s->max_udp_payload_size;
  tp->initial_max_data = s->initial_max_data;
  tp->initial_max_stream_data_bidi_local = s->initial_max_stream_data_bidi_local;
  tp->initial_max_stream_data_bidi_remote = s->initial_max_stream_data_bidi_remote;
  tp->initial_max_stream_data_uni = s->initial_max_stream_data_uni;
  tp->initial_max_streams_bidi = s->initial_max_streams_bidi;
  tp->initial_max_streams_uni = s->initial_max_streams_uni;
  tp->ack_delay_exponent = s->ack_delay_exponent;
  tp->max_ack_delay = s->max_ack_delay_us / 1000;
  tp->active_connection_id_limit = s->active_connection_id_limit;
  tp->initial_scid = cnx->initial_scid;
  static const uint64_t ids[] = {
      PQ_TP_MAX_IDLE_TIMEOUT, PQ_TP_MAX_UDP_PAYLOAD_SIZE,
      PQ_TP_INITIAL_MAX_DATA, PQ_TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL,
      PQ_TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE, PQ_TP_INITIAL_MAX_STREAM_DATA_UNI,
      PQ_TP_INITIAL_MAX_STREAMS_BIDI, PQ_TP_INITIAL_MAX_STREAMS_UNI,
      PQ_TP_ACK_DELAY_EXPONENT, PQ_TP_MAX_ACK_DELAY,
      PQ_TP_ACTIVE_CONNECTION_ID_LIMIT, PQ_TP_INITIAL_SCID};
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
    pq_tp_mark(tp, ids[i]);
  tp->chosen_version = cnx->version;
  tp->n_available_versions = pq_ep_versions(cnx->ep, tp->available_versions);
  pq_tp_mark(tp, PQ_TP_VERSION_INFORMATION);
  if (cnx->is_server) {
    tp->original_dcid = cnx->odcid;
    pq_tp_mark(tp, PQ_TP_ORIGINAL_DCID);
    memcpy(tp->stateless_reset_token, cnx->local_cids[0].token, PQ_RESET_TOKEN_LEN);
    pq_tp_mark(tp, PQ_TP_STATELESS_RESET_TOKEN);
    if (cnx->retry_scid.len) {
      tp->retry_scid = cnx->retry_scid;
      pq_tp_mark(tp, PQ_TP_RETRY_SCID);
    }
    if (preferred_address(cnx, &tp->preferred_address) == 0)
      pq_tp_mark(tp, PQ_TP_PREFERRED_ADDRESS);
  }
  return 0;
}
PQ_OP_ADAPTER(prepare_transport_parameters)

PQ_OPIMPL uint64_t opimpl_write_transport_parameter(pq_cnx *cnx, uint64_t param, uint8_t *buf,
                                                    size_t cap, uint64_t *out) {
  (void)cnx;
  (void)param;
  (void)buf;
  (void)cap;
  out[0] = 0; /* the built-in parameters are written from pq_tp */
  return (uint64_t)(int64_t)PQUIC_ERR_UNSUPPORTED;
}
PQ_OP_ADAPTER(write_transport_parameter)

PQ_OPIMPL uint64_t opimpl_process_transport_parameter(pq_cnx *cnx, uint64_t param,
                                                      const uint8_t *value, size_t len) {
  (void)cnx;
  (void)param;
  (void)value;
  (void)len; /* built-in ones were applied with the whole set; others ignored */
  return 0;
}
PQ_OP_ADAPTER(process_transport_parameter)

/* Client: the server's preferred address in our address family, and its
 * connection ID as peer CID sequence 1 (RFC 9000 9.6.1). */
static void remember_preferred(pq_cnx *cnx, const pq_preferred_address *pa) {
  const struct sockaddr_storage *now = &pq_cnx_active_path(cnx)->remote;
  memset(&cnx->preferred, 0, sizeof cnx->preferred);
  if (now->ss_family == AF_INET && pa->ipv4_port) {
    struct sockaddr_in *s = (struct sockaddr_in *)&cnx->preferred;
    s->sin_family = AF_INET;
    memcpy(&s->sin_addr, pa->ipv4, 4);
    s->sin_port = htons(pa->ipv4_port);
  } else if (now->ss_family == AF_INET6 && pa->ipv6_port) {
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)&cnx->preferred;
    s->sin6_family = AF_INET6;
    memcpy(&s->sin6_addr, pa->ipv6, 16);
    s->sin6_port = htons(pa->ipv6_port);
  } else {
    return;
  }
  for (size_t i = 0; i < PQ_MAX_PEER_CIDS; i++) {
    pq_peer_cid *p = &cnx->peer_cids[i];
    if (p->used)
      continue;
    p->used = 1;
    p->seq = 1;
    p->cid = pa->cid;
    memcpy(p->token, pa->reset_token, 16);
    p->has_token = 1;
    cnx->has_preferred = 1;
    return;
  }
}

static uint64_t tp_error(pq_cnx *cnx, const char *why) {
  snprintf(cnx->close_reason, sizeof cnx->close_reason, "%s", why);
  return (uint64_t)(int64_t)PQUIC_ERR_TRANSPORT_PARAMETER;
}

PQ_OPIMPL uint64_t opimpl_apply_peer_transport_parameters(pq_cnx *cnx, const pq_tp *tp) {
  /* Authenticate the connection IDs of the handshake (RFC 9000 7.3). */
  const pq_cid *peer0 = &cnx->peer_cids[0].cid;
  if (!pq_tp_has(tp, PQ_TP_INITIAL_SCID) || !pq_cid_eq(&tp->initial_scid, peer0))
    return tp_error(cnx, "initial_source_connection_id does not match");
  if (!cnx->is_server) {
    if (!pq_tp_has(tp, PQ_TP_ORIGINAL_DCID) || !pq_cid_eq(&tp->original_dcid, &cnx->odcid))
      return tp_error(cnx, "original_destination_connection_id does not match");
    int had_retry = cnx->retry_scid.len != 0;
    if (had_retry != pq_tp_has(tp, PQ_TP_RETRY_SCID) ||
        (had_retry && !pq_cid_eq(&tp->retry_scid, &cnx->retry_scid)))
      return tp_error(cnx, "retry_source_connection_id does not match");
    if (pq_tp_has(tp, PQ_TP_STATELESS_RESET_TOKEN)) {
      memcpy(cnx->peer_cids[0].token, tp->stateless_reset_token, 16);
      cnx->peer_cids[0].has_token = 1;
    }
    if (pq_tp_has(tp, PQ_TP_PREFERRED_ADDRESS))
      remember_preferred(cnx, &tp->preferred_address);
  }
  /* The client's chosen version is the one of its first Initial; the
   * server's, the negotiated one (RFC 9368 4). */
  uint32_t expect = cnx->is_server && cnx->orig_version ? cnx->orig_version : cnx->version;
  if (pq_tp_has(tp, PQ_TP_VERSION_INFORMATION) && tp->chosen_version != expect)
    return tp_error(cnx, "version_information does not match the version in use");

  pq_peer_params *p = &cnx->peer;
  p->max_idle_timeout = tp->max_idle_timeout * 1000;
  p->max_udp_payload = tp->max_udp_payload_size;
  p->ack_delay_exponent = tp->ack_delay_exponent;
  p->max_ack_delay = tp->max_ack_delay * 1000;
  p->active_cid_limit = tp->active_connection_id_limit;
  p->max_datagram_frame = tp->max_datagram_frame_size;
  p->disable_migration = pq_tp_has(tp, PQ_TP_DISABLE_ACTIVE_MIGRATION);
  p->grease_quic_bit = pq_tp_has(tp, PQ_TP_GREASE_QUIC_BIT);

  cnx->peer_initial_max_data = tp->initial_max_data;
  cnx->peer_initial_max_streams_bidi = tp->initial_max_streams_bidi;
  cnx->peer_initial_max_streams_uni = tp->initial_max_streams_uni;
  if (tp->initial_max_data > cnx->max_data_send || !cnx->has_remembered)
    cnx->max_data_send = tp->initial_max_data;
  cnx->peer_max_stream_data_bidi_local = tp->initial_max_stream_data_bidi_local;
  cnx->peer_max_stream_data_bidi_remote = tp->initial_max_stream_data_bidi_remote;
  cnx->peer_max_stream_data_uni = tp->initial_max_stream_data_uni;
  if (tp->initial_max_streams_bidi > cnx->max_bidi_local || !cnx->has_remembered)
    cnx->max_bidi_local = tp->initial_max_streams_bidi;
  if (tp->initial_max_streams_uni > cnx->max_uni_local || !cnx->has_remembered)
    cnx->max_uni_local = tp->initial_max_streams_uni;
  pq_streams_apply_peer_limits(cnx);

  /* The idle timeout is the smaller of the two, when both give one. */
  uint64_t ours = cnx->ep->cfg.settings.max_idle_timeout_us;
  uint64_t theirs = p->max_idle_timeout;
  cnx->idle_timeout = !ours ? theirs : !theirs ? ours : (ours < theirs ? ours : theirs);

  for (uint32_t i = 0; i < cnx->n_paths; i++) {
    if (cnx->paths[i].max_udp_payload > p->max_udp_payload)
      cnx->paths[i].max_udp_payload = (uint32_t)p->max_udp_payload;
  }
  cnx->peer_tp_received = 1;
  return 0;
}
PQ_OP_ADAPTER(apply_peer_transport_parameters)

int pq_cnx_encode_tp(pq_cnx *cnx, uint8_t *buf, size_t cap, size_t *len) {
  pq_tp tp;
  pq_tp_init(&tp);
  uint64_t rc = pq_op_prepare_transport_parameters(cnx, &tp);
  if (rc)
    return (int)(int64_t)rc;
  pq_wbuf w = pq_wbuf_make(buf, cap);
  int r = pq_tp_encode(&w, &tp, cnx->is_server != 0, NULL);
  if (r)
    return r;
  *len = (size_t)(w.p - buf);
  return 0;
}

int pq_cnx_decode_tp(pq_cnx *cnx, const uint8_t *data, size_t len) {
  pq_tp tp;
  const char *rule = NULL;
  if (pq_tp_decode(data, len, !cnx->is_server, &tp, &rule)) {
    snprintf(cnx->close_reason, sizeof cnx->close_reason, "%s",
             rule ? rule : "malformed transport parameters");
    return PQUIC_ERR_TRANSPORT_PARAMETER;
  }
  if (cnx->is_server) {
    int r = pq_cnx_server_negotiate(cnx, &tp);
    if (r)
      return r;
  }
  uint64_t rc = pq_op_apply_peer_transport_parameters(cnx, &tp);
  if (rc)
    return pq_op_failed(rc) ? (int)(int64_t)rc : PQUIC_ERR_TRANSPORT_PARAMETER;
  /* Each parameter, for plugins that observe or handle one. */
  for (uint64_t id = 0; id <= PQ_TP_VERSION_INFORMATION; id++) {
    if (pq_tp_has(&tp, id))
      (void)pq_op_process_transport_parameter(cnx, id, NULL, 0);
  }
  for (size_t i = 0; i < tp.n_ext; i++)
    (void)pq_op_process_transport_parameter(cnx, tp.ext[i].id, tp.ext[i].value, tp.ext[i].len);
  return 0;
}

PQ_OP_DEFAULTS(transport_params, PQ_OP_DEFAULT(prepare_transport_parameters),
               PQ_OP_DEFAULT(write_transport_parameter),
               PQ_OP_DEFAULT(process_transport_parameter),
               PQ_OP_DEFAULT(apply_peer_transport_parameters))
