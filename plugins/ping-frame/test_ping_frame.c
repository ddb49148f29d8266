/* Scenarios of org.pquic.example.ping-frame in the simulator:
 *
 *   plugin_ping_frame           both sides run the plugin; five PING_EXT
 *                               frames sent a second apart are each
 *                               answered by the server's copy; the pushed
 *                               RTTs match the 20 ms path; the transfer
 *                               beside them completes;
 *   plugin_ping_frame_loss      the same with 10 % loss each way: lost
 *                               frames are notified and sent again until
 *                               every PING is answered;
 *   plugin_ping_frame_no_peer   a server without the plugin does not know
 *                               the frame type and closes the connection
 *                               with FRAME_ENCODING_ERROR. */
#include <inttypes.h>

#include "plugin_scn.h"
#include "ping.h"

#define NAME "org.pquic.example.ping-frame"
#define PINGS 5

typedef struct run {
  psc_msgs msgs;
  uint64_t client_stats[7], server_stats[7];
  sim_app_conn *c; /* valid until the run ends */
  int closed;
  pquic_event close_ev;
} run;

static int pongs_done(void *user) {
  const run *r = user;
  return r->msgs.n >= PINGS || r->c->closed;
}

static void ping_run(double loss, int server_plugin, run *r) {
  scn_opts o;
  scn_opts_init(&o);
  o.up.loss = loss;
  o.down.loss = loss;
  scn x;
  scn_setup(&x, &o);
  memset(r, 0, sizeof *r);
  pquic_endpoint *cep = sim_pquic_endpoint(x.client[0]);
  pquic_endpoint *sep = sim_pquic_endpoint(x.server);
  psc_collect(cep, &r->msgs);
  pquic_plugin *cp = psc_load(cep, NAME);
  if (server_plugin)
    assert_int_equal(pquic_plugin_inject(sep, psc_load(sep, NAME)), 0);
  const sim_app_plan plan = {.streams = 1, .size = 500000};
  r->c = scn_connect(&x, 0, &plan);
  psc_attach(r->c->cnx, cp);
  scn_run_pred(&x, psc_handshake_done, r->c, 2000000, "handshake");
  for (int i = 0; i < PINGS && r->c->cnx; i++) {
    assert_int_equal(psc_call(r->c->cnx, "ping", NULL, 0), (uint64_t)i);
    psc_run_to(&x, sim_now(x.s) + 1000000);
  }
  scn_run_pred(&x, pongs_done, r, sim_now(x.s) + 20000000, "pongs");
  if (r->c->cnx) {
    psc_call(r->c->cnx, "ping_stats", r->client_stats, 7);
    pquic_cnx *s = x.server_app->conns[0]->cnx;
    if (s)
      psc_call(s, "ping_stats", r->server_stats, 7);
    scn_run_finished(&x, sim_now(x.s) + 30000000);
    (void)scn_check_conn(&x, r->c);
  }
  r->closed = r->c->closed;
  r->close_ev = r->c->close_ev;
  scn_free(&x);
}

static void check_answers(const run *r, uint64_t max_rtt) {
  assert_int_equal(r->msgs.n, PINGS);
  for (size_t i = 0; i < PINGS; i++) {
    ping_message m;
    assert_int_equal(r->msgs.len[i], sizeof m);
    memcpy(&m, r->msgs.data[i], sizeof m);
    assert_int_equal(m.seq, i);
    printf("ping %" PRIu64 ": rtt %" PRIu64 " us\n", m.seq, m.rtt_us);
    assert_true(m.rtt_us >= 20000); /* the path's round trip */
    assert_true(m.rtt_us <= max_rtt);
  }
  assert_int_equal(r->client_stats[0], PINGS); /* pings sent */
  assert_int_equal(r->client_stats[1], PINGS); /* pongs received */
  assert_true(r->server_stats[2] >= PINGS);    /* pings received (resends count) */
  assert_true(r->server_stats[3] >= PINGS);    /* pongs written */
}

static void plugin_ping_frame(void **state) {
  (void)state;
  run r;
  ping_run(0, 1, &r);
  check_answers(&r, 100000);
  assert_int_equal(r.client_stats[4], 0);     /* nothing lost */
  assert_int_equal(r.client_stats[5], PINGS); /* every PING acknowledged */
  assert_int_equal(r.server_stats[2], PINGS);
}

static void plugin_ping_frame_loss(void **state) {
  (void)state;
  run r;
  ping_run(0.10, 1, &r);
  check_answers(&r, 3000000);
  printf("client: %" PRIu64 " frames lost, server: %" PRIu64 " lost\n", r.client_stats[4],
         r.server_stats[4]);
}

static void plugin_ping_frame_no_peer(void **state) {
  (void)state;
  run r;
  ping_run(0, 0, &r);
  assert_int_equal(r.msgs.n, 0);
  assert_true(r.closed);
  assert_int_equal(r.close_ev.wire_error, PQUIC_WIRE_FRAME_ENCODING_ERROR);
  assert_true(r.close_ev.closed_by_peer);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(plugin_ping_frame),
      cmocka_unit_test(plugin_ping_frame_loss),
      cmocka_unit_test(plugin_ping_frame_no_peer),
  };
  return scn_main(argc, argv, "plugin_ping_frame", tests, sizeof tests / sizeof tests[0]);
}
