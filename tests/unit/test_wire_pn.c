/* Packet number length choice, truncation and recovery (RFC 9000 17.1,
 * Appendices A.2 and A.3), including the RFC examples and the ends of the
 * packet number space. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wire/pn.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* RFC 9000 Appendix A.2. */
static void test_rfc_encode_example(void **state) {
  (void)state;
  /* 29,519 outstanding: twice that needs 16 bits. */
  assert_int_equal(pq_pn_encode_len(0xac5c02, 0xabe8b3), 2);
  /* 65,611 outstanding: twice that needs 18 bits, so 24. */
  assert_int_equal(pq_pn_encode_len(0xace8fe, 0xabe8b3), 3);
  assert_int_equal(pq_pn_truncate(0xac5c02, 2), 0x5c02);
  assert_int_equal(pq_pn_truncate(0xace8fe, 3), 0xace8fe);
}

/* RFC 9000 Appendix A.3, and RFC 9001 A.5 (3-byte encoding of 654360564). */
static void test_rfc_decode_examples(void **state) {
  (void)state;
  assert_int_equal(pq_pn_decode(0xa82f30ea, 0x9b32, 2), 0xa82f9b32);
  assert_int_equal(pq_pn_truncate(654360564, 3), 0x00bff4);
  assert_int_equal(pq_pn_decode(654360563, 0xbff4, 3), 654360564);
}

static void test_encode_len_boundaries(void **state) {
  (void)state;
  /* Nothing acknowledged: the count is pn + 1. */
  assert_int_equal(pq_pn_encode_len(0, PQ_PN_NONE), 1);
  assert_int_equal(pq_pn_encode_len(127, PQ_PN_NONE), 1);
  assert_int_equal(pq_pn_encode_len(128, PQ_PN_NONE), 2);
  /* n bytes suffice while 2 * unacked <= 2^(8n). */
  const uint64_t base = 1000;
  assert_int_equal(pq_pn_encode_len(base + 128, base), 1);
  assert_int_equal(pq_pn_encode_len(base + 129, base), 2);
  assert_int_equal(pq_pn_encode_len(base + (1u << 15), base), 2);
  assert_int_equal(pq_pn_encode_len(base + (1u << 15) + 1, base), 3);
  assert_int_equal(pq_pn_encode_len(base + (1u << 23), base), 3);
  assert_int_equal(pq_pn_encode_len(base + (1u << 23) + 1, base), 4);
  assert_int_equal(pq_pn_encode_len(base + (UINT64_C(1) << 31), base), 4);
  /* Beyond 2^31 in flight no length is enough; 4 is the most there is. */
  assert_int_equal(pq_pn_encode_len(base + (UINT64_C(1) << 40), base), 4);
  assert_int_equal(pq_pn_encode_len(PQ_PN_MAX, 0), 4);
  assert_int_equal(pq_pn_encode_len(PQ_PN_MAX, PQ_PN_MAX - 1), 1);
  /* A pn at or below largest_acked (not meaningful) still gets a length. */
  assert_int_equal(pq_pn_encode_len(5, 9), 1);
}

/* Whatever length the sender picks, a receiver whose largest received is
 * anywhere between largest_acked and pn - 1 recovers pn exactly. */
static void test_encode_decode_roundtrip(void **state) {
  (void)state;
  for (int i = 0; i < 200000; i++) {
    uint64_t acked = rng() & PQ_PN_MAX;
    uint64_t span = rng() >> (33 + (rng() & 30)); /* up to 2^31 in flight */
    if (span == 0)
      span = 1;
    if (acked > PQ_PN_MAX - span)
      acked = PQ_PN_MAX - span;
    uint64_t pn = acked + span;
    size_t len = pq_pn_encode_len(pn, acked);
    uint64_t seen = acked + rng() % span; /* receiver's largest */
    uint32_t t = pq_pn_truncate(pn, len);
    assert_int_equal(pq_pn_decode(seen, t, len), pn);
    assert_int_equal(pq_pn_decode(acked, t, len), pn);
  }
  /* Nothing acknowledged yet: pn < 2^31 is always sent in full enough. */
  for (uint64_t pn = 0; pn < 70000; pn += 7) {
    size_t len = pq_pn_encode_len(pn, PQ_PN_NONE);
    assert_int_equal(pq_pn_decode(PQ_PN_NONE, pq_pn_truncate(pn, len), len), pn);
  }
}

/* For every expected value and truncated byte, the result has that low byte
 * and lies in the window (expected - 128, expected + 128], unless the window
 * would leave 0..2^62-1. */
static void test_decode_window_exhaustive(void **state) {
  (void)state;
  const uint64_t starts[] = {0, 1, 100, 255, 256, 1000, 0x12345678, PQ_PN_MAX - 1000};
  for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
    for (uint64_t largest = starts[s]; largest < starts[s] + 600; largest++) {
      uint64_t expected = largest + 1;
      for (uint32_t t = 0; t < 256; t++) {
        uint64_t v = pq_pn_decode(largest, t, 1);
        assert_int_equal(v & 0xff, t);
        if (expected >= 128 && expected + 128 <= PQ_PN_MAX) {
          assert_true(v + 128 > expected);
          assert_true(v <= expected + 128);
        }
      }
    }
  }
  /* Two-byte window spot checks, both sides. */
  assert_int_equal(pq_pn_decode(0x10000, 0x0000, 2), 0x10000);
  /* expected 0x10001: the window is (0x8001, 0x18001]. */
  assert_int_equal(pq_pn_decode(0x10000, 0x8002, 2), 0x8002);
  assert_int_equal(pq_pn_decode(0x10000, 0x8001, 2), 0x18001);
  assert_int_equal(pq_pn_decode(0x10000, 0x8000, 2), 0x18000);
  assert_int_equal(pq_pn_decode(0x17fff, 0x0000, 2), 0x20000);
}

/* Near 0: the window cannot go below 0. */
static void test_decode_near_zero(void **state) {
  (void)state;
  assert_int_equal(pq_pn_decode(PQ_PN_NONE, 0, 1), 0);
  assert_int_equal(pq_pn_decode(PQ_PN_NONE, 0xff, 1), 0xff);
  assert_int_equal(pq_pn_decode(PQ_PN_NONE, 0xffffffff, 4), 0xffffffff);
  assert_int_equal(pq_pn_decode(0, 0xff, 1), 0xff);
  assert_int_equal(pq_pn_decode(5, 0xfe, 1), 0xfe);
  assert_int_equal(pq_pn_decode(200, 0x01, 1), 0x101);
}

/* Near 2^62: the window cannot go above 2^62 - 1 while the expected value is
 * below it; only a largest of exactly the last number can yield a number
 * past the end, which the caller drops. */
static void test_decode_near_end(void **state) {
  (void)state;
  assert_int_equal(pq_pn_decode(PQ_PN_MAX - 1, 0xff, 1), PQ_PN_MAX);
  assert_int_equal(pq_pn_decode(PQ_PN_MAX - 10, (PQ_PN_MAX - 5) & 0xff, 1), PQ_PN_MAX - 5);
  /* Truncated value "after" the end wraps down instead of past 2^62 - 1. */
  assert_int_equal(pq_pn_decode(PQ_PN_MAX - 1, 0x05, 1), (PQ_PN_MAX & ~UINT64_C(0xff)) | 0x05);
  assert_int_equal(pq_pn_decode(PQ_PN_MAX - 1, 0x0005, 2), (PQ_PN_MAX & ~UINT64_C(0xffff)) | 5);
  assert_int_equal(pq_pn_decode(PQ_PN_MAX - 3, 0x7ffffffe, 4),
                   (PQ_PN_MAX & ~UINT64_C(0xffffffff)) | 0x7ffffffe);
  for (size_t len = 1; len <= 4; len++) {
    for (uint64_t d = 0; d < 300; d++) {
      uint64_t pn = PQ_PN_MAX - d;
      uint64_t largest = pn - 1;
      assert_int_equal(pq_pn_decode(largest, pq_pn_truncate(pn, len), len), pn);
      assert_true(pq_pn_decode(largest, (uint32_t)rng(), len) <= PQ_PN_MAX);
    }
  }
  /* largest = 2^62 - 1: the space is exhausted, results can pass the end. */
  assert_true(pq_pn_decode(PQ_PN_MAX, 0x05, 1) > PQ_PN_MAX);
}

static void test_read_write(void **state) {
  (void)state;
  for (size_t len = 1; len <= 4; len++) {
    uint8_t b[8] = {0}; /* room the compiler can see; the buffer says 4 */
    pq_wbuf w = pq_wbuf_make(b, 4);
    assert_true(pq_pn_write(&w, UINT64_C(0x1122334455667788), len));
    assert_int_equal((size_t)(w.p - b), len);
    assert_int_equal(b[len - 1], 0x88); /* low byte last */
    pq_rbuf r = pq_rbuf_make(b, len);
    uint32_t t = 0;
    assert_true(pq_pn_read(&r, len, &t));
    assert_int_equal(t, pq_pn_truncate(UINT64_C(0x1122334455667788), len));
    /* Truncated input and too little room. */
    r = pq_rbuf_make(b, len - 1);
    assert_false(pq_pn_read(&r, len, &t));
    w = pq_wbuf_make(b, len - 1);
    assert_false(pq_pn_write(&w, 1, len));
  }
  uint8_t b[8];
  pq_wbuf w = pq_wbuf_make(b, sizeof b);
  assert_false(pq_pn_write(&w, 1, 0));
  assert_false(pq_pn_write(&w, 1, 5));
  assert_ptr_equal(w.p, b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc_encode_example),
      cmocka_unit_test(test_rfc_decode_examples),
      cmocka_unit_test(test_encode_len_boundaries),
      cmocka_unit_test(test_encode_decode_roundtrip),
      cmocka_unit_test(test_decode_window_exhaustive),
      cmocka_unit_test(test_decode_near_zero),
      cmocka_unit_test(test_decode_near_end),
      cmocka_unit_test(test_read_write),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
