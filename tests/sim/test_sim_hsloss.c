/* Scenario: the loss of each handshake datagram in turn. A loss-free run
 * counts the datagrams each way until a small request has completed; then,
 * for every index i, a run drops exactly datagram i of one direction (the
 * client's Initial is index 0 up, the server's first flight index 0 down,
 * and so on). Runs are identical up to the drop (same seed; the drop takes
 * no random draw), so index i is the same datagram as in the loss-free run.
 * Each must still complete the handshake and the request byte-exact. */
#include <stdio.h>

#include "scenario.h"

typedef struct outcome {
  uint64_t up, down, done_us;
} outcome;

static int finished_and_confirmed(void *user) {
  scn *x = user;
  const sim_app *ca = x->client_app[0];
  return ca->nconns == 1 && (ca->conns[0]->done_us != 0 || ca->conns[0]->closed) &&
         x->server_app->nconns >= 1 && x->server_app->conns[0]->handshake_done;
}

/* dir 0: drop on client->server, 1: server->client; index < 0: no drop. */
static void run_once(int dir, int64_t index, outcome *out) {
  scn_opts o;
  scn_opts_init(&o);
  scn x;
  scn_setup(&x, &o);
  sim_link *l = dir == 0 ? x.up[0] : x.down[0];
  if (index >= 0) {
    assert_int_equal(sim_link_drop_range(l, (uint64_t)index, 1), 0);
  }
  const sim_app_plan plan = {.streams = 1, .size = 5000};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_pred(&x, finished_and_confirmed, &x, 30000000, "handshake and request");
  out->done_us = scn_check_conn(&x, c);
  out->up = sim_link_get_stats(x.up[0])->offered;
  out->down = sim_link_get_stats(x.down[0])->offered;
  if (index >= 0) {
    assert_int_equal(sim_link_get_stats(l)->dropped_loss, 1); /* the drop did happen */
    printf("scenario handshake_loss: %s datagram #%lld dropped: done at %llu us\n",
           dir == 0 ? "client" : "server", (long long)index, (unsigned long long)out->done_us);
  }
  scn_free(&x);
}

static void handshake_loss(void **state) {
  (void)state;
  outcome base;
  run_once(0, -1, &base);
  printf("scenario handshake_loss: loss-free: done at %llu us, %llu datagrams up, %llu down\n",
         (unsigned long long)base.done_us, (unsigned long long)base.up,
         (unsigned long long)base.down);
  assert_true(base.up >= 2 && base.down >= 2);
  /* Before any RTT sample the PTO is 333 ms + 4 x 166.5 ms = 999 ms (RFC
   * 9002 6.2.2, initial RTT 333 ms); if the first probe does not repair the
   * loss (it carries the other packet number space, or the server is held
   * by the anti-amplification limit) the doubled one does: 1 s + 2 s. Plus
   * two round trips to finish. */
  const uint64_t bound = base.done_us + 3000000 + 2 * 20000;
  for (int dir = 0; dir < 2; dir++) {
    uint64_t n = dir == 0 ? base.up : base.down;
    for (uint64_t i = 0; i < n; i++) {
      outcome r;
      run_once(dir, (int64_t)i, &r);
      SCN_ASSERT_LE(r.done_us, bound,
                    dir == 0 ? "completion with a client datagram lost (us)"
                             : "completion with a server datagram lost (us)");
    }
  }
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(handshake_loss),
  };
  return scn_main(argc, argv, "sim_handshake_loss", tests, sizeof tests / sizeof tests[0]);
}
