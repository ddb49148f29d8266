/*
 * Drives a range set, a stream send buffer and a stream receive buffer with
 * operation sequences decoded from the input, and checks every result
 * against simple reference models (a bitmap, per-byte states, a flat byte
 * array). An input byte can also arm an allocation failure for the next
 * operation: it must then fail with PQUIC_ERR_NOMEM and change nothing (the
 * model is not updated, so any change shows up in the next comparison).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/ranges.h"
#include "common/recvbuf.h"
#include "common/sendbuf.h"
#include "pquic/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
  do {                                                                                             \
    if (!(c)) {                                                                                    \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                        \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

/* Model code is kept out of the coverage instrumentation: its loops would
 * dominate the run time and its branches say nothing about the code under
 * test. */
#if defined(__clang__)
#define MODEL __attribute__((no_sanitize("coverage")))
#else
#define MODEL
#endif

/* ---- input decoding ---- */

typedef struct {
  const uint8_t *p;
  size_t n;
} input;

static uint64_t get(input *in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes && in->n > 0; i++, in->p++, in->n--)
    v |= (uint64_t)*in->p << (8 * i);
  return v;
}

/* An allocation failure armed for the next operation (-1: none). */
static long g_fail = -1;

static void arm(void) {
  pq_alloc_fail_after(g_fail);
}
/* Ends the operation; returns whether r is an acceptable injected failure. */
static bool disarm(int r) {
  bool injected = g_fail >= 0;
  pq_alloc_fail_after(-1);
  g_fail = -1;
  if (r == PQUIC_ERR_NOMEM)
    CHECK(injected);
  return r == PQUIC_ERR_NOMEM;
}

static uint64_t min64(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

/* anchor + a small signed offset from the input (boundary values are where
 * off-by-one bugs live), not below 0. */
static uint64_t near(input *in, uint64_t anchor) {
  int d = (int)(get(in, 1) % 7) - 3;
  if (d < 0)
    return anchor < (uint64_t)-d ? 0 : anchor - (uint64_t)-d;
  return anchor > UINT64_MAX - (uint64_t)d ? anchor : anchor + (uint64_t)d;
}

/* ---- range set against a bitmap ----
 * Model index i stands for value i in the low half and for a value just
 * below PQ_RANGES_VMAX in the high half, so both ends of the domain are
 * exercised. Intervals never straddle the halves. */

#define RU 1024
static pq_ranges g_set;
static uint8_t g_bit[RU];

static uint64_t rval(uint32_t i) {
  return i < RU / 2 ? i : PQ_RANGES_VMAX - (RU - 1 - i);
}

MODEL static void ranges_compare(void) {
  static uint8_t seen[RU];
  memset(seen, 0, sizeof(seen));
  uint64_t total = 0;
  for (uint32_t k = 0; k < pq_ranges_count(&g_set); k++) {
    const pq_range *r = pq_ranges_at(&g_set, k);
    CHECK(r->lo <= r->hi);
    if (k > 0)
      CHECK(pq_ranges_at(&g_set, k - 1)->hi + 1 < r->lo);
    bool low = r->hi < RU / 2;
    CHECK(low || r->lo > PQ_RANGES_VMAX - RU / 2);
    uint32_t a = low ? (uint32_t)r->lo : (uint32_t)(RU - 1 - (PQ_RANGES_VMAX - r->lo));
    uint32_t b = low ? (uint32_t)r->hi : (uint32_t)(RU - 1 - (PQ_RANGES_VMAX - r->hi));
    for (uint32_t i = a; i <= b; i++)
      seen[i] = 1;
    total += r->hi - r->lo + 1;
  }
  CHECK(memcmp(seen, g_bit, RU) == 0);
  CHECK(total == pq_ranges_total(&g_set));
}

MODEL static uint64_t bits_in(uint32_t a, uint32_t b) {
  uint64_t c = 0;
  for (uint32_t i = a; i <= b; i++)
    c += g_bit[i];
  return c;
}

/* Number of maximal runs of set bits (the expected range count). */
MODEL static uint32_t runs(void) {
  uint32_t c = 0;
  for (uint32_t i = 0; i < RU; i++)
    c += g_bit[i] && (i == 0 || !g_bit[i - 1] || i == RU / 2);
  return c;
}

/* Clears the lowest runs until at most max remain; returns bits cleared. */
MODEL static uint64_t trim_model(uint32_t max) {
  uint32_t cnt = runs();
  uint64_t cleared = 0;
  for (uint32_t i = 0, dropped = 0; i < RU && cnt > max && dropped < cnt - max; dropped++) {
    while (!g_bit[i])
      i++;
    do {
      g_bit[i++] = 0;
      cleared++;
    } while (i < RU && g_bit[i] && i != RU / 2);
  }
  return cleared;
}

static void ranges_op(input *in) {
  uint32_t op = (uint32_t)get(in, 1) % 7;
  uint32_t a = (uint32_t)get(in, 2) % RU;
  uint32_t len = (uint32_t)get(in, 1) % 64;
  uint32_t half_end = a < RU / 2 ? RU / 2 - 1 : RU - 1;
  uint32_t b = a + len > half_end ? half_end : a + len;
  uint64_t n = 0;
  int r;
  switch (op) {
  case 0:
    arm();
    r = pq_ranges_add(&g_set, rval(a), rval(b), &n);
    if (disarm(r))
      break;
    CHECK(r == 0 && n == (b - a + 1) - bits_in(a, b));
    memset(g_bit + a, 1, b - a + 1);
    break;
  case 1:
    arm();
    r = pq_ranges_add1(&g_set, rval(a));
    if (disarm(r))
      break;
    CHECK(r == !g_bit[a]);
    g_bit[a] = 1;
    break;
  case 2:
    arm();
    r = pq_ranges_remove(&g_set, rval(a), rval(b), &n);
    if (disarm(r))
      break;
    CHECK(r == 0 && n == bits_in(a, b));
    memset(g_bit + a, 0, b - a + 1);
    break;
  case 3: {
    uint64_t expect = a == 0 ? 0 : bits_in(0, a - 1);
    CHECK(pq_ranges_remove_below(&g_set, rval(a)) == expect);
    memset(g_bit, 0, a);
    break;
  }
  case 4: {
    uint32_t max = len % 16;
    uint64_t expect = trim_model(max);
    CHECK(pq_ranges_trim(&g_set, max) == expect);
    break;
  }
  case 5: {
    CHECK(pq_ranges_contains(&g_set, rval(a)) == g_bit[a]);
    uint32_t lb = pq_ranges_lower_bound(&g_set, rval(a));
    CHECK(lb == pq_ranges_count(&g_set) || pq_ranges_at(&g_set, lb)->hi >= rval(a));
    CHECK(lb == 0 || pq_ranges_at(&g_set, lb - 1)->hi < rval(a));
    break;
  }
  default:
    arm();
    r = pq_ranges_reserve(&g_set, len);
    if (disarm(r))
      break;
    CHECK(r == 0);
  }
  ranges_compare(); /* equal bitmaps and maximal ranges: the counts agree too */
}

/* ---- send buffer against per-byte states ---- */

#define SMAX 49152
enum { UNSENT = 0, INFLIGHT, LOST, ACKED };

typedef struct {
  uint64_t off, len;
  bool fin;
} pkt;

static struct {
  pq_sendbuf sb;
  bool crypto;
  uint8_t bytes[SMAX];
  uint8_t st[SMAX];
  uint64_t written, sent_hi, prefix, nlost;
  uint64_t lost_lo; /* no LOST byte below this */
  bool fin, fin_sent, fin_acked, fin_lost;
  pkt flight[64];
  int nflight;
} S;

MODEL static void s_set(uint64_t b, uint8_t st) {
  S.nlost -= S.st[b] == LOST;
  S.nlost += st == LOST;
  S.st[b] = st;
  if (st == LOST && b < S.lost_lo)
    S.lost_lo = b;
}

static bool s_needs_fin(void) {
  return S.fin && !S.fin_acked && (!S.fin_sent || S.fin_lost);
}

MODEL static bool s_model_next(uint64_t max_off, uint64_t max_len, pq_sendbuf_range *r) {
  if (max_len > 0) {
    while (S.nlost > 0 && S.st[S.lost_lo] != LOST)
      S.lost_lo++;
    for (uint64_t a = S.lost_lo; S.nlost > 0 && a < S.sent_hi; a++) {
      if (S.st[a] != LOST)
        continue;
      uint64_t b = a;
      while (b < S.sent_hi && S.st[b] == LOST)
        b++;
      uint64_t len = min64(b - a, max_len);
      *r = (pq_sendbuf_range){a, len, s_needs_fin() && a + len == S.written, true};
      return true;
    }
    if (S.sent_hi < S.written && S.sent_hi < max_off) {
      uint64_t len = min64(min64(S.written, max_off) - S.sent_hi, max_len);
      *r = (pq_sendbuf_range){S.sent_hi, len, s_needs_fin() && S.sent_hi + len == S.written, false};
      return true;
    }
  }
  if (s_needs_fin() && S.sent_hi == S.written) {
    *r = (pq_sendbuf_range){S.written, 0, true, S.fin_sent};
    return true;
  }
  return false;
}

static void s_compare(void) {
  while (S.prefix < S.written && S.st[S.prefix] == ACKED)
    S.prefix++;
  const pq_sendbuf *sb = &S.sb;
  CHECK(pq_sendbuf_written(sb) == S.written);
  CHECK(pq_sendbuf_sent_hi(sb) == S.sent_hi);
  CHECK(pq_sendbuf_acked_prefix(sb) == S.prefix);
  CHECK(pq_sendbuf_buffered(sb) == S.written - S.prefix);
  CHECK(pq_sendbuf_unsent(sb) == S.written - S.sent_hi);
  CHECK(pq_sendbuf_has_lost(sb) == (S.nlost > 0));
  CHECK(pq_sendbuf_fin_set(sb) == S.fin);
  CHECK(pq_sendbuf_fin_sent(sb) == S.fin_sent);
  CHECK(pq_sendbuf_fin_acked(sb) == S.fin_acked);
  CHECK(pq_sendbuf_all_acked(sb) == (S.prefix == S.written && (S.crypto || S.fin_acked)));
  uint64_t from = S.prefix / PQ_CHUNK_SIZE * PQ_CHUNK_SIZE;
  CHECK(pq_sendbuf_allocated(sb) <=
        (S.written - from + PQ_CHUNK_SIZE - 1) / PQ_CHUNK_SIZE * PQ_CHUNK_SIZE);
  if (S.prefix == S.written)
    CHECK(pq_sendbuf_allocated(sb) == 0);
}

/* Model transitions of the bytes [off, off + len) on an ack, a loss or a
 * send. */
MODEL static void s_mark(uint64_t off, uint64_t len, char what) {
  for (uint64_t b = off; b < off + len; b++) {
    if (what == 'a')
      s_set(b, ACKED);
    else if (what == 'l' && S.st[b] != ACKED)
      s_set(b, LOST);
    else if (what == 's' && (S.st[b] == LOST || S.st[b] == UNSENT))
      s_set(b, INFLIGHT);
  }
}

static int s_expect_checked(uint64_t off, uint64_t len, bool fin) {
  if (off > S.sent_hi || len > S.sent_hi - off || (fin && !S.fin_sent))
    return PQUIC_ERR_INVAL;
  return 0;
}

static void s_ack(uint64_t off, uint64_t len, bool fin) {
  int want = s_expect_checked(off, len, fin);
  arm();
  int r = pq_sendbuf_ack(&S.sb, off, len, fin);
  if (disarm(r))
    return;
  CHECK(r == want);
  if (r)
    return;
  s_mark(off, len, 'a');
  if (fin) {
    S.fin_acked = true;
    S.fin_lost = false;
  }
}

static void s_lost(uint64_t off, uint64_t len, bool fin) {
  int want = s_expect_checked(off, len, fin);
  arm();
  int r = pq_sendbuf_lost(&S.sb, off, len, fin);
  if (disarm(r))
    return;
  CHECK(r == want);
  if (r)
    return;
  s_mark(off, len, 'l');
  if (fin && !S.fin_acked)
    S.fin_lost = true;
}

static bool s_sent(uint64_t off, uint64_t len, bool fin) {
  bool bad = off > S.written || len > S.written - off;      /* past the data */
  bad = bad || (off + len > S.sent_hi && off > S.sent_hi);  /* a gap */
  bad = bad || (fin && (!S.fin || off + len != S.written)); /* no FIN there */
  int want = bad ? PQUIC_ERR_INVAL : 0;
  arm();
  int r = pq_sendbuf_sent(&S.sb, off, len, fin);
  if (disarm(r))
    return false;
  CHECK(r == want);
  if (r)
    return false;
  s_mark(off, len, 's');
  if (off + len > S.sent_hi)
    S.sent_hi = off + len;
  if (fin) {
    S.fin_sent = true;
    S.fin_lost = false;
  }
  return true;
}

static void s_track(uint64_t off, uint64_t len, bool fin) {
  if (S.nflight == 64)
    memmove(S.flight, S.flight + 1, 63 * sizeof(pkt));
  else
    S.nflight++;
  S.flight[S.nflight - 1] = (pkt){off, len, fin};
}

MODEL static void s_pattern(uint8_t *buf, uint64_t n) {
  for (uint64_t i = 0; i < n; i++)
    buf[i] = (uint8_t)((S.written + i) * 167 + 13);
}

static void sendbuf_op(input *in) {
  static uint8_t buf[SMAX];
  uint32_t op = (uint32_t)get(in, 1) % 9;
  switch (op) {
  case 0: { /* write */
    uint64_t n = get(in, 2);
    n %= get(in, 1) % 4 == 0 ? 20000 : 1500;
    n = min64(n, SMAX - S.written);
    s_pattern(buf, n);
    int want = S.fin ? PQUIC_ERR_STATE : 0;
    arm();
    int r = pq_sendbuf_write(&S.sb, buf, n);
    if (disarm(r))
      break;
    CHECK(r == want);
    if (r == 0) {
      memcpy(S.bytes + S.written, buf, n);
      S.written += n;
    }
    break;
  }
  case 1: { /* fin */
    int r = pq_sendbuf_fin(&S.sb);
    CHECK(r == (S.crypto ? PQUIC_ERR_STATE : 0));
    if (r == 0)
      S.fin = true;
    break;
  }
  case 2:
  case 3: { /* send what next() offers */
    uint64_t max_off = get(in, 1) % 4 == 0 ? get(in, 2) : UINT64_MAX;
    uint64_t max_len = get(in, 2) % 3000;
    pq_sendbuf_range want, got;
    bool w = s_model_next(max_off, max_len, &want);
    CHECK(pq_sendbuf_next(&S.sb, max_off, max_len, &got) == w);
    if (!w)
      break;
    CHECK(got.off == want.off && got.len == want.len);
    CHECK(got.fin == want.fin && got.retransmit == want.retransmit);
    CHECK(pq_sendbuf_copy(&S.sb, got.off, buf, got.len) == 0);
    CHECK(memcmp(buf, S.bytes + got.off, got.len) == 0);
    /* What next() offered is reported without allocating: it must succeed
     * even with a failure armed. */
    CHECK(s_sent(got.off, got.len, got.fin));
    s_track(got.off, got.len, got.fin);
    break;
  }
  case 4:
  case 5: { /* a packet in flight is acknowledged or lost */
    if (S.nflight == 0)
      break;
    int i = (int)(get(in, 1) % S.nflight);
    pkt p = S.flight[i];
    if (op == 4)
      s_ack(p.off, p.len, p.fin);
    else
      s_lost(p.off, p.len, p.fin);
    if (get(in, 1) % 4 != 0)
      S.flight[i] = S.flight[--S.nflight];
    break;
  }
  case 6: { /* arbitrary, possibly invalid, reports, often at the edges */
    uint64_t len = get(in, 2) % 4096;
    uint64_t off = get(in, 2);
    uint8_t mode = (uint8_t)get(in, 1);
    if (mode % 3 != 0) {
      uint64_t end = near(in, mode % 3 == 1 ? S.sent_hi : S.written);
      len = min64(len, end);
      off = end - len;
    }
    bool fin = get(in, 1) & 1;
    switch (get(in, 1) % 3) {
    case 0:
      s_ack(off, len, fin);
      break;
    case 1:
      s_lost(off, len, fin);
      break;
    default:
      s_sent(off, len, fin);
    }
    break;
  }
  case 7: { /* copy and peek anywhere */
    uint64_t off = get(in, 2);
    uint64_t len = get(in, 2) % 4096;
    int want = off < S.prefix || off > S.written || len > S.written - off ? PQUIC_ERR_INVAL : 0;
    int r = pq_sendbuf_copy(&S.sb, off, buf, len);
    CHECK(r == want);
    if (r == 0)
      CHECK(memcmp(buf, S.bytes + off, len) == 0);
    const uint8_t *p;
    size_t n = pq_sendbuf_peek(&S.sb, off, &p);
    if (off < S.prefix || off >= S.written) {
      CHECK(n == 0 && p == NULL);
    } else {
      CHECK(n > 0 && n <= S.written - off && n <= PQ_CHUNK_SIZE);
      CHECK(memcmp(p, S.bytes + off, n) == 0);
    }
    break;
  }
  default: /* arm a failure for the next operation */
    g_fail = (long)(get(in, 1) % 4);
    return;
  }
  s_compare();
}

/* ---- receive buffer against a flat byte array ---- */

#define RSPAN 49152

static struct {
  pq_recvbuf rb;
  uint8_t got[RSPAN], have[RSPAN];
  uint64_t read_off, highest, final, nhave, contig;
  uint32_t runs; /* maximal runs of `have` */
  uint32_t max_ranges;
} V;

MODEL static uint8_t truth(uint64_t i) {
  return (uint8_t)(i * 131 + (i >> 8));
}

static int v_expect_final(uint64_t end, bool fin) {
  if (V.final != PQ_FINAL_SIZE_UNKNOWN)
    return end > V.final || (fin && end != V.final) ? PQUIC_ERR_FINAL_SIZE : 0;
  return fin && end < V.highest ? PQUIC_ERR_FINAL_SIZE : 0;
}

/* Marks byte i received, keeping the count of runs (received ranges as the
 * buffer counts them: everything below the read offset is received). */
MODEL static void v_have(uint64_t i) {
  bool left = i > 0 && V.have[i - 1], right = i + 1 < RSPAN && V.have[i + 1];
  V.runs = V.runs + 1 - left - right;
  V.have[i] = 1;
  V.nhave++;
}

/* [lo, end) would be a received range of its own. */
MODEL static bool v_alone(uint64_t lo, uint64_t end) {
  bool alone = (lo == 0 || !V.have[lo - 1]) && (end >= RSPAN || !V.have[end]);
  for (uint64_t i = lo; alone && i < end; i++)
    alone = !V.have[i];
  return alone;
}

MODEL static void v_frame(uint8_t *frame, uint64_t off, uint64_t len, bool corrupt) {
  if (off > RSPAN || len > RSPAN - off)
    return; /* no bytes outside the span (the insert must fail or be empty) */
  for (uint64_t i = 0; i < len; i++)
    frame[i] = (uint8_t)(truth(off + i) ^ (corrupt ? 0xa5 : 0));
}

/* Keeps the first copy of each byte. */
MODEL static void v_store(const uint8_t *frame, uint64_t off, uint64_t lo, uint64_t end) {
  for (uint64_t i = lo; i < end; i++)
    if (!V.have[i]) {
      v_have(i);
      V.got[i] = frame[i - off];
    }
}

static void v_insert(uint64_t off, uint64_t len, bool fin, bool corrupt) {
  static uint8_t frame[RSPAN];
  int want = 0;
  if (off > PQ_STREAM_MAX_OFFSET || len > PQ_STREAM_MAX_OFFSET - off)
    want = PQUIC_ERR_FLOW_CONTROL;
  else
    want = v_expect_final(off + len, fin);
  uint64_t lo = off > V.read_off ? off : V.read_off;
  if (want == 0 && lo < off + len) {
    /* Only frames inside the model's span carry bytes. */
    CHECK(off + len <= RSPAN);
    if (v_alone(lo, off + len) && V.runs >= V.max_ranges)
      want = PQUIC_ERR_LIMIT;
  }
  v_frame(frame, off, len, corrupt);
  arm();
  int r = pq_recvbuf_insert(&V.rb, off, len ? frame : NULL, len, fin);
  if (disarm(r))
    return;
  CHECK(r == want);
  if (r)
    return;
  v_store(frame, off, lo, off + len);
  if (off + len > V.highest)
    V.highest = off + len;
  if (fin)
    V.final = off + len;
}

static void v_compare(void) {
  while (V.contig < RSPAN && V.have[V.contig])
    V.contig++;
  const pq_recvbuf *rb = &V.rb;
  CHECK(pq_recvbuf_readable(rb) == V.contig - V.read_off);
  CHECK(pq_recvbuf_read_off(rb) == V.read_off);
  CHECK(pq_recvbuf_highest(rb) == V.highest);
  CHECK(pq_recvbuf_final_size(rb) == V.final);
  CHECK(pq_recvbuf_final_known(rb) == (V.final != PQ_FINAL_SIZE_UNKNOWN));
  CHECK(pq_recvbuf_buffered(rb) == V.nhave - V.read_off);
  CHECK(pq_recvbuf_all_received(rb) == (V.contig == V.final));
  CHECK(pq_recvbuf_finished(rb) == (V.read_off == V.final));
  CHECK(pq_ranges_count(&rb->recvd) == V.runs);
  CHECK(V.runs <= V.max_ranges);
  /* Chunk memory: none below the reader's chunk, at most the span above. */
  uint64_t from = V.read_off / PQ_CHUNK_SIZE * PQ_CHUNK_SIZE;
  CHECK(pq_recvbuf_allocated(rb) <=
        (RSPAN - from + PQ_CHUNK_SIZE - 1) / PQ_CHUNK_SIZE * PQ_CHUNK_SIZE);
  if (V.read_off == V.final)
    CHECK(pq_recvbuf_allocated(rb) == 0);
}

static void recvbuf_op(input *in) {
  static uint8_t out[RSPAN];
  uint32_t op = (uint32_t)get(in, 1) % 7;
  switch (op) {
  case 0:
  case 1: { /* a frame near the reader or anywhere in the span */
    uint64_t off = (op == 0 ? V.read_off : 0) + get(in, 2);
    uint64_t len = get(in, 2);
    len %= get(in, 1) % 4 == 0 ? 8192 : 1400;
    off = min64(off, RSPAN);
    len = min64(len, RSPAN - off);
    uint8_t flags = (uint8_t)get(in, 1);
    v_insert(off, len, flags & 1, flags & 2);
    break;
  }
  case 2: { /* out-of-span frames: errors, or zero-length */
    uint64_t off = get(in, 8);
    off >>= get(in, 1) % 64;
    uint64_t len = 0;
    if (get(in, 1) % 3 != 0) {
      len = get(in, 8);
      len >>= get(in, 1) % 64;
    }
    uint8_t flags = (uint8_t)get(in, 1);
    if (len > 0 && off <= PQ_STREAM_MAX_OFFSET && len <= PQ_STREAM_MAX_OFFSET - off &&
        off + len > RSPAN && v_expect_final(off + len, flags & 1) == 0)
      len = 0; /* would store bytes the model cannot hold */
    v_insert(off, len, flags & 1, false);
    break;
  }
  case 3: { /* read */
    size_t want = (size_t)get(in, 2);
    uint64_t avail = V.contig - V.read_off;
    size_t n = avail < want ? (size_t)avail : want;
    CHECK(pq_recvbuf_read(&V.rb, out, want) == n);
    CHECK(memcmp(out, V.got + V.read_off, n) == 0);
    V.read_off += n;
    break;
  }
  case 4: { /* peek and consume */
    const uint8_t *p;
    size_t n = pq_recvbuf_peek(&V.rb, &p);
    CHECK(n <= V.contig - V.read_off && (n > 0) == (V.contig > V.read_off));
    if (n > 0)
      CHECK(memcmp(p, V.got + V.read_off, n) == 0);
    uint64_t c = get(in, 2);
    int r = pq_recvbuf_consume(&V.rb, c);
    CHECK(r == (c > V.contig - V.read_off ? PQUIC_ERR_INVAL : 0));
    if (r == 0)
      V.read_off += c;
    break;
  }
  case 5: { /* a FIN at the edges: around the highest offset or final size */
    uint64_t end = near(in, get(in, 1) & 1 ? V.highest : min64(V.final, RSPAN));
    uint64_t len = min64(get(in, 2) % 1400, end);
    if (end > RSPAN)
      len = 0;
    v_insert(end - len, len, true, false);
    break;
  }
  default: { /* RESET_STREAM */
    uint64_t fs = get(in, 2);
    uint8_t mode = (uint8_t)get(in, 1);
    if (mode % 8 == 0)
      fs = get(in, 8);
    else if (mode % 2 == 1)
      fs = near(in, mode & 2 ? V.highest : V.final);
    int want = fs > PQ_STREAM_MAX_OFFSET ? PQUIC_ERR_FLOW_CONTROL : v_expect_final(fs, true);
    int r = pq_recvbuf_reset(&V.rb, fs);
    CHECK(r == want);
    if (r == 0)
      V.final = fs;
  }
  }
  v_compare();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input in = {data, size};
  uint8_t cfg = (uint8_t)get(&in, 1);

  pq_ranges_init(&g_set);
  memset(g_bit, 0, sizeof(g_bit));

  memset(&S, 0, sizeof(S));
  S.crypto = cfg & 1;
  pq_sendbuf_init(&S.sb, S.crypto ? PQ_SENDBUF_CRYPTO : PQ_SENDBUF_STREAM);

  memset(&V, 0, sizeof(V));
  pq_recvbuf_init(&V.rb);
  V.final = PQ_FINAL_SIZE_UNKNOWN;
  V.max_ranges = PQ_RECVBUF_DEFAULT_MAX_RANGES;
  if (cfg & 2) {
    V.max_ranges = 1 + (cfg >> 2) % 16;
    pq_recvbuf_set_max_ranges(&V.rb, V.max_ranges);
  }
  g_fail = -1;

  for (int ops = 0; in.n > 0 && ops < 4000; ops++) {
    switch (get(&in, 1) % 3) {
    case 0:
      ranges_op(&in);
      break;
    case 1:
      sendbuf_op(&in);
      break;
    default:
      recvbuf_op(&in);
    }
  }
  pq_alloc_fail_after(-1);

  pq_ranges_free(&g_set);
  pq_sendbuf_free(&S.sb);
  pq_recvbuf_free(&V.rb);
  return 0;
}
