/* Scenarios: bad or hostile input on the paths of issue 5 (RFC 9000):
 * a server that lost a connection's state answers with a stateless reset
 * the client recognises; a garbage address-validation token; a flood of
 * PATH_CHALLENGE frames; a peer opening more streams than allowed over
 * time (MAX_STREAMS / STREAMS_BLOCKED); the negotiated idle timeout. */
#include <stdio.h>
#include <string.h>

#include "conn/cnx_internal.h"
#include "conn/opcalls.h"
#include "conn/test_forge.h"
#include "scenario.h"

#define KB 1000ull

static int closed_pred(void *user) {
  return ((sim_app_conn *)user)->closed;
}

static void stateless_reset(void **state) {
  (void)state;
  static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  scn_opts o;
  scn_opts_init(&o);
  o.server_reset_key = key;
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 1, .size = 20000 * KB};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  assert_int_equal(sim_run_for(x.s, 200000), SIM_DEADLINE);
  assert_true(c->handshake_done && !c->done_us);
  /* The server restarts mid-transfer: same reset key, no connections. */
  pquic_endpoint *old = scn_replace_server(&x);
  uint64_t t0 = sim_now(x.s);
  scn_run_pred(&x, closed_pred, c, t0 + 2000000, "client closed by a stateless reset");
  assert_int_equal(c->close_ev.err, PQUIC_ERR_STATELESS_RESET);
  /* Within a few round trips, not after an idle timeout. */
  SCN_ASSERT_LE(c->closed_us, t0 + 200000, "reset detected (us)");
  scn_free(&x);
  pquic_endpoint_free(old);
}

/* A reset for an unknown connection ID is ignored: a forged datagram with
 * a random 16-byte tail closes nothing. */
static void stateless_reset_forged(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 1, .size = 2000 * KB};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  assert_int_equal(sim_run_for(x.s, 100000), SIM_DEADLINE);
  uint8_t junk[60];
  for (size_t i = 0; i < sizeof junk; i++)
    junk[i] = (uint8_t)(i * 37 + 11);
  junk[0] = 0x4a; /* looks like a short header */
  for (int k = 0; k < 50; k++)
    (void)sim_inject(x.s, (struct sockaddr *)&x.server_addr, (struct sockaddr *)&x.client_addr[0],
                     junk, sizeof junk, 0);
  scn_run_finished(&x, 3000000);
  scn_check_conn(&x, c);
  assert_false(c->closed);
  scn_free(&x);
}

/* A reset carrying the token of a CID the client has retired is ignored
 * (RFC 9000 10.3.1: the server may have forgotten that CID and be
 * resetting packets still in flight to it); the token of a live one still
 * ends the connection. */
static void reset_fake(uint8_t *d, size_t len, const uint8_t token[16]) {
  for (size_t i = 0; i < len; i++)
    d[i] = (uint8_t)(i * 53 + 7);
  d[0] = 0x4a; /* short header */
  memcpy(d + len - 16, token, 16);
}

static void stateless_reset_retired(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 1, .size = 20000 * KB};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  assert_int_equal(sim_run_for(x.s, 200000), SIM_DEADLINE);
  pq_cnx *cnx = c->cnx;
  uint64_t active = pq_cnx_active_path(cnx)->peer_cid_seq;
  const pq_peer_cid *gone = NULL, *live = NULL;
  for (size_t i = 0; i < PQ_MAX_PEER_CIDS; i++) {
    const pq_peer_cid *p = &cnx->peer_cids[i];
    if (p->used && p->has_token)
      *(p->seq == active ? &live : &gone) = p;
  }
  assert_non_null(gone);
  assert_non_null(live);
  cnx->now = sim_now(x.s);
  (void)pq_op_retire_connection_id(cnx, gone->seq);
  uint8_t d[60];
  reset_fake(d, sizeof d, gone->token);
  (void)sim_inject(x.s, (struct sockaddr *)&x.server_addr, (struct sockaddr *)&x.client_addr[0], d,
                   sizeof d, 0);
  assert_int_equal(sim_run_for(x.s, 50000), SIM_DEADLINE);
  assert_false(c->closed);
  reset_fake(d, sizeof d, live->token);
  (void)sim_inject(x.s, (struct sockaddr *)&x.server_addr, (struct sockaddr *)&x.client_addr[0], d,
                   sizeof d, 0);
  scn_run_pred(&x, closed_pred, c, sim_now(x.s) + 100000, "client closed by a stateless reset");
  assert_int_equal(c->close_ev.err, PQUIC_ERR_STATELESS_RESET);
  scn_free(&x);
}

/* A session blob whose token is garbage: a Retry server ignores the token
 * and validates the client with a Retry instead. */
static void bad_token(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  o.server.retry = 1;
  scn x;
  scn_setup(&x, &o);
  uint8_t blob[128];
  size_t n = 0;
  memcpy(blob, "PQS1", 4);
  n = 4;
  blob[n++] = 0, blob[n++] = 0, blob[n++] = 0, blob[n++] = 1; /* v1 */
  blob[n++] = (uint8_t)strlen(SCN_ALPN);
  memcpy(blob + n, SCN_ALPN, strlen(SCN_ALPN));
  n += strlen(SCN_ALPN);
  blob[n++] = 0, blob[n++] = 1, blob[n++] = 0x55; /* a 1-byte "ticket" TLS ignores */
  blob[n++] = 0, blob[n++] = 40;                  /* a 40-byte garbage token */
  for (int i = 0; i < 40; i++)
    blob[n++] = (uint8_t)(i * 13);
  for (int i = 0; i < 10; i++)
    blob[n++] = i == 0 ? 0x3f : 0x10; /* small remembered limits */
  const sim_app_plan plan = {.streams = 1, .size = 10 * KB};
  sim_app_conn *c = scn_connect_session(&x, 0, &plan, blob, n);
  scn_run_finished(&x, 2000000);
  scn_check_conn(&x, c);
  pquic_stats st;
  pquic_cnx_get_stats(c->cnx, &st);
  assert_int_equal(st.retry, 1);
  assert_int_equal(st.resumed, 0);
  scn_free(&x);
}

/* 2000 forged packets full of PATH_CHALLENGE frames: the server answers
 * the path once per packet at most (the newest challenge), keeps its
 * datagram count bounded, and the transfer finishes. */
static void path_challenge_flood(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 1, .size = 2000 * KB};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  while (!c->handshake_done) {
    assert_int_equal(sim_run_for(x.s, 1000), SIM_DEADLINE);
    assert_true(sim_now(x.s) < 1000000);
  }
  uint8_t payload[9 * 20];
  for (int i = 0; i < 20; i++) {
    payload[9 * i] = 0x1a;
    memset(payload + 9 * i + 1, i, 8);
  }
  const sim_link_stats *down = sim_link_get_stats(x.down[0]);
  uint64_t before = down->offered;
  for (int k = 0; k < 2000; k++) {
    uint8_t dgram[1500];
    int n = pq_test_forge_1rtt(c->cnx, payload, sizeof payload, dgram, sizeof dgram);
    assert_true(n > 0);
    (void)sim_inject(x.s, (struct sockaddr *)&x.client_addr[0], (struct sockaddr *)&x.server_addr,
                     dgram, (size_t)n, 0);
    if (k % 100 == 0)
      assert_int_equal(sim_run_for(x.s, 1000), SIM_DEADLINE);
  }
  scn_run_finished(&x, 5000000);
  scn_check_conn(&x, c);
  /* 2 MB is about 1600 datagrams; 2000 floods of 20 challenges each may
   * add at most one answer each, never one per challenge (40000). */
  assert_true(down->offered - before < 1600 + 2000 + 200);
  scn_free(&x);
}

/* 300 requests on a connection limited to 100 concurrent streams: the
 * client waits for MAX_STREAMS as streams close. */
static void streams_under_pressure(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  o.server.initial_max_streams_bidi = 100;
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 300, .size = 2 * KB};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_finished(&x, 3000000);
  scn_check_conn(&x, c);
  assert_int_equal(c->streams_done, 300);
  scn_free(&x);
}

/* Idle timeouts of 2 s (client) and 5 s (server): the smaller one applies
 * at both ends (RFC 9000 10.1). */
static void idle_timeout_negotiated(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  o.client.max_idle_timeout_us = 2000000;
  o.server.max_idle_timeout_us = 5000000;
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 1, .size = 1 * KB};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_finished(&x, 1000000);
  sim_app_conn *s = scn_server_conn(&x, c);
  uint64_t idle_from = c->done_us;
  scn_run_pred(&x, closed_pred, s, idle_from + 10000000, "server idle close");
  assert_true(c->closed);
  assert_int_equal(c->close_ev.err, PQUIC_ERR_IDLE_TIMEOUT);
  assert_int_equal(s->close_ev.err, PQUIC_ERR_IDLE_TIMEOUT);
  SCN_ASSERT_LE(s->closed_us, idle_from + 2200000, "server closed after 2 s idle (us)");
  assert_true(s->closed_us >= idle_from + 1900000);
  scn_free(&x);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(stateless_reset),         cmocka_unit_test(stateless_reset_forged),
      cmocka_unit_test(stateless_reset_retired), cmocka_unit_test(bad_token),
      cmocka_unit_test(path_challenge_flood),    cmocka_unit_test(streams_under_pressure),
      cmocka_unit_test(idle_timeout_negotiated),
  };
  return scn_main(argc, argv, "sim_hostile", tests, sizeof tests / sizeof tests[0]);
}
