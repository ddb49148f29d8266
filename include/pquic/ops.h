/*
 * pquic/ops.h - protocol operations, seen from an application.
 *
 * Every behaviour of a pquic connection is a protocol operation: a name
 * (such as "update_rtt" or "process_frame"), for some operations a 64-bit
 * parameter (a frame type, a transport parameter id...), up to 16 uint64
 * inputs, up to 16 outputs and one uint64 return value. Pluglets attach to
 * an operation at one of four anchors:
 *   - replace: runs instead of the built-in behaviour (at most one);
 *   - pre, post: observers run before / after it (any number); post
 *     observers see the return value and outputs; observers are read-only;
 *   - external: a new operation callable only by the application.
 * A connection without pluglets uses the shared built-in table; attaching
 * gives it its own copy. Calling an operation that is already running on a
 * connection's call stack closes that connection (PQUIC_EVENT_OP_FAULT)
 * and nothing else.
 *
 * This header covers native C pluglets, which are trusted code in the
 * application's process; bytecode plugins use the same anchors (plugin.h).
 */
#ifndef PQUIC_OPS_H
#define PQUIC_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "pquic/pquic.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PQUIC_OP_MAX_ARGS 16

typedef enum pquic_anchor {
  PQUIC_ANCHOR_REPLACE = 0,
  PQUIC_ANCHOR_PRE = 1,
  PQUIC_ANCHOR_POST = 2,
  PQUIC_ANCHOR_EXTERNAL = 3,
} pquic_anchor;

/* One call of an operation, as a pluglet sees it. */
typedef struct pquic_op_args {
  uint32_t op_id;      /* interned name, see pquic_op_id() */
  uint32_t n_in, n_out;
  uint64_t param;      /* 0 for operations without parameter */
  const uint64_t *in;  /* n_in inputs */
  uint64_t *out;       /* n_out outputs (observers: read them, never write) */
  uint64_t ret;        /* post observers: the value the operation returned */
} pquic_op_args;

typedef uint64_t (*pquic_pluglet_fn)(pquic_cnx *cnx, pquic_op_args *args, void *user);

/* Description of one protocol operation, for listings and references. */
typedef struct pquic_op_info {
  const char *name;
  int parameterized;   /* 1 if the op takes a parameter */
  int event;           /* 1 if the op has no built-in behaviour (observer point) */
  const char *category;
  const char *inputs;  /* "pq_path * path, uint64_t ack_delay" */
  const char *outputs; /* description of the outputs, "" if none */
  const char *contract;
} pquic_op_info;

/* The built-in operations: *ops points at a static array of the returned
 * length. */
size_t pquic_ops_list(const pquic_op_info **ops);

/* One pluglet of a native plugin. */
typedef struct pquic_native_pluglet {
  const char *op;      /* operation name; a new name creates a new operation */
  int has_param;
  uint64_t param;
  pquic_anchor anchor;
  pquic_pluglet_fn fn;
} pquic_native_pluglet;

/* Attaches a set of pluglets to one connection, all or nothing: if any
 * cannot be attached (a second replace of the same operation, an unknown
 * anchor...), none is, and err (if given) says why. `name` identifies the
 * plugin (reverse DNS); `user` is passed to every pluglet.
 * Errors: PQUIC_ERR_OP_REPLACED, PQUIC_ERR_EXISTS (name already attached),
 * PQUIC_ERR_INVAL, PQUIC_ERR_NOMEM, PQUIC_ERR_STATE (connection closed). */
int pquic_cnx_attach_native(pquic_cnx *cnx, const char *name, const pquic_native_pluglet *pluglets,
                            size_t n, void *user, char *err, size_t errlen);

/* Runs an operation on a connection through the dispatcher, as a pluglet's
 * run_protoop does (observers, replacement, loop rule). `ret` may be NULL.
 * Errors: PQUIC_ERR_OP_UNKNOWN, PQUIC_ERR_OP_LOOP, PQUIC_ERR_OP_DEPTH,
 * PQUIC_ERR_INVAL (external ops are for pquic_plugin_call), PQUIC_ERR_CLOSED. */
int pquic_op_run(pquic_cnx *cnx, const char *op, uint64_t param, const uint64_t *in,
                 unsigned n_in, uint64_t *out, unsigned n_out, uint64_t *ret);

/* Calls an `external` operation: only the application may. */
int pquic_plugin_call(pquic_cnx *cnx, const char *op, const uint64_t *in, unsigned n_in,
                      uint64_t *out, unsigned n_out, uint64_t *ret);

#ifdef __cplusplus
}
#endif
#endif
