/*
 * tests/sim/scenario.h - shared setup for the simulator scenarios.
 *
 * One server at 10.0.0.1:4433 (or [fd00::1]:4433) and up to SCN_MAX_CLIENTS
 * clients at 10.0.1.<i+1>:<50000+i>, each with its own path to the server,
 * all pquic endpoints running the test app (app.h) with the test PKI in
 * tests/sim/certs (Ed25519, SNI sim.pquic.test, verified by the client).
 * The helpers assert with cmocka and, when a run fails, print the
 * simulation's error and every connection's state before failing.
 *
 * Set PQUIC_SIM_TRACE=1 in the environment to print every datagram.
 */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app.h"
#include "sim.h"
#include "sim_pquic.h"

#define SCN_MAX_CLIENTS 8
#define SCN_ALPN "pquic-sim"
#define SCN_SNI "sim.pquic.test"

typedef struct scn_opts {
  uint64_t seed;
  size_t nclients;          /* default 1 */
  int ipv6;                 /* IPv6 addresses instead of IPv4 */
  sim_link_config up, down; /* client -> server, server -> client (every client) */
  pquic_settings client, server;
  uint64_t max_time_us, max_iterations; /* simulation guards (0: sim defaults) */
  const uint8_t *server_reset_key;      /* 32 bytes, or NULL (random) */
  const struct sockaddr *server_preferred; /* announced preferred_address, or NULL */
} scn_opts;

typedef struct scn {
  scn_opts o;
  sim *s;
  struct sockaddr_storage server_addr, client_addr[SCN_MAX_CLIENTS];
  sim_node *server, *client[SCN_MAX_CLIENTS];
  sim_app *server_app, *client_app[SCN_MAX_CLIENTS];
  sim_link *up[SCN_MAX_CLIENTS], *down[SCN_MAX_CLIENTS];
} scn;

/* Defaults: seed 1, one client, pquic's default settings, both directions
 * 100 Mbit/s with 10 ms of propagation delay (RTT 20 ms) and a queue of two
 * bandwidth-delay products. */
void scn_opts_init(scn_opts *o);

/* Sets a link: rate, one-way delay, and a drop-tail queue of queue_bdp
 * times the bandwidth-delay product of the round trip (2 x one_way_us);
 * no loss. */
void scn_link(sim_link_config *c, uint64_t rate_bps, uint64_t one_way_us, double queue_bdp);

/* Builds the simulation: nodes, endpoints, apps, links. */
void scn_setup(scn *x, const scn_opts *o);
void scn_free(scn *x);
/* The server "restarts": its node gets a fresh endpoint with the same
 * configuration, without the old one's connections. Returns the old
 * endpoint, for the test to free after scn_free. */
pquic_endpoint *scn_replace_server(scn *x);

/* Client i connects to the server and will run plan. */
sim_app_conn *scn_connect(scn *x, size_t i, const sim_app_plan *plan);
/* The same, resuming a session blob from pquic_cnx_get_session. */
sim_app_conn *scn_connect_session(scn *x, size_t i, const sim_app_plan *plan,
                                  const uint8_t *session, size_t session_len);

/* Runs until every client connection finished its plan or closed, and
 * asserts it happened before deadline_us. */
void scn_run_finished(scn *x, uint64_t deadline_us);
/* Runs until pred holds, asserting SIM_OK (what names the goal). */
void scn_run_pred(scn *x, sim_pred_fn pred, void *user, uint64_t deadline_us, const char *what);

/* Asserts that a client connection completed every planned request with
 * byte-exact data, no failed or unexpected stream, and the same on the
 * server side; returns its completion time (us). */
uint64_t scn_check_conn(scn *x, const sim_app_conn *c);

/* The server-side connection matching client connection c (by tag), or
 * NULL. */
sim_app_conn *scn_server_conn(scn *x, const sim_app_conn *c);

/* Prints the state of every connection and link to stderr. */
void scn_dump(scn *x, const char *why);
/* One summary line on stdout: name, completion time, goodput, link stats. */
void scn_report(scn *x, const char *name, uint64_t bytes, uint64_t done_us);

/* Fails with both values printed unless value <= bound. */
#define SCN_ASSERT_LE(value, bound, what)                                                          \
  scn_assert_le((value), (bound), (what), __FILE__, __LINE__)
void scn_assert_le(uint64_t value, uint64_t bound, const char *what, const char *file, int line);

/* Serialization time of bytes at rate_bps, in us (rounded up). */
uint64_t scn_tx_us(uint64_t bytes, uint64_t rate_bps);

/* Test runner: runs the cmocka tests; with an argument, only the test of
 * that exact name (an unknown name fails rather than running nothing). */
int scn_main(int argc, char **argv, const char *group, const struct CMUnitTest *tests, size_t n);

#endif
