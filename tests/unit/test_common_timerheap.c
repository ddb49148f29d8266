/* Timer heap: ordering against a naive model, moves and cancels, OOM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/alloc.h"
#include "common/timerheap.h"
#include "pquic/errors.h"

static uint64_t rng_state;
static uint64_t rnd(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1DULL;
}

/* Heap property and back-pointers. */
static void check_heap(const pq_timerheap *h) {
  for (uint32_t i = 0; i < h->n; i++) {
    assert_int_equal(h->v[i].t->idx, i);
    assert_true(h->v[i].t->when == h->v[i].when);
    if (i > 0)
      assert_true(h->v[(i - 1) / 2].when <= h->v[i].when);
  }
}

static void test_basic(void **state) {
  (void)state;
  pq_timerheap h;
  pq_timerheap_init(&h);
  pq_timer a, b, c;
  pq_timer_init(&a);
  pq_timer_init(&b);
  pq_timer_init(&c);
  assert_null(pq_timerheap_peek(&h));
  assert_true(pq_timerheap_next_time(&h) == UINT64_MAX);
  assert_null(pq_timerheap_pop(&h, UINT64_MAX));
  assert_int_equal(pq_timerheap_set(&h, &a, 30), 0);
  assert_int_equal(pq_timerheap_set(&h, &b, 10), 0);
  assert_int_equal(pq_timerheap_set(&h, &c, 20), 0);
  assert_true(pq_timer_queued(&a));
  assert_ptr_equal(pq_timerheap_peek(&h), &b);
  assert_true(pq_timerheap_next_time(&h) == 10);
  /* Move b later, a earlier. */
  assert_int_equal(pq_timerheap_set(&h, &b, 40), 0);
  assert_int_equal(pq_timerheap_set(&h, &a, 5), 0);
  assert_int_equal(pq_timerheap_count(&h), 3);
  check_heap(&h);
  assert_null(pq_timerheap_pop(&h, 4));
  assert_ptr_equal(pq_timerheap_pop(&h, 5), &a);
  assert_false(pq_timer_queued(&a));
  pq_timerheap_cancel(&h, &a); /* not queued: no-op */
  pq_timerheap_cancel(&h, &c);
  assert_false(pq_timer_queued(&c));
  assert_ptr_equal(pq_timerheap_pop(&h, 100), &b);
  assert_null(pq_timerheap_pop(&h, UINT64_MAX));
  /* Free unqueues what is left. */
  assert_int_equal(pq_timerheap_set(&h, &c, 1), 0);
  pq_timerheap_free(&h);
  assert_false(pq_timer_queued(&c));
}

static void test_differential(void **state) {
  (void)state;
  enum { N = 400 };
  static pq_timer t[N];
  for (uint64_t seed = 1; seed <= 5; seed++) {
    rng_state = seed;
    pq_timerheap h;
    pq_timerheap_init(&h);
    for (int i = 0; i < N; i++)
      pq_timer_init(&t[i]);
    uint64_t now = 0;
    for (int step = 0; step < 20000; step++) {
      int i = (int)(rnd() % N);
      switch (rnd() % 4) {
      case 0:
      case 1:
        /* Few distinct times, so equal keys are common. */
        assert_int_equal(pq_timerheap_set(&h, &t[i], now + rnd() % 50), 0);
        break;
      case 2:
        pq_timerheap_cancel(&h, &t[i]);
        break;
      default: {
        now += rnd() % 10;
        /* The model: the minimum over queued timers. */
        uint64_t min = UINT64_MAX;
        uint32_t queued = 0;
        for (int k = 0; k < N; k++)
          if (pq_timer_queued(&t[k])) {
            queued++;
            min = t[k].when < min ? t[k].when : min;
          }
        assert_int_equal(pq_timerheap_count(&h), queued);
        assert_true(pq_timerheap_next_time(&h) == min);
        pq_timer *p = pq_timerheap_pop(&h, now);
        if (min <= now) {
          assert_non_null(p);
          assert_true(p->when == min);
          assert_false(pq_timer_queued(p));
        } else {
          assert_null(p);
        }
      }
      }
      if (step % 97 == 0)
        check_heap(&h);
    }
    /* Draining yields non-decreasing times. */
    uint64_t last = 0;
    pq_timer *p;
    while ((p = pq_timerheap_pop(&h, UINT64_MAX))) {
      assert_true(p->when >= last);
      last = p->when;
    }
    for (int k = 0; k < N; k++)
      assert_false(pq_timer_queued(&t[k]));
    pq_timerheap_free(&h);
  }
}

static void test_oom(void **state) {
  (void)state;
  enum { N = 200 };
  static pq_timer t[N];
  long n = 0;
  for (;; n++) {
    pq_timerheap h;
    pq_timerheap_init(&h);
    int failed = 0;
    pq_alloc_fail_after(n);
    for (int i = 0; i < N; i++) {
      pq_timer_init(&t[i]);
      uint32_t before = pq_timerheap_count(&h);
      uint64_t next = pq_timerheap_next_time(&h);
      int r = pq_timerheap_set(&h, &t[i], (uint64_t)(i * 7919) % 1000);
      if (r == PQUIC_ERR_NOMEM) {
        failed = 1;
        assert_false(pq_timer_queued(&t[i]));
        assert_int_equal(pq_timerheap_count(&h), before);
        assert_true(pq_timerheap_next_time(&h) == next);
        check_heap(&h);
        pq_alloc_fail_after(-1);
        r = pq_timerheap_set(&h, &t[i], (uint64_t)(i * 7919) % 1000);
      }
      assert_int_equal(r, 0);
      /* Moving a queued timer never allocates. */
      if (i % 3 == 0)
        assert_int_equal(pq_timerheap_set(&h, &t[i / 2], (uint64_t)i), 0);
    }
    /* Popping shrinks the array, best effort, even under injection. */
    int popped = 0;
    while (pq_timerheap_pop(&h, UINT64_MAX))
      popped++;
    assert_int_equal(popped, N);
    pq_alloc_fail_after(-1);
    pq_timerheap_free(&h);
    if (!failed)
      break;
  }
  assert_true(n >= 4);
  /* After reserve, queuing that many timers never allocates. */
  pq_timerheap h;
  pq_timerheap_init(&h);
  pq_alloc_fail_after(0);
  assert_int_equal(pq_timerheap_reserve(&h, 100), PQUIC_ERR_NOMEM);
  pq_alloc_fail_after(-1);
  assert_int_equal(pq_timerheap_reserve(&h, 100), 0);
  pq_alloc_fail_after(0);
  for (int i = 0; i < 100; i++) {
    pq_timer_init(&t[i]);
    assert_int_equal(pq_timerheap_set(&h, &t[i], (uint64_t)(100 - i)), 0);
  }
  pq_timer_init(&t[100]);
  assert_int_equal(pq_timerheap_set(&h, &t[100], 0), PQUIC_ERR_NOMEM);
  assert_false(pq_timer_queued(&t[100]));
  pq_alloc_fail_after(-1);
  assert_ptr_equal(pq_timerheap_peek(&h), &t[99]);
  pq_timerheap_free(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic),
      cmocka_unit_test(test_differential),
      cmocka_unit_test(test_oom),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
