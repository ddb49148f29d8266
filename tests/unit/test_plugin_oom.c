/* Allocation failures anywhere in loading, attaching, running and
 * detaching a plugin: every call fails cleanly or succeeds, nothing
 * leaks (the sanitizer build checks), and once memory is back the same
 * endpoint loads and attaches normally. */
#include "pair.h"

#include "common/alloc.h"

#ifndef PQ_PLUGIN_DIR /* set by plugins/CMakeLists.txt */
#define PQ_PLUGIN_DIR "plugins"
#endif

static void load_attach_under_oom(void **state) {
  (void)state;
  size_t len;
  uint8_t *bundle = pair_read(PQ_PLUGIN_DIR "/org.pquic.example.ping-frame.pqp", &len);
  int ok_runs = 0;
  for (long n = 0; n < 400; n++) {
    pair_side c, s;
    pair_side_init(&c, 0, 5000);
    pair_side_init(&s, 1, 4433);
    uint64_t now = 1000000;
    pair_connect(&c, &s, now);
    pquic_plugin *p = NULL;
    char err[200];
    pq_alloc_fail_after(n);
    int rc = pquic_plugin_load(c.ep, bundle, len, &p, err, sizeof err);
    if (rc == 0)
      rc = pquic_plugin_attach(c.cnx, p, err, sizeof err);
    uint64_t ret;
    if (rc == 0)
      (void)pquic_plugin_call(c.cnx, "ping", NULL, 0, NULL, 0, &ret);
    long used = pq_alloc_count();
    pq_alloc_fail_after(-1);
    assert_true(rc == 0 || rc == PQUIC_ERR_NOMEM);
    if (rc == 0)
      ok_runs++;
    /* Memory is back: the endpoint works. */
    rc = pquic_plugin_load(c.ep, bundle, len, &p, err, sizeof err);
    assert_int_equal(rc, 0);
    rc = pquic_plugin_attach(c.cnx, p, err, sizeof err);
    assert_true(rc == 0 || rc == PQUIC_ERR_EXISTS);
    pair_free(&c);
    pair_free(&s);
    if (ok_runs >= 3 && used < n)
      break; /* n beyond what a load and attach allocate: all covered */
  }
  assert_true(ok_runs >= 3);
  free(bundle);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(load_attach_under_oom)};
  return cmocka_run_group_tests(tests, pair_setup, pair_teardown);
}
