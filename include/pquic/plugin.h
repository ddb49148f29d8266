/*
 * pquic/plugin.h - bytecode plugins, seen from an application.
 *
 * A plugin (docs/plugins.md) is a bundle NAME.pqp: a manifest and eBPF
 * objects, identified by the SHA-256 of the file. An application loads a
 * bundle into an endpoint once: the bundle is parsed, every object verified
 * and compiled, every operation name resolved, and the result kept in the
 * endpoint's cache under its hash (loading the same bundle again returns
 * the cached plugin). Attaching a cached plugin to a connection then only
 * allocates the plugin's memory region (of the manifest's size) and hooks
 * its pluglets into the connection's operation table, all or nothing.
 *
 * A plugin that misbehaves on a connection (memory fault, exhausted
 * instruction budget, bad helper argument, a setter called by an observer,
 * an operation loop) is removed from that connection together with every
 * other plugin of it, the application gets PQUIC_EVENT_OP_FAULT (err: the
 * fault's code, reason: which plugin, operation and instruction) and the
 * connection closes with INTERNAL_ERROR. Other connections go on.
 *
 * Plugins talk to the application through `external` operations
 * (pquic_plugin_call in pquic/ops.h) and push_message, delivered to the
 * message callback below and as PQUIC_EVENT_PLUGIN_MESSAGE (data, len;
 * reason: the plugin's name).
 */
#ifndef PQUIC_PLUGIN_API_H
#define PQUIC_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#include "pquic/pquic.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pquic_plugin pquic_plugin;

/* Endpoint-wide plugin policy. */
typedef struct pquic_plugin_settings {
  uint64_t budget;       /* instructions (interpreter) / back-edges and calls (JIT)
                            per pluglet run; default 1000000 */
  uint32_t stream_share; /* percent of the congestion window kept for stream data
                            while the application has data to send (class-based
                            queuing); plugin frames share the rest; default 50 */
  uint32_t drr_quantum;  /* bytes a plugin's deficit grows by per round; default 1200 */
  int interpreter;       /* run bytecode in the interpreter instead of the JIT */
} pquic_plugin_settings;

void pquic_plugin_settings_init(pquic_plugin_settings *s);
/* Applies to pluglet runs from now on. Errors: PQUIC_ERR_INVAL (share over
 * 100, zero budget or quantum), PQUIC_ERR_NOMEM. */
int pquic_endpoint_plugin_settings(pquic_endpoint *ep, const pquic_plugin_settings *s);

/* Receives every push_message of every plugin on the endpoint's
 * connections. `plugin` is the plugin's name. */
typedef void (*pquic_plugin_message_fn)(pquic_cnx *cnx, const char *plugin, const uint8_t *data,
                                        size_t len, void *user);
int pquic_endpoint_plugin_messages(pquic_endpoint *ep, pquic_plugin_message_fn fn, void *user);

/* Loads a bundle into the endpoint's cache, or finds it there (same hash).
 * The plugin lives as long as the endpoint. `err` (optional) says what is
 * wrong: "object ping.o: insn 12: ..." or "manifest line 3: ...".
 * Errors: PQUIC_ERR_BUNDLE, PQUIC_ERR_MANIFEST, PQUIC_ERR_ELF,
 * PQUIC_ERR_VERIFY, PQUIC_ERR_JIT, PQUIC_ERR_PLUGIN (a pluglet's function
 * missing, operation misuse, memory too small), PQUIC_ERR_INVAL,
 * PQUIC_ERR_NOMEM. */
int pquic_plugin_load(pquic_endpoint *ep, const uint8_t *bundle, size_t len, pquic_plugin **out,
                      char *err, size_t errlen);
/* The same from a file. Errors: those, and PQUIC_ERR_IO. */
int pquic_plugin_load_file(pquic_endpoint *ep, const char *path, pquic_plugin **out, char *err,
                           size_t errlen);

/* A native (trusted, in-process) plugin: the manifest's OBJECT FUNCTION
 * pairs resolve to C functions with the pluglet signature
 * `uint64_t fn(pl_args *args)` (the same sources as the bytecode build,
 * compiled with -DPQUIC_PLUGIN_NATIVE; the SDK generates this table). */
typedef uint64_t (*pquic_native_entry)(void *args);
typedef struct pquic_native_function {
  const char *object;
  const char *function;
  pquic_native_entry fn;
} pquic_native_function;
typedef struct pquic_native_plugin {
  const char *manifest;
  const pquic_native_function *functions;
  size_t n_functions;
} pquic_native_plugin;
/* Loads a native plugin (cached by the hash of its manifest). Errors:
 * PQUIC_ERR_MANIFEST, PQUIC_ERR_PLUGIN, PQUIC_ERR_INVAL, PQUIC_ERR_NOMEM. */
int pquic_plugin_load_native(pquic_endpoint *ep, const pquic_native_plugin *np, pquic_plugin **out,
                             char *err, size_t errlen);

/* Attaches a loaded plugin to one connection of its endpoint, all or
 * nothing: if one pluglet cannot attach (an operation another plugin
 * already replaced...), nothing is attached and `err` says which pluglet
 * and why. Errors: PQUIC_ERR_OP_REPLACED, PQUIC_ERR_EXISTS (a plugin of
 * that name is attached, or a frame type is taken), PQUIC_ERR_LIMIT,
 * PQUIC_ERR_STATE (closing connection, or called from inside a pluglet),
 * PQUIC_ERR_INVAL, PQUIC_ERR_NOMEM. */
int pquic_plugin_attach(pquic_cnx *cnx, pquic_plugin *p, char *err, size_t errlen);
/* Removes a plugin from a connection (not from inside one of its
 * pluglets). Errors: PQUIC_ERR_NOT_FOUND, PQUIC_ERR_STATE. */
int pquic_plugin_detach(pquic_cnx *cnx, const char *name);
/* Attaches the plugin to every connection the endpoint creates from now
 * on (client and server). A connection whose plugins cannot all attach is
 * not created. Errors: PQUIC_ERR_EXISTS, PQUIC_ERR_LIMIT, PQUIC_ERR_INVAL. */
int pquic_plugin_inject(pquic_endpoint *ep, pquic_plugin *p);

/* Host policy: refuses a field (PQF_* of pquic_plugin.h) to this plugin on
 * every connection; a pluglet touching it faults (PQUIC_ERR_FIELD_DENIED).
 * Errors: PQUIC_ERR_INVAL (unknown field). */
int pquic_plugin_deny_field(pquic_plugin *p, uint32_t field);

typedef struct pquic_plugin_info {
  const char *name;
  uint8_t hash[32]; /* SHA-256 of the bundle (native: of "native\0" + manifest) */
  int native;
  uint32_t memory;  /* bytes of each connection's region */
  uint32_t globals; /* bytes of it taken by the objects' globals */
  size_t n_pluglets, n_objects, n_frames;
  size_t instructions; /* eBPF instruction slots, all objects */
  int jit;             /* compiled to machine code */
} pquic_plugin_info;
void pquic_plugin_get_info(const pquic_plugin *p, pquic_plugin_info *info);

/* The last plugin fault on a connection ("" if none): which plugin,
 * manifest line and what ("plugin org.x (manifest line 4): bounds fault
 * at insn 7: 8-byte write of 0x..."). Valid until the connection is
 * freed. */
const char *pquic_cnx_plugin_fault(const pquic_cnx *cnx);

/* Bytes of plugin memory a connection holds (regions of attached plugins). */
size_t pquic_cnx_plugin_memory(const pquic_cnx *cnx);

/* --- bundles (tools: `pquic plugin build|info|verify`) --- */

/* Builds a bundle from a manifest file and object files (each stored under
 * its base name). *out is malloc'd by the library (free with
 * pquic_plugin_free_buffer). Errors: PQUIC_ERR_IO, PQUIC_ERR_MANIFEST,
 * PQUIC_ERR_BUNDLE, PQUIC_ERR_NOMEM. */
int pquic_plugin_bundle_files(const char *manifest_path, const char *const *objects, size_t n,
                              uint8_t **out, size_t *out_len, char *err, size_t errlen);
void pquic_plugin_free_buffer(uint8_t *buf);

/* Parses, verifies and compiles a bundle without an endpoint, filling
 * `info` (name valid until the next call on the same thread). Errors: as
 * pquic_plugin_load. */
int pquic_plugin_verify(const uint8_t *bundle, size_t len, pquic_plugin_info *info, char *err,
                        size_t errlen);

/* The manifest text and object list of a bundle, for listings: calls
 * fn(object name, size, user) for each object and returns the manifest in
 * buf (NUL-terminated, truncated to cap). Errors: PQUIC_ERR_BUNDLE. */
int pquic_plugin_bundle_contents(const uint8_t *bundle, size_t len, char *manifest, size_t cap,
                                 void (*fn)(const char *object, size_t size, void *user),
                                 void *user);

/* The field reference (docs/fields.md) as Markdown, NUL-terminated, into
 * buf; returns its length (which may exceed cap: then truncated). */
size_t pquic_plugin_fields_markdown(char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
