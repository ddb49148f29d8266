/*
 * Fuzzes frame decoding over a packet payload: decodes frames one after the
 * other; every frame that decodes must re-encode to pq_frame_size() bytes
 * and decode back to an equal frame. A failed decode must leave the cursor
 * where it was and name a rule. ACK frames are also walked, rewritten from
 * their ranges with pq_ack_frame_write() under a budget, and re-decoded;
 * STREAM and CRYPTO frames exercise the budget fitting functions.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/frame.h"

#define CHECK(c)                                                                                   \
  do {                                                                                             \
    if (!(c)) {                                                                                    \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                        \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

static uint8_t g_out[1 << 17];

#define MAX_RANGES 512
static pq_range g_ranges[MAX_RANGES];

static void check_roundtrip(const pq_frame *f) {
  size_t n = pq_frame_size(f);
  CHECK(n > 0);
  if (n > sizeof g_out)
    return;
  pq_wbuf w = pq_wbuf_make(g_out, n);
  CHECK(pq_frame_encode(&w, f) == 0);
  CHECK(w.p == g_out + n);
  pq_rbuf r = pq_rbuf_make(g_out, n);
  pq_frame back;
  const char *rule = NULL;
  CHECK(pq_frame_decode(&r, &back, &rule) == 0);
  CHECK(pq_rbuf_left(&r) == 0);
  CHECK(pq_frame_equal(f, &back));
  if (n > 1) {
    w = pq_wbuf_make(g_out, n - 1);
    CHECK(pq_frame_encode(&w, f) == PQUIC_ERR_BUFFER_TOO_SMALL && w.p == g_out);
  }
}

/* Walks the ranges, checks their order, and rewrites them. */
static void check_ack(const pq_ack_frame *a, bool ecn, size_t budget_seed) {
  pq_ack_iter it;
  pq_ack_iter_init(&it, a);
  uint64_t lo, hi, prev_lo = 0, count = 0;
  size_t n = 0;
  while (pq_ack_iter_next(&it, &lo, &hi)) {
    CHECK(lo <= hi);
    if (count)
      CHECK(hi + 2 <= prev_lo);
    else
      CHECK(hi == a->largest);
    prev_lo = lo;
    if (n < MAX_RANGES)
      g_ranges[MAX_RANGES - 1 - n++] = (pq_range){lo, hi};
    count++;
  }
  CHECK(count == a->range_count + 1);
  CHECK(prev_lo == a->smallest);
  /* The n highest ranges, ascending, end at g_ranges[MAX_RANGES - 1]. */
  const pq_range *asc = g_ranges + MAX_RANGES - n;
  size_t budget = budget_seed % 2048;
  pq_wbuf w = pq_wbuf_make(g_out, sizeof g_out);
  size_t written = 0;
  int rc = pq_ack_frame_write(&w, asc, n, a->ack_delay, ecn ? a->ecn : NULL, budget, &written);
  if (rc == PQUIC_ERR_BUFFER_TOO_SMALL) {
    CHECK(w.p == g_out && budget < 64);
    return;
  }
  CHECK(rc == 0 && written >= 1 && written <= n && (size_t)(w.p - g_out) <= budget);
  pq_rbuf r = pq_rbuf_make(g_out, (size_t)(w.p - g_out));
  pq_frame back;
  CHECK(pq_frame_decode(&r, &back, NULL) == 0 && pq_rbuf_left(&r) == 0);
  CHECK(back.u.ack.largest == a->largest && back.u.ack.range_count + 1 == written);
  CHECK(back.u.ack.smallest == asc[n - written].lo);
}

static void check_fit(const pq_frame *f, size_t seed) {
  size_t budget = seed % 1500, d = 0;
  bool with_len = seed & 1;
  if (pq_frame_is_stream(f->type)) {
    const pq_stream_frame *s = &f->u.stream;
    if (pq_stream_frame_fit(s->stream_id, s->offset, s->len, budget, with_len, &d)) {
      CHECK(d <= s->len);
      CHECK(pq_stream_header_len(s->stream_id, s->offset, d, with_len) + d <= budget);
      pq_wbuf w = pq_wbuf_make(g_out, budget);
      CHECK(pq_stream_frame_write(&w, s->stream_id, s->offset, s->data, d, s->fin, with_len) == 0);
    } else {
      CHECK(budget < pq_stream_header_len(s->stream_id, s->offset, 0, with_len));
    }
  } else if (f->type == PQ_FT_CRYPTO) {
    const pq_crypto_frame *c = &f->u.crypto;
    if (pq_crypto_frame_fit(c->offset, c->len, budget, &d)) {
      CHECK(d <= c->len);
      pq_wbuf w = pq_wbuf_make(g_out, budget);
      CHECK(pq_crypto_header_write(&w, c->offset, d) == 0);
      CHECK(pq_wbuf_left(&w) >= d);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pq_rbuf r = pq_rbuf_make(data, size);
  while (pq_rbuf_left(&r)) {
    pq_frame f;
    const char *rule = NULL;
    const uint8_t *at = r.p;
    int rc = pq_frame_decode(&r, &f, &rule);
    if (rc != 0) {
      CHECK(r.p == at && rule != NULL);
      CHECK(rc == PQUIC_ERR_FRAME_ENCODING || rc == PQUIC_ERR_PROTOCOL_VIOLATION ||
            rc == PQUIC_ERR_FRAME_UNKNOWN);
      if (rc == PQUIC_ERR_FRAME_UNKNOWN)
        CHECK(pq_frame_info_get(f.type) == NULL);
      break;
    }
    CHECK(r.p > at);
    const pq_frame_info *fi = pq_frame_info_get(f.type);
    CHECK(fi != NULL && fi->name != NULL);
    for (int pkt = PQ_PKT_INITIAL; pkt <= PQ_PKT_VN; pkt++) {
      int allowed = pq_frame_check_allowed(f.type, (pq_pkt_type)pkt, NULL);
      CHECK(allowed == 0 || allowed == PQUIC_ERR_FRAME_NOT_ALLOWED);
    }
    check_roundtrip(&f);
    if (f.type == PQ_FT_ACK || f.type == PQ_FT_ACK_ECN)
      check_ack(&f.u.ack, f.type == PQ_FT_ACK_ECN, size);
    check_fit(&f, size + (size_t)(r.p - data));
  }
  return 0;
}
