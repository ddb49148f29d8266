/* Response bodies: the generated pattern (deterministic, offset-exact,
 * chunking-independent), text and file sources, read errors. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "body.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The formula of body.h, byte by byte. */
static uint8_t reference(uint64_t o) {
  unsigned shift = (unsigned)(((o >> 6) * UINT64_C(0x9E3779B97F4A7C15)) >> 58);
  return (uint8_t)alphabet[((o & 63) + shift) & 63];
}

static void test_pattern_formula(void **state) {
  (void)state;
  uint8_t buf[1000];
  const uint64_t offsets[] = {0, 1, 63, 64, 65, 1000003, UINT64_C(1) << 40};
  for (size_t k = 0; k < sizeof offsets / sizeof offsets[0]; k++) {
    body_pattern(offsets[k], buf, sizeof buf);
    for (size_t i = 0; i < sizeof buf; i++)
      assert_int_equal(buf[i], reference(offsets[k] + i));
    assert_int_equal(body_pattern_check(offsets[k], buf, sizeof buf), sizeof buf);
  }
  /* Pinned bytes: the pattern is part of the interface. */
  body_pattern(0, buf, 8);
  assert_memory_equal(buf, "ABCDEFGH", 8);
  /* Neighbouring blocks differ (a repeated block would show). */
  uint8_t a[64], b[64];
  body_pattern(64, a, 64);
  body_pattern(128, b, 64);
  assert_memory_not_equal(a, b, 64);
}

static void test_pattern_check_finds_error(void **state) {
  (void)state;
  uint8_t buf[500];
  body_pattern(777, buf, sizeof buf);
  buf[321] ^= 1;
  assert_int_equal(body_pattern_check(777, buf, sizeof buf), 321);
  /* The right bytes at the wrong offset do not pass. */
  body_pattern(777, buf, sizeof buf);
  assert_true(body_pattern_check(777 + 64, buf, sizeof buf) < sizeof buf);
}

static void test_gen_reads_in_any_chunks(void **state) {
  (void)state;
  enum { N = 100000 };
  static uint8_t whole[N], pieces[N];
  body b;
  body_gen(&b, N);
  assert_int_equal(body_read(&b, whole, N + 50), N);
  assert_int_equal(body_read(&b, whole, 10), 0);
  body_close(&b);
  body_gen(&b, N);
  size_t got = 0, step = 1;
  while (got < N) {
    long n = body_read(&b, pieces + got, step);
    assert_true(n > 0);
    got += (size_t)n;
    step = step * 3 % 5000 + 1;
    assert_int_equal(body_left(&b), N - got);
  }
  assert_memory_equal(whole, pieces, N);
  body_close(&b);
  /* Sizes beyond memory are fine: only the offset matters. */
  body_gen(&b, UINT64_C(1) << 50);
  uint8_t x[16];
  assert_int_equal(body_read(&b, x, sizeof x), sizeof x);
  assert_int_equal(body_left(&b), (UINT64_C(1) << 50) - 16);
  body_close(&b);
}

static void test_text_and_file(void **state) {
  (void)state;
  body b;
  uint8_t buf[64];
  body_text(&b, "hello");
  assert_int_equal(b.size, 5);
  assert_int_equal(body_read(&b, buf, 3), 3);
  assert_int_equal(body_read(&b, buf + 3, 10), 2);
  assert_memory_equal(buf, "hello", 5);
  assert_int_equal(body_read(&b, buf, 10), 0);
  body_close(&b);

  char path[] = "/tmp/pquic-body-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "0123456789", 10), 10);
  body_file(&b, fd, 10);
  assert_int_equal(body_read(&b, buf, 4), 4);
  assert_int_equal(body_read(&b, buf + 4, 64), 6);
  assert_memory_equal(buf, "0123456789", 10);
  body_close(&b);
  assert_int_equal(b.kind, BODY_EMPTY);

  /* A file that shrank after its size was taken is a read error. */
  fd = open(path, O_RDONLY);
  assert_true(fd >= 0);
  body_file(&b, fd, 20);
  assert_int_equal(body_read(&b, buf, 64), 10);
  errno = 0;
  assert_int_equal(body_read(&b, buf, 64), -1);
  assert_int_equal(errno, EIO);
  body_close(&b);
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pattern_formula),
      cmocka_unit_test(test_pattern_check_finds_error),
      cmocka_unit_test(test_gen_reads_in_any_chunks),
      cmocka_unit_test(test_text_and_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
