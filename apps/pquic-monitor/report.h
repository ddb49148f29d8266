/* pquic-monitor: reports of org.pquic.monitoring (format in
 * plugins/monitoring/monitoring_report.h and docs/monitoring.md): strict
 * parsing, encoding (tests, tools) and the two printed forms. */
#ifndef PQM_REPORT_H
#define PQM_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "monitoring_report.h"

/* Why a datagram was dropped; PQM_OK for a valid report. */
typedef enum pqm_drop {
  PQM_OK = 0,
  PQM_DROP_SHORT,   /* shorter than the fixed header */
  PQM_DROP_FOREIGN, /* no "PQMR" magic: not a monitoring report */
  PQM_DROP_VERSION, /* a format version this collector does not know */
  PQM_DROP_LENGTH,  /* the length does not match the indicator count */
  PQM_DROP_FIELD,   /* a header field or an indicator out of its bounds */
  PQM_DROP_COUNT
} pqm_drop;

typedef struct pqm_report {
  uint8_t kind;  /* MON_KIND_* */
  uint8_t flags; /* MON_FLAG_* */
  uint8_t cid_len;
  uint8_t cid[MON_CID_MAX];
  uint32_t seq;
  uint64_t created_us;
  uint64_t v[MON_FIELDS]; /* MON_F_* */
} pqm_report;

/*
 * Parses one datagram into *r (written only when the result is PQM_OK).
 * Checks, in this order: at least the header (SHORT), the magic
 * (FOREIGN), the version (VERSION), the indicator count and the exact
 * length (LENGTH), then every bound (FIELD): kind, flags, cid length and
 * zero padding, reserved bytes, close fields present exactly in close
 * reports, wire codes below 2^62, a 32-bit version, and the relations
 * that always hold between indicators (retransmitted and spurious <= lost,
 * out of order <= received, packets <= bytes, handshake <= uptime, window
 * samples consistent). Reads nothing outside [data, data + len).
 */
pqm_drop pqm_report_parse(const uint8_t *data, size_t len, pqm_report *r);

/* Writes r in the wire format (no check). Returns MON_REPORT_LEN, or 0
 * when cap is smaller. */
size_t pqm_report_encode(const pqm_report *r, uint8_t *buf, size_t cap);

/* Names: "short", "foreign", "version", "length", "field" ("ok"); report
 * kinds "handshake", "periodic", "close", "request"; close kinds
 * "application", "transport", "peer", "reset", "idle", "handshake"
 * ("none"). Unknown values give "unknown". */
const char *pqm_drop_name(pqm_drop d);
const char *pqm_kind_name(unsigned kind);
const char *pqm_close_name(uint64_t close_kind);
/* "client" or "server". */
const char *pqm_role_name(const pqm_report *r);

/* The cid as lowercase hex ("" when empty), NUL-terminated; cap >= 41. */
void pqm_cid_hex(const pqm_report *r, char *buf, size_t cap);

/*
 * One JSON object (no newline): kind, role, cid, seq, from (the sender's
 * address, if given), received_at (unix seconds), created_us, then the
 * indicators with times in milliseconds (uptime_ms, handshake_ms, rtt_ms,
 * rtt_min_ms, rtt_var_ms, rtt_latest_ms, exact to the microsecond) and
 * counts (bytes_sent, packets_sent, bytes_received, packets_received,
 * lost, retransmitted, out_of_order, spurious, cwnd, cwnd_min, cwnd_max,
 * cwnd_updates, ssthresh (null before the first reduction),
 * bytes_in_flight, streams_opened, stream_bytes_sent,
 * stream_bytes_received, dropped), version ("v1", "v2" or hex),
 * handshake_done, and in close reports close, error_code, frame_type,
 * closed_by_peer. Returns the length it needed (truncated to cap - 1).
 */
size_t pqm_report_json(const pqm_report *r, const char *from, double received_at, char *buf,
                       size_t cap);

/* The readable table: a header line and one row per report (no newline).
 * Return the length needed (truncated to cap - 1). */
size_t pqm_table_header(char *buf, size_t cap);
size_t pqm_report_row(const pqm_report *r, char *buf, size_t cap);

#endif
