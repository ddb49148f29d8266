/* Per-endpoint plugin state: the cache of loaded plugins (by bundle
 * hash), the helper table, settings, injected plugins, the message
 * callback; and the hooks the connection core calls. */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/log.h"
#include "plugin/plugin_int.h"

static int hook_cnx_new(pq_cnx *cnx);
static void hook_ep_free(pq_endpoint *ep);
static const char *hook_fault_detail(pq_cnx *cnx);

const pq_plugin_hooks pq_pl_hooks = {
    .cnx_new = hook_cnx_new,
    .ep_free = hook_ep_free,
    .cnx_free = pq_pl_cnx_free,
    .cnx_drop = pq_pl_cnx_drop,
    .frame_props = pq_pl_frame_props,
    .has_pending = pq_pl_has_pending,
    .write_frames = pq_pl_write_frames,
    .fault_detail = hook_fault_detail,
};

void pquic_plugin_settings_init(pquic_plugin_settings *s) {
  if (!s)
    return;
  memset(s, 0, sizeof *s);
  s->budget = PQ_PL_DEFAULT_BUDGET;
  s->stream_share = 50;
  s->drr_quantum = 1200;
}

pq_pl_ep *pq_pl_ep_get(pq_endpoint *ep) {
  if (ep->pl)
    return (pq_pl_ep *)ep->pl;
  pq_pl_ep *e = pq_calloc(1, sizeof *e);
  if (!e)
    return NULL;
  e->helpers = pq_bpf_helpers_new();
  if (!e->helpers || pq_pl_helpers_register(e->helpers)) {
    pq_bpf_helpers_del(e->helpers);
    pq_free(e);
    return NULL;
  }
  e->link.hooks = &pq_pl_hooks;
  e->ep = ep;
  pquic_plugin_settings_init(&e->settings);
  ep->pl = &e->link;
  return e;
}

static void hook_ep_free(pq_endpoint *ep) {
  pq_pl_ep *e = (pq_pl_ep *)ep->pl;
  while (e->cache) {
    struct pquic_plugin *p = e->cache;
    e->cache = p->next;
    pq_pl_plugin_free(p);
  }
  pq_bpf_helpers_del(e->helpers);
  pq_free(e);
  ep->pl = NULL;
}

static int hook_cnx_new(pq_cnx *cnx) {
  pq_pl_ep *e = (pq_pl_ep *)cnx->ep->pl;
  for (size_t i = 0; i < e->n_inject; i++) {
    char err[160];
    int rc = pq_pl_attach(cnx, e->inject[i], err, sizeof err);
    if (rc) {
      PQ_LOG(PQ_LOG_WARN, "plugin %s not injected: %s", e->inject[i]->mf.name, err);
      return rc;
    }
  }
  return 0;
}

static const char *hook_fault_detail(pq_cnx *cnx) {
  pq_pl_cnx *pc = pq_pl_cnx_of(cnx);
  return pc ? pc->fault : "";
}

int pquic_endpoint_plugin_settings(pquic_endpoint *ep, const pquic_plugin_settings *s) {
  if (!ep || !s || s->budget == 0 || s->stream_share > 100 || s->drr_quantum == 0)
    return PQUIC_ERR_INVAL;
  pq_pl_ep *e = pq_pl_ep_get(ep);
  if (!e)
    return PQUIC_ERR_NOMEM;
  e->settings = *s;
  return 0;
}

int pquic_endpoint_plugin_messages(pquic_endpoint *ep, pquic_plugin_message_fn fn, void *user) {
  if (!ep)
    return PQUIC_ERR_INVAL;
  pq_pl_ep *e = pq_pl_ep_get(ep);
  if (!e)
    return PQUIC_ERR_NOMEM;
  e->on_message = fn;
  e->message_user = user;
  return 0;
}

int pquic_plugin_load(pquic_endpoint *ep, const uint8_t *bundle, size_t len, pquic_plugin **out,
                      char *err, size_t errlen) {
  if (err && errlen)
    err[0] = 0;
  if (!ep || !bundle || !out)
    return PQUIC_ERR_INVAL;
  pq_pl_ep *e = pq_pl_ep_get(ep);
  if (!e)
    return PQUIC_ERR_NOMEM;
  return pq_pl_load_bundle(e, bundle, len, out, err, errlen);
}

/* Reads a whole file (at most max bytes) into a pq_malloc'd buffer. */
int pq_pl_read_file(const char *path, size_t max, uint8_t **out, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return PQUIC_ERR_IO;
  uint8_t *buf = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? 2 * cap : 65536;
      if (cap > max + 1)
        cap = max + 1;
      uint8_t *nb = pq_realloc(buf, cap);
      if (!nb) {
        rc = PQUIC_ERR_NOMEM;
        break;
      }
      buf = nb;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) {
      if (ferror(f))
        rc = PQUIC_ERR_IO;
      break;
    }
    if (n > max) {
      rc = PQUIC_ERR_LIMIT;
      break;
    }
  }
  fclose(f);
  if (rc) {
    pq_free(buf);
    return rc;
  }
  *out = buf;
  *len = n;
  return 0;
}

int pquic_plugin_load_file(pquic_endpoint *ep, const char *path, pquic_plugin **out, char *err,
                           size_t errlen) {
  if (!path)
    return PQUIC_ERR_INVAL;
  uint8_t *data;
  size_t len;
  int rc = pq_pl_read_file(path, 64u << 20, &data, &len);
  if (rc) {
    if (err && errlen)
      snprintf(err, errlen, "%s: %s", path, pquic_strerror(rc));
    return rc == PQUIC_ERR_LIMIT ? PQUIC_ERR_BUNDLE : rc;
  }
  rc = pquic_plugin_load(ep, data, len, out, err, errlen);
  pq_free(data);
  return rc;
}

int pquic_plugin_inject(pquic_endpoint *ep, pquic_plugin *p) {
  if (!ep || !p || !ep->pl || p->ep != (pq_pl_ep *)ep->pl)
    return PQUIC_ERR_INVAL;
  pq_pl_ep *e = (pq_pl_ep *)ep->pl;
  for (size_t i = 0; i < e->n_inject; i++) {
    if (e->inject[i] == p || strcmp(e->inject[i]->mf.name, p->mf.name) == 0)
      return PQUIC_ERR_EXISTS;
  }
  if (e->n_inject == PQ_MAX_PLUGINS)
    return PQUIC_ERR_LIMIT;
  e->inject[e->n_inject++] = p;
  return 0;
}
