/* Helper registry: names to stable ids to C functions and their inliners. */
#include <string.h>

#include "common/alloc.h"
#include "pre/jit.h"
#include "pre/prog.h"

#define NAME_MAX_LEN 63

typedef struct helper {
  pq_bpf_helper_fn fn;
  pq_bpf_inliner_fn inliner;
  uint8_t nargs; /* arguments it reads */
  char name[NAME_MAX_LEN + 1];
} helper;

/* Dense by id: registries are small and ids are small integers. */
struct pq_bpf_helpers {
  helper *by_id;
  uint32_t len; /* entries in by_id */
};

pq_bpf_helpers *pq_bpf_helpers_new(void) {
  return pq_calloc(1, sizeof(pq_bpf_helpers));
}

void pq_bpf_helpers_del(pq_bpf_helpers *h) {
  if (!h)
    return;
  pq_free(h->by_id);
  pq_free(h);
}

int pq_bpf_helpers_find(const pq_bpf_helpers *h, const char *name) {
  if (!h || !name)
    return PQUIC_ERR_NOT_FOUND;
  for (uint32_t i = 0; i < h->len; i++)
    if (h->by_id[i].fn && strcmp(h->by_id[i].name, name) == 0)
      return (int)i;
  return PQUIC_ERR_NOT_FOUND;
}

int pq_bpf_helpers_add(pq_bpf_helpers *h, uint32_t id, const char *name, pq_bpf_helper_fn fn) {
  if (!h || !name || !fn || id > PQ_BPF_MAX_HELPER_ID)
    return PQUIC_ERR_INVAL;
  size_t n = strlen(name);
  if (n == 0 || n > NAME_MAX_LEN)
    return PQUIC_ERR_INVAL;
  if ((id < h->len && h->by_id[id].fn) || pq_bpf_helpers_find(h, name) >= 0)
    return PQUIC_ERR_EXISTS;
  if (id >= h->len) {
    helper *b = pq_realloc(h->by_id, (size_t)(id + 1) * sizeof(helper));
    if (!b)
      return PQUIC_ERR_NOMEM;
    memset(b + h->len, 0, (size_t)(id + 1 - h->len) * sizeof(helper));
    h->by_id = b;
    h->len = id + 1;
  }
  h->by_id[id].fn = fn;
  h->by_id[id].nargs = 5;
  memcpy(h->by_id[id].name, name, n + 1);
  return 0;
}

const char *pq_bpf_helpers_name(const pq_bpf_helpers *h, uint32_t id) {
  if (!h || id >= h->len || !h->by_id[id].fn)
    return NULL;
  return h->by_id[id].name;
}

pq_bpf_helper_fn pq_bpf_helpers_fn(const pq_bpf_helpers *h, uint32_t id) {
  if (!h || id >= h->len)
    return NULL;
  return h->by_id[id].fn;
}

int pq_bpf_helpers_set_inliner(pq_bpf_helpers *h, uint32_t id, pq_bpf_inliner_fn fn) {
  if (!h || id >= h->len || !h->by_id[id].fn)
    return PQUIC_ERR_INVAL;
  h->by_id[id].inliner = fn;
  return 0;
}

int pq_bpf_helpers_set_args(pq_bpf_helpers *h, uint32_t id, unsigned nargs) {
  if (!h || id >= h->len || !h->by_id[id].fn || nargs > 5)
    return PQUIC_ERR_INVAL;
  h->by_id[id].nargs = (uint8_t)nargs;
  return 0;
}

static int plain(const helper *e) {
  return !e->inliner && e->nargs == 5;
}

int pq_bpf_helpers_copy_jit(pq_bpf_prog *p, const pq_bpf_helpers *h, void *user) {
  int any = 0;
  for (size_t i = 0; h && i < p->nhelpers_used; i++)
    any |= p->helpers_used[i] < h->len && !plain(&h->by_id[p->helpers_used[i]]);
  if (!any)
    return 0; /* the common case: nothing to allocate */
  p->helper_jit = pq_calloc(p->helper_fn_len, sizeof(pq_bpf_helper_jit));
  if (!p->helper_jit)
    return PQUIC_ERR_NOMEM;
  for (size_t i = 0; i < p->nhelpers_used; i++) {
    uint32_t id = p->helpers_used[i];
    const helper *e = id < h->len ? &h->by_id[id] : NULL;
    p->helper_jit[id] = (pq_bpf_helper_jit){e ? e->inliner : NULL, e ? e->nargs : 5};
  }
  p->inline_user = user;
  return 0;
}

size_t pq_bpf_prog_helpers_inlined(const pq_bpf_prog *p) {
  return p ? pq_jit_inlined(p->jit) : 0;
}
