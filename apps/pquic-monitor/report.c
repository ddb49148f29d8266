/* Parsing and encoding of monitoring reports. */
#include "report.h"

#include <string.h>

#define VARINT_LIMIT (UINT64_C(1) << 62)

static uint64_t get_be(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++)
    v = v << 8 | p[i];
  return v;
}

static void put_be(uint8_t *p, size_t n, uint64_t v) {
  for (size_t i = n; i-- > 0;) {
    p[i] = (uint8_t)v;
    v >>= 8;
  }
}

/* Header fields other than magic, version and length. */
static int header_ok(const pqm_report *r, const uint8_t *data) {
  if (r->kind < 1 || r->kind > MON_KIND_MAX || (r->flags & ~MON_FLAGS_ALL) ||
      r->cid_len > MON_CID_MAX || get_be(data + MON_OFF_RESERVED, 2) != 0)
    return 0;
  if (!!(r->flags & MON_FLAG_CID) != (r->cid_len > 0))
    return 0;
  for (size_t i = r->cid_len; i < MON_CID_MAX; i++)
    if (r->cid[i])
      return 0;
  return 1;
}

/* Bounds of the indicators and the relations that always hold. */
static int fields_ok(const pqm_report *r) {
  const uint64_t *v = r->v;
  int is_close = r->kind == MON_KIND_CLOSE;
  int done = !!(r->flags & MON_FLAG_HANDSHAKE_DONE);
  if (is_close) {
    if (v[MON_F_CLOSE_KIND] < 1 || v[MON_F_CLOSE_KIND] > MON_CLOSE_MAX)
      return 0;
  } else if (v[MON_F_CLOSE_KIND] || v[MON_F_ERROR_CODE] || v[MON_F_FRAME_TYPE] ||
             (r->flags & MON_FLAG_CLOSED_BY_PEER)) {
    return 0;
  }
  if (v[MON_F_ERROR_CODE] >= VARINT_LIMIT || v[MON_F_FRAME_TYPE] >= VARINT_LIMIT ||
      (v[MON_F_FRAME_TYPE] && v[MON_F_CLOSE_KIND] != MON_CLOSE_TRANSPORT))
    return 0;
  if (v[MON_F_VERSION] > UINT32_MAX)
    return 0;
  if ((r->kind == MON_KIND_HANDSHAKE && !done) || (!done && v[MON_F_HANDSHAKE_US]) ||
      v[MON_F_HANDSHAKE_US] > v[MON_F_UPTIME_US])
    return 0;
  if (v[MON_F_RETRANSMITTED] > v[MON_F_LOST] || v[MON_F_SPURIOUS] > v[MON_F_LOST] ||
      v[MON_F_OUT_OF_ORDER] > v[MON_F_PACKETS_RECEIVED] ||
      v[MON_F_PACKETS_SENT] > v[MON_F_BYTES_SENT] ||
      v[MON_F_PACKETS_RECEIVED] > v[MON_F_BYTES_RECEIVED])
    return 0;
  if (v[MON_F_CWND_UPDATES] == 0)
    return v[MON_F_CWND_MIN] == 0 && v[MON_F_CWND_MAX] == 0;
  return v[MON_F_CWND_MIN] <= v[MON_F_CWND_MAX];
}

pqm_drop pqm_report_parse(const uint8_t *data, size_t len, pqm_report *r) {
  if (!data || len < MON_HEADER_LEN)
    return PQM_DROP_SHORT;
  if (data[0] != MON_MAGIC0 || data[1] != MON_MAGIC1 || data[2] != MON_MAGIC2 ||
      data[3] != MON_MAGIC3)
    return PQM_DROP_FOREIGN;
  if (data[MON_OFF_VERSION] != MON_VERSION)
    return PQM_DROP_VERSION;
  if (get_be(data + MON_OFF_NFIELDS, 2) != MON_FIELDS || len != MON_REPORT_LEN)
    return PQM_DROP_LENGTH;
  pqm_report t;
  memset(&t, 0, sizeof t);
  t.kind = data[MON_OFF_KIND];
  t.flags = data[MON_OFF_FLAGS];
  t.cid_len = data[MON_OFF_CID_LEN];
  memcpy(t.cid, data + MON_OFF_CID, MON_CID_MAX);
  t.seq = (uint32_t)get_be(data + MON_OFF_SEQ, 4);
  t.created_us = get_be(data + MON_OFF_CREATED, 8);
  for (size_t i = 0; i < MON_FIELDS; i++)
    t.v[i] = get_be(data + MON_HEADER_LEN + 8 * i, 8);
  if (!header_ok(&t, data) || !fields_ok(&t))
    return PQM_DROP_FIELD;
  if (r)
    *r = t;
  return PQM_OK;
}

size_t pqm_report_encode(const pqm_report *r, uint8_t *buf, size_t cap) {
  if (!r || !buf || cap < MON_REPORT_LEN)
    return 0;
  memset(buf, 0, MON_REPORT_LEN);
  buf[0] = MON_MAGIC0;
  buf[1] = MON_MAGIC1;
  buf[2] = MON_MAGIC2;
  buf[3] = MON_MAGIC3;
  buf[MON_OFF_VERSION] = MON_VERSION;
  buf[MON_OFF_KIND] = r->kind;
  buf[MON_OFF_FLAGS] = r->flags;
  buf[MON_OFF_CID_LEN] = r->cid_len;
  memcpy(buf + MON_OFF_CID, r->cid, MON_CID_MAX);
  put_be(buf + MON_OFF_SEQ, 4, r->seq);
  put_be(buf + MON_OFF_CREATED, 8, r->created_us);
  put_be(buf + MON_OFF_NFIELDS, 2, MON_FIELDS);
  for (size_t i = 0; i < MON_FIELDS; i++)
    put_be(buf + MON_HEADER_LEN + 8 * i, 8, r->v[i]);
  return MON_REPORT_LEN;
}

const char *pqm_drop_name(pqm_drop d) {
  static const char *const names[PQM_DROP_COUNT] = {"ok",      "short",  "foreign",
                                                    "version", "length", "field"};
  return (unsigned)d < PQM_DROP_COUNT ? names[d] : "unknown";
}

const char *pqm_kind_name(unsigned kind) {
  static const char *const names[] = {"unknown", "handshake", "periodic", "close", "request"};
  return kind <= MON_KIND_MAX ? names[kind] : "unknown";
}

const char *pqm_close_name(uint64_t close_kind) {
  static const char *const names[] = {"none",  "application", "transport", "peer",
                                      "reset", "idle",        "handshake"};
  return close_kind <= MON_CLOSE_MAX ? names[close_kind] : "unknown";
}

const char *pqm_role_name(const pqm_report *r) {
  return (r->flags & MON_FLAG_SERVER) ? "server" : "client";
}

void pqm_cid_hex(const pqm_report *r, char *buf, size_t cap) {
  static const char hex[] = "0123456789abcdef";
  size_t n = r->cid_len <= MON_CID_MAX ? r->cid_len : MON_CID_MAX;
  if (cap == 0)
    return;
  size_t o = 0;
  for (size_t i = 0; i < n && o + 2 < cap; i++) {
    buf[o++] = hex[r->cid[i] >> 4];
    buf[o++] = hex[r->cid[i] & 15];
  }
  buf[o] = '\0';
}
