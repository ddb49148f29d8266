/*
 * Typed calls of the core operations, generated from src/ops/core_ops.def.
 *
 * Core code calls pq_op_<name>(cnx, [param,] inputs..., [out]) and never an
 * implementation directly. Implementations are written
 *
 *   PQ_OPIMPL uint64_t opimpl_<name>(pq_cnx *cnx, [uint64_t param,] inputs...,
 *                                    [uint64_t *out]) { ... }
 *   PQ_OP_ADAPTER(<name>)
 *
 * and listed in their file's PQ_OP_DEFAULTS(...) table. PQ_OPIMPL is
 * `static`: the only way to reach an implementation is the operation table.
 * With -DPQUIC_DIRECT_OPS=ON, call sites call the implementations directly
 * (PQ_OPIMPL becomes extern) so the cost of dispatch can be measured.
 */
#ifndef PQ_CONN_OPCALLS_H
#define PQ_CONN_OPCALLS_H

#include "conn/cnx.h"
#include "ops/ops.h"

#ifdef PQUIC_DIRECT_OPS
#define PQ_OPIMPL
#else
#define PQ_OPIMPL static
#endif

/* kind: parameter in signatures and calls */
#define PQ_SIGP_NP
#define PQ_SIGP_P , uint64_t param
#define PQ_ARGP_NP
#define PQ_ARGP_P , param
#define PQ_VALP_NP 0
#define PQ_VALP_P param
#define PQ_UNPACKP_NP
#define PQ_UNPACKP_P , a->param
/* outs: output array */
#define PQ_SIGO_NOOUT
#define PQ_SIGO_OUT1 , uint64_t *out
#define PQ_SIGO_OUT2 , uint64_t *out
#define PQ_SIGO_OUT3 , uint64_t *out
#define PQ_SIGO_OUT4 , uint64_t *out
#define PQ_ARGO_NOOUT
#define PQ_ARGO_OUT1 , out
#define PQ_ARGO_OUT2 , out
#define PQ_ARGO_OUT3 , out
#define PQ_ARGO_OUT4 , out
#define PQ_VALO_NOOUT NULL
#define PQ_VALO_OUT1 out
#define PQ_VALO_OUT2 out
#define PQ_VALO_OUT3 out
#define PQ_VALO_OUT4 out
#define PQ_NOUT_NOOUT 0
#define PQ_NOUT_OUT1 1
#define PQ_NOUT_OUT2 2
#define PQ_NOUT_OUT3 3
#define PQ_NOUT_OUT4 4
#define PQ_UNPACKO_NOOUT
#define PQ_UNPACKO_OUT1 , a->out
#define PQ_UNPACKO_OUT2 , a->out
#define PQ_UNPACKO_OUT3 , a->out
#define PQ_UNPACKO_OUT4 , a->out

/* Signature type of each implementation (type-checks opimpl_<name>). */
#define PQ_OP(name, kind, dflt, cat, args, outs, outdoc, contract)                                 \
  typedef uint64_t pq_opimpl_type_##name(pq_cnx *cnx PQ_SIGP_##kind PQ_DECL_##args PQ_SIGO_##outs);
#include "ops/core_ops.def"
#undef PQ_OP

#ifdef PQUIC_DIRECT_OPS
/* Direct calls: implementations are extern; events do nothing. */
#define PQ_DIRECT_DEFAULT(name, kind, args, outs)                                                  \
  pq_opimpl_type_##name opimpl_##name;                                                             \
  static inline uint64_t pq_op_##name(pq_cnx *cnx PQ_SIGP_##kind PQ_DECL_##args PQ_SIGO_##outs) {  \
    return opimpl_##name(cnx PQ_ARGP_##kind PQ_NAMES_##args PQ_ARGO_##outs);                       \
  }
#define PQ_DIRECT_EVENT(name, kind, args, outs)                                                    \
  static inline uint64_t pq_op_##name(pq_cnx *cnx PQ_SIGP_##kind PQ_DECL_##args PQ_SIGO_##outs) {  \
    (void)cnx;                                                                                     \
    return 0;                                                                                      \
  }
#define PQ_OP(name, kind, dflt, cat, args, outs, outdoc, contract)                                 \
  PQ_DIRECT_##dflt(name, kind, args, outs)
#include "ops/core_ops.def"
#undef PQ_OP
#else
/* Calls through the connection's operation table. On the shared table the
 * built-in is called through the table's typed pointer, with native
 * arguments; only connections with pluglets pack the 16-slot convention. */
#define PQ_FAST_DEFAULT(name, kind, args, outs)                                                    \
  if (__builtin_expect(!cnx->op.table->hooked[PQ_OP_##name], 1))                                   \
    return ((pq_opimpl_type_##name *)cnx->op.table->typed[PQ_OP_##name])(                          \
        cnx PQ_ARGP_##kind PQ_NAMES_##args PQ_ARGO_##outs);
#define PQ_FAST_EVENT(name, kind, args, outs)                                                      \
  if (__builtin_expect(!cnx->op.table->hooked[PQ_OP_##name], 1))                                   \
    return 0;
#define PQ_OP(name, kind, dflt, cat, args, outs, outdoc, contract)                                 \
  static inline uint64_t pq_op_##name(pq_cnx *cnx PQ_SIGP_##kind PQ_DECL_##args PQ_SIGO_##outs) {  \
    PQ_FAST_##dflt(name, kind, args, outs) const uint64_t in_[] = {PQ_PACK_##args 0};              \
    return pq_op_dispatch(cnx, &cnx->op, PQ_OP_##name, PQ_VALP_##kind, in_, PQ_COUNT_##args,       \
                          PQ_VALO_##outs, PQ_NOUT_##outs, 0);                                      \
  }
#include "ops/core_ops.def"
#undef PQ_OP
#endif

/* Looks up the argument list of operation `name` for its adapter. */
#define PQ_OP(name, kind, dflt, cat, args, outs, outdoc, contract)                                 \
  static inline uint64_t pq_opunpack_##name(pq_cnx *cnx, pquic_op_args *a,                         \
                                            pq_opimpl_type_##name *impl) {                         \
    (void)a;                                                                                       \
    return impl(cnx PQ_UNPACKP_##kind PQ_UNPACK_##args PQ_UNPACKO_##outs);                         \
  }
#include "ops/core_ops.def"
#undef PQ_OP

/* The table-facing adapter of opimpl_<name>. */
#define PQ_OP_ADAPTER(name)                                                                        \
  static uint64_t opadapt_##name(pq_cnx *cnx, pquic_op_args *a, void *user) {                      \
    (void)user;                                                                                    \
    return pq_opunpack_##name(cnx, a, opimpl_##name);                                              \
  }

#define PQ_OP_DEFAULT(name)                                                                        \
  { PQ_OP_##name, opadapt_##name, (pq_op_typed)opimpl_##name }

/* Each implementation file lists its defaults:
 *   PQ_OP_DEFAULTS(recovery, PQ_OP_DEFAULT(update_rtt), ...)
 * and src/conn/op_defaults.c gathers the lists. */
#define PQ_OP_DEFAULTS(group, ...)                                                                 \
  const pq_op_default pq_op_defaults_##group[] = {__VA_ARGS__};                                    \
  const size_t pq_op_defaults_##group##_n =                                                        \
      sizeof pq_op_defaults_##group / sizeof pq_op_defaults_##group[0];

/* Returns early from the calling function when an operation's value is a
 * refusal (loop, fault): the connection is being torn down. */
#define PQ_OP_CHECK(expr)                                                                          \
  do {                                                                                             \
    uint64_t v_ = (expr);                                                                          \
    if (pq_op_failed(v_))                                                                          \
      return v_;                                                                                   \
  } while (0)

#endif
