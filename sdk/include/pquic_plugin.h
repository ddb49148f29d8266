/*
 * pquic_plugin.h - the API of pquic pluglets (the plugin SDK).
 *
 * A plugin is a set of pluglets, C functions attached to protocol
 * operations by the plugin's manifest (docs/plugins.md). The same source
 * builds two ways:
 *   - eBPF (clang -target bpf -mcpu=v3 -O2): the helpers below are resolved
 *     by name when the host loads the object; every memory access is checked
 *     against the plugin's memory region and the buffers the running
 *     operation lends; an instruction budget bounds every run;
 *   - native (the host compiler with -DPQUIC_PLUGIN_NATIVE): the helpers are
 *     functions of the pquic library; the code is trusted and unchecked, for
 *     local use and to measure what the sandbox costs.
 *
 * A pluglet is
 *
 *     PLUGLET(name) { ... return value; }
 *
 * and receives `args`, a pl_args block: the operation's inputs, outputs and
 * parameter. Replace and external pluglets may write args->out (copied back
 * to the caller) and their return value is the operation's; pre and post
 * observers only read (post observers see args->out and args->ret).
 *
 * Host objects (connection, path, packets, streams, frame records) are
 * opaque handles: the uint64 values of the operation's inputs. Never
 * dereference them; pass them to pl_get_* / pl_set_* with a PQF_* field id
 * (pquic_fields.def, docs/fields.md). Memory of your own comes from the
 * plugin's region: global variables, pl_malloc, pl_get_opaque_data.
 *
 * Errors: a bad handle, an unknown or denied field, a setter called while
 * an observer runs, a copy outside your memory or the lent buffers, a
 * memory fault or an exhausted budget stop the pluglet; the host then
 * removes every plugin of the connection and closes it with INTERNAL_ERROR,
 * naming the fault. Other connections go on.
 *
 * Native builds: global variables are process-wide there (one copy for all
 * connections); keep per-connection state in pl_get_opaque_data or
 * pl_malloc memory, which behave the same in both builds.
 */
#ifndef PQUIC_PLUGIN_H
#define PQUIC_PLUGIN_H

#if defined(__bpf__)
typedef __UINT8_TYPE__ uint8_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __INT8_TYPE__ int8_t;
typedef __INT16_TYPE__ int16_t;
typedef __INT32_TYPE__ int32_t;
typedef __INT64_TYPE__ int64_t;
typedef __SIZE_TYPE__ size_t;
#ifndef NULL
#define NULL ((void *)0)
#endif
#else
#include <stddef.h>
#include <stdint.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- fields ------------------------------------------------------------ */

enum pl_field {
#define PQ_FIELD(obj, name, id, access, type, doc) PQF_##obj##_##name = id,
#include "pquic_fields.def"
#undef PQ_FIELD
};

/* ---- calling convention ---------------------------------------------- */

#define PL_MAX_ARGS 16

/* Anchors (pl_args.anchor). */
enum { PL_REPLACE = 0, PL_PRE = 1, PL_POST = 2, PL_EXTERNAL = 3 };

/* What a pluglet receives: lent to the run, read-only for observers. */
typedef struct pl_args {
  uint32_t op_id;  /* the operation (see pl_op_id) */
  uint32_t anchor; /* PL_REPLACE, PL_PRE, PL_POST or PL_EXTERNAL */
  uint32_t n_in, n_out;
  uint64_t param; /* the operation's parameter (frame type...), 0 if none */
  uint64_t in[PL_MAX_ARGS];
  uint64_t out[PL_MAX_ARGS];
  uint64_t ret; /* post observers: what the operation returned */
} pl_args;

/* (The prototype keeps native builds warning-free.) */
#define PLUGLET(name)                                                                              \
  uint64_t name(pl_args *args);                                                                    \
  uint64_t name(pl_args *args)

/* Fates of a frame a plugin reserved (notify_frame's third input). */
enum { PL_FATE_ACKED = 0, PL_FATE_LOST = 1, PL_FATE_DISCARDED = 2, PL_FATE_NOT_SENT = 3 };

/* A stream handle from a stream id, for pl_get_stream / pl_set_stream
 * (valid while the stream exists; the host looks it up each time). */
#define PL_STREAM_ID(id) ((uint64_t)(id) | (1ull << 63))

/* Errors helpers return (as uint64, i.e. (uint64_t)-code); test with
 * pl_failed(). Codes are pquic's PQUIC_ERR_* values. */
#define PL_ERR_INVAL 2
#define PL_ERR_NOT_FOUND 4
#define PL_ERR_LIMIT 7
#define PL_ERR_UNSUPPORTED 8
static inline int pl_failed(uint64_t v) {
  return (int64_t)v < 0 && (int64_t)v > -1000;
}

/* ---- helpers ----------------------------------------------------------- */
/* (Declared, not defined: eBPF objects resolve them by name at load time,
 * native builds link them from the pquic library.) */

/* Connection and object fields. The connection handle is implicit. Getters
 * return the value; setters return 0. A handle must be one the running
 * operation lent (its inputs, or a handle read from a field) or, for
 * streams, PL_STREAM_ID(id). Setters refuse observers. pl_get_cnx and
 * pl_get_path with a PQF_ constant as the field cost a few loads in JIT
 * code (no call) for most fields; a field id computed at run time costs a
 * call. */
uint64_t pl_get_cnx(uint64_t field);
uint64_t pl_set_cnx(uint64_t field, uint64_t value);
uint64_t pl_get_path(uint64_t path, uint64_t field);
uint64_t pl_set_path(uint64_t path, uint64_t field, uint64_t value);
uint64_t pl_get_pkt(uint64_t pkt, uint64_t field);
uint64_t pl_get_opkt(uint64_t opkt, uint64_t field);
uint64_t pl_get_sent(uint64_t sent, uint64_t field);
uint64_t pl_get_stream(uint64_t stream, uint64_t field);
uint64_t pl_set_stream(uint64_t stream, uint64_t field, uint64_t value);
uint64_t pl_get_frame(uint64_t frame, uint64_t field);

/* Memory of the plugin instance (one region per connection, of the
 * manifest's size). Blocks are 16-byte aligned; NULL when the heap is
 * exhausted. pl_malloc'd memory is not zeroed. */
void *pl_malloc(uint64_t size);
void pl_free(void *ptr);
void *pl_realloc(void *ptr, uint64_t size);
/* A zeroed block identified by `id`, shared by all pluglets of the plugin on
 * this connection: the first call allocates it, later calls return the
 * same block (NULL if `size` exceeds its size, or no memory). */
void *pl_get_opaque_data(uint64_t id, uint64_t size);

/* Copies within the plugin's memory and the buffers the running operation
 * lent (a packet being parsed is readable, a frame being written is
 * writable). Return 0 (pl_memcmp: <0, 0, >0 as memcmp). */
uint64_t pl_memcpy(void *dst, const void *src, uint64_t n);
uint64_t pl_memset(void *dst, uint64_t c, uint64_t n);
int64_t pl_memcmp(const void *a, const void *b, uint64_t n);

/* Operations. pl_op_id resolves a name (built-in or declared by a loaded
 * plugin) to an id, or returns an error; resolve once and keep it.
 * pl_run_protoop runs an operation through the dispatcher (observers,
 * replacement, loop rule) with n_in inputs and n_out outputs packed as
 * n_in | n_out << 8; it returns the operation's value. Built-in operations
 * that take handles check them like the getters do; a few built-ins that
 * only make sense inside the core's own sequence are refused
 * (PL_ERR_UNSUPPORTED), and observers may call only plugin-defined ones. */
uint64_t pl_op_id(const char *name);
uint64_t pl_run_protoop(uint64_t op, uint64_t param, const uint64_t *in, uint64_t n_in_out,
                        uint64_t *out);

static inline uint64_t run_protoop(uint64_t op, uint64_t param, const uint64_t *in, uint32_t n_in,
                                   uint64_t *out, uint32_t n_out) {
  return pl_run_protoop(op, param, in, (uint64_t)n_in | (uint64_t)n_out << 8, out);
}

/* Frames. pl_reserve_frame queues one frame of a type this plugin declared
 * (manifest `frame` line) needing about `bytes` bytes (at most 1024); the
 * scheduler later calls the plugin's write_frame[type] with `cookie` as the
 * frame, a packet handle and a writable buffer of at least `bytes` bytes
 * (writing nothing, or failing, drops the frame as never sent), and
 * notify_frame[type] with the frame's fate (PL_FATE_*: acked, lost,
 * discarded with its packet space, or never sent, when the sent-packet
 * handle is 0). Returns 0, PL_ERR_LIMIT (queue full) or PL_ERR_INVAL. */
uint64_t pl_reserve_frame(uint64_t type, uint64_t bytes, uint64_t cookie);

/* Delivers a message (copied) to the application's plugin message
 * callback. At most 4096 bytes. */
uint64_t pl_push_message(const void *data, uint64_t len);

/* Time (us, the time of the call the connection is processing), random
 * bytes from the endpoint's generator, and a log line (a NUL-terminated
 * string of at most 255 bytes) in the host's log. */
uint64_t pl_now(void);
uint64_t pl_random(void *buf, uint64_t len);
uint64_t pl_log(const char *msg);

/* Connection IDs that name the connection for its whole life: the source
 * CID of this end's first Initial, of the peer's (known once its first
 * packet arrived), and the client's first destination CID. Copies the CID
 * into buf (PL_CID_MAX bytes always suffice) and returns its length (0:
 * not known yet), or PL_ERR_INVAL for an unknown `which` or a buffer
 * shorter than the CID. Both ends name a connection alike with the
 * client's Initial SCID: LOCAL_INITIAL on the client, PEER_INITIAL on the
 * server. */
#define PL_CID_LOCAL_INITIAL 0
#define PL_CID_PEER_INITIAL 1
#define PL_CID_ORIGINAL_DCID 2
#define PL_CID_MAX 20
uint64_t pl_get_cid(uint64_t which, void *buf, uint64_t len);

#ifdef __cplusplus
}
#endif
#endif
