/* The allocation hook counts and fails allocations on demand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/alloc.h"

static void test_fail_after(void **state) {
  (void)state;
  pq_alloc_fail_after(2);
  void *a = pq_malloc(8), *b = pq_calloc(2, 8), *c = pq_malloc(8);
  assert_non_null(a);
  assert_non_null(b);
  assert_null(c);
  assert_int_equal(pq_alloc_count(), 3);
  assert_null(pq_realloc(a, 64)); /* a untouched on failure */
  pq_alloc_fail_after(-1);
  void *a2 = pq_realloc(a, 64);
  assert_non_null(a2);
  pq_free(a2);
  pq_free(b);
  pq_free(NULL);
}

static void test_calloc_overflow(void **state) {
  (void)state;
  assert_null(pq_calloc(SIZE_MAX / 2, 4));
  uint8_t *z = pq_calloc(16, 1);
  assert_non_null(z);
  for (int i = 0; i < 16; i++)
    assert_int_equal(z[i], 0);
  pq_free(z);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fail_after),
      cmocka_unit_test(test_calloc_overflow),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
