/* Chunk storage: argument limits, sparse descriptors, peek edges, release.
 * (Its normal use is covered through the send and receive buffer tests.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/alloc.h"
#include "common/chunkq.h"
#include "pquic/errors.h"

static void test_limits(void **state) {
  (void)state;
  pq_chunkq q;
  pq_chunkq_init(&q);
  assert_int_equal(pq_chunkq_reserve(&q, 123, 0), 0);
  assert_int_equal(q.n, 0);
  assert_int_equal(pq_chunkq_reserve(&q, UINT64_MAX - 1, 5), PQUIC_ERR_INVAL);
  assert_int_equal(pq_chunkq_reserve(&q, 0, 1), 0);
  /* Descriptors for more than 2^26 chunks (1 TiB of offsets) are refused. */
  assert_int_equal(pq_chunkq_reserve(&q, (uint64_t)PQ_CHUNK_SIZE << 26, 1), PQUIC_ERR_LIMIT);
  assert_int_equal(q.allocated, 64);
  pq_chunkq_free(&q);
}

static void test_sparse_and_peek(void **state) {
  (void)state;
  pq_chunkq q;
  pq_chunkq_init(&q);
  const uint8_t *p;
  uint8_t in[100], out[100];
  for (int i = 0; i < 100; i++)
    in[i] = (uint8_t)i;
  assert_int_equal(pq_chunkq_peek(&q, 0, &p), 0); /* empty */
  assert_null(p);
  /* Chunks 3 and 1, nothing in 2: descriptors prepended and left empty. */
  assert_int_equal(pq_chunkq_reserve(&q, 3 * PQ_CHUNK_SIZE + 10, 50), 0);
  assert_int_equal(pq_chunkq_reserve(&q, PQ_CHUNK_SIZE, 20), 0);
  assert_int_equal(q.n, 3);
  assert_int_equal(q.allocated, 2 * PQ_CHUNK_SIZE);
  pq_chunkq_write(&q, 3 * PQ_CHUNK_SIZE + 10, in, 50);
  pq_chunkq_write(&q, PQ_CHUNK_SIZE, in + 50, 20);
  assert_int_equal(pq_chunkq_peek(&q, 2 * PQ_CHUNK_SIZE + 5, &p), 0); /* no memory there */
  assert_int_equal(pq_chunkq_peek(&q, 0, &p), 0);                     /* below the first */
  assert_int_equal(pq_chunkq_peek(&q, 4 * PQ_CHUNK_SIZE, &p), 0);     /* above the last */
  assert_int_equal(pq_chunkq_peek(&q, 3 * PQ_CHUNK_SIZE + 10, &p), PQ_CHUNK_SIZE - 10);
  assert_memory_equal(p, in, 50);
  pq_chunkq_read(&q, PQ_CHUNK_SIZE, out, 20);
  assert_memory_equal(out, in + 50, 20);
  /* Releasing frees whole chunks below the offset, empty ones included. */
  pq_chunkq_release_below(&q, 3 * PQ_CHUNK_SIZE + 11);
  assert_int_equal(q.n, 1);
  assert_int_equal(q.allocated, PQ_CHUNK_SIZE);
  pq_chunkq_release_below(&q, 4 * PQ_CHUNK_SIZE);
  assert_int_equal(q.n, 0);
  assert_int_equal(q.allocated, 0);
  pq_chunkq_free(&q);
}

/* Chunk 0 grows by doubling from 64 bytes and keeps its contents. */
static void test_chunk0_growth(void **state) {
  (void)state;
  pq_chunkq q;
  pq_chunkq_init(&q);
  uint8_t in[3000], out[3000];
  for (int i = 0; i < 3000; i++)
    in[i] = (uint8_t)(i * 7);
  size_t off = 0;
  while (off < sizeof(in)) {
    size_t n = off < 100 ? 10 : 700;
    if (n > sizeof(in) - off)
      n = sizeof(in) - off;
    assert_int_equal(pq_chunkq_reserve(&q, off, n), 0);
    pq_chunkq_write(&q, off, in + off, n);
    off += n;
    assert_true(q.allocated >= off && q.allocated <= 2 * off + 64);
  }
  pq_chunkq_read(&q, 0, out, sizeof(out));
  assert_memory_equal(out, in, sizeof(in));
  /* A failed growth keeps the old memory and contents. */
  pq_alloc_fail_after(0);
  assert_int_equal(pq_chunkq_reserve(&q, 3000, 5000), PQUIC_ERR_NOMEM);
  pq_alloc_fail_after(-1);
  pq_chunkq_read(&q, 0, out, sizeof(out));
  assert_memory_equal(out, in, sizeof(in));
  pq_chunkq_free(&q);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_sparse_and_peek),
      cmocka_unit_test(test_chunk0_growth),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
