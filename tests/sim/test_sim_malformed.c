/* Scenario: a malformed frame. A peer that sends a badly formatted frame is
 * closed with FRAME_ENCODING_ERROR; another connection on the same server
 * endpoint carries on unaffected. The bad packet comes from the core's test
 * forger (conn/test_forge.h): a 1-RTT packet of the victim client, protected
 * with its current keys and next packet number, whose payload we write. */
#include <stdio.h>
#include <string.h>

#include "conn/test_forge.h"
#include "scenario.h"

typedef struct goal {
  scn *x;
  sim_app_conn *victim, *victim_server, *other;
} goal;

static int victim_closed_other_done(void *user) {
  goal *g = user;
  return g->victim->closed && g->victim_server->closed &&
         (g->other->done_us != 0 || g->other->closed);
}

static void malformed_frame(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  o.nclients = 2;
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan small = {.streams = 1, .size = 1000};
  const sim_app_plan big = {.streams = 1, .size = 5000000};
  goal g = {&x, NULL, NULL, NULL};
  g.victim = scn_connect(&x, 0, &small);
  g.other = scn_connect(&x, 1, &big);
  /* Wait until the victim's request is done: its 1-RTT keys are in use. */
  while (g.victim->done_us == 0) {
    assert_int_equal(sim_run_for(x.s, 1000), SIM_DEADLINE);
    assert_true(sim_now(x.s) < 2000000);
  }
  g.victim_server = scn_server_conn(&x, g.victim);
  assert_non_null(g.victim_server);
  assert_true(g.other->done_us == 0); /* the other transfer is under way */

  /* PADDING first (room for the header-protection sample), then MAX_DATA
   * whose varint announces 2 bytes and has 1: the frame ends early. */
  uint8_t payload[24];
  memset(payload, 0, sizeof payload);
  payload[22] = 0x10;
  payload[23] = 0x40;
  uint8_t dgram[1500];
  int n = pq_test_forge_1rtt(g.victim->cnx, payload, sizeof payload, dgram, sizeof dgram);
  assert_true(n > 0);
  assert_int_equal(sim_inject(x.s, (struct sockaddr *)&x.client_addr[0],
                              (struct sockaddr *)&x.server_addr, dgram, (size_t)n, 0),
                   SIM_LINK_SENT);
  uint64_t t0 = sim_now(x.s);
  scn_run_pred(&x, victim_closed_other_done, &g, t0 + 30000000,
               "victim closed, other transfer done");

  /* The server closed the victim with FRAME_ENCODING_ERROR, a transport
   * code; the victim's client learned it from the server. */
  assert_false(g.victim_server->close_ev.wire_error_is_app);
  assert_int_equal(g.victim_server->close_ev.wire_error, PQUIC_WIRE_FRAME_ENCODING_ERROR);
  assert_false(g.victim_server->close_ev.closed_by_peer);
  assert_false(g.victim->close_ev.wire_error_is_app);
  assert_int_equal(g.victim->close_ev.wire_error, PQUIC_WIRE_FRAME_ENCODING_ERROR);
  assert_true(g.victim->close_ev.closed_by_peer);
  /* Within a round trip plus the draining period (3 PTO): 1 s. */
  SCN_ASSERT_LE(g.victim_server->closed_us, t0 + 1000000, "server-side close time (us)");

  /* The other connection: untouched, complete, byte-exact. */
  assert_false(g.other->closed);
  scn_check_conn(&x, g.other);
  printf("scenario malformed_frame: victim closed at %llu us; other done at %llu us\n",
         (unsigned long long)g.victim_server->closed_us, (unsigned long long)g.other->done_us);
  scn_free(&x);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(malformed_frame),
  };
  return scn_main(argc, argv, "sim_malformed", tests, sizeof tests / sizeof tests[0]);
}
