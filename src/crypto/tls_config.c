/* TLS configuration shared by sessions: credentials, priorities, ALPN,
 * tickets and 0-RTT anti-replay. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "common/alloc.h"
#include "common/log.h"
#include "crypto/suite_gnutls.h"
#include "crypto/tls_internal.h"
#include "pquic/errors.h"

static const pq_cipher_suite default_suites[] = {
    PQ_SUITE_AES_128_GCM_SHA256, PQ_SUITE_CHACHA20_POLY1305_SHA256, PQ_SUITE_AES_256_GCM_SHA384};

/* Formats the failure reason into err (if any) and the log; returns rv. */
__attribute__((format(printf, 4, 5))) static int fail(int rv, char *err, size_t err_len,
                                                      const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (err && err_len)
    snprintf(err, err_len, "%s", msg);
  PQ_LOG(PQ_LOG_ERROR, "tls config: %s", msg);
  return rv;
}

/* Anti-replay store: GnuTLS asks to add the fingerprint of each ClientHello
 * carrying early data; an entry already present within its expiry means a
 * replay, and GnuTLS then rejects the early data (not the handshake). */
static int replay_add(void *ptr, time_t exp_time, const gnutls_datum_t *key,
                      const gnutls_datum_t *data) {
  (void)data;
  pq_tls_config *cfg = ptr;
  uint8_t digest[32];
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, key->data, key->size, digest) < 0)
    return GNUTLS_E_DB_ERROR;
  time_t now = time(NULL);
  size_t start = ((size_t)digest[0] << 8 | digest[1]) % PQ_REPLAY_SLOTS;
  int rv = GNUTLS_E_DB_ERROR; /* table full of live entries: refuse 0-RTT */
  pthread_mutex_lock(&cfg->replay_lock);
  pq_replay_slot *free_slot = NULL;
  for (size_t i = 0; i < PQ_REPLAY_SLOTS; i++) {
    pq_replay_slot *s = &cfg->replay[(start + i) % PQ_REPLAY_SLOTS];
    bool live = s->expires != 0 && s->expires > now;
    if (live && memcmp(s->key, digest, sizeof s->key) == 0) {
      rv = GNUTLS_E_DB_ENTRY_EXISTS;
      free_slot = NULL;
      break;
    }
    if (!live && !free_slot)
      free_slot = s;
    if (s->expires == 0) /* end of the probe chain */
      break;
  }
  if (free_slot) {
    memcpy(free_slot->key, digest, sizeof free_slot->key);
    free_slot->expires = exp_time > now ? exp_time : now + 1;
    rv = 0;
  }
  pthread_mutex_unlock(&cfg->replay_lock);
  return rv;
}

static int load_server_cert(pq_tls_config *cfg, const pq_tls_config_opts *o, char *err,
                            size_t err_len) {
  if (!o->cert_file || !o->key_file)
    return fail(PQUIC_ERR_INVAL, err, err_len, "a server needs cert_file and key_file");
  gnutls_datum_t cert_pem = {NULL, 0}, key_pem = {NULL, 0};
  gnutls_x509_crt_t *crts = NULL;
  unsigned ncrts = 0;
  gnutls_x509_privkey_t key = NULL;
  int rv = 0, g;

  if ((g = gnutls_load_file(o->cert_file, &cert_pem)) < 0) {
    rv = fail(PQUIC_ERR_CERTIFICATE, err, err_len, "cannot read certificate file '%s': %s",
              o->cert_file, gnutls_strerror(g));
    goto out;
  }
  if ((g = gnutls_x509_crt_list_import2(&crts, &ncrts, &cert_pem, GNUTLS_X509_FMT_PEM, 0)) < 0 ||
      ncrts == 0) {
    rv = fail(PQUIC_ERR_CERTIFICATE, err, err_len, "no valid PEM certificate in '%s': %s",
              o->cert_file, g < 0 ? gnutls_strerror(g) : "empty");
    goto out;
  }
  if ((g = gnutls_load_file(o->key_file, &key_pem)) < 0) {
    rv = fail(PQUIC_ERR_CERTIFICATE, err, err_len, "cannot read private key file '%s': %s",
              o->key_file, gnutls_strerror(g));
    goto out;
  }
  if ((g = gnutls_x509_privkey_init(&key)) < 0 ||
      (g = gnutls_x509_privkey_import2(key, &key_pem, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
    rv = fail(PQUIC_ERR_CERTIFICATE, err, err_len, "no valid PEM private key in '%s': %s",
              o->key_file, gnutls_strerror(g));
    goto out;
  }
  /* Copies the chain and key into the credentials. */
  if ((g = gnutls_certificate_set_x509_key(cfg->cred, crts, ncrts, key)) < 0) {
    rv = fail(PQUIC_ERR_CERTIFICATE, err, err_len,
              "private key '%s' cannot be used with certificate '%s': %s", o->key_file,
              o->cert_file, gnutls_strerror(g));
    goto out;
  }
out:
  if (key)
    gnutls_x509_privkey_deinit(key);
  for (unsigned i = 0; i < ncrts; i++)
    gnutls_x509_crt_deinit(crts[i]);
  gnutls_free(crts);
  gnutls_free(cert_pem.data);
  if (key_pem.data) {
    gnutls_memset(key_pem.data, 0, key_pem.size);
    gnutls_free(key_pem.data);
  }
  return rv;
}

static int load_trust(pq_tls_config *cfg, const pq_tls_config_opts *o, char *err, size_t err_len) {
  if (o->ca_file) {
    int n = gnutls_certificate_set_x509_trust_file(cfg->cred, o->ca_file, GNUTLS_X509_FMT_PEM);
    if (n <= 0)
      return fail(PQUIC_ERR_CERTIFICATE, err, err_len, "no CA certificate loaded from '%s': %s",
                  o->ca_file, n < 0 ? gnutls_strerror(n) : "empty");
    return 0;
  }
  if (o->insecure_no_verify)
    return 0;
  int n = gnutls_certificate_set_x509_system_trust(cfg->cred);
  if (n <= 0)
    PQ_LOG(PQ_LOG_WARN,
           "tls config: system trust store is empty (%s); server certificates will "
           "not verify",
           n < 0 ? gnutls_strerror(n) : "no certificates");
  return 0;
}

static int set_priorities(pq_tls_config *cfg, const pq_tls_config_opts *o, char *err,
                          size_t err_len) {
  const pq_cipher_suite *suites = o->suites ? o->suites : default_suites;
  size_t count = o->suites ? o->suite_count : sizeof default_suites / sizeof default_suites[0];
  if (count == 0 || count > 3)
    return fail(PQUIC_ERR_INVAL, err, err_len, "suite list must name 1 to 3 suites");
  /* TLS 1.3 only, no middlebox compatibility mode (RFC 9001 section 8.4),
   * the chosen AEADs in the chosen order. */
  char prio[256] = "NORMAL:-VERS-ALL:+VERS-TLS1.3:%DISABLE_TLS13_COMPAT_MODE:-CIPHER-ALL";
  for (size_t i = 0; i < count; i++) {
    const pq_suite_info *info = pq_suite_get(suites[i]);
    if (!info)
      return fail(PQUIC_ERR_INVAL, err, err_len, "unknown cipher suite 0x%04x", suites[i]);
    strncat(prio, ":+", sizeof prio - strlen(prio) - 1);
    strncat(prio, info->priority, sizeof prio - strlen(prio) - 1);
  }
  if (cfg->role == PQ_TLS_SERVER)
    strncat(prio, ":%SERVER_PRECEDENCE", sizeof prio - strlen(prio) - 1);
  const char *where = NULL;
  int g = gnutls_priority_init(&cfg->prio, prio, &where);
  if (g < 0) {
    cfg->prio = NULL;
    return fail(PQUIC_ERR_CRYPTO, err, err_len, "GnuTLS rejected priorities '%s' at '%s': %s", prio,
                where ? where : "?", gnutls_strerror(g));
  }
  return 0;
}

static int set_alpn(pq_tls_config *cfg, const pq_tls_config_opts *o, char *err, size_t err_len) {
  if (!o->alpn || o->alpn_count == 0 || o->alpn_count > PQ_TLS_MAX_ALPN)
    return fail(PQUIC_ERR_INVAL, err, err_len, "ALPN list must have 1 to %d entries",
                PQ_TLS_MAX_ALPN);
  for (size_t i = 0; i < o->alpn_count; i++) {
    size_t n = o->alpn[i] ? strlen(o->alpn[i]) : 0;
    if (n == 0 || n > 255)
      return fail(PQUIC_ERR_INVAL, err, err_len, "ALPN entry %zu must be 1 to 255 bytes", i);
    uint8_t *copy = pq_malloc(n);
    if (!copy)
      return fail(PQUIC_ERR_NOMEM, err, err_len, "out of memory");
    memcpy(copy, o->alpn[i], n);
    cfg->alpn[i] = (gnutls_datum_t){copy, (unsigned)n};
    cfg->alpn_count++;
  }
  return 0;
}

static int set_tickets_and_replay(pq_tls_config *cfg, const pq_tls_config_opts *o, char *err,
                                  size_t err_len) {
  if (cfg->role != PQ_TLS_SERVER)
    return 0;
  if (o->enable_tickets || o->enable_early_data) {
    int g;
    if (o->ticket_key) {
      if (o->ticket_key_len != PQ_TLS_TICKET_KEY_LEN)
        return fail(PQUIC_ERR_INVAL, err, err_len, "ticket key must be %d bytes",
                    PQ_TLS_TICKET_KEY_LEN);
      cfg->ticket_key.data = gnutls_malloc(PQ_TLS_TICKET_KEY_LEN);
      if (!cfg->ticket_key.data)
        return fail(PQUIC_ERR_NOMEM, err, err_len, "out of memory");
      memcpy(cfg->ticket_key.data, o->ticket_key, PQ_TLS_TICKET_KEY_LEN);
      cfg->ticket_key.size = PQ_TLS_TICKET_KEY_LEN;
    } else if ((g = gnutls_session_ticket_key_generate(&cfg->ticket_key)) < 0) {
      cfg->ticket_key.data = NULL;
      return fail(PQUIC_ERR_CRYPTO, err, err_len, "cannot generate a ticket key: %s",
                  gnutls_strerror(g));
    }
  }
  if (!o->enable_early_data)
    return 0;
  cfg->replay = pq_calloc(PQ_REPLAY_SLOTS, sizeof *cfg->replay);
  if (!cfg->replay)
    return fail(PQUIC_ERR_NOMEM, err, err_len, "out of memory");
  if (gnutls_anti_replay_init(&cfg->anti_replay) < 0) {
    cfg->anti_replay = NULL;
    return fail(PQUIC_ERR_CRYPTO, err, err_len, "cannot set up 0-RTT anti-replay");
  }
  gnutls_anti_replay_set_add_function(cfg->anti_replay, replay_add);
  gnutls_anti_replay_set_ptr(cfg->anti_replay, cfg);
  return 0;
}

int pq_tls_config_new(pq_tls_config **out, const pq_tls_config_opts *o, char *err, size_t err_len) {
  if (err && err_len)
    err[0] = 0;
  if (!out || !o || (o->role != PQ_TLS_CLIENT && o->role != PQ_TLS_SERVER))
    return fail(PQUIC_ERR_INVAL, err, err_len, "missing options or bad role");
  *out = NULL;
  pq_tls_config *cfg = pq_calloc(1, sizeof *cfg);
  if (!cfg)
    return fail(PQUIC_ERR_NOMEM, err, err_len, "out of memory");
  cfg->role = o->role;
  cfg->insecure = o->insecure_no_verify;
  cfg->early_data = o->enable_early_data;
  cfg->tickets = o->role == PQ_TLS_SERVER && o->enable_tickets;
  if (pthread_mutex_init(&cfg->replay_lock, NULL) != 0) {
    pq_free(cfg);
    return fail(PQUIC_ERR_INTERNAL, err, err_len, "cannot create a mutex");
  }

  int rv = 0;
  int g = gnutls_certificate_allocate_credentials(&cfg->cred);
  if (g < 0) {
    cfg->cred = NULL;
    rv = fail(PQUIC_ERR_NOMEM, err, err_len, "cannot allocate credentials");
  }
  if (rv == 0)
    rv = o->role == PQ_TLS_SERVER ? load_server_cert(cfg, o, err, err_len)
                                  : load_trust(cfg, o, err, err_len);
  if (rv == 0)
    rv = set_priorities(cfg, o, err, err_len);
  if (rv == 0)
    rv = set_alpn(cfg, o, err, err_len);
  if (rv == 0)
    rv = set_tickets_and_replay(cfg, o, err, err_len);
  if (rv) {
    pq_tls_config_free(cfg);
    return rv;
  }
  *out = cfg;
  return 0;
}

void pq_tls_config_free(pq_tls_config *cfg) {
  if (!cfg)
    return;
  if (cfg->cred)
    gnutls_certificate_free_credentials(cfg->cred);
  if (cfg->prio)
    gnutls_priority_deinit(cfg->prio);
  for (unsigned i = 0; i < cfg->alpn_count; i++)
    pq_free(cfg->alpn[i].data);
  if (cfg->ticket_key.data) {
    gnutls_memset(cfg->ticket_key.data, 0, cfg->ticket_key.size);
    gnutls_free(cfg->ticket_key.data);
  }
  if (cfg->anti_replay)
    gnutls_anti_replay_deinit(cfg->anti_replay);
  pq_free(cfg->replay);
  pthread_mutex_destroy(&cfg->replay_lock);
  pq_free(cfg);
}

pq_tls_role pq_tls_config_role(const pq_tls_config *cfg) {
  return cfg->role;
}
