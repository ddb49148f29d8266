/* Link statistics and the lateness histogram. */
#include "stats.h"

#include <stdio.h>

#define FINE_NS 1000u
#define COARSE_NS 100000u

void ns_hist_add(ns_hist *h, uint64_t ns) {
  size_t i;
  if (ns < (uint64_t)NS_HIST_FINE * FINE_NS)
    i = ns / FINE_NS;
  else if (ns < (uint64_t)NS_HIST_FINE * FINE_NS + (uint64_t)NS_HIST_COARSE * COARSE_NS)
    i = NS_HIST_FINE + (ns - (uint64_t)NS_HIST_FINE * FINE_NS) / COARSE_NS;
  else
    i = NS_HIST_BUCKETS - 1;
  h->b[i]++;
  h->count++;
  h->sum_ns += ns;
  if (ns > h->max_ns)
    h->max_ns = ns;
}

static uint64_t bucket_top(size_t i, uint64_t max_ns) {
  if (i < NS_HIST_FINE)
    return (uint64_t)(i + 1) * FINE_NS;
  if (i < NS_HIST_FINE + NS_HIST_COARSE)
    return (uint64_t)NS_HIST_FINE * FINE_NS + (uint64_t)(i - NS_HIST_FINE + 1) * COARSE_NS;
  return max_ns;
}

uint64_t ns_hist_quantile(const ns_hist *h, double q) {
  if (h->count == 0)
    return 0;
  if (q < 0)
    q = 0;
  if (q > 1)
    q = 1;
  uint64_t rank = (uint64_t)(q * (double)(h->count - 1)) + 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < NS_HIST_BUCKETS; i++) {
    seen += h->b[i];
    if (seen >= rank) {
      uint64_t top = bucket_top(i, h->max_ns);
      return top < h->max_ns ? top : h->max_ns;
    }
  }
  return h->max_ns;
}

void ns_dir_stats_format(const ns_dir_stats *s, unsigned link, int dir, char *buf, size_t len) {
  snprintf(buf, len,
           "link=%u dir=%s rx_pkts=%llu rx_bytes=%llu tx_pkts=%llu tx_bytes=%llu "
           "drop_loss=%llu drop_queue=%llu drop_mem=%llu drop_flow=%llu drop_send=%llu "
           "reordered=%llu queued=%llu max_queue=%llu late_p50_us=%.1f late_p99_us=%.1f "
           "late_max_us=%.1f",
           link, dir == 0 ? "up" : "down", (unsigned long long)s->rx_pkts,
           (unsigned long long)s->rx_bytes, (unsigned long long)s->tx_pkts,
           (unsigned long long)s->tx_bytes, (unsigned long long)s->drop_loss,
           (unsigned long long)s->drop_queue, (unsigned long long)s->drop_mem,
           (unsigned long long)s->drop_flow, (unsigned long long)s->drop_send,
           (unsigned long long)s->reordered, (unsigned long long)s->queued,
           (unsigned long long)s->max_backlog, (double)ns_hist_quantile(&s->late, 0.5) / 1e3,
           (double)ns_hist_quantile(&s->late, 0.99) / 1e3, (double)s->late.max_ns / 1e3);
}
