/* The printed forms of a report: JSON lines and a readable table. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

/* snprintf into a buffer that keeps counting past its end. */
typedef struct out {
  char *buf;
  size_t cap, len;
} out;

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t room = o->len < o->cap ? o->cap - o->len : 0;
  int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0)
    o->len += (size_t)n;
}

static size_t done(out *o) {
  if (o->cap && o->len >= o->cap)
    o->buf[o->cap - 1] = '\0';
  return o->len;
}

/* Microseconds as milliseconds, exactly: "12.345". */
static void put_ms(out *o, const char *key, uint64_t us) {
  put(o, ",\"%s\":%" PRIu64 ".%03" PRIu64, key, us / 1000, us % 1000);
}

static void put_u64(out *o, const char *key, uint64_t v) {
  put(o, ",\"%s\":%" PRIu64, key, v);
}

static void put_version(out *o, uint64_t v) {
  if (v == 1)
    put(o, "v1");
  else if (v == 0x6b3343cf)
    put(o, "v2");
  else
    put(o, "0x%08" PRIx64, v);
}

size_t pqm_report_json(const pqm_report *r, const char *from, double received_at, char *buf,
                       size_t cap) {
  out o = {buf, cap, 0};
  char cid[2 * MON_CID_MAX + 1];
  pqm_cid_hex(r, cid, sizeof cid);
  const uint64_t *v = r->v;
  put(&o, "{\"kind\":\"%s\",\"role\":\"%s\",\"cid\":\"%s\",\"seq\":%" PRIu32,
      pqm_kind_name(r->kind), pqm_role_name(r), cid, r->seq);
  if (from) {
    /* Addresses are printed by us (digits, dots, colons, brackets): no
     * escaping needed, but refuse anything else rather than emit bad JSON. */
    int clean = strspn(from, "0123456789abcdefABCDEF.:[]%") == strlen(from);
    put(&o, ",\"from\":\"%s\"", clean ? from : "?");
  }
  put(&o, ",\"received_at\":%.3f", received_at);
  put_u64(&o, "created_us", r->created_us);
  put_ms(&o, "uptime_ms", v[MON_F_UPTIME_US]);
  put_ms(&o, "handshake_ms", v[MON_F_HANDSHAKE_US]);
  put_ms(&o, "rtt_ms", v[MON_F_RTT_SMOOTHED_US]);
  put_ms(&o, "rtt_min_ms", v[MON_F_RTT_MIN_US]);
  put_ms(&o, "rtt_var_ms", v[MON_F_RTT_VAR_US]);
  put_ms(&o, "rtt_latest_ms", v[MON_F_RTT_LATEST_US]);
  put_u64(&o, "bytes_sent", v[MON_F_BYTES_SENT]);
  put_u64(&o, "packets_sent", v[MON_F_PACKETS_SENT]);
  put_u64(&o, "bytes_received", v[MON_F_BYTES_RECEIVED]);
  put_u64(&o, "packets_received", v[MON_F_PACKETS_RECEIVED]);
  put_u64(&o, "lost", v[MON_F_LOST]);
  put_u64(&o, "retransmitted", v[MON_F_RETRANSMITTED]);
  put_u64(&o, "out_of_order", v[MON_F_OUT_OF_ORDER]);
  put_u64(&o, "spurious", v[MON_F_SPURIOUS]);
  put_u64(&o, "cwnd", v[MON_F_CWND]);
  put_u64(&o, "cwnd_min", v[MON_F_CWND_MIN]);
  put_u64(&o, "cwnd_max", v[MON_F_CWND_MAX]);
  put_u64(&o, "cwnd_updates", v[MON_F_CWND_UPDATES]);
  if (v[MON_F_SSTHRESH] == UINT64_MAX)
    put(&o, ",\"ssthresh\":null");
  else
    put_u64(&o, "ssthresh", v[MON_F_SSTHRESH]);
  put_u64(&o, "bytes_in_flight", v[MON_F_BYTES_IN_FLIGHT]);
  put_u64(&o, "streams_opened", v[MON_F_STREAMS_OPENED]);
  put_u64(&o, "stream_bytes_sent", v[MON_F_STREAM_BYTES_SENT]);
  put_u64(&o, "stream_bytes_received", v[MON_F_STREAM_BYTES_RECEIVED]);
  put_u64(&o, "dropped", v[MON_F_DROPPED]);
  put(&o, ",\"version\":\"");
  put_version(&o, v[MON_F_VERSION]);
  put(&o, "\",\"handshake_done\":%s", (r->flags & MON_FLAG_HANDSHAKE_DONE) ? "true" : "false");
  if (r->kind == MON_KIND_CLOSE) {
    put(&o, ",\"close\":\"%s\"", pqm_close_name(v[MON_F_CLOSE_KIND]));
    put_u64(&o, "error_code", v[MON_F_ERROR_CODE]);
    put_u64(&o, "frame_type", v[MON_F_FRAME_TYPE]);
    put(&o, ",\"closed_by_peer\":%s", (r->flags & MON_FLAG_CLOSED_BY_PEER) ? "true" : "false");
  }
  put(&o, "}");
  return done(&o);
}

#define ROW_FMT "%-6s %-9s %-16.16s %4s %10s %9s %9s %10s %13s %13s %7s %7s %7s %7s %s"

size_t pqm_table_header(char *buf, size_t cap) {
  out o = {buf, cap, 0};
  put(&o, ROW_FMT, "ROLE", "KIND", "CID", "SEQ", "UPTIME_MS", "RTT_MS", "MIN_MS", "CWND",
      "BYTES_SENT", "BYTES_RECV", "LOST", "RETX", "OOO", "SPUR", "CLOSE");
  return done(&o);
}

/* Milliseconds with two decimals, for the table. */
static void fmt_ms(char *b, size_t n, uint64_t us) {
  snprintf(b, n, "%" PRIu64 ".%02" PRIu64, us / 1000, us % 1000 / 10);
}

size_t pqm_report_row(const pqm_report *r, char *buf, size_t cap) {
  out o = {buf, cap, 0};
  char cid[2 * MON_CID_MAX + 1], seq[12], up[24], rtt[24], min[24], cwnd[24], sent[24], recv[24],
      lost[24], retx[24], ooo[24], spur[24], close[48];
  const uint64_t *v = r->v;
  pqm_cid_hex(r, cid, sizeof cid);
  if (!cid[0])
    snprintf(cid, sizeof cid, "-");
  snprintf(seq, sizeof seq, "%" PRIu32, r->seq);
  fmt_ms(up, sizeof up, v[MON_F_UPTIME_US]);
  fmt_ms(rtt, sizeof rtt, v[MON_F_RTT_SMOOTHED_US]);
  fmt_ms(min, sizeof min, v[MON_F_RTT_MIN_US]);
  snprintf(cwnd, sizeof cwnd, "%" PRIu64, v[MON_F_CWND]);
  snprintf(sent, sizeof sent, "%" PRIu64, v[MON_F_BYTES_SENT]);
  snprintf(recv, sizeof recv, "%" PRIu64, v[MON_F_BYTES_RECEIVED]);
  snprintf(lost, sizeof lost, "%" PRIu64, v[MON_F_LOST]);
  snprintf(retx, sizeof retx, "%" PRIu64, v[MON_F_RETRANSMITTED]);
  snprintf(ooo, sizeof ooo, "%" PRIu64, v[MON_F_OUT_OF_ORDER]);
  snprintf(spur, sizeof spur, "%" PRIu64, v[MON_F_SPURIOUS]);
  if (r->kind == MON_KIND_CLOSE)
    snprintf(close, sizeof close, "%s 0x%" PRIx64, pqm_close_name(v[MON_F_CLOSE_KIND]),
             v[MON_F_ERROR_CODE]);
  else
    snprintf(close, sizeof close, "-");
  put(&o, ROW_FMT, pqm_role_name(r), pqm_kind_name(r->kind), cid, seq, up, rtt, min, cwnd, sent,
      recv, lost, retx, ooo, spur, close);
  return done(&o);
}
