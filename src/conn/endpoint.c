/* Endpoint: creation, randomness, demultiplexing of received datagrams and
 * the choice of the connection that sends next. */
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "common/alloc.h"
#include "conn/cnx_internal.h"
#include "conn/endpoint.h"
#include "conn/opcalls.h"
#include "conn/token.h"
#include "crypto/retry.h"
#include "wire/header.h"

#define PQ_MAX_DATAGRAM 65527
#define PQ_MAX_STATELESS_QUEUE 64

/* --- randomness: xoshiro256** seeded once from the configured source --- */

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t pq_ep_random64(pq_endpoint *ep) {
  uint64_t *s = ep->rng;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

void pq_ep_random(pq_endpoint *ep, void *buf, size_t len) {
  uint8_t *p = buf;
  while (len) {
    uint64_t r = pq_ep_random64(ep);
    size_t n = len < 8 ? len : 8;
    memcpy(p, &r, n);
    p += n;
    len -= n;
  }
}

static void default_rand(void *user, uint8_t *buf, size_t len) {
  (void)user;
  if (gnutls_rnd(GNUTLS_RND_RANDOM, buf, len) != 0)
    memset(buf, 0x5a, len); /* gnutls_rnd does not fail once initialised */
}

/* --- configuration --- */

void pquic_settings_init(pquic_settings *s) {
  memset(s, 0, sizeof *s);
  s->initial_max_data = 1 << 20;
  s->initial_max_stream_data_bidi_local = 256 << 10;
  s->initial_max_stream_data_bidi_remote = 256 << 10;
  s->initial_max_stream_data_uni = 256 << 10;
  s->initial_max_streams_bidi = 100;
  s->initial_max_streams_uni = 100;
  s->max_idle_timeout_us = 30 * 1000000ull;
  s->max_ack_delay_us = 25000;
  s->initial_rtt_us = 333000;
  s->handshake_timeout_us = 0;
  s->max_window_data = 24 << 20;
  s->max_window_stream_data = 16 << 20;
  s->max_stream_send_buffer = 1 << 20;
  s->max_udp_payload_size = 1472;
  s->initial_udp_payload_size = 1252;
  s->active_connection_id_limit = 4;
  s->ack_delay_exponent = 3;
  s->ack_eliciting_threshold = 2;
  s->cid_length = 8;
  s->cc_algorithm = PQUIC_CC_CUBIC;
  s->max_gso_segments = 16;
  s->version = 0; /* client starts in v1, server prefers v2 */
}

void pquic_config_init(pquic_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->struct_version = PQUIC_CONFIG_VERSION;
  cfg->struct_size = sizeof *cfg;
  cfg->alpn = "h3";
  pquic_settings_init(&cfg->settings);
}

/* Copies the config's strings into one allocation the endpoint owns. */
static int own_strings(pq_endpoint *ep) {
  const char **fields[] = {&ep->cfg.cert_file, &ep->cfg.key_file, &ep->cfg.ca_file,
                           &ep->cfg.alpn,      &ep->cfg.ciphers,  &ep->cfg.qlog_dir};
  size_t total = 0;
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    total += *fields[i] ? strlen(*fields[i]) + 1 : 0;
  ep->strings = pq_malloc(total ? total : 1);
  if (!ep->strings)
    return PQUIC_ERR_NOMEM;
  char *p = ep->strings;
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    if (!*fields[i])
      continue;
    size_t n = strlen(*fields[i]) + 1;
    memcpy(p, *fields[i], n);
    *fields[i] = p;
    p += n;
  }
  return 0;
}

static int check_settings(const pquic_settings *s) {
  if (s->cid_length < 4 || s->cid_length > 20)
    return PQUIC_ERR_INVAL;
  if (s->max_udp_payload_size < 1200 || s->initial_udp_payload_size < 1200 ||
      s->initial_udp_payload_size > s->max_udp_payload_size)
    return PQUIC_ERR_INVAL;
  if (s->ack_delay_exponent > 20 || s->max_ack_delay_us >= (1u << 14) * 1000ull)
    return PQUIC_ERR_INVAL;
  if (s->active_connection_id_limit < 2 || s->initial_max_streams_bidi > (1ull << 60) ||
      s->initial_max_streams_uni > (1ull << 60))
    return PQUIC_ERR_INVAL;
  if (s->cc_algorithm != PQUIC_CC_NEWRENO && s->cc_algorithm != PQUIC_CC_CUBIC)
    return PQUIC_ERR_INVAL;
  return 0;
}

/* Up to PQ_TLS_MAX_ALPN names split from "h3,hq-interop" into `names`,
 * which point into `buf`. */
static int split_alpn(const char *list, char *buf, size_t buflen, const char **names,
                      size_t *n) {
  size_t len = strlen(list);
  if (len == 0 || len >= buflen)
    return PQUIC_ERR_INVAL;
  memcpy(buf, list, len + 1);
  *n = 0;
  for (char *tok = buf; tok;) {
    char *comma = strchr(tok, ',');
    if (comma)
      *comma = '\0';
    if (*tok == '\0' || strlen(tok) > 255 || *n == PQ_TLS_MAX_ALPN)
      return PQUIC_ERR_INVAL;
    names[(*n)++] = tok;
    tok = comma ? comma + 1 : NULL;
  }
  return 0;
}

static int parse_ciphers(const char *list, pq_cipher_suite *out, size_t *n) {
  *n = 0;
  if (!list)
    return 0;
  char buf[128];
  size_t len = strlen(list);
  if (len == 0 || len >= sizeof buf)
    return PQUIC_ERR_INVAL;
  memcpy(buf, list, len + 1);
  for (char *tok = buf; tok;) {
    char *comma = strchr(tok, ',');
    if (comma)
      *comma = '\0';
    pq_cipher_suite s;
    if (strcmp(tok, "aes128gcm") == 0 || strcmp(tok, "TLS_AES_128_GCM_SHA256") == 0)
      s = PQ_SUITE_AES_128_GCM_SHA256;
    else if (strcmp(tok, "aes256gcm") == 0 || strcmp(tok, "TLS_AES_256_GCM_SHA384") == 0)
      s = PQ_SUITE_AES_256_GCM_SHA384;
    else if (strcmp(tok, "chacha20") == 0 || strcmp(tok, "TLS_CHACHA20_POLY1305_SHA256") == 0)
      s = PQ_SUITE_CHACHA20_POLY1305_SHA256;
    else
      return PQUIC_ERR_INVAL;
    if (*n == 3)
      return PQUIC_ERR_INVAL;
    out[(*n)++] = s;
    tok = comma ? comma + 1 : NULL;
  }
  return 0;
}

static int make_tls(pq_endpoint *ep, pq_tls_role role, pq_tls_config **out) {
  char alpn_buf[1024];
  const char *alpn[PQ_TLS_MAX_ALPN];
  size_t n_alpn = 0;
  pq_cipher_suite suites[3];
  size_t n_suites = 0;
  if (!ep->cfg.alpn || split_alpn(ep->cfg.alpn, alpn_buf, sizeof alpn_buf, alpn, &n_alpn) ||
      parse_ciphers(ep->cfg.ciphers, suites, &n_suites))
    return PQUIC_ERR_INVAL;
  pq_tls_config_opts o = {0};
  o.role = role;
  o.cert_file = ep->cfg.cert_file;
  o.key_file = ep->cfg.key_file;
  o.ca_file = ep->cfg.ca_file;
  o.insecure_no_verify = ep->cfg.insecure != 0;
  o.alpn = alpn;
  o.alpn_count = n_alpn;
  o.suites = n_suites ? suites : NULL;
  o.suite_count = n_suites;
  o.enable_tickets = role == PQ_TLS_SERVER;
  o.enable_early_data = ep->cfg.settings.enable_0rtt != 0;
  return pq_tls_config_new(out, &o, NULL, 0);
}

int pquic_endpoint_new(const pquic_config *cfg, pquic_endpoint **out) {
  if (!cfg || !out || cfg->struct_version != PQUIC_CONFIG_VERSION ||
      cfg->struct_size != sizeof *cfg)
    return PQUIC_ERR_INVAL;
  int rc = check_settings(&cfg->settings);
  if (rc)
    return rc;
  if (cfg->settings.version != 0 && cfg->settings.version != PQUIC_VERSION_1 &&
      cfg->settings.version != PQUIC_VERSION_2)
    return PQUIC_ERR_INVAL;
  if (!pq_ops_defaults())
    return PQUIC_ERR_NOMEM;
  pq_endpoint *ep = pq_calloc(1, sizeof *ep);
  if (!ep)
    return PQUIC_ERR_NOMEM;
  ep->cfg = *cfg;
  if (!ep->cfg.settings.version)
    ep->cfg.settings.version = cfg->accept_incoming ? PQUIC_VERSION_2 : PQUIC_VERSION_1;
  if ((rc = own_strings(ep)) != 0)
    goto fail;
  uint8_t seed[32 + 32 + 16 + 32] = {0};
  (cfg->rand ? cfg->rand : default_rand)(cfg->rand_user, seed, sizeof seed);
  memcpy(ep->rng, seed, 32);
  ep->rng[0] |= 1; /* xoshiro's state must not be all zero */
  memcpy(ep->reset_key, seed + 32, 32);
  memcpy(ep->token_key, seed + 80, 32);
  if (cfg->stateless_reset_key)
    memcpy(ep->reset_key, cfg->stateless_reset_key, sizeof ep->reset_key);
  ep->cfg.stateless_reset_key = NULL; /* copied: the caller's buffer may go */
  if (cfg->preferred_v4 && cfg->preferred_v4->sa_family == AF_INET)
    memcpy(&ep->preferred_v4, cfg->preferred_v4, sizeof ep->preferred_v4);
  if (cfg->preferred_v6 && cfg->preferred_v6->sa_family == AF_INET6)
    memcpy(&ep->preferred_v6, cfg->preferred_v6, sizeof ep->preferred_v6);
  ep->cfg.preferred_v4 = ep->cfg.preferred_v6 = NULL;
  pq_sipkey key;
  memcpy(&key, seed + 64, sizeof key < 16 ? sizeof key : 16);
  pq_cidmap_init(&ep->cids, &key);
  pq_op_registry_init(&ep->registry);
  ep->scratch = pq_malloc(PQ_MAX_DATAGRAM);
  if (!ep->scratch) {
    rc = PQUIC_ERR_NOMEM;
    goto fail;
  }
  if (cfg->accept_incoming) {
    if ((rc = make_tls(ep, PQ_TLS_SERVER, &ep->tls)) != 0)
      goto fail;
  }
  if ((rc = make_tls(ep, PQ_TLS_CLIENT, &ep->tls_client)) != 0)
    goto fail;
  *out = ep;
  return 0;
fail:
  pquic_endpoint_free(ep);
  return rc;
}

void pquic_endpoint_free(pquic_endpoint *ep) {
  if (!ep)
    return;
  while (ep->cnx_head)
    pq_cnx_free(ep->cnx_head);
  if (ep->pl)
    ep->pl->hooks->ep_free(ep);
  while (ep->stateless_head) {
    pq_stateless *s = ep->stateless_head;
    ep->stateless_head = s->next;
    pq_free(s);
  }
  pq_cidmap_free(&ep->cids);
  pq_op_registry_free(&ep->registry);
  pq_tls_config_free(ep->tls);
  pq_tls_config_free(ep->tls_client);
  pq_free(ep->scratch);
  pq_free(ep->strings);
  pq_free(ep);
}

size_t pquic_endpoint_connection_count(const pquic_endpoint *ep) { return ep ? ep->n_cnx : 0; }

int pq_ep_register_cid(pq_endpoint *ep, const uint8_t *cid, size_t len, pq_cnx *cnx) {
  return pq_cidmap_insert(&ep->cids, cid, len, cnx);
}

void pq_ep_unregister_cid(pq_endpoint *ep, const uint8_t *cid, size_t len) {
  (void)pq_cidmap_remove(&ep->cids, cid, len);
}

/* --- stateless answers --- */

void pq_ep_queue_stateless(pq_endpoint *ep, const uint8_t *data, size_t len,
                            const struct sockaddr *local, const struct sockaddr *remote) {
  if (ep->n_stateless >= PQ_MAX_STATELESS_QUEUE)
    return; /* under a flood, answers are best effort */
  pq_stateless *s = pq_malloc(sizeof *s + len);
  if (!s)
    return;
  s->next = NULL;
  memset(&s->local, 0, sizeof s->local);
  memset(&s->remote, 0, sizeof s->remote);
  if (local)
    memcpy(&s->local, local, pq_sockaddr_len(local));
  memcpy(&s->remote, remote, pq_sockaddr_len(remote));
  s->len = len;
  memcpy(s->data, data, len);
  if (ep->stateless_tail)
    ep->stateless_tail->next = s;
  else
    ep->stateless_head = s;
  ep->stateless_tail = s;
  ep->n_stateless++;
}

/* Version Negotiation for a client packet of a version we do not speak. */
static void answer_unknown_version(pq_endpoint *ep, const pq_header *h, size_t dgram_len,
                                   const struct sockaddr *local, const struct sockaddr *remote) {
  /* RFC 9000 6.1: only for datagrams a client would send as its first. */
  if (!ep->cfg.accept_incoming || dgram_len < 1200)
    return;
  uint8_t buf[256 + 2 * 255];
  pq_wbuf w = pq_wbuf_make(buf, sizeof buf);
  uint32_t versions[2];
  size_t n = pq_ep_versions(ep, versions);
  uint8_t unused = (uint8_t)pq_ep_random64(ep);
  if (pq_vn_write(&w, unused, h->scid, h->scid_len, h->dcid, h->dcid_len, versions, n) == 0)
    pq_ep_queue_stateless(ep, buf, (size_t)(w.p - buf), local, remote);
}

/* --- input --- */

/* Answers an Initial with a Retry carrying a token that remembers the
 * client's address and first DCID (RFC 9000 8.1.2, 17.2.5). */
static void send_retry(pq_endpoint *ep, const pq_header *h, const struct sockaddr *local,
                       const struct sockaddr *remote, uint64_t now) {
  pq_cid odcid = {0}, rscid = {0};
  uint8_t id[PQ_MAX_CID_LEN];
  pq_ep_random(ep, id, ep->cfg.settings.cid_length);
  if (!pq_cid_set(&odcid, h->dcid, h->dcid_len) ||
      !pq_cid_set(&rscid, id, ep->cfg.settings.cid_length))
    return;
  uint8_t token[PQ_TOKEN_MAX];
  size_t tlen = pq_token_make(ep, PQ_TOKEN_RETRY, now, remote, &odcid, &rscid, token, sizeof token);
  if (!tlen)
    return;
  uint8_t pkt[256];
  pq_wbuf w = pq_wbuf_make(pkt, sizeof pkt);
  uint8_t *tag;
  if (pq_retry_write(&w, h->version, (uint8_t)pq_ep_random64(ep), h->scid, h->scid_len, rscid.id,
                     rscid.len, token, tlen, &tag) ||
      pq_retry_tag(h->version, odcid.id, odcid.len, pkt, (size_t)(tag - pkt), tag))
    return;
  pq_ep_queue_stateless(ep, pkt, (size_t)(w.p - pkt), local, remote);
}

/* A server's first sight of a client: an Initial of a version we speak, in
 * a datagram of at least 1200 bytes (RFC 9000 14.1). */
static pq_cnx *accept_connection(pq_endpoint *ep, const uint8_t *data, size_t len,
                                 const struct sockaddr *local, const struct sockaddr *remote,
                                 uint64_t now) {
  pq_header h;
  if (!ep->cfg.accept_incoming || len < 1200)
    return NULL;
  int rc = pq_header_parse(data, len, ep->cfg.settings.cid_length, 0, &h, NULL);
  if (rc == PQUIC_ERR_VERSION || (rc == 0 && !pq_ep_version_ok(ep, h.version))) {
    answer_unknown_version(ep, &h, len, local, remote);
    return NULL;
  }
  if (rc || h.type != PQ_PKT_INITIAL || h.dcid_len < 8)
    return NULL; /* RFC 9000 7.2: the client's first DCID has at least 8 bytes */
  /* A token proves the address (RFC 9000 8.1); an invalid one is treated
   * as none, except that a Retry is never answered twice. */
  pq_token_info ti;
  int validated = 0;
  if (h.token_len && pq_token_check(ep, h.token, h.token_len, now, remote, &ti) == 0) {
    if (ti.kind == PQ_TOKEN_RETRY && !pq_cid_eq_bytes(&ti.rscid, h.dcid, h.dcid_len))
      return NULL; /* a Retry token used with another DCID: forged or replayed */
    validated = 1;
  }
  if (ep->cfg.settings.retry && !validated) {
    send_retry(ep, &h, local, remote, now);
    return NULL;
  }
  pq_cnx *cnx;
  if (pq_cnx_new(ep, 1, h.version, local, remote, now, &cnx))
    return NULL;
  if (pq_cnx_accept(cnx, &h, validated ? &ti : NULL)) {
    pq_cnx_free(cnx);
    return NULL;
  }
  if (ep->cfg.callbacks.on_new_connection &&
      ep->cfg.callbacks.on_new_connection(cnx, ep->cfg.user)) {
    pq_cnx_free(cnx);
    return NULL;
  }
  return cnx;
}

/* A stateless reset carries a random DCID: it is recognised by its last 16
 * bytes, among the connections talking to that address (RFC 9000 10.3.1). */
static int reset_for_us(pq_endpoint *ep, const uint8_t *data, size_t len,
                        const struct sockaddr *remote, uint64_t now) {
  if (len < 21)
    return 0;
  for (pq_cnx *c = ep->cnx_head; c; c = c->ep_next) {
    if (c->state >= PQ_CNX_DRAINING ||
        !pq_sockaddr_eq((const struct sockaddr *)&pq_cnx_active_path(c)->remote, remote))
      continue;
    c->now = now;
    if (pq_op_detect_stateless_reset(c, data, len) == 1) {
      c->close_err = PQUIC_ERR_STATELESS_RESET;
      c->close_by_peer = 1;
      snprintf(c->close_reason, sizeof c->close_reason, "stateless reset");
      pq_cnx_set_state(c, PQ_CNX_CLOSED);
      pq_cnx_after_call(c);
      return 1;
    }
  }
  return 0;
}

int pquic_endpoint_input(pquic_endpoint *ep, const uint8_t *data, size_t len,
                         const struct sockaddr *local, const struct sockaddr *remote, uint8_t ecn,
                         uint64_t now) {
  if (!ep || !data || !remote)
    return PQUIC_ERR_INVAL;
  if (len == 0 || len > PQ_MAX_DATAGRAM) {
    ep->dropped_datagrams++;
    return 0;
  }
  const uint8_t *dcid;
  size_t dcid_len;
  if (pq_peek_dcid(data, len, ep->cfg.settings.cid_length, &dcid, &dcid_len)) {
    ep->dropped_datagrams++;
    return 0;
  }
  pq_cnx *cnx = pq_cidmap_get(&ep->cids, dcid, dcid_len);
  if (!cnx) {
    if (data[0] & PQ_HDR_FORM_LONG) {
      cnx = accept_connection(ep, data, len, local, remote, now);
    } else if (reset_for_us(ep, data, len, remote, now)) {
      return 0;
    } else {
      pq_cnx_stateless_reset(ep, data, len, local, remote);
    }
    if (!cnx) {
      ep->dropped_datagrams++;
      return 0;
    }
  }
  pq_path *path = pq_cnx_path_for(cnx, local, remote);
  if (!path) {
    ep->dropped_datagrams++;
    return 0;
  }
  memcpy(ep->scratch, data, len);
  cnx->now = now;
  (void)pq_op_incoming_datagram(cnx, path, ep->scratch, len, ecn);
  pq_cnx_after_call(cnx);
  return 0;
}

/* --- output --- */

static int output_stateless(pq_endpoint *ep, uint8_t *buf, size_t cap, pquic_send_info *info) {
  pq_stateless *s = ep->stateless_head;
  ep->stateless_head = s->next;
  if (!ep->stateless_head)
    ep->stateless_tail = NULL;
  ep->n_stateless--;
  int n = 0;
  if (s->len <= cap) {
    memcpy(buf, s->data, s->len);
    memset(info, 0, sizeof *info);
    info->local = s->local;
    info->remote = s->remote;
    info->segment_size = s->len;
    info->count = 1;
    n = (int)s->len;
  }
  pq_free(s);
  return n;
}

int pquic_endpoint_output(pquic_endpoint *ep, uint64_t now, uint8_t *buf, size_t cap,
                          pquic_send_info *info) {
  if (!ep || !buf || !info)
    return PQUIC_ERR_INVAL;
  if (ep->stateless_head)
    return output_stateless(ep, buf, cap, info);
  /* Round robin over connections, starting after the last that sent. */
  size_t n = ep->n_cnx;
  pq_cnx *c = ep->send_cursor ? ep->send_cursor : ep->cnx_head;
  for (size_t i = 0; i < n && c; i++) {
    pq_cnx *next = c->ep_next ? c->ep_next : ep->cnx_head;
    int written = pq_cnx_output(c, now, buf, cap, info);
    int freed = pq_cnx_after_call(c);
    if (written > 0) {
      ep->send_cursor = freed ? next : c;
      return written;
    }
    if (freed && next == c)
      break;
    c = freed && ep->n_cnx == 0 ? NULL : next;
  }
  return 0;
}

uint64_t pquic_endpoint_next_wake(const pquic_endpoint *ep) {
  uint64_t t = PQ_TIME_NEVER;
  if (!ep)
    return t;
  if (ep->stateless_head)
    return 0;
  for (pq_cnx *c = ep->cnx_head; c; c = c->ep_next) {
    uint64_t w = pq_op_next_wake_time(c);
    if (w < t)
      t = w;
  }
  return t;
}
