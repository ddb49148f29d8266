/* Public plugin functions that need no connection: policy, information,
 * bundle tools for the command line. */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "plugin/bundle.h"
#include "plugin/plugin_int.h"

int pquic_plugin_deny_field(pquic_plugin *p, uint32_t field) {
  if (!p || !pq_pl_field_exists(field) || (field & 0xff) >= 64)
    return PQUIC_ERR_INVAL;
  p->deny[(field >> 8) & 7] |= 1ull << (field & 63);
  return 0;
}

void pquic_plugin_get_info(const pquic_plugin *p, pquic_plugin_info *info) {
  if (!p || !info)
    return;
  memset(info, 0, sizeof *info);
  info->name = p->mf.name;
  memcpy(info->hash, p->hash, 32);
  info->native = p->native;
  info->memory = p->memory;
  info->globals = p->globals;
  info->n_pluglets = p->n_pluglets;
  info->n_objects = p->mf.n_objects;
  info->n_frames = p->mf.n_frames;
  info->jit = p->n_progs > 0;
  for (size_t i = 0; i < p->n_progs; i++) {
    info->instructions += pq_bpf_prog_insn_count(p->progs[i]);
    info->jit &= pq_bpf_prog_has_jit(p->progs[i]);
  }
}

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

int pquic_plugin_bundle_files(const char *manifest_path, const char *const *objects, size_t n,
                              uint8_t **out, size_t *out_len, char *err, size_t errlen) {
  if (err && errlen)
    err[0] = 0;
  if (!manifest_path || !out || !out_len || (n && !objects) || n > PQ_MF_MAX_OBJECTS) {
    if (err && errlen)
      snprintf(err, errlen, "invalid arguments (at most %d objects)", PQ_MF_MAX_OBJECTS);
    return PQUIC_ERR_INVAL;
  }
  uint8_t *manifest = NULL, *data[PQ_MF_MAX_OBJECTS] = {0};
  size_t mlen = 0;
  pq_bundle_object objs[PQ_MF_MAX_OBJECTS];
  memset(objs, 0, sizeof objs);
  int rc = pq_pl_read_file(manifest_path, PQ_MF_MAX_TEXT, &manifest, &mlen);
  const char *failed = manifest_path;
  for (size_t i = 0; !rc && i < n; i++) {
    const char *name = base_name(objects[i]);
    failed = objects[i];
    if (strlen(name) > PQ_MF_NAME_MAX) {
      rc = PQUIC_ERR_BUNDLE;
      break;
    }
    snprintf(objs[i].name, sizeof objs[i].name, "%s", name);
    rc = pq_pl_read_file(objects[i], PQ_BUNDLE_MAX_OBJECT, &data[i], &objs[i].len);
    objs[i].data = data[i];
  }
  if (rc) {
    if (err && errlen)
      snprintf(err, errlen, "%s: %s", failed,
               rc == PQUIC_ERR_LIMIT ? "too large" : pquic_strerror(rc));
    if (rc == PQUIC_ERR_LIMIT)
      rc = PQUIC_ERR_BUNDLE;
  } else {
    rc = pq_bundle_build((const char *)manifest, mlen, objs, n, out, out_len, err, errlen);
  }
  pq_free(manifest);
  for (size_t i = 0; i < n; i++)
    pq_free(data[i]);
  return rc;
}

void pquic_plugin_free_buffer(uint8_t *buf) {
  pq_free(buf);
}

int pquic_plugin_verify(const uint8_t *bundle, size_t len, pquic_plugin_info *info, char *err,
                        size_t errlen) {
  /* A throwaway endpoint owns the plugin: the same path as a real load. */
  static _Thread_local char name[PQ_MF_NAME_MAX + 1];
  pquic_config cfg;
  pquic_config_init(&cfg);
  pquic_endpoint *ep;
  int rc = pquic_endpoint_new(&cfg, &ep);
  if (rc)
    return rc;
  pquic_plugin *p;
  rc = pquic_plugin_load(ep, bundle, len, &p, err, errlen);
  if (!rc && info) {
    pquic_plugin_get_info(p, info);
    snprintf(name, sizeof name, "%s", p->mf.name);
    info->name = name;
  }
  pquic_endpoint_free(ep);
  return rc;
}

int pquic_plugin_bundle_contents(const uint8_t *bundle, size_t len, char *manifest, size_t cap,
                                 void (*fn)(const char *object, size_t size, void *user),
                                 void *user) {
  pq_bundle b;
  int rc = pq_bundle_parse(bundle, len, &b, NULL, 0);
  if (rc)
    return rc;
  if (manifest && cap) {
    size_t n = b.manifest_len < cap - 1 ? b.manifest_len : cap - 1;
    memcpy(manifest, b.manifest, n);
    manifest[n] = 0;
  }
  for (size_t i = 0; fn && i < b.n_objects; i++)
    fn(b.objects[i].name, b.objects[i].len, user);
  pq_bundle_free(&b);
  return 0;
}
