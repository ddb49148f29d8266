/* The helper implementations behind pquic_plugin.h, shared by the PRE's
 * helper table (helpers.c) and the native exports (native_api.c). Every
 * one takes the run it serves; a bad argument marks the run faulty
 * (pq_pl_fault) and returns 0. */
#ifndef PQ_PLUGIN_HELPERS_H
#define PQ_PLUGIN_HELPERS_H

#include <stdint.h>

#include "plugin/plugin_int.h"

/* X(stable id, name) of the helpers with up to three arguments; the name
 * is the SDK's without its pl_ prefix. Ids never change. */
#define PQ_PL_HELPERS3(X)                                                                          \
  X(1, get_cnx)                                                                                    \
  X(2, set_cnx)                                                                                    \
  X(3, get_path)                                                                                   \
  X(4, set_path)                                                                                   \
  X(5, get_pkt)                                                                                    \
  X(6, get_opkt)                                                                                   \
  X(7, get_sent)                                                                                   \
  X(8, get_stream)                                                                                 \
  X(9, set_stream)                                                                                 \
  X(10, get_frame)                                                                                 \
  X(11, malloc)                                                                                    \
  X(12, free)                                                                                      \
  X(13, realloc)                                                                                   \
  X(14, get_opaque_data)                                                                           \
  X(15, memcpy)                                                                                    \
  X(16, memset)                                                                                    \
  X(17, memcmp)                                                                                    \
  X(18, op_id)                                                                                     \
  X(20, reserve_frame)                                                                             \
  X(21, push_message)                                                                              \
  X(22, now)                                                                                       \
  X(23, random)                                                                                    \
  X(24, log)
#define PQ_PL_HELPER_RUN_PROTOOP 19

#define X(id, name) uint64_t pq_pl_h_##name(pq_pl_run *r, uint64_t a1, uint64_t a2, uint64_t a3);
PQ_PL_HELPERS3(X)
#undef X
uint64_t pq_pl_h_run_protoop(pq_pl_run *r, uint64_t op, uint64_t param, uint64_t in,
                             uint64_t n_in_out, uint64_t out);

#endif
