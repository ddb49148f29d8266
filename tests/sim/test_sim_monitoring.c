/* Scenarios of org.pquic.monitoring (plugins/monitoring) in the simulator.
 * Both endpoints inject the plugin; every report it pushes is parsed as
 * the collector would (pqm_report_parse must accept it) and compared, at
 * the moment it is pushed, with what the core itself counts
 * (pquic_cnx_get_stats): every indicator the core keeps must be equal.
 * Packets received out of order, which the core does not count, are
 * compared with a native observer that reads the core's own largest
 * received packet number (exactly at close and requested reports; at
 * reports pushed while a packet is being processed the observer has not
 * seen that packet yet, so it may be one behind).
 *
 *   plugin_monitoring_clean      2 MB download, no loss, periodic reports
 *                                every 20 ms, one requested report, the
 *                                client closes with an application error;
 *                                the run is identical without the plugin
 *   plugin_monitoring_loss       1 MB over links losing 2 % and reordering
 *                                3 % of the datagrams each way: losses,
 *                                retransmissions and out-of-order packets
 *                                seen, all equal to the core's
 *   plugin_monitoring_transport  a malformed frame: the server's close
 *                                report says transport error, with the
 *                                code and frame type; the client's, peer
 *   plugin_monitoring_idle       an idle connection times out: both close
 *                                reports say idle
 *   plugin_monitoring_0rtt_refused  a resumed connection whose 0-RTT the
 *                                server refuses: what it carried is sent
 *                                again, but neither lost nor retransmitted,
 *                                as the core counts it */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "conn/cnx_internal.h"
#include "conn/packet.h"
#include "conn/test_forge.h"
#include "plugin_scn.h"
#include "report.h"

#define NAME "org.pquic.monitoring"

/* What one side's reports showed. */
typedef struct side {
  scn *x;
  pquic_cnx *cnx;
  size_t n[MON_KIND_MAX + 1]; /* reports by kind */
  pqm_report last[MON_KIND_MAX + 1];
  size_t bad;       /* reports the collector's parser refused */
  size_t mismatch;  /* indicators different from the core's */
  char first[256];  /* the first mismatch */
  uint64_t ooo_ref; /* out-of-order packets by the native observer */
  size_t ooo_behind;
} side;

static void mismatch(side *s, const pqm_report *r, const char *what, uint64_t got, uint64_t want) {
  if (!s->mismatch++)
    snprintf(s->first, sizeof s->first, "%s report %" PRIu32 ": %s = %" PRIu64 ", core %" PRIu64,
             pqm_kind_name(r->kind), r->seq, what, got, want);
}

#define SAME(s, r, f, want) ((r)->v[f] == (want) ? (void)0 : mismatch(s, r, #f, (r)->v[f], want))

/* Every indicator the core keeps, at the moment of the report. */
static void compare(side *s, pquic_cnx *cnx, const pqm_report *r) {
  pquic_stats st;
  pquic_cnx_get_stats(cnx, &st);
  SAME(s, r, MON_F_HANDSHAKE_US, st.handshake_duration_us);
  SAME(s, r, MON_F_RTT_MIN_US, st.rtt_min_us);
  SAME(s, r, MON_F_RTT_SMOOTHED_US, st.rtt_smoothed_us);
  SAME(s, r, MON_F_RTT_VAR_US, st.rtt_var_us);
  SAME(s, r, MON_F_RTT_LATEST_US, st.rtt_latest_us);
  SAME(s, r, MON_F_BYTES_SENT, st.bytes_sent);
  SAME(s, r, MON_F_PACKETS_SENT, st.packets_sent);
  SAME(s, r, MON_F_BYTES_RECEIVED, st.bytes_received);
  SAME(s, r, MON_F_PACKETS_RECEIVED, st.packets_received);
  SAME(s, r, MON_F_LOST, st.packets_lost);
  SAME(s, r, MON_F_RETRANSMITTED, st.packets_retransmitted);
  SAME(s, r, MON_F_SPURIOUS, st.packets_spurious_lost);
  SAME(s, r, MON_F_CWND, st.cwnd);
  SAME(s, r, MON_F_SSTHRESH, st.ssthresh);
  SAME(s, r, MON_F_BYTES_IN_FLIGHT, st.bytes_in_flight);
  SAME(s, r, MON_F_STREAMS_OPENED, st.streams_opened);
  SAME(s, r, MON_F_STREAM_BYTES_SENT, st.stream_bytes_sent);
  SAME(s, r, MON_F_STREAM_BYTES_RECEIVED, st.stream_bytes_received);
  SAME(s, r, MON_F_DROPPED, st.packets_dropped);
  SAME(s, r, MON_F_VERSION, pquic_cnx_version(cnx));
  if (!!(r->flags & MON_FLAG_SERVER) != pquic_cnx_is_server(cnx))
    mismatch(s, r, "role", r->flags & MON_FLAG_SERVER, (uint64_t)pquic_cnx_is_server(cnx));
  if (!!(r->flags & MON_FLAG_HANDSHAKE_DONE) != pquic_cnx_handshake_done(cnx))
    mismatch(s, r, "handshake_done", r->flags, (uint64_t)pquic_cnx_handshake_done(cnx));
  /* The time of the report: the connection's time, at most the
   * simulation's (a requested report uses the time of the last event). */
  uint64_t now = sim_now(s->x->s);
  uint64_t at = r->created_us + r->v[MON_F_UPTIME_US];
  if (r->kind == MON_KIND_REQUEST ? at > now : at != now)
    mismatch(s, r, "created + uptime", at, now);
  uint64_t ooo = r->v[MON_F_OUT_OF_ORDER];
  int exact = r->kind == MON_KIND_REQUEST || r->kind == MON_KIND_CLOSE;
  if (ooo == s->ooo_ref + 1 && !exact)
    s->ooo_behind++;
  else if (ooo != s->ooo_ref)
    mismatch(s, r, "out of order", ooo, s->ooo_ref);
}

static void on_message(pquic_cnx *cnx, const char *plugin, const uint8_t *data, size_t len,
                       void *user) {
  side *s = user;
  pqm_report r;
  if (strcmp(plugin, NAME) != 0 || pqm_report_parse(data, len, &r) != PQM_OK) {
    s->bad++;
    return;
  }
  s->n[r.kind]++;
  s->last[r.kind] = r;
  compare(s, cnx, &r);
}

/* The reference for out-of-order packets: before a packet's frames are
 * processed, its number against the largest the core recorded so far. */
static uint64_t ooo_ref(pquic_cnx *cnx, pquic_op_args *a, void *user) {
  side *s = user;
  const pq_pkt *pkt = (const pq_pkt *)(uintptr_t)a->in[0];
  uint64_t largest = cnx->spaces[pkt->epoch].largest_recv;
  if (largest != PQ_PN_NONE && pkt->pn < largest)
    s->ooo_ref++;
  return 0;
}

static void watch(side *s, pquic_cnx *cnx, uint64_t interval_us, int with_plugin) {
  static const pquic_native_pluglet ref[] = {
      {"process_packet_payload", 0, 0, PQUIC_ANCHOR_PRE, ooo_ref}};
  char err[128] = "";
  s->cnx = cnx;
  int rc = pquic_cnx_attach_native(cnx, "org.pquic.test.ooo-ref", ref, 1, s, err, sizeof err);
  if (rc)
    fail_msg("attach the reference: %s (%s)", pquic_errname(rc), err);
  if (with_plugin && interval_us) {
    uint64_t in[1] = {interval_us}, ret = 1;
    assert_int_equal(pquic_plugin_call(cnx, "monitoring_configure", in, 1, NULL, 0, &ret), 0);
    assert_int_equal(ret, 0);
  }
}

typedef struct run {
  scn x;
  side sides[2]; /* client, server */
  sim_app_conn *c, *sc;
} run;

/* Both endpoints, the client's connection and the server's, watched. */
static void start(run *r, const scn_opts *o, const sim_app_plan *plan, uint64_t interval_us,
                  int with_plugin) {
  memset(r, 0, sizeof *r);
  scn_setup(&r->x, o);
  pquic_endpoint *eps[2] = {sim_pquic_endpoint(r->x.client[0]), sim_pquic_endpoint(r->x.server)};
  for (int i = 0; i < 2; i++) {
    r->sides[i].x = &r->x;
    assert_int_equal(pquic_endpoint_plugin_messages(eps[i], on_message, &r->sides[i]), 0);
    if (with_plugin)
      assert_int_equal(pquic_plugin_inject(eps[i], psc_load(eps[i], NAME)), 0);
  }
  r->c = scn_connect(&r->x, 0, plan);
  watch(&r->sides[0], r->c->cnx, interval_us, with_plugin);
  watch(&r->sides[1], psc_server_cnx(&r->x, 1), interval_us, with_plugin);
}

static int both_closed(void *user) {
  run *r = user;
  r->sc = scn_server_conn(&r->x, r->c);
  return r->c->closed && r->sc && r->sc->closed;
}

static void run_until_closed(run *r, uint64_t deadline) {
  scn_run_pred(&r->x, both_closed, r, deadline, "both sides closed");
}

/* The checks every scenario makes on each side. */
static void check_side(const side *s, const char *who, const sim_app_conn *ac, uint64_t close_kind,
                       uint64_t code, int by_peer) {
  printf("%s: %zu handshake, %zu periodic, %zu requested, %zu close reports; out of order %" PRIu64
         " (%zu reports one behind)\n",
         who, s->n[MON_KIND_HANDSHAKE], s->n[MON_KIND_PERIODIC], s->n[MON_KIND_REQUEST],
         s->n[MON_KIND_CLOSE], s->ooo_ref, s->ooo_behind);
  if (s->mismatch)
    fail_msg("%s: %zu mismatches, first: %s", who, s->mismatch, s->first);
  assert_int_equal(s->bad, 0);
  assert_int_equal(s->n[MON_KIND_CLOSE], 1);
  const pqm_report *cl = &s->last[MON_KIND_CLOSE];
  assert_int_equal(cl->v[MON_F_CLOSE_KIND], close_kind);
  assert_int_equal(cl->v[MON_F_ERROR_CODE], code);
  assert_int_equal(cl->v[MON_F_ERROR_CODE], ac->close_ev.wire_error);
  assert_int_equal(!!(cl->flags & MON_FLAG_CLOSED_BY_PEER), by_peer);
  assert_int_equal(!!(cl->flags & MON_FLAG_CLOSED_BY_PEER), ac->close_ev.closed_by_peer);
  assert_int_equal(cl->v[MON_F_OUT_OF_ORDER], s->ooo_ref);
  /* Every report in order, numbered from 0. */
  size_t total = 0;
  for (int k = 1; k <= MON_KIND_MAX; k++)
    total += s->n[k];
  assert_int_equal(cl->seq, total - 1);
}

/* Both sides name the connection by the client's initial source CID. */
static void check_cids(const run *r) {
  const pqm_report *a = &r->sides[0].last[MON_KIND_CLOSE];
  const pqm_report *b = &r->sides[1].last[MON_KIND_CLOSE];
  assert_true(a->flags & MON_FLAG_CID);
  assert_true(a->cid_len >= 4);
  assert_int_equal(a->cid_len, b->cid_len);
  assert_memory_equal(a->cid, b->cid, a->cid_len);
  assert_false(a->flags & MON_FLAG_SERVER);
  assert_true(b->flags & MON_FLAG_SERVER);
}

/* --- scenarios --- */

typedef struct clean_result {
  uint64_t done_us, packets_sent[2];
} clean_result;

static void clean_run(int with_plugin, clean_result *out) {
  scn_opts o;
  scn_opts_init(&o);
  /* A queue deep enough for slow start's overshoot: nothing is lost. */
  scn_link(&o.up, 100000000, 10000, 50.0);
  scn_link(&o.down, 100000000, 10000, 50.0);
  run r;
  const sim_app_plan plan = {.streams = 1, .size = 2000000};
  start(&r, &o, &plan, 20000, with_plugin);
  scn_run_finished(&r.x, 20000000);
  out->done_us = scn_check_conn(&r.x, r.c);
  pquic_cnx *cnx[2] = {r.c->cnx, scn_server_conn(&r.x, r.c)->cnx};
  for (int i = 0; i < 2; i++) {
    pquic_stats st;
    pquic_cnx_get_stats(cnx[i], &st);
    out->packets_sent[i] = st.packets_sent;
    if (with_plugin) {
      uint64_t ret = 1;
      assert_int_equal(pquic_plugin_call(cnx[i], "monitoring_report", NULL, 0, NULL, 0, &ret), 0);
      assert_int_equal(ret, 0);
    }
  }
  assert_int_equal(pquic_cnx_close(r.c->cnx, 0x11, "done", sim_now(r.x.s)), 0);
  run_until_closed(&r, sim_now(r.x.s) + 2000000);
  if (with_plugin) {
    check_side(&r.sides[0], "client", r.c, MON_CLOSE_APPLICATION, 0x11, 0);
    check_side(&r.sides[1], "server", r.sc, MON_CLOSE_PEER, 0x11, 1);
    check_cids(&r);
    for (int i = 0; i < 2; i++) {
      const side *s = &r.sides[i];
      assert_int_equal(s->n[MON_KIND_HANDSHAKE], 1);
      assert_int_equal(s->n[MON_KIND_REQUEST], 1);
      /* 2 MB at 100 Mbit/s: about 170 ms, a report every 20 ms. */
      assert_true(s->n[MON_KIND_PERIODIC] >= 5);
      const pqm_report *cl = &s->last[MON_KIND_CLOSE];
      assert_int_equal(cl->v[MON_F_LOST], 0);
      assert_int_equal(cl->v[MON_F_OUT_OF_ORDER], 0);
      assert_true(cl->v[MON_F_STREAMS_OPENED] >= 1);
      assert_true(cl->v[MON_F_HANDSHAKE_US] > 0);
      assert_true(cl->v[MON_F_RTT_MIN_US] >= 20000); /* the path's 20 ms */
    }
    /* The sender sampled its window as it grew. */
    const pqm_report *srv = &r.sides[1].last[MON_KIND_CLOSE];
    assert_true(srv->v[MON_F_CWND_UPDATES] > 0);
    assert_true(srv->v[MON_F_CWND_MIN] < srv->v[MON_F_CWND_MAX]);
    assert_true(srv->v[MON_F_STREAM_BYTES_SENT] >= 2000000);
  } else {
    for (int i = 0; i < 2; i++)
      assert_int_equal(r.sides[i].n[MON_KIND_CLOSE], 0);
  }
  scn_free(&r.x);
}

static void plugin_monitoring_clean(void **state) {
  (void)state;
  clean_result with, without;
  clean_run(1, &with);
  clean_run(0, &without);
  /* Observers only: the same run to the microsecond and the packet. */
  assert_int_equal(with.done_us, without.done_us);
  assert_int_equal(with.packets_sent[0], without.packets_sent[0]);
  assert_int_equal(with.packets_sent[1], without.packets_sent[1]);
}

static void plugin_monitoring_loss(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  scn_link(&o.up, 20000000, 20000, 1.0);
  scn_link(&o.down, 20000000, 20000, 1.0);
  o.up.loss = o.down.loss = 0.02;
  o.up.reorder = o.down.reorder = 0.03;
  o.up.reorder_delay_us = o.down.reorder_delay_us = 8000;
  run r;
  const sim_app_plan plan = {.streams = 2, .size = 500000, .close_when_done = 1};
  start(&r, &o, &plan, 50000, 1);
  scn_run_finished(&r.x, 60000000);
  scn_check_conn(&r.x, r.c);
  run_until_closed(&r, sim_now(r.x.s) + 5000000);
  check_side(&r.sides[0], "client", r.c, MON_CLOSE_APPLICATION, 0, 0);
  check_side(&r.sides[1], "server", r.sc, MON_CLOSE_PEER, 0, 1);
  check_cids(&r);
  const pqm_report *cli = &r.sides[0].last[MON_KIND_CLOSE];
  const pqm_report *srv = &r.sides[1].last[MON_KIND_CLOSE];
  printf("server: lost %" PRIu64 ", retransmitted %" PRIu64 ", spurious %" PRIu64
         "; client: out of order %" PRIu64 ", lost %" PRIu64 "\n",
         srv->v[MON_F_LOST], srv->v[MON_F_RETRANSMITTED], srv->v[MON_F_SPURIOUS],
         cli->v[MON_F_OUT_OF_ORDER], cli->v[MON_F_LOST]);
  assert_true(srv->v[MON_F_LOST] > 0);
  assert_true(srv->v[MON_F_RETRANSMITTED] > 0);
  assert_true(cli->v[MON_F_OUT_OF_ORDER] > 0);
  assert_true(r.sides[0].n[MON_KIND_PERIODIC] > 0);
  scn_free(&r.x);
}

static void plugin_monitoring_transport(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  run r;
  const sim_app_plan plan = {.streams = 1, .size = 1000};
  start(&r, &o, &plan, 0, 1);
  while (r.c->done_us == 0) {
    assert_int_equal(sim_run_for(r.x.s, 1000), SIM_DEADLINE);
    assert_true(sim_now(r.x.s) < 2000000);
  }
  /* PADDING, then a MAX_DATA frame (0x10) whose value ends early. */
  uint8_t payload[24] = {0};
  payload[22] = 0x10;
  payload[23] = 0x40;
  uint8_t dgram[1500];
  int n = pq_test_forge_1rtt(r.c->cnx, payload, sizeof payload, dgram, sizeof dgram);
  assert_true(n > 0);
  assert_int_equal(sim_inject(r.x.s, (struct sockaddr *)&r.x.client_addr[0],
                              (struct sockaddr *)&r.x.server_addr, dgram, (size_t)n, 0),
                   SIM_LINK_SENT);
  run_until_closed(&r, sim_now(r.x.s) + 5000000);
  check_side(&r.sides[0], "client", r.c, MON_CLOSE_PEER, PQUIC_WIRE_FRAME_ENCODING_ERROR, 1);
  check_side(&r.sides[1], "server", r.sc, MON_CLOSE_TRANSPORT, PQUIC_WIRE_FRAME_ENCODING_ERROR, 0);
  assert_int_equal(r.sides[1].last[MON_KIND_CLOSE].v[MON_F_FRAME_TYPE], 0x10);
  assert_int_equal(r.sides[0].last[MON_KIND_CLOSE].v[MON_F_FRAME_TYPE], 0);
  scn_free(&r.x);
}

static void plugin_monitoring_idle(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  o.client.max_idle_timeout_us = o.server.max_idle_timeout_us = 1000000;
  run r;
  const sim_app_plan plan = {.streams = 1, .size = 1000};
  start(&r, &o, &plan, 0, 1);
  scn_run_finished(&r.x, 2000000);
  run_until_closed(&r, sim_now(r.x.s) + 5000000);
  check_side(&r.sides[0], "client", r.c, MON_CLOSE_IDLE, 0, 0);
  check_side(&r.sides[1], "server", r.sc, MON_CLOSE_IDLE, 0, 0);
  check_cids(&r);
  scn_free(&r.x);
}

/* The session comes from another server (another ticket key), so the
 * server refuses the 0-RTT the client sends: the client's reports must
 * still equal its core's counts at every moment (refused packets are
 * retransmitted, not lost), and the close report says so. */
static void plugin_monitoring_0rtt_refused(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  o.client.enable_0rtt = o.server.enable_0rtt = 1;
  const sim_app_plan plan = {.streams = 2, .size = 10000, .close_when_done = 1};
  uint8_t session[4096];
  size_t len = 0;
  {
    scn x;
    scn_setup(&x, &o);
    const sim_app_plan first = {.streams = 1, .size = 10000};
    sim_app_conn *c1 = scn_connect(&x, 0, &first);
    scn_run_finished(&x, 1000000);
    scn_check_conn(&x, c1);
    assert_int_equal(pquic_cnx_get_session(c1->cnx, session, sizeof session, &len), 0);
    scn_free(&x);
  }
  o.seed = 2; /* another server, with its own ticket key */
  run r;
  memset(&r, 0, sizeof r);
  scn_setup(&r.x, &o);
  pquic_endpoint *eps[2] = {sim_pquic_endpoint(r.x.client[0]), sim_pquic_endpoint(r.x.server)};
  for (int i = 0; i < 2; i++) {
    r.sides[i].x = &r.x;
    assert_int_equal(pquic_endpoint_plugin_messages(eps[i], on_message, &r.sides[i]), 0);
    assert_int_equal(pquic_plugin_inject(eps[i], psc_load(eps[i], NAME)), 0);
  }
  r.c = scn_connect_session(&r.x, 0, &plan, session, len);
  watch(&r.sides[0], r.c->cnx, 0, 1);
  watch(&r.sides[1], psc_server_cnx(&r.x, 1), 0, 1);
  scn_run_finished(&r.x, 2000000);
  scn_check_conn(&r.x, r.c);
  pquic_stats st;
  pquic_cnx_get_stats(r.c->cnx, &st);
  assert_int_equal(st.early_data, 2); /* offered, refused */
  run_until_closed(&r, sim_now(r.x.s) + 5000000);
  check_side(&r.sides[0], "client", r.c, MON_CLOSE_APPLICATION, 0, 0);
  check_side(&r.sides[1], "server", r.sc, MON_CLOSE_PEER, 0, 1);
  /* What the client sent in 0-RTT arrived all the same, in 1-RTT, without
   * a loss on this lossless path. */
  const pqm_report *cl = &r.sides[0].last[MON_KIND_CLOSE];
  assert_int_equal(cl->v[MON_F_LOST], 0);
  assert_int_equal(cl->v[MON_F_RETRANSMITTED], 0);
  assert_true(cl->v[MON_F_STREAM_BYTES_SENT] > 0);
  scn_free(&r.x);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(plugin_monitoring_clean),        cmocka_unit_test(plugin_monitoring_loss),
      cmocka_unit_test(plugin_monitoring_transport),    cmocka_unit_test(plugin_monitoring_idle),
      cmocka_unit_test(plugin_monitoring_0rtt_refused),
  };
  return scn_main(argc, argv, "plugin_monitoring", tests, sizeof tests / sizeof tests[0]);
}
