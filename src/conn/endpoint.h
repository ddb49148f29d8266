/* The endpoint: configuration shared by its connections, demultiplexing of
 * datagrams by connection ID, stateless answers (Version Negotiation,
 * stateless reset) and the choice of which connection sends next. */
#ifndef PQ_CONN_ENDPOINT_H
#define PQ_CONN_ENDPOINT_H

#include <netinet/in.h>

#include "common/cidmap.h"
#include "conn/plugin_link.h"
#include "conn/types.h"
#include "crypto/tls.h"
#include "ops/ops.h"
#include "pquic/pquic.h"

/* A stateless packet waiting to be sent (VN, stateless reset). */
typedef struct pq_stateless {
  struct pq_stateless *next;
  struct sockaddr_storage local, remote;
  size_t len;
  uint8_t data[];
} pq_stateless;

struct pquic_endpoint {
  pquic_config cfg;        /* strings point into `strings` */
  char *strings;
  pq_tls_config *tls;      /* client or server role */
  pq_tls_config *tls_client; /* a server endpoint may also connect */
  pq_op_registry registry; /* operation names added by plugins */
  pq_plugin_link *pl;      /* plugin cache and settings (src/plugin), NULL without */

  pq_cidmap cids;          /* local CIDs (and servers' client-chosen DCIDs) -> cnx */
  pq_cnx *cnx_head;
  size_t n_cnx;
  pq_cnx *send_cursor;     /* round-robin position for output */

  pq_stateless *stateless_head, *stateless_tail;
  size_t n_stateless;

  uint64_t rng[4];         /* xoshiro256** state seeded from cfg.rand */
  uint8_t reset_key[32];   /* stateless reset tokens */
  uint8_t token_key[32];   /* address-validation tokens: AES key + IV */
  struct sockaddr_in preferred_v4;   /* family 0: none */
  struct sockaddr_in6 preferred_v6;

  uint8_t *scratch;        /* a writable copy of the datagram being processed */
  size_t scratch_len;

  uint64_t dropped_datagrams;
};

/* Random bytes from the endpoint's generator. */
void pq_ep_random(pq_endpoint *ep, void *buf, size_t len);
uint64_t pq_ep_random64(pq_endpoint *ep);

/* The shared table of built-in operations (built once per process). */
const pq_op_table *pq_ops_defaults(void);

/* Connection lifecycle, used by the endpoint (cnx_lifecycle.c). */
int pq_cnx_new(pq_endpoint *ep, int is_server, uint32_t version, const struct sockaddr *local,
               const struct sockaddr *remote, uint64_t now, pq_cnx **out);
void pq_cnx_free(pq_cnx *cnx);
int pq_ep_register_cid(pq_endpoint *ep, const uint8_t *cid, size_t len, pq_cnx *cnx);
void pq_ep_unregister_cid(pq_endpoint *ep, const uint8_t *cid, size_t len);
/* Queues a packet sent without connection state (VN, stateless reset). */
void pq_ep_queue_stateless(pq_endpoint *ep, const uint8_t *data, size_t len,
                           const struct sockaddr *local, const struct sockaddr *remote);

#endif
