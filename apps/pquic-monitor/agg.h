/* pquic-monitor: the aggregate of every report received, served in the
 * Prometheus text format (metric names start with pquic_). */
#ifndef PQM_AGG_H
#define PQM_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"

#define PQM_ROLES 2 /* client, server */
#define PQM_HIST_BUCKETS 16
#define PQM_SUMMED 11 /* counters summed over connections */

typedef struct pqm_hist {
  uint64_t bucket[PQM_HIST_BUCKETS]; /* observations <= each bound (cumulative) */
  uint64_t count, sum_us;
} pqm_hist;

/* What the aggregate remembers of a connection: the cumulative counters
 * of its latest report, to add only what grew since. */
typedef struct pqm_conn {
  uint8_t used, closed, role, cid_len;
  uint8_t cid[MON_CID_MAX];
  uint64_t created_us;
  uint32_t seq; /* of the latest report taken into the sums */
  uint64_t last[PQM_SUMMED];
  uint64_t touched; /* aggregate clock at the latest report: eviction order */
} pqm_conn;

typedef struct pqm_agg {
  uint64_t datagrams;               /* every datagram received */
  uint64_t dropped[PQM_DROP_COUNT]; /* by reason (index 0 unused) */
  uint64_t reports[PQM_ROLES][MON_KIND_MAX + 1];
  uint64_t closed[PQM_ROLES][MON_CLOSE_MAX + 1];
  uint64_t sums[PQM_ROLES][PQM_SUMMED];
  uint64_t stale;                /* reports older than one already counted (reordered) */
  uint64_t evicted;              /* open connections forgotten when the table was full */
  pqm_hist handshake[PQM_ROLES]; /* handshake duration, from handshake reports */
  pqm_hist rtt[PQM_ROLES];       /* smoothed RTT at close */
  pqm_conn *conns;
  size_t cap;
  uint64_t clock;
} pqm_agg;

/* A table of up to max_conns connections (at least 1). Returns 0, or -1
 * when out of memory. */
int pqm_agg_init(pqm_agg *a, size_t max_conns);
void pqm_agg_free(pqm_agg *a);

/* Counts one datagram and, when it was dropped, why. */
void pqm_agg_datagram(pqm_agg *a, pqm_drop why);

/* Adds a valid report: report counts, the growth of its counters since
 * the connection's previous report (identified by role, cid and creation
 * time; a report with a sequence number not above the last one counted
 * only counts as a report), the handshake histogram (handshake reports),
 * the close reason and the RTT histogram (close reports). When the table
 * is full, the connection unseen for longest makes room (closed ones
 * first). */
void pqm_agg_report(pqm_agg *a, const pqm_report *r);

/* Open connections of a role in the table. */
uint64_t pqm_agg_active(const pqm_agg *a, int role);

/* The metrics in the Prometheus text exposition format (version 0.0.4).
 * Returns the length needed; writes at most cap - 1 bytes and a NUL. */
size_t pqm_agg_prometheus(const pqm_agg *a, char *buf, size_t cap);

#endif
