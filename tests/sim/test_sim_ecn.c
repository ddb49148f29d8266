/* Scenarios: ECN (RFC 9000 13.4, RFC 9002 7.1). A path that marks CE
 * instead of dropping must slow the sender down without any loss; a path
 * that erases the marks must make the sender stop marking after its test
 * packets. */
#include <stdio.h>

#include "scenario.h"

#define MB 1000000ull

typedef struct ecn_count {
  uint64_t ect, total;
} ecn_count;

/* Counts datagrams carrying ECT(0) or CE, then erases the codepoint. */
static int bleach(void *user, uint64_t index, uint64_t now, uint8_t *data, size_t *len, size_t cap,
                  uint8_t *ecn) {
  (void)index;
  (void)now;
  (void)data;
  (void)len;
  (void)cap;
  ecn_count *c = user;
  c->total++;
  if (*ecn != SIM_ECN_NOT_ECT)
    c->ect++;
  *ecn = SIM_ECN_NOT_ECT;
  return 0;
}

static void ecn_ce_response(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  /* A queue of two BDPs that marks CE from a quarter BDP on: slow start's
   * overshoot is signalled by marks, long before the queue overflows. */
  o.down.ecn_ce_bytes = 62500;
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 1, .size = 10 * MB};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_finished(&x, 5000000);
  uint64_t done = scn_check_conn(&x, c);
  scn_report(&x, "ecn_ce_response", 10 * MB, done);
  const sim_link_stats *st = sim_link_get_stats(x.down[0]);
  assert_true(st->ce_marked > 0);
  assert_int_equal(st->dropped_queue, 0); /* the marks kept the queue short */
  pquic_stats ss;
  pquic_cnx_get_stats(scn_server_conn(&x, c)->cnx, &ss);
  assert_int_equal(ss.packets_lost, 0);
  assert_true(ss.ssthresh != UINT64_MAX); /* it left slow start on a mark */
  scn_free(&x);
}

static void ecn_bleached(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  scn x;
  scn_setup(&x, &o);
  ecn_count down = {0, 0};
  sim_link_set_tamper(x.down[0], bleach, &down);
  const sim_app_plan plan = {.streams = 1, .size = 2 * MB};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_finished(&x, 3000000);
  scn_check_conn(&x, c);
  /* The server marked only its test packets (plus a batch in progress),
   * then saw unmarked acknowledgements and stopped. */
  assert_true(down.total > 1000);
  assert_true(down.ect >= 1 && down.ect <= 30);
  scn_free(&x);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ecn_ce_response),
      cmocka_unit_test(ecn_bleached),
  };
  return scn_main(argc, argv, "sim_ecn", tests, sizeof tests / sizeof tests[0]);
}
