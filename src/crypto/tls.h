/*
 * Sans-I/O TLS 1.3 for QUIC (RFC 9001 section 4) over GnuTLS's QUIC
 * interface.
 *
 * A pq_tls_config holds what many connections share: role, credentials,
 * trust, ALPN list, cipher suites, session-ticket key and the 0-RTT
 * anti-replay state. A pq_tls_session is one connection's handshake. The
 * connection feeds it CRYPTO stream bytes per encryption level, in order
 * (pq_tls_session_provide), and the session calls back with:
 *  - bytes to send in CRYPTO frames at a level (send),
 *  - new read and/or write traffic secrets for a level, with the negotiated
 *    cipher suite (secret): feed them to pq_dir_keys_init(),
 *  - the peer's quic_transport_parameters extension body, opaque
 *    (transport_params): src/wire parses it,
 *  - (client) a resumption blob whenever a NewSessionTicket arrives
 *    (ticket): pass it back in pq_tls_session_opts.resumption next time.
 * Callbacks run inside pq_tls_session_start / pq_tls_session_provide (and
 * pq_tls_session_send_ticket); a non-zero return aborts the handshake and
 * that value (when it is a PQUIC_ERR_* code) is what the call returns.
 *
 * On failure the session stops; pq_tls_session_alert() gives the TLS alert
 * that the connection turns into CRYPTO_ERROR 0x100 + alert. Nothing here
 * blocks, sleeps or touches a socket; GnuTLS reads the clock itself only to
 * date session tickets and check their age.
 *
 * Thread use: a config may be shared by sessions on several threads (its
 * only mutable part, the anti-replay table, is locked); a session belongs
 * to one thread at a time. The config must outlive its sessions.
 */
#ifndef PQ_CRYPTO_TLS_H
#define PQ_CRYPTO_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/suite.h"

typedef enum pq_tls_role { PQ_TLS_CLIENT = 0, PQ_TLS_SERVER = 1 } pq_tls_role;

/* QUIC encryption levels (packet number spaces plus 0-RTT). */
typedef enum pq_crypto_level {
  PQ_CRYPTO_LEVEL_INITIAL = 0,
  PQ_CRYPTO_LEVEL_0RTT = 1,
  PQ_CRYPTO_LEVEL_HANDSHAKE = 2,
  PQ_CRYPTO_LEVEL_1RTT = 3,
} pq_crypto_level;
#define PQ_CRYPTO_LEVEL_COUNT 4

/* Session-ticket encryption key size (GnuTLS's format). */
#define PQ_TLS_TICKET_KEY_LEN 64
#define PQ_TLS_MAX_ALPN 16

typedef struct pq_tls_config_opts {
  pq_tls_role role;
  /* Server: PEM certificate chain (leaf first) and its PEM private key. */
  const char *cert_file;
  const char *key_file;
  /* Client: PEM file of trusted CAs; NULL uses the system trust store. */
  const char *ca_file;
  /* Client: accept any server certificate (tests, demos). */
  bool insecure_no_verify;
  /* ALPN protocol names, most preferred first (1..PQ_TLS_MAX_ALPN, each
   * 1..255 bytes). The server picks the first of its own list that the
   * client offers; no overlap fails with no_application_protocol. */
  const char *const *alpn;
  size_t alpn_count;
  /* Allowed suites in preference order; NULL/0 = AES-128-GCM,
   * ChaCha20-Poly1305, AES-256-GCM. A server prefers its own order. */
  const pq_cipher_suite *suites;
  size_t suite_count;
  /* Client: offer 0-RTT when resuming with a ticket that allows it.
   * Server: accept 0-RTT (with replay protection) and issue tickets that
   * allow it. */
  bool enable_early_data;
  /* Server: send a NewSessionTicket when the handshake completes. */
  bool enable_tickets;
  /* Server: ticket key shared by servers that must accept each other's
   * tickets (PQ_TLS_TICKET_KEY_LEN bytes); NULL generates a random one. */
  const uint8_t *ticket_key;
  size_t ticket_key_len;
} pq_tls_config_opts;

typedef struct pq_tls_config pq_tls_config;
typedef struct pq_tls_session pq_tls_session;

/* Creates a config. On failure, when `err` is not NULL, a one-line reason
 * naming the offending file is written there (always NUL-terminated).
 * Errors: PQUIC_ERR_INVAL (bad option: no ALPN, unknown suite, server
 * without cert/key, wrong ticket key size), PQUIC_ERR_CERTIFICATE
 * (certificate, key or CA file missing, unreadable, unparsable, or the key
 * does not match the certificate), PQUIC_ERR_NOMEM, PQUIC_ERR_CRYPTO. */
int pq_tls_config_new(pq_tls_config **out, const pq_tls_config_opts *opts, char *err,
                      size_t err_len);

/* Frees a config (NULL is fine). All its sessions must be freed first. */
void pq_tls_config_free(pq_tls_config *cfg);

pq_tls_role pq_tls_config_role(const pq_tls_config *cfg);

typedef struct pq_tls_callbacks {
  /* Handshake bytes to send in CRYPTO frames at `level`. Required. */
  int (*send)(void *user, pq_crypto_level level, const uint8_t *data, size_t len);
  /* New traffic secrets for `level`; either pointer may be NULL when only
   * one direction is installed now (the other comes in a later call).
   * secret_len = pq_suite_secret_len(suite). Required. */
  int (*secret)(void *user, pq_crypto_level level, pq_cipher_suite suite, const uint8_t *read,
                const uint8_t *write, size_t secret_len);
  /* The peer's transport parameters (extension body). Optional: they can
   * also be read with pq_tls_session_peer_transport_params(). */
  int (*transport_params)(void *user, const uint8_t *data, size_t len);
  /* Client: a resumption blob for the ticket just received. Optional. */
  void (*ticket)(void *user, const uint8_t *blob, size_t len);
} pq_tls_callbacks;

typedef struct pq_tls_session_opts {
  /* Client: server name sent as SNI (unless it is an IP address) and
   * checked against the certificate (unless insecure). */
  const char *hostname;
  /* Our transport parameters, already encoded (non-empty). Copied. */
  const uint8_t *transport_params;
  size_t transport_params_len;
  /* Client: a blob from a previous connection's ticket callback. */
  const uint8_t *resumption;
  size_t resumption_len;
} pq_tls_session_opts;

/* Creates a session using `cfg` (which must outlive it). `user` is passed to
 * every callback. Errors: PQUIC_ERR_INVAL (missing callback or transport
 * parameters), PQUIC_ERR_NOMEM, PQUIC_ERR_CRYPTO. A resumption blob that
 * GnuTLS rejects is ignored (full handshake), not an error. */
int pq_tls_session_new(pq_tls_session **out, pq_tls_config *cfg, const pq_tls_session_opts *opts,
                       const pq_tls_callbacks *cb, void *user);

/* Frees a session (NULL is fine) and wipes its secrets. */
void pq_tls_session_free(pq_tls_session *s);

/* Client: produces the ClientHello (send callback at INITIAL, and the 0-RTT
 * write secret when offering early data). Server: nothing to do, returns 0.
 * Errors: PQUIC_ERR_STATE (called twice), PQUIC_ERR_TLS, callback errors. */
int pq_tls_session_start(pq_tls_session *s);

/* Feeds CRYPTO stream bytes received at `level`, contiguous and in order,
 * and advances the handshake. After completion it still accepts 1-RTT
 * bytes (NewSessionTicket). Errors: PQUIC_ERR_TLS (handshake failure; see
 * pq_tls_session_alert), PQUIC_ERR_CERTIFICATE (peer certificate rejected),
 * PQUIC_ERR_STATE (session already failed), PQUIC_ERR_INVAL (bad level),
 * or a callback's error. */
int pq_tls_session_provide(pq_tls_session *s, pq_crypto_level level, const uint8_t *data,
                           size_t len);

/* Replaces our transport parameters (before they are sent: a server may
 * call it from the transport_params callback, e.g. after compatible version
 * negotiation). Copied. Errors: PQUIC_ERR_INVAL, PQUIC_ERR_NOMEM. */
int pq_tls_session_set_transport_params(pq_tls_session *s, const uint8_t *data, size_t len);

/* True once the TLS handshake is complete on this side. */
bool pq_tls_session_complete(const pq_tls_session *s);

/* True after a failure; nothing more can be fed. */
bool pq_tls_session_failed(const pq_tls_session *s);

/* The TLS alert to report (0..255), or -1 when none. Set on failure, to the
 * alert GnuTLS raised or 80 (internal_error) for local errors. */
int pq_tls_session_alert(const pq_tls_session *s);

/* A human-readable reason for the failure ("" when none). */
const char *pq_tls_session_error(const pq_tls_session *s);

/* Negotiated ALPN (not NUL-terminated, valid while the session lives), or
 * NULL before it is known. */
const uint8_t *pq_tls_session_alpn(const pq_tls_session *s, size_t *len);

/* Negotiated suite (PQ_SUITE_NONE before the ServerHello) and its name. */
pq_cipher_suite pq_tls_session_suite(const pq_tls_session *s);
const char *pq_tls_session_cipher_name(const pq_tls_session *s);

/* The peer's transport parameters, or NULL before they arrive. */
const uint8_t *pq_tls_session_peer_transport_params(const pq_tls_session *s, size_t *len);

/* True when the handshake resumed a session (ticket accepted). */
bool pq_tls_session_resumed(const pq_tls_session *s);

/* Server: 0-RTT was accepted. Client: the server accepted our 0-RTT (known
 * after its EncryptedExtensions). */
bool pq_tls_session_early_data_accepted(const pq_tls_session *s);

/* Server, after completion: sends one more NewSessionTicket (the first is
 * sent automatically at completion when tickets are enabled).
 * Errors: PQUIC_ERR_STATE (client, not complete, tickets disabled),
 * PQUIC_ERR_TLS, callback errors. */
int pq_tls_session_send_ticket(pq_tls_session *s);

/* Writes a throwaway self-signed certificate for `hostname` (DNS name or IP
 * address; ECDSA P-256, valid from an hour ago for a year) and its private
 * key as PEM files (the key file with mode 0600). For demos and tests.
 * Errors: PQUIC_ERR_INVAL, PQUIC_ERR_IO (cannot write a file),
 * PQUIC_ERR_CRYPTO. */
int pq_tls_make_self_signed(const char *cert_path, const char *key_path, const char *hostname);

/* Like pq_tls_make_self_signed, but a fresh CA (written to ca_path) signs
 * the leaf; cert_path receives the chain (leaf then CA). Tests use it to
 * exercise real chain verification. Errors as above. */
int pq_tls_make_test_pki(const char *ca_path, const char *cert_path, const char *key_path,
                         const char *hostname);

#endif
