/* Binary min-heap of scheduled datagrams. */
#include "pktq.h"

#include "common/alloc.h"
#include "pquic/errors.h"

void ns_pktq_init(ns_pktq *q, size_t max_pkts, uint64_t max_bytes) {
  q->v = NULL;
  q->n = q->cap = 0;
  q->max_pkts = max_pkts;
  q->bytes = 0;
  q->max_bytes = max_bytes;
  q->next_seq = 0;
}

void ns_pktq_free(ns_pktq *q) {
  for (size_t i = 0; i < q->n; i++)
    pq_free(q->v[i]);
  pq_free(q->v);
  q->v = NULL;
  q->n = q->cap = 0;
  q->bytes = 0;
}

static int before(const ns_pkt *a, const ns_pkt *b) {
  return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

ns_pkt *ns_pktq_alloc(ns_pktq *q, size_t len) {
  if (q->n >= q->max_pkts || q->bytes + len > q->max_bytes)
    return NULL;
  ns_pkt *p = pq_malloc(sizeof *p + len);
  if (!p)
    return NULL;
  p->len = (uint32_t)len;
  q->bytes += len;
  return p;
}

void ns_pktq_drop(ns_pktq *q, ns_pkt *p) {
  if (!p)
    return;
  q->bytes -= p->len;
  pq_free(p);
}

int ns_pktq_push(ns_pktq *q, ns_pkt *p) {
  if (q->n >= q->max_pkts) {
    ns_pktq_drop(q, p);
    return PQUIC_ERR_LIMIT;
  }
  if (q->n == q->cap) {
    size_t cap = q->cap ? q->cap * 2 : 256;
    if (cap > q->max_pkts)
      cap = q->max_pkts;
    ns_pkt **v = pq_realloc(q->v, cap * sizeof(ns_pkt *));
    if (!v) {
      ns_pktq_drop(q, p);
      return PQUIC_ERR_NOMEM;
    }
    q->v = v;
    q->cap = cap;
  }
  p->seq = q->next_seq++;
  size_t i = q->n++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!before(p, q->v[parent]))
      break;
    q->v[i] = q->v[parent];
    i = parent;
  }
  q->v[i] = p;
  return 0;
}

ns_pkt *ns_pktq_pop(ns_pktq *q, uint64_t now) {
  if (q->n == 0 || q->v[0]->at > now)
    return NULL;
  ns_pkt *top = q->v[0];
  ns_pkt *last = q->v[--q->n];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= q->n)
      break;
    if (c + 1 < q->n && before(q->v[c + 1], q->v[c]))
      c++;
    if (!before(q->v[c], last))
      break;
    q->v[i] = q->v[c];
    i = c;
  }
  if (q->n)
    q->v[i] = last;
  return top;
}
