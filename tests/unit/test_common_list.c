/* Intrusive list: order, removal during safe iteration, splice, entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/list.h"

typedef struct item {
  int id;
  pq_list node;
} item;

static void expect_ids(pq_list *h, const int *ids, size_t n) {
  assert_int_equal(pq_list_count(h), n);
  size_t i = 0;
  pq_list *pos;
  PQ_LIST_FOREACH(pos, h) {
    assert_int_equal(PQ_LIST_ENTRY(pos, item, node)->id, ids[i]);
    i++;
  }
  PQ_LIST_FOREACH_REVERSE(pos, h) {
    i--;
    assert_int_equal(PQ_LIST_ENTRY(pos, item, node)->id, ids[i]);
  }
  assert_int_equal(i, 0);
}

static void test_basic_order(void **state) {
  (void)state;
  item it[6];
  pq_list h;
  pq_list_init(&h);
  assert_true(pq_list_empty(&h));
  assert_null(pq_list_first(&h));
  assert_null(pq_list_last(&h));
  assert_null(pq_list_pop_front(&h));
  for (int i = 0; i < 6; i++) {
    it[i].id = i;
    pq_list_init(&it[i].node);
    assert_false(pq_list_linked(&it[i].node));
  }
  pq_list_push_back(&h, &it[1].node);
  pq_list_push_back(&h, &it[2].node);
  pq_list_push_front(&h, &it[0].node);
  pq_list_insert_after(&it[2].node, &it[4].node);
  pq_list_insert_before(&it[4].node, &it[3].node);
  expect_ids(&h, (const int[]){0, 1, 2, 3, 4}, 5);
  assert_true(pq_list_linked(&it[3].node));
  assert_ptr_equal(pq_list_first(&h), &it[0].node);
  assert_ptr_equal(pq_list_last(&h), &it[4].node);
  pq_list_remove(&it[2].node);
  assert_false(pq_list_linked(&it[2].node));
  pq_list_remove(&it[2].node); /* twice is harmless */
  expect_ids(&h, (const int[]){0, 1, 3, 4}, 4);
  pq_list_move_back(&h, &it[0].node);
  expect_ids(&h, (const int[]){1, 3, 4, 0}, 4);
  assert_ptr_equal(pq_list_pop_front(&h), &it[1].node);
  expect_ids(&h, (const int[]){3, 4, 0}, 3);
  /* A zeroed node counts as unlinked. */
  item z = {0};
  assert_false(pq_list_linked(&z.node));
}

static void test_safe_iteration(void **state) {
  (void)state;
  item it[10];
  pq_list h;
  pq_list_init(&h);
  for (int i = 0; i < 10; i++) {
    it[i].id = i;
    pq_list_push_back(&h, &it[i].node);
  }
  pq_list *pos, *tmp;
  int visited = 0;
  PQ_LIST_FOREACH_SAFE(pos, tmp, &h) {
    visited++;
    if (PQ_LIST_ENTRY(pos, item, node)->id % 2 == 0)
      pq_list_remove(pos);
  }
  assert_int_equal(visited, 10);
  expect_ids(&h, (const int[]){1, 3, 5, 7, 9}, 5);
  visited = 0;
  PQ_LIST_FOREACH_REVERSE_SAFE(pos, tmp, &h) {
    visited++;
    if (PQ_LIST_ENTRY(pos, item, node)->id > 4)
      pq_list_remove(pos);
  }
  assert_int_equal(visited, 5);
  expect_ids(&h, (const int[]){1, 3}, 2);
  PQ_LIST_FOREACH_SAFE(pos, tmp, &h) {
    pq_list_remove(pos);
  }
  assert_true(pq_list_empty(&h));
}

static void test_splice(void **state) {
  (void)state;
  item it[5];
  pq_list a, b;
  pq_list_init(&a);
  pq_list_init(&b);
  for (int i = 0; i < 5; i++) {
    it[i].id = i;
    pq_list_push_back(i < 2 ? &a : &b, &it[i].node);
  }
  pq_list_splice_back(&a, &b);
  assert_true(pq_list_empty(&b));
  expect_ids(&a, (const int[]){0, 1, 2, 3, 4}, 5);
  pq_list_splice_back(&a, &b); /* empty source */
  expect_ids(&a, (const int[]){0, 1, 2, 3, 4}, 5);
  pq_list_splice_back(&b, &a); /* into an empty list */
  assert_true(pq_list_empty(&a));
  expect_ids(&b, (const int[]){0, 1, 2, 3, 4}, 5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic_order),
      cmocka_unit_test(test_safe_iteration),
      cmocka_unit_test(test_splice),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
