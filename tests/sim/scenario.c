/* Shared scenario setup, runs with diagnostics, checks and reports. */
#include "scenario.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CMake passes the absolute path; the fallback works from the source root. */
#ifndef SIM_CERT_DIR
#define SIM_CERT_DIR "tests/sim/certs"
#endif

void scn_link(sim_link_config *c, uint64_t rate_bps, uint64_t one_way_us, double queue_bdp) {
  sim_link_config_init(c);
  c->rate_bps = rate_bps;
  c->delay_us = one_way_us;
  double bdp = (double)rate_bps / 8.0 * (double)(2 * one_way_us) / 1e6;
  c->queue_bytes = (size_t)(queue_bdp * bdp);
}

void scn_opts_init(scn_opts *o) {
  memset(o, 0, sizeof *o);
  o->seed = 1;
  o->nclients = 1;
  scn_link(&o->up, 100000000, 10000, 2.0);
  scn_link(&o->down, 100000000, 10000, 2.0);
  pquic_settings_init(&o->client);
  pquic_settings_init(&o->server);
}

static void make_config(pquic_config *cfg, const scn_opts *o, int server) {
  const pquic_settings *st = server ? &o->server : &o->client;
  pquic_config_init(cfg);
  cfg->settings = *st;
  cfg->alpn = SCN_ALPN;
  if (server) {
    cfg->stateless_reset_key = o->server_reset_key;
    if (o->server_preferred && o->server_preferred->sa_family == AF_INET)
      cfg->preferred_v4 = o->server_preferred;
    else if (o->server_preferred)
      cfg->preferred_v6 = o->server_preferred;
    cfg->accept_incoming = 1;
    cfg->cert_file = SIM_CERT_DIR "/server.pem";
    cfg->key_file = SIM_CERT_DIR "/server.key";
  } else {
    cfg->ca_file = SIM_CERT_DIR "/ca.pem";
  }
}

void scn_setup(scn *x, const scn_opts *o) {
  memset(x, 0, sizeof *x);
  x->o = *o;
  assert_true(o->nclients >= 1 && o->nclients <= SCN_MAX_CLIENTS);
  sim_config sc;
  sim_config_init(&sc);
  sc.seed = o->seed;
  sc.max_time_us = o->max_time_us;
  sc.max_iterations = o->max_iterations;
  x->s = sim_new(&sc);
  assert_non_null(x->s);
  const char *trace = getenv("PQUIC_SIM_TRACE");
  if (trace != NULL && trace[0] != '\0' && trace[0] != '0') {
    sim_set_trace(x->s, sim_trace_stderr, NULL);
  }

  assert_int_equal(sim_addr(&x->server_addr, o->ipv6 ? "fd00::1" : "10.0.0.1", 4433), 0);
  pquic_config cfg;
  x->server_app = sim_app_new(x->s, 1, sim_mix64(o->seed, 0));
  assert_non_null(x->server_app);
  make_config(&cfg, o, 1);
  sim_app_configure(x->server_app, &cfg);
  int rc = sim_pquic_add(x->s, (struct sockaddr *)&x->server_addr, &cfg, &x->server);
  if (rc != 0) {
    fail_msg("server endpoint: %s", pquic_errname(rc));
  }
  sim_app_attach(x->server_app, x->server);

  for (size_t i = 0; i < o->nclients; i++) {
    char ip[64];
    snprintf(ip, sizeof ip, o->ipv6 ? "fd00::1:%zx" : "10.0.1.%zu", i + 1);
    assert_int_equal(sim_addr(&x->client_addr[i], ip, (uint16_t)(50000 + i)), 0);
    x->client_app[i] = sim_app_new(x->s, 0, sim_mix64(o->seed, i + 1));
    assert_non_null(x->client_app[i]);
    make_config(&cfg, o, 0);
    sim_app_configure(x->client_app[i], &cfg);
    rc = sim_pquic_add(x->s, (struct sockaddr *)&x->client_addr[i], &cfg, &x->client[i]);
    if (rc != 0) {
      fail_msg("client endpoint: %s", pquic_errname(rc));
    }
    sim_app_attach(x->client_app[i], x->client[i]);
    assert_int_equal(sim_add_path(x->s, (struct sockaddr *)&x->client_addr[i],
                                  (struct sockaddr *)&x->server_addr, &o->up, &o->down, &x->up[i],
                                  &x->down[i]),
                     0);
  }
}

pquic_endpoint *scn_replace_server(scn *x) {
  pquic_endpoint *old = sim_pquic_endpoint(x->server);
  pquic_config cfg;
  make_config(&cfg, &x->o, 1);
  sim_app_configure(x->server_app, &cfg);
  cfg.rand = NULL; /* GnuTLS's generator: the node's stays with the old endpoint */
  pquic_endpoint *ep = NULL;
  int rc = pquic_endpoint_new(&cfg, &ep);
  if (rc != 0)
    fail_msg("replacement server endpoint: %s", pquic_errname(rc));
  sim_node_set_ctx(x->server, ep);
  return old;
}

void scn_free(scn *x) {
  /* Endpoints first (sim_free), while the apps their callbacks use exist. */
  sim_free(x->s);
  sim_app_free(x->server_app);
  for (size_t i = 0; i < x->o.nclients; i++) {
    sim_app_free(x->client_app[i]);
  }
  memset(x, 0, sizeof *x);
}

sim_app_conn *scn_connect(scn *x, size_t i, const sim_app_plan *plan) {
  return scn_connect_session(x, i, plan, NULL, 0);
}

sim_app_conn *scn_connect_session(scn *x, size_t i, const sim_app_plan *plan,
                                  const uint8_t *session, size_t session_len) {
  int err = 0;
  sim_app_conn *c = sim_app_connect_session(x->client_app[i], (struct sockaddr *)&x->server_addr,
                                            SCN_SNI, plan, session, session_len, &err);
  if (c == NULL) {
    fail_msg("pquic_connect: %s", pquic_errname(err));
  }
  return c;
}

void scn_dump(scn *x, const char *why) {
  fprintf(stderr, "--- %s (t=%" PRIu64 " us, %" PRIu64 " iterations): %s\n", why, sim_now(x->s),
          sim_iterations(x->s), sim_error(x->s));
  for (size_t i = 0; i < x->o.nclients; i++) {
    char name[32];
    snprintf(name, sizeof name, "client%zu", i);
    sim_app_dump(x->client_app[i], name);
    const sim_link *links[2] = {x->up[i], x->down[i]};
    for (int d = 0; d < 2; d++) {
      const sim_link_stats *st = sim_link_get_stats(links[d]);
      fprintf(stderr,
              "%s %s: offered %" PRIu64 ", delivered %" PRIu64 ", dropped queue %" PRIu64
              " loss %" PRIu64 " tamper %" PRIu64 " mtu %" PRIu64 ", reordered %" PRIu64
              ", max queue %zu B, in flight %zu\n",
              name, d == 0 ? "up" : "down", st->offered, st->delivered, st->dropped_queue,
              st->dropped_loss, st->dropped_tamper, st->dropped_mtu, st->reordered,
              st->max_queue_bytes, sim_link_in_flight(links[d]));
    }
  }
  sim_app_dump(x->server_app, "server");
}

static void expect_ok(scn *x, sim_result r, const char *what) {
  if (r != SIM_OK) {
    scn_dump(x, what);
    fail_msg("%s: simulation ended with '%s': %s", what, sim_result_name(r), sim_error(x->s));
  }
}

static int all_clients_finished(void *user) {
  scn *x = user;
  for (size_t i = 0; i < x->o.nclients; i++) {
    if (x->client_app[i]->nconns > 0 && !sim_app_all_finished(x->client_app[i])) {
      return 0;
    }
  }
  return 1;
}

void scn_run_finished(scn *x, uint64_t deadline_us) {
  expect_ok(x, sim_run_until(x->s, all_clients_finished, x, deadline_us),
            "waiting for every client to finish");
}

void scn_run_pred(scn *x, sim_pred_fn pred, void *user, uint64_t deadline_us, const char *what) {
  expect_ok(x, sim_run_until(x->s, pred, user, deadline_us), what);
}

sim_app_conn *scn_server_conn(scn *x, const sim_app_conn *c) {
  for (size_t i = 0; i < x->server_app->nconns; i++) {
    sim_app_conn *s = x->server_app->conns[i];
    size_t n = s->nstreams < c->nstreams ? s->nstreams : c->nstreams;
    for (size_t j = 0; j < n; j++) {
      /* The server learns a client's tag from its requests: compare keys. */
      if (s->streams[j].used && c->streams[j].used &&
          s->streams[j].key_send == c->streams[j].key_recv) {
        return s;
      }
    }
  }
  return NULL;
}

uint64_t scn_check_conn(scn *x, const sim_app_conn *c) {
  if (c->streams_done != c->plan.streams || c->streams_failed != 0 || c->unexpected_streams != 0 ||
      c->done_us == 0) {
    scn_dump(x, "transfer check");
    fail_msg("client conn: %zu of %zu requests done, %zu failed, %" PRIu64
             " unexpected streams, done at %" PRIu64 " us",
             c->streams_done, c->plan.streams, c->streams_failed, c->unexpected_streams,
             c->done_us);
  }
  for (size_t j = 0; j < c->nstreams; j++) {
    const sim_app_stream *st = &c->streams[j];
    if (st->used) {
      uint64_t want = st->upload ? 0 : st->size;
      assert_int_equal(st->body_received, want);
      assert_int_equal(st->body_sent, st->upload ? st->size : 0);
      assert_true(st->fin_received && st->fin_sent && st->done);
    }
  }
  if (c->plan.streams > 0) {
    const sim_app_conn *s = scn_server_conn(x, c);
    assert_non_null(s);
    assert_int_equal(s->streams_failed, 0);
    assert_int_equal(s->unexpected_streams, 0);
    if (!c->plan.close_when_done) {
      /* The server counts a request done once its answer's FIN is queued,
       * which happened before the client could finish. */
      assert_int_equal(s->streams_done, c->plan.streams);
    }
  }
  return c->done_us;
}

void scn_report(scn *x, const char *name, uint64_t bytes, uint64_t done_us) {
  const sim_link_stats *up = sim_link_get_stats(x->up[0]);
  const sim_link_stats *down = sim_link_get_stats(x->down[0]);
  double secs = (double)done_us / 1e6;
  printf("scenario %s: %" PRIu64 " bytes in %.6f s virtual (%.2f Mbit/s goodput); "
         "down %" PRIu64 " datagrams (%" PRIu64 " lost, %" PRIu64 " queue drops), up %" PRIu64
         " (%" PRIu64 " lost); %" PRIu64 " iterations\n",
         name, bytes, secs, secs > 0 ? (double)bytes * 8 / secs / 1e6 : 0.0, down->offered,
         down->dropped_loss, down->dropped_queue, up->offered, up->dropped_loss,
         sim_iterations(x->s));
}

void scn_assert_le(uint64_t value, uint64_t bound, const char *what, const char *file, int line) {
  if (value > bound) {
    fail_msg("%s:%d: %s: %" PRIu64 " exceeds the bound %" PRIu64, file, line, what, value, bound);
  }
}

uint64_t scn_tx_us(uint64_t bytes, uint64_t rate_bps) {
  return (bytes * 8 * 1000000 + rate_bps - 1) / rate_bps;
}

int scn_main(int argc, char **argv, const char *group, const struct CMUnitTest *tests, size_t n) {
  if (argc > 1) {
    size_t i = 0;
    while (i < n && strcmp(tests[i].name, argv[1]) != 0) {
      i++;
    }
    if (i == n) {
      fprintf(stderr, "%s: no test named '%s'\n", group, argv[1]);
      return 2;
    }
    return _cmocka_run_group_tests(group, &tests[i], 1, NULL, NULL);
  }
  return _cmocka_run_group_tests(group, tests, n, NULL, NULL);
}
