/* Address-validation tokens: Retry and NEW_TOKEN (token.c). */
#ifndef PQ_CONN_TOKEN_H
#define PQ_CONN_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conn/types.h"
#include "wire/cid.h"

enum { PQ_TOKEN_RETRY = 1, PQ_TOKEN_NEW_TOKEN = 2 };

#define PQ_TOKEN_RETRY_LIFETIME_US (10 * 1000000ull)
#define PQ_TOKEN_NEW_TOKEN_LIFETIME_US (24 * 3600 * 1000000ull)
#define PQ_TOKEN_MAX 128

typedef struct pq_token_info {
  int kind;
  pq_cid odcid; /* Retry: the client's first Destination Connection ID */
  pq_cid rscid; /* Retry: the Source Connection ID of our Retry */
} pq_token_info;

/* Seals a token for `peer` into out; returns its length, 0 on failure.
 * odcid and rscid are used for PQ_TOKEN_RETRY only. */
size_t pq_token_make(pq_endpoint *ep, int kind, uint64_t now, const struct sockaddr *peer,
                     const pq_cid *odcid, const pq_cid *rscid, uint8_t *out, size_t cap);
/* Opens and checks a token received from `peer` at `now`: ours, untampered,
 * issued to this address, not expired. Errors: PQUIC_ERR_NOT_FOUND (not a
 * valid token), PQUIC_ERR_CRYPTO. */
int pq_token_check(pq_endpoint *ep, const uint8_t *token, size_t len, uint64_t now,
                   const struct sockaddr *peer, pq_token_info *info);

#endif
