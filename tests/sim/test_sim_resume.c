/* Scenarios: resumption and 0-RTT (RFC 9001 4.6). A first connection gets
 * a ticket; a second one resumes it and sends its request in 0-RTT, so its
 * download finishes a round trip sooner; without 0-RTT it still resumes. */
#include <stdio.h>

#include "scenario.h"

#define KB 1000ull

static int closed_pred(void *user) { return ((sim_app_conn *)user)->closed; }

/* Returns the completion time of the second (resumed) connection, from
 * its start; *first_us the first connection's. */
static uint64_t run(int zero_rtt, uint64_t *first_us, pquic_stats *resumed_stats) {
  scn_opts o;
  scn_opts_init(&o);
  o.client.enable_0rtt = zero_rtt;
  o.server.enable_0rtt = zero_rtt;
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 1, .size = 10 * KB};
  sim_app_conn *c1 = scn_connect(&x, 0, &plan);
  uint64_t t0 = sim_now(x.s);
  scn_run_finished(&x, 1000000);
  *first_us = scn_check_conn(&x, c1) - t0;
  uint8_t session[4096];
  size_t len = 0;
  assert_int_equal(pquic_cnx_get_session(c1->cnx, session, sizeof session, &len), 0);
  sim_app_close(c1, 0);
  scn_run_pred(&x, closed_pred, c1, sim_now(x.s) + 1000000, "first connection closed");

  uint64_t t1 = sim_now(x.s);
  sim_app_conn *c2 = scn_connect_session(&x, 0, &plan, session, len);
  scn_run_finished(&x, t1 + 1000000);
  uint64_t second = scn_check_conn(&x, c2) - t1;
  pquic_cnx_get_stats(c2->cnx, resumed_stats);
  scn_free(&x);
  return second;
}

static void resume_0rtt(void **state) {
  (void)state;
  uint64_t first;
  pquic_stats st;
  uint64_t second = run(1, &first, &st);
  assert_int_equal(st.resumed, 1);
  assert_int_equal(st.early_data, 1); /* accepted */
  /* The request rode in the first flight: one round trip (20 ms) saved. */
  fprintf(stderr, "first %llu us, resumed with 0-RTT %llu us\n", (unsigned long long)first,
          (unsigned long long)second);
  assert_true(second + 15000 <= first);
}

static void resume_no_0rtt(void **state) {
  (void)state;
  uint64_t first;
  pquic_stats st;
  uint64_t second = run(0, &first, &st);
  assert_int_equal(st.resumed, 1);
  assert_int_equal(st.early_data, 0); /* not offered */
  assert_true(second + 15000 > first);
}

/* The session comes from another server (another ticket key): resumption
 * fails, 0-RTT is rejected, and what the client sent in 0-RTT arrives all
 * the same, in 1-RTT. */
static void resume_0rtt_rejected(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  o.client.enable_0rtt = 1;
  o.server.enable_0rtt = 1;
  const sim_app_plan plan = {.streams = 2, .size = 10 * KB};
  uint8_t session[4096];
  size_t len = 0;
  {
    scn x;
    scn_setup(&x, &o);
    sim_app_conn *c1 = scn_connect(&x, 0, &plan);
    scn_run_finished(&x, 1000000);
    scn_check_conn(&x, c1);
    assert_int_equal(pquic_cnx_get_session(c1->cnx, session, sizeof session, &len), 0);
    scn_free(&x);
  }
  o.seed = 2; /* another server, with its own ticket key */
  scn y;
  scn_setup(&y, &o);
  sim_app_conn *c2 = scn_connect_session(&y, 0, &plan, session, len);
  scn_run_finished(&y, 1000000);
  scn_check_conn(&y, c2);
  pquic_stats st;
  pquic_cnx_get_stats(c2->cnx, &st);
  assert_int_equal(st.resumed, 0);
  assert_int_equal(st.early_data, 2); /* offered, rejected */
  assert_true(st.stream_bytes_sent > 0);
  scn_free(&y);
}

/* A damaged session blob is refused, not trusted. */
static void resume_bad_blob(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  scn x;
  scn_setup(&x, &o);
  const uint8_t junk[40] = {'P', 'Q', 'S', '1', 0, 0, 0, 1, 2, 'h'};
  pquic_cnx *cnx = NULL;
  assert_int_equal(pquic_connect_session(sim_pquic_endpoint(x.client[0]),
                                         (struct sockaddr *)&x.client_addr[0],
                                         (struct sockaddr *)&x.server_addr, SCN_SNI, junk,
                                         sizeof junk, 0, &cnx),
                   PQUIC_ERR_INVAL);
  assert_null(cnx);
  scn_free(&x);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(resume_0rtt),
      cmocka_unit_test(resume_no_0rtt),
      cmocka_unit_test(resume_0rtt_rejected),
      cmocka_unit_test(resume_bad_blob),
  };
  return scn_main(argc, argv, "sim_resume", tests, sizeof tests / sizeof tests[0]);
}
