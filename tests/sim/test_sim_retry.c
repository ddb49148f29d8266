/* Scenarios: address validation. A server requiring Retry; a forged Retry
 * (bad integrity tag) the client must ignore; a token from NEW_TOKEN. */
#include <stdio.h>
#include <string.h>

#include "scenario.h"

#define KB 1000ull

static void retry_transfer(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  o.server.retry = 1;
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 1, .size = 100 * KB};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  /* One extra round trip for the Retry on a 20 ms path. */
  scn_run_finished(&x, 2000000);
  uint64_t done = scn_check_conn(&x, c);
  scn_report(&x, "retry_transfer", 100 * KB, done);
  /* Handshake: Initial -> Retry -> Initial -> ...: at least 2 RTTs. */
  assert_true(c->handshake_us >= 2 * 20000);
  scn_free(&x);
}

/* The path flips one bit of every Retry's integrity tag: the client must
 * ignore them all (RFC 9001 5.8), so the handshake never completes, and no
 * connection is created at the server. */
static int corrupt_retry(void *user, uint64_t index, uint64_t now, uint8_t *data, size_t *len,
                         size_t cap, uint8_t *ecn) {
  (void)index;
  (void)now;
  (void)cap;
  (void)ecn;
  if (*len > 20 && (data[0] & 0xb0) == 0xb0) { /* long header, v1 Retry type bits 11 */
    data[*len - 1] ^= 1;
    ++*(int *)user;
  }
  return 0;
}

static void retry_forged(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  o.server.retry = 1;
  scn x;
  scn_setup(&x, &o);
  int corrupted = 0;
  sim_link_set_tamper(x.down[0], corrupt_retry, &corrupted);
  const sim_app_plan plan = {.streams = 1, .size = 10 * KB};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  sim_run_for(x.s, 1000000);
  assert_true(corrupted >= 1); /* Retries were sent, and all were spoiled */
  assert_false(c->handshake_done);
  assert_int_equal(pquic_endpoint_connection_count(sim_pquic_endpoint(x.server)), 0);
  scn_free(&x);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(retry_transfer),
      cmocka_unit_test(retry_forged),
  };
  return scn_main(argc, argv, "sim_retry", tests, sizeof tests / sizeof tests[0]);
}
