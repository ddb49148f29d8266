/* One connection's TLS 1.3 handshake over GnuTLS's QUIC hooks. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/log.h"
#include "crypto/secrets.h"
#include "crypto/suite_gnutls.h"
#include "crypto/tls_internal.h"
#include "pquic/errors.h"

/* quic_transport_parameters, RFC 9001 section 8.2. */
#define TP_EXTENSION 0x39
#define ALERT_INTERNAL_ERROR 80

struct pq_tls_session {
  pq_tls_config *cfg;
  gnutls_session_t gs;
  pq_tls_callbacks cb;
  void *user;
  uint8_t *our_tp;
  size_t our_tp_len;
  uint8_t *peer_tp;
  size_t peer_tp_len;
  bool have_peer_tp;
  bool started;
  bool complete;
  bool failed;
  int alert;    /* -1 = none */
  int cb_error; /* first callback failure (PQUIC_ERR_*), 0 if none */
  char error[256];
};

static pq_crypto_level level_from_gnutls(gnutls_record_encryption_level_t l) {
  switch (l) {
  case GNUTLS_ENCRYPTION_LEVEL_INITIAL:
    return PQ_CRYPTO_LEVEL_INITIAL;
  case GNUTLS_ENCRYPTION_LEVEL_EARLY:
    return PQ_CRYPTO_LEVEL_0RTT;
  case GNUTLS_ENCRYPTION_LEVEL_HANDSHAKE:
    return PQ_CRYPTO_LEVEL_HANDSHAKE;
  case GNUTLS_ENCRYPTION_LEVEL_APPLICATION:
    break;
  }
  return PQ_CRYPTO_LEVEL_1RTT;
}

static gnutls_record_encryption_level_t level_to_gnutls(pq_crypto_level l) {
  switch (l) {
  case PQ_CRYPTO_LEVEL_INITIAL:
    return GNUTLS_ENCRYPTION_LEVEL_INITIAL;
  case PQ_CRYPTO_LEVEL_0RTT:
    return GNUTLS_ENCRYPTION_LEVEL_EARLY;
  case PQ_CRYPTO_LEVEL_HANDSHAKE:
    return GNUTLS_ENCRYPTION_LEVEL_HANDSHAKE;
  case PQ_CRYPTO_LEVEL_1RTT:
    break;
  }
  return GNUTLS_ENCRYPTION_LEVEL_APPLICATION;
}

/* Records a callback failure; GnuTLS then aborts with an error of its own,
 * which the caller replaces by this code. */
static int callback_failed(pq_tls_session *s, int rv, const char *what) {
  if (!s->cb_error)
    s->cb_error = rv < 0 && rv > -1000 ? rv : PQUIC_ERR_INTERNAL;
  if (!s->error[0])
    snprintf(s->error, sizeof s->error, "%s callback failed: %s", what,
             pquic_strerror(s->cb_error));
  return GNUTLS_E_USER_ERROR;
}

/* --- GnuTLS hooks --- */

static int on_secret(gnutls_session_t gs, gnutls_record_encryption_level_t glevel, const void *read,
                     const void *write, size_t len) {
  pq_tls_session *s = gnutls_session_get_ptr(gs);
  pq_crypto_level level = level_from_gnutls(glevel);
  gnutls_cipher_algorithm_t alg =
      level == PQ_CRYPTO_LEVEL_0RTT ? gnutls_early_cipher_get(gs) : gnutls_cipher_get(gs);
  pq_cipher_suite suite = pq_suite_from_gnutls(alg);
  if (suite == PQ_SUITE_NONE || len != pq_suite_secret_len(suite)) {
    snprintf(s->error, sizeof s->error, "negotiated cipher %s is not a QUIC suite",
             gnutls_cipher_get_name(alg));
    s->cb_error = PQUIC_ERR_TLS;
    return GNUTLS_E_INTERNAL_ERROR;
  }
  int rv = s->cb.secret(s->user, level, suite, read, write, len);
  return rv ? callback_failed(s, rv, "secret") : 0;
}

static int on_handshake_data(gnutls_session_t gs, gnutls_record_encryption_level_t glevel,
                             gnutls_handshake_description_t htype, const void *data, size_t len) {
  pq_tls_session *s = gnutls_session_get_ptr(gs);
  /* QUIC carries no ChangeCipherSpec (RFC 9001 section 8.4). */
  if (htype == GNUTLS_HANDSHAKE_CHANGE_CIPHER_SPEC)
    return 0;
  int rv = s->cb.send(s->user, level_from_gnutls(glevel), data, len);
  return rv ? callback_failed(s, rv, "send") : 0;
}

static int on_alert(gnutls_session_t gs, gnutls_record_encryption_level_t level,
                    gnutls_alert_level_t alert_level, gnutls_alert_description_t desc) {
  (void)level;
  (void)alert_level;
  pq_tls_session *s = gnutls_session_get_ptr(gs);
  if (s->alert < 0)
    s->alert = (int)desc;
  return 0;
}

static int tp_recv(gnutls_session_t gs, const unsigned char *data, size_t len) {
  pq_tls_session *s = gnutls_session_get_ptr(gs);
  uint8_t *copy = pq_malloc(len ? len : 1);
  if (!copy)
    return callback_failed(s, PQUIC_ERR_NOMEM, "transport parameters");
  if (len)
    memcpy(copy, data, len);
  pq_free(s->peer_tp);
  s->peer_tp = copy;
  s->peer_tp_len = len;
  s->have_peer_tp = true;
  if (s->cb.transport_params) {
    int rv = s->cb.transport_params(s->user, data, len);
    if (rv)
      return callback_failed(s, rv, "transport_params");
  }
  return 0;
}

static int tp_send(gnutls_session_t gs, gnutls_buffer_t ext) {
  pq_tls_session *s = gnutls_session_get_ptr(gs);
  int rv = gnutls_buffer_append_data(ext, s->our_tp, s->our_tp_len);
  return rv < 0 ? rv : (int)s->our_tp_len;
}

/* Server, after parsing the ClientHello: QUIC requires ALPN and transport
 * parameters (RFC 9001 sections 8.1, 8.2). */
static int check_client_hello(pq_tls_session *s) {
  gnutls_datum_t alpn;
  if (gnutls_alpn_get_selected_protocol(s->gs, &alpn) < 0) {
    snprintf(s->error, sizeof s->error, "no application protocol in common with the client");
    return GNUTLS_E_NO_APPLICATION_PROTOCOL;
  }
  if (!s->have_peer_tp) {
    snprintf(s->error, sizeof s->error, "client sent no quic_transport_parameters");
    return GNUTLS_E_MISSING_EXTENSION;
  }
  return 0;
}

static void deliver_ticket(pq_tls_session *s) {
  if (!s->cb.ticket)
    return;
  gnutls_datum_t blob;
  if (gnutls_session_get_data2(s->gs, &blob) < 0)
    return; /* no usable ticket: nothing to resume with, not an error */
  s->cb.ticket(s->user, blob.data, blob.size);
  gnutls_free(blob.data);
}

static int on_handshake_message(gnutls_session_t gs, unsigned htype, unsigned when,
                                unsigned incoming, const gnutls_datum_t *msg) {
  (void)msg;
  pq_tls_session *s = gnutls_session_get_ptr(gs);
  if (when != GNUTLS_HOOK_POST || !incoming)
    return 0;
  if (htype == GNUTLS_HANDSHAKE_CLIENT_HELLO && s->cfg->role == PQ_TLS_SERVER)
    return check_client_hello(s);
  if (htype == GNUTLS_HANDSHAKE_NEW_SESSION_TICKET && s->cfg->role == PQ_TLS_CLIENT)
    deliver_ticket(s);
  return 0;
}

/* GnuTLS never needs the transport in QUIC mode; these make sure it could
 * not block or touch a descriptor if it tried. */
static ssize_t no_pull(gnutls_transport_ptr_t ptr, void *buf, size_t len) {
  (void)buf;
  (void)len;
  pq_tls_session *s = ptr;
  gnutls_transport_set_errno(s->gs, EAGAIN);
  return -1;
}

static ssize_t no_push(gnutls_transport_ptr_t ptr, const void *buf, size_t len) {
  (void)buf;
  (void)len;
  pq_tls_session *s = ptr;
  gnutls_transport_set_errno(s->gs, EIO);
  return -1;
}

/* --- session setup --- */

static bool is_ip_literal(const char *host) {
  uint8_t addr[16];
  return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

static int setup_gnutls(pq_tls_session *s, const pq_tls_session_opts *o) {
  pq_tls_config *cfg = s->cfg;
  bool server = cfg->role == PQ_TLS_SERVER;
  unsigned flags = (server ? GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET : GNUTLS_CLIENT) |
                   GNUTLS_NO_END_OF_EARLY_DATA;
  if (cfg->early_data)
    flags |= GNUTLS_ENABLE_EARLY_DATA;
  if (gnutls_init(&s->gs, flags) < 0) {
    s->gs = NULL;
    return PQUIC_ERR_NOMEM;
  }
  gnutls_session_set_ptr(s->gs, s);
  gnutls_transport_set_ptr(s->gs, s);
  gnutls_transport_set_pull_function(s->gs, no_pull);
  gnutls_transport_set_push_function(s->gs, no_push);
  gnutls_handshake_set_secret_function(s->gs, on_secret);
  gnutls_handshake_set_read_function(s->gs, on_handshake_data);
  gnutls_alert_set_read_function(s->gs, on_alert);
  gnutls_handshake_set_hook_function(s->gs, GNUTLS_HANDSHAKE_ANY, GNUTLS_HOOK_POST,
                                     on_handshake_message);
  if (gnutls_priority_set(s->gs, cfg->prio) < 0 ||
      gnutls_credentials_set(s->gs, GNUTLS_CRD_CERTIFICATE, cfg->cred) < 0)
    return PQUIC_ERR_CRYPTO;
  if (gnutls_session_ext_register(
          s->gs, "quic_transport_parameters", TP_EXTENSION, GNUTLS_EXT_TLS, tp_recv, tp_send, NULL,
          NULL, NULL, GNUTLS_EXT_FLAG_TLS | GNUTLS_EXT_FLAG_CLIENT_HELLO | GNUTLS_EXT_FLAG_EE) < 0)
    return PQUIC_ERR_CRYPTO;
  unsigned alpn_flags =
      GNUTLS_ALPN_MANDATORY | (server ? (unsigned)GNUTLS_ALPN_SERVER_PRECEDENCE : 0u);
  if (gnutls_alpn_set_protocols(s->gs, cfg->alpn, cfg->alpn_count, alpn_flags) < 0)
    return PQUIC_ERR_CRYPTO;

  if (server) {
    if (cfg->ticket_key.data && gnutls_session_ticket_enable_server(s->gs, &cfg->ticket_key) < 0)
      return PQUIC_ERR_CRYPTO;
    if (cfg->early_data) {
      gnutls_anti_replay_enable(s->gs, cfg->anti_replay);
      /* QUIC tickets allowing 0-RTT carry max_early_data_size 0xffffffff
       * (RFC 9001 section 4.6.1). */
      if (gnutls_record_set_max_early_data_size(s->gs, 0xffffffffu) < 0)
        return PQUIC_ERR_CRYPTO;
    }
    return 0;
  }

  if (o->hostname && o->hostname[0]) {
    if (!is_ip_literal(o->hostname) &&
        gnutls_server_name_set(s->gs, GNUTLS_NAME_DNS, o->hostname, strlen(o->hostname)) < 0)
      return PQUIC_ERR_CRYPTO;
  }
  if (!cfg->insecure)
    gnutls_session_set_verify_cert(s->gs, o->hostname && o->hostname[0] ? o->hostname : NULL, 0);
  if (o->resumption && o->resumption_len) {
    int g = gnutls_session_set_data(s->gs, o->resumption, o->resumption_len);
    if (g < 0)
      PQ_LOG(PQ_LOG_WARN, "tls: resumption data ignored: %s", gnutls_strerror(g));
  }
  return 0;
}

int pq_tls_session_new(pq_tls_session **out, pq_tls_config *cfg, const pq_tls_session_opts *o,
                       const pq_tls_callbacks *cb, void *user) {
  if (!out || !cfg || !o || !cb || !cb->send || !cb->secret || !o->transport_params ||
      o->transport_params_len == 0 || o->transport_params_len > 0xffff)
    return PQUIC_ERR_INVAL;
  *out = NULL;
  pq_tls_session *s = pq_calloc(1, sizeof *s);
  if (!s)
    return PQUIC_ERR_NOMEM;
  s->cfg = cfg;
  s->cb = *cb;
  s->user = user;
  s->alert = -1;
  s->our_tp = pq_malloc(o->transport_params_len);
  if (!s->our_tp) {
    pq_free(s);
    return PQUIC_ERR_NOMEM;
  }
  memcpy(s->our_tp, o->transport_params, o->transport_params_len);
  s->our_tp_len = o->transport_params_len;
  int rv = setup_gnutls(s, o);
  if (rv) {
    pq_tls_session_free(s);
    return rv;
  }
  *out = s;
  return 0;
}

void pq_tls_session_free(pq_tls_session *s) {
  if (!s)
    return;
  if (s->gs)
    gnutls_deinit(s->gs);
  pq_free(s->our_tp);
  pq_free(s->peer_tp);
  pq_free(s);
}

/* --- driving the handshake --- */

/* Turns a fatal GnuTLS error into the session's failure state and the
 * error code to return. */
static int handshake_failed(pq_tls_session *s, int g) {
  s->failed = true;
  /* Let GnuTLS pick the alert; our alert hook records it. */
  if (s->cb_error)
    s->alert = s->alert >= 0 ? s->alert : ALERT_INTERNAL_ERROR;
  else
    gnutls_alert_send_appropriate(s->gs, g);
  if (s->alert < 0) {
    int level;
    int a = gnutls_error_to_alert(g, &level);
    s->alert = a >= 0 ? a : ALERT_INTERNAL_ERROR;
  }
  if (!s->error[0]) {
    if (g == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
      gnutls_datum_t why = {NULL, 0};
      unsigned status = gnutls_session_get_verify_cert_status(s->gs);
      if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0) >= 0) {
        snprintf(s->error, sizeof s->error, "peer certificate rejected: %s",
                 (const char *)why.data);
        gnutls_free(why.data);
      }
    }
    if (!s->error[0])
      snprintf(s->error, sizeof s->error, "TLS handshake failed: %s", gnutls_strerror(g));
  }
  PQ_LOG(PQ_LOG_INFO, "tls: %s (alert %d)", s->error, s->alert);
  if (s->cb_error)
    return s->cb_error;
  if (g == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR || g == GNUTLS_E_CERTIFICATE_ERROR)
    return PQUIC_ERR_CERTIFICATE;
  return PQUIC_ERR_TLS;
}

/* Checks done when GnuTLS reports completion, before we do. */
static int on_complete(pq_tls_session *s) {
  if (s->cfg->role == PQ_TLS_CLIENT) {
    gnutls_datum_t alpn;
    if (gnutls_alpn_get_selected_protocol(s->gs, &alpn) < 0) {
      snprintf(s->error, sizeof s->error, "server selected no application protocol");
      return handshake_failed(s, GNUTLS_E_NO_APPLICATION_PROTOCOL);
    }
    if (!s->have_peer_tp) {
      snprintf(s->error, sizeof s->error, "server sent no quic_transport_parameters");
      return handshake_failed(s, GNUTLS_E_MISSING_EXTENSION);
    }
  }
  s->complete = true;
  if (s->cfg->tickets)
    return pq_tls_session_send_ticket(s);
  return 0;
}

static int advance(pq_tls_session *s) {
  if (s->complete)
    return 0;
  int g = gnutls_handshake(s->gs);
  if (g == 0)
    return on_complete(s);
  if (s->cb_error || gnutls_error_is_fatal(g))
    return handshake_failed(s, g);
  return 0; /* GNUTLS_E_AGAIN / INTERRUPTED: waiting for more bytes */
}

int pq_tls_session_start(pq_tls_session *s) {
  if (!s)
    return PQUIC_ERR_INVAL;
  if (s->started || s->failed)
    return PQUIC_ERR_STATE;
  s->started = true;
  if (s->cfg->role == PQ_TLS_SERVER)
    return 0;
  return advance(s);
}

int pq_tls_session_provide(pq_tls_session *s, pq_crypto_level level, const uint8_t *data,
                           size_t len) {
  if (!s || (unsigned)level >= PQ_CRYPTO_LEVEL_COUNT || (!data && len))
    return PQUIC_ERR_INVAL;
  if (s->failed)
    return PQUIC_ERR_STATE;
  s->started = true;
  if (len) {
    int g = gnutls_handshake_write(s->gs, level_to_gnutls(level), data, len);
    if (g < 0 && (s->cb_error || gnutls_error_is_fatal(g)))
      return handshake_failed(s, g);
    if (s->cb_error)
      return handshake_failed(s, GNUTLS_E_USER_ERROR);
  }
  return advance(s);
}

int pq_tls_session_send_ticket(pq_tls_session *s) {
  if (!s)
    return PQUIC_ERR_INVAL;
  if (s->cfg->role != PQ_TLS_SERVER || !s->complete || s->failed || !s->cfg->ticket_key.data)
    return PQUIC_ERR_STATE;
  int g = gnutls_session_ticket_send(s->gs, 1, 0);
  if (g < 0 || s->cb_error)
    return handshake_failed(s, g < 0 ? g : GNUTLS_E_USER_ERROR);
  return 0;
}

/* --- results --- */

bool pq_tls_session_complete(const pq_tls_session *s) {
  return s && s->complete;
}
bool pq_tls_session_failed(const pq_tls_session *s) {
  return s && s->failed;
}
int pq_tls_session_alert(const pq_tls_session *s) {
  return s && s->failed ? s->alert : -1;
}
const char *pq_tls_session_error(const pq_tls_session *s) {
  return s ? s->error : "";
}

const uint8_t *pq_tls_session_alpn(const pq_tls_session *s, size_t *len) {
  gnutls_datum_t alpn;
  if (!s || gnutls_alpn_get_selected_protocol(s->gs, &alpn) < 0)
    return NULL;
  if (len)
    *len = alpn.size;
  return alpn.data;
}

pq_cipher_suite pq_tls_session_suite(const pq_tls_session *s) {
  return s ? pq_suite_from_gnutls(gnutls_cipher_get(s->gs)) : PQ_SUITE_NONE;
}

const char *pq_tls_session_cipher_name(const pq_tls_session *s) {
  return pq_suite_name(pq_tls_session_suite(s));
}

int pq_tls_session_set_transport_params(pq_tls_session *s, const uint8_t *data, size_t len) {
  if (!s || !data || len == 0 || len > 0xffff)
    return PQUIC_ERR_INVAL;
  uint8_t *copy = pq_malloc(len);
  if (!copy)
    return PQUIC_ERR_NOMEM;
  memcpy(copy, data, len);
  pq_free(s->our_tp);
  s->our_tp = copy;
  s->our_tp_len = len;
  return 0;
}

const uint8_t *pq_tls_session_peer_transport_params(const pq_tls_session *s, size_t *len) {
  if (!s || !s->have_peer_tp)
    return NULL;
  if (len)
    *len = s->peer_tp_len;
  return s->peer_tp;
}

bool pq_tls_session_resumed(const pq_tls_session *s) {
  return s && gnutls_session_is_resumed(s->gs) != 0;
}

bool pq_tls_session_early_data_accepted(const pq_tls_session *s) {
  return s && (gnutls_session_get_flags(s->gs) & GNUTLS_SFLAGS_EARLY_DATA) != 0;
}
