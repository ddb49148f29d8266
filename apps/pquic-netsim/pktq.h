/*
 * Datagrams waiting for their delivery time: a binary min-heap ordered by
 * (time, arrival sequence), so datagrams due at the same instant leave in
 * the order they came. Bounded in count and in bytes held; a datagram that
 * does not fit is refused (the caller counts it as dropped).
 */
#ifndef NS_PKTQ_H
#define NS_PKTQ_H

#include <stddef.h>
#include <stdint.h>

typedef struct ns_pkt {
  uint64_t at;  /* delivery time, ns */
  uint64_t seq; /* arrival order, for ties */
  uint32_t link, flow, flow_gen;
  uint8_t dir;
  uint32_t len;
  uint8_t data[];
} ns_pkt;

typedef struct ns_pktq {
  ns_pkt **v;
  size_t n, cap;
  size_t max_pkts;
  uint64_t bytes, max_bytes; /* payload bytes held, and the limit */
  uint64_t next_seq;
} ns_pktq;

/* Empty queue holding at most max_pkts datagrams and max_bytes of payload. */
void ns_pktq_init(ns_pktq *q, size_t max_pkts, uint64_t max_bytes);
/* Frees every datagram still queued and the heap. */
void ns_pktq_free(ns_pktq *q);

/*
 * A new datagram of `len` bytes (uninitialised payload) for the caller to
 * fill, or NULL when the limits would be exceeded or memory is short. It is
 * not queued until ns_pktq_push; until then release it with ns_pktq_drop.
 */
ns_pkt *ns_pktq_alloc(ns_pktq *q, size_t len);
/* Queues p at p->at (p->seq is assigned here). Errors: PQUIC_ERR_NOMEM,
 * PQUIC_ERR_LIMIT; p is then released. */
int ns_pktq_push(ns_pktq *q, ns_pkt *p);
/* Releases a datagram from ns_pktq_alloc or ns_pktq_pop. */
void ns_pktq_drop(ns_pktq *q, ns_pkt *p);

/* Earliest delivery time, UINT64_MAX when empty. */
static inline uint64_t ns_pktq_next(const ns_pktq *q) {
  return q->n ? q->v[0]->at : UINT64_MAX;
}
/* Unqueues the earliest datagram if it is due at or before `now`; NULL
 * otherwise. The caller releases it with ns_pktq_drop. */
ns_pkt *ns_pktq_pop(ns_pktq *q, uint64_t now);

#endif
