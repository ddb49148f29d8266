/* The operation registry and dispatcher: anchors, order, the loop rule,
 * all-or-nothing attachment, parameters, external operations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/alloc.h"
#include "ops/ops.h"

/* The ops module only needs the connection's dispatch state. */
struct pquic_cnx {
  pq_op_state op;
  char trace[64];
  size_t ntrace;
};

static void trace(struct pquic_cnx *c, char ch) {
  if (c->ntrace < sizeof c->trace - 1)
    c->trace[c->ntrace++] = ch;
}

static uint64_t builtin_rtt(struct pquic_cnx *c, pquic_op_args *a, void *u) {
  (void)u;
  trace(c, 'D');
  if (a->n_out)
    a->out[0] = 7;
  return a->in[0] + 1;
}

static uint64_t builtin_frame(struct pquic_cnx *c, pquic_op_args *a, void *u) {
  (void)u;
  trace(c, 'F');
  return a->param;
}

static pq_op_table shared;

static int setup(void **state) {
  (void)state;
  pq_op_default defs[] = {{PQ_OP_update_rtt, builtin_rtt, NULL},
                          {PQ_OP_process_frame, builtin_frame, NULL}};
  return pq_op_table_init_defaults(&shared, defs, 2);
}

static int teardown(void **state) {
  (void)state;
  pq_op_table_free(&shared);
  return 0;
}

static uint64_t call(struct pquic_cnx *c, uint32_t id, uint64_t param, uint64_t in0, uint64_t *out) {
  uint64_t in[1] = {in0};
  return pq_op_invoke(c, &c->op, id, param, in, 1, out, out ? 1 : 0);
}

static void test_core_list(void **state) {
  (void)state;
  const pquic_op_info *ops;
  size_t n = pquic_ops_list(&ops);
  assert_true(n >= 72);
  size_t params = 0;
  for (size_t i = 0; i < n; i++) {
    assert_non_null(ops[i].name);
    assert_true(strlen(ops[i].contract) > 0);
    params += (size_t)ops[i].parameterized;
    for (size_t j = i + 1; j < n; j++)
      assert_string_not_equal(ops[i].name, ops[j].name);
  }
  assert_true(params >= 6);
  assert_string_equal(ops[PQ_OP_update_rtt].name, "update_rtt");
  assert_string_equal(ops[PQ_OP_update_rtt].inputs,
                      "pq_path * path, uint64_t latest_rtt, uint64_t ack_delay");
}

static void test_names_exact(void **state) {
  (void)state;
  pq_op_registry r;
  pq_op_registry_init(&r);
  uint32_t id, id2;
  assert_int_equal(pq_op_lookup(&r, "update_rtt", &id), 0);
  assert_int_equal(id, PQ_OP_update_rtt);
  assert_int_equal(pq_op_lookup(&r, "update_rt", &id), PQUIC_ERR_OP_UNKNOWN);
  assert_int_equal(pq_op_lookup(&r, "update_rtt ", &id), PQUIC_ERR_OP_UNKNOWN);
  assert_int_equal(pq_op_intern(&r, "fec_protect", 0, &id), 0);
  assert_int_equal(id, PQ_OP_CORE_COUNT);
  assert_int_equal(pq_op_intern(&r, "fec_protecT", 1, &id2), 0);
  assert_int_not_equal(id, id2);
  assert_int_equal(pq_op_intern(&r, "fec_protect", 0, &id2), 0);
  assert_int_equal(id, id2);
  assert_int_equal(pq_op_intern(&r, "fec_protect", 1, &id2), PQUIC_ERR_INVAL);
  assert_int_equal(pq_op_intern(&r, "process_frame", 0, &id2), PQUIC_ERR_INVAL);
  assert_int_equal(pq_op_intern(&r, "", 0, &id2), PQUIC_ERR_INVAL);
  assert_int_equal(pq_op_intern(&r, "bad name", 0, &id2), PQUIC_ERR_INVAL);
  assert_string_equal(pq_op_name(&r, id), "fec_protect");
  assert_true(pq_op_is_param(&r, PQ_OP_process_frame));
  pq_op_registry_free(&r);
}

static void test_plain_table(void **state) {
  (void)state;
  struct pquic_cnx c = {0};
  pq_op_state_init(&c.op, &shared);
  uint64_t out = 0;
  assert_int_equal(call(&c, PQ_OP_update_rtt, 0, 41, &out), 42);
  assert_int_equal(out, 7);
  assert_int_equal(call(&c, PQ_OP_process_frame, 0x1c, 0, NULL), 0x1c);
  assert_null(c.op.own);
  assert_int_equal(pq_op_invoke_event(&c, &c.op, PQ_OP_packet_sent, 0, NULL, 0, NULL, 0), 0);
  pq_op_state_free(&c.op);
}

static uint64_t pre_hook(struct pquic_cnx *c, pquic_op_args *a, void *u) {
  (void)a;
  trace(c, *(const char *)u);
  return 99;
}

static uint64_t post_hook(struct pquic_cnx *c, pquic_op_args *a, void *u) {
  trace(c, *(const char *)u);
  /* post observers see the value and the outputs */
  assert_int_equal(a->ret, 42);
  assert_int_equal(a->out[0], 7);
  return 0;
}

static uint64_t replace_rtt(struct pquic_cnx *c, pquic_op_args *a, void *u) {
  (void)u;
  trace(c, 'R');
  return a->in[0] * 2;
}

static void test_anchor_order(void **state) {
  (void)state;
  struct pquic_cnx c = {0};
  pq_op_state_init(&c.op, &shared);
  static const char a = 'a', b = 'b', z = 'z';
  pq_op_attach list[] = {
      {PQ_OP_update_rtt, 0, 0, PQUIC_ANCHOR_PRE, pre_hook, (void *)&a},
      {PQ_OP_update_rtt, 0, 0, PQUIC_ANCHOR_PRE, pre_hook, (void *)&b},
      {PQ_OP_update_rtt, 0, 0, PQUIC_ANCHOR_POST, post_hook, (void *)&z},
  };
  assert_int_equal(pq_op_attach_group(&c.op, list, 3, 1, NULL), 0);
  assert_false(c.op.table->plain);
  uint64_t out = 0;
  assert_int_equal(call(&c, PQ_OP_update_rtt, 0, 41, &out), 42); /* pre values ignored */
  assert_string_equal(c.trace, "abDz");
  assert_int_equal(c.op.depth, 0);
  pq_op_state_free(&c.op);
}

static void test_replace_all_or_nothing(void **state) {
  (void)state;
  struct pquic_cnx c = {0};
  pq_op_state_init(&c.op, &shared);
  static const char p = 'p';
  pq_op_attach first[] = {{PQ_OP_update_rtt, 0, 0, PQUIC_ANCHOR_REPLACE, replace_rtt, NULL}};
  assert_int_equal(pq_op_attach_group(&c.op, first, 1, 1, NULL), 0);
  pq_op_attach second[] = {
      {PQ_OP_process_frame, 1, 2, PQUIC_ANCHOR_PRE, pre_hook, (void *)&p},
      {PQ_OP_update_rtt, 0, 0, PQUIC_ANCHOR_REPLACE, replace_rtt, NULL},
  };
  size_t bad = 99;
  assert_int_equal(pq_op_attach_group(&c.op, second, 2, 2, &bad), PQUIC_ERR_OP_REPLACED);
  assert_int_equal(bad, 1);
  /* nothing of the second group is attached */
  assert_int_equal(call(&c, PQ_OP_process_frame, 2, 0, NULL), 2);
  assert_string_equal(c.trace, "F");
  assert_int_equal(call(&c, PQ_OP_update_rtt, 0, 5, NULL), 10);
  /* a group replacing twice by itself is refused too */
  pq_op_attach twice[] = {
      {PQ_OP_process_frame, 1, 9, PQUIC_ANCHOR_REPLACE, replace_rtt, NULL},
      {PQ_OP_process_frame, 1, 9, PQUIC_ANCHOR_REPLACE, replace_rtt, NULL},
  };
  assert_int_equal(pq_op_attach_group(&c.op, twice, 2, 3, &bad), PQUIC_ERR_OP_REPLACED);
  /* detaching restores the built-in */
  pq_op_detach_group(&c.op, 1);
  assert_int_equal(call(&c, PQ_OP_update_rtt, 0, 5, NULL), 6);
  pq_op_state_free(&c.op);
}

static void test_param_entries(void **state) {
  (void)state;
  struct pquic_cnx c = {0};
  pq_op_state_init(&c.op, &shared);
  static const char g = 'g', s = 's';
  pq_op_attach list[] = {
      {PQ_OP_process_frame, 1, 0x42, PQUIC_ANCHOR_REPLACE, replace_rtt, NULL},
      {PQ_OP_process_frame, 0, 0, PQUIC_ANCHOR_PRE, pre_hook, (void *)&g},
      {PQ_OP_process_frame, 1, 0x42, PQUIC_ANCHOR_PRE, pre_hook, (void *)&s},
  };
  assert_int_equal(pq_op_attach_group(&c.op, list, 3, 1, NULL), 0);
  assert_int_equal(call(&c, PQ_OP_process_frame, 0x42, 4, NULL), 8);
  assert_int_equal(call(&c, PQ_OP_process_frame, 0x06, 4, NULL), 6);
  /* generic observer sees every type; the specific one only 0x42 */
  assert_string_equal(c.trace, "gsRgF");
  pq_op_state_free(&c.op);
}

/* Two replacements calling each other: the loop rule stops them. */
static uint64_t ping(struct pquic_cnx *c, pquic_op_args *a, void *u) {
  (void)u;
  uint32_t other = (uint32_t)a->in[0];
  uint64_t in[1] = {a->op_id};
  return pq_op_dispatch(c, &c->op, other, 0, in, 1, NULL, 0, 0);
}

static void test_loop_rule(void **state) {
  (void)state;
  struct pquic_cnx c = {0};
  pq_op_state_init(&c.op, &shared);
  pq_op_attach list[] = {
      {PQ_OP_update_rtt, 0, 0, PQUIC_ANCHOR_REPLACE, ping, NULL},
      {PQ_OP_compute_pto, 0, 0, PQUIC_ANCHOR_REPLACE, ping, NULL},
  };
  assert_int_equal(pq_op_attach_group(&c.op, list, 2, 1, NULL), 0);
  uint64_t v = call(&c, PQ_OP_update_rtt, 0, PQ_OP_compute_pto, NULL);
  assert_int_equal((int64_t)v, PQUIC_ERR_OP_LOOP);
  assert_int_equal(c.op.fault, PQUIC_ERR_OP_LOOP);
  assert_int_equal(c.op.fault_op, PQ_OP_update_rtt);
  assert_int_equal(c.op.depth, 0);
  /* after a fault every call is refused until the connection is closed */
  assert_int_equal((int64_t)call(&c, PQ_OP_process_frame, 1, 0, NULL), PQUIC_ERR_CLOSED);
  pq_op_state_free(&c.op);

  /* same operation with a different parameter is not a loop */
  struct pquic_cnx d = {0};
  pq_op_state_init(&d.op, &shared);
  assert_true(pq_op_failed((uint64_t)(int64_t)PQUIC_ERR_OP_LOOP));
  assert_false(pq_op_failed(12345));
  pq_op_state_free(&d.op);
}

/* A new operation recursing through itself with growing parameters hits
 * the depth bound, not the stack. */
static uint64_t deeper(struct pquic_cnx *c, pquic_op_args *a, void *u) {
  (void)u;
  return pq_op_dispatch(c, &c->op, a->op_id, a->param + 1, NULL, 0, NULL, 0, 0);
}

static void test_depth_bound(void **state) {
  (void)state;
  struct pquic_cnx c = {0};
  pq_op_state_init(&c.op, &shared);
  pq_op_attach list[] = {{PQ_OP_process_frame, 0, 0, PQUIC_ANCHOR_REPLACE, deeper, NULL}};
  assert_int_equal(pq_op_attach_group(&c.op, list, 1, 1, NULL), 0);
  uint64_t v = call(&c, PQ_OP_process_frame, 0, 0, NULL);
  assert_int_equal((int64_t)v, PQUIC_ERR_OP_DEPTH);
  assert_int_equal(c.op.depth, 0);
  pq_op_state_free(&c.op);
}

static void test_external(void **state) {
  (void)state;
  struct pquic_cnx c = {0};
  pq_op_registry r;
  pq_op_registry_init(&r);
  pq_op_state_init(&c.op, &shared);
  uint32_t id;
  assert_int_equal(pq_op_intern(&r, "send_message", 0, &id), 0);
  pq_op_attach list[] = {{id, 0, 0, PQUIC_ANCHOR_EXTERNAL, replace_rtt, NULL}};
  assert_int_equal(pq_op_attach_group(&c.op, list, 1, 1, NULL), 0);
  uint64_t in[1] = {21};
  assert_int_equal(pq_op_dispatch(&c, &c.op, id, 0, in, 1, NULL, 0, 1), 42);
  assert_int_equal((int64_t)pq_op_dispatch(&c, &c.op, id, 0, in, 1, NULL, 0, 0), PQUIC_ERR_INVAL);
  assert_int_equal((int64_t)pq_op_dispatch(&c, &c.op, PQ_OP_update_rtt, 0, in, 1, NULL, 0, 1),
                   PQUIC_ERR_INVAL);
  assert_int_equal(c.op.fault, 0);
  pq_op_state_free(&c.op);
  pq_op_registry_free(&r);
}

static void test_attach_oom(void **state) {
  (void)state;
  static const char a = 'a';
  pq_op_attach list[] = {
      {PQ_OP_update_rtt, 0, 0, PQUIC_ANCHOR_REPLACE, replace_rtt, NULL},
      {PQ_OP_process_frame, 1, 0x40, PQUIC_ANCHOR_PRE, pre_hook, (void *)&a},
      {PQ_OP_process_frame, 1, 0x41, PQUIC_ANCHOR_POST, pre_hook, (void *)&a},
  };
  for (long n = 0;; n++) {
    struct pquic_cnx c = {0};
    pq_op_state_init(&c.op, &shared);
    pq_alloc_fail_after(n);
    int rc = pq_op_attach_group(&c.op, list, 3, 1, NULL);
    pq_alloc_fail_after(-1);
    if (rc == 0) {
      assert_int_equal(call(&c, PQ_OP_update_rtt, 0, 4, NULL), 8);
      pq_op_state_free(&c.op);
      break;
    }
    assert_int_equal(rc, PQUIC_ERR_NOMEM);
    /* unchanged: still the shared table */
    assert_ptr_equal(c.op.table, &shared);
    assert_int_equal(call(&c, PQ_OP_update_rtt, 0, 4, NULL), 5);
    pq_op_state_free(&c.op);
    assert_true(n < 1000);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_core_list),       cmocka_unit_test(test_names_exact),
      cmocka_unit_test(test_plain_table),     cmocka_unit_test(test_anchor_order),
      cmocka_unit_test(test_replace_all_or_nothing), cmocka_unit_test(test_param_entries),
      cmocka_unit_test(test_loop_rule),       cmocka_unit_test(test_depth_bound),
      cmocka_unit_test(test_external),        cmocka_unit_test(test_attach_oom),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
