/* The shared table of built-in operations, gathered from each concern's
 * PQ_OP_DEFAULTS list and built once per process. */
#include <pthread.h>

#include "conn/endpoint.h"
#include "ops/ops.h"

#define PQ_GROUPS(X)                                                                               \
  X(handshake) X(packet_in) X(frames) X(packet_out) X(ack) X(recovery) X(cc) X(streams) X(flow)   \
  X(control) X(transport_params) X(close) X(timers) X(cid) X(path) X(vn_retry) X(keyupdate) X(ecn) X(pmtud)

#define DECLARE_(g)                                                                                \
  extern const pq_op_default pq_op_defaults_##g[];                                                 \
  extern const size_t pq_op_defaults_##g##_n;
PQ_GROUPS(DECLARE_)
#undef DECLARE_

static pq_op_table g_table;
static _Atomic int g_ok;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

/* Built under the lock; retried after an allocation failure. */
static void build(void) {
  pq_op_default all[2 * PQ_OP_CORE_COUNT];
  size_t i = 0;
#define COPY_(g)                                                                                   \
  for (size_t k = 0; k < pq_op_defaults_##g##_n && i < sizeof all / sizeof all[0]; k++)           \
    all[i++] = pq_op_defaults_##g[k];
  PQ_GROUPS(COPY_)
#undef COPY_
  g_ok = pq_op_table_init_defaults(&g_table, all, i) == 0;
}

const pq_op_table *pq_ops_defaults(void) {
  if (!g_ok) {
    pthread_mutex_lock(&g_lock);
    if (!g_ok)
      build();
    pthread_mutex_unlock(&g_lock);
  }
  return g_ok ? &g_table : NULL;
}
