/* The collector's report parser (apps/pquic-monitor/report.c) and the
 * printed forms (format.c): a valid report round-trips; every truncation,
 * every bit flip and every violated bound is refused with the right reason,
 * or, when a flip still gives a valid report, parsed to exactly those
 * bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "report.h"

static pqm_report valid(void) {
  pqm_report r;
  memset(&r, 0, sizeof r);
  r.kind = MON_KIND_CLOSE;
  r.flags = MON_FLAG_SERVER | MON_FLAG_HANDSHAKE_DONE | MON_FLAG_CID | MON_FLAG_CLOSED_BY_PEER;
  r.cid_len = 8;
  for (int i = 0; i < 8; i++)
    r.cid[i] = (uint8_t)(i + 1);
  r.seq = 7;
  r.created_us = 123456789;
  uint64_t *v = r.v;
  v[MON_F_UPTIME_US] = 5000000;
  v[MON_F_HANDSHAKE_US] = 1500;
  v[MON_F_RTT_MIN_US] = 1000;
  v[MON_F_RTT_SMOOTHED_US] = 1234;
  v[MON_F_RTT_VAR_US] = 56;
  v[MON_F_RTT_LATEST_US] = 1300;
  v[MON_F_BYTES_SENT] = 100000;
  v[MON_F_PACKETS_SENT] = 80;
  v[MON_F_BYTES_RECEIVED] = 50000;
  v[MON_F_PACKETS_RECEIVED] = 60;
  v[MON_F_LOST] = 5;
  v[MON_F_RETRANSMITTED] = 4;
  v[MON_F_OUT_OF_ORDER] = 3;
  v[MON_F_SPURIOUS] = 2;
  v[MON_F_CWND] = 20000;
  v[MON_F_CWND_MIN] = 12000;
  v[MON_F_CWND_MAX] = 40000;
  v[MON_F_CWND_UPDATES] = 17;
  v[MON_F_SSTHRESH] = UINT64_MAX;
  v[MON_F_STREAMS_OPENED] = 3;
  v[MON_F_STREAM_BYTES_SENT] = 90000;
  v[MON_F_STREAM_BYTES_RECEIVED] = 40;
  v[MON_F_VERSION] = 1;
  v[MON_F_CLOSE_KIND] = MON_CLOSE_PEER;
  v[MON_F_ERROR_CODE] = 0x11;
  v[MON_F_DROPPED] = 1;
  return r;
}

static pqm_drop parse_of(const pqm_report *r) {
  uint8_t b[MON_REPORT_LEN];
  assert_int_equal(pqm_report_encode(r, b, sizeof b), MON_REPORT_LEN);
  pqm_report out;
  return pqm_report_parse(b, sizeof b, &out);
}

static void round_trip(void **state) {
  (void)state;
  pqm_report r = valid(), out;
  uint8_t b[MON_REPORT_LEN + 1];
  assert_int_equal(pqm_report_encode(&r, b, MON_REPORT_LEN - 1), 0);
  assert_int_equal(pqm_report_encode(&r, b, sizeof b), MON_REPORT_LEN);
  assert_int_equal(MON_REPORT_LEN, 268);
  assert_memory_equal(b, "PQMR\x01\x03\x0f\x08\x01\x02", 10);
  memset(&out, 0xaa, sizeof out);
  assert_int_equal(pqm_report_parse(b, MON_REPORT_LEN, &out), PQM_OK);
  assert_memory_equal(&out, &r, sizeof r);
  /* Big-endian: the created time and the first indicator. */
  assert_int_equal(b[MON_OFF_CREATED + 7], 123456789 & 0xff);
  assert_int_equal(b[MON_HEADER_LEN + 5], (5000000 >> 16) & 0xff);
  /* A NULL output still validates. */
  assert_int_equal(pqm_report_parse(b, MON_REPORT_LEN, NULL), PQM_OK);
}

static void truncations(void **state) {
  (void)state;
  pqm_report r = valid(), out;
  uint8_t b[MON_REPORT_LEN + 8];
  memset(b, 0, sizeof b);
  pqm_report_encode(&r, b, sizeof b);
  memset(&out, 0x5c, sizeof out);
  pqm_report before = out;
  for (size_t len = 0; len < MON_REPORT_LEN; len++) {
    pqm_drop d = pqm_report_parse(b, len, &out);
    assert_int_equal(d, len < MON_HEADER_LEN ? PQM_DROP_SHORT : PQM_DROP_LENGTH);
  }
  for (size_t len = MON_REPORT_LEN + 1; len <= sizeof b; len++)
    assert_int_equal(pqm_report_parse(b, len, &out), PQM_DROP_LENGTH);
  assert_memory_equal(&out, &before, sizeof out); /* untouched when refused */
  assert_int_equal(pqm_report_parse(NULL, 0, &out), PQM_DROP_SHORT);
}

static void header_corruptions(void **state) {
  (void)state;
  pqm_report r = valid();
  uint8_t b[MON_REPORT_LEN], c[MON_REPORT_LEN];
  pqm_report_encode(&r, b, sizeof b);
  for (int i = 0; i < 4; i++) {
    memcpy(c, b, sizeof c);
    c[i] ^= 0x20;
    assert_int_equal(pqm_report_parse(c, sizeof c, NULL), PQM_DROP_FOREIGN);
  }
  const uint8_t versions[] = {0, 2, 0x81, 0xff};
  for (size_t i = 0; i < sizeof versions; i++) {
    memcpy(c, b, sizeof c);
    c[MON_OFF_VERSION] = versions[i];
    assert_int_equal(pqm_report_parse(c, sizeof c, NULL), PQM_DROP_VERSION);
  }
  /* A foreign datagram of any length short of the header is short; a
   * long one without the magic is foreign. */
  uint8_t junk[300];
  memset(junk, 'x', sizeof junk);
  assert_int_equal(pqm_report_parse(junk, 10, NULL), PQM_DROP_SHORT);
  assert_int_equal(pqm_report_parse(junk, sizeof junk, NULL), PQM_DROP_FOREIGN);
  /* The indicator count must be the version's. */
  const uint16_t counts[] = {0, 27, 29, 0xffff};
  for (size_t i = 0; i < 4; i++) {
    memcpy(c, b, sizeof c);
    c[MON_OFF_NFIELDS] = (uint8_t)(counts[i] >> 8);
    c[MON_OFF_NFIELDS + 1] = (uint8_t)counts[i];
    assert_int_equal(pqm_report_parse(c, sizeof c, NULL), PQM_DROP_LENGTH);
  }
}

/* Every single-bit flip: refused, or accepted as exactly those bytes. */
static void bit_flips(void **state) {
  (void)state;
  pqm_report r = valid();
  uint8_t b[MON_REPORT_LEN], c[MON_REPORT_LEN], back[MON_REPORT_LEN];
  pqm_report_encode(&r, b, sizeof b);
  size_t accepted = 0, refused = 0;
  for (size_t i = 0; i < sizeof b; i++) {
    for (int bit = 0; bit < 8; bit++) {
      memcpy(c, b, sizeof c);
      c[i] ^= (uint8_t)(1u << bit);
      pqm_report out;
      pqm_drop d = pqm_report_parse(c, sizeof c, &out);
      if (d == PQM_OK) {
        accepted++;
        pqm_report_encode(&out, back, sizeof back);
        assert_memory_equal(back, c, sizeof c);
      } else {
        refused++;
        assert_true(d > PQM_OK && d < PQM_DROP_COUNT);
      }
      if (i < 4)
        assert_int_equal(d, PQM_DROP_FOREIGN);
      else if (i == MON_OFF_VERSION)
        assert_int_equal(d, PQM_DROP_VERSION);
      else if (i == MON_OFF_NFIELDS || i == MON_OFF_NFIELDS + 1)
        assert_int_equal(d, PQM_DROP_LENGTH);
      else if (i >= MON_OFF_RESERVED && i < MON_HEADER_LEN)
        assert_int_equal(d, PQM_DROP_FIELD);
      else if (i >= MON_OFF_CID + 8 && i < MON_OFF_CID + MON_CID_MAX)
        assert_int_equal(d, PQM_DROP_FIELD); /* cid padding */
    }
  }
  assert_true(accepted > 0); /* most indicator bits are free */
  assert_true(refused > 0);
}

typedef void (*breaker)(pqm_report *r);

#define BREAK(name, body)                                                                          \
  static void name(pqm_report *r) {                                                                \
    body;                                                                                          \
  }
BREAK(kind_zero, r->kind = 0)
BREAK(kind_high, r->kind = MON_KIND_MAX + 1)
BREAK(flags_unknown, r->flags |= 0x10)
BREAK(cid_too_long, r->cid_len = MON_CID_MAX + 1)
BREAK(cid_padding, r->cid[MON_CID_MAX - 1] = 1)
BREAK(cid_without_flag, r->flags &= (uint8_t)~MON_FLAG_CID)
BREAK(flag_without_cid, {
  r->cid_len = 0;
  memset(r->cid, 0, sizeof r->cid);
})
BREAK(close_kind_zero, r->v[MON_F_CLOSE_KIND] = 0)
BREAK(close_kind_high, r->v[MON_F_CLOSE_KIND] = MON_CLOSE_MAX + 1)
BREAK(periodic_with_close_kind, r->kind = MON_KIND_PERIODIC)
BREAK(periodic_with_code, {
  r->kind = MON_KIND_PERIODIC;
  r->flags &= (uint8_t)~MON_FLAG_CLOSED_BY_PEER;
  r->v[MON_F_CLOSE_KIND] = 0;
})
BREAK(periodic_by_peer, {
  r->kind = MON_KIND_PERIODIC;
  r->v[MON_F_CLOSE_KIND] = 0;
  r->v[MON_F_ERROR_CODE] = 0;
})
BREAK(code_too_big, r->v[MON_F_ERROR_CODE] = UINT64_C(1) << 62)
BREAK(frame_type_not_transport, r->v[MON_F_FRAME_TYPE] = 0x10)
BREAK(frame_type_too_big, {
  r->v[MON_F_CLOSE_KIND] = MON_CLOSE_TRANSPORT;
  r->v[MON_F_FRAME_TYPE] = UINT64_C(1) << 62;
})
BREAK(version_too_big, r->v[MON_F_VERSION] = UINT64_C(1) << 32)
BREAK(handshake_report_not_done, {
  r->kind = MON_KIND_HANDSHAKE;
  r->flags = MON_FLAG_CID;
  r->v[MON_F_CLOSE_KIND] = r->v[MON_F_ERROR_CODE] = r->v[MON_F_HANDSHAKE_US] = 0;
})
BREAK(duration_not_done, r->flags &= (uint8_t)~MON_FLAG_HANDSHAKE_DONE)
BREAK(handshake_after_uptime, r->v[MON_F_HANDSHAKE_US] = r->v[MON_F_UPTIME_US] + 1)
BREAK(retransmitted_over_lost, r->v[MON_F_RETRANSMITTED] = r->v[MON_F_LOST] + 1)
BREAK(spurious_over_lost, r->v[MON_F_SPURIOUS] = r->v[MON_F_LOST] + 1)
BREAK(ooo_over_received, r->v[MON_F_OUT_OF_ORDER] = r->v[MON_F_PACKETS_RECEIVED] + 1)
BREAK(packets_over_bytes_sent, r->v[MON_F_PACKETS_SENT] = r->v[MON_F_BYTES_SENT] + 1)
BREAK(packets_over_bytes_received, r->v[MON_F_PACKETS_RECEIVED] = r->v[MON_F_BYTES_RECEIVED] + 1)
BREAK(cwnd_min_without_samples, r->v[MON_F_CWND_UPDATES] = 0)
BREAK(cwnd_min_over_max, r->v[MON_F_CWND_MIN] = r->v[MON_F_CWND_MAX] + 1)

static void bounds(void **state) {
  (void)state;
  static const breaker breakers[] = {kind_zero,
                                     kind_high,
                                     flags_unknown,
                                     cid_too_long,
                                     cid_padding,
                                     cid_without_flag,
                                     flag_without_cid,
                                     close_kind_zero,
                                     close_kind_high,
                                     periodic_with_close_kind,
                                     periodic_with_code,
                                     periodic_by_peer,
                                     code_too_big,
                                     frame_type_not_transport,
                                     frame_type_too_big,
                                     version_too_big,
                                     handshake_report_not_done,
                                     duration_not_done,
                                     handshake_after_uptime,
                                     retransmitted_over_lost,
                                     spurious_over_lost,
                                     ooo_over_received,
                                     packets_over_bytes_sent,
                                     packets_over_bytes_received,
                                     cwnd_min_without_samples,
                                     cwnd_min_over_max};
  for (size_t i = 0; i < sizeof breakers / sizeof breakers[0]; i++) {
    pqm_report r = valid();
    breakers[i](&r);
    if (parse_of(&r) != PQM_DROP_FIELD)
      fail_msg("breaker %zu accepted", i);
  }
  /* And what stays valid at the edges. */
  pqm_report r = valid();
  r.v[MON_F_CLOSE_KIND] = MON_CLOSE_TRANSPORT;
  r.v[MON_F_FRAME_TYPE] = (UINT64_C(1) << 62) - 1;
  r.v[MON_F_ERROR_CODE] = (UINT64_C(1) << 62) - 1;
  r.v[MON_F_VERSION] = UINT32_MAX;
  r.v[MON_F_HANDSHAKE_US] = r.v[MON_F_UPTIME_US];
  assert_int_equal(parse_of(&r), PQM_OK);
  r = valid();
  r.kind = MON_KIND_PERIODIC;
  r.flags = MON_FLAG_SERVER; /* no cid, before the handshake */
  r.cid_len = 0;
  memset(r.cid, 0, sizeof r.cid);
  memset(r.v, 0, sizeof r.v);
  assert_int_equal(parse_of(&r), PQM_OK);
}

static void names(void **state) {
  (void)state;
  assert_string_equal(pqm_drop_name(PQM_OK), "ok");
  assert_string_equal(pqm_drop_name(PQM_DROP_FOREIGN), "foreign");
  assert_string_equal(pqm_drop_name(PQM_DROP_FIELD), "field");
  assert_string_equal(pqm_drop_name(PQM_DROP_COUNT), "unknown");
  assert_string_equal(pqm_kind_name(MON_KIND_HANDSHAKE), "handshake");
  assert_string_equal(pqm_kind_name(MON_KIND_REQUEST), "request");
  assert_string_equal(pqm_kind_name(99), "unknown");
  assert_string_equal(pqm_close_name(MON_CLOSE_IDLE), "idle");
  assert_string_equal(pqm_close_name(MON_CLOSE_HANDSHAKE), "handshake");
  assert_string_equal(pqm_close_name(99), "unknown");
  pqm_report r = valid();
  assert_string_equal(pqm_role_name(&r), "server");
  char hex[41];
  pqm_cid_hex(&r, hex, sizeof hex);
  assert_string_equal(hex, "0102030405060708");
  pqm_cid_hex(&r, hex, 6); /* whole bytes only */
  assert_string_equal(hex, "0102");
  r.cid_len = 0;
  pqm_cid_hex(&r, hex, sizeof hex);
  assert_string_equal(hex, "");
}

static void json(void **state) {
  (void)state;
  pqm_report r = valid();
  char buf[2048];
  size_t n = pqm_report_json(&r, "127.0.0.1:4433", 1700000000.25, buf, sizeof buf);
  assert_int_equal(n, strlen(buf));
  static const char *const want[] = {
      "{\"kind\":\"close\",\"role\":\"server\",\"cid\":\"0102030405060708\",\"seq\":7,",
      "\"from\":\"127.0.0.1:4433\"",
      "\"received_at\":1700000000.250",
      "\"created_us\":123456789",
      "\"uptime_ms\":5000.000",
      "\"handshake_ms\":1.500",
      "\"rtt_ms\":1.234",
      "\"rtt_min_ms\":1.000",
      "\"rtt_var_ms\":0.056",
      "\"rtt_latest_ms\":1.300",
      "\"bytes_sent\":100000",
      "\"packets_sent\":80",
      "\"bytes_received\":50000",
      "\"packets_received\":60",
      "\"lost\":5",
      "\"retransmitted\":4",
      "\"out_of_order\":3",
      "\"spurious\":2",
      "\"cwnd\":20000",
      "\"cwnd_min\":12000",
      "\"cwnd_max\":40000",
      "\"cwnd_updates\":17",
      "\"ssthresh\":null",
      "\"bytes_in_flight\":0",
      "\"streams_opened\":3",
      "\"stream_bytes_sent\":90000",
      "\"stream_bytes_received\":40",
      "\"dropped\":1",
      "\"version\":\"v1\"",
      "\"handshake_done\":true",
      "\"close\":\"peer\"",
      "\"error_code\":17",
      "\"frame_type\":0",
      "\"closed_by_peer\":true}"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    if (!strstr(buf, want[i]))
      fail_msg("missing %s in %s", want[i], buf);
  assert_int_equal(buf[n - 1], '}');
  /* Not a close report: no close fields; a version by number; a sender
   * address with unexpected characters is not copied into the JSON. */
  r.kind = MON_KIND_PERIODIC;
  r.v[MON_F_SSTHRESH] = 30000;
  r.v[MON_F_VERSION] = 0xff00001d;
  pqm_report_json(&r, "a\"b", 0, buf, sizeof buf);
  assert_null(strstr(buf, "\"close\""));
  assert_null(strstr(buf, "a\"b"));
  assert_non_null(strstr(buf, "\"from\":\"?\""));
  assert_non_null(strstr(buf, "\"ssthresh\":30000"));
  assert_non_null(strstr(buf, "\"version\":\"0xff00001d\""));
  /* Truncated: the length it needed, NUL-terminated. */
  char small[32];
  size_t need = pqm_report_json(&r, NULL, 0, small, sizeof small);
  assert_true(need > sizeof small);
  assert_int_equal(strlen(small), sizeof small - 1);
  assert_int_equal(pqm_report_json(&r, NULL, 0, NULL, 0), need);
}

static void table(void **state) {
  (void)state;
  pqm_report r = valid();
  char head[512], row[512];
  size_t hn = pqm_table_header(head, sizeof head);
  size_t rn = pqm_report_row(&r, row, sizeof row);
  assert_int_equal(hn, strlen(head));
  assert_int_equal(rn, strlen(row));
  assert_non_null(strstr(head, "RTT_MS"));
  assert_non_null(strstr(head, "CLOSE"));
  assert_non_null(strstr(row, "server"));
  assert_non_null(strstr(row, "0102030405060708"));
  assert_non_null(strstr(row, "1.23")); /* rtt */
  assert_non_null(strstr(row, "peer 0x11"));
  r.kind = MON_KIND_PERIODIC;
  r.cid_len = 0;
  pqm_report_row(&r, row, sizeof row);
  assert_non_null(strstr(row, "periodic"));
  assert_null(strstr(row, "peer"));
  char tiny[8];
  assert_true(pqm_report_row(&r, tiny, sizeof tiny) > sizeof tiny);
  assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip),
      cmocka_unit_test(truncations),
      cmocka_unit_test(header_corruptions),
      cmocka_unit_test(bit_flips),
      cmocka_unit_test(bounds),
      cmocka_unit_test(names),
      cmocka_unit_test(json),
      cmocka_unit_test(table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
