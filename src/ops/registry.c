/* Interning of operation names: core names have fixed ids, names added by
 * plugins get the next free id of their endpoint. Comparison is exact. */
#include <string.h>

#include "common/alloc.h"
#include "ops/ops.h"

#define PQ_OP_NAME_MAX 64

void pq_op_registry_init(pq_op_registry *r) { memset(r, 0, sizeof *r); }

void pq_op_registry_free(pq_op_registry *r) {
  for (uint32_t i = 0; i < r->n_extra; i++)
    pq_free(r->extra[i]);
  pq_free(r->extra);
  pq_free(r->extra_param);
  memset(r, 0, sizeof *r);
}

int pq_op_lookup(const pq_op_registry *r, const char *name, uint32_t *id) {
  if (!name)
    return PQUIC_ERR_OP_UNKNOWN;
  for (uint32_t i = 0; i < PQ_OP_CORE_COUNT; i++) {
    if (strcmp(pq_op_core_info(i)->name, name) == 0) {
      *id = i;
      return 0;
    }
  }
  for (uint32_t i = 0; r && i < r->n_extra; i++) {
    if (strcmp(r->extra[i], name) == 0) {
      *id = PQ_OP_CORE_COUNT + i;
      return 0;
    }
  }
  return PQUIC_ERR_OP_UNKNOWN;
}

int pq_op_is_param(const pq_op_registry *r, uint32_t id) {
  if (id < PQ_OP_CORE_COUNT)
    return pq_op_core_info(id)->parameterized;
  id -= PQ_OP_CORE_COUNT;
  return r && id < r->n_extra ? r->extra_param[id] : 0;
}

const char *pq_op_name(const pq_op_registry *r, uint32_t id) {
  if (id < PQ_OP_CORE_COUNT)
    return pq_op_core_info(id)->name;
  id -= PQ_OP_CORE_COUNT;
  return r && id < r->n_extra ? r->extra[id] : "?";
}

/* Names are identifiers: letters, digits, '_', '.', '-'. */
static int valid_name(const char *name) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n > PQ_OP_NAME_MAX)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '.' || c == '-';
    if (!ok)
      return 0;
  }
  return 1;
}

int pq_op_intern(pq_op_registry *r, const char *name, int param, uint32_t *id) {
  if (!valid_name(name))
    return PQUIC_ERR_INVAL;
  if (pq_op_lookup(r, name, id) == 0)
    return pq_op_is_param(r, *id) == (param != 0) ? 0 : PQUIC_ERR_INVAL;
  if (r->n_extra >= PQ_OP_MAX_EXTRA)
    return PQUIC_ERR_LIMIT;
  if (r->n_extra == r->cap_extra) {
    uint32_t cap = r->cap_extra ? 2 * r->cap_extra : 8;
    char **names = pq_realloc(r->extra, cap * sizeof *names);
    if (!names)
      return PQUIC_ERR_NOMEM;
    r->extra = names;
    uint8_t *params = pq_realloc(r->extra_param, cap);
    if (!params)
      return PQUIC_ERR_NOMEM;
    r->extra_param = params;
    r->cap_extra = cap;
  }
  size_t len = strlen(name) + 1;
  char *copy = pq_malloc(len);
  if (!copy)
    return PQUIC_ERR_NOMEM;
  memcpy(copy, name, len);
  r->extra[r->n_extra] = copy;
  r->extra_param[r->n_extra] = param != 0;
  *id = PQ_OP_CORE_COUNT + r->n_extra++;
  return 0;
}
