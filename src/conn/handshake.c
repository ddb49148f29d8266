/* The TLS handshake: CRYPTO data to and from GnuTLS, keys for each
 * encryption level, completion and confirmation (RFC 9001 section 4). */
#include <stdio.h>
#include <string.h>

#include "conn/cnx_internal.h"
#include "conn/opcalls.h"
#include "conn/session.h"
#include "crypto/keys.h"
#include "wire/frame.h"

/* Most CRYPTO data buffered out of order per level (RFC 9000 7.5). */
#define PQ_CRYPTO_BUFFER_MAX (64 * 1024)

/* --- TLS callbacks --- */

static int tls_send(void *user, pq_crypto_level level, const uint8_t *data, size_t len) {
  pq_cnx *cnx = user;
  if (level == PQ_CRYPTO_LEVEL_0RTT)
    return PQUIC_ERR_INTERNAL; /* TLS never writes at the 0-RTT level */
  return pq_sendbuf_write(&cnx->spaces[pq_level_epoch(level)].crypto_out, data, len);
}

static int tls_secret(void *user, pq_crypto_level level, pq_cipher_suite suite,
                      const uint8_t *read, const uint8_t *write, size_t len) {
  pq_cnx *cnx = user;
  cnx->suite = suite;
  if (read) {
    pq_secret s = {suite, read, len};
    uint64_t rc = pq_op_install_keys(cnx, level, 0, &s);
    if (rc)
      return (int)(int64_t)rc;
  }
  if (write) {
    pq_secret s = {suite, write, len};
    uint64_t rc = pq_op_install_keys(cnx, level, 1, &s);
    if (rc)
      return (int)(int64_t)rc;
  }
  return 0;
}

static int tls_transport_params(void *user, const uint8_t *data, size_t len) {
  return pq_cnx_decode_tp(user, data, len);
}

int pq_cnx_tls_start(pq_cnx *cnx, const char *server_name, const uint8_t *resumption,
                     size_t resumption_len) {
  uint8_t tp[512];
  size_t tp_len;
  int rc = pq_cnx_encode_tp(cnx, tp, sizeof tp, &tp_len);
  if (rc)
    return rc;
  pq_tls_session_opts o = {0};
  o.hostname = server_name;
  o.transport_params = tp;
  o.transport_params_len = tp_len;
  static const pq_tls_callbacks cb = {tls_send, tls_secret, tls_transport_params,
                                      pq_session_on_ticket};
  if (resumption) {
    o.resumption = resumption;
    o.resumption_len = resumption_len;
  }
  pq_tls_config *cfg = cnx->is_server ? cnx->ep->tls : cnx->ep->tls_client;
  if ((rc = pq_tls_session_new(&cnx->tls, cfg, &o, &cb, cnx)) != 0)
    return rc;
  return pq_tls_session_start(cnx->tls);
}

/* A TLS failure becomes CRYPTO_ERROR with its alert (RFC 9001 4.8); a
 * transport-parameter problem found during the handshake keeps its code. */
static void tls_failed(pq_cnx *cnx, int rc) {
  if (pq_cnx_closing(cnx))
    return;
  if (rc == PQUIC_ERR_TRANSPORT_PARAMETER) {
    pq_cnx_error(cnx, PQUIC_WIRE_TRANSPORT_PARAMETER_ERROR, PQ_FT_CRYPTO,
                 "invalid transport parameters");
    return;
  }
  int alert = pq_tls_session_alert(cnx->tls);
  if (alert < 0)
    alert = 80; /* internal_error */
  cnx->close_err = rc == PQUIC_ERR_CERTIFICATE ? PQUIC_ERR_CERTIFICATE : PQUIC_ERR_TLS;
  const char *why = pq_tls_session_error(cnx->tls);
  pq_cnx_error(cnx, PQUIC_WIRE_CRYPTO_ERROR(alert), PQ_FT_CRYPTO,
               why && *why ? why : "TLS handshake failure");
}

/* --- operations --- */

PQ_OPIMPL uint64_t opimpl_crypto_receive(pq_cnx *cnx, uint64_t level, uint64_t offset,
                                         const uint8_t *data, size_t len) {
  if (level >= PQ_LEVELS || level == PQ_CRYPTO_LEVEL_0RTT)
    return (uint64_t)(int64_t)PQUIC_ERR_INVAL;
  pq_space *sp = &cnx->spaces[pq_level_epoch((int)level)];
  pq_recvbuf *rb = &sp->crypto_in;
  if (offset + len > pq_recvbuf_read_off(rb) + PQ_CRYPTO_BUFFER_MAX) {
    pq_cnx_error(cnx, PQUIC_WIRE_CRYPTO_BUFFER_EXCEEDED, PQ_FT_CRYPTO,
                 "too much out-of-order CRYPTO data");
    return 0;
  }
  int rc = pq_recvbuf_insert(rb, offset, data, len, 0);
  if (rc) {
    if (rc == PQUIC_ERR_NOMEM)
      pq_cnx_error(cnx, PQUIC_WIRE_INTERNAL_ERROR, PQ_FT_CRYPTO, "out of memory");
    return 0;
  }
  uint8_t chunk[4096];
  size_t n;
  while (!pq_cnx_closing(cnx) && (n = pq_recvbuf_read(rb, chunk, sizeof chunk)) > 0) {
    rc = pq_tls_session_provide(cnx->tls, (pq_crypto_level)level, chunk, n);
    if (rc) {
      tls_failed(cnx, rc);
      return 0;
    }
  }
  if (!cnx->alpn[0]) {
    /* Known from the ClientHello (server) or EncryptedExtensions (client),
     * before completion: 0-RTT data can be routed by protocol. */
    size_t alpn_len = 0;
    const uint8_t *alpn = pq_tls_session_alpn(cnx->tls, &alpn_len);
    if (alpn && alpn_len < sizeof cnx->alpn) {
      memcpy(cnx->alpn, alpn, alpn_len);
      cnx->alpn[alpn_len] = '\0';
    }
  }
  if (!cnx->handshake_complete && pq_tls_session_complete(cnx->tls))
    (void)pq_op_handshake_completed(cnx, cnx->now);
  return 0;
}
PQ_OP_ADAPTER(crypto_receive)

PQ_OPIMPL uint64_t opimpl_install_keys(pq_cnx *cnx, uint64_t level, uint64_t direction,
                                       const pq_secret *secret) {
  if (level >= PQ_LEVELS || direction > 1)
    return (uint64_t)(int64_t)PQUIC_ERR_INVAL;
  pq_dir_keys *k = direction ? &cnx->wkeys[level] : &cnx->rkeys[level];
  uint8_t *ok = direction ? &cnx->wkeys_ok[level] : &cnx->rkeys_ok[level];
  pq_dir_keys_free(k);
  *ok = 0;
  int rc = pq_dir_keys_init(k, (pq_cipher_suite)secret->suite, cnx->version, secret->data,
                            secret->len);
  if (rc)
    return (uint64_t)(int64_t)rc;
  *ok = 1;
  if (level == PQ_CRYPTO_LEVEL_1RTT && direction == 0) {
    /* Ready for the peer's first key update (RFC 9001 6.3). */
    pq_phase_keys_free(&cnx->rnext);
    cnx->rnext_ok = pq_phase_keys_next(&cnx->rnext, &k->phase) == 0;
  }
  return 0;
}
PQ_OP_ADAPTER(install_keys)

PQ_OPIMPL uint64_t opimpl_handshake_completed(pq_cnx *cnx, uint64_t now) {
  if (cnx->handshake_complete)
    return 0;
  cnx->handshake_complete = 1;
  cnx->stats.handshake_duration_us = now - cnx->created;
  size_t alpn_len = 0;
  const uint8_t *alpn = pq_tls_session_alpn(cnx->tls, &alpn_len);
  if (alpn && alpn_len < sizeof cnx->alpn) {
    memcpy(cnx->alpn, alpn, alpn_len);
    cnx->alpn[alpn_len] = '\0';
  }
  cnx->resumed = pq_tls_session_resumed(cnx->tls);
  if (!cnx->is_server && cnx->early_data_offered) {
    cnx->early_data_accepted = pq_tls_session_early_data_accepted(cnx->tls);
    if (!cnx->early_data_accepted)
      pq_session_early_rejected(cnx);
    else if (pq_session_check_limits(cnx)) {
      pq_cnx_error(cnx, PQUIC_WIRE_PROTOCOL_VIOLATION, 0,
                   "server lowered a limit 0-RTT was sent under");
      return 0;
    }
  }
  if (cnx->is_server)
    cnx->early_data_offered = cnx->early_data_accepted =
        pq_tls_session_early_data_accepted(cnx->tls);
  if (!cnx->peer_tp_received) {
    pq_cnx_error(cnx, PQUIC_WIRE_TRANSPORT_PARAMETER_ERROR, 0,
                 "no transport parameters from the peer");
    return 0;
  }
  if (!pq_cnx_closing(cnx)) {
    pq_cnx_set_state(cnx, PQ_CNX_ACTIVE);
    pq_cid_issue_initial(cnx); /* spare CIDs for migration (RFC 9000 5.1.1) */
  }
  if (cnx->is_server) {
    /* The server's handshake is confirmed on completion (RFC 9001 4.1.2). */
    cnx->handshake_done_pending = 1;
    cnx->new_token_pending = 1; /* lets the client skip validation next time */
    (void)pq_op_handshake_confirmed(cnx, now);
  }
  pquic_event ev = {.type = PQUIC_EVENT_HANDSHAKE_DONE};
  pq_cnx_emit(cnx, &ev);
  return 0;
}
PQ_OP_ADAPTER(handshake_completed)

PQ_OPIMPL uint64_t opimpl_handshake_confirmed(pq_cnx *cnx, uint64_t now) {
  if (cnx->handshake_confirmed)
    return 0;
  cnx->handshake_confirmed = 1;
  (void)pq_op_discard_epoch(cnx, PQ_EPOCH_HANDSHAKE, now);
  pq_path_start_preferred(cnx, now);
  return 0;
}
PQ_OP_ADAPTER(handshake_confirmed)

PQ_OP_DEFAULTS(handshake, PQ_OP_DEFAULT(crypto_receive), PQ_OP_DEFAULT(install_keys),
               PQ_OP_DEFAULT(handshake_completed), PQ_OP_DEFAULT(handshake_confirmed))
