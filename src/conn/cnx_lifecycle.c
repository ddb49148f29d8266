/* Connection creation (client and server), teardown, events and the
 * handling of operation faults. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "conn/cnx_internal.h"
#include "conn/opcalls.h"
#include "conn/session.h"
#include "conn/token.h"
#include "crypto/keys.h"

socklen_t pq_sockaddr_len(const struct sockaddr *sa) {
  if (!sa)
    return 0;
  return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

int pq_sockaddr_eq(const struct sockaddr *a, const struct sockaddr *b) {
  if (a->sa_family != b->sa_family)
    return 0;
  if (a->sa_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->sa_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  return 0;
}

void pq_cnx_emit(pq_cnx *cnx, const pquic_event *ev) {
  const pquic_callbacks *cb = &cnx->ep->cfg.callbacks;
  if (cb->on_event)
    cb->on_event(cnx, ev, cnx->ep->cfg.user);
}

void pq_cnx_set_state(pq_cnx *cnx, int state) {
  int from = cnx->state;
  if (from == state)
    return;
  cnx->state = state;
  (void)pq_op_connection_state_changed(cnx, (uint64_t)from, (uint64_t)state);
  if (from < PQ_CNX_CLOSING && (state == PQ_CNX_CLOSING || state == PQ_CNX_DRAINING)) {
    pquic_event ev = {.type = PQUIC_EVENT_CLOSING,
                      .err = cnx->close_err,
                      .wire_error = cnx->close_error,
                      .wire_error_is_app = cnx->close_is_app,
                      .closed_by_peer = cnx->close_by_peer,
                      .reason = cnx->close_reason[0] ? cnx->close_reason : NULL};
    pq_cnx_emit(cnx, &ev);
  }
}

static void space_init(pq_space *sp) {
  memset(sp, 0, sizeof *sp);
  sp->largest_acked = PQ_PN_NONE;
  sp->largest_recv = PQ_PN_NONE;
  sp->loss_time = PQ_TIME_NEVER;
  sp->ack_deadline = PQ_TIME_NEVER;
  pq_ranges_init(&sp->recv);
  pq_sendbuf_init(&sp->crypto_out, PQ_SENDBUF_CRYPTO);
  pq_recvbuf_init(&sp->crypto_in);
}

static void space_free(pq_space *sp) {
  pq_sent_pkt *p = sp->sent_head;
  while (p) {
    pq_sent_pkt *next = p->next;
    pq_sent_free(p);
    p = next;
  }
  sp->sent_head = sp->sent_tail = NULL;
  pq_ranges_free(&sp->recv);
  pq_sendbuf_free(&sp->crypto_out);
  pq_recvbuf_free(&sp->crypto_in);
}

int pq_cnx_new_local_cid(pq_cnx *cnx, pq_local_cid **out) {
  pq_local_cid *slot = NULL;
  for (size_t i = 0; i < PQ_MAX_LOCAL_CIDS; i++) {
    if (!cnx->local_cids[i].used) {
      slot = &cnx->local_cids[i];
      break;
    }
  }
  if (!slot)
    return PQUIC_ERR_LIMIT;
  pq_endpoint *ep = cnx->ep;
  uint8_t len = (uint8_t)ep->cfg.settings.cid_length;
  uint8_t id[PQ_MAX_CID_LEN];
  /* A collision with another connection's CID is astronomically unlikely;
   * retry anyway rather than steal its packets. */
  for (int tries = 0;; tries++) {
    pq_ep_random(ep, id, len);
    if (!pq_cidmap_get(&ep->cids, id, len))
      break;
    if (tries == 8)
      return PQUIC_ERR_INTERNAL;
  }
  int rc = pq_ep_register_cid(ep, id, len, cnx);
  if (rc)
    return rc;
  memset(slot, 0, sizeof *slot);
  slot->used = 1;
  slot->seq = cnx->next_local_seq++;
  pq_cid_set(&slot->cid, id, len);
  (void)pq_op_stateless_reset_token(cnx, id, len, slot->token);
  *out = slot;
  return 0;
}

const pq_cid *pq_cnx_peer_cid(pq_cnx *cnx, const pq_path *path) {
  for (size_t i = 0; i < PQ_MAX_PEER_CIDS; i++) {
    const pq_peer_cid *p = &cnx->peer_cids[i];
    if (p->used && p->seq == path->peer_cid_seq)
      return &p->cid;
  }
  return &cnx->peer_cids[0].cid;
}

int pq_cnx_new(pq_endpoint *ep, int is_server, uint32_t version, const struct sockaddr *local,
               const struct sockaddr *remote, uint64_t now, pq_cnx **out) {
  const pquic_settings *s = &ep->cfg.settings;
  pq_cnx *cnx = pq_calloc(1, sizeof *cnx);
  if (!cnx)
    return PQUIC_ERR_NOMEM;
  cnx->ep = ep;
  cnx->is_server = is_server;
  cnx->version = version;
  cnx->created = now;
  cnx->now = now;
  cnx->state = PQ_CNX_HANDSHAKE;
  pq_op_state_init(&cnx->op, pq_ops_defaults());
  for (int e = 0; e < PQ_EPOCH_COUNT; e++)
    space_init(&cnx->spaces[e]);
  pq_u64map_init(&cnx->streams, pq_ep_random64(ep));
  cnx->n_paths = 1;
  pq_path_init(cnx, &cnx->paths[0], local, remote);

  /* Our limits, as advertised in our transport parameters. */
  cnx->max_data_recv = s->initial_max_data;
  cnx->recv_window = s->initial_max_data;
  cnx->max_bidi_remote = s->initial_max_streams_bidi;
  cnx->max_uni_remote = s->initial_max_streams_uni;
  cnx->next_bidi = is_server ? 1 : 0;
  cnx->next_uni = is_server ? 3 : 2;
  /* The peer's, until its transport parameters arrive (RFC 9000 18.2). */
  cnx->peer.max_udp_payload = 65527;
  cnx->peer.ack_delay_exponent = 3;
  cnx->peer.max_ack_delay = 25000;
  cnx->peer.active_cid_limit = 2;
  cnx->idle_timeout = s->max_idle_timeout_us;
  cnx->idle_deadline = s->max_idle_timeout_us ? now + s->max_idle_timeout_us : PQ_TIME_NEVER;
  cnx->close_deadline = PQ_TIME_NEVER;
  cnx->loss_timer = PQ_TIME_NEVER;
  cnx->packet_threshold = 3;
  cnx->preferred_path = -1;
  cnx->time_threshold_shift = 3;

  /* Linked first so pq_cnx_free can undo everything below. */
  cnx->ep_next = ep->cnx_head;
  if (ep->cnx_head)
    ep->cnx_head->ep_prev = cnx;
  ep->cnx_head = cnx;
  ep->n_cnx++;

  pq_local_cid *cid0;
  int rc = pq_cnx_new_local_cid(cnx, &cid0);
  if (rc) {
    pq_cnx_free(cnx);
    return rc;
  }
  cnx->initial_scid = cid0->cid;
  if (ep->pl && (rc = ep->pl->hooks->cnx_new(cnx)) != 0) {
    pq_cnx_free(cnx); /* an injected plugin could not attach */
    return rc;
  }
  (void)pq_op_cc_init(cnx, &cnx->paths[0]);
  *out = cnx;
  return 0;
}

static int install_initial_keys(pq_cnx *cnx) {
  pq_dir_keys *client = cnx->is_server ? &cnx->rkeys[0] : &cnx->wkeys[0];
  pq_dir_keys *server = cnx->is_server ? &cnx->wkeys[0] : &cnx->rkeys[0];
  pq_dir_keys_free(client);
  pq_dir_keys_free(server);
  int rc = pq_initial_keys(client, server, cnx->version, cnx->odcid.id, cnx->odcid.len);
  if (rc)
    return rc;
  cnx->rkeys_ok[0] = cnx->wkeys_ok[0] = 1;
  return 0;
}

int pq_cnx_reset_initial_keys(pq_cnx *cnx) {
  return install_initial_keys(cnx);
}

/* A second connection attempt in another version after Version
 * Negotiation (RFC 9368 2.1): new DCID, new TLS handshake, nothing kept
 * from the first attempt but the connection's identity to the app. */
int pq_cnx_restart(pq_cnx *cnx, uint32_t version) {
  pq_tls_session_free(cnx->tls);
  cnx->tls = NULL;
  for (int e = 0; e < PQ_EPOCH_COUNT; e++) {
    space_free(&cnx->spaces[e]);
    space_init(&cnx->spaces[e]);
  }
  for (int l = 0; l < PQ_LEVELS; l++) {
    pq_dir_keys_free(&cnx->rkeys[l]);
    pq_dir_keys_free(&cnx->wkeys[l]);
    cnx->rkeys_ok[l] = cnx->wkeys_ok[l] = 0;
  }
  pq_path *p = pq_cnx_active_path(cnx);
  p->bytes_in_flight = 0;
  cnx->loss_timer = PQ_TIME_NEVER;
  cnx->pto_count = 0;
  cnx->version = version;
  uint8_t dcid[16];
  pq_ep_random(cnx->ep, dcid, sizeof dcid);
  pq_cid_set(&cnx->odcid, dcid, sizeof dcid);
  cnx->peer_cids[0].cid = cnx->odcid;
  int rc = install_initial_keys(cnx);
  if (rc)
    return rc;
  return pq_cnx_tls_start(cnx, cnx->sni[0] ? cnx->sni : NULL, NULL, 0);
}

int pq_cnx_accept(pq_cnx *cnx, const pq_header *h, const pq_token_info *token) {
  int retried = token && token->kind == PQ_TOKEN_RETRY;
  pq_cid_set(&cnx->client_dcid, h->dcid, h->dcid_len);
  /* The original DCID is the one before our Retry, if there was one. */
  cnx->odcid = retried ? token->odcid : cnx->client_dcid;
  if (retried) {
    cnx->retry_scid = cnx->client_dcid;
    cnx->retried = 1;
  }
  if (token)
    cnx->paths[0].validated = 1; /* the token proved the address */
  /* Later Initial and 0-RTT packets still carry the client's DCID. */
  int rc = pq_ep_register_cid(cnx->ep, h->dcid, h->dcid_len, cnx);
  if (rc)
    return rc;
  pq_peer_cid *p = &cnx->peer_cids[0];
  p->used = 1;
  p->seq = 0;
  pq_cid_set(&p->cid, h->scid, h->scid_len);
  cnx->peer_initial_scid = p->cid;
  /* Initial keys come from the DCID the client is using now (the Retry's
   * SCID after a Retry). */
  rc = pq_initial_keys(&cnx->rkeys[0], &cnx->wkeys[0], cnx->version, h->dcid, h->dcid_len);
  if (rc)
    return rc;
  cnx->rkeys_ok[0] = cnx->wkeys_ok[0] = 1;
  if (cnx->ep->cfg.qlog_dir)
    (void)pq_qlog_attach(cnx, cnx->ep->cfg.qlog_dir); /* tracing is best effort */
  return pq_cnx_tls_start(cnx, NULL, NULL, 0);
}

static int connect_common(pquic_endpoint *ep, const struct sockaddr *local,
                          const struct sockaddr *remote, const char *server_name,
                          const pq_session *session, uint64_t now, pquic_cnx **out) {
  if (!ep || !remote || !out || (remote->sa_family != AF_INET && remote->sa_family != AF_INET6))
    return PQUIC_ERR_INVAL;
  pq_cnx *cnx;
  uint32_t version = session && pq_ep_version_ok(ep, session->version) ? session->version
                                                                       : ep->cfg.settings.version;
  int rc = pq_cnx_new(ep, 0, version, local, remote, now, &cnx);
  if (rc)
    return rc;
  if (session) {
    pq_session_apply(cnx, session);
    if (session->token_len && session->token_len <= sizeof cnx->token) {
      memcpy(cnx->token, session->token, session->token_len);
      cnx->token_len = session->token_len;
    }
  }
  /* The first DCID is random and at least 8 bytes (RFC 9000 7.2). */
  uint8_t dcid[16];
  pq_ep_random(ep, dcid, sizeof dcid);
  pq_cid_set(&cnx->odcid, dcid, sizeof dcid);
  pq_peer_cid *p = &cnx->peer_cids[0];
  p->used = 1;
  p->seq = 0;
  p->cid = cnx->odcid;
  if (server_name && strlen(server_name) < sizeof cnx->sni)
    strcpy(cnx->sni, server_name); /* kept for a restart after Version Negotiation */
  if (ep->cfg.qlog_dir)
    (void)pq_qlog_attach(cnx, ep->cfg.qlog_dir); /* tracing is best effort */
  if ((rc = install_initial_keys(cnx)) != 0 ||
      (rc = pq_cnx_tls_start(cnx, server_name, session ? session->ticket : NULL,
                             session ? session->ticket_len : 0)) != 0) {
    pq_cnx_free(cnx);
    return rc;
  }
  cnx->early_data_offered = cnx->wkeys_ok[PQ_CRYPTO_LEVEL_0RTT];
  *out = cnx;
  return 0;
}

int pquic_connect(pquic_endpoint *ep, const struct sockaddr *local, const struct sockaddr *remote,
                  const char *server_name, uint64_t now, pquic_cnx **out) {
  return connect_common(ep, local, remote, server_name, NULL, now, out);
}

int pquic_connect_session(pquic_endpoint *ep, const struct sockaddr *local,
                          const struct sockaddr *remote, const char *server_name,
                          const uint8_t *session, size_t session_len, uint64_t now,
                          pquic_cnx **out) {
  pq_session s;
  if (!session || pq_session_parse(session, session_len, &s))
    return PQUIC_ERR_INVAL;
  return connect_common(ep, local, remote, server_name, &s, now, out);
}

void pq_cnx_free(pq_cnx *cnx) {
  if (!cnx)
    return;
  pq_endpoint *ep = cnx->ep;
  if (cnx->pl)
    cnx->pl->hooks->cnx_free(cnx);
  for (size_t i = 0; i < PQ_MAX_LOCAL_CIDS; i++) {
    pq_local_cid *l = &cnx->local_cids[i];
    if (l->used && pq_cidmap_get(&ep->cids, l->cid.id, l->cid.len) == cnx)
      pq_ep_unregister_cid(ep, l->cid.id, l->cid.len);
  }
  pq_cid_expire_retired(cnx, UINT64_MAX);
  if (cnx->client_dcid.len &&
      pq_cidmap_get(&ep->cids, cnx->client_dcid.id, cnx->client_dcid.len) == cnx)
    pq_ep_unregister_cid(ep, cnx->client_dcid.id, cnx->client_dcid.len);
  pq_cnx_free_streams(cnx);
  pq_u64map_free(&cnx->streams);
  for (int e = 0; e < PQ_EPOCH_COUNT; e++)
    space_free(&cnx->spaces[e]);
  for (int l = 0; l < PQ_LEVELS; l++) {
    pq_dir_keys_free(&cnx->rkeys[l]);
    pq_dir_keys_free(&cnx->wkeys[l]);
  }
  pq_phase_keys_free(&cnx->rnext);
  pq_phase_keys_free(&cnx->rprev);
  pq_dir_keys_free(&cnx->rkeys_orig);
  pq_tls_session_free(cnx->tls);
  pq_free(cnx->ticket);
  pq_qlog_close(cnx);
  pq_op_state_free(&cnx->op);
  if (cnx->ep_prev)
    cnx->ep_prev->ep_next = cnx->ep_next;
  else
    ep->cnx_head = cnx->ep_next;
  if (cnx->ep_next)
    cnx->ep_next->ep_prev = cnx->ep_prev;
  if (ep->send_cursor == cnx)
    ep->send_cursor = cnx->ep_next;
  ep->n_cnx--;
  pq_free(cnx);
}

/* An operation failed fatally (loop, depth, plugin fault): drop every
 * plugin of the connection, tell the application, close with
 * INTERNAL_ERROR using the built-in behaviour. */
static void handle_op_fault(pq_cnx *cnx) {
  int err = cnx->op.fault;
  const char *op = pq_op_name(&cnx->ep->registry, cnx->op.fault_op);
  char reason[224];
  const char *detail = cnx->pl ? cnx->pl->hooks->fault_detail(cnx) : "";
  snprintf(reason, sizeof reason, "protocol operation %s: %s%s%s", op, pquic_strerror(err),
           detail[0] ? ": " : "", detail);
  pq_op_state_free(&cnx->op); /* back to the shared built-in table */
  cnx->op.fault = 0;
  cnx->op.depth = 0;
  cnx->n_plugins = 0;
  if (cnx->pl)
    cnx->pl->hooks->cnx_drop(cnx); /* bytecode plugins' memory and frames */
  pquic_event ev = {.type = PQUIC_EVENT_OP_FAULT, .err = err, .reason = reason};
  pq_cnx_emit(cnx, &ev);
  if (!pq_cnx_closing(cnx)) {
    cnx->close_err = err;
    /* The details are for our application, not for the peer. */
    cnx->close_reason_private = 1;
    pq_cnx_error(cnx, PQUIC_WIRE_INTERNAL_ERROR, 0, reason);
  }
}

void pq_cnx_check_fault(pq_cnx *cnx) {
  if (cnx->op.fault)
    handle_op_fault(cnx);
}

int pq_cnx_after_call(pq_cnx *cnx) {
  pq_cnx_check_fault(cnx);
  if (cnx->state != PQ_CNX_CLOSED)
    return 0;
  pquic_event ev = {.type = PQUIC_EVENT_CLOSED,
                    .err = cnx->close_err,
                    .wire_error = cnx->close_error,
                    .wire_error_is_app = cnx->close_is_app,
                    .closed_by_peer = cnx->close_by_peer,
                    .reason = cnx->close_reason[0] ? cnx->close_reason : NULL};
  (void)pq_op_connection_closed(cnx, cnx->close_error, (uint64_t)cnx->close_by_peer);
  pq_cnx_emit(cnx, &ev);
  pq_cnx_free(cnx);
  return 1;
}
