/* Operation tables: the shared built-in one and per-connection copies that
 * carry pluglets. */
#include <string.h>

#include "common/alloc.h"
#include "ops/ops.h"

int pq_op_table_init_defaults(pq_op_table *t, const pq_op_default *defs, size_t n) {
  memset(t, 0, sizeof *t);
  t->entries = pq_calloc(PQ_OP_CORE_COUNT, sizeof *t->entries);
  if (!t->entries)
    return PQUIC_ERR_NOMEM;
  t->n_entries = PQ_OP_CORE_COUNT;
  t->typed = pq_calloc(PQ_OP_CORE_COUNT, sizeof *t->typed);
  if (!t->typed) {
    pq_free(t->entries);
    t->entries = NULL;
    return PQUIC_ERR_NOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    if (defs[i].id < PQ_OP_CORE_COUNT) {
      t->entries[defs[i].id].fn = defs[i].fn;
      t->typed[defs[i].id] = defs[i].typed;
    }
  }
  t->owns_typed = 1;
  t->plain = 1;
  return 0;
}

static void free_hooks(pq_op_hook *h) {
  while (h) {
    pq_op_hook *next = h->next;
    pq_free(h);
    h = next;
  }
}

static void free_entry_hooks(pq_op_entry *e) {
  free_hooks(e->pre);
  free_hooks(e->post);
  e->pre = e->post = NULL;
}

void pq_op_table_free(pq_op_table *t) {
  if (!t)
    return;
  for (uint32_t i = 0; i < t->n_entries; i++)
    free_entry_hooks(&t->entries[i]);
  for (size_t i = 0; i < t->n_pentries; i++)
    free_entry_hooks(&t->pentries[i].e);
  pq_free(t->entries);
  pq_free(t->pentries);
  if (t->owns_typed)
    pq_free(t->typed);
  memset(t, 0, sizeof *t);
}

static int copy_hooks(pq_op_hook **dst, const pq_op_hook *src) {
  *dst = NULL;
  pq_op_hook **tail = dst;
  for (; src; src = src->next) {
    pq_op_hook *h = pq_malloc(sizeof *h);
    if (!h)
      return PQUIC_ERR_NOMEM;
    *h = *src;
    h->next = NULL;
    *tail = h;
    tail = &h->next;
  }
  return 0;
}

static int copy_entry(pq_op_entry *dst, const pq_op_entry *src) {
  *dst = *src;
  dst->pre = dst->post = NULL;
  if (copy_hooks(&dst->pre, src->pre) || copy_hooks(&dst->post, src->post))
    return PQUIC_ERR_NOMEM;
  return 0;
}

int pq_op_table_clone(pq_op_table *dst, const pq_op_table *src) {
  memset(dst, 0, sizeof *dst);
  dst->entries = pq_calloc(src->n_entries, sizeof *dst->entries);
  if (!dst->entries)
    return PQUIC_ERR_NOMEM;
  dst->n_entries = src->n_entries;
  if (src->n_pentries) {
    dst->pentries = pq_calloc(src->n_pentries, sizeof *dst->pentries);
    if (!dst->pentries) {
      pq_op_table_free(dst);
      return PQUIC_ERR_NOMEM;
    }
    dst->cap_pentries = src->n_pentries;
  }
  for (uint32_t i = 0; i < src->n_entries; i++) {
    if (copy_entry(&dst->entries[i], &src->entries[i])) {
      pq_op_table_free(dst);
      return PQUIC_ERR_NOMEM;
    }
  }
  for (size_t i = 0; i < src->n_pentries; i++) {
    dst->pentries[i].id = src->pentries[i].id;
    dst->pentries[i].param = src->pentries[i].param;
    dst->n_pentries = i + 1;
    if (copy_entry(&dst->pentries[i].e, &src->pentries[i].e)) {
      pq_op_table_free(dst);
      return PQUIC_ERR_NOMEM;
    }
  }
  dst->plain = 0;
  dst->typed = src->typed;
  dst->owns_typed = 0;
  memcpy(dst->hooked, src->hooked, sizeof dst->hooked);
  return 0;
}

static int pcmp(uint32_t id, uint64_t param, const pq_op_pentry *p) {
  if (id != p->id)
    return id < p->id ? -1 : 1;
  if (param != p->param)
    return param < p->param ? -1 : 1;
  return 0;
}

/* Index of (id, param) in pentries, or where it would go (with *found 0). */
static size_t pfind(const pq_op_table *t, uint32_t id, uint64_t param, int *found) {
  size_t lo = 0, hi = t->n_pentries;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = pcmp(id, param, &t->pentries[mid]);
    if (c == 0) {
      *found = 1;
      return mid;
    }
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  *found = 0;
  return lo;
}

const pq_op_entry *pq_op_table_lookup(const pq_op_table *t, uint32_t id, uint64_t param) {
  if (t->n_pentries) {
    int found;
    size_t i = pfind(t, id, param, &found);
    if (found)
      return &t->pentries[i].e;
  }
  return &t->entries[id];
}

/* Makes room for op ids up to `id`. */
static int grow_entries(pq_op_table *t, uint32_t id) {
  if (id < t->n_entries)
    return 0;
  uint32_t n = id + 1;
  pq_op_entry *e = pq_realloc(t->entries, n * sizeof *e);
  if (!e)
    return PQUIC_ERR_NOMEM;
  memset(e + t->n_entries, 0, (n - t->n_entries) * sizeof *e);
  t->entries = e;
  t->n_entries = n;
  return 0;
}

/* The entry of (id, param) to modify, creating a parameter entry that
 * starts as a copy of the op's generic entry (without its hooks: hooks on a
 * generic entry apply to parameters without an entry of their own). */
static pq_op_entry *entry_for_update(pq_op_table *t, uint32_t id, int has_param,
                                     uint64_t param) {
  if (grow_entries(t, id))
    return NULL;
  if (!has_param)
    return &t->entries[id];
  int found;
  size_t i = pfind(t, id, param, &found);
  if (found)
    return &t->pentries[i].e;
  if (t->n_pentries == t->cap_pentries) {
    size_t cap = t->cap_pentries ? 2 * t->cap_pentries : 8;
    pq_op_pentry *p = pq_realloc(t->pentries, cap * sizeof *p);
    if (!p)
      return NULL;
    t->pentries = p;
    t->cap_pentries = cap;
  }
  memmove(&t->pentries[i + 1], &t->pentries[i], (t->n_pentries - i) * sizeof *t->pentries);
  t->n_pentries++;
  pq_op_pentry *pe = &t->pentries[i];
  memset(pe, 0, sizeof *pe);
  pe->id = id;
  pe->param = param;
  pe->e.fn = t->entries[id].fn; /* the built-in handles every parameter value */
  pe->e.present = 1;
  return &pe->e;
}

static int anchor_taken(const pq_op_table *t, const pq_op_attach *a) {
  if (a->anchor != PQUIC_ANCHOR_REPLACE && a->anchor != PQUIC_ANCHOR_EXTERNAL)
    return 0;
  if (a->id >= t->n_entries)
    return 0;
  const pq_op_entry *e = a->has_param ? pq_op_table_lookup(t, a->id, a->param) : &t->entries[a->id];
  if (a->has_param && e == &t->entries[a->id])
    return 0; /* no parameter entry yet: nothing replaced for this value */
  return e->replace_owner != 0 || e->external;
}

static int same_slot(const pq_op_attach *a, const pq_op_attach *b) {
  return a->id == b->id && a->has_param == b->has_param && (!a->has_param || a->param == b->param);
}

static int push_hook(pq_op_hook **list, const pq_op_attach *a, uint32_t owner) {
  pq_op_hook *h = pq_malloc(sizeof *h);
  if (!h)
    return PQUIC_ERR_NOMEM;
  *h = (pq_op_hook){a->fn, a->user, owner, NULL};
  while (*list)
    list = &(*list)->next; /* attach order is call order */
  *list = h;
  return 0;
}

/* Which core ops carry a pluglet (see pq_op_table.hooked). */
static void compute_hooked(pq_op_table *t) {
  memset(t->hooked, 0, sizeof t->hooked);
  for (uint32_t i = 0; i < t->n_entries && i < PQ_OP_CORE_COUNT; i++) {
    const pq_op_entry *e = &t->entries[i];
    t->hooked[i] = e->pre || e->post || e->replace_owner || e->external;
  }
  for (size_t i = 0; i < t->n_pentries; i++) {
    if (t->pentries[i].id < PQ_OP_CORE_COUNT)
      t->hooked[t->pentries[i].id] = 1;
  }
}

int pq_op_attach_group(pq_op_state *st, const pq_op_attach *list, size_t n, uint32_t owner,
                       size_t *bad) {
  /* Validate everything before touching the table: all or nothing. */
  for (size_t i = 0; i < n; i++) {
    if (!list[i].fn || list[i].anchor > PQUIC_ANCHOR_EXTERNAL) {
      if (bad)
        *bad = i;
      return PQUIC_ERR_INVAL;
    }
    if (anchor_taken(st->table, &list[i])) {
      if (bad)
        *bad = i;
      return PQUIC_ERR_OP_REPLACED;
    }
    int exclusive = list[i].anchor == PQUIC_ANCHOR_REPLACE || list[i].anchor == PQUIC_ANCHOR_EXTERNAL;
    for (size_t j = 0; exclusive && j < i; j++) {
      int other = list[j].anchor == PQUIC_ANCHOR_REPLACE || list[j].anchor == PQUIC_ANCHOR_EXTERNAL;
      if (other && same_slot(&list[i], &list[j])) {
        if (bad)
          *bad = i;
        return PQUIC_ERR_OP_REPLACED;
      }
    }
  }
  /* Work on a fresh copy so a failure half-way leaves the connection as it was. */
  pq_op_table *t = pq_malloc(sizeof *t);
  if (!t)
    return PQUIC_ERR_NOMEM;
  if (pq_op_table_clone(t, st->table)) {
    pq_free(t);
    return PQUIC_ERR_NOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    const pq_op_attach *a = &list[i];
    pq_op_entry *e = entry_for_update(t, a->id, a->has_param, a->param);
    int rc = e ? 0 : PQUIC_ERR_NOMEM;
    if (e && (a->anchor == PQUIC_ANCHOR_REPLACE || a->anchor == PQUIC_ANCHOR_EXTERNAL)) {
      e->fn = a->fn;
      e->user = a->user;
      e->replace_owner = owner;
      e->external = a->anchor == PQUIC_ANCHOR_EXTERNAL;
    } else if (e) {
      rc = push_hook(a->anchor == PQUIC_ANCHOR_PRE ? &e->pre : &e->post, a, owner);
    }
    if (rc) {
      pq_op_table_free(t);
      pq_free(t);
      return rc;
    }
  }
  if (st->own) {
    pq_op_table_free(st->own);
    pq_free(st->own);
  }
  compute_hooked(t);
  st->own = t;
  st->table = t;
  return 0;
}

static void drop_owner_hooks(pq_op_hook **list, uint32_t owner) {
  while (*list) {
    if ((*list)->owner == owner) {
      pq_op_hook *dead = *list;
      *list = dead->next;
      pq_free(dead);
    } else {
      list = &(*list)->next;
    }
  }
}

static void drop_owner(pq_op_entry *e, pq_op_fn builtin, uint32_t owner) {
  if (e->replace_owner == owner) {
    e->fn = builtin;
    e->user = NULL;
    e->replace_owner = 0;
    e->external = 0;
  }
  drop_owner_hooks(&e->pre, owner);
  drop_owner_hooks(&e->post, owner);
}

void pq_op_detach_group(pq_op_state *st, uint32_t owner) {
  pq_op_table *t = st->own;
  if (!t || owner == 0)
    return;
  /* The built-in behaviour survives in the shared table's entries. */
  for (uint32_t i = 0; i < t->n_entries; i++) {
    pq_op_fn builtin = i < PQ_OP_CORE_COUNT ? st->shared->entries[i].fn : NULL;
    drop_owner(&t->entries[i], builtin, owner);
  }
  for (size_t i = 0; i < t->n_pentries; i++) {
    uint32_t id = t->pentries[i].id;
    pq_op_fn builtin = id < PQ_OP_CORE_COUNT ? st->shared->entries[id].fn : NULL;
    drop_owner(&t->pentries[i].e, builtin, owner);
  }
  compute_hooked(t);
}

void pq_op_state_init(pq_op_state *st, const pq_op_table *shared) {
  memset(st, 0, sizeof *st);
  st->table = shared;
  st->shared = shared;
}

void pq_op_state_free(pq_op_state *st) {
  if (st->own) {
    pq_op_table_free(st->own);
    pq_free(st->own);
  }
  st->own = NULL;
  st->table = st->shared;
}
