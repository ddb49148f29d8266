/* Stream send buffer: scenarios, a differential test against a per-byte
 * model, and an out-of-memory sweep. Also covers the chunk storage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/alloc.h"
#include "common/sendbuf.h"
#include "pquic/errors.h"

static uint64_t rng_state;
static uint64_t rnd(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1DULL;
}
static uint64_t rnd_below(uint64_t n) {
  return rnd() % n;
}

static void fill(uint8_t *p, size_t n, uint64_t start) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)((start + i) * 131 + ((start + i) >> 8));
}

static void expect_next(const pq_sendbuf *sb, uint64_t max_off, uint64_t max_len, uint64_t off,
                        uint64_t len, bool fin, bool retx) {
  pq_sendbuf_range r;
  assert_true(pq_sendbuf_next(sb, max_off, max_len, &r));
  assert_true(r.off == off);
  assert_true(r.len == len);
  assert_int_equal(r.fin, fin);
  assert_int_equal(r.retransmit, retx);
}

static void expect_none(const pq_sendbuf *sb, uint64_t max_off, uint64_t max_len) {
  pq_sendbuf_range r;
  assert_false(pq_sendbuf_next(sb, max_off, max_len, &r));
}

static void test_basic_flow(void **state) {
  (void)state;
  pq_sendbuf sb;
  pq_sendbuf_init(&sb, PQ_SENDBUF_STREAM);
  expect_none(&sb, UINT64_MAX, 1000);
  uint8_t in[3000], out[3000];
  fill(in, sizeof(in), 0);
  assert_int_equal(pq_sendbuf_write(&sb, in, 1000), 0);
  assert_int_equal(pq_sendbuf_write(&sb, in + 1000, 2000), 0);
  assert_int_equal(pq_sendbuf_write(&sb, NULL, 0), 0);
  assert_true(pq_sendbuf_written(&sb) == 3000);
  assert_true(pq_sendbuf_buffered(&sb) == 3000);
  assert_true(pq_sendbuf_unsent(&sb) == 3000);
  /* New data, limited by the packet and by flow control. */
  expect_next(&sb, UINT64_MAX, 1200, 0, 1200, false, false);
  expect_next(&sb, 500, 1200, 0, 500, false, false);
  expect_none(&sb, 0, 1200);
  assert_int_equal(pq_sendbuf_copy(&sb, 0, out, 1200), 0);
  assert_memory_equal(out, in, 1200);
  assert_int_equal(pq_sendbuf_sent(&sb, 0, 1200, false), 0);
  assert_true(pq_sendbuf_sent_hi(&sb) == 1200);
  expect_next(&sb, UINT64_MAX, 1200, 1200, 1200, false, false);
  assert_int_equal(pq_sendbuf_sent(&sb, 1200, 1200, false), 0);
  expect_next(&sb, UINT64_MAX, 1200, 2400, 600, false, false);
  assert_int_equal(pq_sendbuf_sent(&sb, 2400, 600, false), 0);
  expect_none(&sb, UINT64_MAX, 1200);
  /* The middle packet is lost, the others acknowledged. */
  assert_int_equal(pq_sendbuf_ack(&sb, 0, 1200, false), 0);
  assert_true(pq_sendbuf_acked_prefix(&sb) == 1200);
  assert_true(pq_sendbuf_buffered(&sb) == 1800);
  assert_int_equal(pq_sendbuf_lost(&sb, 1200, 1200, false), 0);
  assert_int_equal(pq_sendbuf_ack(&sb, 2400, 600, false), 0);
  assert_true(pq_sendbuf_has_lost(&sb));
  /* Retransmission comes first, and may be split over packets. */
  expect_next(&sb, 0, 1000, 1200, 1000, false, true);
  assert_int_equal(pq_sendbuf_copy(&sb, 1200, out, 1000), 0);
  assert_memory_equal(out, in + 1200, 1000);
  assert_int_equal(pq_sendbuf_sent(&sb, 1200, 1000, false), 0);
  expect_next(&sb, 0, 1000, 2200, 200, false, true);
  assert_int_equal(pq_sendbuf_sent(&sb, 2200, 200, false), 0);
  assert_false(pq_sendbuf_has_lost(&sb));
  expect_none(&sb, UINT64_MAX, 1000);
  assert_int_equal(pq_sendbuf_ack(&sb, 1200, 1200, false), 0);
  assert_true(pq_sendbuf_acked_prefix(&sb) == 3000);
  assert_true(pq_sendbuf_buffered(&sb) == 0);
  assert_int_equal(pq_sendbuf_allocated(&sb), 0); /* freed promptly */
  assert_false(pq_sendbuf_all_acked(&sb));        /* no FIN yet */
  /* Writing after everything was acknowledged works. */
  assert_int_equal(pq_sendbuf_write(&sb, in, 10), 0);
  expect_next(&sb, UINT64_MAX, 100, 3000, 10, false, false);
  assert_int_equal(pq_sendbuf_copy(&sb, 3000, out, 10), 0);
  assert_memory_equal(out, in, 10);
  pq_sendbuf_free(&sb);
}

static void test_fin(void **state) {
  (void)state;
  pq_sendbuf sb;
  pq_sendbuf_init(&sb, PQ_SENDBUF_STREAM);
  uint8_t in[100];
  fill(in, sizeof(in), 7);
  assert_int_equal(pq_sendbuf_write(&sb, in, 100), 0);
  assert_int_equal(pq_sendbuf_fin(&sb), 0);
  assert_int_equal(pq_sendbuf_fin(&sb), 0); /* idempotent */
  assert_int_equal(pq_sendbuf_write(&sb, in, 1), PQUIC_ERR_STATE);
  /* FIN rides with the last byte, not with a trimmed range. */
  expect_next(&sb, UINT64_MAX, 60, 0, 60, false, false);
  expect_next(&sb, UINT64_MAX, 100, 0, 100, true, false);
  expect_next(&sb, 100, 100, 0, 100, true, false);
  expect_next(&sb, 99, 100, 0, 99, false, false);
  assert_int_equal(pq_sendbuf_sent(&sb, 0, 60, true), PQUIC_ERR_INVAL);
  assert_int_equal(pq_sendbuf_sent(&sb, 0, 60, false), 0);
  expect_next(&sb, UINT64_MAX, 100, 60, 40, true, false);
  assert_int_equal(pq_sendbuf_ack(&sb, 60, 40, true), PQUIC_ERR_INVAL); /* not sent yet */
  assert_int_equal(pq_sendbuf_sent(&sb, 60, 40, true), 0);
  assert_true(pq_sendbuf_fin_sent(&sb));
  expect_none(&sb, UINT64_MAX, 100);
  /* The packet with the FIN is lost; the bytes are then acknowledged by
   * another copy, so only a bare FIN is resent. */
  assert_int_equal(pq_sendbuf_lost(&sb, 60, 40, true), 0);
  expect_next(&sb, UINT64_MAX, 100, 60, 40, true, true);
  assert_int_equal(pq_sendbuf_ack(&sb, 0, 100, false), 0);
  expect_next(&sb, UINT64_MAX, 100, 100, 0, true, true);
  expect_next(&sb, UINT64_MAX, 0, 100, 0, true, true);
  assert_int_equal(pq_sendbuf_sent(&sb, 100, 0, true), 0);
  expect_none(&sb, UINT64_MAX, 100);
  assert_false(pq_sendbuf_all_acked(&sb));
  assert_int_equal(pq_sendbuf_ack(&sb, 100, 0, true), 0);
  assert_true(pq_sendbuf_fin_acked(&sb));
  assert_true(pq_sendbuf_all_acked(&sb));
  /* A late loss report of the FIN is a no-op. */
  assert_int_equal(pq_sendbuf_lost(&sb, 60, 40, true), 0);
  expect_none(&sb, UINT64_MAX, 100);
  pq_sendbuf_free(&sb);

  /* An empty stream with only a FIN. */
  pq_sendbuf_init(&sb, PQ_SENDBUF_STREAM);
  assert_int_equal(pq_sendbuf_fin(&sb), 0);
  expect_next(&sb, 0, 0, 0, 0, true, false);
  assert_int_equal(pq_sendbuf_sent(&sb, 0, 0, true), 0);
  assert_int_equal(pq_sendbuf_ack(&sb, 0, 0, true), 0);
  assert_true(pq_sendbuf_all_acked(&sb));
  pq_sendbuf_free(&sb);

  /* FIN set after all data was sent: a bare FIN follows. */
  pq_sendbuf_init(&sb, PQ_SENDBUF_STREAM);
  assert_int_equal(pq_sendbuf_write(&sb, in, 10), 0);
  assert_int_equal(pq_sendbuf_sent(&sb, 0, 10, false), 0);
  assert_int_equal(pq_sendbuf_fin(&sb), 0);
  expect_next(&sb, 5, 100, 10, 0, true, false);
  pq_sendbuf_free(&sb);
}

static void test_lost_and_acked_interplay(void **state) {
  (void)state;
  pq_sendbuf sb;
  pq_sendbuf_init(&sb, PQ_SENDBUF_STREAM);
  static uint8_t in[10000];
  fill(in, sizeof(in), 3);
  assert_int_equal(pq_sendbuf_write(&sb, in, sizeof(in)), 0);
  for (uint64_t off = 0; off < 10000; off += 1000)
    assert_int_equal(pq_sendbuf_sent(&sb, off, 1000, false), 0);
  /* Acks with holes, then a loss report over everything: only the holes
   * become lost. */
  assert_int_equal(pq_sendbuf_ack(&sb, 1000, 1000, false), 0);
  assert_int_equal(pq_sendbuf_ack(&sb, 3000, 500, false), 0);
  assert_int_equal(pq_sendbuf_ack(&sb, 9000, 1000, false), 0);
  assert_int_equal(pq_sendbuf_lost(&sb, 0, 10000, false), 0);
  const uint64_t want[] = {0, 999, 2000, 2999, 3500, 8999};
  assert_int_equal(pq_ranges_count(&sb.lost), 3);
  for (uint32_t i = 0; i < 3; i++) {
    assert_true(pq_ranges_at(&sb.lost, i)->lo == want[2 * i]);
    assert_true(pq_ranges_at(&sb.lost, i)->hi == want[2 * i + 1]);
  }
  /* Lowest lost range first. */
  expect_next(&sb, UINT64_MAX, 5000, 0, 1000, false, true);
  /* An ack of a lost range removes it; resending the middle splits it. */
  assert_int_equal(pq_sendbuf_ack(&sb, 0, 1000, false), 0);
  assert_true(pq_sendbuf_acked_prefix(&sb) == 2000);
  assert_int_equal(pq_sendbuf_sent(&sb, 5000, 100, false), 0);
  assert_int_equal(pq_ranges_count(&sb.lost), 3);
  expect_next(&sb, UINT64_MAX, 5000, 2000, 1000, false, true);
  /* Lost after acked is a no-op. */
  assert_int_equal(pq_sendbuf_lost(&sb, 1000, 1000, false), 0);
  expect_next(&sb, UINT64_MAX, 5000, 2000, 1000, false, true);
  /* Errors: beyond sent data, gaps, copies of freed data. */
  uint8_t out[16];
  assert_int_equal(pq_sendbuf_ack(&sb, 9999, 2, false), PQUIC_ERR_INVAL);
  assert_int_equal(pq_sendbuf_lost(&sb, 10001, 0, false), PQUIC_ERR_INVAL);
  assert_int_equal(pq_sendbuf_lost(&sb, 0, 1, true), PQUIC_ERR_INVAL); /* no FIN sent */
  assert_int_equal(pq_sendbuf_sent(&sb, 9990, 20, false), PQUIC_ERR_INVAL);
  assert_int_equal(pq_sendbuf_copy(&sb, 1999, out, 2), PQUIC_ERR_INVAL);
  assert_int_equal(pq_sendbuf_copy(&sb, 9990, out, 11), PQUIC_ERR_INVAL);
  assert_int_equal(pq_sendbuf_copy(&sb, 9990, out, 10), 0);
  assert_memory_equal(out, in + 9990, 10);
  assert_int_equal(pq_sendbuf_copy(&sb, 10000, out, 0), 0);
  assert_int_equal(pq_sendbuf_write(&sb, in, 100), 0);
  assert_int_equal(pq_sendbuf_sent(&sb, 10050, 50, false), PQUIC_ERR_INVAL); /* gap */
  pq_sendbuf_free(&sb);
}

static void test_chunks_and_memory(void **state) {
  (void)state;
  enum { N = 5 * PQ_CHUNK_SIZE + 123 };
  static uint8_t in[N], out[N];
  fill(in, N, 11);
  pq_sendbuf sb;
  pq_sendbuf_init(&sb, PQ_SENDBUF_STREAM);
  /* A small stream costs little memory. */
  assert_int_equal(pq_sendbuf_write(&sb, in, 100), 0);
  assert_true(pq_sendbuf_allocated(&sb) <= 128);
  /* Odd-sized writes across chunk boundaries. */
  size_t w = 100;
  while (w < N) {
    size_t n = 1 + (w * 7919) % 5000;
    if (n > N - w)
      n = N - w;
    assert_int_equal(pq_sendbuf_write(&sb, in + w, n), 0);
    w += n;
  }
  assert_true(pq_sendbuf_allocated(&sb) == 6 * PQ_CHUNK_SIZE);
  /* A copy spanning every chunk. */
  assert_int_equal(pq_sendbuf_copy(&sb, 0, out, N), 0);
  assert_memory_equal(out, in, N);
  /* Peek stops at chunk boundaries. */
  const uint8_t *p;
  size_t n = pq_sendbuf_peek(&sb, PQ_CHUNK_SIZE - 10, &p);
  assert_int_equal(n, 10);
  assert_memory_equal(p, in + PQ_CHUNK_SIZE - 10, 10);
  n = pq_sendbuf_peek(&sb, N - 3, &p);
  assert_int_equal(n, 3);
  assert_int_equal(pq_sendbuf_peek(&sb, N, &p), 0);
  assert_null(p);
  /* Acknowledging a prefix frees whole chunks below it. */
  assert_int_equal(pq_sendbuf_sent(&sb, 0, N, false), 0);
  assert_int_equal(pq_sendbuf_ack(&sb, 0, 2 * PQ_CHUNK_SIZE + 5, false), 0);
  assert_true(pq_sendbuf_allocated(&sb) == 4 * PQ_CHUNK_SIZE);
  assert_int_equal(pq_sendbuf_peek(&sb, 2 * PQ_CHUNK_SIZE + 4, &p), 0);
  n = pq_sendbuf_peek(&sb, 2 * PQ_CHUNK_SIZE + 5, &p);
  assert_int_equal(n, PQ_CHUNK_SIZE - 5);
  assert_memory_equal(p, in + 2 * PQ_CHUNK_SIZE + 5, n);
  /* Acks out of order keep memory until the prefix moves. */
  assert_int_equal(pq_sendbuf_ack(&sb, 4 * PQ_CHUNK_SIZE, N - 4 * PQ_CHUNK_SIZE, false), 0);
  assert_true(pq_sendbuf_allocated(&sb) == 4 * PQ_CHUNK_SIZE);
  assert_int_equal(pq_sendbuf_copy(&sb, 2 * PQ_CHUNK_SIZE + 5, out, N - 2 * PQ_CHUNK_SIZE - 5), 0);
  assert_memory_equal(out, in + 2 * PQ_CHUNK_SIZE + 5, N - 2 * PQ_CHUNK_SIZE - 5);
  assert_int_equal(pq_sendbuf_ack(&sb, 0, 4 * PQ_CHUNK_SIZE, false), 0);
  assert_int_equal(pq_sendbuf_allocated(&sb), 0);
  pq_sendbuf_free(&sb);
}

static void test_crypto_mode_and_limits(void **state) {
  (void)state;
  pq_sendbuf sb;
  pq_sendbuf_init(&sb, PQ_SENDBUF_CRYPTO);
  uint8_t in[300];
  fill(in, sizeof(in), 1);
  assert_int_equal(pq_sendbuf_fin(&sb), PQUIC_ERR_STATE);
  assert_true(pq_sendbuf_all_acked(&sb)); /* nothing to deliver */
  assert_int_equal(pq_sendbuf_write(&sb, in, 300), 0);
  assert_false(pq_sendbuf_all_acked(&sb));
  expect_next(&sb, UINT64_MAX, 1000, 0, 300, false, false);
  assert_int_equal(pq_sendbuf_sent(&sb, 0, 300, false), 0);
  assert_int_equal(pq_sendbuf_sent(&sb, 0, 300, true), PQUIC_ERR_INVAL);
  assert_int_equal(pq_sendbuf_ack(&sb, 0, 300, false), 0);
  assert_true(pq_sendbuf_all_acked(&sb));
  pq_sendbuf_free(&sb);
  assert_int_equal(pq_sendbuf_fin(&sb), PQUIC_ERR_STATE); /* mode survives free */
  /* The 2^62 - 1 end-offset limit. */
  pq_sendbuf_init(&sb, PQ_SENDBUF_STREAM);
  sb.written = sb.sent_hi = sb.acked_prefix = PQ_STREAM_MAX_OFFSET - 2;
  assert_int_equal(pq_sendbuf_write(&sb, in, 3), PQUIC_ERR_LIMIT);
  assert_int_equal(pq_sendbuf_write(&sb, in, 2), 0);
  assert_true(pq_sendbuf_written(&sb) == PQ_STREAM_MAX_OFFSET);
  uint8_t out[2];
  assert_int_equal(pq_sendbuf_copy(&sb, PQ_STREAM_MAX_OFFSET - 2, out, 2), 0);
  assert_memory_equal(out, in, 2);
  pq_sendbuf_free(&sb);
}

/* ---- differential test against a per-byte model ---- */

enum { MAXB = 70000, UNSENT = 0, INFLIGHT, LOST, ACKED };

typedef struct {
  uint8_t bytes[MAXB];
  uint8_t st[MAXB];
  uint64_t written, sent_hi;
  uint64_t prefix; /* lower bound of the acknowledged prefix */
  uint64_t nlost;  /* bytes in state LOST */
  bool fin, fin_sent, fin_acked, fin_lost;
} model;

static void set_state(model *m, uint64_t b, uint8_t st) {
  m->nlost -= m->st[b] == LOST;
  m->nlost += st == LOST;
  m->st[b] = st;
}

typedef struct {
  uint64_t off, len;
  bool fin;
} pkt;

static uint64_t model_prefix(model *m) {
  while (m->prefix < m->written && m->st[m->prefix] == ACKED)
    m->prefix++;
  return m->prefix;
}

static bool model_needs_fin(const model *m) {
  return m->fin && !m->fin_acked && (!m->fin_sent || m->fin_lost);
}

static bool model_next(const model *m, uint64_t max_off, uint64_t max_len, pq_sendbuf_range *r) {
  if (max_len > 0) {
    for (uint64_t a = m->prefix; m->nlost > 0 && a < m->sent_hi; a++) {
      if (m->st[a] != LOST)
        continue;
      uint64_t b = a;
      while (b < m->sent_hi && m->st[b] == LOST)
        b++;
      uint64_t len = b - a < max_len ? b - a : max_len;
      *r = (pq_sendbuf_range){a, len, model_needs_fin(m) && a + len == m->written, true};
      return true;
    }
    if (m->sent_hi < m->written && m->sent_hi < max_off) {
      uint64_t end = m->written < max_off ? m->written : max_off;
      uint64_t len = end - m->sent_hi < max_len ? end - m->sent_hi : max_len;
      *r = (pq_sendbuf_range){m->sent_hi, len, model_needs_fin(m) && m->sent_hi + len == m->written,
                              false};
      return true;
    }
  }
  if (model_needs_fin(m) && m->sent_hi == m->written) {
    *r = (pq_sendbuf_range){m->written, 0, true, m->fin_sent};
    return true;
  }
  return false;
}

static void compare(model *m, const pq_sendbuf *sb) {
  assert_true(pq_sendbuf_written(sb) == m->written);
  assert_true(pq_sendbuf_sent_hi(sb) == m->sent_hi);
  uint64_t prefix = model_prefix(m);
  assert_true(pq_sendbuf_acked_prefix(sb) == prefix);
  assert_true(pq_sendbuf_buffered(sb) == m->written - prefix);
  assert_int_equal(pq_sendbuf_fin_sent(sb), m->fin_sent);
  assert_int_equal(pq_sendbuf_fin_acked(sb), m->fin_acked);
  assert_int_equal(pq_sendbuf_all_acked(sb), prefix == m->written && m->fin_acked);
  /* Memory: nothing below the prefix's chunk, nothing at all when done. */
  uint64_t from = prefix / PQ_CHUNK_SIZE * PQ_CHUNK_SIZE;
  uint64_t chunks = (m->written - from + PQ_CHUNK_SIZE - 1) / PQ_CHUNK_SIZE;
  assert_true(pq_sendbuf_allocated(sb) <= chunks * PQ_CHUNK_SIZE);
  if (prefix == m->written)
    assert_int_equal(pq_sendbuf_allocated(sb), 0);
  for (int k = 0; k < 2; k++) {
    uint64_t max_off = rnd_below(4) ? UINT64_MAX : rnd_below(MAXB);
    uint64_t max_len = rnd_below(5) ? 1 + rnd_below(3000) : rnd_below(2);
    pq_sendbuf_range want, got;
    bool w = model_next(m, max_off, max_len, &want);
    assert_int_equal(pq_sendbuf_next(sb, max_off, max_len, &got), w);
    if (w) {
      assert_true(got.off == want.off && got.len == want.len);
      assert_int_equal(got.fin, want.fin);
      assert_int_equal(got.retransmit, want.retransmit);
    }
  }
  /* Stored bytes read back right. */
  if (m->written > prefix) {
    static uint8_t out[4000];
    uint64_t off = prefix + rnd_below(m->written - prefix);
    uint64_t len = rnd_below(m->written - off + 1);
    if (len > sizeof(out))
      len = sizeof(out);
    assert_int_equal(pq_sendbuf_copy(sb, off, out, len), 0);
    assert_memory_equal(out, m->bytes + off, len);
  }
}

static void test_differential(void **state) {
  (void)state;
  static model m;
  static pkt flight[4096];
  static uint8_t buf[4000];
  for (uint64_t seed = 1; seed <= 12; seed++) {
    rng_state = seed * 7777;
    memset(&m, 0, sizeof(m));
    int nflight = 0;
    pq_sendbuf sb;
    pq_sendbuf_init(&sb, PQ_SENDBUF_STREAM);
    for (int step = 0; step < 3000; step++) {
      uint64_t op = rnd_below(100);
      if (op < 15 && !m.fin) {
        /* Write. */
        uint64_t n = rnd_below(3) ? rnd_below(2000) : rnd_below(20000);
        if (n > MAXB - m.written)
          n = MAXB - m.written;
        for (uint64_t i = 0; i < n; i++)
          m.bytes[m.written + i] = (uint8_t)rnd();
        assert_int_equal(pq_sendbuf_write(&sb, m.bytes + m.written, n), 0);
        m.written += n;
        if (rnd_below(40) == 0 || m.written == MAXB) {
          assert_int_equal(pq_sendbuf_fin(&sb), 0);
          m.fin = true;
        }
      } else if (op < 55 && nflight < 4096) {
        /* Send what next() offers, as a packet would. */
        uint64_t max_len = 1 + rnd_below(1500);
        pq_sendbuf_range r;
        if (!pq_sendbuf_next(&sb, UINT64_MAX, max_len, &r))
          continue;
        assert_true(r.len <= sizeof(buf));
        assert_int_equal(pq_sendbuf_copy(&sb, r.off, buf, r.len), 0);
        assert_memory_equal(buf, m.bytes + r.off, r.len);
        /* Reporting what next() offered never allocates, so never fails. */
        pq_alloc_fail_after(0);
        assert_int_equal(pq_sendbuf_sent(&sb, r.off, r.len, r.fin), 0);
        pq_alloc_fail_after(-1);
        for (uint64_t i = r.off; i < r.off + r.len; i++)
          if (m.st[i] != ACKED)
            set_state(&m, i, INFLIGHT);
        if (r.off + r.len > m.sent_hi)
          m.sent_hi = r.off + r.len;
        if (r.fin) {
          m.fin_sent = true;
          m.fin_lost = false;
        }
        flight[nflight++] = (pkt){r.off, r.len, r.fin};
      } else if (op < 85 && nflight > 0) {
        /* Acknowledge (sometimes twice) or lose a packet in flight. */
        int i = (int)rnd_below(nflight);
        pkt p = flight[i];
        bool ack = rnd_below(3) != 0;
        if (ack) {
          assert_int_equal(pq_sendbuf_ack(&sb, p.off, p.len, p.fin), 0);
          for (uint64_t b = p.off; b < p.off + p.len; b++)
            set_state(&m, b, ACKED);
          if (p.fin) {
            m.fin_acked = true;
            m.fin_lost = false;
          }
        } else {
          assert_int_equal(pq_sendbuf_lost(&sb, p.off, p.len, p.fin), 0);
          for (uint64_t b = p.off; b < p.off + p.len; b++)
            if (m.st[b] != ACKED)
              set_state(&m, b, LOST);
          if (p.fin && !m.fin_acked)
            m.fin_lost = true;
        }
        if (!ack || rnd_below(4) != 0)
          flight[i] = flight[--nflight];
      }
      compare(&m, &sb);
    }
    pq_sendbuf_free(&sb);
  }
}

/* ---- out-of-memory sweep ---- */

typedef struct {
  uint64_t written, sent_hi, prefix;
  uint8_t fin, fin_sent, fin_acked, fin_lost;
  uint32_t nacked, nlost;
  pq_range acked[64], lost[64];
  uint64_t sum; /* checksum of the stored bytes [prefix, written) */
} snap;

static void take(snap *s, const pq_sendbuf *sb) {
  memset(s, 0, sizeof(*s));
  s->written = sb->written;
  s->sent_hi = sb->sent_hi;
  s->prefix = sb->acked_prefix;
  s->fin = sb->fin;
  s->fin_sent = sb->fin_sent;
  s->fin_acked = sb->fin_acked;
  s->fin_lost = sb->fin_lost;
  s->nacked = pq_ranges_count(&sb->acked);
  s->nlost = pq_ranges_count(&sb->lost);
  assert_true(s->nacked <= 64 && s->nlost <= 64);
  for (uint32_t i = 0; i < s->nacked; i++)
    s->acked[i] = *pq_ranges_at(&sb->acked, i);
  for (uint32_t i = 0; i < s->nlost; i++)
    s->lost[i] = *pq_ranges_at(&sb->lost, i);
  uint8_t b[512];
  for (uint64_t off = s->prefix; off < s->written; off += sizeof(b)) {
    size_t n = s->written - off < sizeof(b) ? (size_t)(s->written - off) : sizeof(b);
    assert_int_equal(pq_sendbuf_copy(sb, off, b, n), 0);
    for (size_t i = 0; i < n; i++)
      s->sum = s->sum * 31 + b[i];
  }
}

static int run_op(pq_sendbuf *sb, int op, const uint8_t *data) {
  static const struct {
    char kind;
    uint32_t off, len;
  } ops[] = {
      /* 4 lost ranges (inline storage full), then a split needs room. */
      {'w', 0, 100},
      {'w', 0, 40000},
      {'s', 0, 1200},
      {'s', 1200, 30000},
      {'a', 100, 200},
      {'a', 400, 100},
      {'a', 700, 50},
      {'l', 0, 1200},
      {'s', 800, 10},
      {'s', 500, 10},
      /* A loss report creating more lost ranges than there is room for. */
      {'w', 0, 30000},
      {'s', 31200, 9000},
      {'a', 20000, 5000},
      {'a', 2000, 10},
      {'a', 3000, 10},
      {'a', 4000, 10},
      {'l', 1200, 38000},
      {'s', 1300, 100},
      {'s', 3000, 10},
      {'a', 0, 16000},
      {'a', 33000, 100},
      {'f', 0, 0},
      {'s', 40200, 29900},
      {'l', 0, 70100},
      {'s', 0, 70100},
      {'a', 0, 70100},
  };
  if (op >= (int)(sizeof(ops) / sizeof(ops[0])))
    return 1;
  uint32_t off = ops[op].off, len = ops[op].len;
  switch (ops[op].kind) {
  case 'w':
    return pq_sendbuf_write(sb, data, len);
  case 's':
    return pq_sendbuf_sent(sb, off, len, sb->fin && off + len == sb->written);
  case 'a':
    return pq_sendbuf_ack(sb, off, len, false);
  case 'l':
    return pq_sendbuf_lost(sb, off, len, false);
  default:
    return pq_sendbuf_fin(sb);
  }
}

static int oom_run(long fail_at, snap *final) {
  static uint8_t data[40000];
  fill(data, sizeof(data), 5);
  pq_sendbuf sb;
  pq_sendbuf_init(&sb, PQ_SENDBUF_STREAM);
  int failed = 0;
  snap before, after;
  pq_alloc_fail_after(fail_at);
  for (int op = 0;; op++) {
    take(&before, &sb);
    int r = run_op(&sb, op, data);
    if (r == 1)
      break;
    if (r == PQUIC_ERR_NOMEM) {
      failed = 1;
      take(&after, &sb);
      assert_memory_equal(&before, &after, sizeof(before));
      pq_alloc_fail_after(-1);
      r = run_op(&sb, op, data);
    }
    assert_int_equal(r, 0);
  }
  pq_alloc_fail_after(-1);
  take(final, &sb);
  pq_sendbuf_free(&sb);
  return failed;
}

static void test_oom_sweep(void **state) {
  (void)state;
  static snap ref, got;
  assert_int_equal(oom_run(-1, &ref), 0);
  assert_true(ref.written == 70100);
  assert_true(ref.prefix == 70100);
  long n = 0;
  while (oom_run(n, &got)) {
    assert_memory_equal(&got, &ref, sizeof(ref));
    n++;
  }
  assert_true(n >= 8);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic_flow),
      cmocka_unit_test(test_fin),
      cmocka_unit_test(test_lost_and_acked_interplay),
      cmocka_unit_test(test_chunks_and_memory),
      cmocka_unit_test(test_crypto_mode_and_limits),
      cmocka_unit_test(test_differential),
      cmocka_unit_test(test_oom_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
