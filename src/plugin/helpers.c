/* The pluglet helpers of sdk/include/pquic_plugin.h: one implementation
 * each over a pq_pl_run, reached from bytecode through the PRE's helper
 * table (stable ids below) and from native plugins through the exported
 * pl_* functions (native_api.c). */
#include <string.h>

#include "common/log.h"
#include "plugin/helpers.h"
#include "pquic/ops.h"
#include "pquic_plugin.h" /* PL_CID_* */

/* ---- fields ---- */

uint64_t pq_pl_h_set_cnx(pq_pl_run *r, uint64_t f, uint64_t v, uint64_t a3) {
  (void)a3;
  return pq_pl_set(r, PQ_OBJ_CNX, 0, f, v);
}
uint64_t pq_pl_h_set_path(pq_pl_run *r, uint64_t h, uint64_t f, uint64_t v) {
  return pq_pl_set(r, PQ_OBJ_PATH, h, f, v);
}
uint64_t pq_pl_h_set_stream(pq_pl_run *r, uint64_t h, uint64_t f, uint64_t v) {
  return pq_pl_set(r, PQ_OBJ_STREAM, h, f, v);
}

/* ---- memory ---- */

static uint64_t region_addr(const pq_pl_run *r, uint32_t off) {
  return off ? (uint64_t)(uintptr_t)(r->inst->bi.mem + off) : 0;
}

/* Offset in the region of a pointer a pluglet passed, or 0 (also for NULL)
 * with *bad set if it is not in the region. */
static uint32_t region_off(const pq_pl_run *r, uint64_t ptr, int *bad) {
  uint64_t base = (uint64_t)(uintptr_t)r->inst->bi.mem;
  *bad = 0;
  if (ptr == 0)
    return 0;
  if (ptr < base || ptr - base >= r->inst->bi.len) {
    *bad = 1;
    return 0;
  }
  return (uint32_t)(ptr - base);
}

uint64_t pq_pl_h_malloc(pq_pl_run *r, uint64_t size, uint64_t a2, uint64_t a3) {
  (void)a2;
  (void)a3;
  return region_addr(r, pq_pl_heap_alloc(&r->inst->heap, size));
}

uint64_t pq_pl_h_free(pq_pl_run *r, uint64_t ptr, uint64_t a2, uint64_t a3) {
  (void)a2;
  (void)a3;
  int bad;
  uint32_t off = region_off(r, ptr, &bad);
  if (bad || (off && pq_pl_heap_free(&r->inst->heap, off) != 0))
    pq_pl_fault(r, PQUIC_ERR_PLUGIN_MEMORY); /* wild or double free */
  return 0;
}

uint64_t pq_pl_h_realloc(pq_pl_run *r, uint64_t ptr, uint64_t size, uint64_t a3) {
  (void)a3;
  int bad;
  uint32_t off = region_off(r, ptr, &bad), out = 0;
  int rc = bad ? -1 : pq_pl_heap_realloc(&r->inst->heap, off, size, &out);
  if (rc < 0) {
    pq_pl_fault(r, PQUIC_ERR_PLUGIN_MEMORY);
    return 0;
  }
  return region_addr(r, out);
}

uint64_t pq_pl_h_get_opaque_data(pq_pl_run *r, uint64_t id, uint64_t size, uint64_t a3) {
  (void)a3;
  pq_pl_inst *in = r->inst;
  for (uint32_t i = 0; i < in->n_opaque; i++) {
    if (in->opaque[i].id == id)
      return size <= in->opaque[i].size ? region_addr(r, in->opaque[i].off) : 0;
  }
  if (in->n_opaque == PQ_PL_MAX_OPAQUE || size == 0 || size > UINT32_MAX)
    return 0;
  uint32_t off = pq_pl_heap_alloc(&in->heap, size);
  if (!off)
    return 0;
  memset(in->bi.mem + off, 0, (size_t)size);
  in->opaque[in->n_opaque].id = id;
  in->opaque[in->n_opaque].off = off;
  in->opaque[in->n_opaque].size = (uint32_t)size;
  in->n_opaque++;
  return region_addr(r, off);
}

uint64_t pq_pl_h_memcpy(pq_pl_run *r, uint64_t dst, uint64_t src, uint64_t n) {
  void *d = pq_pl_check(r, dst, n, PQ_BPF_REGION_WRITE);
  const void *s = pq_pl_check(r, src, n, PQ_BPF_REGION_READ);
  if (!d || !s) {
    pq_pl_fault(r, PQUIC_ERR_PLUGIN_MEMORY);
    return 0;
  }
  if (n)
    memmove(d, s, (size_t)n);
  return 0;
}

uint64_t pq_pl_h_memset(pq_pl_run *r, uint64_t dst, uint64_t c, uint64_t n) {
  void *d = pq_pl_check(r, dst, n, PQ_BPF_REGION_WRITE);
  if (!d) {
    pq_pl_fault(r, PQUIC_ERR_PLUGIN_MEMORY);
    return 0;
  }
  if (n)
    memset(d, (int)(uint8_t)c, (size_t)n);
  return 0;
}

uint64_t pq_pl_h_memcmp(pq_pl_run *r, uint64_t a, uint64_t b, uint64_t n) {
  const void *x = pq_pl_check(r, a, n, PQ_BPF_REGION_READ);
  const void *y = pq_pl_check(r, b, n, PQ_BPF_REGION_READ);
  if (!x || !y) {
    pq_pl_fault(r, PQUIC_ERR_PLUGIN_MEMORY);
    return 0;
  }
  int c = n ? memcmp(x, y, (size_t)n) : 0;
  return (uint64_t)(int64_t)(c < 0 ? -1 : c > 0 ? 1 : 0);
}

/* A NUL-terminated string of at most max bytes (NUL excluded) in readable
 * memory; NULL (and a fault) otherwise. */
static const char *cstr(pq_pl_run *r, uint64_t addr, size_t max) {
  for (size_t n = 0; n <= max; n++) {
    const char *c = pq_pl_check(r, addr + n, 1, PQ_BPF_REGION_READ);
    if (!c)
      break;
    if (*c == 0)
      return (const char *)(uintptr_t)addr;
  }
  pq_pl_fault(r, PQUIC_ERR_PLUGIN_MEMORY);
  return NULL;
}

/* ---- operations ---- */

uint64_t pq_pl_h_op_id(pq_pl_run *r, uint64_t name, uint64_t a2, uint64_t a3) {
  (void)a2;
  (void)a3;
  const char *s = cstr(r, name, 63);
  if (!s)
    return 0;
  uint32_t id;
  int rc = pq_op_lookup(&r->cnx->ep->registry, s, &id);
  return rc ? (uint64_t)(int64_t)rc : id;
}

/* Checks one input of a core operation a pluglet wants to run; may
 * replace a stream-id handle by the stream. */
static int input_ok(const pq_pl_run *r, int kind, uint64_t *v) {
  switch (kind) {
  case PQ_PK_VAL:
  case PQ_PK_LEN:
    return 1;
  case PQ_PK_PATH:
    return pq_pl_path(r, *v) != NULL;
  case PQ_PK_STREAM: {
    pq_stream *s = pq_pl_stream(r, *v);
    *v = (uint64_t)(uintptr_t)s;
    return s != NULL;
  }
  case PQ_PK_PKT:
  case PQ_PK_OPKT:
  case PQ_PK_SENT:
  case PQ_PK_FRAME:
    return pq_pl_lent(r, kind, *v) != NULL;
  case PQ_PK_EPOCH:
    return *v < PQ_EPOCH_COUNT;
  case PQ_PK_LEVEL:
    return *v < PQ_LEVELS;
  default:
    return 0;
  }
}

uint64_t pq_pl_h_run_protoop(pq_pl_run *r, uint64_t op, uint64_t param, uint64_t in_p, uint64_t nio,
                             uint64_t out_p) {
  pq_cnx *cnx = r->cnx;
  uint32_t n_in = (uint32_t)(nio & 0xff), n_out = (uint32_t)((nio >> 8) & 0xff);
  if (n_in > PQUIC_OP_MAX_ARGS || n_out > PQUIC_OP_MAX_ARGS || (nio >> 16))
    return (uint64_t)(int64_t)PQUIC_ERR_INVAL;
  const uint64_t *in = n_in ? pq_pl_check(r, in_p, n_in * 8ull, PQ_BPF_REGION_READ) : NULL;
  uint64_t *out = n_out ? pq_pl_check(r, out_p, n_out * 8ull, PQ_BPF_REGION_WRITE) : NULL;
  if ((n_in && !in) || (n_out && !out)) {
    pq_pl_fault(r, PQUIC_ERR_PLUGIN_MEMORY);
    return 0;
  }
  if (op >= cnx->op.table->n_entries)
    return (uint64_t)(int64_t)PQUIC_ERR_OP_UNKNOWN;
  uint64_t vin[PQUIC_OP_MAX_ARGS] = {0}, vout[PQUIC_OP_MAX_ARGS] = {0};
  if (n_in)
    memcpy(vin, in, n_in * 8ull);
  const pq_pl_opkinds *k = pq_pl_op_kinds((uint32_t)op);
  if (k) {
    /* A core operation: observers may not, some may never, and every
     * handle or index must check out before the core sees it. */
    if (cnx->op.observing > 0) {
      pq_pl_fault(r, PQUIC_ERR_OP_READONLY);
      return 0;
    }
    if (!k->callable || n_in < k->n)
      return (uint64_t)(int64_t)PQUIC_ERR_UNSUPPORTED;
    for (uint32_t i = 0; i < k->n; i++) {
      if (!input_ok(r, k->kind[i], &vin[i])) {
        pq_pl_fault(r, PQUIC_ERR_PLUGIN_HANDLE);
        return 0;
      }
    }
  }
  uint64_t v = pq_op_dispatch(cnx, &cnx->op, (uint32_t)op, param, vin, n_in, vout, n_out, 0);
  if (cnx->op.fault) {
    pq_pl_fault(r, cnx->op.fault); /* stop this pluglet too */
    return v;
  }
  if (n_out)
    memcpy(out, vout, n_out * 8ull);
  return v;
}

/* ---- frames, messages, time, randomness, log ---- */

uint64_t pq_pl_h_reserve_frame(pq_pl_run *r, uint64_t type, uint64_t bytes, uint64_t cookie) {
  return pq_pl_reserve(r, type, bytes, cookie);
}

uint64_t pq_pl_h_push_message(pq_pl_run *r, uint64_t data, uint64_t len, uint64_t a3) {
  (void)a3;
  if (len > PQ_PL_MESSAGE_MAX)
    return (uint64_t)(int64_t)PQUIC_ERR_INVAL;
  const uint8_t *d = pq_pl_check(r, data, len, PQ_BPF_REGION_READ);
  if (!d) {
    pq_pl_fault(r, PQUIC_ERR_PLUGIN_MEMORY);
    return 0;
  }
  /* A copy: the callback may call back into the connection, which could
   * run pluglets that change the plugin's memory. */
  uint8_t copy[PQ_PL_MESSAGE_MAX];
  memcpy(copy, d, (size_t)len);
  pq_pl_ep *e = r->inst->plugin->ep;
  const char *name = r->inst->plugin->mf.name;
  if (e->on_message)
    e->on_message(r->cnx, name, copy, (size_t)len, e->message_user);
  pquic_event ev = {
      .type = PQUIC_EVENT_PLUGIN_MESSAGE, .data = copy, .len = (size_t)len, .reason = name};
  pq_cnx_emit(r->cnx, &ev);
  return 0;
}

uint64_t pq_pl_h_now(pq_pl_run *r, uint64_t a1, uint64_t a2, uint64_t a3) {
  (void)a1;
  (void)a2;
  (void)a3;
  return r->cnx->now;
}

uint64_t pq_pl_h_random(pq_pl_run *r, uint64_t buf, uint64_t len, uint64_t a3) {
  (void)a3;
  void *b = len <= PQ_PL_MESSAGE_MAX ? pq_pl_check(r, buf, len, PQ_BPF_REGION_WRITE) : NULL;
  if (!b) {
    pq_pl_fault(r, PQUIC_ERR_PLUGIN_MEMORY);
    return 0;
  }
  if (len)
    pq_ep_random(r->cnx->ep, b, (size_t)len);
  return 0;
}

uint64_t pq_pl_h_log(pq_pl_run *r, uint64_t msg, uint64_t a2, uint64_t a3) {
  (void)a2;
  (void)a3;
  const char *s = cstr(r, msg, 255);
  if (s)
    PQ_LOG(PQ_LOG_INFO, "plugin %s: %s", r->inst->plugin->mf.name, s);
  return 0;
}

/* ---- connection IDs ---- */

/* The connection's identity as both ends can name it (pl_get_cid). */
uint64_t pq_pl_h_get_cid(pq_pl_run *r, uint64_t which, uint64_t buf, uint64_t len) {
  const pq_cnx *c = r->cnx;
  const pq_cid *cid = which == PL_CID_LOCAL_INITIAL   ? &c->initial_scid
                      : which == PL_CID_PEER_INITIAL  ? &c->peer_initial_scid
                      : which == PL_CID_ORIGINAL_DCID ? &c->odcid
                                                      : NULL;
  if (!cid || len < cid->len)
    return (uint64_t)(int64_t)PQUIC_ERR_INVAL;
  uint8_t *b = pq_pl_check(r, buf, cid->len, PQ_BPF_REGION_WRITE);
  if (!b) {
    pq_pl_fault(r, PQUIC_ERR_PLUGIN_MEMORY);
    return 0;
  }
  memcpy(b, cid->id, cid->len);
  return cid->len;
}

/* ---- the PRE's helper table ---- */

/* One wrapper per helper: the run from the environment, then a fault the
 * implementation noted stops the program. */
#define BPF_HELPER(name)                                                                           \
  static uint64_t bh_##name(pq_bpf_env *env, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,   \
                            uint64_t a5) {                                                         \
    (void)a4;                                                                                      \
    (void)a5;                                                                                      \
    pq_pl_run *r = pq_pl_cur; /* pq_bpf_env_user(env), without a call */                           \
    uint64_t v = pq_pl_h_##name(r, a1, a2, a3);                                                    \
    if (r->fault)                                                                                  \
      pq_bpf_env_fault(env, a1);                                                                   \
    return v;                                                                                      \
  }
#define X(id, name) BPF_HELPER(name)
PQ_PL_HELPERS3(X)
#undef X
/* Getters: the fast path without a frame; anything unusual goes to the
 * out-of-line slow path, which reports it. */
__attribute__((noinline, cold)) static uint64_t getter_slow(pq_bpf_env *env, pq_pl_run *r, int obj,
                                                            uint64_t h, uint64_t f) {
  uint64_t v = pq_pl_get_slow(r, obj, h, f);
  if (r->fault)
    pq_bpf_env_fault(env, obj == PQ_OBJ_CNX ? f : h);
  return v;
}
#define X(id, name, obj)                                                                           \
  static uint64_t bh_##name(pq_bpf_env *env, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,   \
                            uint64_t a5) {                                                         \
    (void)a3;                                                                                      \
    (void)a4;                                                                                      \
    (void)a5;                                                                                      \
    pq_pl_run *r = pq_pl_cur;                                                                      \
    uint64_t h = obj == PQ_OBJ_CNX ? 0 : a1, f = obj == PQ_OBJ_CNX ? a1 : a2;                      \
    int ok;                                                                                        \
    uint64_t v = pq_pl_get_fast(r, obj, h, f, &ok);                                                \
    return __builtin_expect(ok, 1) ? v : getter_slow(env, r, obj, h, f);                           \
  }
PQ_PL_GETTERS(X)
#undef X

static uint64_t bh_run_protoop(pq_bpf_env *env, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                               uint64_t a5) {
  pq_pl_run *r = pq_pl_cur;
  uint64_t v = pq_pl_h_run_protoop(r, a1, a2, a3, a4, a5);
  if (r->fault)
    pq_bpf_env_fault(env, a1);
  return v;
}

/* Each helper with the number of arguments its wrapper reads (the JIT
 * leaves the others undefined, clearing fewer registers after calls). */
int pq_pl_helpers_register(pq_bpf_helpers *h) {
  int rc = 0;
#define X(id, name)                                                                                \
  if (!rc)                                                                                         \
    rc = pq_bpf_helpers_add(h, id, "pl_" #name, bh_##name);                                        \
  if (!rc)                                                                                         \
    rc = pq_bpf_helpers_set_args(h, id, 3);
  PQ_PL_HELPERS3(X)
#undef X
  if (!rc)
    rc = pq_bpf_helpers_add(h, PQ_PL_HELPER_RUN_PROTOOP, "pl_run_protoop", bh_run_protoop);
#define X(id, name, obj)                                                                           \
  if (!rc)                                                                                         \
    rc = pq_bpf_helpers_add(h, id, "pl_" #name, bh_##name);                                        \
  if (!rc)                                                                                         \
    rc = pq_bpf_helpers_set_args(h, id, obj == PQ_OBJ_CNX ? 1 : 2);
  PQ_PL_GETTERS(X)
#undef X
  if (!rc)
    rc = pq_bpf_helpers_set_inliner(h, PQ_PL_HELPER_GET_CNX, pq_pl_inline_get_cnx);
  if (!rc)
    rc = pq_bpf_helpers_set_inliner(h, PQ_PL_HELPER_GET_PATH, pq_pl_inline_get_path);
  return rc;
}
