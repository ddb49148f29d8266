/* The plugin heap (pl_malloc & co): size classes, reuse, realloc, zeroed
 * fresh memory, detection of wild and double frees, and robustness
 * against a plugin scribbling over its own heap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "plugin/heap.h"

#define REGION 65536
#define LO 1024
#define HI (REGION - 8192)

static uint8_t region[REGION];

static void init(pq_pl_heap *h) {
  memset(region, 0xa5, sizeof region); /* what the host left behind */
  pq_pl_heap_init(h, region, LO, HI);
}

static void alloc_free_reuse(void **state) {
  (void)state;
  pq_pl_heap h;
  init(&h);
  uint32_t a = pq_pl_heap_alloc(&h, 10);
  uint32_t b = pq_pl_heap_alloc(&h, 10);
  assert_true(a >= LO + PQ_HEAP_HEADER && a < HI);
  assert_int_equal(a % 16, 0);
  assert_int_equal(b - a, 32); /* smallest class: 32-byte blocks */
  for (int i = 0; i < 16; i++)
    assert_int_equal(region[a + i], 0); /* fresh memory is zeroed */
  assert_int_equal(pq_pl_heap_capacity(&h, a), 16);
  assert_int_equal(pq_pl_heap_free(&h, a), 0);
  assert_int_equal(pq_pl_heap_free(&h, a), -1); /* double free */
  assert_int_equal(pq_pl_heap_capacity(&h, a), 0);
  /* Same class: the freed block comes back (LIFO). */
  assert_int_equal(pq_pl_heap_alloc(&h, 16), a);
  /* Larger sizes take larger classes. */
  uint32_t c = pq_pl_heap_alloc(&h, 17);
  assert_int_equal(pq_pl_heap_capacity(&h, c), 64 - PQ_HEAP_HEADER);
  uint32_t d = pq_pl_heap_alloc(&h, 1000);
  assert_int_equal(pq_pl_heap_capacity(&h, d), 1024 - PQ_HEAP_HEADER);
  /* Zero-size allocations still give a distinct block. */
  uint32_t z = pq_pl_heap_alloc(&h, 0);
  assert_true(z != 0 && z != a && z != b);
}

static void exhaustion_and_limits(void **state) {
  (void)state;
  pq_pl_heap h;
  init(&h);
  assert_int_equal(pq_pl_heap_alloc(&h, HI - LO), 0); /* needs a header too */
  assert_int_equal(pq_pl_heap_alloc(&h, UINT64_MAX), 0);
  assert_int_equal(pq_pl_heap_alloc(&h, UINT64_MAX - 8), 0);
  size_t n = 0;
  while (pq_pl_heap_alloc(&h, 100))
    n++;
  assert_int_equal(n, (HI - LO) / 128);
  /* Freed memory of one class serves that class only. */
  pq_pl_heap h2;
  init(&h2);
  uint32_t big = pq_pl_heap_alloc(&h2, 30000);
  assert_true(big != 0);
  assert_int_equal(pq_pl_heap_free(&h2, big), 0);
  assert_int_equal(pq_pl_heap_alloc(&h2, 30000), big);
}

static void wild_frees(void **state) {
  (void)state;
  pq_pl_heap h;
  init(&h);
  uint32_t a = pq_pl_heap_alloc(&h, 40);
  assert_int_equal(pq_pl_heap_free(&h, 0), -1);
  assert_int_equal(pq_pl_heap_free(&h, 8), -1);
  assert_int_equal(pq_pl_heap_free(&h, a + 16), -1); /* inside a block */
  assert_int_equal(pq_pl_heap_free(&h, a + 1), -1);  /* misaligned */
  assert_int_equal(pq_pl_heap_free(&h, HI), -1);     /* never allocated */
  assert_int_equal(pq_pl_heap_free(&h, UINT32_MAX), -1);
  assert_int_equal(pq_pl_heap_free(&h, a), 0);
}

/* The plugin owns the bytes of its heap: whatever it writes there, the
 * allocator never goes outside [lo, hi). */
static void scribbled_heap(void **state) {
  (void)state;
  pq_pl_heap h;
  init(&h);
  uint32_t blocks[64];
  for (int i = 0; i < 64; i++)
    blocks[i] = pq_pl_heap_alloc(&h, 24);
  for (int i = 0; i < 64; i += 2)
    assert_int_equal(pq_pl_heap_free(&h, blocks[i]), 0);
  /* Overwrite every header and free-list link with junk. */
  for (uint32_t off = LO; off < h.brk; off++)
    region[off] = (uint8_t)(off * 131 + 7);
  for (int i = 0; i < 1000; i++) {
    uint32_t p = pq_pl_heap_alloc(&h, (uint64_t)(i % 200));
    if (!p)
      break;
    assert_true(p >= LO + PQ_HEAP_HEADER && p < HI);
    assert_true(p + pq_pl_heap_capacity(&h, p) <= HI);
  }
  /* A forged free-list head pointing outside is dropped, not followed. */
  h.head[0] = HI + 64;
  uint32_t p = pq_pl_heap_alloc(&h, 8);
  assert_true(p == 0 || (p >= LO && p < HI));
  assert_int_equal(h.head[0], 0);
}

static void realloc_paths(void **state) {
  (void)state;
  pq_pl_heap h;
  init(&h);
  uint32_t out;
  assert_int_equal(pq_pl_heap_realloc(&h, 0, 0, &out), 0);
  assert_int_equal(out, 0);
  assert_int_equal(pq_pl_heap_realloc(&h, 0, 10, &out), 0); /* like malloc */
  uint32_t a = out;
  static const uint8_t pattern[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  memcpy(region + a, pattern, sizeof pattern);
  assert_int_equal(pq_pl_heap_realloc(&h, a, 12, &out), 0);
  assert_int_equal(out, a); /* fits in place */
  assert_int_equal(pq_pl_heap_realloc(&h, a, 100, &out), 0);
  assert_true(out != a);
  assert_memory_equal(region + out, pattern, sizeof pattern);
  assert_int_equal(pq_pl_heap_capacity(&h, a), 0); /* the old block was freed */
  uint32_t b = out;
  assert_int_equal(pq_pl_heap_realloc(&h, b, HI, &out), 1); /* no memory: kept */
  assert_int_equal(out, 0);
  assert_int_equal(pq_pl_heap_capacity(&h, b), 128 - PQ_HEAP_HEADER);
  assert_int_equal(pq_pl_heap_realloc(&h, b + 16, 10, &out), -1);
  assert_int_equal(pq_pl_heap_realloc(&h, b, 0, &out), 0); /* like free */
  assert_int_equal(pq_pl_heap_capacity(&h, b), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(alloc_free_reuse), cmocka_unit_test(exhaustion_and_limits),
      cmocka_unit_test(wild_frees),       cmocka_unit_test(scribbled_heap),
      cmocka_unit_test(realloc_paths),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
