/* Stream receive buffer: reassembly scenarios, final size rules (RFC 9000
 * §4.5), memory bounds, a differential test against a flat byte model, and
 * an out-of-memory sweep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/alloc.h"
#include "common/recvbuf.h"
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

static void test_in_order_and_gaps(void **state) {
  (void)state;
  pq_recvbuf rb;
  pq_recvbuf_init(&rb);
  uint8_t in[1000], out[1000];
  fill(in, sizeof(in), 0);
  assert_true(pq_recvbuf_readable(&rb) == 0);
  assert_int_equal(pq_recvbuf_read(&rb, out, 10), 0);
  assert_int_equal(pq_recvbuf_insert(&rb, 0, in, 100, false), 0);
  assert_true(pq_recvbuf_readable(&rb) == 100);
  /* Out of order: a gap at [200, 300). */
  assert_int_equal(pq_recvbuf_insert(&rb, 300, in + 300, 200, false), 0);
  assert_int_equal(pq_recvbuf_insert(&rb, 100, in + 100, 100, false), 0);
  assert_true(pq_recvbuf_readable(&rb) == 200);
  assert_true(pq_recvbuf_highest(&rb) == 500);
  assert_true(pq_recvbuf_buffered(&rb) == 400);
  assert_int_equal(pq_recvbuf_read(&rb, out, 150), 150);
  assert_memory_equal(out, in, 150);
  assert_true(pq_recvbuf_read_off(&rb) == 150);
  assert_int_equal(pq_recvbuf_read(&rb, out, 1000), 50);
  assert_memory_equal(out, in + 150, 50);
  assert_int_equal(pq_recvbuf_read(&rb, out, 1000), 0);
  /* Filling the gap with an overlapping frame makes everything readable. */
  assert_int_equal(pq_recvbuf_insert(&rb, 150, in + 150, 200, false), 0);
  assert_true(pq_recvbuf_readable(&rb) == 300);
  const uint8_t *p;
  size_t n = pq_recvbuf_peek(&rb, &p);
  assert_int_equal(n, 300);
  assert_memory_equal(p, in + 200, 300);
  assert_int_equal(pq_recvbuf_consume(&rb, 301), PQUIC_ERR_INVAL);
  assert_int_equal(pq_recvbuf_consume(&rb, 300), 0);
  assert_int_equal(pq_recvbuf_peek(&rb, &p), 0);
  assert_null(p);
  /* Data entirely below the read offset is dropped. */
  assert_int_equal(pq_recvbuf_insert(&rb, 0, in, 400, false), 0);
  assert_true(pq_recvbuf_readable(&rb) == 0);
  assert_true(pq_recvbuf_buffered(&rb) == 0);
  /* A zero-length frame still counts its offset. */
  assert_int_equal(pq_recvbuf_insert(&rb, 900, NULL, 0, false), 0);
  assert_true(pq_recvbuf_highest(&rb) == 900);
  pq_recvbuf_free(&rb);
}

static void test_first_copy_kept(void **state) {
  (void)state;
  pq_recvbuf rb;
  pq_recvbuf_init(&rb);
  uint8_t a[100], b[100], out[100];
  memset(a, 'a', sizeof(a));
  memset(b, 'b', sizeof(b));
  assert_int_equal(pq_recvbuf_insert(&rb, 20, a, 10, false), 0);
  assert_int_equal(pq_recvbuf_insert(&rb, 40, a, 10, false), 0);
  /* A frame covering both with different content fills only the gaps. */
  assert_int_equal(pq_recvbuf_insert(&rb, 0, b, 60, false), 0);
  assert_int_equal(pq_recvbuf_read(&rb, out, 100), 60);
  for (int i = 0; i < 60; i++)
    assert_int_equal(out[i], (i >= 20 && i < 30) || (i >= 40 && i < 50) ? 'a' : 'b');
  pq_recvbuf_free(&rb);
}

static void test_final_size(void **state) {
  (void)state;
  pq_recvbuf rb;
  pq_recvbuf_init(&rb);
  uint8_t in[100], out[100];
  fill(in, sizeof(in), 9);
  assert_false(pq_recvbuf_final_known(&rb));
  assert_true(pq_recvbuf_final_size(&rb) == PQ_FINAL_SIZE_UNKNOWN);
  assert_int_equal(pq_recvbuf_insert(&rb, 50, in + 50, 30, false), 0);
  /* A FIN below data already received. */
  assert_int_equal(pq_recvbuf_insert(&rb, 10, in + 10, 10, true), PQUIC_ERR_FINAL_SIZE);
  assert_int_equal(pq_recvbuf_reset(&rb, 79), PQUIC_ERR_FINAL_SIZE);
  assert_false(pq_recvbuf_final_known(&rb));
  assert_int_equal(pq_recvbuf_insert(&rb, 80, in + 80, 20, true), 0);
  assert_true(pq_recvbuf_final_size(&rb) == 100);
  /* Same final size again: fine. Changed, or data beyond it: errors. */
  assert_int_equal(pq_recvbuf_insert(&rb, 90, in + 90, 10, true), 0);
  assert_int_equal(pq_recvbuf_insert(&rb, 90, in + 90, 5, true), PQUIC_ERR_FINAL_SIZE);
  assert_int_equal(pq_recvbuf_insert(&rb, 95, in, 6, false), PQUIC_ERR_FINAL_SIZE);
  assert_int_equal(pq_recvbuf_insert(&rb, 100, NULL, 0, false), 0);
  assert_int_equal(pq_recvbuf_insert(&rb, 101, NULL, 0, false), PQUIC_ERR_FINAL_SIZE);
  assert_int_equal(pq_recvbuf_reset(&rb, 101), PQUIC_ERR_FINAL_SIZE);
  assert_int_equal(pq_recvbuf_reset(&rb, 100), 0);
  assert_false(pq_recvbuf_all_received(&rb));
  assert_int_equal(pq_recvbuf_insert(&rb, 0, in, 50, false), 0);
  assert_true(pq_recvbuf_all_received(&rb));
  assert_false(pq_recvbuf_finished(&rb));
  assert_int_equal(pq_recvbuf_read(&rb, out, 100), 100);
  assert_memory_equal(out, in, 100);
  assert_true(pq_recvbuf_finished(&rb));
  assert_int_equal(pq_recvbuf_allocated(&rb), 0); /* all freed when done */
  pq_recvbuf_free(&rb);

  /* RESET_STREAM first, then data. */
  pq_recvbuf_init(&rb);
  assert_int_equal(pq_recvbuf_reset(&rb, 10), 0);
  assert_int_equal(pq_recvbuf_insert(&rb, 5, in, 6, false), PQUIC_ERR_FINAL_SIZE);
  assert_int_equal(pq_recvbuf_insert(&rb, 5, in, 5, false), 0);
  assert_int_equal(pq_recvbuf_reset(&rb, 11), PQUIC_ERR_FINAL_SIZE);
  pq_recvbuf_free(&rb);

  /* The FIN arrives after the reader consumed everything: the partly read
   * chunk is freed then. */
  pq_recvbuf_init(&rb);
  assert_int_equal(pq_recvbuf_insert(&rb, 0, in, 100, false), 0);
  assert_int_equal(pq_recvbuf_read(&rb, out, 100), 100);
  assert_true(pq_recvbuf_allocated(&rb) > 0);
  assert_false(pq_recvbuf_finished(&rb));
  assert_int_equal(pq_recvbuf_insert(&rb, 100, NULL, 0, true), 0);
  assert_true(pq_recvbuf_finished(&rb));
  assert_int_equal(pq_recvbuf_allocated(&rb), 0);
  pq_recvbuf_free(&rb);
  pq_recvbuf_init(&rb); /* same with RESET_STREAM */
  assert_int_equal(pq_recvbuf_insert(&rb, 0, in, 100, false), 0);
  assert_int_equal(pq_recvbuf_read(&rb, out, 100), 100);
  assert_int_equal(pq_recvbuf_reset(&rb, 100), 0);
  assert_int_equal(pq_recvbuf_allocated(&rb), 0);
  pq_recvbuf_free(&rb);

  /* An empty stream ended by a FIN. */
  pq_recvbuf_init(&rb);
  assert_int_equal(pq_recvbuf_insert(&rb, 0, NULL, 0, true), 0);
  assert_true(pq_recvbuf_all_received(&rb));
  assert_true(pq_recvbuf_finished(&rb));
  pq_recvbuf_free(&rb);
}

static void test_offset_limit(void **state) {
  (void)state;
  pq_recvbuf rb;
  pq_recvbuf_init(&rb);
  uint8_t in[4] = {1, 2, 3, 4};
  assert_int_equal(pq_recvbuf_insert(&rb, PQ_STREAM_MAX_OFFSET - 3, in, 4, false),
                   PQUIC_ERR_FLOW_CONTROL);
  assert_int_equal(pq_recvbuf_insert(&rb, UINT64_MAX, in, 1, false), PQUIC_ERR_FLOW_CONTROL);
  assert_int_equal(pq_recvbuf_reset(&rb, PQ_STREAM_MAX_OFFSET + 1), PQUIC_ERR_FLOW_CONTROL);
  assert_int_equal(pq_recvbuf_insert(&rb, PQ_STREAM_MAX_OFFSET - 3, in, 3, true), 0);
  assert_true(pq_recvbuf_highest(&rb) == PQ_STREAM_MAX_OFFSET);
  assert_int_equal(pq_recvbuf_allocated(&rb), PQ_CHUNK_SIZE);
  pq_recvbuf_free(&rb);
}

static void test_memory_bounds(void **state) {
  (void)state;
  pq_recvbuf rb;
  pq_recvbuf_init(&rb);
  static uint8_t in[3 * PQ_CHUNK_SIZE], out[3 * PQ_CHUNK_SIZE];
  fill(in, sizeof(in), 77);
  /* A small stream allocates little. */
  assert_int_equal(pq_recvbuf_insert(&rb, 0, in, 100, false), 0);
  assert_true(pq_recvbuf_allocated(&rb) <= 128);
  /* One byte far ahead costs one chunk, not the window. */
  assert_int_equal(pq_recvbuf_insert(&rb, 1000 * PQ_CHUNK_SIZE, in, 1, false), 0);
  assert_true(pq_recvbuf_allocated(&rb) <= 128 + PQ_CHUNK_SIZE);
  pq_recvbuf_free(&rb);
  assert_int_equal(pq_recvbuf_allocated(&rb), 0);
  /* Reading frees chunks behind the reader. */
  pq_recvbuf_init(&rb);
  assert_int_equal(pq_recvbuf_insert(&rb, 0, in, sizeof(in), false), 0);
  assert_int_equal(pq_recvbuf_allocated(&rb), 3 * PQ_CHUNK_SIZE);
  assert_int_equal(pq_recvbuf_read(&rb, out, PQ_CHUNK_SIZE + 1), PQ_CHUNK_SIZE + 1);
  assert_int_equal(pq_recvbuf_allocated(&rb), 2 * PQ_CHUNK_SIZE);
  /* Peek stops at the chunk boundary. */
  const uint8_t *p;
  assert_int_equal(pq_recvbuf_peek(&rb, &p), PQ_CHUNK_SIZE - 1);
  assert_memory_equal(p, in + PQ_CHUNK_SIZE + 1, PQ_CHUNK_SIZE - 1);
  assert_int_equal(pq_recvbuf_read(&rb, out + PQ_CHUNK_SIZE + 1, sizeof(out)),
                   2 * PQ_CHUNK_SIZE - 1);
  assert_memory_equal(out, in, sizeof(in));
  assert_int_equal(pq_recvbuf_allocated(&rb), 0); /* read up to a chunk boundary */
  pq_recvbuf_free(&rb);
}

/* Data far ahead arrives before anything else: storage is added in front
 * of it later. */
static void test_far_ahead_first(void **state) {
  (void)state;
  pq_recvbuf rb;
  pq_recvbuf_init(&rb);
  static uint8_t in[6 * PQ_CHUNK_SIZE], out[6 * PQ_CHUNK_SIZE];
  fill(in, sizeof(in), 5);
  assert_int_equal(pq_recvbuf_insert(&rb, 5 * PQ_CHUNK_SIZE, in + 5 * PQ_CHUNK_SIZE, 10, false), 0);
  assert_int_equal(
      pq_recvbuf_insert(&rb, 3 * PQ_CHUNK_SIZE + 7, in + 3 * PQ_CHUNK_SIZE + 7, 100, false), 0);
  assert_int_equal(pq_recvbuf_allocated(&rb), 2 * PQ_CHUNK_SIZE);
  assert_int_equal(pq_recvbuf_insert(&rb, 0, in, 5 * PQ_CHUNK_SIZE + 10, true), 0);
  assert_int_equal(pq_recvbuf_read(&rb, out, sizeof(out)), 5 * PQ_CHUNK_SIZE + 10);
  assert_memory_equal(out, in, 5 * PQ_CHUNK_SIZE + 10);
  assert_true(pq_recvbuf_finished(&rb));
  assert_int_equal(pq_recvbuf_allocated(&rb), 0);
  pq_recvbuf_free(&rb);
}

static void test_range_limit(void **state) {
  (void)state;
  pq_recvbuf rb;
  pq_recvbuf_init(&rb);
  pq_recvbuf_set_max_ranges(&rb, 3);
  uint8_t in[10] = {0};
  assert_int_equal(pq_recvbuf_insert(&rb, 10, in, 1, false), 0);
  assert_int_equal(pq_recvbuf_insert(&rb, 20, in, 1, false), 0);
  assert_int_equal(pq_recvbuf_insert(&rb, 30, in, 1, false), 0);
  assert_int_equal(pq_recvbuf_insert(&rb, 40, in, 1, false), PQUIC_ERR_LIMIT);
  assert_true(pq_recvbuf_highest(&rb) == 31); /* refused: nothing recorded */
  /* Extending or joining existing ranges is still allowed. */
  assert_int_equal(pq_recvbuf_insert(&rb, 31, in, 1, false), 0);
  assert_int_equal(pq_recvbuf_insert(&rb, 11, in, 9, false), 0);
  assert_int_equal(pq_recvbuf_insert(&rb, 40, in, 1, false), 0);
  assert_int_equal(pq_recvbuf_insert(&rb, 50, in, 1, false), PQUIC_ERR_LIMIT);
  pq_recvbuf_free(&rb);
}

/* ---- differential test against a flat byte model ---- */

enum { SPAN = 5 * PQ_CHUNK_SIZE + 999 };

typedef struct {
  uint8_t truth[SPAN]; /* the sender's bytes */
  uint8_t got[SPAN];   /* first copy received of each byte */
  uint8_t have[SPAN];
  uint64_t read_off, highest, final;
  uint64_t nhave; /* bytes received, read or not */
  uint64_t contig;
} model;

static void test_differential(void **state) {
  (void)state;
  static model m;
  static uint8_t frame[4000], out[8000];
  for (uint64_t seed = 1; seed <= 10; seed++) {
    rng_state = seed * 31337;
    memset(&m, 0, sizeof(m));
    uint64_t size = SPAN - rnd_below(3000);
    for (uint64_t i = 0; i < SPAN; i++)
      m.truth[i] = (uint8_t)rnd();
    m.final = PQ_FINAL_SIZE_UNKNOWN;
    pq_recvbuf rb;
    pq_recvbuf_init(&rb);
    pq_recvbuf_set_max_ranges(&rb, 1u << 20);
    for (int step = 0; step < 4000 && !pq_recvbuf_finished(&rb); step++) {
      if (rnd_below(10) < 7) {
        /* A frame near the reader, sometimes far ahead, sometimes stale;
         * some carry altered bytes (a retransmission must not change what
         * was received first). */
        uint64_t off = m.read_off + rnd_below(3 * PQ_CHUNK_SIZE);
        if (rnd_below(8) == 0)
          off = rnd_below(size);
        if (off > size)
          off = size;
        uint64_t len = rnd_below(rnd_below(4) ? 1500 : sizeof(frame));
        if (len > size - off)
          len = size - off;
        bool fin = off + len == size && rnd_below(2);
        bool corrupt = rnd_below(6) == 0;
        for (uint64_t i = 0; i < len; i++)
          frame[i] = (uint8_t)(m.truth[off + i] ^ (corrupt ? 0x5a : 0));
        int want = 0;
        if (m.final != PQ_FINAL_SIZE_UNKNOWN)
          want = off + len > m.final || (fin && off + len != m.final) ? PQUIC_ERR_FINAL_SIZE : 0;
        else if (fin && off + len < m.highest)
          want = PQUIC_ERR_FINAL_SIZE;
        assert_int_equal(pq_recvbuf_insert(&rb, off, frame, len, fin), want);
        if (want == 0) {
          for (uint64_t i = off > m.read_off ? off : m.read_off; i < off + len; i++)
            if (!m.have[i]) {
              m.have[i] = 1;
              m.nhave++;
              m.got[i] = frame[i - off];
            }
          m.highest = off + len > m.highest ? off + len : m.highest;
          if (fin)
            m.final = off + len;
        }
      } else if (rnd_below(3)) {
        size_t want = (size_t)rnd_below(sizeof(out));
        while (m.contig < SPAN && m.have[m.contig])
          m.contig++;
        uint64_t avail = m.contig - m.read_off;
        size_t n = avail < want ? (size_t)avail : want;
        assert_int_equal(pq_recvbuf_read(&rb, out, want), n);
        assert_memory_equal(out, m.got + m.read_off, n);
        m.read_off += n;
      } else {
        const uint8_t *p;
        size_t n = pq_recvbuf_peek(&rb, &p);
        if (n > 0) {
          assert_memory_equal(p, m.got + m.read_off, n);
          size_t c = (size_t)rnd_below(n + 1);
          assert_int_equal(pq_recvbuf_consume(&rb, c), 0);
          m.read_off += c;
        }
      }
      /* Compare the accounting. */
      while (m.contig < SPAN && m.have[m.contig])
        m.contig++;
      assert_true(pq_recvbuf_readable(&rb) == m.contig - m.read_off);
      assert_true(pq_recvbuf_read_off(&rb) == m.read_off);
      assert_true(pq_recvbuf_highest(&rb) == m.highest);
      assert_true(pq_recvbuf_final_size(&rb) == m.final);
      assert_true(pq_recvbuf_buffered(&rb) == m.nhave - m.read_off);
      assert_int_equal(pq_recvbuf_all_received(&rb), m.contig == m.final);
      if (step % 64 != 0)
        continue;
      /* Memory stays within the chunks that hold unread bytes, plus the
       * partly read one. */
      uint64_t chunks = 0;
      for (uint64_t k = m.read_off / PQ_CHUNK_SIZE; k * PQ_CHUNK_SIZE < SPAN; k++) {
        uint64_t lo = k * PQ_CHUNK_SIZE, hi = lo + PQ_CHUNK_SIZE;
        for (uint64_t i = lo > m.read_off ? lo : m.read_off; i < hi && i < SPAN; i++)
          if (m.have[i]) {
            chunks++;
            break;
          }
      }
      assert_true(pq_recvbuf_allocated(&rb) <= (chunks + 1) * PQ_CHUNK_SIZE);
    }
    pq_recvbuf_free(&rb);
  }
}

/* ---- out-of-memory sweep ---- */

typedef struct {
  uint64_t read_off, highest, final, readable, buffered;
  uint32_t nranges;
  pq_range r[32];
} snap;

static void take(snap *s, const pq_recvbuf *rb) {
  memset(s, 0, sizeof(*s));
  s->read_off = rb->read_off;
  s->highest = rb->highest;
  s->final = rb->final_size;
  s->readable = pq_recvbuf_readable(rb);
  s->buffered = pq_recvbuf_buffered(rb);
  s->nranges = pq_ranges_count(&rb->recvd);
  assert_true(s->nranges <= 32);
  for (uint32_t i = 0; i < s->nranges; i++)
    s->r[i] = *pq_ranges_at(&rb->recvd, i);
}

static int oom_run(long fail_at, uint8_t *result, size_t *got) {
  static uint8_t data[6 * PQ_CHUNK_SIZE];
  fill(data, sizeof(data), 3);
  static const struct {
    uint32_t off, len;
    int read;
  } ops[] = {
      {0, 50, 0},    {100, 30, 0},      {200, 10, 0},     {300, 10, 0},
      {400, 10, 0},  {500, 10, 0},      {40000, 9000, 0}, {50, 50, 0},
      {0, 0, 120},   {20000, 30000, 0}, {1000, 19500, 0}, {90000, 8000, 0},
      {0, 90000, 0}, {0, 0, 50000},     {97000, 1304, 0}, {0, 0, 100000},
  };
  pq_recvbuf rb;
  pq_recvbuf_init(&rb);
  int failed = 0;
  snap before, after;
  *got = 0;
  pq_alloc_fail_after(fail_at);
  for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
    if (ops[i].read) {
      *got += pq_recvbuf_read(&rb, result + *got, ops[i].read);
      continue;
    }
    bool fin = ops[i].off + ops[i].len == 98304;
    take(&before, &rb);
    int r = pq_recvbuf_insert(&rb, ops[i].off, data + ops[i].off, ops[i].len, fin);
    if (r == PQUIC_ERR_NOMEM) {
      failed = 1;
      take(&after, &rb);
      assert_memory_equal(&before, &after, sizeof(before));
      pq_alloc_fail_after(-1);
      r = pq_recvbuf_insert(&rb, ops[i].off, data + ops[i].off, ops[i].len, fin);
    }
    assert_int_equal(r, 0);
  }
  pq_alloc_fail_after(-1);
  assert_true(pq_recvbuf_finished(&rb));
  assert_memory_equal(result, data, *got);
  pq_recvbuf_free(&rb);
  return failed;
}

static void test_oom_sweep(void **state) {
  (void)state;
  static uint8_t result[6 * PQ_CHUNK_SIZE];
  size_t got;
  assert_int_equal(oom_run(-1, result, &got), 0);
  assert_int_equal(got, 98304);
  long n = 0;
  while (oom_run(n, result, &got)) {
    assert_int_equal(got, 98304);
    n++;
  }
  assert_true(n >= 8);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_in_order_and_gaps), cmocka_unit_test(test_first_copy_kept),
      cmocka_unit_test(test_final_size),        cmocka_unit_test(test_offset_limit),
      cmocka_unit_test(test_memory_bounds),     cmocka_unit_test(test_far_ahead_first),
      cmocka_unit_test(test_range_limit),       cmocka_unit_test(test_differential),
      cmocka_unit_test(test_oom_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
