/* Summary line and progress bar formatting. */
#include "report.h"

#include <stdio.h>
#include <string.h>

const char *version_name(uint32_t v, char *buf, size_t len) {
  if (v == 0x00000001u)
    snprintf(buf, len, "v1");
  else if (v == 0x6b3343cfu)
    snprintf(buf, len, "v2");
  else
    snprintf(buf, len, "0x%08x", (unsigned)v);
  return buf;
}

static size_t clamp(int n, size_t len) {
  if (n < 0 || len == 0)
    return 0;
  return (size_t)n < len ? (size_t)n : len - 1;
}

size_t summary_format(char *buf, size_t len, const summary *s) {
  /* pquic_stats.early_data: 3 = offered, never answered (a failed handshake) */
  static const char *const early[] = {"none", "accepted", "rejected", "unanswered"};
  char ver[16];
  double goodput = s->seconds > 0 ? (double)s->bytes * 8.0 / s->seconds / 1e6 : 0.0;
  int n = snprintf(buf, len,
                   "bytes=%llu seconds=%.3f goodput_mbps=%.1f rtt_min_ms=%.2f rtt_ms=%.2f "
                   "lost=%llu version=%s cipher=%s resumed=%s 0rtt=%s key_updates=%llu "
                   "migrations=%llu retry=%s",
                   (unsigned long long)s->bytes, s->seconds, goodput,
                   (double)s->rtt_min_us / 1000.0, (double)s->rtt_us / 1000.0,
                   (unsigned long long)s->lost, version_name(s->version, ver, sizeof ver),
                   s->cipher && s->cipher[0] ? s->cipher : "-", s->resumed ? "yes" : "no",
                   s->early_data >= 1 && s->early_data <= 3 ? early[s->early_data] : early[0],
                   (unsigned long long)s->key_updates, (unsigned long long)s->migrations,
                   s->retry ? "yes" : "no");
  return clamp(n, len);
}

/* "12.3 MB" style, decimal units like curl. */
static void human(char *buf, size_t len, double v, const char *unit) {
  static const char *const pre[] = {"", "k", "M", "G", "T"};
  unsigned i = 0;
  while (v >= 1000.0 && i < 4) {
    v /= 1000.0;
    i++;
  }
  snprintf(buf, len, i ? "%.1f %s%s" : "%.0f %s%s", v, pre[i], unit);
}

size_t progress_format(char *buf, size_t width, uint64_t bytes, uint64_t total, double seconds,
                       unsigned done, unsigned count) {
  char amount[32], rate[32], tail[96];
  if (width == 0)
    return 0;
  human(amount, sizeof amount, (double)bytes, "B");
  human(rate, sizeof rate, seconds > 0 ? (double)bytes * 8.0 / seconds : 0.0, "bit/s");
  int tl = snprintf(tail, sizeof tail, "%10s %14s  %u/%u", amount, rate, done, count);
  size_t tlen = clamp(tl, sizeof tail);
  size_t o = 0;
  /* A bar only when the total is known and there is room for it. */
  if (total > 0 && width > tlen + 18) {
    size_t bar = width - tlen - 9;
    if (bar > 50)
      bar = 50;
    uint64_t shown = bytes > total ? total : bytes;
    size_t fill = (size_t)((double)shown / (double)total * (double)bar);
    unsigned pct = (unsigned)((double)shown * 100.0 / (double)total);
    buf[o++] = '[';
    for (size_t i = 0; i < bar; i++)
      buf[o++] = i < fill ? '=' : (i == fill ? '>' : ' ');
    o += clamp(snprintf(buf + o, width - o, "] %3u%% ", pct), width - o);
  }
  if (o + tlen >= width)
    tlen = width - o - 1;
  memcpy(buf + o, tail, tlen);
  o += tlen;
  buf[o] = '\0';
  return o;
}
