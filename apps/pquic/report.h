/* What the client prints: the per-connection summary line and the
 * progress bar. */
#ifndef PQ_APP_REPORT_H
#define PQ_APP_REPORT_H

#include <stddef.h>
#include <stdint.h>

typedef struct summary {
  uint64_t bytes; /* response body bytes received */
  double seconds; /* from the first packet sent to the last body byte */
  uint64_t rtt_min_us, rtt_us;
  uint64_t lost;    /* packets declared lost */
  uint32_t version; /* QUIC version */
  const char *cipher;
  int resumed;          /* TLS resumed a session */
  int early_data;       /* 0 not offered, 1 accepted, 2 rejected, 3 unanswered (pquic_stats) */
  uint64_t key_updates; /* key phases changed (either side) */
  uint64_t migrations;  /* changes of the path in use */
  int retry;            /* the server validated our address with Retry */
} summary;

/*
 * "bytes=N seconds=S.SSS goodput_mbps=G.G rtt_min_ms=R.RR rtt_ms=R.RR lost=N
 * version=v1 cipher=NAME resumed=yes|no 0rtt=accepted|rejected|none
 * key_updates=N migrations=N retry=yes|no" (one line, no newline; goodput 0
 * when seconds is 0; cipher "-" when unknown). Returns the length, truncated
 * to len - 1.
 */
size_t summary_format(char *buf, size_t len, const summary *s);

/* "v1", "v2", or "0x%08x". */
const char *version_name(uint32_t v, char *buf, size_t len);

/*
 * One progress line of at most `width` columns (without "\r"):
 * "[=====>    ]  45%  12.3 MB  85.2 Mbit/s  3/10" when total is known, else
 * "  12.3 MB  85.2 Mbit/s  3/10". Returns the length.
 */
size_t progress_format(char *buf, size_t width, uint64_t bytes, uint64_t total, double seconds,
                       unsigned done, unsigned count);

#endif
