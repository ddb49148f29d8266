/* Error names and descriptions come from one list and cover every code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "pquic/errors.h"

static void test_every_code_has_a_name(void **state) {
  (void)state;
#define CHECK_(name, value, desc)                                              \
  assert_string_equal(pquic_errname(value), "PQUIC_ERR_" #name);              \
  assert_string_equal(pquic_strerror(value), desc);
  PQUIC_ERRNO_MAP(CHECK_)
#undef CHECK_
  assert_string_equal(pquic_errname(0), "PQUIC_OK");
  assert_string_equal(pquic_errname(-9999), "unknown error");
}

static void test_codes_are_negative_and_unique(void **state) {
  (void)state;
  static const int codes[] = {
#define CODE_(name, value, desc) value,
      PQUIC_ERRNO_MAP(CODE_)
#undef CODE_
  };
  size_t n = sizeof codes / sizeof codes[0];
  for (size_t i = 0; i < n; i++) {
    assert_true(codes[i] < 0);
    for (size_t j = i + 1; j < n; j++)
      assert_int_not_equal(codes[i], codes[j]);
  }
}

static void test_wire_error_names(void **state) {
  (void)state;
  assert_string_equal(pquic_wire_error_name(PQUIC_WIRE_FRAME_ENCODING_ERROR),
                      "FRAME_ENCODING_ERROR");
  assert_int_equal(PQUIC_WIRE_CRYPTO_ERROR(42), 0x12a);
  assert_string_equal(pquic_wire_error_name(0x12a), "CRYPTO_ERROR");
  assert_null(pquic_wire_error_name(0x4000));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_code_has_a_name),
      cmocka_unit_test(test_codes_are_negative_and_unique),
      cmocka_unit_test(test_wire_error_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
