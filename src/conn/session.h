/* Resumption state a client keeps between connections (session.c). */
#ifndef PQ_CONN_SESSION_H
#define PQ_CONN_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "conn/types.h"

#define PQ_SESSION_MAX_TOKEN 256

typedef struct pq_session {
  uint32_t version;
  char alpn[256];
  const uint8_t *ticket; /* point into the parsed blob */
  size_t ticket_len;
  const uint8_t *token;
  size_t token_len;
  uint64_t tp[10]; /* remembered server limits, in blob order */
} pq_session;

/* TLS ticket callback: keeps the latest resumption blob. */
void pq_session_on_ticket(void *user, const uint8_t *blob, size_t len);
/* Errors: PQUIC_ERR_INVAL (not a session blob, or a damaged one). */
int pq_session_parse(const uint8_t *data, size_t len, pq_session *s);
void pq_session_apply(pq_cnx *cnx, const pq_session *s);
int pq_session_check_limits(const pq_cnx *cnx);
void pq_session_early_rejected(pq_cnx *cnx);
/* 0-RTT on this connection: 0 not offered, 1 accepted, 2 refused, 3
 * offered and not answered yet (pquic_stats.early_data, PQF_CNX_EARLY_DATA). */
int pq_session_early_state(const pq_cnx *cnx);

#endif
