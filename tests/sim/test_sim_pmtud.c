/* Scenarios: DPLPMTUD (RFC 9000 14.3). Starting from 1252-byte datagrams
 * the sender probes upwards: on a 1500-byte path it reaches its own limit
 * (max_udp_payload_size 1472); on a 1400-byte path it settles within one
 * search step below 1400; a peer that accepts less caps it. Probe losses
 * are not congestion. */
#include <stdio.h>

#include "scenario.h"

#define MB 1000000ull

/* Returns the server's datagram size; *too_big: datagrams the link refused. */
static uint64_t run(uint32_t link_mtu, uint32_t client_max_payload, uint64_t *lost) {
  scn_opts o;
  scn_opts_init(&o);
  o.down.mtu = link_mtu;
  o.up.mtu = link_mtu;
  if (client_max_payload)
    o.client.max_udp_payload_size = client_max_payload;
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 1, .size = 3 * MB};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_finished(&x, 3000000);
  scn_check_conn(&x, c);
  pquic_stats ss;
  pquic_cnx_get_stats(scn_server_conn(&x, c)->cnx, &ss);
  *lost = ss.packets_lost;
  /* Every datagram the link refused as too big was a probe: at most three
   * per size tried, and a binary search over 1252..1472 tries few sizes. */
  *lost = sim_link_get_stats(x.down[0])->dropped_mtu;
  scn_free(&x);
  return ss.max_udp_payload;
}

static void pmtud_clean_path(void **state) {
  (void)state;
  uint64_t lost;
  assert_int_equal(run(1500, 0, &lost), 1472);
  assert_int_equal(lost, 0);
}

static void pmtud_small_path(void **state) {
  (void)state;
  uint64_t lost;
  uint64_t size = run(1400, 0, &lost);
  assert_true(size <= 1400 && size > 1400 - 16);
  assert_true(lost >= 3 && lost <= 12);
}

static void pmtud_peer_limit(void **state) {
  (void)state;
  uint64_t lost;
  assert_int_equal(run(1500, 1350, &lost), 1350);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pmtud_clean_path),
      cmocka_unit_test(pmtud_small_path),
      cmocka_unit_test(pmtud_peer_limit),
  };
  return scn_main(argc, argv, "sim_pmtud", tests, sizeof tests / sizeof tests[0]);
}
