/*
 * Statistics of one link direction and a histogram of delivery lateness
 * (how long after its scheduled time a datagram was actually sent), which
 * is netsim's timing accuracy.
 */
#ifndef NS_STATS_H
#define NS_STATS_H

#include <stddef.h>
#include <stdint.h>

/* 1 µs buckets below 1 ms, then 100 µs buckets up to 100 ms, then one
 * overflow bucket; max kept exactly. */
#define NS_HIST_FINE 1000
#define NS_HIST_COARSE 990
#define NS_HIST_BUCKETS (NS_HIST_FINE + NS_HIST_COARSE + 1)

typedef struct ns_hist {
  uint64_t count;
  uint64_t max_ns;
  uint64_t sum_ns;
  uint32_t b[NS_HIST_BUCKETS];
} ns_hist;

void ns_hist_add(ns_hist *h, uint64_t ns);
/* Upper bound in ns of the bucket holding quantile q (0..1), 0 if empty. */
uint64_t ns_hist_quantile(const ns_hist *h, double q);

typedef struct ns_dir_stats {
  uint64_t rx_pkts, rx_bytes;     /* offered to the link */
  uint64_t tx_pkts, tx_bytes;     /* handed to the next hop */
  uint64_t drop_loss, drop_queue; /* decided by the model */
  uint64_t drop_mem;              /* no room in netsim's bounded memory */
  uint64_t drop_flow;             /* its flow expired while it was in flight */
  uint64_t drop_send;             /* the kernel refused the send */
  uint64_t reordered;             /* held back for reordering */
  uint64_t max_backlog;           /* peak bytes waiting for serialization */
  uint64_t queued;                /* accepted, not yet delivered (set when printing) */
  ns_hist late;                   /* lateness of each delivery */
} ns_dir_stats;

/*
 * One line "link=L dir=up|down rx_pkts=... late_p50_us=... late_max_us=..."
 * (no newline) into buf, always terminated.
 */
void ns_dir_stats_format(const ns_dir_stats *s, unsigned link, int dir, char *buf, size_t len);

#endif
