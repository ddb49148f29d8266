/* The helper implementations behind pquic_plugin.h, shared by the PRE's
 * helper table (helpers.c) and the native exports (native_api.c). Every
 * one takes the run it serves; a bad argument marks the run faulty
 * (pq_pl_fault) and returns 0. */
#ifndef PQ_PLUGIN_HELPERS_H
#define PQ_PLUGIN_HELPERS_H

#include <stdint.h>

#include "plugin/fields_get.h"
#include "plugin/plugin_int.h"

/* Ids never change; names are the SDK's without their pl_ prefix. */

#define PQ_PL_HELPER_GET_CNX 1  /* inlined by the JIT (pq_pl_inline_get_cnx) */
#define PQ_PL_HELPER_GET_PATH 3 /* and pq_pl_inline_get_path */

/* X(stable id, name, object): the getters, inline so each helper wrapper
 * is one function (the hottest helpers: ~15 instructions after the call). */
#define PQ_PL_GETTERS(X)                                                                           \
  X(PQ_PL_HELPER_GET_CNX, get_cnx, PQ_OBJ_CNX)                                                     \
  X(PQ_PL_HELPER_GET_PATH, get_path, PQ_OBJ_PATH)                                                  \
  X(5, get_pkt, PQ_OBJ_PKT)                                                                        \
  X(6, get_opkt, PQ_OBJ_OPKT)                                                                      \
  X(7, get_sent, PQ_OBJ_SENT)                                                                      \
  X(8, get_stream, PQ_OBJ_STREAM)                                                                  \
  X(10, get_frame, PQ_OBJ_FRAME)

/* X(stable id, name): the other helpers with up to three arguments. */
#define PQ_PL_HELPERS3(X)                                                                          \
  X(2, set_cnx)                                                                                    \
  X(4, set_path)                                                                                   \
  X(9, set_stream)                                                                                 \
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
  X(24, log)                                                                                       \
  X(25, get_cid)
#define PQ_PL_HELPER_RUN_PROTOOP 19

#define X(id, name, obj)                                                                           \
  static inline __attribute__((always_inline))                                                     \
  uint64_t pq_pl_h_##name(pq_pl_run *r, uint64_t a1, uint64_t a2, uint64_t a3) {                   \
    (void)a3;                                                                                      \
    uint64_t h = obj == PQ_OBJ_CNX ? 0 : a1, f = obj == PQ_OBJ_CNX ? a1 : a2;                      \
    int ok;                                                                                        \
    uint64_t v = pq_pl_get_fast(r, obj, h, f, &ok);                                                \
    return __builtin_expect(ok, 1) ? v : pq_pl_get_slow(r, obj, h, f);                             \
  }
PQ_PL_GETTERS(X)
#undef X
#define X(id, name) uint64_t pq_pl_h_##name(pq_pl_run *r, uint64_t a1, uint64_t a2, uint64_t a3);
PQ_PL_HELPERS3(X)
#undef X
/* The PRE inliner of get_cnx (fields_inline.c): a constant field that is
 * a plain member of the connection (PQ_PL_CNX_MEMBERS) is read inline by
 * JIT code, guarded by its bit in the deny bitmap of `user`, the plugin
 * (struct pquic_plugin *) whose program is being loaded. */
int pq_pl_inline_get_cnx(void *user, const uint64_t r[2], unsigned known, pq_bpf_inline *out);
/* The same for get_path: a constant field, any handle (checked inline as
 * pq_pl_path_inline does). */
int pq_pl_inline_get_path(void *user, const uint64_t r[2], unsigned known, pq_bpf_inline *out);

uint64_t pq_pl_h_run_protoop(pq_pl_run *r, uint64_t op, uint64_t param, uint64_t in,
                             uint64_t n_in_out, uint64_t out);

#endif
