/* Frames: RFC 9001 sample payloads, every frame type byte-exact and
 * round-tripped, every FRAME_ENCODING rule, shortest type encoding, unknown
 * types, truncation at every offset, ACK ranges (validation, iteration,
 * budgeted writing), STREAM/CRYPTO budget fitting, the frame type table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "wire/frame.h"
#include "wire_forge.h"

static const uint8_t token16[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                    0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
static const uint8_t data5[5] = {'h', 'e', 'l', 'l', 'o'};

/* Decodes exactly one frame spanning all of f's bytes. */
static pq_frame decode_one(const forge *f) {
  pq_rbuf r = f_rbuf(f);
  pq_frame fr;
  const char *rule = NULL;
  int rc = pq_frame_decode(&r, &fr, &rule);
  if (rc != 0)
    fail_msg("decode failed: %d (%s)", rc, rule ? rule : "?");
  assert_int_equal(pq_rbuf_left(&r), 0);
  return fr;
}

/* Expects decoding f to fail with err and rule; r must not move. */
static void expect_decode_error(const forge *f, int err, const char *want_rule) {
  pq_rbuf r = f_rbuf(f);
  pq_frame fr;
  const char *rule = NULL;
  assert_int_equal(pq_frame_decode(&r, &fr, &rule), err);
  assert_ptr_equal(r.p, f->b);
  assert_non_null(rule);
  if (want_rule)
    assert_string_equal(rule, want_rule);
}

/* Encodes fr; the bytes must equal f's; re-decoding gives fr back. Every
 * smaller buffer is refused without writing. */
static void expect_encoding(const pq_frame *fr, const forge *f) {
  uint8_t buf[512];
  assert_int_equal(pq_frame_size(fr), f->n);
  pq_wbuf w = pq_wbuf_make(buf, sizeof buf);
  assert_int_equal(pq_frame_encode(&w, fr), 0);
  assert_int_equal((size_t)(w.p - buf), f->n);
  assert_memory_equal(buf, f->b, f->n);
  pq_frame back = decode_one(f);
  assert_true(pq_frame_equal(&back, fr));
  for (size_t cap = 0; cap < f->n; cap++) {
    w = pq_wbuf_make(buf, cap);
    assert_int_equal(pq_frame_encode(&w, fr), PQUIC_ERR_BUFFER_TOO_SMALL);
    assert_ptr_equal(w.p, buf);
  }
}

/* Every strict prefix of a self-delimiting frame fails to decode, without
 * moving the cursor. */
static void expect_prefixes_fail(const forge *f) {
  for (size_t cut = 0; cut < f->n; cut++) {
    pq_rbuf r = pq_rbuf_make(f->b, cut);
    pq_frame fr;
    const char *rule = NULL;
    assert_int_equal(pq_frame_decode(&r, &fr, &rule), PQUIC_ERR_FRAME_ENCODING);
    assert_non_null(rule);
    assert_ptr_equal(r.p, f->b);
  }
}

/* RFC 9001 A.3: the server Initial payload, ACK then CRYPTO. */
static void test_rfc_server_initial_payload(void **state) {
  (void)state;
  forge f;
  f_reset(&f);
  f_hex(&f, "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739"
            "88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94"
            "0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00"
            "020304");
  pq_rbuf r = f_rbuf(&f);
  pq_frame fr;
  assert_int_equal(pq_frame_decode(&r, &fr, NULL), 0);
  assert_int_equal(fr.type, PQ_FT_ACK);
  assert_int_equal(fr.u.ack.largest, 0);
  assert_int_equal(fr.u.ack.ack_delay, 0);
  assert_int_equal(fr.u.ack.range_count, 0);
  assert_int_equal(fr.u.ack.first_range, 0);
  assert_int_equal(fr.u.ack.smallest, 0);
  assert_int_equal(pq_frame_decode(&r, &fr, NULL), 0);
  assert_int_equal(fr.type, PQ_FT_CRYPTO);
  assert_int_equal(fr.u.crypto.offset, 0);
  assert_int_equal(fr.u.crypto.len, 0x5a);
  assert_ptr_equal(fr.u.crypto.data, f.b + 9); /* zero-copy */
  assert_int_equal(fr.u.crypto.data[0], 0x02); /* TLS ServerHello */
  assert_int_equal(pq_rbuf_left(&r), 0);
}

/* RFC 9001 A.2: the client Initial payload, CRYPTO then PADDING to 1162. */
static void test_rfc_client_initial_payload(void **state) {
  (void)state;
  forge f;
  f_reset(&f);
  f_hex(&f, "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
            "04fe3a47f06a2b69484c000004130113 02010000c000000010000e00000b6578"
            "616d706c652e636f6dff01000100000a 00080006001d00170018001000070005"
            "04616c706e0005000501000000000033 00260024001d00209370b2c9caa47fba"
            "baf4559fedba753de171fa71f50f1ce1 5d43e994ec74d748002b000302030400"
            "0d0010000e0403050306030203080408 050806002d00020101001c0002400100"
            "3900320408ffffffffffffffff050480 00ffff07048000ffff08011001048000"
            "75300901100f088394c8f03e51570806 048000ffff");
  size_t crypto_end = f.n;
  f.n = 1162; /* zeros: PADDING */
  pq_rbuf r = f_rbuf(&f);
  pq_frame fr;
  assert_int_equal(pq_frame_decode(&r, &fr, NULL), 0);
  assert_int_equal(fr.type, PQ_FT_CRYPTO);
  assert_int_equal(fr.u.crypto.len, 0xf1);
  assert_int_equal(4 + 0xf1, crypto_end);
  assert_int_equal(pq_frame_decode(&r, &fr, NULL), 0);
  assert_int_equal(fr.type, PQ_FT_PADDING);
  assert_int_equal(fr.u.padding.len, 1162 - crypto_end); /* one run */
  assert_int_equal(pq_rbuf_left(&r), 0);
}

/* Byte-exact encodings of every frame type, round trips and truncation. */
static void test_each_type(void **state) {
  (void)state;
  forge f;
  pq_frame fr;

  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_PING;
  f_reset(&f);
  f_u8(&f, 0x01);
  expect_encoding(&fr, &f);
  fr.type = PQ_FT_HANDSHAKE_DONE;
  f_reset(&f);
  f_u8(&f, 0x1e);
  expect_encoding(&fr, &f);

  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_PADDING;
  fr.u.padding.len = 7;
  f_reset(&f);
  f_fill(&f, 0, 7);
  expect_encoding(&fr, &f);

  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_RESET_STREAM;
  fr.u.reset_stream.stream_id = 4;
  fr.u.reset_stream.app_error = 0x100;
  fr.u.reset_stream.final_size = 70000;
  f_reset(&f);
  f_hex(&f, "04 04 4100 80011170");
  expect_encoding(&fr, &f);
  expect_prefixes_fail(&f);

  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_STOP_SENDING;
  fr.u.stop_sending.stream_id = 3;
  fr.u.stop_sending.app_error = 9;
  f_reset(&f);
  f_hex(&f, "05 03 09");
  expect_encoding(&fr, &f);
  expect_prefixes_fail(&f);

  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_CRYPTO;
  fr.u.crypto.offset = 1000;
  fr.u.crypto.data = data5;
  fr.u.crypto.len = 5;
  f_reset(&f);
  f_hex(&f, "06 43e8 05 68656c6c6f");
  expect_encoding(&fr, &f);
  expect_prefixes_fail(&f);

  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_NEW_TOKEN;
  fr.u.new_token.token = data5;
  fr.u.new_token.len = 5;
  f_reset(&f);
  f_hex(&f, "07 05 68656c6c6f");
  expect_encoding(&fr, &f);
  expect_prefixes_fail(&f);

  const struct {
    uint8_t type;
    uint64_t v;
    const char *hex;
  } ints[] = {
      {PQ_FT_MAX_DATA, 1 << 20, "10 80100000"},
      {PQ_FT_MAX_STREAMS_BIDI, UINT64_C(1) << 60, "12 d000000000000000"},
      {PQ_FT_MAX_STREAMS_UNI, 100, "13 4064"},
      {PQ_FT_DATA_BLOCKED, 0, "14 00"},
      {PQ_FT_STREAMS_BLOCKED_BIDI, UINT64_C(1) << 60, "16 d000000000000000"},
      {PQ_FT_STREAMS_BLOCKED_UNI, 1, "17 01"},
      {PQ_FT_RETIRE_CONNECTION_ID, 63, "19 3f"},
  };
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    memset(&fr, 0, sizeof fr);
    fr.type = ints[i].type;
    /* All these single-value structs share their first field's place. */
    fr.u.max_data.max = ints[i].v;
    f_reset(&f);
    f_hex(&f, ints[i].hex);
    expect_encoding(&fr, &f);
    expect_prefixes_fail(&f);
  }
  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_MAX_STREAM_DATA;
  fr.u.max_stream_data.stream_id = 8;
  fr.u.max_stream_data.max = 64;
  f_reset(&f);
  f_hex(&f, "11 08 4040");
  expect_encoding(&fr, &f);
  expect_prefixes_fail(&f);
  fr.type = PQ_FT_STREAM_DATA_BLOCKED;
  fr.u.stream_data_blocked.stream_id = 8;
  fr.u.stream_data_blocked.limit = 64;
  f.b[0] = 0x15;
  expect_encoding(&fr, &f);

  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_NEW_CONNECTION_ID;
  fr.u.new_cid.seq = 2;
  fr.u.new_cid.retire_prior_to = 1;
  fr.u.new_cid.cid = data5;
  fr.u.new_cid.cid_len = 5;
  fr.u.new_cid.reset_token = token16;
  f_reset(&f);
  f_hex(&f, "18 02 01 05 68656c6c6f a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
  expect_encoding(&fr, &f);
  expect_prefixes_fail(&f);

  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_PATH_CHALLENGE;
  memcpy(fr.u.path.data, token16, 8);
  f_reset(&f);
  f_hex(&f, "1a a0a1a2a3a4a5a6a7");
  expect_encoding(&fr, &f);
  expect_prefixes_fail(&f);
  fr.type = PQ_FT_PATH_RESPONSE;
  f.b[0] = 0x1b;
  expect_encoding(&fr, &f);

  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_CONNECTION_CLOSE;
  fr.u.close.error_code = 0x0a;
  fr.u.close.frame_type = 0x08;
  fr.u.close.reason = data5;
  fr.u.close.reason_len = 5;
  f_reset(&f);
  f_hex(&f, "1c 0a 08 05 68656c6c6f");
  expect_encoding(&fr, &f);
  expect_prefixes_fail(&f);
  fr.type = PQ_FT_CONNECTION_CLOSE_APP; /* no Frame Type field */
  fr.u.close.frame_type = 0;
  fr.u.close.reason_len = 0;
  f_reset(&f);
  f_hex(&f, "1d 0a 00");
  expect_encoding(&fr, &f);
  expect_prefixes_fail(&f);

  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_DATAGRAM_LEN;
  fr.u.datagram.data = data5;
  fr.u.datagram.len = 5;
  f_reset(&f);
  f_hex(&f, "31 05 68656c6c6f");
  expect_encoding(&fr, &f);
  expect_prefixes_fail(&f);
  fr.type = PQ_FT_DATAGRAM; /* to the end of the packet */
  f_reset(&f);
  f_hex(&f, "30 68656c6c6f");
  expect_encoding(&fr, &f);
  fr.u.datagram.len = 0; /* empty datagrams are allowed */
  f_reset(&f);
  f_hex(&f, "30");
  expect_encoding(&fr, &f);
}

static void test_stream_variants(void **state) {
  (void)state;
  forge f;
  pq_frame fr;
  memset(&fr, 0, sizeof fr);
  fr.u.stream.stream_id = 4;
  fr.u.stream.data = data5;
  fr.u.stream.len = 5;
  /* LEN, no offset, no FIN. */
  fr.type = PQ_FT_STREAM | PQ_STREAM_BIT_LEN;
  f_reset(&f);
  f_hex(&f, "0a 04 05 68656c6c6f");
  expect_encoding(&fr, &f);
  expect_prefixes_fail(&f);
  /* OFF + LEN + FIN. */
  fr.type = 0x0f;
  fr.u.stream.offset = 16384;
  fr.u.stream.fin = true;
  f_reset(&f);
  f_hex(&f, "0f 04 80004000 05 68656c6c6f");
  expect_encoding(&fr, &f);
  expect_prefixes_fail(&f);
  /* No LEN: data runs to the end of the input. */
  fr.type = 0x0d;
  f_reset(&f);
  f_hex(&f, "0d 04 80004000 68656c6c6f");
  expect_encoding(&fr, &f);
  /* OFF bit with offset 0 is kept; offset != 0 forces the OFF bit. */
  fr.type = 0x0c;
  fr.u.stream.offset = 0;
  fr.u.stream.fin = false;
  f_reset(&f);
  f_hex(&f, "0c 04 00 68656c6c6f");
  expect_encoding(&fr, &f);
  fr.type = 0x08;
  fr.u.stream.offset = 1;
  uint8_t buf[32];
  pq_wbuf w = pq_wbuf_make(buf, sizeof buf);
  assert_int_equal(pq_frame_encode(&w, &fr), 0);
  assert_int_equal(buf[0], 0x0c);
  /* FIN comes from the struct, not the type. */
  fr.type = 0x0b; /* FIN bit set in the type */
  fr.u.stream.fin = false;
  w = pq_wbuf_make(buf, sizeof buf);
  assert_int_equal(pq_frame_encode(&w, &fr), 0);
  assert_int_equal(buf[0], 0x0e);
  /* An empty frame with FIN, no data. */
  f_reset(&f);
  f_hex(&f, "0b 00 00");
  pq_frame d = decode_one(&f);
  assert_true(d.u.stream.fin);
  assert_int_equal(d.u.stream.len, 0);
  assert_int_equal(d.u.stream.offset, 0);
}

static void test_frame_encoding_rules(void **state) {
  (void)state;
  forge f;
  /* STREAM offset + length just at and over 2^62 - 1. */
  f_reset(&f);
  f_u8(&f, 0x0e);
  f_varint(&f, 0);
  f_varint(&f, PQ_VARINT_MAX - 5);
  f_varint(&f, 5);
  f_fill(&f, 'x', 5);
  pq_frame fr = decode_one(&f);
  assert_int_equal(fr.u.stream.offset + fr.u.stream.len, PQ_VARINT_MAX);
  f.b[f.n - 6] = 6;
  f_u8(&f, 'x');
  expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING, "STREAM frame offset + length exceeds 2^62-1");
  /* Same without LEN: length is the rest of the packet. */
  f_reset(&f);
  f_u8(&f, 0x0c);
  f_varint(&f, 0);
  f_varint(&f, PQ_VARINT_MAX);
  f_u8(&f, 'x');
  expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING, "STREAM frame offset + length exceeds 2^62-1");
  f.n--; /* 0 bytes at offset 2^62 - 1 is fine */
  fr = decode_one(&f);
  assert_int_equal(fr.u.stream.len, 0);
  /* STREAM Length beyond the packet. */
  f_reset(&f);
  f_hex(&f, "0a 00 06 68656c6c6f");
  expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING, "STREAM frame data extends beyond the packet");
  /* CRYPTO. */
  f_reset(&f);
  f_u8(&f, 0x06);
  f_varint(&f, PQ_VARINT_MAX);
  f_varint(&f, 1);
  f_u8(&f, 'x');
  expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING, "CRYPTO frame offset + length exceeds 2^62-1");
  f_reset(&f);
  f_hex(&f, "06 00 06 68656c6c6f");
  expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING, "CRYPTO frame data extends beyond the packet");
  /* MAX_STREAMS and STREAMS_BLOCKED above 2^60. */
  const uint8_t limited[4] = {0x12, 0x13, 0x16, 0x17};
  for (int i = 0; i < 4; i++) {
    f_reset(&f);
    f_u8(&f, limited[i]);
    f_varint(&f, (UINT64_C(1) << 60) + 1);
    expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING,
                        i < 2 ? "MAX_STREAMS above 2^60" : "STREAMS_BLOCKED above 2^60");
  }
  /* NEW_TOKEN empty. */
  f_reset(&f);
  f_hex(&f, "07 00");
  expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING, "NEW_TOKEN frame with an empty token");
  /* NEW_CONNECTION_ID length 0 and 21, Retire Prior To > Sequence. */
  f_reset(&f);
  f_hex(&f, "18 01 00 00 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
  expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING, "NEW_CONNECTION_ID length not in 1..20");
  f_reset(&f);
  f_hex(&f, "18 01 00 15");
  f_fill(&f, 0x11, 21 + 16);
  expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING, "NEW_CONNECTION_ID length not in 1..20");
  f_reset(&f);
  f_hex(&f, "18 01 02 01 ff a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
  expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING,
                      "NEW_CONNECTION_ID Retire Prior To greater than Sequence Number");
  f.b[1] = 2; /* equal is fine */
  fr = decode_one(&f);
  assert_int_equal(fr.u.new_cid.retire_prior_to, 2);
  f_reset(&f);
  f_hex(&f, "18 01 00 14");
  f_fill(&f, 0x11, 20 + 16);
  fr = decode_one(&f);
  assert_int_equal(fr.u.new_cid.cid_len, 20);
  /* Empty input. */
  f_reset(&f);
  expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING, "no frame: empty input");
}

/* Frame types must use their shortest encoding; fields need not. Unknown
 * types are reported apart, with the cursor on the type. */
static void test_type_encoding_and_unknown(void **state) {
  (void)state;
  forge f;
  f_reset(&f);
  f_varint_n(&f, 0x01, 2); /* PING as 0x4001 */
  expect_decode_error(&f, PQUIC_ERR_PROTOCOL_VIOLATION, "frame type not in its shortest encoding");
  f_reset(&f);
  f_varint_n(&f, 0x30, 8);
  expect_decode_error(&f, PQUIC_ERR_PROTOCOL_VIOLATION, "frame type not in its shortest encoding");
  f_reset(&f);
  f_varint_n(&f, 0x1234, 4); /* unknown and non-minimal */
  expect_decode_error(&f, PQUIC_ERR_PROTOCOL_VIOLATION, NULL);
  f_reset(&f);
  f_u8(&f, 0x40); /* truncated two-byte type */
  expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING, "frame type truncated");
  const uint64_t unknown[] = {0x1f,         0x20,   0x2f,   0x32,     0x3f,
                              0x40,         0x3fff, 0x4000, 0xabcdef, UINT64_C(0x2ab2cafe),
                              PQ_VARINT_MAX};
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    f_reset(&f);
    f_varint(&f, unknown[i]);
    f_hex(&f, "0102");
    pq_rbuf r = f_rbuf(&f);
    pq_frame fr;
    const char *rule = NULL;
    assert_int_equal(pq_frame_decode(&r, &fr, &rule), PQUIC_ERR_FRAME_UNKNOWN);
    assert_string_equal(rule, "unknown frame type");
    assert_int_equal(fr.type, unknown[i]);
    assert_ptr_equal(r.p, f.b);
    fr.type = unknown[i];
    assert_int_equal(pq_frame_size(&fr), 0);
  }
  /* Non-minimal field encodings are legal. */
  f_reset(&f);
  f_u8(&f, 0x10);
  f_varint_n(&f, 5, 8);
  pq_frame fr = decode_one(&f);
  assert_int_equal(fr.u.max_data.max, 5);
}

/* Several frames back to back, as in a packet. */
static void test_sequence(void **state) {
  (void)state;
  forge f;
  f_reset(&f);
  f_hex(&f, "01 0000 02 0a 00 00 03 1e 10 05 1a 0102030405060708 0e 04 02 02 6869");
  const uint64_t want[] = {PQ_FT_PING,     PQ_FT_PADDING,        PQ_FT_ACK, PQ_FT_HANDSHAKE_DONE,
                           PQ_FT_MAX_DATA, PQ_FT_PATH_CHALLENGE, 0x0e};
  pq_rbuf r = f_rbuf(&f);
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    pq_frame fr;
    assert_int_equal(pq_frame_decode(&r, &fr, NULL), 0);
    assert_int_equal(fr.type, want[i]);
    if (fr.type == PQ_FT_PADDING)
      assert_int_equal(fr.u.padding.len, 2);
    if (fr.type == PQ_FT_ACK) {
      assert_int_equal(fr.u.ack.largest, 10);
      assert_int_equal(fr.u.ack.smallest, 7);
    }
  }
  assert_int_equal(pq_rbuf_left(&r), 0);
}

/* Builds an ACK frame from (gap, len) pairs. */
static void forge_ack(forge *f, bool ecn, uint64_t largest, uint64_t first, const uint64_t *pairs,
                      size_t npairs) {
  f_reset(f);
  f_u8(f, ecn ? 0x03 : 0x02);
  f_varint(f, largest);
  f_varint(f, 1234);
  f_varint(f, npairs);
  f_varint(f, first);
  for (size_t i = 0; i < 2 * npairs; i++)
    f_varint(f, pairs[i]);
  if (ecn) {
    f_varint(f, 7);
    f_varint(f, 8);
    f_varint(f, 9);
  }
}

static void test_ack_decode_iterate(void **state) {
  (void)state;
  forge f;
  /* largest 100, first range 5 -> [95,100]; gap 3 -> largest 90, len 10 ->
   * [80,90]; gap 0 -> largest 78, len 0 -> [78,78]. */
  const uint64_t pairs[] = {3, 10, 0, 0};
  forge_ack(&f, true, 100, 5, pairs, 2);
  pq_frame fr = decode_one(&f);
  assert_int_equal(fr.type, PQ_FT_ACK_ECN);
  assert_int_equal(fr.u.ack.largest, 100);
  assert_int_equal(fr.u.ack.ack_delay, 1234);
  assert_int_equal(fr.u.ack.range_count, 2);
  assert_int_equal(fr.u.ack.smallest, 78);
  assert_int_equal(fr.u.ack.ecn[PQ_ECN_ECT0], 7);
  assert_int_equal(fr.u.ack.ecn[PQ_ECN_ECT1], 8);
  assert_int_equal(fr.u.ack.ecn[PQ_ECN_CE], 9);
  const uint64_t want[3][2] = {{95, 100}, {80, 90}, {78, 78}};
  pq_ack_iter it;
  pq_ack_iter_init(&it, &fr.u.ack);
  uint64_t lo = 0, hi = 0;
  for (int i = 0; i < 3; i++) {
    assert_true(pq_ack_iter_next(&it, &lo, &hi));
    assert_int_equal(lo, want[i][0]);
    assert_int_equal(hi, want[i][1]);
  }
  assert_false(pq_ack_iter_next(&it, &lo, &hi));
  assert_false(pq_ack_iter_next(&it, &lo, &hi));
  expect_encoding(&fr, &f);
  expect_prefixes_fail(&f);
  /* Ranges down to exactly 0 are fine: [0,0] after a gap from 2. */
  const uint64_t to_zero[] = {0, 0};
  forge_ack(&f, false, 5, 3, to_zero, 1);
  fr = decode_one(&f);
  assert_int_equal(fr.u.ack.smallest, 0);
  assert_int_equal(fr.u.ack.ecn[0], 0);
}

static void test_ack_underflow(void **state) {
  (void)state;
  forge f;
  forge_ack(&f, false, 5, 6, NULL, 0);
  expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING,
                      "ACK first range underflows below packet number 0");
  forge_ack(&f, false, 5, 5, NULL, 0); /* [0,5] */
  assert_int_equal(decode_one(&f).u.ack.smallest, 0);
  const uint64_t gap_under[] = {0, 0}; /* smallest 1: largest would be -1 */
  forge_ack(&f, false, 5, 4, gap_under, 1);
  expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING, "ACK range underflows below packet number 0");
  const uint64_t len_under[] = {1, 3}; /* smallest 10: largest 7, len 8 -> -1 */
  uint64_t pairs[2] = {len_under[0], 8};
  forge_ack(&f, false, 15, 5, pairs, 1);
  expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING, "ACK range underflows below packet number 0");
  pairs[1] = 7;
  forge_ack(&f, false, 15, 5, pairs, 1);
  assert_int_equal(decode_one(&f).u.ack.smallest, 0);
  /* Huge gap values near 2^62 do not wrap. */
  uint64_t big[2] = {PQ_VARINT_MAX, 0};
  forge_ack(&f, false, PQ_VARINT_MAX, 0, big, 1);
  expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING, "ACK range underflows below packet number 0");
  big[0] = PQ_VARINT_MAX - 2;
  forge_ack(&f, false, PQ_VARINT_MAX, 0, big, 1);
  assert_int_equal(decode_one(&f).u.ack.smallest, 0);
  /* A range count larger than the ranges present. */
  f_reset(&f);
  f_hex(&f, "02 0a 00 3f 00 00 00");
  expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING, "ACK frame truncated in its ranges");
  forge_ack(&f, true, 5, 0, NULL, 0);
  f.n--;
  expect_decode_error(&f, PQUIC_ERR_FRAME_ENCODING, "ACK frame truncated in the ECN counts");
  /* A hand-made ACK struct with bad raw ranges is not encodable, and its
   * iterator stops at the bad range. */
  const uint64_t ok_pairs[] = {0, 0};
  forge_ack(&f, false, 5, 4, ok_pairs, 1);
  pq_rbuf r = f_rbuf(&f);
  pq_frame fr;
  assert_int_equal(pq_frame_decode(&r, &fr, NULL), PQUIC_ERR_FRAME_ENCODING);
  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_ACK;
  fr.u.ack.largest = 5;
  fr.u.ack.first_range = 4;
  fr.u.ack.range_count = 1;
  fr.u.ack.ranges = f.b + f.n - 2;
  fr.u.ack.ranges_len = 2;
  assert_int_equal(pq_frame_size(&fr), 0);
  pq_ack_iter it;
  uint64_t lo, hi;
  pq_ack_iter_init(&it, &fr.u.ack);
  assert_true(pq_ack_iter_next(&it, &lo, &hi));
  assert_false(pq_ack_iter_next(&it, &lo, &hi));
  fr.u.ack.range_count = 2; /* more ranges than bytes */
  assert_int_equal(pq_frame_size(&fr), 0);
  fr.u.ack.first_range = 6;
  fr.u.ack.range_count = 0;
  fr.u.ack.ranges_len = 0;
  assert_int_equal(pq_frame_size(&fr), 0);
  pq_ack_iter_init(&it, &fr.u.ack);
  assert_false(pq_ack_iter_next(&it, &lo, &hi));
}

/* Writes ACK frames from range lists and checks them through the decoder. */
static void test_ack_write(void **state) {
  (void)state;
  pq_range ranges[100];
  /* Ascending, gaps of varying size. */
  uint64_t v = 3;
  for (int i = 0; i < 100; i++) {
    ranges[i].lo = v;
    ranges[i].hi = v + (uint64_t)(i % 7) * 30;
    v = ranges[i].hi + 2 + (uint64_t)(i % 5) * 100;
  }
  uint8_t buf[2048];
  const uint64_t ecn[3] = {100, 0, 70000};
  for (int with_ecn = 0; with_ecn < 2; with_ecn++) {
    pq_wbuf w = pq_wbuf_make(buf, sizeof buf);
    size_t nw = 0;
    assert_int_equal(pq_ack_frame_write(&w, ranges, 100, 77, with_ecn ? ecn : NULL, SIZE_MAX, &nw),
                     0);
    assert_int_equal(nw, 100);
    size_t full = (size_t)(w.p - buf);
    pq_rbuf r = pq_rbuf_make(buf, full);
    pq_frame fr;
    assert_int_equal(pq_frame_decode(&r, &fr, NULL), 0);
    assert_int_equal(pq_rbuf_left(&r), 0);
    assert_int_equal(fr.type, with_ecn ? PQ_FT_ACK_ECN : PQ_FT_ACK);
    assert_int_equal(fr.u.ack.ack_delay, 77);
    assert_int_equal(fr.u.ack.smallest, 3);
    if (with_ecn)
      assert_memory_equal(fr.u.ack.ecn, ecn, sizeof ecn);
    pq_ack_iter it;
    pq_ack_iter_init(&it, &fr.u.ack);
    uint64_t lo, hi;
    for (int i = 99; i >= 0; i--) {
      assert_true(pq_ack_iter_next(&it, &lo, &hi));
      assert_int_equal(lo, ranges[i].lo);
      assert_int_equal(hi, ranges[i].hi);
    }
    assert_false(pq_ack_iter_next(&it, &lo, &hi));
    /* Every budget: the frame fits it, keeps the top ranges, and one more
     * range would not have fit. */
    size_t prev_nw = 0;
    for (size_t budget = 0; budget <= full + 3; budget++) {
      w = pq_wbuf_make(buf, sizeof buf);
      int rc = pq_ack_frame_write(&w, ranges, 100, 77, with_ecn ? ecn : NULL, budget, &nw);
      if (rc == PQUIC_ERR_BUFFER_TOO_SMALL) {
        assert_ptr_equal(w.p, buf);
        assert_int_equal(prev_nw, 0);
        continue;
      }
      assert_int_equal(rc, 0);
      size_t used = (size_t)(w.p - buf);
      assert_true(used <= budget);
      assert_true(nw >= prev_nw);
      prev_nw = nw;
      r = pq_rbuf_make(buf, used);
      assert_int_equal(pq_frame_decode(&r, &fr, NULL), 0);
      assert_int_equal(fr.u.ack.range_count + 1, nw);
      assert_int_equal(fr.u.ack.smallest, ranges[100 - nw].lo);
      if (nw < 100) {
        /* The same with one more range is larger than the budget. */
        pq_wbuf w2 = pq_wbuf_make(buf + 1024, 1024);
        size_t nw2;
        assert_int_equal(pq_ack_frame_write(&w2, ranges + 100 - nw - 1, nw + 1, 77,
                                            with_ecn ? ecn : NULL, SIZE_MAX, &nw2),
                         0);
        assert_true((size_t)(w2.p - (buf + 1024)) > budget);
      }
    }
    assert_int_equal(prev_nw, 100);
  }
  /* The room left in w limits like the budget. */
  pq_wbuf w = pq_wbuf_make(buf, 10);
  size_t nw;
  assert_int_equal(pq_ack_frame_write(&w, ranges, 100, 0, NULL, SIZE_MAX, &nw), 0);
  assert_true(w.p - buf <= 10);
  assert_true(nw >= 1);
  /* Invalid lists. */
  pq_range bad[2] = {{5, 10}, {11, 20}}; /* adjacent */
  w = pq_wbuf_make(buf, sizeof buf);
  assert_int_equal(pq_ack_frame_write(&w, bad, 2, 0, NULL, SIZE_MAX, NULL), PQUIC_ERR_INVAL);
  bad[1].lo = 12; /* one missing number: gap 0 */
  assert_int_equal(pq_ack_frame_write(&w, bad, 2, 0, NULL, SIZE_MAX, NULL), 0);
  bad[1].lo = 8; /* overlapping */
  w = pq_wbuf_make(buf, sizeof buf);
  assert_int_equal(pq_ack_frame_write(&w, bad, 2, 0, NULL, SIZE_MAX, NULL), PQUIC_ERR_INVAL);
  bad[1].lo = 21; /* lo > hi */
  assert_int_equal(pq_ack_frame_write(&w, bad, 2, 0, NULL, SIZE_MAX, NULL), PQUIC_ERR_INVAL);
  pq_range big = {0, PQ_VARINT_MAX + 1};
  assert_int_equal(pq_ack_frame_write(&w, &big, 1, 0, NULL, SIZE_MAX, NULL), PQUIC_ERR_INVAL);
  assert_int_equal(pq_ack_frame_write(&w, ranges, 0, 0, NULL, SIZE_MAX, NULL), PQUIC_ERR_INVAL);
  assert_int_equal(pq_ack_frame_write(&w, ranges, 1, PQ_VARINT_MAX + 1, NULL, SIZE_MAX, NULL),
                   PQUIC_ERR_INVAL);
  assert_ptr_equal(w.p, buf);
}

/* pq_stream_frame_fit against a brute-force search. */
static void test_stream_fit(void **state) {
  (void)state;
  const uint64_t ids[] = {0, 63, 64, 16384};
  const uint64_t offs[] = {0, 1, 16383, 1u << 30};
  const size_t avails[] = {0, 1, 62, 63, 64, 100, 16383, 16384, 20000};
  for (size_t a = 0; a < 4; a++)
    for (size_t o = 0; o < 4; o++)
      for (size_t v = 0; v < sizeof avails / sizeof avails[0]; v++)
        for (int with_len = 0; with_len < 2; with_len++)
          for (size_t budget = 0; budget < 16450;
               budget += (budget < 100 || (budget > 16370)) ? 1 : 97) {
            size_t d = 12345;
            bool ok = pq_stream_frame_fit(ids[a], offs[o], avails[v], budget, with_len, &d);
            size_t hdr0 = pq_stream_header_len(ids[a], offs[o], 0, with_len);
            assert_int_equal(ok, budget >= hdr0);
            if (!ok)
              continue;
            assert_true(d <= avails[v]);
            assert_true(pq_stream_header_len(ids[a], offs[o], d, with_len) + d <= budget);
            if (d < avails[v])
              assert_true(pq_stream_header_len(ids[a], offs[o], d + 1, with_len) + d + 1 > budget);
          }
  /* Offset near the end: never past 2^62 - 1. */
  size_t d;
  assert_true(pq_stream_frame_fit(0, PQ_MAX_STREAM_OFFSET - 3, 100, 100, true, &d));
  assert_int_equal(d, 3);
  assert_false(pq_stream_frame_fit(0, PQ_MAX_STREAM_OFFSET + 1, 100, 100, true, &d));
  /* Written frames decode back to what was asked. */
  uint8_t buf[64];
  for (int with_len = 0; with_len < 2; with_len++) {
    pq_wbuf w = pq_wbuf_make(buf, sizeof buf);
    assert_int_equal(pq_stream_frame_write(&w, 9, 300, data5, 5, with_len, with_len), 0);
    pq_rbuf r = pq_rbuf_make(buf, (size_t)(w.p - buf));
    pq_frame fr;
    assert_int_equal(pq_frame_decode(&r, &fr, NULL), 0);
    assert_int_equal(pq_rbuf_left(&r), 0);
    assert_true(pq_frame_is_stream(fr.type));
    assert_int_equal(fr.u.stream.stream_id, 9);
    assert_int_equal(fr.u.stream.offset, 300);
    assert_int_equal(fr.u.stream.len, 5);
    assert_memory_equal(fr.u.stream.data, data5, 5);
    assert_int_equal(fr.u.stream.fin, with_len);
    assert_int_equal((size_t)(w.p - buf), pq_stream_header_len(9, 300, 5, with_len) + 5);
    /* Header and data must both fit. */
    for (size_t cap = 0; cap < (size_t)(w.p - buf); cap++) {
      pq_wbuf w2 = pq_wbuf_make(buf + 32, cap);
      assert_int_equal(pq_stream_frame_write(&w2, 9, 300, data5, 5, true, with_len),
                       PQUIC_ERR_BUFFER_TOO_SMALL);
      assert_ptr_equal(w2.p, buf + 32);
    }
  }
  pq_wbuf w = pq_wbuf_make(buf, sizeof buf);
  assert_int_equal(pq_stream_header_write(&w, 0, PQ_MAX_STREAM_OFFSET, 1, false, true),
                   PQUIC_ERR_INVAL);
  assert_int_equal(pq_stream_header_write(&w, PQ_VARINT_MAX + 1, 0, 1, false, true),
                   PQUIC_ERR_INVAL);
  assert_int_equal(pq_stream_frame_write(&w, 0, 0, NULL, 1, false, true), PQUIC_ERR_INVAL);
  assert_ptr_equal(w.p, buf);
}

static void test_crypto_fit(void **state) {
  (void)state;
  const uint64_t offs[] = {0, 63, 64, 1u << 20};
  for (size_t o = 0; o < 4; o++)
    for (size_t avail = 0; avail < 20000; avail += 331)
      for (size_t budget = 0; budget < 17000; budget += (budget < 100 || budget > 16370) ? 1 : 89) {
        size_t d = 0;
        bool ok = pq_crypto_frame_fit(offs[o], avail, budget, &d);
        size_t hdr0 = 1 + pq_varint_len(offs[o]) + 1;
        assert_int_equal(ok, budget >= hdr0);
        if (!ok)
          continue;
        assert_true(d <= avail);
        assert_true(1 + pq_varint_len(offs[o]) + pq_varint_len(d) + d <= budget);
        if (d < avail)
          assert_true(1 + pq_varint_len(offs[o]) + pq_varint_len(d + 1) + d + 1 > budget);
      }
  uint8_t buf[32];
  pq_wbuf w = pq_wbuf_make(buf, sizeof buf);
  assert_int_equal(pq_crypto_header_write(&w, 70, 5), 0);
  assert_true(pq_put_bytes(&w, data5, 5));
  pq_rbuf r = pq_rbuf_make(buf, (size_t)(w.p - buf));
  pq_frame fr;
  assert_int_equal(pq_frame_decode(&r, &fr, NULL), 0);
  assert_int_equal(fr.type, PQ_FT_CRYPTO);
  assert_int_equal(fr.u.crypto.offset, 70);
  assert_int_equal(fr.u.crypto.len, 5);
  w = pq_wbuf_make(buf, 8); /* 1 + 2 + 1 header, but 5 data bytes do not fit */
  assert_int_equal(pq_crypto_header_write(&w, 70, 5), PQUIC_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(pq_crypto_header_write(&w, PQ_MAX_STREAM_OFFSET, 1), PQUIC_ERR_INVAL);
  assert_false(pq_crypto_frame_fit(PQ_MAX_STREAM_OFFSET + 1, 1, 100, &fr.u.crypto.len));
}

/* Structs the decoder would refuse are not encodable. */
static void test_encode_invalid(void **state) {
  (void)state;
  pq_frame fr;
  uint8_t buf[64];
  pq_wbuf w = pq_wbuf_make(buf, sizeof buf);
#define EXPECT_INVALID()                                                                           \
  do {                                                                                             \
    assert_int_equal(pq_frame_size(&fr), 0);                                                       \
    assert_int_equal(pq_frame_encode(&w, &fr), PQUIC_ERR_INVAL);                                   \
    assert_ptr_equal(w.p, buf);                                                                    \
  } while (0)
  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_PADDING; /* zero-length run */
  EXPECT_INVALID();
  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_NEW_TOKEN;
  EXPECT_INVALID();
  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_MAX_STREAMS_UNI;
  fr.u.max_streams.max = (UINT64_C(1) << 60) + 1;
  EXPECT_INVALID();
  fr.type = PQ_FT_STREAMS_BLOCKED_BIDI;
  EXPECT_INVALID();
  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_NEW_CONNECTION_ID;
  fr.u.new_cid.cid = token16;
  fr.u.new_cid.reset_token = token16;
  EXPECT_INVALID(); /* length 0 */
  fr.u.new_cid.cid_len = 21;
  EXPECT_INVALID();
  fr.u.new_cid.cid_len = 4;
  fr.u.new_cid.retire_prior_to = 1;
  EXPECT_INVALID();
  fr.u.new_cid.seq = 1;
  assert_int_equal(pq_frame_size(&fr), 1 + 1 + 1 + 1 + 4 + 16);
  fr.u.new_cid.reset_token = NULL;
  EXPECT_INVALID();
  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_STREAM | PQ_STREAM_BIT_LEN;
  fr.u.stream.offset = PQ_MAX_STREAM_OFFSET;
  fr.u.stream.len = 1;
  fr.u.stream.data = data5;
  EXPECT_INVALID();
  fr.u.stream.offset = 0;
  fr.u.stream.data = NULL; /* data missing */
  EXPECT_INVALID();
  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_CRYPTO;
  fr.u.crypto.offset = PQ_MAX_STREAM_OFFSET;
  fr.u.crypto.len = 1;
  fr.u.crypto.data = data5;
  EXPECT_INVALID();
  memset(&fr, 0, sizeof fr);
  fr.type = PQ_FT_MAX_DATA;
  fr.u.max_data.max = PQ_VARINT_MAX + 1;
  EXPECT_INVALID();
  fr.type = 0x1f;
  EXPECT_INVALID();
#undef EXPECT_INVALID
}

/* The table against RFC 9000 Table 3 ("Pkts" and "Spec" columns). */
static void test_frame_table(void **state) {
  (void)state;
  static const struct {
    uint64_t type;
    const char *pkts; /* allowed in Initial, 0-RTT, Handshake, 1-RTT */
    const char *spec; /* N, C, P, F as in the RFC */
  } rows[] = {
      {0x00, "I01H", "NP"}, {0x01, "I01H", ""},  {0x02, "I_1H", "NC"}, {0x03, "I_1H", "NC"},
      {0x04, "_01_", ""},   {0x05, "_01_", ""},  {0x06, "I_1H", ""},   {0x07, "__1_", ""},
      {0x08, "_01_", "F"},  {0x0f, "_01_", "F"}, {0x10, "_01_", ""},   {0x11, "_01_", ""},
      {0x12, "_01_", ""},   {0x13, "_01_", ""},  {0x14, "_01_", ""},   {0x15, "_01_", ""},
      {0x16, "_01_", ""},   {0x17, "_01_", ""},  {0x18, "_01_", "P"},  {0x19, "_01_", ""},
      {0x1a, "_01_", "P"},  {0x1b, "__1_", "P"}, {0x1c, "I01H", "N"},  {0x1d, "_01_", "N"},
      {0x1e, "__1_", ""},   {0x30, "_01_", ""},  {0x31, "_01_", ""},
  };
  const pq_pkt_type pkts[4] = {PQ_PKT_INITIAL, PQ_PKT_0RTT, PQ_PKT_1RTT, PQ_PKT_HANDSHAKE};
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    const pq_frame_info *fi = pq_frame_info_get(rows[i].type);
    assert_non_null(fi);
    assert_non_null(fi->name);
    for (int p = 0; p < 4; p++) {
      bool allowed = rows[i].pkts[p] != '_';
      const char *rule = NULL;
      int rc = pq_frame_check_allowed(rows[i].type, pkts[p], &rule);
      assert_int_equal(rc, allowed ? 0 : PQUIC_ERR_FRAME_NOT_ALLOWED);
      if (!allowed)
        assert_non_null(rule);
    }
    bool n = strchr(rows[i].spec, 'N') != NULL, c = strchr(rows[i].spec, 'C') != NULL;
    assert_int_equal((fi->flags & PQ_FRAME_ACK_ELICITING) != 0, !n);
    /* In flight: ack-eliciting or PADDING (RFC 9002 section 2). */
    assert_int_equal((fi->flags & PQ_FRAME_IN_FLIGHT) != 0, !n || rows[i].type == 0);
    if (c)
      assert_false(fi->flags & PQ_FRAME_IN_FLIGHT);
    assert_int_equal((fi->flags & PQ_FRAME_PROBING) != 0, strchr(rows[i].spec, 'P') != NULL);
    assert_int_equal((fi->flags & PQ_FRAME_FLOW_CONTROLLED) != 0,
                     strchr(rows[i].spec, 'F') != NULL);
  }
  assert_string_equal(pq_frame_info_get(0x0b)->name, "STREAM");
  assert_string_equal(pq_frame_info_get(0x31)->name, "DATAGRAM");
  assert_null(pq_frame_info_get(0x1f));
  assert_null(pq_frame_info_get(0x2f));
  assert_null(pq_frame_info_get(0x32));
  const char *rule = NULL;
  assert_int_equal(pq_frame_check_allowed(0x1f, PQ_PKT_1RTT, &rule), PQUIC_ERR_FRAME_UNKNOWN);
  assert_int_equal(pq_frame_check_allowed(PQ_FT_STREAM, PQ_PKT_INITIAL, &rule),
                   PQUIC_ERR_FRAME_NOT_ALLOWED);
  assert_string_equal(rule, "frame type not allowed in Initial packets");
  assert_int_equal(pq_frame_check_allowed(PQ_FT_PING, PQ_PKT_RETRY, &rule),
                   PQUIC_ERR_FRAME_NOT_ALLOWED);
}

/* Every prefix of a whole packet payload decodes to the frames that fit and
 * then fails cleanly or ends; nothing reads past the input. */
static void test_payload_prefixes(void **state) {
  (void)state;
  forge f;
  f_reset(&f);
  f_hex(&f, "03 4064 05 01 02 05 06 07 08 09 06 00 03 616263 18 05 02 04 01020304"
            "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf 1c 07 06 02 6f6b 31 02 7a7a 0f 04 08 02 6566");
  pq_rbuf whole = f_rbuf(&f);
  pq_frame fr;
  int n = 0;
  while (pq_rbuf_left(&whole)) {
    assert_int_equal(pq_frame_decode(&whole, &fr, NULL), 0);
    n++;
  }
  assert_int_equal(n, 6);
  for (size_t cut = 0; cut < f.n; cut++) {
    uint8_t copy[256];
    memcpy(copy, f.b, cut); /* exactly cut bytes: ASan sees any overread */
    pq_rbuf r = pq_rbuf_make(copy, cut);
    int rc = 0;
    while (pq_rbuf_left(&r) && (rc = pq_frame_decode(&r, &fr, NULL)) == 0)
      ;
    assert_true(rc == 0 || rc == PQUIC_ERR_FRAME_ENCODING);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc_server_initial_payload),
      cmocka_unit_test(test_rfc_client_initial_payload),
      cmocka_unit_test(test_each_type),
      cmocka_unit_test(test_stream_variants),
      cmocka_unit_test(test_frame_encoding_rules),
      cmocka_unit_test(test_type_encoding_and_unknown),
      cmocka_unit_test(test_sequence),
      cmocka_unit_test(test_ack_decode_iterate),
      cmocka_unit_test(test_ack_underflow),
      cmocka_unit_test(test_ack_write),
      cmocka_unit_test(test_stream_fit),
      cmocka_unit_test(test_crypto_fit),
      cmocka_unit_test(test_encode_invalid),
      cmocka_unit_test(test_frame_table),
      cmocka_unit_test(test_payload_prefixes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
