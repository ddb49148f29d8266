/* Scenarios: versions (RFC 9368, RFC 9369). Compatible negotiation from v1
 * to v2, a client that only speaks v1, incompatible negotiation through a
 * Version Negotiation packet, and no common version at all. */
#include <stdio.h>

#include "scenario.h"

#define KB 1000ull

typedef struct vcase {
  uint32_t client, server;
  int client_strict, server_strict;
} vcase;

/* Runs a 200 KB download; returns the client's connection (kept until
 * scn_free) and its final version through *version. */
static void run(const vcase *v, uint32_t expect, const char *name) {
  scn_opts o;
  scn_opts_init(&o);
  o.client.version = v->client;
  o.client.version_strict = v->client_strict;
  o.server.version = v->server;
  o.server.version_strict = v->server_strict;
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 1, .size = 200 * KB};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_finished(&x, 2000000);
  if (!expect) {
    /* No common version: the client gives up. */
    assert_true(c->closed);
    assert_int_equal(c->close_ev.err, PQUIC_ERR_VERSION);
    assert_false(c->handshake_done);
    scn_free(&x);
    return;
  }
  uint64_t done = scn_check_conn(&x, c);
  scn_report(&x, name, 200 * KB, done);
  assert_int_equal(pquic_cnx_version(c->cnx), expect);
  assert_int_equal(pquic_cnx_version(scn_server_conn(&x, c)->cnx), expect);
  scn_free(&x);
}

/* Defaults: the client starts in v1 offering v2, the server prefers v2. */
static void version_upgrade_v2(void **state) {
  (void)state;
  const vcase v = {0, 0, 0, 0};
  run(&v, PQUIC_VERSION_2, "version_upgrade_v2");
}

static void version_client_v1_only(void **state) {
  (void)state;
  const vcase v = {PQUIC_VERSION_1, 0, 1, 0};
  run(&v, PQUIC_VERSION_1, "version_client_v1_only");
}

static void version_v2_direct(void **state) {
  (void)state;
  const vcase v = {PQUIC_VERSION_2, PQUIC_VERSION_2, 0, 0};
  run(&v, PQUIC_VERSION_2, "version_v2_direct");
}

/* The client starts in v2; a v1-only server answers Version Negotiation;
 * the client starts over in v1. */
static void version_negotiation(void **state) {
  (void)state;
  const vcase v = {PQUIC_VERSION_2, PQUIC_VERSION_1, 0, 1};
  run(&v, PQUIC_VERSION_1, "version_negotiation");
}

static void version_none(void **state) {
  (void)state;
  const vcase v = {PQUIC_VERSION_2, PQUIC_VERSION_1, 1, 1};
  run(&v, 0, "version_none");
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(version_upgrade_v2),  cmocka_unit_test(version_client_v1_only),
      cmocka_unit_test(version_v2_direct),   cmocka_unit_test(version_negotiation),
      cmocka_unit_test(version_none),
  };
  return scn_main(argc, argv, "sim_version", tests, sizeof tests / sizeof tests[0]);
}
