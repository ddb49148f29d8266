/* QUIC variable-length integers in common/buf.h against RFC 9000 section 16
 * and Appendix A.1: examples, every length boundary, truncation, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"

typedef struct {
  const char *hex;
  uint64_t value;
} vector;

static unsigned nibble(char c) {
  if (c >= '0' && c <= '9')
    return (unsigned)(c - '0');
  assert_true(c >= 'a' && c <= 'f');
  return (unsigned)(c - 'a' + 10);
}

static size_t unhex(const char *hex, uint8_t *out) {
  size_t n = 0;
  for (; hex[0] && hex[1]; hex += 2)
    out[n++] = (uint8_t)(nibble(hex[0]) << 4 | nibble(hex[1]));
  return n;
}

/* RFC 9000 Appendix A.1. */
static const vector rfc_examples[] = {
    {"c2197c5eff14e88c", UINT64_C(151288809941952652)},
    {"9d7f3e7d", 494878333},
    {"7bbd", 15293},
    {"25", 37},
    {"4025", 37}, /* non-minimal two-byte encoding of 37 */
};

static void test_rfc_examples_decode(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof rfc_examples / sizeof rfc_examples[0]; i++) {
    uint8_t b[8] = {0};
    size_t n = unhex(rfc_examples[i].hex, b);
    pq_rbuf r = pq_rbuf_make(b, n);
    uint64_t v = 0;
    assert_true(pq_get_varint(&r, &v));
    assert_int_equal(v, rfc_examples[i].value);
    assert_int_equal(pq_rbuf_left(&r), 0);
  }
}

static void test_rfc_examples_encode(void **state) {
  (void)state;
  /* The minimal encodings (all but the last example) come out byte-exact. */
  for (size_t i = 0; i < 4; i++) {
    uint8_t want[8], got[8];
    size_t n = unhex(rfc_examples[i].hex, want);
    pq_wbuf w = pq_wbuf_make(got, sizeof got);
    assert_true(pq_put_varint(&w, rfc_examples[i].value));
    assert_int_equal((size_t)(w.p - got), n);
    assert_memory_equal(got, want, n);
    assert_int_equal(pq_varint_len(rfc_examples[i].value), n);
  }
  /* 0x4025: 37 forced into two bytes. */
  uint8_t got[2];
  pq_wbuf w = pq_wbuf_make(got, sizeof got);
  assert_true(pq_put_varint_n(&w, 37, 2));
  assert_int_equal(got[0], 0x40);
  assert_int_equal(got[1], 0x25);
}

/* Values on each side of each length boundary, with their expected length. */
static const struct {
  uint64_t v;
  size_t len;
} boundaries[] = {
    {0, 1},
    {1, 1},
    {63, 1},
    {64, 2},
    {16383, 2},
    {16384, 4},
    {(UINT64_C(1) << 30) - 1, 4},
    {UINT64_C(1) << 30, 8},
    {(UINT64_C(1) << 62) - 1, 8},
};

static void test_length_boundaries(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof boundaries / sizeof boundaries[0]; i++) {
    uint64_t v = boundaries[i].v;
    assert_int_equal(pq_varint_len(v), boundaries[i].len);
    uint8_t b[8] = {0};
    pq_wbuf w = pq_wbuf_make(b, sizeof b);
    assert_true(pq_put_varint(&w, v));
    assert_int_equal((size_t)(w.p - b), boundaries[i].len);
    /* The two-bit prefix says the length. */
    assert_int_equal((size_t)1 << (b[0] >> 6), boundaries[i].len);
    pq_rbuf r = pq_rbuf_make(b, boundaries[i].len);
    uint64_t got = 0;
    assert_true(pq_get_varint(&r, &got));
    assert_int_equal(got, v);
    assert_int_equal(pq_rbuf_left(&r), 0);
  }
  assert_int_equal(PQ_VARINT_MAX, (UINT64_C(1) << 62) - 1);
}

static void test_out_of_range(void **state) {
  (void)state;
  const uint64_t bad[] = {UINT64_C(1) << 62, UINT64_MAX, (UINT64_C(1) << 63) + 5};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint8_t b[8] = {0};
    pq_wbuf w = pq_wbuf_make(b, sizeof b);
    assert_int_equal(pq_varint_len(bad[i]), 0);
    assert_false(pq_put_varint(&w, bad[i]));
    assert_ptr_equal(w.p, b); /* nothing written */
    pq_wbuf w8 = pq_wbuf_make(b, sizeof b);
    assert_false(pq_put_varint_n(&w8, bad[i], 8));
    assert_ptr_equal(w8.p, b);
  }
}

/* Every value encodes at every length that can hold it, and decodes back;
 * lengths that cannot hold it, and invalid lengths, are refused. */
static void test_forced_lengths(void **state) {
  (void)state;
  static const size_t lens[] = {1, 2, 4, 8};
  for (size_t i = 0; i < sizeof boundaries / sizeof boundaries[0]; i++) {
    uint64_t v = boundaries[i].v;
    for (size_t j = 0; j < 4; j++) {
      uint8_t b[8];
      pq_wbuf w = pq_wbuf_make(b, sizeof b);
      bool ok = pq_put_varint_n(&w, v, lens[j]);
      assert_int_equal(ok, lens[j] >= boundaries[i].len);
      if (!ok) {
        assert_ptr_equal(w.p, b);
        continue;
      }
      assert_int_equal((size_t)(w.p - b), lens[j]);
      pq_rbuf r = pq_rbuf_make(b, lens[j]);
      uint64_t got = 0;
      assert_true(pq_get_varint(&r, &got));
      assert_int_equal(got, v);
    }
    for (size_t n = 0; n <= 9; n++) {
      if (n == 1 || n == 2 || n == 4 || n == 8)
        continue;
      uint8_t b[16];
      pq_wbuf w = pq_wbuf_make(b, sizeof b);
      assert_false(pq_put_varint_n(&w, 0, n));
      assert_ptr_equal(w.p, b);
    }
  }
}

/* A decoder given any strict prefix of an encoding fails without moving. */
static void test_truncation(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof boundaries / sizeof boundaries[0]; i++) {
    uint8_t b[8] = {0};
    pq_wbuf w = pq_wbuf_make(b, sizeof b);
    assert_true(pq_put_varint(&w, boundaries[i].v));
    for (size_t cut = 0; cut < boundaries[i].len; cut++) {
      pq_rbuf r = pq_rbuf_make(b, cut);
      uint64_t got = 12345;
      assert_false(pq_get_varint(&r, &got));
      assert_ptr_equal(r.p, b);
      assert_int_equal(got, 12345);
    }
  }
  pq_rbuf empty = pq_rbuf_make(NULL, 0);
  uint64_t v = 0;
  assert_false(pq_get_varint(&empty, &v));
}

/* Writers never pass the end of their buffer, and leave it untouched on
 * failure. */
static void test_write_bounds(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof boundaries / sizeof boundaries[0]; i++) {
    for (size_t room = 0; room < boundaries[i].len; room++) {
      uint8_t b[9];
      memset(b, 0xee, sizeof b);
      pq_wbuf w = pq_wbuf_make(b, room);
      assert_false(pq_put_varint(&w, boundaries[i].v));
      assert_ptr_equal(w.p, b);
      for (size_t k = 0; k < sizeof b; k++)
        assert_int_equal(b[k], 0xee);
    }
  }
  pq_wbuf none = pq_wbuf_make(NULL, 0);
  assert_false(pq_put_varint(&none, 0));
  assert_int_equal(pq_wbuf_left(&none), 0);
}

/* A sequence of varints of mixed lengths decodes in order. */
static void test_sequence(void **state) {
  (void)state;
  uint8_t b[64];
  pq_wbuf w = pq_wbuf_make(b, sizeof b);
  for (size_t i = 0; i < sizeof boundaries / sizeof boundaries[0]; i++)
    assert_true(pq_put_varint(&w, boundaries[i].v));
  pq_rbuf r = pq_rbuf_make(b, (size_t)(w.p - b));
  for (size_t i = 0; i < sizeof boundaries / sizeof boundaries[0]; i++) {
    uint64_t v = 0;
    assert_true(pq_get_varint(&r, &v));
    assert_int_equal(v, boundaries[i].v);
  }
  assert_int_equal(pq_rbuf_left(&r), 0);
}

/* Every two-byte pattern decodes to its low 14 bits (prefix 01), and the
 * decoder reads exactly the length its prefix says. */
static void test_all_two_byte_patterns(void **state) {
  (void)state;
  for (unsigned x = 0; x < 65536; x++) {
    uint8_t b[8] = {(uint8_t)(x >> 8), (uint8_t)x, 0, 0, 0, 0, 0, 0};
    pq_rbuf r = pq_rbuf_make(b, sizeof b);
    uint64_t v = 0;
    assert_true(pq_get_varint(&r, &v));
    size_t used = (size_t)(r.p - b);
    assert_int_equal(used, (size_t)1 << (b[0] >> 6));
    if (used == 1)
      assert_int_equal(v, b[0] & 0x3f);
    else if (used == 2)
      assert_int_equal(v, x & 0x3fff);
    else
      assert_int_equal(v, (uint64_t)(b[0] & 0x3f) << (8 * (used - 1)) | (uint64_t)b[1]
                                                                            << (8 * (used - 2)));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc_examples_decode),   cmocka_unit_test(test_rfc_examples_encode),
      cmocka_unit_test(test_length_boundaries),     cmocka_unit_test(test_out_of_range),
      cmocka_unit_test(test_forced_lengths),        cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_write_bounds),          cmocka_unit_test(test_sequence),
      cmocka_unit_test(test_all_two_byte_patterns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
