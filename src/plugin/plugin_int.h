/*
 * Internals of the plugin layer: loaded plugins (immutable, cached per
 * endpoint), their instances on connections, pluglet runs and the helper
 * environment. See include/pquic/plugin.h and docs/plugins.md.
 *
 * Memory of an instance (one region of the manifest's size):
 *
 *   [0, globals)              .rodata/.data/.bss of each object, 16-aligned
 *   [globals, stack_lo)       heap: pl_malloc, opaque data
 *   [stack_lo, memory)        pluglet stacks (PQ_PL_STACK bytes)
 *
 * Host-side bookkeeping (allocator heads, opaque-data table, frame queue)
 * lives in the instance struct, outside the region a pluglet can write.
 */
#ifndef PQ_PLUGIN_INT_H
#define PQ_PLUGIN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "conn/cnx_internal.h"
#include "conn/packet.h"
#include "conn/plugin_link.h"
#include "conn/sent.h"
#include "plugin/heap.h"
#include "plugin/manifest.h"
#include "pre/bpf.h"
#include "pquic/ops.h"
#include "pquic/plugin.h"

#define PQ_PL_STACK (8u * 1024u) /* stack bytes of a region: 16 frames */
#define PQ_PL_MAX_OPAQUE 16      /* opaque-data ids per instance */
#define PQ_PL_QUEUE_MAX 256      /* reserved frames waiting per instance */
#define PQ_PL_FRAME_MAX 1024     /* bytes one reserved frame may announce */
#define PQ_PL_MESSAGE_MAX 4096   /* bytes of one push_message */
#define PQ_PL_DEFAULT_BUDGET 1000000u

/* The args block as pluglets see it (pl_args of pquic_plugin.h). */
typedef struct pq_pl_args {
  uint32_t op_id, anchor, n_in, n_out;
  uint64_t param;
  uint64_t in[PQUIC_OP_MAX_ARGS];
  uint64_t out[PQUIC_OP_MAX_ARGS];
  uint64_t ret;
} pq_pl_args;

/* Kinds of operation inputs, from the core list (opargs.c). */
enum {
  PQ_PK_VAL = 0, /* plain value */
  PQ_PK_PKT,     /* pq_pkt * */
  PQ_PK_OPKT,    /* pq_opkt * */
  PQ_PK_PATH,    /* pq_path * */
  PQ_PK_SENT,    /* pq_sent_pkt * */
  PQ_PK_FRAME,   /* pq_sent_frame * */
  PQ_PK_STREAM,  /* pq_stream * */
  PQ_PK_RBUF,    /* const uint8_t *, its length next */
  PQ_PK_WBUF,    /* uint8_t *, its length next */
  PQ_PK_LEN,     /* the length of the buffer before */
  PQ_PK_EPOCH,   /* a packet-number space, < 3 */
  PQ_PK_LEVEL,   /* an encryption level, < 4 */
  PQ_PK_OTHER,   /* any other pointer: never from a pluglet */
};

typedef struct pq_pl_opkinds {
  uint8_t n;
  uint8_t kind[PQUIC_OP_MAX_ARGS];
  uint8_t callable; /* pluglets may run it (pl_run_protoop) */
} pq_pl_opkinds;

/* Kinds of a core operation's inputs; NULL for operations plugins added. */
const pq_pl_opkinds *pq_pl_op_kinds(uint32_t op_id);

typedef uint64_t (*pq_pl_native_fn)(void *args);

typedef struct pq_pl_pluglet {
  uint32_t op_id;
  const pq_pl_opkinds *kinds; /* its inputs (NULL: a plugin operation) */
  int has_param;
  uint64_t param;
  int anchor; /* pquic_anchor */
  uint16_t obj;
  int entry; /* bytecode entry point */
  pq_pl_native_fn native;
  uint32_t line; /* manifest line, for messages */
} pq_pl_pluglet;

typedef struct pq_pl_ep pq_pl_ep;

struct pquic_plugin {
  struct pquic_plugin *next; /* endpoint cache */
  pq_pl_ep *ep;
  uint8_t hash[32];
  int native;
  pq_manifest mf;
  size_t n_progs;
  pq_bpf_prog *progs[PQ_MF_MAX_OBJECTS];
  size_t n_pluglets;
  pq_pl_pluglet *pluglets;
  uint32_t memory, globals, stack_lo;
  uint64_t deny[8]; /* per object kind: bit i denies field index i */
};

/* A reserved frame waiting to be written. */
typedef struct pq_pl_qframe {
  uint64_t type, cookie;
  uint32_t bytes;
} pq_pl_qframe;

typedef struct pq_pl_inst pq_pl_inst;

/* What a trampoline gets as `user`. */
typedef struct pq_pl_hook {
  pq_pl_inst *inst;
  const pq_pl_pluglet *pl;
  pq_bpf_call call; /* bytecode: its entry on the instance, checked once */
} pq_pl_hook;

struct pq_pl_inst {
  struct pquic_plugin *plugin;
  pq_cnx *cnx;
  uint32_t owner;     /* attachment group in the operation table */
  pq_bpf_instance bi; /* the region */
  pq_pl_heap heap;
  struct {
    uint64_t id;
    uint32_t off, size;
  } opaque[PQ_PL_MAX_OPAQUE];
  uint32_t n_opaque;
  pq_pl_qframe *queue; /* ring of reserved frames */
  uint32_t q_head, q_len, q_cap;
  int64_t deficit;    /* deficit round robin */
  pq_pl_hook hooks[]; /* one per pluglet */
};

/* Per-connection plugin state (cnx->pl points at `link`). */
typedef struct pq_pl_cnx {
  pq_plugin_link link;
  pq_pl_inst *insts[PQ_MAX_PLUGINS];
  size_t n;
  size_t rr;              /* deficit round robin: instance whose turn it is */
  int turn;               /* its turn began (quantum added) */
  uint64_t period_start;  /* class-based queuing: bytes_sent when the period began */
  uint64_t period_plugin; /* plugin frame bytes sent in the period */
  struct pq_pl_run *run;  /* innermost pluglet run on this connection */
  char fault[160];        /* last plugin fault, for the close reason */
} pq_pl_cnx;

/* Per-endpoint plugin state (ep->pl points at `link`). */
struct pq_pl_ep {
  pq_plugin_link link;
  pq_endpoint *ep;
  struct pquic_plugin *cache;
  pq_bpf_helpers *helpers;
  pquic_plugin_settings settings;
  struct pquic_plugin *inject[PQ_MAX_PLUGINS];
  size_t n_inject;
  pquic_plugin_message_fn on_message;
  void *message_user;
};

/* One pluglet run: the helper environment. */
typedef struct pq_pl_run {
  pq_pl_inst *inst;
  pq_cnx *cnx;
  const pq_pl_pluglet *pl;
  const pquic_op_args *call;  /* the operation call, host copy of the inputs */
  const pq_pl_opkinds *kinds; /* its input kinds, NULL for plugin operations */
  pq_pl_args *args;           /* the block lent to the pluglet */
  pq_bpf_region lent[PQ_BPF_MAX_LENT];
  size_t nlent;
  const uint64_t *deny;     /* the plugin's denied fields */
  struct pq_pl_run *parent; /* run that called this operation, if any */
  int fault;                /* PQUIC_ERR_* a helper detected */
} pq_pl_run;

/* ---- endpoint (cache.c) ---- */
/* The endpoint's plugin state, created on first use. NULL on NOMEM. */
pq_pl_ep *pq_pl_ep_get(pq_endpoint *ep);
/* Reads a file of at most `max` bytes. Errors: IO, LIMIT, NOMEM. */
int pq_pl_read_file(const char *path, size_t max, uint8_t **out, size_t *len);
extern const pq_plugin_hooks pq_pl_hooks;

/* ---- loading (load.c) ---- */
int pq_pl_load_bundle(pq_pl_ep *e, const uint8_t *data, size_t len, struct pquic_plugin **out,
                      char *err, size_t errlen);
void pq_pl_plugin_free(struct pquic_plugin *p);
const char *pq_pl_anchor_name(int anchor);

/* ---- instances (attach.c) ---- */
pq_pl_cnx *pq_pl_cnx_of(pq_cnx *cnx);
int pq_pl_attach(pq_cnx *cnx, struct pquic_plugin *p, char *err, size_t errlen);
void pq_pl_cnx_free(pq_cnx *cnx);
void pq_pl_cnx_drop(pq_cnx *cnx);

/* ---- runs (run.c) ---- */
uint64_t pq_pl_tramp_bpf(pq_cnx *cnx, pquic_op_args *a, void *user);
uint64_t pq_pl_tramp_native(pq_cnx *cnx, pquic_op_args *a, void *user);
/* Host pointer for [addr, addr + len) in the instance region or a buffer
 * the run lent with `access`; NULL otherwise (len 0: addr must still be
 * inside). */
void *pq_pl_check(const pq_pl_run *r, uint64_t addr, uint64_t len, unsigned access);
/* Marks the run faulty with a PQUIC_ERR_* code (first one wins). */
void pq_pl_fault(pq_pl_run *r, int code);
/* The innermost pluglet run on this thread (bytecode or native), or NULL:
 * what the helpers serve (set and restored around every run, so nested
 * runs from helpers see their own). */
extern _Thread_local pq_pl_run *pq_pl_cur;
static inline pq_pl_run *pq_pl_native_run(void) {
  return pq_pl_cur;
}

/* ---- helpers (helpers.c, fields.c) ---- */
int pq_pl_helpers_register(pq_bpf_helpers *h);
uint64_t pq_pl_set(pq_pl_run *r, int obj, uint64_t handle, uint64_t field, uint64_t value);
/* 1 if `field` exists (any object). */
int pq_pl_field_exists(uint32_t field);

/* Object kinds of field ids (id >> 8). */
enum {
  PQ_OBJ_CNX = 1,
  PQ_OBJ_PATH,
  PQ_OBJ_PKT,
  PQ_OBJ_OPKT,
  PQ_OBJ_SENT,
  PQ_OBJ_STREAM,
  PQ_OBJ_FRAME
};

/* Handle validation: the host object behind a handle the running pluglet
 * passed, or NULL. */
pq_path *pq_pl_path(const pq_pl_run *r, uint64_t h);
void *pq_pl_lent(const pq_pl_run *r, int kind, uint64_t h);
pq_stream *pq_pl_stream(const pq_pl_run *r, uint64_t h);

/* ---- frames (sched.c) ---- */
uint64_t pq_pl_reserve(pq_pl_run *r, uint64_t type, uint64_t bytes, uint64_t cookie);
int pq_pl_frame_props(pq_cnx *cnx, uint64_t type, uint8_t *props);
int pq_pl_has_pending(pq_cnx *cnx);
uint64_t pq_pl_write_frames(pq_cnx *cnx, pq_opkt *o);
/* Drops an instance's queue, telling the plugin (fate NOT_SENT) if
 * `notify`. */
void pq_pl_queue_clear(pq_pl_inst *inst, int notify);

#endif
