/* The aggregate of the reports: counts, sums and histograms. */
#include "agg.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"

/* Counters summed over connections, and their metric names. */
static const struct {
  uint8_t field;
  const char *name, *help;
} summed[PQM_SUMMED] = {
    {MON_F_BYTES_SENT, "pquic_bytes_sent_total", "UDP payload bytes sent"},
    {MON_F_PACKETS_SENT, "pquic_packets_sent_total", "QUIC packets sent"},
    {MON_F_BYTES_RECEIVED, "pquic_bytes_received_total", "UDP payload bytes received"},
    {MON_F_PACKETS_RECEIVED, "pquic_packets_received_total", "QUIC packets received and processed"},
    {MON_F_LOST, "pquic_packets_lost_total", "packets declared lost"},
    {MON_F_RETRANSMITTED, "pquic_packets_retransmitted_total",
     "lost packets whose frames were sent again"},
    {MON_F_OUT_OF_ORDER, "pquic_packets_out_of_order_total",
     "packets received below the largest number of their space"},
    {MON_F_SPURIOUS, "pquic_packets_spurious_lost_total",
     "packets declared lost and acknowledged later"},
    {MON_F_STREAMS_OPENED, "pquic_streams_opened_total", "streams opened"},
    {MON_F_STREAM_BYTES_SENT, "pquic_stream_bytes_sent_total", "unique application bytes sent"},
    {MON_F_STREAM_BYTES_RECEIVED, "pquic_stream_bytes_received_total",
     "unique application bytes received"},
};

/* Histogram bounds, microseconds (printed in seconds). */
static const uint64_t bounds_us[PQM_HIST_BUCKETS] = {
    100,   250,    500,    1000,   2500,    5000,    10000,   25000,
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

static const char *const role_names[PQM_ROLES] = {"client", "server"};

int pqm_agg_init(pqm_agg *a, size_t max_conns) {
  memset(a, 0, sizeof *a);
  a->cap = max_conns ? max_conns : 1;
  a->conns = pq_calloc(a->cap, sizeof *a->conns);
  return a->conns ? 0 : -1;
}

void pqm_agg_free(pqm_agg *a) {
  pq_free(a->conns);
  a->conns = NULL;
  a->cap = 0;
}

void pqm_agg_datagram(pqm_agg *a, pqm_drop why) {
  a->datagrams++;
  if (why != PQM_OK && (unsigned)why < PQM_DROP_COUNT)
    a->dropped[why]++;
}

static int role_of(const pqm_report *r) {
  return (r->flags & MON_FLAG_SERVER) ? 1 : 0;
}

static int same(const pqm_conn *c, const pqm_report *r) {
  return c->used && c->role == role_of(r) && c->cid_len == r->cid_len &&
         c->created_us == r->created_us && memcmp(c->cid, r->cid, r->cid_len) == 0;
}

static pqm_conn *find(pqm_agg *a, const pqm_report *r) {
  for (size_t i = 0; i < a->cap; i++)
    if (same(&a->conns[i], r))
      return &a->conns[i];
  return NULL;
}

/* A free slot, else the closed connection unseen for longest, else the
 * open one. */
static pqm_conn *make_room(pqm_agg *a) {
  pqm_conn *closed = NULL, *open = NULL;
  for (size_t i = 0; i < a->cap; i++) {
    pqm_conn *c = &a->conns[i];
    if (!c->used)
      return c;
    pqm_conn **best = c->closed ? &closed : &open;
    if (!*best || c->touched < (*best)->touched)
      *best = c;
  }
  if (closed)
    return closed;
  a->evicted++;
  return open;
}

static void observe(pqm_hist *h, uint64_t us) {
  for (size_t i = 0; i < PQM_HIST_BUCKETS; i++)
    if (us <= bounds_us[i])
      h->bucket[i]++;
  h->count++;
  h->sum_us += us;
}

void pqm_agg_report(pqm_agg *a, const pqm_report *r) {
  int role = role_of(r);
  if (r->kind <= MON_KIND_MAX)
    a->reports[role][r->kind]++;
  a->clock++;
  pqm_conn *c = find(a, r);
  if (c && c->seq >= r->seq) {
    a->stale++;
    return;
  }
  if (c && c->closed) { /* a report after the final one: nothing to add */
    a->stale++;
    return;
  }
  if (!c) {
    c = make_room(a);
    memset(c, 0, sizeof *c);
    c->used = 1;
    c->role = (uint8_t)role;
    c->cid_len = r->cid_len;
    memcpy(c->cid, r->cid, sizeof c->cid);
    c->created_us = r->created_us;
  }
  c->seq = r->seq;
  c->touched = a->clock;
  for (size_t i = 0; i < PQM_SUMMED; i++) {
    uint64_t v = r->v[summed[i].field];
    if (v > c->last[i])
      a->sums[role][i] += v - c->last[i];
    c->last[i] = v;
  }
  if (r->kind == MON_KIND_HANDSHAKE)
    observe(&a->handshake[role], r->v[MON_F_HANDSHAKE_US]);
  if (r->kind == MON_KIND_CLOSE) {
    c->closed = 1;
    uint64_t k = r->v[MON_F_CLOSE_KIND];
    a->closed[role][k <= MON_CLOSE_MAX ? k : 0]++;
    if (r->flags & MON_FLAG_HANDSHAKE_DONE)
      observe(&a->rtt[role], r->v[MON_F_RTT_SMOOTHED_US]);
  }
}

uint64_t pqm_agg_active(const pqm_agg *a, int role) {
  uint64_t n = 0;
  for (size_t i = 0; i < a->cap; i++)
    n += a->conns[i].used && !a->conns[i].closed && a->conns[i].role == role;
  return n;
}

/* ---- the text format ---- */

typedef struct out {
  char *buf;
  size_t cap, len;
} out;

static void put(out *o, const char *s) {
  if (!s)
    return;
  size_t n = strlen(s);
  if (o->len + n < o->cap)
    memcpy(o->buf + o->len, s, n);
  else if (o->len < o->cap)
    memcpy(o->buf + o->len, s, o->cap - o->len);
  o->len += n;
}

static void put_u64(out *o, uint64_t v) {
  char d[24];
  size_t n = sizeof d;
  d[--n] = '\0';
  do {
    d[--n] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  put(o, d + n);
}

/* Microseconds as seconds, shortest exact decimal ("0.00025", "1"). */
static void put_seconds(out *o, uint64_t us) {
  put_u64(o, us / 1000000);
  uint64_t frac = us % 1000000;
  if (!frac)
    return;
  char d[8] = ".000000";
  for (int i = 6; i >= 1; i--) {
    d[i] = (char)('0' + frac % 10);
    frac /= 10;
  }
  for (int i = 6; i >= 1 && d[i] == '0'; i--)
    d[i] = '\0';
  put(o, d);
}

static void family(out *o, const char *name, const char *type, const char *help) {
  put(o, "# HELP ");
  put(o, name);
  put(o, " ");
  put(o, help);
  put(o, "\n# TYPE ");
  put(o, name);
  put(o, " ");
  put(o, type);
  put(o, "\n");
}

/* name{role="R"[,key="val"]} value */
static void sample(out *o, const char *name, const char *role, const char *key, const char *val,
                   uint64_t v) {
  put(o, name);
  if (role || key) {
    put(o, "{");
    if (role) {
      put(o, "role=\"");
      put(o, role);
      put(o, "\"");
    }
    if (key) {
      put(o, role ? "," : "");
      put(o, key);
      put(o, "=\"");
      put(o, val);
      put(o, "\"");
    }
    put(o, "}");
  }
  put(o, " ");
  put_u64(o, v);
  put(o, "\n");
}

static void histogram(out *o, const char *name, const char *help, const pqm_hist *h) {
  family(o, name, "histogram", help);
  for (int r = 0; r < PQM_ROLES; r++) {
    for (size_t i = 0; i <= PQM_HIST_BUCKETS; i++) {
      put(o, name);
      put(o, "_bucket{role=\"");
      put(o, role_names[r]);
      put(o, "\",le=\"");
      if (i < PQM_HIST_BUCKETS)
        put_seconds(o, bounds_us[i]);
      else
        put(o, "+Inf");
      put(o, "\"} ");
      put_u64(o, i < PQM_HIST_BUCKETS ? h[r].bucket[i] : h[r].count);
      put(o, "\n");
    }
    put(o, name);
    put(o, "_sum{role=\"");
    put(o, role_names[r]);
    put(o, "\"} ");
    put_seconds(o, h[r].sum_us);
    put(o, "\n");
    put(o, name);
    put(o, "_count{role=\"");
    put(o, role_names[r]);
    put(o, "\"} ");
    put_u64(o, h[r].count);
    put(o, "\n");
  }
}

size_t pqm_agg_prometheus(const pqm_agg *a, char *buf, size_t cap) {
  out o = {buf, cap, 0};
  family(&o, "pquic_monitor_datagrams_total", "counter",
         "Datagrams received by the collector, valid or not.");
  sample(&o, "pquic_monitor_datagrams_total", NULL, NULL, NULL, a->datagrams);
  family(&o, "pquic_monitor_dropped_total", "counter",
         "Datagrams dropped by the collector, by reason.");
  for (int d = 1; d < PQM_DROP_COUNT; d++)
    sample(&o, "pquic_monitor_dropped_total", NULL, "reason", pqm_drop_name((pqm_drop)d),
           a->dropped[d]);
  family(&o, "pquic_monitor_stale_reports_total", "counter",
         "Reports older than one already counted (reordered or repeated).");
  sample(&o, "pquic_monitor_stale_reports_total", NULL, NULL, NULL, a->stale);
  family(&o, "pquic_monitor_evicted_total", "counter",
         "Open connections forgotten because the collector's table was full.");
  sample(&o, "pquic_monitor_evicted_total", NULL, NULL, NULL, a->evicted);
  family(&o, "pquic_reports_total", "counter", "Reports received, by role and kind.");
  for (int r = 0; r < PQM_ROLES; r++)
    for (unsigned k = 1; k <= MON_KIND_MAX; k++)
      sample(&o, "pquic_reports_total", role_names[r], "kind", pqm_kind_name(k), a->reports[r][k]);
  family(&o, "pquic_connections_active", "gauge",
         "Connections that reported and have not closed yet.");
  for (int r = 0; r < PQM_ROLES; r++)
    sample(&o, "pquic_connections_active", role_names[r], NULL, NULL, pqm_agg_active(a, r));
  family(&o, "pquic_connections_closed_total", "counter", "Connections closed, by reason.");
  for (int r = 0; r < PQM_ROLES; r++)
    for (unsigned k = 1; k <= MON_CLOSE_MAX; k++)
      sample(&o, "pquic_connections_closed_total", role_names[r], "reason", pqm_close_name(k),
             a->closed[r][k]);
  for (size_t i = 0; i < PQM_SUMMED; i++) {
    family(&o, summed[i].name, "counter", summed[i].help);
    for (int r = 0; r < PQM_ROLES; r++)
      sample(&o, summed[i].name, role_names[r], NULL, NULL, a->sums[r][i]);
  }
  histogram(&o, "pquic_handshake_duration_seconds", "Handshake durations.", a->handshake);
  histogram(&o, "pquic_rtt_smoothed_seconds", "Smoothed RTT of connections when they closed.",
            a->rtt);
  if (cap)
    buf[o.len < cap ? o.len : cap - 1] = '\0';
  return o.len;
}
