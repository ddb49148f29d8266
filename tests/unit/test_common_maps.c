/* Hash maps (pq_u64map, pq_cidmap) and SipHash: reference vectors, a
 * differential test against a linear-search model, iteration with removal,
 * growth and shrinkage, and out-of-memory sweeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/alloc.h"
#include "common/cidmap.h"
#include "common/siphash.h"
#include "common/u64map.h"
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

/* Values are never dereferenced: distinct non-NULL tags. */
static uint8_t tag_base[8192];
static void *tag(uint64_t i) {
  assert_true(i < sizeof(tag_base));
  return &tag_base[i];
}

/* SipHash-2-4 reference outputs for key 00..0f and message 00 01 .. (len-1),
 * from the SipHash paper's reference implementation. */
static const uint64_t sip24_vectors[21] = {
    0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL, 0x85676696d7fb7e2dULL,
    0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL, 0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL,
    0x93f5f5799a932462ULL, 0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
    0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL, 0xa129ca6149be45e5ULL,
    0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL, 0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL,
    0xbed65cf21aa2ee98ULL,
};

static void test_siphash_vectors(void **state) {
  (void)state;
  pq_sipkey k = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
  uint8_t msg[64];
  for (int i = 0; i < 64; i++)
    msg[i] = (uint8_t)i;
  for (size_t len = 0; len <= 20; len++)
    assert_true(pq_siphash24(&k, msg, len) == sip24_vectors[len]);
  assert_true(pq_siphash24(&k, msg, 63) == 0x958a324ceb064572ULL);
  assert_true(pq_siphash24(&k, NULL, 0) == sip24_vectors[0]);
  /* SipHash-1-3 shares the code; check it depends on key, data and length. */
  pq_sipkey k2 = {k.k0 ^ 1, k.k1};
  assert_true(pq_siphash13(&k, msg, 8) != pq_siphash13(&k2, msg, 8));
  assert_true(pq_siphash13(&k, msg, 8) != pq_siphash13(&k, msg, 9));
  assert_true(pq_siphash13(&k, msg, 8) != pq_siphash24(&k, msg, 8));
  uint8_t zeros[2] = {0, 0};
  assert_true(pq_siphash13(&k, zeros, 1) != pq_siphash13(&k, zeros, 2));
}

/* ---- pq_u64map ---- */

static void test_u64map_basic(void **state) {
  (void)state;
  pq_u64map m;
  pq_u64map_init(&m, 42);
  assert_null(pq_u64map_get(&m, 0));
  assert_null(pq_u64map_remove(&m, 0));
  assert_int_equal(pq_u64map_insert(&m, 0, NULL), PQUIC_ERR_INVAL);
  assert_int_equal(pq_u64map_insert(&m, 0, tag(0)), 0);
  assert_int_equal(pq_u64map_insert(&m, UINT64_MAX, tag(1)), 0);
  assert_int_equal(pq_u64map_insert(&m, 0, tag(2)), PQUIC_ERR_EXISTS);
  assert_ptr_equal(pq_u64map_get(&m, 0), tag(0));
  assert_ptr_equal(pq_u64map_get(&m, UINT64_MAX), tag(1));
  assert_int_equal(pq_u64map_count(&m), 2);
  assert_ptr_equal(pq_u64map_remove(&m, 0), tag(0));
  assert_null(pq_u64map_remove(&m, 0));
  assert_null(pq_u64map_get(&m, 0));
  assert_int_equal(pq_u64map_count(&m), 1);
  pq_u64map_free(&m);
  assert_int_equal(pq_u64map_count(&m), 0);
  assert_null(pq_u64map_get(&m, UINT64_MAX));
  pq_u64map_free(&m);
}

static void test_u64map_differential(void **state) {
  (void)state;
  enum { NK = 3000 };
  static uint64_t keys[NK];
  static uint8_t present[NK];
  for (uint64_t seed = 1; seed <= 6; seed++) {
    rng_state = seed;
    /* A key universe mixing dense stream ids and arbitrary 64-bit values. */
    for (int i = 0; i < NK; i++)
      keys[i] = i % 2 ? (uint64_t)i * 4 + (seed & 3) : rnd();
    memset(present, 0, sizeof(present));
    uint32_t count = 0;
    pq_u64map m;
    pq_u64map_init(&m, rnd());
    for (int step = 0; step < 40000; step++) {
      /* Phases that fill and drain, so the table grows and shrinks. */
      int fill = (step / 5000) % 2 == 0;
      int k = (int)rnd_below(NK);
      if (rnd_below(100) < (fill ? 60 : 30)) {
        int r = pq_u64map_insert(&m, keys[k], tag(k));
        assert_int_equal(r, present[k] ? PQUIC_ERR_EXISTS : 0);
        if (!present[k])
          count++;
        present[k] = 1;
      } else if (rnd_below(2)) {
        void *v = pq_u64map_remove(&m, keys[k]);
        assert_ptr_equal(v, present[k] ? tag(k) : NULL);
        if (present[k])
          count--;
        present[k] = 0;
      } else {
        assert_ptr_equal(pq_u64map_get(&m, keys[k]), present[k] ? tag(k) : NULL);
      }
      assert_int_equal(pq_u64map_count(&m), count);
      assert_true((uint64_t)m.count * 4 <= (uint64_t)m.cap * 3);
    }
    for (int k = 0; k < NK; k++)
      assert_ptr_equal(pq_u64map_get(&m, keys[k]), present[k] ? tag(k) : NULL);
    pq_u64map_free(&m);
  }
}

static void test_u64map_iterate_and_remove(void **state) {
  (void)state;
  enum { N = 1000 };
  static uint8_t seen[N];
  pq_u64map m;
  pq_u64map_init(&m, 7);
  for (uint64_t i = 0; i < N; i++)
    assert_int_equal(pq_u64map_insert(&m, i * 4, tag(i)), 0);
  /* Plain iteration: every entry exactly once. */
  memset(seen, 0, sizeof(seen));
  pq_u64map_iter it;
  uint64_t key;
  void *val;
  pq_u64map_iter_init(&m, &it);
  while (pq_u64map_iter_next(&m, &it, &key, &val)) {
    assert_int_equal(key % 4, 0);
    assert_ptr_equal(val, tag(key / 4));
    seen[key / 4]++;
  }
  for (int i = 0; i < N; i++)
    assert_int_equal(seen[i], 1);
  /* Removing the current element: still every entry exactly once. */
  memset(seen, 0, sizeof(seen));
  pq_u64map_iter_init(&m, &it);
  while (pq_u64map_iter_next(&m, &it, &key, NULL)) {
    seen[key / 4]++;
    if (key % 3 == 0)
      assert_ptr_equal(pq_u64map_remove(&m, key), tag(key / 4));
  }
  for (int i = 0; i < N; i++)
    assert_int_equal(seen[i], 1);
  for (uint64_t i = 0; i < N; i++)
    assert_ptr_equal(pq_u64map_get(&m, i * 4), (i * 4) % 3 ? tag(i) : NULL);
  /* Removing everything while iterating empties the map. */
  pq_u64map_iter_init(&m, &it);
  uint32_t visited = 0;
  while (pq_u64map_iter_next(&m, &it, &key, NULL)) {
    assert_non_null(pq_u64map_remove(&m, key));
    visited++;
  }
  assert_int_equal(visited, N - (N + 2) / 3);
  assert_int_equal(pq_u64map_count(&m), 0);
  pq_u64map_iter_init(&m, &it);
  assert_false(pq_u64map_iter_next(&m, &it, &key, &val));
  pq_u64map_free(&m);
  /* An empty, never-allocated map iterates to nothing. */
  pq_u64map_iter_init(&m, &it);
  assert_false(pq_u64map_iter_next(&m, &it, NULL, NULL));
}

static void test_u64map_grow_shrink(void **state) {
  (void)state;
  pq_u64map m;
  pq_u64map_init(&m, 99);
  assert_int_equal(pq_u64map_reserve(&m, 100), 0);
  uint32_t cap = m.cap;
  assert_true(cap >= 134);
  pq_alloc_fail_after(0);
  for (uint64_t i = 0; i < 100; i++)
    assert_int_equal(pq_u64map_insert(&m, i, tag(i)), 0); /* no allocation */
  pq_alloc_fail_after(-1);
  assert_int_equal(m.cap, cap);
  for (uint64_t i = 100; i < 5000; i++)
    assert_int_equal(pq_u64map_insert(&m, i, tag(i)), 0);
  uint32_t big = m.cap;
  for (uint64_t i = 0; i < 4990; i++)
    assert_ptr_equal(pq_u64map_remove(&m, i), tag(i));
  assert_int_equal(m.cap, big); /* removal never reallocates */
  assert_int_equal(pq_u64map_insert(&m, 1, tag(1)), 0);
  assert_true(m.cap < big / 8); /* the next insert gave memory back */
  for (uint64_t i = 4990; i < 5000; i++)
    assert_ptr_equal(pq_u64map_get(&m, i), tag(i));
  assert_int_equal(pq_u64map_shrink(&m), 0);
  assert_int_equal(m.cap, 16);
  for (uint64_t i = 4990; i < 5000; i++)
    assert_ptr_equal(pq_u64map_remove(&m, i), tag(i));
  assert_ptr_equal(pq_u64map_remove(&m, 1), tag(1));
  assert_int_equal(pq_u64map_shrink(&m), 0);
  assert_null(m.slots);
  assert_int_equal(pq_u64map_insert(&m, 5, tag(5)), 0);
  assert_ptr_equal(pq_u64map_get(&m, 5), tag(5));
  pq_u64map_free(&m);
}

/* Collision flooding: the same keys land in different slots under another
 * seed, so keys chosen to collide under one secret do not collide under
 * another. Here: 64 keys that pile into slot 0 for seed A spread out for B. */
static void test_u64map_seeded(void **state) {
  (void)state;
  pq_u64map a, b;
  pq_u64map_init(&a, 0x1111);
  pq_u64map_init(&b, 0x2222);
  assert_int_equal(pq_u64map_reserve(&a, 700), 0);
  assert_int_equal(pq_u64map_reserve(&b, 700), 0);
  /* Find keys whose home under A is slot 0 by probing a 1-entry map. */
  uint64_t chosen[64];
  int n = 0;
  for (uint64_t k = 0; n < 64; k++) {
    assert_int_equal(pq_u64map_insert(&a, k, tag(0)), 0);
    int at0 = a.slots[0].val && a.slots[0].key == k;
    pq_u64map_remove(&a, k);
    if (at0)
      chosen[n++] = k;
  }
  for (int i = 0; i < 64; i++) {
    assert_int_equal(pq_u64map_insert(&a, chosen[i], tag(i)), 0);
    assert_int_equal(pq_u64map_insert(&b, chosen[i], tag(i)), 0);
  }
  /* Under A they form one run of 64 slots; under B no run is that long. */
  uint32_t longest = 0, run = 0;
  for (uint32_t i = 0; i < b.cap; i++) {
    run = b.slots[i].val ? run + 1 : 0;
    longest = run > longest ? run : longest;
  }
  for (uint32_t i = 0; i < 64; i++)
    assert_non_null(a.slots[i].val);
  assert_true(longest < 16);
  pq_u64map_free(&a);
  pq_u64map_free(&b);
}

/* Inserts and removals with allocation number `fail_at` failing: the
 * failing insert must leave the map exactly as the model says, then it is
 * retried without injection. */
static void u64map_check(const pq_u64map *m, const uint8_t *present, uint64_t n) {
  uint32_t count = 0;
  for (uint64_t k = 0; k < n; k++) {
    assert_ptr_equal(pq_u64map_get(m, k), present[k] ? tag(k) : NULL);
    count += present[k];
  }
  assert_int_equal(pq_u64map_count(m), count);
}

static int u64map_oom_run(long fail_at) {
  static uint8_t present[600];
  memset(present, 0, sizeof(present));
  pq_u64map m;
  pq_u64map_init(&m, 5);
  int failed = 0;
  pq_alloc_fail_after(fail_at);
  for (uint64_t i = 0; i < 600; i++) {
    if (i % 7 == 3) {
      pq_u64map_remove(&m, i - 2);
      present[i - 2] = 0;
    }
    if (i == 500) /* drain, so that the next insert shrinks the table */
      for (uint64_t k = 0; k < 500; k++) {
        pq_u64map_remove(&m, k);
        present[k] = 0;
      }
    int r = pq_u64map_insert(&m, i, tag(i));
    if (r == PQUIC_ERR_NOMEM) {
      failed = 1;
      u64map_check(&m, present, 600);
      pq_alloc_fail_after(-1);
      r = pq_u64map_insert(&m, i, tag(i));
    }
    assert_int_equal(r, 0);
    present[i] = 1;
  }
  pq_alloc_fail_after(-1);
  u64map_check(&m, present, 600);
  assert_int_equal(pq_u64map_shrink(&m), 0);
  u64map_check(&m, present, 600);
  pq_u64map_free(&m);
  return failed;
}

static void test_u64map_oom(void **state) {
  (void)state;
  assert_int_equal(u64map_oom_run(-1), 0);
  long n = 0;
  while (u64map_oom_run(n))
    n++;
  assert_true(n >= 7);
  /* reserve and shrink fail cleanly too. */
  pq_u64map m;
  pq_u64map_init(&m, 1);
  assert_int_equal(pq_u64map_insert(&m, 1, tag(1)), 0);
  pq_alloc_fail_after(0);
  assert_int_equal(pq_u64map_reserve(&m, 1000), PQUIC_ERR_NOMEM);
  pq_alloc_fail_after(-1);
  assert_ptr_equal(pq_u64map_get(&m, 1), tag(1));
  assert_int_equal(pq_u64map_reserve(&m, 1000), 0);
  pq_alloc_fail_after(0);
  assert_int_equal(pq_u64map_shrink(&m), PQUIC_ERR_NOMEM);
  pq_alloc_fail_after(-1);
  assert_ptr_equal(pq_u64map_get(&m, 1), tag(1));
  pq_u64map_free(&m);
}

/* ---- pq_cidmap ---- */

static const pq_sipkey cid_key = {0x0123456789abcdefULL, 0xfedcba9876543210ULL};

static void test_cidmap_basic(void **state) {
  (void)state;
  pq_cidmap m;
  pq_cidmap_init(&m, &cid_key);
  const uint8_t a[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  const uint8_t z[3] = {0, 0, 0};
  assert_null(pq_cidmap_get(&m, a, 8));
  assert_int_equal(pq_cidmap_insert(&m, a, 21, tag(0)), PQUIC_ERR_INVAL);
  assert_int_equal(pq_cidmap_insert(&m, a, 8, NULL), PQUIC_ERR_INVAL);
  /* Prefixes of one another are different keys, as are zero runs. */
  assert_int_equal(pq_cidmap_insert(&m, a, 8, tag(8)), 0);
  assert_int_equal(pq_cidmap_insert(&m, a, 20, tag(20)), 0);
  assert_int_equal(pq_cidmap_insert(&m, a, 0, tag(99)), 0);
  assert_int_equal(pq_cidmap_insert(&m, z, 1, tag(1)), 0);
  assert_int_equal(pq_cidmap_insert(&m, z, 2, tag(2)), 0);
  assert_int_equal(pq_cidmap_insert(&m, z, 3, tag(3)), 0);
  assert_int_equal(pq_cidmap_insert(&m, a, 8, tag(7)), PQUIC_ERR_EXISTS);
  assert_int_equal(pq_cidmap_count(&m), 6);
  assert_ptr_equal(pq_cidmap_get(&m, a, 8), tag(8));
  assert_ptr_equal(pq_cidmap_get(&m, a, 20), tag(20));
  assert_ptr_equal(pq_cidmap_get(&m, NULL, 0), tag(99));
  assert_ptr_equal(pq_cidmap_get(&m, z, 2), tag(2));
  assert_null(pq_cidmap_get(&m, a, 7));
  assert_null(pq_cidmap_get(&m, a, 21));
  assert_null(pq_cidmap_remove(&m, a, 21));
  assert_ptr_equal(pq_cidmap_remove(&m, NULL, 0), tag(99));
  assert_ptr_equal(pq_cidmap_remove(&m, z, 1), tag(1));
  assert_null(pq_cidmap_remove(&m, z, 1));
  assert_ptr_equal(pq_cidmap_get(&m, z, 3), tag(3));
  assert_int_equal(pq_cidmap_count(&m), 4);
  pq_cidmap_free(&m);
  assert_null(pq_cidmap_get(&m, a, 8));
}

typedef struct {
  uint8_t len;
  uint8_t b[20];
} cid;

static void random_cid(cid *c) {
  c->len = (uint8_t)(rnd_below(4) == 0 ? rnd_below(21) : 8);
  for (int i = 0; i < 20; i++)
    c->b[i] = (uint8_t)(rnd_below(3) == 0 ? 0 : rnd());
  if (rnd_below(4) == 0)
    memset(c->b + 1, 0, 19); /* many near-identical keys */
}

static void test_cidmap_differential(void **state) {
  (void)state;
  enum { NK = 1500 };
  static cid keys[NK];
  static uint8_t present[NK], seen[NK];
  for (uint64_t seed = 1; seed <= 4; seed++) {
    rng_state = seed * 1000003;
    int nk = 0;
    /* Distinct keys only. */
    while (nk < NK) {
      random_cid(&keys[nk]);
      int dup = 0;
      for (int j = 0; j < nk && !dup; j++)
        dup = keys[j].len == keys[nk].len && memcmp(keys[j].b, keys[nk].b, keys[nk].len) == 0;
      nk += !dup;
    }
    memset(present, 0, sizeof(present));
    uint32_t count = 0;
    pq_cidmap m;
    pq_sipkey key = {rnd(), rnd()};
    pq_cidmap_init(&m, &key);
    for (int step = 0; step < 20000; step++) {
      int fill = (step / 4000) % 2 == 0;
      int k = (int)rnd_below(NK);
      if (rnd_below(100) < (fill ? 60 : 30)) {
        int r = pq_cidmap_insert(&m, keys[k].b, keys[k].len, tag(k));
        assert_int_equal(r, present[k] ? PQUIC_ERR_EXISTS : 0);
        count += !present[k];
        present[k] = 1;
      } else if (rnd_below(2)) {
        void *v = pq_cidmap_remove(&m, keys[k].b, keys[k].len);
        assert_ptr_equal(v, present[k] ? tag(k) : NULL);
        count -= present[k];
        present[k] = 0;
      } else {
        assert_ptr_equal(pq_cidmap_get(&m, keys[k].b, keys[k].len), present[k] ? tag(k) : NULL);
      }
      assert_int_equal(pq_cidmap_count(&m), count);
    }
    /* Iterate, removing every other entry: each entry seen once. */
    memset(seen, 0, sizeof(seen));
    pq_cidmap_iter it;
    const uint8_t *kb;
    size_t kl;
    void *v;
    pq_cidmap_iter_init(&m, &it);
    uint32_t visited = 0;
    while (pq_cidmap_iter_next(&m, &it, &kb, &kl, &v)) {
      size_t idx = (size_t)((uint8_t *)v - tag_base);
      assert_true(idx < NK);
      assert_int_equal(kl, keys[idx].len);
      assert_memory_equal(kb, keys[idx].b, kl);
      seen[idx]++;
      if (visited++ % 2 == 0) {
        assert_ptr_equal(pq_cidmap_remove(&m, keys[idx].b, keys[idx].len), v);
        present[idx] = 0;
      }
    }
    assert_int_equal(visited, count);
    for (int k = 0; k < NK; k++) {
      assert_int_equal(seen[k], present[k] || seen[k] ? 1 : 0);
      assert_ptr_equal(pq_cidmap_get(&m, keys[k].b, keys[k].len), present[k] ? tag(k) : NULL);
    }
    pq_cidmap_free(&m);
  }
}

static void cid_of(uint32_t i, uint8_t c[20]) {
  memset(c, 0, 20);
  memcpy(c, &i, sizeof(i));
}

static void cidmap_check(const pq_cidmap *m, const uint8_t *present, uint32_t n) {
  uint32_t count = 0;
  uint8_t c[20];
  for (uint32_t k = 0; k < n; k++) {
    cid_of(k, c);
    assert_ptr_equal(pq_cidmap_get(m, c, 8 + k % 13), present[k] ? tag(k) : NULL);
    count += present[k];
  }
  assert_int_equal(pq_cidmap_count(m), count);
}

static int cidmap_oom_run(long fail_at) {
  static uint8_t present[300];
  memset(present, 0, sizeof(present));
  pq_cidmap m;
  pq_cidmap_init(&m, &cid_key);
  int failed = 0;
  pq_alloc_fail_after(fail_at);
  uint8_t c[20];
  for (uint32_t i = 0; i < 300; i++) {
    if (i == 250)
      for (uint32_t k = 0; k < 240; k++) {
        cid_of(k, c);
        assert_non_null(pq_cidmap_remove(&m, c, 8 + k % 13));
        present[k] = 0;
      }
    cid_of(i, c);
    int r = pq_cidmap_insert(&m, c, 8 + i % 13, tag(i));
    if (r == PQUIC_ERR_NOMEM) {
      failed = 1;
      cidmap_check(&m, present, 300);
      pq_alloc_fail_after(-1);
      r = pq_cidmap_insert(&m, c, 8 + i % 13, tag(i));
    }
    assert_int_equal(r, 0);
    present[i] = 1;
  }
  pq_alloc_fail_after(-1);
  cidmap_check(&m, present, 300);
  pq_cidmap_free(&m);
  return failed;
}

static void test_cidmap_oom(void **state) {
  (void)state;
  assert_int_equal(cidmap_oom_run(-1), 0);
  long n = 0;
  while (cidmap_oom_run(n))
    n++;
  assert_true(n >= 6);
  /* reserve and shrink: clean failure, then the sizes they promise. */
  pq_cidmap m;
  pq_cidmap_init(&m, &cid_key);
  uint8_t c[20];
  cid_of(1, c);
  assert_int_equal(pq_cidmap_insert(&m, c, 8, tag(1)), 0);
  pq_alloc_fail_after(0);
  assert_int_equal(pq_cidmap_reserve(&m, 500), PQUIC_ERR_NOMEM);
  pq_alloc_fail_after(-1);
  assert_ptr_equal(pq_cidmap_get(&m, c, 8), tag(1));
  assert_int_equal(pq_cidmap_reserve(&m, 500), 0);
  uint32_t cap = m.cap;
  assert_true(cap >= 667);
  cid_of(2, c);
  assert_int_equal(pq_cidmap_insert(&m, c, 8, tag(2)), 0);
  assert_int_equal(m.cap, cap); /* the reserve floor stops automatic shrinking */
  pq_alloc_fail_after(0);
  assert_int_equal(pq_cidmap_shrink(&m), PQUIC_ERR_NOMEM);
  pq_alloc_fail_after(-1);
  assert_int_equal(m.cap, cap);
  assert_int_equal(pq_cidmap_shrink(&m), 0);
  assert_int_equal(m.cap, 8);
  assert_ptr_equal(pq_cidmap_get(&m, c, 8), tag(2));
  assert_ptr_equal(pq_cidmap_remove(&m, c, 8), tag(2));
  cid_of(1, c);
  assert_ptr_equal(pq_cidmap_remove(&m, c, 8), tag(1));
  assert_int_equal(pq_cidmap_shrink(&m), 0);
  assert_null(m.slots);
  pq_cidmap_free(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_siphash_vectors),     cmocka_unit_test(test_u64map_basic),
      cmocka_unit_test(test_u64map_differential), cmocka_unit_test(test_u64map_iterate_and_remove),
      cmocka_unit_test(test_u64map_grow_shrink),  cmocka_unit_test(test_u64map_seeded),
      cmocka_unit_test(test_u64map_oom),          cmocka_unit_test(test_cidmap_basic),
      cmocka_unit_test(test_cidmap_differential), cmocka_unit_test(test_cidmap_oom),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
