/* Range set: edge cases, a differential test against a bitmap model, and an
 * out-of-memory sweep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/alloc.h"
#include "common/ranges.h"
#include "pquic/errors.h"

static uint64_t rng_state;
static uint64_t rnd(void) {
  /* xorshift64*: deterministic, good enough for test inputs. */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1DULL;
}
static uint64_t rnd_below(uint64_t n) {
  return rnd() % n;
}

/* Sorted, disjoint, non-adjacent, total consistent. */
static void check_invariants(const pq_ranges *s) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < pq_ranges_count(s); i++) {
    const pq_range *r = pq_ranges_at(s, i);
    assert_true(r->lo <= r->hi);
    assert_true(r->hi <= PQ_RANGES_VMAX);
    if (i > 0)
      assert_true(pq_ranges_at(s, i - 1)->hi + 1 < r->lo);
    total += r->hi - r->lo + 1;
  }
  assert_true(total == pq_ranges_total(s));
  assert_true(pq_ranges_empty(s) == (pq_ranges_count(s) == 0));
  if (pq_ranges_count(s)) {
    assert_ptr_equal(pq_ranges_first(s), pq_ranges_at(s, 0));
    assert_ptr_equal(pq_ranges_last(s), pq_ranges_at(s, pq_ranges_count(s) - 1));
  } else {
    assert_null(pq_ranges_first(s));
    assert_null(pq_ranges_last(s));
  }
}

static void expect(const pq_ranges *s, const uint64_t *pairs, uint32_t n) {
  check_invariants(s);
  assert_int_equal(pq_ranges_count(s), n);
  for (uint32_t i = 0; i < n; i++) {
    assert_true(pq_ranges_at(s, i)->lo == pairs[2 * i]);
    assert_true(pq_ranges_at(s, i)->hi == pairs[2 * i + 1]);
  }
}

static void test_add_merge(void **state) {
  (void)state;
  pq_ranges s;
  pq_ranges_init(&s);
  uint64_t added;
  assert_int_equal(pq_ranges_add(&s, 10, 20, &added), 0);
  assert_true(added == 11);
  assert_int_equal(pq_ranges_add(&s, 30, 40, &added), 0);
  assert_int_equal(pq_ranges_add(&s, 0, 5, &added), 0);
  expect(&s, (const uint64_t[]){0, 5, 10, 20, 30, 40}, 3);
  /* Adjacent on both sides: merges all three. */
  assert_int_equal(pq_ranges_add(&s, 6, 9, &added), 0);
  assert_true(added == 4);
  expect(&s, (const uint64_t[]){0, 20, 30, 40}, 2);
  /* Duplicate. */
  assert_int_equal(pq_ranges_add(&s, 12, 18, &added), 0);
  assert_true(added == 0);
  /* Overlap spanning a gap. */
  assert_int_equal(pq_ranges_add(&s, 15, 35, &added), 0);
  assert_true(added == 9);
  expect(&s, (const uint64_t[]){0, 40}, 1);
  assert_true(pq_ranges_total(&s) == 41);
  /* Covering everything and beyond on both sides. */
  assert_int_equal(pq_ranges_add(&s, 50, 60, NULL), 0);
  assert_int_equal(pq_ranges_add(&s, 0, 100, &added), 0);
  assert_true(added == 101 - 41 - 11);
  expect(&s, (const uint64_t[]){0, 100}, 1);
  pq_ranges_free(&s);
}

static void test_add1_and_contains(void **state) {
  (void)state;
  pq_ranges s;
  pq_ranges_init(&s);
  assert_int_equal(pq_ranges_add1(&s, 5), 1);
  assert_int_equal(pq_ranges_add1(&s, 5), 0);
  assert_int_equal(pq_ranges_add1(&s, 7), 1);
  assert_int_equal(pq_ranges_add1(&s, 6), 1);
  expect(&s, (const uint64_t[]){5, 7}, 1);
  assert_false(pq_ranges_contains(&s, 4));
  assert_true(pq_ranges_contains(&s, 5));
  assert_true(pq_ranges_contains(&s, 7));
  assert_false(pq_ranges_contains(&s, 8));
  assert_int_equal(pq_ranges_add1(&s, 0), 1);
  assert_true(pq_ranges_contains(&s, 0));
  assert_false(pq_ranges_contains(&s, 1));
  pq_ranges_free(&s);
}

static void test_invalid(void **state) {
  (void)state;
  pq_ranges s;
  pq_ranges_init(&s);
  uint64_t n = 99;
  assert_int_equal(pq_ranges_add(&s, 5, 4, &n), PQUIC_ERR_INVAL);
  assert_true(n == 0);
  assert_int_equal(pq_ranges_add(&s, 0, UINT64_MAX, &n), PQUIC_ERR_INVAL);
  assert_int_equal(pq_ranges_add1(&s, UINT64_MAX), PQUIC_ERR_INVAL);
  assert_int_equal(pq_ranges_remove(&s, 5, 4, &n), PQUIC_ERR_INVAL);
  assert_int_equal(pq_ranges_remove(&s, 0, UINT64_MAX, &n), PQUIC_ERR_INVAL);
  assert_true(pq_ranges_empty(&s));
  pq_ranges_free(&s);
}

static void test_extremes(void **state) {
  (void)state;
  pq_ranges s;
  pq_ranges_init(&s);
  uint64_t n;
  assert_int_equal(pq_ranges_add(&s, 0, PQ_RANGES_VMAX, &n), 0);
  assert_true(n == UINT64_MAX);
  assert_true(pq_ranges_total(&s) == UINT64_MAX);
  assert_true(pq_ranges_contains(&s, PQ_RANGES_VMAX));
  assert_false(pq_ranges_contains(&s, UINT64_MAX));
  assert_int_equal(pq_ranges_remove(&s, 1, PQ_RANGES_VMAX - 1, &n), 0);
  assert_true(n == UINT64_MAX - 2);
  expect(&s, (const uint64_t[]){0, 0, PQ_RANGES_VMAX, PQ_RANGES_VMAX}, 2);
  assert_true(pq_ranges_remove_below(&s, PQ_RANGES_VMAX) == 1);
  expect(&s, (const uint64_t[]){PQ_RANGES_VMAX, PQ_RANGES_VMAX}, 1);
  assert_true(pq_ranges_remove_below(&s, UINT64_MAX) == 1);
  assert_true(pq_ranges_empty(&s));
  pq_ranges_free(&s);
}

static void test_remove_split(void **state) {
  (void)state;
  pq_ranges s;
  pq_ranges_init(&s);
  uint64_t n;
  assert_int_equal(pq_ranges_add(&s, 0, 100, NULL), 0);
  assert_int_equal(pq_ranges_remove(&s, 10, 19, &n), 0);
  assert_true(n == 10);
  assert_int_equal(pq_ranges_remove(&s, 30, 39, &n), 0);
  expect(&s, (const uint64_t[]){0, 9, 20, 29, 40, 100}, 3);
  /* Remove across a gap, trimming both neighbours. */
  assert_int_equal(pq_ranges_remove(&s, 25, 45, &n), 0);
  assert_true(n == 5 + 6);
  expect(&s, (const uint64_t[]){0, 9, 20, 24, 46, 100}, 3);
  /* Remove a gap only: nothing. */
  assert_int_equal(pq_ranges_remove(&s, 10, 19, &n), 0);
  assert_true(n == 0);
  /* Remove whole ranges exactly. */
  assert_int_equal(pq_ranges_remove(&s, 0, 24, &n), 0);
  assert_true(n == 15);
  expect(&s, (const uint64_t[]){46, 100}, 1);
  assert_int_equal(pq_ranges_remove(&s, 46, 46, &n), 0);
  assert_int_equal(pq_ranges_remove(&s, 100, 200, &n), 0);
  expect(&s, (const uint64_t[]){47, 99}, 1);
  pq_ranges_free(&s);
}

static void test_remove_below_and_trim(void **state) {
  (void)state;
  pq_ranges s;
  pq_ranges_init(&s);
  for (uint64_t i = 0; i < 10; i++)
    assert_int_equal(pq_ranges_add(&s, i * 10, i * 10 + 4, NULL), 0);
  assert_true(pq_ranges_remove_below(&s, 0) == 0);
  assert_true(pq_ranges_remove_below(&s, 22) == 5 + 5 + 2);
  assert_int_equal(pq_ranges_count(&s), 8);
  assert_true(pq_ranges_first(&s)->lo == 22);
  /* Below a gap: drops whole ranges only. */
  assert_true(pq_ranges_remove_below(&s, 27) == 3);
  assert_true(pq_ranges_first(&s)->lo == 30);
  assert_true(pq_ranges_trim(&s, 10) == 0);
  assert_true(pq_ranges_trim(&s, 3) == 4 * 5);
  expect(&s, (const uint64_t[]){70, 74, 80, 84, 90, 94}, 3);
  assert_true(pq_ranges_trim(&s, 0) == 15);
  assert_true(pq_ranges_empty(&s));
  pq_ranges_free(&s);
}

static void test_lower_bound_and_iteration(void **state) {
  (void)state;
  pq_ranges s;
  pq_ranges_init(&s);
  assert_int_equal(pq_ranges_lower_bound(&s, 5), 0);
  for (uint64_t i = 1; i <= 20; i++)
    assert_int_equal(pq_ranges_add1(&s, i * 3), 1);
  assert_int_equal(pq_ranges_count(&s), 20);
  assert_int_equal(pq_ranges_lower_bound(&s, 0), 0);
  assert_int_equal(pq_ranges_lower_bound(&s, 3), 0);
  assert_int_equal(pq_ranges_lower_bound(&s, 4), 1);
  assert_int_equal(pq_ranges_lower_bound(&s, 60), 19);
  assert_int_equal(pq_ranges_lower_bound(&s, 61), 20);
  /* Descending iteration, as an ACK frame is written. */
  uint64_t expect_v = 60;
  for (uint32_t i = pq_ranges_count(&s); i-- > 0;) {
    assert_true(pq_ranges_at(&s, i)->lo == expect_v);
    expect_v -= 3;
  }
  pq_ranges_clear(&s);
  assert_true(pq_ranges_empty(&s));
  assert_true(pq_ranges_total(&s) == 0);
  pq_ranges_free(&s);
}

/* The ACK-tracking pattern: append at the top and trim the bottom forever.
 * The array must not grow without bound. */
static void test_sliding_window(void **state) {
  (void)state;
  pq_ranges s;
  pq_ranges_init(&s);
  for (uint64_t pn = 0; pn < 100000; pn += 2) {
    assert_int_equal(pq_ranges_add1(&s, pn), 1);
    pq_ranges_trim(&s, 32);
  }
  assert_int_equal(pq_ranges_count(&s), 32);
  assert_true(s.cap <= 128);
  check_invariants(&s);
  assert_true(pq_ranges_last(&s)->lo == 99998);
  assert_true(pq_ranges_first(&s)->lo == 99998 - 62);
  pq_ranges_free(&s);
}

/* In-order values merge into one range and never allocate. */
static void test_in_order_no_alloc(void **state) {
  (void)state;
  pq_ranges s;
  pq_ranges_init(&s);
  pq_alloc_fail_after(0);
  for (uint64_t pn = 0; pn < 1000; pn++)
    assert_int_equal(pq_ranges_add1(&s, pn), 1);
  for (uint64_t pn = 2000; pn < 2003; pn++)
    assert_int_equal(pq_ranges_add(&s, pn * 2, pn * 2, NULL), 0);
  assert_int_equal(pq_ranges_count(&s), PQ_RANGES_INLINE);
  /* Full inline storage: appending, inserting in the middle and splitting
   * all need room, and fail cleanly. */
  assert_int_equal(pq_ranges_add1(&s, 5000), PQUIC_ERR_NOMEM);
  assert_int_equal(pq_ranges_add1(&s, 1500), PQUIC_ERR_NOMEM);
  uint64_t n = 7;
  assert_int_equal(pq_ranges_remove(&s, 10, 10, &n), PQUIC_ERR_NOMEM);
  assert_true(n == 0);
  assert_int_equal(pq_ranges_count(&s), PQ_RANGES_INLINE);
  assert_true(pq_ranges_total(&s) == 1003);
  /* Changes that need no new range still work. */
  assert_int_equal(pq_ranges_remove(&s, 0, 0, &n), 0);
  assert_int_equal(pq_ranges_add1(&s, 0), 1);
  pq_alloc_fail_after(-1);
  assert_null(s.heap);
  pq_ranges_free(&s);
}

/* After pq_ranges_reserve(k), k operations that each create one range do
 * not allocate, whatever the position of the free slots (here: all in front,
 * after trimming, which forces a compaction instead of a growth). */
static void test_reserve_promise(void **state) {
  (void)state;
  pq_ranges s;
  pq_ranges_init(&s);
  for (uint64_t i = 0; i < 16; i++)
    assert_int_equal(pq_ranges_add1(&s, i * 2), 1);
  pq_ranges_trim(&s, 13); /* 3 free slots at the front, none at the back */
  assert_int_equal(pq_ranges_reserve(&s, 3), 0);
  pq_alloc_fail_after(0);
  assert_int_equal(pq_ranges_add1(&s, 100), 1);            /* append */
  assert_int_equal(pq_ranges_remove(&s, 11, 11, NULL), 0); /* no-op */
  assert_int_equal(pq_ranges_add(&s, 50, 60, NULL), 0);    /* middle */
  assert_int_equal(pq_ranges_add1(&s, 200), 1);
  pq_alloc_fail_after(-1);
  assert_int_equal(pq_ranges_count(&s), 16);
  check_invariants(&s);
  /* A split also counts as one new range. */
  assert_int_equal(pq_ranges_reserve(&s, 1), 0);
  pq_alloc_fail_after(0);
  assert_int_equal(pq_ranges_remove(&s, 55, 55, NULL), 0);
  pq_alloc_fail_after(-1);
  assert_int_equal(pq_ranges_count(&s), 17);
  check_invariants(&s);
  pq_ranges_free(&s);
}

/* Bitmap model over a small universe. */
#define U 300
typedef struct {
  uint8_t bit[U];
} model;

static uint64_t model_count(const model *m, uint64_t lo, uint64_t hi) {
  uint64_t c = 0;
  for (uint64_t v = lo; v <= hi && v < U; v++)
    c += m->bit[v];
  return c;
}

static void model_compare(const model *m, const pq_ranges *s) {
  check_invariants(s);
  uint32_t i = 0;
  uint64_t v = 0;
  while (v < U) {
    if (!m->bit[v]) {
      v++;
      continue;
    }
    uint64_t lo = v;
    while (v < U && m->bit[v])
      v++;
    assert_true(i < pq_ranges_count(s));
    assert_true(pq_ranges_at(s, i)->lo == lo);
    assert_true(pq_ranges_at(s, i)->hi == v - 1);
    i++;
  }
  assert_int_equal(i, pq_ranges_count(s));
}

static void random_interval(uint64_t *lo, uint64_t *hi) {
  *lo = rnd_below(U);
  uint64_t len = rnd_below(4) == 0 ? rnd_below(60) : rnd_below(4);
  *hi = *lo + len >= U ? U - 1 : *lo + len;
}

static void test_differential(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 40; seed++) {
    rng_state = seed * 0x9E3779B97F4A7C15ULL;
    pq_ranges s;
    pq_ranges_init(&s);
    model m;
    memset(&m, 0, sizeof(m));
    for (int step = 0; step < 3000; step++) {
      uint64_t lo, hi, n = 0;
      random_interval(&lo, &hi);
      switch (rnd_below(10)) {
      case 0:
      case 1:
      case 2:
      case 3: {
        uint64_t expect_n = (hi - lo + 1) - model_count(&m, lo, hi);
        assert_int_equal(pq_ranges_add(&s, lo, hi, &n), 0);
        assert_true(n == expect_n);
        memset(m.bit + lo, 1, hi - lo + 1);
        break;
      }
      case 4: {
        int r = pq_ranges_add1(&s, lo);
        assert_int_equal(r, m.bit[lo] ? 0 : 1);
        m.bit[lo] = 1;
        break;
      }
      case 5:
      case 6: {
        uint64_t expect_n = model_count(&m, lo, hi);
        assert_int_equal(pq_ranges_remove(&s, lo, hi, &n), 0);
        assert_true(n == expect_n);
        memset(m.bit + lo, 0, hi - lo + 1);
        break;
      }
      case 7: {
        if (rnd_below(8) != 0)
          break;
        uint64_t expect_n = model_count(&m, 0, lo == 0 ? 0 : lo - 1) * (lo > 0);
        assert_true(pq_ranges_remove_below(&s, lo) == expect_n);
        memset(m.bit, 0, lo);
        break;
      }
      case 8: {
        if (rnd_below(8) != 0)
          break;
        uint32_t max = (uint32_t)rnd_below(12);
        uint32_t cnt = pq_ranges_count(&s);
        uint64_t expect_n = 0;
        /* Model: clear the lowest (cnt - max) runs. */
        for (uint64_t v = 0, runs = 0; v < U && cnt > max && runs < cnt - max;) {
          if (!m.bit[v]) {
            v++;
            continue;
          }
          while (v < U && m.bit[v]) {
            m.bit[v++] = 0;
            expect_n++;
          }
          runs++;
        }
        assert_true(pq_ranges_trim(&s, max) == expect_n);
        break;
      }
      default: {
        for (int k = 0; k < 4; k++) {
          uint64_t v = rnd_below(U + 5);
          assert_int_equal(pq_ranges_contains(&s, v), v < U && m.bit[v]);
        }
        uint32_t lb = pq_ranges_lower_bound(&s, lo);
        assert_true(lb == pq_ranges_count(&s) || pq_ranges_at(&s, lb)->hi >= lo);
        assert_true(lb == 0 || pq_ranges_at(&s, lb - 1)->hi < lo);
        break;
      }
      }
      model_compare(&m, &s);
      assert_true(pq_ranges_total(&s) == model_count(&m, 0, U - 1));
    }
    pq_ranges_free(&s);
  }
}

/* Snapshot of a set to check "unchanged after a failure". */
typedef struct {
  uint32_t n;
  uint64_t total;
  pq_range r[512];
} snap;

static void take(snap *sn, const pq_ranges *s) {
  sn->n = pq_ranges_count(s);
  sn->total = pq_ranges_total(s);
  for (uint32_t i = 0; i < sn->n; i++)
    sn->r[i] = *pq_ranges_at(s, i);
}

static void same(const snap *sn, const pq_ranges *s) {
  assert_int_equal(sn->n, pq_ranges_count(s));
  assert_true(sn->total == pq_ranges_total(s));
  for (uint32_t i = 0; i < sn->n; i++) {
    assert_true(sn->r[i].lo == pq_ranges_at(s, i)->lo);
    assert_true(sn->r[i].hi == pq_ranges_at(s, i)->hi);
  }
}

/* One operation of the OOM sequence; returns 0 or a negative error. */
static int oom_op(pq_ranges *s, int op, uint64_t lo, uint64_t hi, uint32_t extra) {
  uint64_t n;
  switch (op) {
  case 0:
  case 1:
    return pq_ranges_add(s, lo * 3, hi * 3, &n);
  case 2:
    return pq_ranges_remove(s, lo * 3, hi * 3, &n);
  case 3:
    return pq_ranges_reserve(s, extra);
  default: {
    int r = pq_ranges_add1(s, lo * 3 + 1);
    return r < 0 ? r : 0;
  }
  }
}

/* Runs a fixed random sequence in which allocation number `fail_at` fails
 * (none if negative). The failing operation must return NOMEM and leave the
 * set unchanged; it is then retried with injection off. Returns whether a
 * failure was injected. */
static int oom_run(long fail_at, snap *final) {
  rng_state = 77;
  pq_ranges s;
  pq_ranges_init(&s);
  int failed = 0;
  snap before;
  pq_alloc_fail_after(fail_at);
  for (int step = 0; step < 400; step++) {
    uint64_t lo, hi;
    random_interval(&lo, &hi);
    int op = (int)rnd_below(5);
    uint32_t extra = (uint32_t)rnd_below(40);
    take(&before, &s);
    int r = oom_op(&s, op, lo, hi, extra);
    if (r == PQUIC_ERR_NOMEM) {
      same(&before, &s);
      check_invariants(&s);
      failed = 1;
      pq_alloc_fail_after(-1);
      r = oom_op(&s, op, lo, hi, extra);
    }
    assert_int_equal(r, 0);
  }
  pq_alloc_fail_after(-1);
  take(final, &s);
  pq_ranges_free(&s);
  return failed;
}

static void test_oom_sweep(void **state) {
  (void)state;
  static snap ref, got;
  assert_int_equal(oom_run(-1, &ref), 0);
  assert_true(ref.n > PQ_RANGES_INLINE);
  long n = 0;
  while (oom_run(n, &got)) {
    assert_int_equal(got.n, ref.n);
    assert_memory_equal(got.r, ref.r, ref.n * sizeof(pq_range));
    n++;
  }
  assert_true(n > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_add_merge),
      cmocka_unit_test(test_add1_and_contains),
      cmocka_unit_test(test_invalid),
      cmocka_unit_test(test_extremes),
      cmocka_unit_test(test_remove_split),
      cmocka_unit_test(test_remove_below_and_trim),
      cmocka_unit_test(test_lower_bound_and_iteration),
      cmocka_unit_test(test_sliding_window),
      cmocka_unit_test(test_in_order_no_alloc),
      cmocka_unit_test(test_reserve_promise),
      cmocka_unit_test(test_differential),
      cmocka_unit_test(test_oom_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
