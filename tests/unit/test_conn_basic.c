/* The connection core end to end between two endpoints in memory, with a
 * lossless zero-delay "wire": handshake, a stream transfer, close, and
 * the pieces of the public API around them. The simulator (tests/sim)
 * covers links, loss and timing. */
#include "pair.h"

/* Counts the records of a qlog file named `name` and checks each one is
 * valid JSON (with Python's parser, which is in the build dependencies). */
static size_t qlog_count(const char *dir, const char *name) {
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "python3 -c 'import json,glob,sys;"
           "t=open(glob.glob(\"%s/*_client.sqlog\")[0]).read();"
           "r=[json.loads(x) for x in t.split(chr(30))[1:]];"
           "assert r[0][\"file_schema\"].endswith(\"sequential\");"
           "print(sum(1 for e in r[1:] if e[\"name\"]==\"%s\"))'",
           dir, name);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  char line[64] = "";
  int ok = fgets(line, sizeof line, p) != NULL;
  assert_int_equal(pclose(p), 0);
  assert_true(ok);
  char *end;
  unsigned long n = strtoul(line, &end, 10);
  assert_true(end != line);
  return n;
}

static void test_handshake_transfer_close(void **state) {
  (void)state;
  pair_side c, s;
  char qdir[] = "/tmp/pquic-qlog-XXXXXX";
  assert_non_null(mkdtemp(qdir));
  pair_side_open(&c, 0, 5000, qdir);
  pair_side_open(&s, 1, 4433, NULL);
  c.check_pattern = s.check_pattern = 1;
  uint64_t now = 1000000;
  pair_connect(&c, &s, now);
  pquic_cnx *cc = c.cnx;
  pair_run_for(&c, &s, &now, pair_handshaken, 100000);
  assert_true(c.handshake_done && s.handshake_done);
  assert_string_equal(pquic_cnx_alpn(cc), "hq-interop");
  assert_true(strlen(pquic_cnx_cipher(cc)) > 0);

  /* 1 MB client to server on one stream. */
  const size_t total = 1 << 20;
  uint8_t *data = malloc(total);
  assert_non_null(data);
  for (size_t i = 0; i < total; i++)
    data[i] = (uint8_t)(i * 7);
  pair_transfer(&c, &s, &now, total, data);
  free(data);
  assert_true(s.fin);
  assert_int_equal(s.received, total);

  pquic_stats st;
  pquic_cnx_get_stats(cc, &st);
  assert_true(st.packets_sent > 700);
  assert_int_equal(st.packets_lost, 0);
  assert_int_equal(st.stream_bytes_sent, total);
  uint64_t sent_before_close = st.packets_sent;

  /* The client closes with an application code; both end. */
  assert_int_equal(pquic_cnx_close(cc, 0x42, "bye", now), 0);
  pair_run_for(&c, &s, &now, pair_closed, 100000);
  assert_true(c.closed && s.closed);
  assert_true(s.peer_closed);
  assert_int_equal(s.close_code, 0x42);
  assert_int_equal(pquic_endpoint_connection_count(c.ep), 0);
  assert_int_equal(pquic_endpoint_connection_count(s.ep), 0);
  pquic_endpoint_free(c.ep);
  pquic_endpoint_free(s.ep);
  /* The qlog observer saw every packet: at least those before the close,
   * and exactly one record per packet (the close adds one or two). */
  size_t logged = qlog_count(qdir, "quic:packet_sent");
  assert_true(logged >= sent_before_close && logged <= sent_before_close + 3);
  assert_int_equal(qlog_count(qdir, "quic:connection_closed"), 1);
  assert_true(qlog_count(qdir, "quic:packet_received") > 20);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", qdir);
  assert_int_equal(system(cmd), 0);
}

static void test_bad_config(void **state) {
  (void)state;
  pquic_config cfg;
  pquic_config_init(&cfg);
  pquic_endpoint *ep;
  cfg.settings.cid_length = 2;
  assert_int_equal(pquic_endpoint_new(&cfg, &ep), PQUIC_ERR_INVAL);
  pquic_config_init(&cfg);
  cfg.accept_incoming = 1;
  cfg.cert_file = "/nonexistent.crt";
  cfg.key_file = "/nonexistent.key";
  assert_int_equal(pquic_endpoint_new(&cfg, &ep), PQUIC_ERR_CERTIFICATE);
  pquic_config_init(&cfg);
  cfg.struct_size = 3;
  assert_int_equal(pquic_endpoint_new(&cfg, &ep), PQUIC_ERR_INVAL);
  pquic_config_init(&cfg);
  cfg.alpn = "";
  assert_int_equal(pquic_endpoint_new(&cfg, &ep), PQUIC_ERR_INVAL);
}

static void test_garbage_datagrams(void **state) {
  (void)state;
  pair_side s;
  pair_side_open(&s, 1, 4433, NULL);
  struct sockaddr_in peer = s.addr;
  peer.sin_port = htons(9999);
  uint8_t junk[1500];
  for (int i = 0; i < 2000; i++) {
    size_t len = (size_t)(i % 1500) + 1;
    pair_rand(NULL, junk, len);
    assert_int_equal(pquic_endpoint_input(s.ep, junk, len, (struct sockaddr *)&s.addr,
                                          (struct sockaddr *)&peer, 0, 1000),
                     0);
  }
  assert_int_equal(pquic_endpoint_connection_count(s.ep), 0);
  pquic_endpoint_free(s.ep);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_handshake_transfer_close),
      cmocka_unit_test(test_bad_config),
      cmocka_unit_test(test_garbage_datagrams),
  };
  return cmocka_run_group_tests(tests, pair_setup, pair_teardown);
}
