/* Transport parameters: the RFC 9001 sample client parameters, every
 * parameter round-tripped for each role, every TRANSPORT_PARAMETER rule,
 * duplicates, unknown and grease parameters, extension parameters,
 * truncation at every offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "wire/tp.h"
#include "wire_forge.h"

static void tp_int(forge *f, uint64_t id, uint64_t v) {
  f_varint(f, id);
  f_varint(f, pq_varint_len(v));
  f_varint(f, v);
}

static void tp_bytes(forge *f, uint64_t id, const void *p, size_t n) {
  f_varint(f, id);
  f_varint(f, n);
  f_bytes(f, p, n);
}

static const uint8_t cid8[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

/* The parameters every sender must include, appended last. */
static void tp_required(forge *f, bool server) {
  if (server)
    tp_bytes(f, PQ_TP_ORIGINAL_DCID, cid8, 8);
  tp_bytes(f, PQ_TP_INITIAL_SCID, cid8, 4);
}

static void expect_tp_error(const forge *f, bool server, const char *want_rule) {
  pq_tp tp;
  const char *rule = NULL;
  assert_int_equal(pq_tp_decode(f->b, f->n, server, &tp, &rule), PQUIC_ERR_TRANSPORT_PARAMETER);
  assert_non_null(rule);
  if (want_rule)
    assert_string_equal(rule, want_rule);
}

/* RFC 9001 A.2: the quic_transport_parameters of the sample ClientHello. */
static void test_rfc_client_params(void **state) {
  (void)state;
  uint8_t b[64];
  size_t n = unhex("0408ffffffffffffffff05048000ffff07048000ffff0801100104800075300901100f08"
                   "8394c8f03e51570806048000ffff",
                   b, sizeof b);
  assert_int_equal(n, 0x32);
  pq_tp tp;
  const char *rule = NULL;
  assert_int_equal(pq_tp_decode(b, n, false, &tp, &rule), 0);
  assert_int_equal(tp.initial_max_data, PQ_VARINT_MAX);
  assert_int_equal(tp.initial_max_stream_data_bidi_local, 0xffff);
  assert_int_equal(tp.initial_max_stream_data_bidi_remote, 0xffff);
  assert_int_equal(tp.initial_max_stream_data_uni, 0xffff);
  assert_int_equal(tp.initial_max_streams_bidi, 16);
  assert_int_equal(tp.initial_max_streams_uni, 16);
  assert_int_equal(tp.max_idle_timeout, 30000);
  assert_true(pq_cid_eq_bytes(&tp.initial_scid, cid8, 8));
  assert_true(pq_tp_has(&tp, PQ_TP_INITIAL_SCID));
  assert_false(pq_tp_has(&tp, PQ_TP_MAX_ACK_DELAY));
  /* Absent parameters have their defaults. */
  assert_int_equal(tp.max_udp_payload_size, 65527);
  assert_int_equal(tp.ack_delay_exponent, 3);
  assert_int_equal(tp.max_ack_delay, 25);
  assert_int_equal(tp.active_connection_id_limit, 2);
  assert_int_equal(tp.max_datagram_frame_size, 0);
  assert_int_equal(tp.n_ext, 0);
  /* From a server it lacks original_destination_connection_id. */
  assert_int_equal(pq_tp_decode(b, n, true, &tp, &rule), PQUIC_ERR_TRANSPORT_PARAMETER);
  assert_string_equal(rule, "original_destination_connection_id missing from a server");
  /* Re-encoded, it decodes to the same (integers re-encoded minimally). */
  pq_tp first;
  assert_int_equal(pq_tp_decode(b, n, false, &first, NULL), 0);
  uint8_t out[128];
  pq_wbuf w = pq_wbuf_make(out, sizeof out);
  assert_int_equal(pq_tp_encode(&w, &first, false, &rule), 0);
  assert_int_equal(pq_tp_decode(out, (size_t)(w.p - out), false, &tp, &rule), 0);
  assert_true(pq_tp_equal(&tp, &first));
}

/* A server's parameters with every field set. */
static void fill_server(pq_tp *tp) {
  pq_tp_init(tp);
  const uint8_t odcid[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  assert_true(pq_cid_set(&tp->original_dcid, odcid, 20));
  assert_true(pq_cid_set(&tp->initial_scid, cid8, 8));
  assert_true(pq_cid_set(&tp->retry_scid, cid8 + 2, 5));
  tp->max_idle_timeout = 30000;
  memset(tp->stateless_reset_token, 0x5a, 16);
  tp->max_udp_payload_size = 1200;
  tp->initial_max_data = PQ_VARINT_MAX;
  tp->initial_max_stream_data_bidi_local = 1;
  tp->initial_max_stream_data_bidi_remote = 64;
  tp->initial_max_stream_data_uni = 16384;
  tp->initial_max_streams_bidi = UINT64_C(1) << 60;
  tp->initial_max_streams_uni = 0;
  tp->ack_delay_exponent = 20;
  tp->max_ack_delay = (1u << 14) - 1;
  tp->active_connection_id_limit = 2;
  pq_preferred_address *pa = &tp->preferred_address;
  memcpy(pa->ipv4, "\x0a\x00\x00\x01", 4);
  pa->ipv4_port = 4433;
  memset(pa->ipv6, 0xfe, 16);
  pa->ipv6_port = 443;
  assert_true(pq_cid_set(&pa->cid, odcid + 3, 12));
  memset(pa->reset_token, 0x77, 16);
  tp->chosen_version = 0x6b3343cf;
  tp->available_versions[0] = 0x00000001;
  tp->available_versions[1] = 0x1a2a3a4a;
  tp->n_available_versions = 2; /* a server need not list its chosen one */
  tp->max_datagram_frame_size = 65535;
  static const uint64_t all[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x20, 0x2ab2};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    pq_tp_mark(tp, all[i]);
}

static void test_roundtrip_all(void **state) {
  (void)state;
  pq_tp tp, back;
  fill_server(&tp);
  assert_int_equal(tp.present, 0xfffffu); /* 20 parameters */
  const uint8_t ext_val[3] = {9, 8, 7};
  assert_int_equal(pq_tp_add_ext(&tp, 27, ext_val, 3), 0);             /* grease, N = 0 */
  assert_int_equal(pq_tp_add_ext(&tp, 0xff73db, NULL, 0), 0);          /* unknown, empty */
  assert_int_equal(pq_tp_add_ext(&tp, 31 * 1000 + 27, ext_val, 1), 0); /* grease */
  uint8_t out[512];
  pq_wbuf w = pq_wbuf_make(out, sizeof out);
  const char *rule = NULL;
  assert_int_equal(pq_tp_encode(&w, &tp, true, &rule), 0);
  size_t n = (size_t)(w.p - out);
  assert_int_equal(pq_tp_decode(out, n, true, &back, &rule), 0);
  assert_true(pq_tp_equal(&tp, &back));
  assert_int_equal(back.n_ext, 3);
  assert_true(pq_tp_is_grease(back.ext[0].id));
  assert_false(pq_tp_is_grease(back.ext[1].id));
  assert_true(pq_tp_is_grease(back.ext[2].id));
  const pq_tp_ext *e = pq_tp_find_ext(&back, 27);
  assert_non_null(e);
  assert_int_equal(e->len, 3);
  assert_true(e->value >= out && e->value + 3 <= out + n); /* points into the input */
  assert_memory_equal(e->value, ext_val, 3);
  assert_null(pq_tp_find_ext(&back, 28));
  /* Not equal after any change. */
  back.preferred_address.ipv6_port++;
  assert_false(pq_tp_equal(&tp, &back));
  /* Every strict prefix is refused: cut inside a parameter, or missing the
   * required ones... except prefixes ending on a parameter boundary after
   * both required ones (ids 0x00 and 0x0f come early here). */
  size_t ok_prefixes = 0;
  for (size_t cut = 0; cut < n; cut++) {
    int rc = pq_tp_decode(out, cut, true, &back, &rule);
    if (rc == 0)
      ok_prefixes++;
    else
      assert_int_equal(rc, PQUIC_ERR_TRANSPORT_PARAMETER);
  }
  assert_true(ok_prefixes > 0 && ok_prefixes < 10);
  /* Every too-small buffer: BUFFER_TOO_SMALL, w not moved. */
  for (size_t cap = 0; cap < n; cap++) {
    w = pq_wbuf_make(out, cap);
    assert_int_equal(pq_tp_encode(&w, &tp, true, NULL), PQUIC_ERR_BUFFER_TOO_SMALL);
    assert_ptr_equal(w.p, out);
  }
}

/* Encoding as a client refuses server-only parameters. */
static void test_encode_roles(void **state) {
  (void)state;
  pq_tp tp;
  const uint64_t server_only[4] = {PQ_TP_ORIGINAL_DCID, PQ_TP_STATELESS_RESET_TOKEN,
                                   PQ_TP_PREFERRED_ADDRESS, PQ_TP_RETRY_SCID};
  uint8_t out[512];
  for (int i = 0; i < 4; i++) {
    fill_server(&tp);
    for (int j = 0; j < 4; j++)
      if (j != i)
        tp.present &= ~(UINT32_C(1) << pq_tp_bit(server_only[j]));
    tp.available_versions[1] = tp.chosen_version; /* a client lists it */
    pq_wbuf w = pq_wbuf_make(out, sizeof out);
    const char *rule = NULL;
    assert_int_equal(pq_tp_encode(&w, &tp, false, &rule), PQUIC_ERR_TRANSPORT_PARAMETER);
    assert_string_equal(rule, "server-only transport parameter sent by a client");
    assert_ptr_equal(w.p, out);
    pq_tp_mark(&tp, PQ_TP_ORIGINAL_DCID); /* required from a server */
    assert_int_equal(pq_tp_encode(&w, &tp, true, &rule), 0);
    /* Decoding the same bytes as a client's is refused too. */
    assert_int_equal(pq_tp_decode(out, (size_t)(w.p - out), false, &tp, &rule),
                     PQUIC_ERR_TRANSPORT_PARAMETER);
    assert_string_equal(rule, "server-only transport parameter sent by a client");
  }
  /* Extension entries with known or repeated ids are refused. */
  fill_server(&tp);
  tp.ext[0] = (pq_tp_ext){PQ_TP_MAX_ACK_DELAY, NULL, 0};
  tp.n_ext = 1;
  pq_wbuf w = pq_wbuf_make(out, sizeof out);
  assert_int_equal(pq_tp_encode(&w, &tp, true, NULL), PQUIC_ERR_INVAL);
  tp.ext[0] = (pq_tp_ext){100, NULL, 0};
  tp.ext[1] = (pq_tp_ext){100, NULL, 0};
  tp.n_ext = 2;
  assert_int_equal(pq_tp_encode(&w, &tp, true, NULL), PQUIC_ERR_INVAL);
  assert_ptr_equal(w.p, out);
  /* add_ext's own checks and its limit. */
  pq_tp_init(&tp);
  assert_int_equal(pq_tp_add_ext(&tp, PQ_TP_GREASE_QUIC_BIT, NULL, 0), PQUIC_ERR_INVAL);
  assert_int_equal(pq_tp_add_ext(&tp, PQ_VARINT_MAX + 1, NULL, 0), PQUIC_ERR_INVAL);
  assert_int_equal(pq_tp_add_ext(&tp, 0x40, NULL, 1), PQUIC_ERR_INVAL);
  for (int i = 0; i < PQ_TP_MAX_EXT; i++)
    assert_int_equal(pq_tp_add_ext(&tp, 0x100 + (uint64_t)i, NULL, 0), 0);
  assert_int_equal(pq_tp_add_ext(&tp, 0x100, NULL, 0), PQUIC_ERR_INVAL);
  assert_int_equal(pq_tp_add_ext(&tp, 0x200, NULL, 0), PQUIC_ERR_LIMIT);
  /* Hand-filled values the wire cannot carry. */
  fill_server(&tp);
  tp.initial_max_data = PQ_VARINT_MAX + 1;
  const char *rule = NULL;
  assert_int_equal(pq_tp_encode(&w, &tp, true, &rule), PQUIC_ERR_TRANSPORT_PARAMETER);
  assert_string_equal(rule, "transport parameter value over 2^62-1");
  fill_server(&tp);
  tp.retry_scid.len = 21;
  assert_int_equal(pq_tp_encode(&w, &tp, true, &rule), PQUIC_ERR_TRANSPORT_PARAMETER);
  fill_server(&tp);
  tp.n_available_versions = PQ_TP_MAX_VERSIONS + 1;
  assert_int_equal(pq_tp_encode(&w, &tp, true, &rule), PQUIC_ERR_TRANSPORT_PARAMETER);
  assert_ptr_equal(w.p, out);
}

/* Value ranges (RFC 9000 section 18.2): each limit and its neighbour. */
static void test_value_ranges(void **state) {
  (void)state;
  const struct {
    uint64_t id, bad, good;
    const char *rule;
  } cases[] = {
      {PQ_TP_MAX_UDP_PAYLOAD_SIZE, 1199, 1200, "max_udp_payload_size below 1200"},
      {PQ_TP_ACK_DELAY_EXPONENT, 21, 20, "ack_delay_exponent above 20"},
      {PQ_TP_MAX_ACK_DELAY, 1u << 14, (1u << 14) - 1, "max_ack_delay of 2^14 ms or more"},
      {PQ_TP_ACTIVE_CONNECTION_ID_LIMIT, 1, 2, "active_connection_id_limit below 2"},
      {PQ_TP_INITIAL_MAX_STREAMS_BIDI, (UINT64_C(1) << 60) + 1, UINT64_C(1) << 60,
       "initial_max_streams_bidi above 2^60"},
      {PQ_TP_INITIAL_MAX_STREAMS_UNI, (UINT64_C(1) << 60) + 1, UINT64_C(1) << 60,
       "initial_max_streams_uni above 2^60"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (int server = 0; server < 2; server++) {
      forge f;
      f_reset(&f);
      tp_int(&f, cases[i].id, cases[i].bad);
      tp_required(&f, server);
      expect_tp_error(&f, server, cases[i].rule);
      f_reset(&f);
      tp_int(&f, cases[i].id, cases[i].good);
      tp_required(&f, server);
      pq_tp tp;
      assert_int_equal(pq_tp_decode(f.b, f.n, server, &tp, NULL), 0);
      assert_true(pq_tp_has(&tp, cases[i].id));
    }
  }
  /* active_connection_id_limit 0 too. */
  forge f;
  f_reset(&f);
  tp_int(&f, PQ_TP_ACTIVE_CONNECTION_ID_LIMIT, 0);
  tp_required(&f, false);
  expect_tp_error(&f, false, "active_connection_id_limit below 2");
}

static void test_lengths(void **state) {
  (void)state;
  forge f;
  pq_tp tp;
  /* An integer must fill its length exactly: shorter, longer, empty. */
  f_reset(&f);
  f_hex(&f, "01 02 05 00");
  tp_required(&f, false);
  expect_tp_error(&f, false, "integer transport parameter length does not match its value");
  f_reset(&f);
  f_hex(&f, "01 01 4005");
  tp_required(&f, false);
  expect_tp_error(&f, false, "integer transport parameter length does not match its value");
  f_reset(&f);
  f_hex(&f, "04 00");
  tp_required(&f, false);
  expect_tp_error(&f, false, "integer transport parameter length does not match its value");
  /* A non-minimal integer that fills its length is fine. */
  f_reset(&f);
  f_hex(&f, "01 08 c000000000000005");
  tp_required(&f, false);
  assert_int_equal(pq_tp_decode(f.b, f.n, false, &tp, NULL), 0);
  assert_int_equal(tp.max_idle_timeout, 5);
  /* Connection IDs up to 20 bytes, zero allowed. */
  uint8_t cid21[21] = {0};
  f_reset(&f);
  tp_bytes(&f, PQ_TP_INITIAL_SCID, cid21, 21);
  expect_tp_error(&f, false, "connection ID transport parameter longer than 20 bytes");
  f_reset(&f);
  tp_bytes(&f, PQ_TP_INITIAL_SCID, cid21, 0);
  assert_int_equal(pq_tp_decode(f.b, f.n, false, &tp, NULL), 0);
  assert_int_equal(tp.initial_scid.len, 0);
  f_reset(&f);
  tp_bytes(&f, PQ_TP_RETRY_SCID, cid21, 21);
  tp_required(&f, true);
  expect_tp_error(&f, true, "connection ID transport parameter longer than 20 bytes");
  /* stateless_reset_token: exactly 16. */
  for (size_t n = 15; n <= 17; n += 2) {
    f_reset(&f);
    tp_bytes(&f, PQ_TP_STATELESS_RESET_TOKEN, cid21, n);
    tp_required(&f, true);
    expect_tp_error(&f, true, "stateless_reset_token is not 16 bytes");
  }
  /* Flags are empty. */
  f_reset(&f);
  f_hex(&f, "0c 01 00");
  tp_required(&f, false);
  expect_tp_error(&f, false, "disable_active_migration is not empty");
  f_reset(&f);
  f_hex(&f, "6ab2 01 00");
  tp_required(&f, false);
  expect_tp_error(&f, false, "grease_quic_bit is not empty");
  f_reset(&f);
  f_hex(&f, "0c 00 6ab2 00");
  tp_required(&f, false);
  assert_int_equal(pq_tp_decode(f.b, f.n, false, &tp, NULL), 0);
  assert_true(pq_tp_has(&tp, PQ_TP_DISABLE_ACTIVE_MIGRATION));
  assert_true(pq_tp_has(&tp, PQ_TP_GREASE_QUIC_BIT));
  /* Truncated id, length, or value. */
  const char *truncs[] = {"40", "01", "01 02 05", "01 40"};
  for (int i = 0; i < 4; i++) {
    f_reset(&f);
    tp_required(&f, false);
    f_hex(&f, truncs[i]);
    expect_tp_error(&f, false, "transport parameter truncated");
  }
}

static void test_preferred_address(void **state) {
  (void)state;
  forge f;
  pq_tp tp;
  uint8_t body[64];
  /* 4 + 2 + 16 + 2, CID length, CID, token. */
  memset(body, 0x11, sizeof body);
  body[24] = 4;
  f_reset(&f);
  tp_bytes(&f, PQ_TP_PREFERRED_ADDRESS, body, 25 + 4 + 16);
  tp_required(&f, true);
  assert_int_equal(pq_tp_decode(f.b, f.n, true, &tp, NULL), 0);
  assert_int_equal(tp.preferred_address.cid.len, 4);
  assert_int_equal(tp.preferred_address.ipv4_port, 0x1111);
  /* One byte more or less than its contents. */
  const size_t wrong[2] = {25 + 4 + 16 - 1, 25 + 4 + 16 + 1};
  for (int i = 0; i < 2; i++) {
    f_reset(&f);
    tp_bytes(&f, PQ_TP_PREFERRED_ADDRESS, body, wrong[i]);
    tp_required(&f, true);
    expect_tp_error(&f, true, "preferred_address length does not match its contents");
  }
  f_reset(&f);
  tp_bytes(&f, PQ_TP_PREFERRED_ADDRESS, body, 20);
  tp_required(&f, true);
  expect_tp_error(&f, true, "preferred_address length does not match its contents");
  /* Zero-length and over-long CIDs. */
  body[24] = 0;
  f_reset(&f);
  tp_bytes(&f, PQ_TP_PREFERRED_ADDRESS, body, 25 + 16);
  tp_required(&f, true);
  expect_tp_error(&f, true, "preferred_address with a zero-length connection ID");
  body[24] = 21;
  f_reset(&f);
  tp_bytes(&f, PQ_TP_PREFERRED_ADDRESS, body, 25 + 21 + 16);
  tp_required(&f, true);
  expect_tp_error(&f, true, "preferred_address connection ID longer than 20 bytes");
  /* A server using a zero-length CID must not send one. */
  body[24] = 4;
  f_reset(&f);
  tp_bytes(&f, PQ_TP_PREFERRED_ADDRESS, body, 25 + 4 + 16);
  tp_bytes(&f, PQ_TP_ORIGINAL_DCID, cid8, 8);
  tp_bytes(&f, PQ_TP_INITIAL_SCID, cid8, 0);
  expect_tp_error(&f, true, "preferred_address from a server using a zero-length connection ID");
}

static void forge_vi(forge *f, const uint32_t *v, size_t n) {
  f_varint(f, PQ_TP_VERSION_INFORMATION);
  f_varint(f, 4 * n);
  for (size_t i = 0; i < n; i++)
    f_uint(f, v[i], 4);
}

static void test_version_information(void **state) {
  (void)state;
  forge f;
  pq_tp tp;
  const uint32_t good[3] = {0x6b3343cf, 0x6b3343cf, 0x00000001};
  f_reset(&f);
  forge_vi(&f, good, 3);
  tp_required(&f, false);
  assert_int_equal(pq_tp_decode(f.b, f.n, false, &tp, NULL), 0);
  assert_int_equal(tp.chosen_version, 0x6b3343cf);
  assert_int_equal(tp.n_available_versions, 2);
  assert_int_equal(tp.available_versions[1], 1);
  /* A client must list its chosen version; a server need not, and may list
   * none at all. */
  const uint32_t unlisted[2] = {0x6b3343cf, 0x00000001};
  f_reset(&f);
  forge_vi(&f, unlisted, 2);
  tp_required(&f, false);
  expect_tp_error(&f, false, "client version_information does not list its chosen version");
  f_reset(&f);
  forge_vi(&f, unlisted, 2);
  tp_required(&f, true);
  assert_int_equal(pq_tp_decode(f.b, f.n, true, &tp, NULL), 0);
  f_reset(&f);
  forge_vi(&f, unlisted, 1);
  tp_required(&f, true);
  assert_int_equal(pq_tp_decode(f.b, f.n, true, &tp, NULL), 0);
  assert_int_equal(tp.n_available_versions, 0);
  /* Zero versions. */
  const uint32_t zero_chosen[2] = {0, 0};
  f_reset(&f);
  forge_vi(&f, zero_chosen, 1);
  tp_required(&f, true);
  expect_tp_error(&f, true, "version_information chosen version is 0");
  const uint32_t zero_avail[3] = {1, 1, 0};
  f_reset(&f);
  forge_vi(&f, zero_avail, 3);
  tp_required(&f, true);
  expect_tp_error(&f, true, "version_information lists version 0");
  /* Lengths: empty, not a multiple of 4. */
  const char *bad_lengths[] = {"11 00", "11 03 000000", "11 05 0000000101"};
  for (int i = 0; i < 3; i++) {
    f_reset(&f);
    f_hex(&f, bad_lengths[i]);
    tp_required(&f, true);
    expect_tp_error(&f, true, "version_information is not a non-empty multiple of 4 bytes");
  }
  /* More available versions than kept. */
  uint32_t many[PQ_TP_MAX_VERSIONS + 2];
  for (size_t i = 0; i < PQ_TP_MAX_VERSIONS + 2; i++)
    many[i] = 1;
  f_reset(&f);
  forge_vi(&f, many, PQ_TP_MAX_VERSIONS + 1);
  tp_required(&f, false);
  assert_int_equal(pq_tp_decode(f.b, f.n, false, &tp, NULL), 0);
  assert_int_equal(tp.n_available_versions, PQ_TP_MAX_VERSIONS);
  f_reset(&f);
  forge_vi(&f, many, PQ_TP_MAX_VERSIONS + 2);
  tp_required(&f, false);
  expect_tp_error(&f, false, "version_information lists more versions than supported");
}

static void test_duplicates_and_unknown(void **state) {
  (void)state;
  forge f;
  pq_tp tp;
  /* A known parameter twice. */
  f_reset(&f);
  tp_int(&f, PQ_TP_MAX_IDLE_TIMEOUT, 5);
  tp_int(&f, PQ_TP_MAX_IDLE_TIMEOUT, 5);
  tp_required(&f, false);
  expect_tp_error(&f, false, "duplicate transport parameter");
  f_reset(&f);
  tp_required(&f, false);
  tp_required(&f, false);
  expect_tp_error(&f, false, "duplicate transport parameter");
  /* An unknown one twice. */
  f_reset(&f);
  tp_bytes(&f, 0x1234, "ab", 2);
  tp_bytes(&f, 0x1234, "cd", 2);
  tp_required(&f, false);
  expect_tp_error(&f, false, "duplicate transport parameter");
  /* Unknown and grease parameters are kept in order, up to the limit. */
  f_reset(&f);
  for (uint64_t i = 0; i < PQ_TP_MAX_EXT + 3; i++)
    tp_bytes(&f, 31 * (i + 100) + 27, "xyz", i % 4);
  tp_required(&f, false);
  assert_int_equal(pq_tp_decode(f.b, f.n, false, &tp, NULL), 0);
  assert_int_equal(tp.n_ext, PQ_TP_MAX_EXT);
  assert_int_equal(tp.n_ext_dropped, 3);
  for (size_t i = 0; i < PQ_TP_MAX_EXT; i++) {
    assert_int_equal(tp.ext[i].id, 31 * (i + 100) + 27);
    assert_true(pq_tp_is_grease(tp.ext[i].id));
    assert_int_equal(tp.ext[i].len, i % 4);
    if (tp.ext[i].len)
      assert_memory_equal(tp.ext[i].value, "xyz", tp.ext[i].len);
  }
  /* Required parameters missing. */
  f_reset(&f);
  expect_tp_error(&f, false, "initial_source_connection_id missing");
  expect_tp_error(&f, true, "initial_source_connection_id missing");
  f_reset(&f);
  tp_bytes(&f, PQ_TP_INITIAL_SCID, cid8, 8);
  expect_tp_error(&f, true, "original_destination_connection_id missing from a server");
  assert_int_equal(pq_tp_decode(NULL, 0, false, &tp, NULL), PQUIC_ERR_TRANSPORT_PARAMETER);
}

static void test_helpers(void **state) {
  (void)state;
  assert_int_equal(pq_tp_bit(0x00), 0);
  assert_int_equal(pq_tp_bit(0x11), 17);
  assert_int_equal(pq_tp_bit(0x20), 18);
  assert_int_equal(pq_tp_bit(0x2ab2), 19);
  assert_int_equal(pq_tp_bit(0x12), -1);
  assert_int_equal(pq_tp_bit(27), -1);
  assert_true(pq_tp_is_grease(27));
  assert_true(pq_tp_is_grease(58));
  assert_false(pq_tp_is_grease(59));
  pq_tp tp;
  pq_tp_init(&tp);
  pq_tp_mark(&tp, 0x1234); /* unknown: no effect */
  assert_int_equal(tp.present, 0);
  pq_tp_mark(&tp, PQ_TP_MAX_DATAGRAM_FRAME_SIZE);
  assert_true(pq_tp_has(&tp, PQ_TP_MAX_DATAGRAM_FRAME_SIZE));
  assert_false(pq_tp_has(&tp, 0x1234));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc_client_params),
      cmocka_unit_test(test_roundtrip_all),
      cmocka_unit_test(test_encode_roles),
      cmocka_unit_test(test_value_ranges),
      cmocka_unit_test(test_lengths),
      cmocka_unit_test(test_preferred_address),
      cmocka_unit_test(test_version_information),
      cmocka_unit_test(test_duplicates_and_unknown),
      cmocka_unit_test(test_helpers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
