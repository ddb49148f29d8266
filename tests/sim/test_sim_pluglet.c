/* Scenarios: native pluglets attached through the public API
 * (pquic_cnx_attach_native) change or observe a connection, and only it.
 *
 *   pluglet_rtt        a replace of update_rtt that ignores every sample
 *                      pins the server's RTT estimate at its initial value;
 *   pluglet_cc         a fixed-window congestion controller (replaces of
 *                      cc_on_packet_acked / cc_on_congestion_event /
 *                      cc_on_persistent_congestion) caps goodput at one
 *                      window per round trip on a rate-limited link;
 *   pluglet_observers  pre/post observers of packet_sent / packet_received
 *                      count exactly what pquic_stats counts, and change
 *                      nothing: the run is identical to one without them;
 *   pluglet_loop       two replacements calling each other through
 *                      pquic_op_run close their connection (OP_FAULT, then
 *                      CLOSED, INTERNAL_ERROR on the wire) while another
 *                      connection of the same server endpoint completes.
 *
 * Server-side pluglets are attached when the server's connection first
 * appears: after the step in which it received the client's first Initial,
 * a round trip before it can take its first RTT sample or ACK. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pquic/ops.h"
#include "scenario.h"

/* --- helpers --- */

typedef struct conn_count {
  scn *x;
  size_t n;
} conn_count;

static int server_has_conns(void *user) {
  const conn_count *w = user;
  return w->x->server_app->nconns >= w->n;
}

/* Runs until the server has its n-th connection; returns it. */
static pquic_cnx *server_cnx(scn *x, size_t n) {
  conn_count w = {x, n};
  scn_run_pred(x, server_has_conns, &w, sim_now(x->s) + 2000000, "server connection");
  pquic_cnx *cnx = x->server_app->conns[n - 1]->cnx;
  assert_non_null(cnx);
  return cnx;
}

static void attach(pquic_cnx *cnx, const char *name, const pquic_native_pluglet *pl, size_t n,
                   void *user) {
  char err[128] = "";
  int rc = pquic_cnx_attach_native(cnx, name, pl, n, user, err, sizeof err);
  if (rc != 0) {
    fail_msg("attach %s: %s (%s)", name, pquic_errname(rc), err);
  }
}

static pquic_stats stats_of(pquic_cnx *cnx) {
  pquic_stats st;
  memset(&st, 0, sizeof st);
  assert_non_null(cnx);
  pquic_cnx_get_stats(cnx, &st);
  return st;
}

/* --- pluglet_rtt --- */

#define RTT_INITIAL 100000ull /* the server's initial RTT estimate, both runs */

typedef struct rtt_probe {
  uint64_t calls, min_sample, max_sample;
} rtt_probe;

/* update_rtt(path, latest_rtt, ack_delay): keeps the samples to itself. */
static uint64_t rtt_ignore(pquic_cnx *cnx, pquic_op_args *a, void *user) {
  (void)cnx;
  rtt_probe *p = user;
  assert_int_equal(a->n_in, 3);
  assert_true(a->in[0] != 0);
  uint64_t sample = a->in[1];
  if (p->calls == 0 || sample < p->min_sample) {
    p->min_sample = sample;
  }
  if (sample > p->max_sample) {
    p->max_sample = sample;
  }
  p->calls++;
  return 0;
}

typedef struct rtt_run {
  uint64_t done_us;
  pquic_stats server;
  rtt_probe probe;
} rtt_run;

static void rtt_once(int with_plugin, rtt_run *r) {
  scn_opts o;
  scn_opts_init(&o);
  o.server.initial_rtt_us = RTT_INITIAL;
  scn x;
  scn_setup(&x, &o);
  memset(r, 0, sizeof *r);
  const sim_app_plan plan = {.streams = 1, .size = 2000000};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  pquic_cnx *srv = server_cnx(&x, 1);
  if (with_plugin) {
    const pquic_native_pluglet pl[] = {
        {"update_rtt", 0, 0, PQUIC_ANCHOR_REPLACE, rtt_ignore},
    };
    attach(srv, "org.pquic.test.fixed-rtt", pl, 1, &r->probe);
  }
  scn_run_finished(&x, 30000000);
  r->done_us = scn_check_conn(&x, c);
  r->server = stats_of(scn_server_conn(&x, c)->cnx);
  scn_report(&x, with_plugin ? "pluglet_rtt (fixed)" : "pluglet_rtt (built-in)", plan.size,
             r->done_us);
  scn_free(&x);
}

static void pluglet_rtt(void **state) {
  (void)state;
  rtt_run base, fixed;
  rtt_once(0, &base);
  rtt_once(1, &fixed);
  printf("scenario pluglet_rtt: built-in srtt %" PRIu64 " us, done %" PRIu64
         " us; replaced: srtt %" PRIu64 " us, done %" PRIu64 " us, %" PRIu64
         " samples ignored (%" PRIu64 "..%" PRIu64 " us)\n",
         base.server.rtt_smoothed_us, base.done_us, fixed.server.rtt_smoothed_us, fixed.done_us,
         fixed.probe.calls, fixed.probe.min_sample, fixed.probe.max_sample);
  /* Built-in: the estimate follows the path (20 ms, plus queueing). */
  assert_true(base.server.rtt_smoothed_us >= 20000);
  assert_true(base.server.rtt_smoothed_us < 60000);
  assert_true(base.server.rtt_latest_us >= 20000);
  /* Replaced: the samples reached the pluglet and went no further. */
  assert_true(fixed.probe.calls >= 10);
  assert_true(fixed.probe.min_sample >= 20000);
  assert_true(fixed.probe.max_sample < 1000000);
  assert_int_equal(fixed.server.rtt_smoothed_us, RTT_INITIAL);
  assert_int_equal(fixed.server.rtt_var_us, RTT_INITIAL / 2);
  assert_int_equal(fixed.server.rtt_latest_us, 0);
  /* Pacing at 1.25-2 windows per believed RTT: five times the real RTT
   * makes the transfer markedly slower. */
  assert_true(fixed.done_us > base.done_us + base.done_us / 2);
}

/* --- pluglet_cc --- */

#define CC_RATE 10000000ull
#define CC_ONE_WAY 20000ull
#define CC_SIZE 1000000ull

typedef struct cc_probe {
  uint64_t acked, congestion, persistent;
} cc_probe;

static uint64_t cc_fixed_acked(pquic_cnx *cnx, pquic_op_args *a, void *user) {
  (void)cnx;
  (void)a;
  ((cc_probe *)user)->acked++;
  return 0;
}

static uint64_t cc_fixed_congestion(pquic_cnx *cnx, pquic_op_args *a, void *user) {
  (void)cnx;
  (void)a;
  ((cc_probe *)user)->congestion++;
  return 0;
}

static uint64_t cc_fixed_persistent(pquic_cnx *cnx, pquic_op_args *a, void *user) {
  (void)cnx;
  (void)a;
  ((cc_probe *)user)->persistent++;
  return 0;
}

typedef struct cc_run {
  uint64_t start_us, done_us, window;
  pquic_stats server;
  uint64_t queue_drops;
  cc_probe probe;
} cc_run;

static void cc_once(int with_plugin, cc_run *r) {
  scn_opts o;
  scn_opts_init(&o);
  scn_link(&o.up, CC_RATE, CC_ONE_WAY, 1.0);
  scn_link(&o.down, CC_RATE, CC_ONE_WAY, 1.0);
  scn x;
  scn_setup(&x, &o);
  memset(r, 0, sizeof *r);
  const sim_app_plan plan = {.streams = 1, .size = CC_SIZE};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  pquic_cnx *srv = server_cnx(&x, 1);
  r->window = stats_of(srv).cwnd;
  if (with_plugin) {
    const pquic_native_pluglet pl[] = {
        {"cc_on_packet_acked", 0, 0, PQUIC_ANCHOR_REPLACE, cc_fixed_acked},
        {"cc_on_congestion_event", 0, 0, PQUIC_ANCHOR_REPLACE, cc_fixed_congestion},
        {"cc_on_persistent_congestion", 0, 0, PQUIC_ANCHOR_REPLACE, cc_fixed_persistent},
    };
    attach(srv, "org.pquic.test.fixed-window", pl, 3, &r->probe);
  }
  scn_run_finished(&x, 60000000);
  r->done_us = scn_check_conn(&x, c);
  r->start_us = c->handshake_us;
  r->server = stats_of(scn_server_conn(&x, c)->cnx);
  r->queue_drops = sim_link_get_stats(x.down[0])->dropped_queue;
  scn_report(&x, with_plugin ? "pluglet_cc (fixed window)" : "pluglet_cc (built-in)", CC_SIZE,
             r->done_us);
  scn_free(&x);
}

static void pluglet_cc(void **state) {
  (void)state;
  cc_run base, fixed;
  cc_once(0, &base);
  cc_once(1, &fixed);
  /* One window per round trip: the transfer, once the request is out
   * (handshake done), needs size / window round trips. */
  const uint64_t rtt = 2 * CC_ONE_WAY;
  uint64_t predicted = CC_SIZE * rtt / fixed.window;
  uint64_t took = fixed.done_us - fixed.start_us;
  printf("scenario pluglet_cc: window %" PRIu64 " B, %" PRIu64
         " acks absorbed; built-in done %" PRIu64 " us (cwnd %" PRIu64
         "); fixed window done %" PRIu64 " us, transfer %" PRIu64 " us, predicted %" PRIu64 " us\n",
         fixed.window, fixed.probe.acked, base.done_us, base.server.cwnd, fixed.done_us, took,
         predicted);
  /* The window never moved, though hundreds of packets were acked. */
  assert_true(fixed.probe.acked > 300);
  assert_int_equal(fixed.server.cwnd, fixed.window);
  assert_int_equal(fixed.server.packets_lost, 0);
  assert_int_equal(fixed.queue_drops, 0);
  /* Goodput: one window per round trip, never more; the payload is a
   * little under the packets' size, plus acknowledgement delays. */
  assert_true(took >= predicted);
  SCN_ASSERT_LE(took, predicted + predicted / 4, "fixed-window transfer time (us)");
  /* The built-in controller grows its window and fills the link. */
  assert_true(base.server.cwnd > 2 * fixed.window);
  assert_true(2 * base.done_us < fixed.done_us);
}

/* --- pluglet_observers --- */

typedef struct counter {
  uint64_t sent_pre, sent_post, recv_pre, recv_post;
  uint64_t bad_args;
} counter;

static uint64_t count_sent_pre(pquic_cnx *cnx, pquic_op_args *a, void *user) {
  (void)cnx;
  counter *k = user;
  k->sent_pre++;
  k->bad_args += a->n_in != 1 || a->in[0] == 0;
  return 1234; /* an observer's value is ignored */
}

static uint64_t count_sent_post(pquic_cnx *cnx, pquic_op_args *a, void *user) {
  (void)cnx;
  counter *k = user;
  k->sent_post++;
  k->bad_args += a->n_in != 1 || a->in[0] == 0 || a->ret != 0;
  return 0;
}

static uint64_t count_recv_pre(pquic_cnx *cnx, pquic_op_args *a, void *user) {
  (void)cnx;
  counter *k = user;
  k->recv_pre++;
  k->bad_args += a->n_in != 1 || a->in[0] == 0;
  return 0;
}

static uint64_t count_recv_post(pquic_cnx *cnx, pquic_op_args *a, void *user) {
  (void)cnx;
  counter *k = user;
  k->recv_post++;
  k->bad_args += a->n_in != 1 || a->in[0] == 0 || a->ret != 0;
  return 0;
}

static const pquic_native_pluglet counting[] = {
    {"packet_sent", 0, 0, PQUIC_ANCHOR_PRE, count_sent_pre},
    {"packet_sent", 0, 0, PQUIC_ANCHOR_POST, count_sent_post},
    {"packet_received", 0, 0, PQUIC_ANCHOR_PRE, count_recv_pre},
    {"packet_received", 0, 0, PQUIC_ANCHOR_POST, count_recv_post},
};

typedef struct obs_run {
  uint64_t done_us;
  pquic_stats client, server, server_at_attach;
  counter kc, ks;
} obs_run;

static void obs_once(int with_plugin, obs_run *r) {
  scn_opts o;
  scn_opts_init(&o);
  o.up.loss = o.down.loss = 0.01; /* losses, retransmissions, spurious ones */
  scn x;
  scn_setup(&x, &o);
  memset(r, 0, sizeof *r);
  const sim_app_plan plan = {.streams = 4, .size = 300000, .parallel = 2};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  /* The client has sent nothing yet: its counts start from zero. */
  assert_int_equal(stats_of(c->cnx).packets_sent, 0);
  if (with_plugin) {
    attach(c->cnx, "org.pquic.test.count", counting, 4, &r->kc);
  }
  pquic_cnx *srv = server_cnx(&x, 1);
  r->server_at_attach = stats_of(srv);
  if (with_plugin) {
    attach(srv, "org.pquic.test.count", counting, 4, &r->ks);
  }
  scn_run_finished(&x, 30000000);
  r->done_us = scn_check_conn(&x, c);
  r->client = stats_of(c->cnx);
  r->server = stats_of(srv);
  scn_report(&x, with_plugin ? "pluglet_observers (observed)" : "pluglet_observers (plain)",
             plan.streams * plan.size, r->done_us);
  scn_free(&x);
}

static void pluglet_observers(void **state) {
  (void)state;
  obs_run plain, seen;
  obs_once(0, &plain);
  obs_once(1, &seen);
  const counter *kc = &seen.kc, *ks = &seen.ks;
  printf("scenario pluglet_observers: client sent %" PRIu64 " received %" PRIu64
         "; server sent %" PRIu64 " received %" PRIu64 " since attach; %" PRIu64
         " client packets lost\n",
         kc->sent_pre, kc->recv_pre, ks->sent_pre, ks->recv_pre, seen.client.packets_lost);
  assert_true(seen.client.packets_lost > 0 || seen.server.packets_lost > 0);
  assert_int_equal(kc->bad_args, 0);
  assert_int_equal(ks->bad_args, 0);
  /* Client: attached before its first packet. */
  assert_int_equal(kc->sent_pre, seen.client.packets_sent);
  assert_int_equal(kc->sent_post, seen.client.packets_sent);
  assert_int_equal(kc->recv_pre, seen.client.packets_received);
  assert_int_equal(kc->recv_post, seen.client.packets_received);
  /* Server: everything since it was attached. */
  uint64_t s_sent = seen.server.packets_sent - seen.server_at_attach.packets_sent;
  uint64_t s_recv = seen.server.packets_received - seen.server_at_attach.packets_received;
  assert_true(s_sent > 500);
  assert_int_equal(ks->sent_pre, s_sent);
  assert_int_equal(ks->sent_post, s_sent);
  assert_int_equal(ks->recv_pre, s_recv);
  assert_int_equal(ks->recv_post, s_recv);
  /* Observers change nothing: the same run, to the microsecond. */
  assert_int_equal(seen.done_us, plain.done_us);
  assert_int_equal(seen.client.packets_sent, plain.client.packets_sent);
  assert_int_equal(seen.client.packets_received, plain.client.packets_received);
  assert_int_equal(seen.server.packets_sent, plain.server.packets_sent);
  assert_int_equal(seen.server.packets_lost, plain.server.packets_lost);
  assert_int_equal(seen.server.cwnd, plain.server.cwnd);
}

/* --- pluglet_loop --- */

typedef struct looper {
  uint64_t rtt_calls, pto_calls;
  uint64_t arm_after; /* update_rtt starts calling compute_pto after this many calls */
  int inner_rc;       /* what pquic_op_run returned to the pluglet that closed the loop */
} looper;

/* update_rtt(path, latest_rtt, ack_delay): once armed, asks compute_pto. */
static uint64_t loop_rtt(pquic_cnx *cnx, pquic_op_args *a, void *user) {
  looper *l = user;
  if (++l->rtt_calls > l->arm_after) {
    const uint64_t in[2] = {a->in[0], 2};
    uint64_t pto = 0;
    int rc = pquic_op_run(cnx, "compute_pto", 0, in, 2, NULL, 0, &pto);
    if (rc != 0 && l->inner_rc == 0) {
      l->inner_rc = rc;
    }
  }
  return 0;
}

/* compute_pto(path, epoch): asks update_rtt, which may ask us again. */
static uint64_t loop_pto(pquic_cnx *cnx, pquic_op_args *a, void *user) {
  looper *l = user;
  l->pto_calls++;
  const uint64_t in[3] = {a->in[0], 30000, 0};
  int rc = pquic_op_run(cnx, "update_rtt", 0, in, 3, NULL, 0, NULL);
  if (rc != 0 && l->inner_rc == 0) {
    l->inner_rc = rc;
  }
  return 200000;
}

typedef struct loop_goal {
  sim_app_conn *victim, *victim_server, *other;
} loop_goal;

static int fault_seen(void *user) {
  const loop_goal *g = user;
  return g->victim_server->events[PQUIC_EVENT_OP_FAULT] > 0;
}

static int loop_over(void *user) {
  const loop_goal *g = user;
  return g->victim->closed && g->victim_server->closed && g->other->done_us != 0;
}

static void pluglet_loop(void **state) {
  (void)state;
  scn_opts o;
  scn_opts_init(&o);
  o.nclients = 2;
  scn x;
  scn_setup(&x, &o);
  loop_goal g;
  memset(&g, 0, sizeof g);
  const sim_app_plan big = {.streams = 2, .size = 3000000};
  const sim_app_plan small = {.streams = 1, .size = 2000000};
  /* The other connection first, then the victim: server conns 1 and 2. */
  g.other = scn_connect(&x, 1, &big);
  (void)server_cnx(&x, 1);
  g.victim = scn_connect(&x, 0, &small);
  pquic_cnx *srv = server_cnx(&x, 2);
  g.victim_server = x.server_app->conns[1];
  looper l = {.arm_after = 40};
  const pquic_native_pluglet pl[] = {
      {"update_rtt", 0, 0, PQUIC_ANCHOR_REPLACE, loop_rtt},
      {"compute_pto", 0, 0, PQUIC_ANCHOR_REPLACE, loop_pto},
  };
  attach(srv, "org.pquic.test.loop", pl, 2, &l);

  scn_run_pred(&x, fault_seen, &g, 20000000, "operation fault on the victim");
  uint64_t t_fault = sim_now(x.s);
  /* The fault is reported first; the connection is closing, not gone. */
  assert_int_equal(g.victim_server->events[PQUIC_EVENT_OP_FAULT], 1);
  assert_false(g.victim_server->closed);
  assert_int_equal(l.inner_rc, PQUIC_ERR_OP_LOOP);
  assert_true(g.victim->handshake_done);
  assert_int_equal(g.victim->done_us, 0); /* mid-transfer */
  assert_int_equal(g.other->done_us, 0);

  scn_run_pred(&x, loop_over, &g, t_fault + 30000000, "victim closed, other done");
  /* The victim's server side: closed by itself, for the loop. */
  assert_int_equal(g.victim_server->close_ev.err, PQUIC_ERR_OP_LOOP);
  assert_int_equal(g.victim_server->close_ev.wire_error, PQUIC_WIRE_INTERNAL_ERROR);
  assert_false(g.victim_server->close_ev.wire_error_is_app);
  assert_false(g.victim_server->close_ev.closed_by_peer);
  const char *why = g.victim_server->close_reason;
  if (strstr(why, "already running") == NULL ||
      (strstr(why, "update_rtt") == NULL && strstr(why, "compute_pto") == NULL)) {
    fail_msg("close reason '%s' does not name the looping operation", why);
  }
  /* Its client learned INTERNAL_ERROR from the wire. */
  assert_true(g.victim->close_ev.closed_by_peer);
  assert_int_equal(g.victim->close_ev.wire_error, PQUIC_WIRE_INTERNAL_ERROR);
  assert_false(g.victim->close_ev.wire_error_is_app);
  assert_int_equal(g.victim->events[PQUIC_EVENT_OP_FAULT], 0);
  SCN_ASSERT_LE(g.victim->closed_us, t_fault + 1000000, "victim client close time (us)");
  /* The other connection of the same server endpoint: untouched. */
  assert_false(g.other->closed);
  assert_int_equal(x.server_app->conns[0]->events[PQUIC_EVENT_OP_FAULT], 0);
  scn_check_conn(&x, g.other);
  assert_int_equal(pquic_endpoint_connection_count(sim_pquic_endpoint(x.server)), 1);
  printf("scenario pluglet_loop: %" PRIu64 " update_rtt / %" PRIu64
         " compute_pto calls; fault at %" PRIu64 " us (\"%s\"), victim closed at %" PRIu64
         " us; other done at %" PRIu64 " us\n",
         l.rtt_calls, l.pto_calls, t_fault, why, g.victim_server->closed_us, g.other->done_us);
  scn_free(&x);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pluglet_rtt),
      cmocka_unit_test(pluglet_cc),
      cmocka_unit_test(pluglet_observers),
      cmocka_unit_test(pluglet_loop),
  };
  return scn_main(argc, argv, "sim_pluglet", tests, sizeof tests / sizeof tests[0]);
}
