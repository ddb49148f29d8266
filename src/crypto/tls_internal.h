/*
 * Internal to src/crypto: the TLS config and session structures shared by
 * tls_config.c and tls_session.c.
 */
#ifndef PQ_CRYPTO_TLS_INTERNAL_H
#define PQ_CRYPTO_TLS_INTERNAL_H

#include <pthread.h>
#include <time.h>

#include <gnutls/gnutls.h>

#include "crypto/tls.h"

/* 0-RTT anti-replay memory: ClientHello fingerprints seen within GnuTLS's
 * window. Open addressing over a fixed table; expired slots are reused. */
#define PQ_REPLAY_SLOTS 4096
typedef struct pq_replay_slot {
  uint8_t key[16];
  time_t expires; /* 0 = empty */
} pq_replay_slot;

struct pq_tls_config {
  pq_tls_role role;
  bool insecure;
  bool early_data;
  bool tickets;
  gnutls_certificate_credentials_t cred;
  gnutls_priority_t prio;
  gnutls_datum_t alpn[PQ_TLS_MAX_ALPN];
  unsigned alpn_count;
  gnutls_datum_t ticket_key; /* server with tickets: key bytes (gnutls_malloc'd) */
  gnutls_anti_replay_t anti_replay;
  pthread_mutex_t replay_lock;
  pq_replay_slot *replay; /* PQ_REPLAY_SLOTS, server with early data */
};

#endif
