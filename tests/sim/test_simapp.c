/* The test application, the pquic binding and the scenario helpers, run
 * over fake_pquic.c (a reliability-free stand-in for the library) on
 * loss-free links: requests, uploads, zero-byte answers, parallelism,
 * closes, several clients, and that corrupted data is caught at the right
 * offset. It checks the test tooling, not QUIC. */
#include <stdio.h>
#include <string.h>

#include "scenario.h"

/* 100 Mbit/s, 10 ms each way, no queue limit (the fake has no congestion
 * control: it sends everything at once). */
static void fake_opts(scn_opts *o) {
  scn_opts_init(o);
  o->up.queue_bytes = 0;
  o->down.queue_bytes = 0;
}

static void downloads_and_uploads(void **state) {
  (void)state;
  scn_opts o;
  fake_opts(&o);
  o.nclients = 2;
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan get = {.streams = 3, .size = 100000};
  const sim_app_plan put = {.streams = 2, .size = 50001, .upload = 1};
  sim_app_conn *a = scn_connect(&x, 0, &get);
  sim_app_conn *b = scn_connect(&x, 1, &put);
  scn_run_finished(&x, 5000000);
  uint64_t da = scn_check_conn(&x, a), db = scn_check_conn(&x, b);
  /* Each side's server connection is told apart by its content keys. */
  assert_true(scn_server_conn(&x, a) != scn_server_conn(&x, b));
  assert_int_equal(x.server_app->nconns, 2);
  assert_true(a->tag != b->tag);
  /* Downloads: 300 kB at 100 Mbit/s (24 ms) after the handshake (20 ms),
   * the request (10 ms) and the last byte's trip (10 ms). */
  uint64_t want = 20000 + 10000 + scn_tx_us(300000, 100000000) + 10000;
  assert_true(da >= want && da <= want + 2000);
  assert_true(db > 20000 && db < 100000);
  assert_int_equal(a->streams[0].body_received, 100000);
  assert_int_equal(b->streams[1].body_sent, 50001);
  assert_int_equal(a->events[PQUIC_EVENT_HANDSHAKE_DONE], 1);
  scn_report(&x, "fake_downloads", 300000, da);
  scn_free(&x);
}

static void zero_bytes_and_sequential(void **state) {
  (void)state;
  scn_opts o;
  fake_opts(&o);
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 3, .size = 0, .parallel = 1};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_finished(&x, 5000000);
  scn_check_conn(&x, c);
  /* One at a time: each request starts when the previous one is done, one
   * round trip (plus a few microseconds of serialization) apart. */
  assert_int_equal(c->streams[1].start_us, c->streams[0].done_us);
  assert_int_equal(c->streams[2].start_us, c->streams[1].done_us);
  uint64_t gap = c->streams[2].done_us - c->streams[1].done_us;
  assert_true(gap >= 20000 && gap <= 20020);
  scn_free(&x);
}

static int both_closed(void *user) {
  scn *x = user;
  return sim_app_all_closed(x->client_app[0]) && sim_app_all_closed(x->server_app);
}

static void close_after_done(void **state) {
  (void)state;
  scn_opts o;
  fake_opts(&o);
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {
      .streams = 1, .size = 1000, .close_when_done = 1, .close_app_error = 0x1234};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_pred(&x, both_closed, &x, 5000000, "close");
  scn_check_conn(&x, c);
  sim_app_conn *s = x.server_app->conns[0];
  assert_int_equal(c->close_ev.wire_error, 0x1234);
  assert_false(c->close_ev.closed_by_peer);
  assert_int_equal(s->close_ev.wire_error, 0x1234);
  assert_true(s->close_ev.closed_by_peer);
  assert_true(s->closed_us - c->closed_us >= 10000); /* one way later */
  assert_true(s->closed_us - c->closed_us <= 10010);
  assert_null(c->cnx);
  assert_int_equal(pquic_endpoint_connection_count(sim_pquic_endpoint(x.server)), 0);
  scn_free(&x);
}

static void close_by_server(void **state) {
  (void)state;
  scn_opts o;
  fake_opts(&o);
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan plan = {.streams = 1, .size = 1000};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_finished(&x, 5000000);
  scn_check_conn(&x, c);
  sim_app_conn *s = scn_server_conn(&x, c);
  sim_app_close(s, 7);
  sim_app_close(s, 8); /* the first request wins */
  scn_run_pred(&x, both_closed, &x, 5000000, "close");
  assert_int_equal(s->close_ev.wire_error, 7);
  assert_false(s->close_ev.closed_by_peer);
  assert_int_equal(c->close_ev.wire_error, 7);
  assert_true(c->close_ev.closed_by_peer);
  scn_free(&x);
}

/* 100 streams (the stream table grows) and a body three times the send
 * buffer (writes are refused, then resumed). */
static void many_streams_and_big_body(void **state) {
  (void)state;
  scn_opts o;
  fake_opts(&o);
  o.nclients = 2;
  scn x;
  scn_setup(&x, &o);
  const sim_app_plan many = {.streams = 100, .size = 1000};
  const sim_app_plan big = {.streams = 1, .size = 3 << 20};
  sim_app_conn *a = scn_connect(&x, 0, &many);
  sim_app_conn *b = scn_connect(&x, 1, &big);
  scn_run_finished(&x, 5000000);
  scn_check_conn(&x, a);
  scn_check_conn(&x, b);
  assert_int_equal(a->nstreams, 100);
  assert_int_equal(a->streams[99].id, 396);
  /* The server writes at most what pquic_stream_writable allows (1 MB at
   * first): all 3 MB arrived, so it resumed after its buffer had filled. */
  assert_int_equal(b->streams[0].body_received, 3 << 20);
  scn_free(&x);
}

/* Flips one bit of body byte `target` of the answer on its way. */
typedef struct flip {
  uint64_t target, seen;
  int done;
} flip;

static int flip_cb(void *user, uint64_t index, uint64_t now, uint8_t *data, size_t *len, size_t cap,
                   uint8_t *ecn) {
  flip *f = user;
  /* fake STREAM datagram: 9-byte header, 19-byte frame header, data. */
  if (data[0] != 3 || *len < 28) {
    return 0;
  }
  size_t n = *len - 28;
  if (!f->done && f->seen + n > f->target) {
    data[28 + (f->target - f->seen)] ^= 0x10;
    f->done = 1;
  }
  f->seen += n;
  return 0;
}

static void corruption_detected(void **state) {
  (void)state;
  scn_opts o;
  fake_opts(&o);
  scn x;
  scn_setup(&x, &o);
  flip f = {.target = 77777};
  sim_link_set_tamper(x.down[0], flip_cb, &f);
  const sim_app_plan plan = {.streams = 1, .size = 100000};
  sim_app_conn *c = scn_connect(&x, 0, &plan);
  scn_run_finished(&x, 5000000);
  assert_true(f.done);
  assert_int_equal(c->streams_failed, 1);
  assert_int_equal(c->streams_done, 0);
  assert_true(c->streams[0].failed);
  assert_int_equal(c->streams[0].bad_offset, 77777);
  scn_free(&x);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(downloads_and_uploads),     cmocka_unit_test(zero_bytes_and_sequential),
      cmocka_unit_test(close_after_done),          cmocka_unit_test(close_by_server),
      cmocka_unit_test(many_streams_and_big_body), cmocka_unit_test(corruption_detected),
  };
  return scn_main(argc, argv, "sim_app_selftest", tests, sizeof tests / sizeof tests[0]);
}
