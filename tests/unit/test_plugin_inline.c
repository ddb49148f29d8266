/* pl_get_cnx and pl_get_path read inline by JIT code
 * (plugin/fields_inline.c over pre/jit_inline.c), on a live connection
 * whose fields all hold distinct values: for every connection field and
 * every path field of two paths, JIT code (inlined where the field is a
 * plain member), the interpreter, a non-constant field id (a call) and the
 * native API agree; a denied field or a bad path handle faults the same
 * inlined or not, and a field reads again once allowed; pluglets of a
 * real bundle read inline and fault with the same message as in the
 * interpreter. */
#include "pair.h"
#include "pre_test.h"

#include "common/alloc.h"
#include "plugin/bundle.h"
#include "plugin/helpers.h"
#include "pquic_plugin.h"

#ifndef PQ_FIXTURE_DIR /* set by plugins/CMakeLists.txt */
#define PQ_FIXTURE_DIR "tests/plugins"
#endif

/* Every field id of object `obj` in the list, in order. */
static size_t all_fields(unsigned obj, uint32_t *out) {
  size_t n = 0;
#define PQ_FIELD(o, name, id, access, type, doc)                                                   \
  if ((id) >> 8 == obj)                                                                            \
    out[n++] = (id);
#include "pquic_fields.def"
#undef PQ_FIELD
  return n;
}

static size_t all_cnx_fields(uint32_t *out) {
  return all_fields(PQ_OBJ_CNX, out);
}

/* The value C reads for field f, *plain set when it is a plain member. */
static uint64_t c_value(pq_cnx *c, uint32_t f, int *plain) {
  *plain = 1;
  switch (f) {
#define X(NAME, member)                                                                            \
  case PQF_CNX_##NAME:                                                                             \
    return (uint64_t)c->member;
    PQ_PL_CNX_MEMBERS(X)
#undef X
  case PQF_CNX_ACTIVE_PATH:
    *plain = 0;
    return (uint64_t)(uintptr_t)&c->paths[c->active_path];
  case PQF_CNX_EARLY_DATA:
    *plain = 0;
    return (uint64_t)pq_session_early_state(c);
  default:
    fail_msg("connection field %#x is neither a member nor a known computed one", f);
    return 0;
  }
}

/* The value C reads for path field f of p, *plain set when it is a plain
 * member. */
static uint64_t c_path_value(const pq_path *p, uint32_t f, int *plain) {
  *plain = 1;
  switch (f) {
#define X(NAME, member)                                                                            \
  case PQF_PATH_##NAME:                                                                            \
    return (uint64_t)p->member;
    PQ_PL_PATH_MEMBERS(X)
#undef X
  default:
    *plain = 0;
    assert_int_equal(f, PQF_PATH_REMOTE_PORT); /* the only computed one */
    return remote_port(p);
  }
}

/* Distinct values in every plain member of the connection and its first
 * two paths (n_paths set to 2), the sign bit of its width set in every
 * other one. */
static void scramble(pq_cnx *c) {
  uint64_t i = 0;
#define X(NAME, member)                                                                            \
  i++;                                                                                             \
  c->member =                                                                                      \
      (__typeof__(c->member))(0x9e3779b97f4a7c15ull * i ^ (i & 1 ? 0x8080808080808080ull : 0));
  PQ_PL_CNX_MEMBERS(X)
#undef X
  c->n_paths = 2;
  for (int k = 0; k < 2; k++) {
#define X(NAME, member)                                                                            \
  i++;                                                                                             \
  c->paths[k].member = (__typeof__(c->paths[k].member))(0x9e3779b97f4a7c15ull * i ^                \
                                                        (i & 1 ? 0x8080808080808080ull : 0));
    PQ_PL_PATH_MEMBERS(X)
#undef X
  }
}

static struct pquic_plugin plug; /* only its deny bitmap is used */
static uint8_t region[PQ_BPF_MAX_FRAMES * PQ_BPF_STACK_FRAME] __attribute__((aligned(16)));

static pq_bpf_prog *load_raw(const pq_bpf_insn *ins, size_t n) {
  uint8_t bytes[64];
  assert_true(n * 8 <= sizeof bytes);
  for (size_t i = 0; i < n; i++)
    pq_bpf_encode(&ins[i], bytes + 8 * i);
  pq_bpf_helpers *h = pq_bpf_helpers_new();
  assert_non_null(h);
  assert_int_equal(pq_pl_helpers_register(h), 0);
  pq_bpf_diag d = {-1, ""};
  pq_bpf_load_opts o = {.helpers = h, .flags = PQ_BPF_LOAD_JIT, .diag = &d, .inline_user = &plug};
  pq_bpf_prog *p = NULL;
  if (pq_bpf_load_raw(bytes, n * 8, &o, &p))
    fail_msg("load: %s", d.msg);
  pq_bpf_helpers_del(h);
  assert_true(pq_bpf_prog_has_jit(p));
  return p;
}

typedef struct res {
  int rc, fault; /* pq_bpf_run's code, the plugin fault */
  uint64_t r0;
  pq_bpf_fault f;
} res;

/* One run as the plugin layer makes it: the run on cnx is the helpers'
 * environment (env.user and pq_pl_cur). */
static res run(const pq_bpf_prog *p, pq_cnx *cnx, int engine, uint64_t r1) {
  pq_pl_run r;
  memset(&r, 0, sizeof r);
  r.cnx = cnx;
  r.deny = plug.deny;
  pq_bpf_instance inst = {region, sizeof region, 0, sizeof region};
  pq_bpf_run_args a = {.budget = 1000, .user = &r, .engine = engine};
  a.args[0] = r1;
  res o;
  memset(&o, 0, sizeof o);
  pq_pl_cur = &r;
  o.rc = pq_bpf_run(p, 0, &inst, &a, &o.r0, &o.f);
  pq_pl_cur = NULL;
  o.fault = r.fault;
  return o;
}

/* The native API on the same connection: pl_get_cnx(f), or
 * pl_get_path(h, f) for a path field. */
static res native(pq_cnx *cnx, uint32_t f, uint64_t h) {
  pq_pl_run r;
  memset(&r, 0, sizeof r);
  r.cnx = cnx;
  r.deny = plug.deny;
  res o;
  memset(&o, 0, sizeof o);
  pq_pl_cur = &r;
  o.r0 = f >> 8 == PQ_OBJ_PATH ? pl_get_path(h, f) : pl_get_cnx(f);
  pq_pl_cur = NULL;
  o.fault = r.fault;
  return o;
}

static void same(const res *a, const res *b, const char *what, uint32_t f) {
  if (a->rc != b->rc || a->r0 != b->r0 || a->fault != b->fault || a->f.err != b->f.err ||
      a->f.insn != b->f.insn || a->f.addr != b->f.addr || a->f.helper != b->f.helper)
    fail_msg("field 0x%x, %s: rc %d/%d r0 0x%llx/0x%llx fault %d/%d insn %u/%u", f, what, a->rc,
             b->rc, (unsigned long long)a->r0, (unsigned long long)b->r0, a->fault, b->fault,
             a->f.insn, b->f.insn);
}

/* A live connection: handshaken, then every plain field scrambled (and
 * restored before the connection goes). */
static void with_cnx(void (*body)(pq_cnx *)) {
  pair_side c, s;
  pair_side_init(&c, 0, 5000);
  pair_side_init(&s, 1, 4433);
  uint64_t now = 1000000;
  pair_connect(&c, &s, now);
  pair_run(&c, &s, &now, pair_handshaken);
  assert_true(c.handshake_done);
  pq_cnx *cnx = c.cnx;
  pq_cnx *saved = malloc(sizeof *cnx);
  assert_non_null(saved);
  memcpy(saved, cnx, sizeof *cnx);
  scramble(cnx);
  body(cnx);
  memcpy(cnx, saved, sizeof *cnx);
  free(saved);
  pair_free(&c);
  pair_free(&s);
}

static void every_field_body(pq_cnx *cnx) {
  uint32_t f[64];
  size_t n = all_cnx_fields(f);
  uint64_t seen[64];
  const pq_bpf_insn byvar[] = {CALL_HELPER(PQ_PL_HELPER_GET_CNX), EXIT()};
  pq_bpf_prog *pv = load_raw(byvar, 2);
  assert_int_equal(pq_bpf_prog_helpers_inlined(pv), 0); /* r1 is not known */
  for (size_t i = 0; i < n; i++) {
    int plain;
    uint64_t want = c_value(cnx, f[i], &plain);
    for (size_t k = 0; k < i; k++)
      if (seen[k] == want)
        fail_msg("fields 0x%x and 0x%x both hold 0x%llx", f[k], f[i], (unsigned long long)want);
    seen[i] = want;
    pq_bpf_inline rec;
    uint64_t args[2] = {f[i], 0};
    assert_int_equal(pq_pl_inline_get_cnx(&plug, args, 1, &rec), plain);
    const pq_bpf_insn byconst[] = {MOV64_IMM(1, (int32_t)f[i]), CALL_HELPER(PQ_PL_HELPER_GET_CNX),
                                   EXIT()};
    pq_bpf_prog *pc = load_raw(byconst, 3);
    assert_int_equal(pq_bpf_prog_helpers_inlined(pc), (size_t)plain);
    res jit = run(pc, cnx, PQ_BPF_ENGINE_JIT, 0), interp = run(pc, cnx, PQ_BPF_ENGINE_INTERP, 0);
    res call = run(pv, cnx, PQ_BPF_ENGINE_JIT, f[i]), nat = native(cnx, f[i], 0);
    same(&jit, &interp, "JIT / interpreter", f[i]);
    same(&jit, &call, "constant / variable id", f[i]);
    assert_int_equal(nat.fault, 0);
    if (jit.rc || jit.r0 != want || nat.r0 != want)
      fail_msg("field 0x%x: JIT %d 0x%llx, native 0x%llx, C 0x%llx", f[i], jit.rc,
               (unsigned long long)jit.r0, (unsigned long long)nat.r0, (unsigned long long)want);
    pq_bpf_prog_del(pc);
  }
  pq_bpf_prog_del(pv);
}

static void every_field(void **state) {
  (void)state;
  with_cnx(every_field_body);
}

static void denied_body(pq_cnx *cnx) {
  uint32_t f[64];
  size_t n = all_cnx_fields(f);
  for (size_t i = 0; i < n; i++) {
    int plain;
    uint64_t want = c_value(cnx, f[i], &plain);
    const pq_bpf_insn prog[] = {MOV64_IMM(0, 5), MOV64_IMM(1, (int32_t)f[i]),
                                CALL_HELPER(PQ_PL_HELPER_GET_CNX), EXIT()};
    pq_bpf_prog *p = load_raw(prog, 4);
    assert_int_equal(pq_bpf_prog_helpers_inlined(p), (size_t)plain);
    assert_int_equal(pquic_plugin_deny_field(&plug, f[i]), 0);
    res jit = run(p, cnx, PQ_BPF_ENGINE_JIT, 0), interp = run(p, cnx, PQ_BPF_ENGINE_INTERP, 0);
    same(&jit, &interp, "denied", f[i]);
    assert_int_equal(jit.rc, PQUIC_ERR_HELPER);
    assert_int_equal(jit.fault, PQUIC_ERR_FIELD_DENIED);
    assert_int_equal(jit.f.insn, 2);
    assert_int_equal(jit.f.helper, PQ_PL_HELPER_GET_CNX);
    assert_int_equal(jit.f.addr, f[i]);
    res nat = native(cnx, f[i], 0);
    assert_int_equal(nat.fault, PQUIC_ERR_FIELD_DENIED);
    assert_int_equal(nat.r0, 0);
    /* allowed again: the same code reads inline */
    memset(plug.deny, 0, sizeof plug.deny);
    jit = run(p, cnx, PQ_BPF_ENGINE_JIT, 0);
    assert_int_equal(jit.rc, 0);
    assert_int_equal(jit.r0, want);
    /* the neighbouring fields' bits do not deny this one */
    if (f[i] > PQF_CNX_IS_SERVER)
      assert_int_equal(pquic_plugin_deny_field(&plug, f[i] - 1), 0);
    if (f[i] + 1 <= PQF_CNX_PACKETS_DROPPED)
      assert_int_equal(pquic_plugin_deny_field(&plug, f[i] + 1), 0);
    jit = run(p, cnx, PQ_BPF_ENGINE_JIT, 0);
    assert_int_equal(jit.rc, 0);
    assert_int_equal(jit.r0, want);
    memset(plug.deny, 0, sizeof plug.deny);
    pq_bpf_prog_del(p);
  }
}

static void denied_fields(void **state) {
  (void)state;
  with_cnx(denied_body);
}

/* Every path field through good and bad handles: inline where plain,
 * always the same as the interpreter and the native API; a bad handle
 * or a denied field faults the same. */
static void path_body(pq_cnx *cnx) {
  uint32_t f[64];
  size_t n = all_fields(PQ_OBJ_PATH, f);
  uint64_t base = (uint64_t)(uintptr_t)cnx->paths, sz = sizeof(pq_path);
  const uint64_t bad[] = {
      base + 2 * sz, base + PQ_MAX_PATHS * sz, base + 8, base + sz - 1, base - sz, 0, UINT64_MAX};
  uint64_t seen[2][64];
  for (size_t i = 0; i < n; i++) {
    int plain;
    pq_bpf_inline rec;
    uint64_t args[2] = {0, f[i]};
    (void)c_path_value(&cnx->paths[0], f[i], &plain);
    assert_int_equal(pq_pl_inline_get_path(&plug, args, 2, &rec), plain);
    const pq_bpf_insn prog[] = {MOV64_IMM(2, (int32_t)f[i]), CALL_HELPER(PQ_PL_HELPER_GET_PATH),
                                EXIT()};
    pq_bpf_prog *p = load_raw(prog, 3);
    assert_int_equal(pq_bpf_prog_helpers_inlined(p), (size_t)plain);
    for (int k = 0; k < 2; k++) {
      uint64_t h = base + (uint64_t)k * sz, want = c_path_value(&cnx->paths[k], f[i], &plain);
      seen[k][i] = want;
      for (size_t j = 0; plain && j < i; j++)
        if (seen[k][j] == want)
          fail_msg("path %d: fields 0x%x and 0x%x both hold 0x%llx", k, f[j], f[i],
                   (unsigned long long)want);
      res jit = run(p, cnx, PQ_BPF_ENGINE_JIT, h), interp = run(p, cnx, PQ_BPF_ENGINE_INTERP, h);
      res nat = native(cnx, f[i], h);
      same(&jit, &interp, "path", f[i]);
      if (jit.rc || jit.r0 != want || nat.r0 != want || nat.fault)
        fail_msg("path %d field 0x%x: JIT %d 0x%llx, native 0x%llx, C 0x%llx", k, f[i], jit.rc,
                 (unsigned long long)jit.r0, (unsigned long long)nat.r0, (unsigned long long)want);
    }
    for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
      res jit = run(p, cnx, PQ_BPF_ENGINE_JIT, bad[j]);
      res interp = run(p, cnx, PQ_BPF_ENGINE_INTERP, bad[j]);
      same(&jit, &interp, "bad handle", f[i]);
      assert_int_equal(jit.fault, PQUIC_ERR_PLUGIN_HANDLE);
      assert_int_equal(native(cnx, f[i], bad[j]).fault, PQUIC_ERR_PLUGIN_HANDLE);
    }
    assert_int_equal(pquic_plugin_deny_field(&plug, f[i]), 0);
    res jit = run(p, cnx, PQ_BPF_ENGINE_JIT, base + sz);
    res interp = run(p, cnx, PQ_BPF_ENGINE_INTERP, base + sz);
    same(&jit, &interp, "denied path field", f[i]);
    assert_int_equal(jit.fault, PQUIC_ERR_FIELD_DENIED);
    memset(plug.deny, 0, sizeof plug.deny);
    pq_bpf_prog_del(p);
  }
}

static void path_fields(void **state) {
  (void)state;
  with_cnx(path_body);
}

/* ---- pluglets of a bundle (tests/plugins/fixture.c) ---- */

static uint8_t *fixture;
static size_t fixture_len;

static const char manifest[] = "plugin org.test.inline\n"
                               "fx_fields external fixture.o fields\n"
                               "fx_loop external fixture.o read_loop\n";

static void set_interpreter(pquic_endpoint *ep, int on) {
  pquic_plugin_settings set;
  pquic_plugin_settings_init(&set);
  set.interpreter = on;
  assert_int_equal(pquic_endpoint_plugin_settings(ep, &set), 0);
}

/* fields and read_loop on a live connection, the plugin compiled unless
 * `interp`; JIT and interpreter runs agree with the C stats; then
 * PACKETS_SENT denied: the fault's message in `reason`. */
static void bundle_scenario(int interp, char *reason, size_t len) {
  pair_side c, s;
  pair_side_init(&c, 0, 5000);
  pair_side_init(&s, 1, 4433);
  set_interpreter(c.ep, interp);
  pq_bundle_object obj = {"fixture.o", fixture, fixture_len};
  uint8_t *b;
  size_t blen;
  char err[200];
  if (pq_bundle_build(manifest, strlen(manifest), &obj, 1, &b, &blen, err, sizeof err))
    fail_msg("bundle: %s", err);
  pquic_plugin *p;
  if (pquic_plugin_load(c.ep, b, blen, &p, err, sizeof err))
    fail_msg("load: %s", err);
  pq_free(b);
  /* fields: four constant cnx reads and two path reads; read_loop: one
   * (twice if its loop is versioned) */
  assert_true(pq_bpf_prog_helpers_inlined(p->progs[0]) >= (interp ? 0u : 7u));
  uint64_t now = 1000000;
  pair_connect(&c, &s, now);
  assert_int_equal(pquic_plugin_attach(c.cnx, p, err, sizeof err), 0);
  pair_run(&c, &s, &now, pair_handshaken);
  assert_true(c.handshake_done);
  pquic_stats st;
  pquic_cnx_get_stats(c.cnx, &st);
  uint64_t out[2][6], ret[2], r;
  for (int e = 0; e < 2; e++) { /* compiled code, then the interpreter */
    set_interpreter(c.ep, interp || e);
    memset(out[e], 0xa5, sizeof out[e]);
    assert_int_equal(pquic_plugin_call(c.cnx, "fx_fields", NULL, 0, out[e], 6, &r), 0);
    uint64_t in[1] = {1000};
    assert_int_equal(pquic_plugin_call(c.cnx, "fx_loop", in, 1, NULL, 0, &ret[e]), 0);
  }
  assert_memory_equal(out[0], out[1], sizeof out[0]);
  assert_int_equal(out[0][0], 0);
  assert_int_equal(out[0][1], 1);
  assert_int_equal(out[0][4], st.packets_sent);
  assert_int_equal(out[0][5], 1);
  assert_int_equal(ret[0], 1000 * st.packets_sent);
  assert_int_equal(ret[1], ret[0]);
  set_interpreter(c.ep, interp);
  assert_int_equal(pquic_plugin_deny_field(p, PQF_CNX_PACKETS_SENT), 0);
  assert_int_equal(pquic_plugin_call(c.cnx, "fx_fields", NULL, 0, out[0], 6, &r),
                   PQUIC_ERR_FIELD_DENIED);
  pair_run(&c, &s, &now, pair_closed);
  assert_int_equal(c.op_fault, 1);
  assert_int_equal(c.fault_err, PQUIC_ERR_FIELD_DENIED);
  snprintf(reason, len, "%s", c.fault_reason);
  pair_free(&c);
  pair_free(&s);
}

static void bundle_pluglets(void **state) {
  (void)state;
  char jit[256], interp[256];
  bundle_scenario(0, jit, sizeof jit);
  bundle_scenario(1, interp, sizeof interp);
  assert_string_equal(jit, interp);
  assert_non_null(strstr(jit, "plugin org.test.inline (manifest line 2): "));
  assert_non_null(strstr(jit, "helper pl_get_cnx at insn "));
}

static int setup(void **state) {
  fixture = pair_read(PQ_FIXTURE_DIR "/fixture.o", &fixture_len);
  return pair_setup(state);
}

static int teardown(void **state) {
  free(fixture);
  return pair_teardown(state);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_field),
      cmocka_unit_test(denied_fields),
      cmocka_unit_test(path_fields),
      cmocka_unit_test(bundle_pluglets),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
