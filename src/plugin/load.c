/* Loading a plugin: bundle, manifest, objects verified and compiled,
 * pluglets resolved to entry points and operation ids, region layout. The
 * result is immutable and shared by every connection of the endpoint. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "plugin/bundle.h"
#include "plugin/plugin_int.h"

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int code, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return code;
}

void pq_pl_plugin_free(struct pquic_plugin *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->n_progs; i++)
    pq_bpf_prog_del(p->progs[i]);
  pq_free(p->pluglets);
  pq_manifest_free(&p->mf);
  pq_free(p);
}

static const char *anchor_name(int a) {
  static const char *const names[] = {"replace", "pre", "post", "external"};
  return a >= 0 && a < 4 ? names[a] : "?";
}

/* Operation ids, parameters and anchors that make sense. */
static int resolve_ops(pq_pl_ep *e, struct pquic_plugin *p, char *err, size_t errlen) {
  for (size_t i = 0; i < p->n_pluglets; i++) {
    const pq_mf_pluglet *m = &p->mf.pluglets[i];
    pq_pl_pluglet *pl = &p->pluglets[i];
    uint32_t id;
    int rc = pq_op_lookup(&e->ep->registry, m->op, &id);
    /* Observers without a parameter watch every value of a parameterized
     * operation; anything else must agree with the operation's kind. */
    int generic = rc == 0 && !m->has_param && pq_op_is_param(&e->ep->registry, id) &&
                  (m->anchor == PQ_MF_PRE || m->anchor == PQ_MF_POST);
    if (!generic)
      rc = pq_op_intern(&e->ep->registry, m->op, m->has_param, &id);
    if (rc == PQUIC_ERR_INVAL)
      return fail(err, errlen, PQUIC_ERR_PLUGIN, "manifest line %u: operation %s %s", m->line,
                  m->op, m->has_param ? "takes no parameter" : "needs a parameter");
    if (rc)
      return fail(err, errlen, rc, "manifest line %u: operation %s: %s", m->line, m->op,
                  pquic_strerror(rc));
    if (id < PQ_OP_CORE_COUNT && m->anchor == PQ_MF_EXTERNAL)
      return fail(err, errlen, PQUIC_ERR_PLUGIN,
                  "manifest line %u: %s is a built-in operation; external anchors declare new "
                  "ones",
                  m->line, m->op);
    pl->op_id = id;
    pl->kinds = pq_pl_op_kinds(id);
    pl->has_param = m->has_param;
    pl->param = m->param;
    pl->anchor = m->anchor;
    pl->obj = m->obj;
    pl->line = m->line;
  }
  return 0;
}

/* A frame type the plugin declares must come with the operations that
 * make it work: parse_frame and process_frame for receiving. */
static int check_frames(const struct pquic_plugin *p, char *err, size_t errlen) {
  for (size_t f = 0; f < p->mf.n_frames; f++) {
    uint64_t type = p->mf.frames[f].type;
    int parse = 0, process = 0;
    for (size_t i = 0; i < p->n_pluglets; i++) {
      const pq_pl_pluglet *pl = &p->pluglets[i];
      if (!pl->has_param || pl->param != type || pl->anchor != PQUIC_ANCHOR_REPLACE)
        continue;
      parse |= pl->op_id == PQ_OP_parse_frame;
      process |= pl->op_id == PQ_OP_process_frame;
    }
    if (!parse || !process)
      return fail(err, errlen, PQUIC_ERR_PLUGIN,
                  "frame 0x%llx: the plugin must replace parse_frame and process_frame with "
                  "param 0x%llx",
                  (unsigned long long)type, (unsigned long long)type);
  }
  return 0;
}

/* Region layout: globals, heap, stacks. */
static int layout(struct pquic_plugin *p, size_t globals, char *err, size_t errlen) {
  p->memory = p->mf.memory;
  p->globals = (uint32_t)globals;
  if (globals + PQ_PL_STACK + 1024 > p->memory)
    return fail(err, errlen, PQUIC_ERR_PLUGIN,
                "memory %u bytes is too small: globals take %zu, stacks %u, and the heap needs "
                "at least 1024",
                p->memory, globals, PQ_PL_STACK);
  p->stack_lo = p->memory - PQ_PL_STACK;
  return 0;
}

static size_t align16(size_t v) {
  return (v + 15) & ~(size_t)15;
}

/* Loads every object and finds each pluglet's entry point. */
static int load_objects(pq_pl_ep *e, struct pquic_plugin *p, const pq_bundle *b, char *err,
                        size_t errlen) {
  size_t off = 0;
  for (size_t i = 0; i < p->mf.n_objects; i++) {
    const pq_bundle_object *o = pq_bundle_find(b, p->mf.objects[i]);
    if (!o)
      return fail(err, errlen, PQUIC_ERR_BUNDLE, "object %s missing from the bundle",
                  p->mf.objects[i]);
    pq_bpf_diag diag;
    memset(&diag, 0, sizeof diag);
    /* inline_user: the inliners guard reads with this plugin's deny bits */
    pq_bpf_load_opts opts = {.helpers = e->helpers,
                             .globals_offset = off,
                             .flags = e->settings.interpreter ? 0u : PQ_BPF_LOAD_JIT,
                             .diag = &diag,
                             .inline_user = p};
    int rc = pq_bpf_load_elf(o->data, o->len, &opts, &p->progs[i]);
    if (rc)
      return fail(err, errlen, rc, "object %s: %s", o->name,
                  diag.msg[0] ? diag.msg : pquic_strerror(rc));
    p->n_progs = i + 1;
    off = align16(off + pq_bpf_prog_globals_size(p->progs[i]));
    if (off > PQ_MF_MAX_MEMORY)
      return fail(err, errlen, PQUIC_ERR_PLUGIN, "globals larger than the largest region");
  }
  for (size_t i = 0; i < p->n_pluglets; i++) {
    const pq_mf_pluglet *m = &p->mf.pluglets[i];
    const pq_bpf_prog *prog = p->progs[m->obj];
    int entry = pq_bpf_prog_entry(prog, m->fn);
    if (entry < 0 || !pq_bpf_prog_entry_global(prog, (size_t)entry))
      return fail(err, errlen, PQUIC_ERR_PLUGIN,
                  "manifest line %u: no global function %s in object %s", m->line, m->fn,
                  p->mf.objects[m->obj]);
    if (pq_bpf_prog_stack_size(prog, (size_t)entry) > PQ_PL_STACK / 2)
      return fail(err, errlen, PQUIC_ERR_PLUGIN, "manifest line %u: %s needs %zu bytes of stack",
                  m->line, m->fn, pq_bpf_prog_stack_size(prog, (size_t)entry));
    p->pluglets[i].entry = entry;
  }
  return layout(p, off, err, errlen);
}

static struct pquic_plugin *cache_find(pq_pl_ep *e, const uint8_t hash[32]) {
  for (struct pquic_plugin *p = e->cache; p; p = p->next) {
    if (memcmp(p->hash, hash, 32) == 0)
      return p;
  }
  return NULL;
}

/* Everything after the manifest is parsed; p is freed by the caller on
 * error. */
static int finish(pq_pl_ep *e, struct pquic_plugin *p, char *err, size_t errlen) {
  p->ep = e;
  p->n_pluglets = p->mf.n_pluglets;
  p->pluglets = pq_calloc(p->n_pluglets, sizeof *p->pluglets);
  if (!p->pluglets)
    return fail(err, errlen, PQUIC_ERR_NOMEM, "out of memory");
  int rc = resolve_ops(e, p, err, errlen);
  if (!rc)
    rc = check_frames(p, err, errlen);
  return rc;
}

int pq_pl_load_bundle(pq_pl_ep *e, const uint8_t *data, size_t len, struct pquic_plugin **out,
                      char *err, size_t errlen) {
  pq_bundle b;
  int rc = pq_bundle_parse(data, len, &b, err, errlen);
  if (rc)
    return rc;
  struct pquic_plugin *p = cache_find(e, b.hash);
  if (p) {
    pq_bundle_free(&b);
    *out = p;
    return 0;
  }
  p = pq_calloc(1, sizeof *p);
  if (!p) {
    pq_bundle_free(&b);
    return fail(err, errlen, PQUIC_ERR_NOMEM, "out of memory");
  }
  memcpy(p->hash, b.hash, 32);
  char merr[160];
  rc = pq_manifest_parse(b.manifest, b.manifest_len, &p->mf, merr, sizeof merr);
  if (rc)
    fail(err, errlen, rc, "manifest %s", merr);
  if (!rc)
    rc = finish(e, p, err, errlen);
  if (!rc)
    rc = load_objects(e, p, &b, err, errlen);
  pq_bundle_free(&b);
  if (rc) {
    pq_pl_plugin_free(p);
    return rc;
  }
  p->next = e->cache;
  e->cache = p;
  *out = p;
  return 0;
}

static pq_pl_native_fn native_lookup(const pquic_native_plugin *np, const char *obj,
                                     const char *fn) {
  for (size_t i = 0; i < np->n_functions; i++) {
    const pquic_native_function *f = &np->functions[i];
    if (f->object && f->function && strcmp(f->object, obj) == 0 && strcmp(f->function, fn) == 0)
      return f->fn;
  }
  return NULL;
}

int pquic_plugin_load_native(pquic_endpoint *ep, const pquic_native_plugin *np, pquic_plugin **out,
                             char *err, size_t errlen) {
  if (!ep || !np || !np->manifest || !out || (np->n_functions && !np->functions))
    return fail(err, errlen, PQUIC_ERR_INVAL, "invalid arguments");
  pq_pl_ep *e = pq_pl_ep_get(ep);
  if (!e)
    return fail(err, errlen, PQUIC_ERR_NOMEM, "out of memory");
  /* Identity: the manifest, marked native so it never equals a bundle's. */
  size_t mlen = strlen(np->manifest);
  uint8_t *tagged = pq_malloc(mlen + 7);
  uint8_t hash[32];
  if (!tagged)
    return fail(err, errlen, PQUIC_ERR_NOMEM, "out of memory");
  memcpy(tagged, "native", 7);
  memcpy(tagged + 7, np->manifest, mlen);
  int rc = pq_sha256(tagged, mlen + 7, hash);
  pq_free(tagged);
  if (rc)
    return fail(err, errlen, rc, "hashing failed");
  struct pquic_plugin *p = cache_find(e, hash);
  if (p) {
    *out = p;
    return 0;
  }
  p = pq_calloc(1, sizeof *p);
  if (!p)
    return fail(err, errlen, PQUIC_ERR_NOMEM, "out of memory");
  memcpy(p->hash, hash, 32);
  p->native = 1;
  char merr[160];
  rc = pq_manifest_parse(np->manifest, mlen, &p->mf, merr, sizeof merr);
  if (rc)
    fail(err, errlen, rc, "manifest %s", merr);
  if (!rc)
    rc = finish(e, p, err, errlen);
  for (size_t i = 0; !rc && i < p->n_pluglets; i++) {
    const pq_mf_pluglet *m = &p->mf.pluglets[i];
    p->pluglets[i].native = native_lookup(np, p->mf.objects[m->obj], m->fn);
    if (!p->pluglets[i].native)
      rc = fail(err, errlen, PQUIC_ERR_PLUGIN, "manifest line %u: no native function %s of %s",
                m->line, m->fn, p->mf.objects[m->obj]);
  }
  if (!rc)
    rc = layout(p, 0, err, errlen);
  if (rc) {
    pq_pl_plugin_free(p);
    return rc;
  }
  p->next = e->cache;
  e->cache = p;
  *out = p;
  return 0;
}

const char *pq_pl_anchor_name(int a) {
  return anchor_name(a);
}
