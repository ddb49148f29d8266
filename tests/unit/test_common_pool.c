/* Object pool: reuse, alignment, independence of objects, OOM, poisoning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/alloc.h"
#include "common/pool.h"
#include "pquic/errors.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#include <sanitizer/asan_interface.h>
#endif
#endif

static void test_init_errors(void **state) {
  (void)state;
  pq_pool p;
  assert_int_equal(pq_pool_init(&p, 0, 8), PQUIC_ERR_INVAL);
  assert_null(pq_pool_get(&p));
  assert_int_equal(pq_pool_init(&p, 8, 0), PQUIC_ERR_INVAL);
  assert_int_equal(pq_pool_init(&p, SIZE_MAX / 4, 8), PQUIC_ERR_INVAL);
  assert_int_equal(pq_pool_init(&p, 1, 1), 0);
  void *o = pq_pool_get(&p);
  assert_non_null(o);
  pq_pool_free(&p);
}

static void test_reuse_and_contents(void **state) {
  (void)state;
  enum { N = 1000, SZ = 37 };
  static unsigned char *objs[N], *old[N];
  pq_pool p;
  assert_int_equal(pq_pool_init(&p, SZ, 64), 0);
  for (int i = 0; i < N; i++) {
    objs[i] = pq_pool_get(&p);
    assert_non_null(objs[i]);
    assert_int_equal((uintptr_t)objs[i] % _Alignof(max_align_t), 0);
    memset(objs[i], i & 0xff, SZ);
  }
  assert_int_equal(pq_pool_in_use(&p), N);
  assert_int_equal(p.nslabs, (N + 63) / 64);
  for (int i = 0; i < N; i++)
    for (int b = 0; b < SZ; b++)
      assert_int_equal(objs[i][b], i & 0xff);
  size_t footprint = pq_pool_footprint(&p);
  /* Return the odd ones; getting as many again reuses them, no new slab. */
  for (int i = 1; i < N; i += 2)
    pq_pool_put(&p, objs[i]);
  pq_pool_put(&p, NULL);
  assert_int_equal(pq_pool_in_use(&p), N / 2);
  memcpy(old, objs, sizeof(objs));
  pq_alloc_fail_after(0);
  for (int i = 1; i < N; i += 2) {
    unsigned char *o = pq_pool_zget(&p);
    assert_non_null(o);
    for (int b = 0; b < SZ; b++)
      assert_int_equal(o[b], 0);
    /* The most recently returned object comes back first. */
    assert_ptr_equal(o, old[N - i]);
    objs[i] = o;
  }
  pq_alloc_fail_after(-1);
  assert_int_equal(pq_pool_footprint(&p), footprint);
  for (int i = 0; i < N; i += 2)
    for (int b = 0; b < SZ; b++)
      assert_int_equal(objs[i][b], i & 0xff);
  pq_pool_free(&p);
  assert_int_equal(pq_pool_in_use(&p), 0);
  assert_int_equal(pq_pool_footprint(&p), 0);
  /* Usable again after free. */
  assert_non_null(pq_pool_get(&p));
  pq_pool_free(&p);
}

static void test_oom(void **state) {
  (void)state;
  pq_pool p;
  assert_int_equal(pq_pool_init(&p, 24, 4), 0);
  for (long n = 0; n < 5; n++) {
    void *got[20];
    int ok = 0;
    pq_alloc_fail_after(n);
    for (int i = 0; i < 20; i++) {
      size_t before = pq_pool_in_use(&p);
      got[i] = pq_pool_get(&p);
      if (!got[i]) {
        assert_int_equal(pq_pool_in_use(&p), before);
        break;
      }
      ok++;
    }
    pq_alloc_fail_after(-1);
    /* n + 1 slab allocations were attempted on a fresh pool: n succeeded. */
    assert_int_equal(ok, 4 * n);
    void *extra = pq_pool_get(&p);
    assert_non_null(extra);
    pq_pool_put(&p, extra);
    for (int i = 0; i < ok; i++)
      pq_pool_put(&p, got[i]);
    assert_int_equal(pq_pool_in_use(&p), 0);
    pq_pool_free(&p);
  }
}

static void test_poisoned_when_free(void **state) {
  (void)state;
#ifdef TEST_ASAN
  pq_pool p;
  assert_int_equal(pq_pool_init(&p, 64, 4), 0);
  char *a = pq_pool_get(&p);
  assert_false(__asan_address_is_poisoned(a));
  assert_false(__asan_address_is_poisoned(a + 63));
  /* Never-used objects in the slab are poisoned. */
  assert_true(__asan_address_is_poisoned(a + 64));
  pq_pool_put(&p, a);
  assert_true(__asan_address_is_poisoned(a));
  assert_true(__asan_address_is_poisoned(a + 63));
  char *b = pq_pool_get(&p);
  assert_ptr_equal(a, b);
  assert_false(__asan_address_is_poisoned(b + 32));
  pq_pool_free(&p);
#else
  /* Without ASan, check the documented reuse order instead (LIFO). */
  pq_pool p;
  assert_int_equal(pq_pool_init(&p, 64, 4), 0);
  char *a = pq_pool_get(&p), *b = pq_pool_get(&p);
  pq_pool_put(&p, a);
  pq_pool_put(&p, b);
  assert_ptr_equal(pq_pool_get(&p), b);
  assert_ptr_equal(pq_pool_get(&p), a);
  pq_pool_free(&p);
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_init_errors),
      cmocka_unit_test(test_reuse_and_contents),
      cmocka_unit_test(test_oom),
      cmocka_unit_test(test_poisoned_when_free),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
