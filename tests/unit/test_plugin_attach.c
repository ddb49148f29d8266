/* Loading, caching and attaching a real plugin (org.pquic.example.stats)
 * on connections between two endpoints in memory: the cache returns the
 * same compiled plugin for the same bundle, each connection gets its own
 * region of the manifest's size, observers count exactly what the core
 * counts, and external operations and push_message reach the app. */
#include "pair.h"

#ifdef PQUIC_DIRECT_OPS /* the tests pluglets must act in are left out */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-const-variable"
#endif

#include "../../plugins/stats/stats.h"

#ifndef PQ_PLUGIN_DIR /* set by plugins/CMakeLists.txt */
#define PQ_PLUGIN_DIR "plugins"
#endif
#define STATS_PQP PQ_PLUGIN_DIR "/org.pquic.example.stats.pqp"

static void load_and_cache(void **state) {
  (void)state;
  pair_side a, b;
  pair_side_init(&a, 0, 5000);
  pair_side_init(&b, 0, 5001);
  size_t len;
  uint8_t *data = pair_read(STATS_PQP, &len);
  pquic_plugin *p1, *p2, *p3;
  char err[200];
  assert_int_equal(pquic_plugin_load(a.ep, data, len, &p1, err, sizeof err), 0);
  assert_int_equal(pquic_plugin_load(a.ep, data, len, &p2, err, sizeof err), 0);
  assert_ptr_equal(p1, p2); /* the cache, by hash */
  assert_int_equal(pquic_plugin_load_file(b.ep, STATS_PQP, &p3, err, sizeof err), 0);
  assert_ptr_not_equal(p1, p3); /* per endpoint */
  pquic_plugin_info info;
  pquic_plugin_get_info(p1, &info);
  assert_string_equal(info.name, "org.pquic.example.stats");
  assert_int_equal(info.memory, 16 * 1024);
  assert_int_equal(info.n_pluglets, 6);
  assert_int_equal(info.n_objects, 1);
  assert_false(info.native);
  assert_true(info.instructions > 10);
#if defined(__x86_64__)
  assert_true(info.jit);
#endif
  pquic_plugin_info vinfo;
  assert_int_equal(pquic_plugin_verify(data, len, &vinfo, err, sizeof err), 0);
  assert_memory_equal(vinfo.hash, info.hash, 32);
  assert_string_equal(vinfo.name, info.name);
  /* A damaged bundle is refused with a reason. */
  data[len / 2] ^= 0x10;
  assert_int_equal(pquic_plugin_load(a.ep, data, len, &p2, err, sizeof err), PQUIC_ERR_BUNDLE);
  assert_true(strlen(err) > 0);
  assert_int_equal(pquic_plugin_load_file(a.ep, "/nonexistent.pqp", &p2, err, sizeof err),
                   PQUIC_ERR_IO);
  free(data);
  pair_free(&a);
  pair_free(&b);
}

static void get_counters(pquic_cnx *cnx, stats_counters *sc) {
  uint64_t out[STATS_COUNTERS] = {0}, ret = 1;
  assert_int_equal(pquic_plugin_call(cnx, "stats_get", NULL, 0, out, STATS_COUNTERS, &ret), 0);
  assert_int_equal(ret, 0);
  memcpy(sc, out, sizeof *sc);
}

static void counts_what_the_core_counts(void **state) {
  (void)state;
  pair_side c, s;
  pair_side_init(&c, 0, 5000);
  pair_side_init(&s, 1, 4433);
  pquic_plugin *pc, *ps;
  char err[200];
  assert_int_equal(pquic_plugin_load_file(c.ep, STATS_PQP, &pc, err, sizeof err), 0);
  assert_int_equal(pquic_plugin_load_file(s.ep, STATS_PQP, &ps, err, sizeof err), 0);
  /* Server: every new connection; client: this connection. */
  assert_int_equal(pquic_plugin_inject(s.ep, ps), 0);
  assert_int_equal(pquic_plugin_inject(s.ep, ps), PQUIC_ERR_EXISTS);
  uint64_t now = 1000000;
  pair_connect(&c, &s, now);
  assert_int_equal(pquic_plugin_attach(c.cnx, pc, err, sizeof err), 0);
  assert_int_equal(pquic_plugin_attach(c.cnx, pc, err, sizeof err), PQUIC_ERR_EXISTS);
  assert_int_equal(pquic_plugin_attach(c.cnx, ps, err, sizeof err), PQUIC_ERR_INVAL);
  assert_int_equal(pquic_cnx_plugin_memory(c.cnx), 16 * 1024);
  pair_run(&c, &s, &now, pair_handshaken);
  assert_true(s.handshake_done);
  assert_int_equal(pquic_cnx_plugin_memory(s.cnx), 16 * 1024);
  pair_transfer(&c, &s, &now, 300000, NULL);
  assert_int_equal(s.received, 300000);

  pquic_cnx *cnxs[2] = {c.cnx, s.cnx};
  for (int i = 0; i < 2; i++) {
    stats_counters sc;
    pquic_stats st;
    get_counters(cnxs[i], &sc);
    pquic_cnx_get_stats(cnxs[i], &st);
    assert_int_equal(sc.sent_packets, st.packets_sent);
    assert_int_equal(sc.sent_bytes, st.bytes_sent);
    assert_int_equal(sc.received_packets, st.packets_received);
    assert_true(sc.received_bytes > 0 && sc.received_bytes < st.bytes_received);
    assert_int_equal(sc.lost_packets, st.packets_lost);
  }
  /* stats_report: one message now, to the callback and as an event. */
  uint64_t ret = 1;
  assert_int_equal(pquic_plugin_call(c.cnx, "stats_report", NULL, 0, NULL, 0, &ret), 0);
  assert_int_equal(c.n_msgs, 1);
  assert_int_equal(c.n_msg_events, 1);
  assert_int_equal(c.msg_len[0], sizeof(stats_counters));
  assert_string_equal(c.msg_plugin, "org.pquic.example.stats");
  /* An external operation is for the application only, and by name. */
  assert_int_equal(pquic_op_run(c.cnx, "stats_get", 0, NULL, 0, NULL, 0, &ret), PQUIC_ERR_INVAL);
  assert_int_equal(pquic_plugin_call(c.cnx, "no_such_op", NULL, 0, NULL, 0, &ret),
                   PQUIC_ERR_OP_UNKNOWN);

  /* Closing pushes the final counters on both sides. */
  assert_int_equal(pquic_cnx_close(c.cnx, 0, "done", now), 0);
  pair_run(&c, &s, &now, pair_closed);
  assert_true(c.closed && s.closed);
  assert_int_equal(c.n_msgs, 2);
  assert_int_equal(s.n_msgs, 1);
  stats_counters last;
  memcpy(&last, c.msgs[1], sizeof last);
  assert_int_equal(last.reports, 1);
  assert_true(last.sent_packets > 100);
  assert_int_equal(c.op_fault, 0);
  assert_int_equal(s.op_fault, 0);
  pair_free(&c);
  pair_free(&s);
}

static void detach_and_reattach(void **state) {
  (void)state;
  pair_side c, s;
  pair_side_init(&c, 0, 5000);
  pair_side_init(&s, 1, 4433);
  pquic_plugin *p;
  char err[200];
  assert_int_equal(pquic_plugin_load_file(c.ep, STATS_PQP, &p, err, sizeof err), 0);
  uint64_t now = 1000000;
  pair_connect(&c, &s, now);
  assert_int_equal(pquic_plugin_attach(c.cnx, p, err, sizeof err), 0);
  pair_run(&c, &s, &now, pair_handshaken);
  stats_counters sc;
  get_counters(c.cnx, &sc);
  assert_true(sc.sent_packets > 0);
  assert_int_equal(pquic_plugin_detach(c.cnx, "org.pquic.example.stats"), 0);
  assert_int_equal(pquic_plugin_detach(c.cnx, "org.pquic.example.stats"), PQUIC_ERR_NOT_FOUND);
  assert_int_equal(pquic_cnx_plugin_memory(c.cnx), 0);
  uint64_t ret;
  assert_int_equal(pquic_plugin_call(c.cnx, "stats_get", NULL, 0, NULL, 0, &ret), PQUIC_ERR_INVAL);
  /* A fresh instance: counters start again from zero. */
  assert_int_equal(pquic_plugin_attach(c.cnx, p, err, sizeof err), 0);
  get_counters(c.cnx, &sc);
  assert_int_equal(sc.sent_packets, 0);
  pair_transfer(&c, &s, &now, 50000, NULL);
  get_counters(c.cnx, &sc);
  assert_true(sc.sent_packets > 10);
  pair_free(&c);
  pair_free(&s);
}

int main(void) {
  /* With -DPQUIC_DIRECT_OPS=ON the core calls its operations directly, so
   * pluglets never run: only what goes through the dispatcher by name
   * (external operations) or needs no connection is tested there. */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(load_and_cache),
#ifndef PQUIC_DIRECT_OPS
      cmocka_unit_test(counts_what_the_core_counts),
      cmocka_unit_test(detach_and_reattach),
#endif
  };
  return cmocka_run_group_tests(tests, pair_setup, pair_teardown);
}
