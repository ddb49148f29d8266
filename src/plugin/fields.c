/* The field get/set layer behind pl_get_* / pl_set_* (pquic_fields.def):
 * handle validation, access policy, then one switch per object. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plugin/fields_get.h"

/* ---- handles ---- */

pq_path *pq_pl_path(const pq_pl_run *r, uint64_t h) {
  return pq_pl_path_inline(r, h);
}

/* A handle is lent when it is an input of that kind of the operation a run
 * serves; plugin-defined operations carry no kinds and inherit what their
 * caller was lent. The inputs compared are the host's copy, never the
 * block the pluglet can write. */
void *pq_pl_lent(const pq_pl_run *r, int kind, uint64_t h) {
  if (h == 0)
    return NULL;
  for (; r; r = r->parent) {
    if (!r->kinds) {
      if (!r->call || r->call->op_id < PQ_OP_CORE_COUNT)
        return NULL;
      continue; /* plugin operation: its caller's handles */
    }
    for (uint32_t i = 0; i < r->kinds->n && i < r->call->n_in; i++) {
      if (r->kinds->kind[i] == kind && r->call->in[i] == h)
        return (void *)(uintptr_t)h;
    }
    return NULL;
  }
  return NULL;
}

pq_stream *pq_pl_stream(const pq_pl_run *r, uint64_t h) {
  if (h >> 63) /* PL_STREAM_ID(id): looked up now */
    return pq_u64map_get(&r->cnx->streams, h & ~(1ull << 63));
  return pq_pl_lent(r, PQ_PK_STREAM, h);
}

/* ---- the list ---- */

#define RO 0
#define RW 1

/* 0: no such field, 1 + RO/RW otherwise, by object and index. */
static const uint8_t access_of[8][64] = {
#define PQ_FIELD(obj, name, id, access, type, doc) [(id) >> 8][(id)&0xff] = 1 + (access),
#include "pquic_fields.def"
#undef PQ_FIELD
};

int pq_pl_field_exists(uint32_t field) {
  return field >> 8 < 8 && (field & 0xff) < 64 && access_of[field >> 8][field & 0xff] != 0;
}

static int field_writable(uint32_t field) {
  return pq_pl_field_exists(field) && access_of[field >> 8][field & 0xff] == 1 + RW;
}

uint64_t pq_pl_get_slow(pq_pl_run *r, int obj, uint64_t handle, uint64_t field) {
  if (__builtin_expect((field >> 8) != (uint64_t)obj || (field & 0xff) >= 64, 0)) {
    pq_pl_fault(r, PQUIC_ERR_PLUGIN_FIELD);
    return 0;
  }
  if (__builtin_expect(denied(r, field), 0)) {
    pq_pl_fault(r, PQUIC_ERR_FIELD_DENIED);
    return 0;
  }
  int ok = 1;
  uint64_t v = 0;
  switch (obj) {
  case PQ_OBJ_CNX:
    v = get_cnx(r->cnx, field, &ok);
    break;
  case PQ_OBJ_PATH: {
    const pq_path *p = pq_pl_path_inline(r, handle);
    if (!p)
      goto bad_handle;
    v = get_path(p, field, &ok);
    break;
  }
  case PQ_OBJ_PKT: {
    const pq_pkt *p = pq_pl_lent(r, PQ_PK_PKT, handle);
    if (!p)
      goto bad_handle;
    v = get_pkt(p, field, &ok);
    break;
  }
  case PQ_OBJ_OPKT: {
    const pq_opkt *o = pq_pl_lent(r, PQ_PK_OPKT, handle);
    if (!o)
      goto bad_handle;
    v = get_opkt(o, field, &ok);
    break;
  }
  case PQ_OBJ_SENT: {
    const pq_sent_pkt *s = pq_pl_lent(r, PQ_PK_SENT, handle);
    if (!s)
      goto bad_handle;
    v = get_sent(s, field, &ok);
    break;
  }
  case PQ_OBJ_STREAM: {
    const pq_stream *s = pq_pl_stream(r, handle);
    if (!s)
      goto bad_handle;
    v = get_stream(s, field, &ok);
    break;
  }
  case PQ_OBJ_FRAME: {
    const pq_sent_frame *sf = pq_pl_lent(r, PQ_PK_FRAME, handle);
    if (!sf)
      goto bad_handle;
    v = get_frame(sf, field, &ok);
    break;
  }
  default:
    ok = 0;
    break;
  }
  if (!ok)
    pq_pl_fault(r, PQUIC_ERR_PLUGIN_FIELD);
  return v;
bad_handle:
  pq_pl_fault(r, PQUIC_ERR_PLUGIN_HANDLE);
  return 0;
}

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

uint64_t pq_pl_set(pq_pl_run *r, int obj, uint64_t handle, uint64_t field, uint64_t v) {
  if ((field >> 8) != (uint64_t)obj || !field_writable((uint32_t)field)) {
    pq_pl_fault(r, PQUIC_ERR_PLUGIN_FIELD);
    return 0;
  }
  if (r->cnx->op.observing > 0) {
    pq_pl_fault(r, PQUIC_ERR_OP_READONLY); /* observers are read-only */
    return 0;
  }
  if (denied(r, field)) {
    pq_pl_fault(r, PQUIC_ERR_FIELD_DENIED);
    return 0;
  }
  pq_cnx *c = r->cnx;
  pq_path *p = NULL;
  pq_stream *s = NULL;
  if (obj == PQ_OBJ_PATH && !(p = pq_pl_path(r, handle)))
    goto bad_handle;
  if (obj == PQ_OBJ_STREAM && !(s = pq_pl_stream(r, handle)))
    goto bad_handle;
  switch (field) {
  case F_CNX_RECV_WINDOW:
    c->recv_window = clamp(v, 0, PQ_VARINT_MAX);
    break;
  case F_CNX_PACKET_THRESHOLD:
    c->packet_threshold = (uint32_t)clamp(v, 1, 1000);
    break;
  case F_CNX_TIME_THRESHOLD_SHIFT:
    c->time_threshold_shift = (uint32_t)clamp(v, 0, 16);
    break;
  case F_PATH_HAS_RTT:
    p->has_rtt = v != 0;
    break;
  case F_PATH_LATEST_RTT:
    p->latest_rtt = v;
    break;
  case F_PATH_MIN_RTT:
    p->min_rtt = v;
    break;
  case F_PATH_SMOOTHED_RTT:
    p->smoothed_rtt = v;
    break;
  case F_PATH_RTTVAR:
    p->rttvar = v;
    break;
  case F_PATH_CWND:
    p->cwnd = v;
    break;
  case F_PATH_SSTHRESH:
    p->ssthresh = v;
    break;
  case F_PATH_RECOVERY_START:
    p->recovery_start = v;
    break;
  case F_PATH_SPIN:
    p->spin = v != 0;
    break;
  case F_STREAM_RECV_WINDOW:
    s->recv_window = clamp(v, 0, PQ_VARINT_MAX);
    break;
  default:
    pq_pl_fault(r, PQUIC_ERR_PLUGIN_FIELD);
    break;
  }
  return 0;
bad_handle:
  pq_pl_fault(r, PQUIC_ERR_PLUGIN_HANDLE);
  return 0;
}

/* ---- the reference (docs/fields.md) ---- */

typedef struct mdbuf {
  char *p;
  size_t cap, len;
} mdbuf;

static void md(mdbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void md(mdbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t room = b->len < b->cap ? b->cap - b->len : 0;
  int n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0)
    b->len += (size_t)n;
}

static const struct {
  const char *obj, *title, *get, *set;
} objects[] = {
    {"CNX", "Connection", "pl_get_cnx(field)", "pl_set_cnx(field, value)"},
    {"PATH", "Path", "pl_get_path(path, field)", "pl_set_path(path, field, value)"},
    {"PKT", "Received packet", "pl_get_pkt(pkt, field)", NULL},
    {"OPKT", "Packet being built", "pl_get_opkt(opkt, field)", NULL},
    {"SENT", "Sent packet", "pl_get_sent(sent, field)", NULL},
    {"STREAM", "Stream", "pl_get_stream(stream, field)", "pl_set_stream(stream, field, value)"},
    {"FRAME", "Sent frame record", "pl_get_frame(frame, field)", NULL},
};

static const struct {
  const char *obj, *name, *type, *doc;
  unsigned id;
  int rw;
} fields[] = {
#define PQ_FIELD(obj, name, id, access, type, doc) {#obj, #name, type, doc, id, access},
#include "pquic_fields.def"
#undef PQ_FIELD
};

size_t pquic_plugin_fields_markdown(char *buf, size_t cap) {
  mdbuf b = {buf, cap, 0};
  md(&b, "# Plugin field reference\n\n"
         "Generated from `sdk/include/pquic_fields.def` by `pquic plugin fields`; do not edit.\n"
         "Pluglets read and write these with the helpers of `sdk/include/pquic_plugin.h`; the\n"
         "constant of a field is `PQF_<OBJECT>_<NAME>`. Ids never change once released.\n"
         "RW fields refuse observers (pre/post pluglets); a host may deny any field to a\n"
         "plugin (`pquic_plugin_deny_field`).\n");
  for (size_t o = 0; o < sizeof objects / sizeof objects[0]; o++) {
    md(&b, "\n## %s (`%s`)\n\n`%s`", objects[o].title, objects[o].obj, objects[o].get);
    if (objects[o].set)
      md(&b, ", `%s`", objects[o].set);
    md(&b, "\n\n| id | constant | access | type | description |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
      if (strcmp(fields[i].obj, objects[o].obj) != 0)
        continue;
      md(&b, "| 0x%04x | `PQF_%s_%s` | %s | %s | %s |\n", fields[i].id, fields[i].obj,
         fields[i].name, fields[i].rw ? "RW" : "RO", fields[i].type, fields[i].doc);
    }
  }
  if (cap)
    buf[b.len < cap ? b.len : cap - 1] = 0;
  return b.len;
}
