/* The plugin runtime on real connections, with the pluglets of
 * tests/plugins/fixture.c under manifests written here: helpers, memory,
 * instances, replace conflicts (all or nothing), run_protoop's checks,
 * load errors, and every kind of fault closing only its connection with
 * the fault named. */
#include "pair.h"

#ifdef PQUIC_DIRECT_OPS /* the tests pluglets must act in are left out */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-const-variable"
#endif

#include "common/alloc.h"
#include "conn/cnx.h"
#include "plugin/bundle.h"
#include "pquic_plugin.h"

#ifndef PQ_FIXTURE_DIR /* set by plugins/CMakeLists.txt */
#define PQ_FIXTURE_DIR "tests/plugins"
#endif

static uint8_t *fixture, *bad_helper;
static size_t fixture_len, bad_helper_len;

static int setup(void **state) {
  fixture = pair_read(PQ_FIXTURE_DIR "/fixture.o", &fixture_len);
  bad_helper = pair_read(PQ_FIXTURE_DIR "/bad_helper.o", &bad_helper_len);
  return pair_setup(state);
}

static int teardown(void **state) {
  free(fixture);
  free(bad_helper);
  return pair_teardown(state);
}

/* Builds a bundle of `manifest` around the fixture objects it names and
 * loads it; returns the load's code (err filled). */
static int load(pquic_endpoint *ep, const char *manifest, pquic_plugin **out, char *err) {
  pq_bundle_object objs[2];
  size_t n = 0;
  if (strstr(manifest, "fixture.o"))
    objs[n++] = (pq_bundle_object){"fixture.o", fixture, fixture_len};
  if (strstr(manifest, "bad_helper.o"))
    objs[n++] = (pq_bundle_object){"bad_helper.o", bad_helper, bad_helper_len};
  uint8_t *b;
  size_t len;
  int rc = pq_bundle_build(manifest, strlen(manifest), objs, n, &b, &len, err, 200);
  if (rc)
    fail_msg("bundle: %s", err);
  rc = pquic_plugin_load(ep, b, len, out, err, 200);
  pq_free(b);
  return rc;
}

static pquic_plugin *must_load(pquic_endpoint *ep, const char *manifest) {
  pquic_plugin *p;
  char err[200];
  int rc = load(ep, manifest, &p, err);
  if (rc)
    fail_msg("load: %s (%s)", err, pquic_errname(rc));
  return p;
}

static void must_attach(pquic_cnx *cnx, pquic_plugin *p) {
  char err[200];
  int rc = pquic_plugin_attach(cnx, p, err, sizeof err);
  if (rc)
    fail_msg("attach: %s (%s)", err, pquic_errname(rc));
}

static uint64_t call(pquic_cnx *cnx, const char *op, const uint64_t *in, unsigned n_in,
                     uint64_t *out, unsigned n_out) {
  uint64_t ret = 0;
  int rc = pquic_plugin_call(cnx, op, in, n_in, out, n_out, &ret);
  if (rc)
    fail_msg("%s: %s", op, pquic_errname(rc));
  return ret;
}

static const char helpers_manifest[] = "plugin org.test.helpers\n"
                                       "packet_sent post fixture.o count\n"
                                       "packet_received pre fixture.o count\n"
                                       "fx_counts external fixture.o get_counts\n"
                                       "fx_fields external fixture.o fields\n"
                                       "fx_heap external fixture.o heap_ops\n"
                                       "fx_bump external fixture.o bump\n"
                                       "fx_core external fixture.o call_core\n"
                                       "fx_cids external fixture.o cids\n";

static void helpers(void **state) {
  (void)state;
  pair_side c, s;
  pair_side_init(&c, 0, 5000);
  pair_side_init(&s, 1, 4433);
  pquic_plugin *p = must_load(c.ep, helpers_manifest);
  uint64_t now = 1000000;
  pair_connect(&c, &s, now);
  must_attach(c.cnx, p);
  pair_run(&c, &s, &now, pair_handshaken);
  assert_true(c.handshake_done);

  uint64_t out[8] = {0};
  assert_int_equal(call(c.cnx, "fx_fields", NULL, 0, out, 6), 0);
  pquic_stats st;
  pquic_cnx_get_stats(c.cnx, &st);
  assert_int_equal(out[0], 0); /* client */
  assert_int_equal(out[1], 1); /* one path */
  assert_int_equal(out[2], st.cwnd);
  assert_int_equal(out[3], st.rtt_smoothed_us);
  assert_int_equal(out[4], st.packets_sent);
  assert_int_equal(out[5], 1);

  assert_int_equal(call(c.cnx, "fx_heap", NULL, 0, NULL, 0), 0x3f);

  assert_int_equal(call(c.cnx, "fx_bump", NULL, 0, out, 2), 0);
  assert_int_equal(out[0], 1);
  assert_int_equal(out[1], 'f'); /* .rodata: "hello from..."[6] */
  assert_int_equal(call(c.cnx, "fx_bump", NULL, 0, out, 2), 0);
  assert_int_equal(out[0], 2);

  memset(out, 0, sizeof out);
  assert_int_equal(call(c.cnx, "fx_core", NULL, 0, out, 3), 0);
  assert_true(out[0] > 0 && out[0] <= st.cwnd); /* cc_available */
  assert_int_equal((int64_t)out[1], PQUIC_ERR_UNSUPPORTED);
  assert_int_equal((int64_t)out[2], PQUIC_ERR_OP_UNKNOWN);

  /* Connection IDs: the client's own, the server's, the first DCID. */
  assert_int_equal(call(c.cnx, "fx_cids", NULL, 0, out, 8), 0);
  const pq_cid *want[3] = {&c.cnx->initial_scid, &s.cnx->initial_scid, &c.cnx->odcid};
  for (int w = 0; w < 3; w++) {
    uint64_t first = 0;
    for (int i = 0; i < 8; i++)
      first = first << 8 | (i < want[w]->len ? want[w]->id[i] : 0);
    assert_true(want[w]->len >= 8);
    assert_int_equal(out[2 * w], want[w]->len);
    assert_int_equal(out[2 * w + 1], first);
  }
  assert_int_equal((int64_t)out[6], PQUIC_ERR_INVAL);
  assert_int_equal((int64_t)out[7], PQUIC_ERR_INVAL);
  /* The server's view: the client's initial SCID is its peer's. */
  assert_memory_equal(s.cnx->peer_initial_scid.id, c.cnx->initial_scid.id, c.cnx->initial_scid.len);
  assert_int_equal(s.cnx->peer_initial_scid.len, c.cnx->initial_scid.len);

  assert_int_equal(call(c.cnx, "fx_counts", NULL, 0, out, 5), 0);
  assert_int_equal(out[PQUIC_ANCHOR_REPLACE], 0);
  assert_true(out[PQUIC_ANCHOR_PRE] >= 1);  /* packets received */
  assert_true(out[PQUIC_ANCHOR_POST] >= 2); /* packets sent */
  assert_int_equal(c.op_fault, 0);
  pair_free(&c);
  pair_free(&s);
}

/* Two connections of one endpoint: one cached plugin, two regions whose
 * globals do not mix. */
static void instances_are_separate(void **state) {
  (void)state;
  pair_side c, s;
  pair_side_init(&c, 0, 5000);
  pair_side_init(&s, 1, 4433);
  pquic_plugin *p = must_load(c.ep, helpers_manifest);
  assert_ptr_equal(must_load(c.ep, helpers_manifest), p);
  uint64_t now = 1000000;
  pquic_cnx *x, *y;
  assert_int_equal(pquic_connect(c.ep, (struct sockaddr *)&c.addr, (struct sockaddr *)&s.addr,
                                 "localhost", now, &x),
                   0);
  assert_int_equal(pquic_connect(c.ep, (struct sockaddr *)&c.addr, (struct sockaddr *)&s.addr,
                                 "localhost", now, &y),
                   0);
  must_attach(x, p);
  must_attach(y, p);
  uint64_t out[2];
  for (int i = 0; i < 3; i++)
    (void)call(x, "fx_bump", NULL, 0, out, 2);
  assert_int_equal(out[0], 3);
  (void)call(y, "fx_bump", NULL, 0, out, 2);
  assert_int_equal(out[0], 1);
  assert_int_equal(pquic_cnx_plugin_memory(x), 64 * 1024); /* the default size */
  assert_int_equal(pquic_cnx_plugin_memory(y), 64 * 1024);
  pair_free(&c);
  pair_free(&s);
}

static void replace_and_conflicts(void **state) {
  (void)state;
  pair_side c, s;
  pair_side_init(&c, 0, 5000);
  pair_side_init(&s, 1, 4433);
  pquic_plugin *a = must_load(c.ep, "plugin org.test.a\n"
                                    "update_rtt replace fixture.o rtt_fixed\n"
                                    "fx_shared external fixture.o nop\n");
  pquic_plugin *b = must_load(c.ep, "plugin org.test.b\n"
                                    "packet_sent post fixture.o count\n"
                                    "update_rtt replace fixture.o nop\n"
                                    "fx_counts_b external fixture.o get_counts\n");
  pquic_plugin *e = must_load(c.ep, "plugin org.test.e\n"
                                    "fx_shared external fixture.o nop\n");
  uint64_t now = 1000000;
  pair_connect(&c, &s, now);
  must_attach(c.cnx, a);
  char err[200];
  assert_int_equal(pquic_plugin_attach(c.cnx, b, err, sizeof err), PQUIC_ERR_OP_REPLACED);
  assert_non_null(
      strstr(err, "manifest line 3: update_rtt replace: already replaced by org.test.a"));
  assert_int_equal(pquic_plugin_attach(c.cnx, e, err, sizeof err), PQUIC_ERR_OP_REPLACED);
  assert_non_null(strstr(err, "declared external by org.test.a"));
  /* Nothing of b or e stayed: one region, no b operation. */
  assert_int_equal(pquic_cnx_plugin_memory(c.cnx), 64 * 1024);
  uint64_t ret;
  assert_int_equal(pquic_plugin_call(c.cnx, "fx_counts_b", NULL, 0, NULL, 0, &ret),
                   PQUIC_ERR_OP_UNKNOWN);
  pair_run(&c, &s, &now, pair_handshaken);
  pquic_stats st;
  pquic_cnx_get_stats(c.cnx, &st);
  assert_int_equal(st.rtt_smoothed_us, 4242); /* a's replacement took every sample */
  /* Once a is gone, b attaches; the built-in update_rtt is back. */
  assert_int_equal(pquic_plugin_detach(c.cnx, "org.test.a"), 0);
  must_attach(c.cnx, b);
  pair_transfer(&c, &s, &now, 20000, NULL);
  uint64_t out[4];
  assert_int_equal(call(c.cnx, "fx_counts_b", NULL, 0, out, 4), 0);
  assert_true(out[PQUIC_ANCHOR_POST] > 0);
  pquic_cnx_get_stats(c.cnx, &st);
  assert_int_equal(st.rtt_smoothed_us, 4242); /* b's replacement ignores samples */
  pair_free(&c);
  pair_free(&s);
}

static void load_errors(void **state) {
  (void)state;
  pair_side c;
  pair_side_init(&c, 0, 5000);
  static const struct {
    const char *manifest;
    int rc;
    const char *msg;
  } cases[] = {
      {"plugin org.t.x\nfx_op external fixture.o no_such_fn\n", PQUIC_ERR_PLUGIN,
       "manifest line 2: no global function no_such_fn in object fixture.o"},
      {"plugin org.t.x\nupdate_rtt external fixture.o nop\n", PQUIC_ERR_PLUGIN,
       "update_rtt is a built-in operation"},
      {"plugin org.t.x\nprocess_frame replace fixture.o nop\n", PQUIC_ERR_PLUGIN,
       "operation process_frame needs a parameter"},
      {"plugin org.t.x\nupdate_rtt param 3 post fixture.o nop\n", PQUIC_ERR_PLUGIN,
       "operation update_rtt takes no parameter"},
      {"plugin org.t.x\nframe 0x40\nprocess_frame param 0x40 replace fixture.o nop\n",
       PQUIC_ERR_PLUGIN, "frame 0x40: the plugin must replace parse_frame and process_frame"},
      {"plugin org.t.x\nfx_op external bad_helper.o sneaky\n", PQUIC_ERR_ELF, "pl_open_socket"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pquic_plugin *p;
    char err[200] = "";
    int rc = load(c.ep, cases[i].manifest, &p, err);
    if (rc != cases[i].rc || !strstr(err, cases[i].msg))
      fail_msg("case %zu: %s \"%s\", expected %s \"%s\"", i, pquic_errname(rc), err,
               pquic_errname(cases[i].rc), cases[i].msg);
  }
  /* A generic observer of a parameterized operation is fine. */
  (void)must_load(c.ep, "plugin org.t.y\nprocess_frame post fixture.o count\n");
  pair_free(&c);
}

/* ---- faults ---- */

typedef struct fault_case {
  const char *name;
  const char *manifest; /* fx_go is the external to call, if any */
  int err;
  uint32_t deny; /* field to deny, 0 if none */
} fault_case;

static const fault_case faults[] = {
    {"out-of-bounds write", "packet_received post fixture.o oob_write\n", PQUIC_ERR_FAULT, 0},
    {"endless loop", "fx_go external fixture.o endless\n", PQUIC_ERR_BUDGET, 0},
    {"setter in an observer", "packet_received post fixture.o setter\n", PQUIC_ERR_OP_READONLY, 0},
    {"operation loop",
     "fx_go external fixture.o start_loop\nfx_loop_a replace fixture.o loop_a\n"
     "fx_loop_b replace fixture.o loop_b\n",
     PQUIC_ERR_OP_LOOP, 0},
    {"forged handle", "fx_go external fixture.o bad_handle\n", PQUIC_ERR_PLUGIN_HANDLE, 0},
    {"wrong field", "fx_go external fixture.o bad_field\n", PQUIC_ERR_PLUGIN_FIELD, 0},
    {"copy from a handle", "packet_received post fixture.o memcpy_oob\n", PQUIC_ERR_PLUGIN_MEMORY,
     0},
    {"double free", "fx_go external fixture.o double_free\n", PQUIC_ERR_PLUGIN_MEMORY, 0},
    {"observer running the core", "packet_received post fixture.o observer_run\n",
     PQUIC_ERR_OP_READONLY, 0},
    {"forged path to the core", "fx_go external fixture.o forged_path\n", PQUIC_ERR_PLUGIN_HANDLE,
     0},
    {"denied field", "fx_go external fixture.o read_spin\n", PQUIC_ERR_FIELD_DENIED, PQF_PATH_SPIN},
    {"connection ID into read-only memory", "packet_received post fixture.o cid_readonly\n",
     PQUIC_ERR_PLUGIN_MEMORY, 0},
};

static void one_fault(const fault_case *fc) {
  pair_side c, s;
  pair_side_init(&c, 0, 5000);
  pair_side_init(&s, 1, 4433);
  char manifest[512];
  snprintf(manifest, sizeof manifest, "plugin org.test.hostile\n%s", fc->manifest);
  pquic_plugin *p = must_load(c.ep, manifest);
  if (fc->deny)
    assert_int_equal(pquic_plugin_deny_field(p, fc->deny), 0);
  uint64_t now = 1000000;
  pair_connect(&c, &s, now);
  must_attach(c.cnx, p);
  pair_run(&c, &s, &now, pair_handshaken);
  if (strstr(fc->manifest, "fx_go")) {
    assert_true(c.handshake_done);
    assert_int_equal(c.op_fault, 0);
    uint64_t ret;
    int rc = pquic_plugin_call(c.cnx, "fx_go", NULL, 0, NULL, 0, &ret);
    if (rc != fc->err)
      fail_msg("%s: call returned %s", fc->name, pquic_errname(rc));
  }
  pair_run(&c, &s, &now, pair_closed);
  if (c.op_fault != 1 || c.fault_err != fc->err)
    fail_msg("%s: %d faults, err %s (expected %s)", fc->name, c.op_fault,
             pquic_errname(c.fault_err), pquic_errname(fc->err));
  if (!strstr(c.fault_reason, "plugin org.test.hostile (manifest line "))
    fail_msg("%s: reason \"%s\"", fc->name, c.fault_reason);
  assert_true(c.closed);
  assert_int_equal(c.close_err, fc->err);
  assert_true(s.closed);
  assert_int_equal(s.close_code, PQUIC_WIRE_INTERNAL_ERROR); /* the peer sees a clean close */
  assert_int_equal(s.op_fault, 0);
  pair_free(&c);
  pair_free(&s);
}

static void faults_close_the_connection(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
    one_fault(&faults[i]);
}

/* A server plugin faulting on the client's very first packet: the server
 * answers with CONNECTION_CLOSE in an Initial packet, so the client learns
 * why at once (and closes after its draining period) instead of timing
 * out. */
static void fault_during_handshake(void **state) {
  (void)state;
  pair_side c, s;
  pair_side_init(&c, 0, 5000);
  pair_side_init(&s, 1, 4433);
  pquic_plugin *p = must_load(s.ep, "plugin org.test.hostile\n"
                                    "packet_received post fixture.o endless\n");
  assert_int_equal(pquic_plugin_inject(s.ep, p), 0);
  uint64_t now = 1000000;
  pair_connect(&c, &s, now);
  pair_run(&c, &s, &now, pair_client_closing);
  assert_int_equal(s.op_fault, 1);
  assert_int_equal(s.fault_err, PQUIC_ERR_BUDGET);
  assert_true(c.closing);
  assert_int_equal(c.closing_code, PQUIC_WIRE_INTERNAL_ERROR);
  assert_int_equal(now, 1000000); /* in the server's first answer */
  pair_run(&c, &s, &now, pair_closed);
  assert_true(c.closed && s.closed);
  pair_free(&c);
  pair_free(&s);
}

/* The same pluglets where they are allowed do no harm. */
static void allowed_where_allowed(void **state) {
  (void)state;
  pair_side c, s;
  pair_side_init(&c, 0, 5000);
  pair_side_init(&s, 1, 4433);
  pquic_plugin *p = must_load(c.ep, "plugin org.test.fine\n"
                                    "fx_set external fixture.o setter\n"
                                    "fx_spin external fixture.o read_spin\n");
  uint64_t now = 1000000;
  pair_connect(&c, &s, now);
  must_attach(c.cnx, p);
  pair_run(&c, &s, &now, pair_handshaken);
  assert_int_equal(call(c.cnx, "fx_set", NULL, 0, NULL, 0), 7);
  assert_true(call(c.cnx, "fx_spin", NULL, 0, NULL, 0) <= 1);
  assert_int_equal(c.op_fault, 0);
  assert_int_equal(pquic_plugin_deny_field(p, 0x01ff), PQUIC_ERR_INVAL);
  pair_free(&c);
  pair_free(&s);
}

int main(void) {
  /* With -DPQUIC_DIRECT_OPS=ON the core calls its operations directly, so
   * pluglets never run: only what goes through the dispatcher by name
   * (external operations) or needs no connection is tested there. */
  const struct CMUnitTest tests[] = {
#ifndef PQUIC_DIRECT_OPS
      cmocka_unit_test(helpers),
      cmocka_unit_test(replace_and_conflicts),
      cmocka_unit_test(faults_close_the_connection),
      cmocka_unit_test(fault_during_handshake),
#endif
      cmocka_unit_test(instances_are_separate),
      cmocka_unit_test(load_errors),
      cmocka_unit_test(allowed_where_allowed),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
