/*
 * Protocol-operation registry and dispatcher (internal).
 *
 * The built-in operations come from one list, src/ops/core_ops.def, whose
 * entries read
 *
 *   PQ_OP(name, kind, dflt, category, ARGSn(type, name, ...), outs,
 *         "outputs", "contract")
 *
 *   kind: NP (no parameter) or P (keyed by a 64-bit parameter);
 *   dflt: DEFAULT (a built-in implementation exists) or EVENT (observer
 *         point with an empty default);
 *   outs: NOOUT or OUT1..OUT4, the number of uint64 outputs.
 *
 * Core operations have fixed ids (PQ_OP_<name>); names added by plugins are
 * interned per endpoint with ids from PQ_OP_CORE_COUNT up. This module knows
 * nothing of connections beyond the pq_op_state they embed: typed wrappers
 * for core call sites are generated in src/conn/opcalls.h.
 */
#ifndef PQ_OPS_OPS_H
#define PQ_OPS_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "ops/op_args.h"
#include "pquic/ops.h"

struct pquic_cnx;

typedef enum pq_op_id {
#define PQ_OP(name, kind, dflt, cat, args, outs, outdoc, contract) PQ_OP_##name,
#include "ops/core_ops.def"
#undef PQ_OP
  PQ_OP_CORE_COUNT
} pq_op_id;

/* Most nested operation calls on one connection. */
#define PQ_OP_MAX_DEPTH 48
/* Most operation names one endpoint interns beyond the core ones. */
#define PQ_OP_MAX_EXTRA 1024

typedef uint64_t (*pq_op_fn)(struct pquic_cnx *cnx, pquic_op_args *a, void *user);

/* A built-in implementation with its own typed signature, called directly
 * (cast back to its type) on the shared table. */
typedef void (*pq_op_typed)(void);

/* A pluglet attached at a pre or post anchor. */
typedef struct pq_op_hook {
  pq_op_fn fn;
  void *user;
  uint32_t owner; /* attachment group (plugin) that added it */
  struct pq_op_hook *next;
} pq_op_hook;

/* Behaviour of one operation (or one parameter value of one). */
typedef struct pq_op_entry {
  pq_op_fn fn; /* replacement, else the built-in; NULL: empty event */
  void *user;
  uint32_t replace_owner; /* 0: built-in */
  uint8_t external;       /* callable by the application only */
  uint8_t present;        /* entry exists (parameter entries) */
  pq_op_hook *pre, *post;
} pq_op_entry;

/* Parameter-specific entry of a parameterized operation. */
typedef struct pq_op_pentry {
  uint32_t id;
  uint64_t param;
  pq_op_entry e;
} pq_op_pentry;

typedef struct pq_op_table {
  int plain;          /* the shared built-in table: no hooks, no loops possible */
  pq_op_typed *typed; /* built-ins by op id, for typed calls (the shared
                         table owns the array, copies borrow it) */
  uint8_t owns_typed;
  /* Core ops with a pluglet anywhere (hook, replacement, external, or a
   * parameter entry); all 0 in the shared table, so one test serves both
   * kinds of table. The others run their built-in without bookkeeping,
   * even on a connection with pluglets: built-in code has no loops, and a
   * loop through a pluglet is caught at the hooked op. */
  uint8_t hooked[PQ_OP_CORE_COUNT];
  uint32_t n_entries;     /* ids covered by entries[] */
  pq_op_entry *entries;   /* by op id: the behaviour for ids (and for parameters
                             without an entry of their own) */
  pq_op_pentry *pentries; /* sorted by (id, param) */
  size_t n_pentries, cap_pentries;
} pq_op_table;

/* Per-connection dispatch state; embedded in the connection. */
typedef struct pq_op_state {
  const pq_op_table *table;  /* shared built-in table or `own` */
  const pq_op_table *shared; /* the built-in table */
  pq_op_table *own;
  uint32_t depth;
  uint32_t observing; /* > 0 while observers run: setters refuse */
  struct {
    uint32_t id;
    uint64_t param;
  } stack[PQ_OP_MAX_DEPTH];
  int fault; /* a PQUIC_ERR_* once an operation failed fatally */
  uint32_t fault_op;
  uint64_t fault_param;
  uint32_t next_owner; /* attachment group ids handed out */
} pq_op_state;

/* Names of operations: the core list plus per-endpoint additions. */
typedef struct pq_op_registry {
  char **extra; /* names of ids PQ_OP_CORE_COUNT + i */
  uint8_t *extra_param;
  uint32_t n_extra, cap_extra;
} pq_op_registry;

/* The built-in implementation of one core operation. */
typedef struct pq_op_default {
  uint32_t id;
  pq_op_fn fn;       /* the adapter, for the 16-slot convention */
  pq_op_typed typed; /* the implementation */
} pq_op_default;

/* --- description of the core list --- */

const pquic_op_info *pq_op_core_info(uint32_t id); /* NULL if not a core id */
int pq_op_is_param(const pq_op_registry *r, uint32_t id);

/* --- names --- */

void pq_op_registry_init(pq_op_registry *r);
void pq_op_registry_free(pq_op_registry *r);
/* Id of an operation name, or PQUIC_ERR_OP_UNKNOWN. */
int pq_op_lookup(const pq_op_registry *r, const char *name, uint32_t *id);
/* Id of a name, interning it as a new operation if unknown. A name that
 * exists must agree on `param` (parameterized or not), else PQUIC_ERR_INVAL.
 * Errors: PQUIC_ERR_INVAL (empty or over-long name), PQUIC_ERR_LIMIT,
 * PQUIC_ERR_NOMEM. */
int pq_op_intern(pq_op_registry *r, const char *name, int param, uint32_t *id);
const char *pq_op_name(const pq_op_registry *r, uint32_t id);

/* --- tables --- */

/* Builds the shared table from built-in implementations (ids without one
 * are empty events). Errors: PQUIC_ERR_NOMEM. */
int pq_op_table_init_defaults(pq_op_table *t, const pq_op_default *defs, size_t n);
/* A private copy of `src` (never plain), able to receive hooks. */
int pq_op_table_clone(pq_op_table *dst, const pq_op_table *src);
void pq_op_table_free(pq_op_table *t);
/* The entry deciding the behaviour of (id, param); never NULL for
 * id < n_entries. */
const pq_op_entry *pq_op_table_lookup(const pq_op_table *t, uint32_t id, uint64_t param);

/* One pluglet to attach (internal form of pquic_native_pluglet). */
typedef struct pq_op_attach {
  uint32_t id;
  int has_param;
  uint64_t param;
  pquic_anchor anchor;
  pq_op_fn fn;
  void *user;
} pq_op_attach;

/* Attaches all of `list` to the connection's table as group `owner`, or
 * nothing: returns PQUIC_ERR_OP_REPLACED (with the index of the offending
 * pluglet in *bad) if a replace or external anchor is taken, PQUIC_ERR_NOMEM.
 * The state switches from the shared table to a private copy first. */
int pq_op_attach_group(pq_op_state *st, const pq_op_attach *list, size_t n, uint32_t owner,
                       size_t *bad);
/* Removes everything group `owner` attached. */
void pq_op_detach_group(pq_op_state *st, uint32_t owner);

void pq_op_state_init(pq_op_state *st, const pq_op_table *shared);
void pq_op_state_free(pq_op_state *st);

/* --- calls --- */

/* Full dispatch: loop rule, depth bound, pre, replace-or-default, post.
 * Returns the operation's value; when the call is refused (loop, depth,
 * earlier fault) it records the fault in st and returns
 * (uint64_t)(int64_t)PQUIC_ERR_*. `external_ok` is set only for calls made
 * by the application. */
uint64_t pq_op_dispatch(struct pquic_cnx *cnx, pq_op_state *st, uint32_t id, uint64_t param,
                        const uint64_t *in, uint32_t n_in, uint64_t *out, uint32_t n_out,
                        int external_ok);

/* The call core code makes: the shared table needs no bookkeeping (built-in
 * code has no loops), so it calls the entry directly. */
static inline uint64_t pq_op_invoke(struct pquic_cnx *cnx, pq_op_state *st, uint32_t id,
                                    uint64_t param, const uint64_t *in, uint32_t n_in,
                                    uint64_t *out, uint32_t n_out) {
  const pq_op_table *t = st->table;
  if (__builtin_expect(t->plain, 1)) {
    pquic_op_args a = {id, n_in, n_out, param, in, out, 0};
    return t->entries[id].fn(cnx, &a, NULL);
  }
  return pq_op_dispatch(cnx, st, id, param, in, n_in, out, n_out, 0);
}

/* Same for an EVENT operation: nothing to do on the shared table. */
static inline uint64_t pq_op_invoke_event(struct pquic_cnx *cnx, pq_op_state *st, uint32_t id,
                                          uint64_t param, const uint64_t *in, uint32_t n_in,
                                          uint64_t *out, uint32_t n_out) {
  if (__builtin_expect(st->table->plain, 1))
    return 0;
  return pq_op_dispatch(cnx, st, id, param, in, n_in, out, n_out, 0);
}

/* True if the value an operation returned is a refusal code. */
static inline int pq_op_failed(uint64_t v) {
  return (int64_t)v < 0 && (int64_t)v > -1000;
}

#endif
