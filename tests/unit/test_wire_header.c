/* Packet headers: RFC 9001 / RFC 9369 sample packets (v1 and v2), two-phase
 * parsing, every discard rule, truncation at every offset, coalesced
 * datagrams, DCID peeking, header writing, Version Negotiation and Retry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "wire/header.h"
#include "wire/pn.h"
#include "wire_forge.h"

/* RFC 9001 A.3: server Initial, protected, v1. */
static const char *server_initial_v1 =
    "cf000000010008f067a5502a4262b500 4075c0d95a482cd0991cd25b0aac406a"
    "5816b6394100f37a1c69797554780bb3 8cc5a99f5ede4cf73c3ec2493a1839b3"
    "dbcba3f6ea46c5b7684df3548e7ddeb9 c3bf9c73cc3f3bded74b562bfb19fb84"
    "022f8ef4cdd93795d77d06edbb7aaf2f 58891850abbdca3d20398c276456cbc4"
    "2158407dd074ee";
/* RFC 9369 A.3: the same for v2. */
static const char *server_initial_v2 =
    "dc6b3343cf0008f067a5502a4262b500 4075d92faaf16f05d8a4398c47089698"
    "baeea26b91eb761d9b89237bbf872630 17915358230035f7fd3945d88965cf17"
    "f9af6e16886c61bfc703106fbaf3cb4c fa52382dd16a393e42757507698075b2"
    "c984c707f0a0812d8cd5a6881eaf21ce da98f4bd23f6fe1a3e2c43edd9ce7ca8"
    "4bed8521e2e140";
static const uint8_t server_scid[8] = {0xf0, 0x67, 0xa5, 0x50, 0x2a, 0x42, 0x62, 0xb5};
static const uint8_t client_dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

static void check_server_initial(const char *hex, uint32_t version, const char *unprot_hdr,
                                 const char *sample_hex) {
  uint8_t pkt[256], sample[16], hdr[32];
  size_t n = unhex(hex, pkt, sizeof pkt);
  assert_int_equal(n, 135);
  pq_header h;
  const char *rule = NULL;
  assert_int_equal(pq_header_parse(pkt, n, 8, 0, &h, &rule), 0);
  assert_int_equal(h.type, PQ_PKT_INITIAL);
  assert_int_equal(h.version, version);
  assert_int_equal(h.dcid_len, 0);
  assert_int_equal(h.scid_len, 8);
  assert_memory_equal(h.scid, server_scid, 8);
  assert_int_equal(h.token_len, 0);
  assert_int_equal(h.pn_offset, 18);
  assert_int_equal(h.len, 18 + 0x75);
  assert_ptr_equal(h.pkt, pkt);
  /* The header protection sample is where RFC 9001 says. */
  assert_int_equal(unhex(sample_hex, sample, sizeof sample), 16);
  assert_non_null(pq_header_hp_sample(&h));
  assert_memory_equal(pq_header_hp_sample(&h), sample, 16);
  assert_int_equal(pq_header_hp_bits(&h), 0x0f);
  /* Phase 2 on the unprotected header the RFC gives. */
  size_t hn = unhex(unprot_hdr, hdr, sizeof hdr);
  memcpy(pkt, hdr, hn);
  assert_int_equal(pq_header_read_pn(&h, &rule), 0);
  assert_int_equal(h.pn_len, 2);
  assert_int_equal(h.pn_truncated, 1);
  assert_int_equal(pq_pn_decode(PQ_PN_NONE, h.pn_truncated, h.pn_len), 1);
  assert_int_equal(h.reserved, 0);
  assert_int_equal(pq_header_check_reserved(&h, &rule), 0);
  assert_ptr_equal(pq_header_payload(&h), pkt + 20);
  assert_int_equal(pq_header_payload_len(&h), 135 - 20);
}

static void test_rfc_server_initial(void **state) {
  (void)state;
  check_server_initial(server_initial_v1, PQ_VERSION_V1, "c1000000010008f067a5502a4262b50040750001",
                       "2cd0991cd25b0aac406a5816b6394100");
  check_server_initial(server_initial_v2, PQ_VERSION_V2, "d16b3343cf0008f067a5502a4262b50040750001",
                       "6f05d8a4398c47089698baeea26b91eb");
}

/* RFC 9001 A.2 / RFC 9369 A.2: client Initial, unprotected header, padded to
 * 1200 bytes. */
static void test_rfc_client_initial(void **state) {
  (void)state;
  const char *hdrs[2] = {"c300000001088394c8f03e5157080000449e00000002",
                         "d36b3343cf088394c8f03e5157080000449e00000002"};
  const uint32_t versions[2] = {PQ_VERSION_V1, PQ_VERSION_V2};
  for (int i = 0; i < 2; i++) {
    forge f;
    f_reset(&f);
    f_hex(&f, hdrs[i]);
    f.n = 1200; /* payload bytes are zero */
    pq_header h;
    assert_int_equal(pq_header_parse(f.b, f.n, 8, 0, &h, NULL), 0);
    assert_int_equal(h.type, PQ_PKT_INITIAL);
    assert_int_equal(h.version, versions[i]);
    assert_int_equal(h.dcid_len, 8);
    assert_memory_equal(h.dcid, client_dcid, 8);
    assert_int_equal(h.scid_len, 0);
    assert_int_equal(h.pn_offset, 18);
    assert_int_equal(h.len, 1200);
    assert_int_equal(pq_header_read_pn(&h, NULL), 0);
    assert_int_equal(h.pn_len, 4);
    assert_int_equal(h.pn_truncated, 2);
  }
}

/* RFC 9001 A.5 and RFC 9369 A.5: minimal 1-RTT packet, empty DCID. */
static void test_rfc_short_header(void **state) {
  (void)state;
  const char *pkts[2] = {"4cfe4189655e5cd55c41f69080575d7999c25a5bfb",
                         "5558b1c60ae7b6b932bc27d786f4bc2bb20f2162ba"};
  const char *samples[2] = {"5e5cd55c41f69080575d7999c25a5bfb", "e7b6b932bc27d786f4bc2bb20f2162ba"};
  for (int i = 0; i < 2; i++) {
    uint8_t pkt[32], sample[16];
    size_t n = unhex(pkts[i], pkt, sizeof pkt);
    assert_int_equal(n, 21);
    unhex(samples[i], sample, sizeof sample);
    pq_header h;
    assert_int_equal(pq_header_parse(pkt, n, 0, 0, &h, NULL), 0);
    assert_int_equal(h.type, PQ_PKT_1RTT);
    assert_int_equal(h.version, 0);
    assert_int_equal(h.dcid_len, 0);
    assert_int_equal(h.pn_offset, 1);
    assert_int_equal(h.len, 21);
    assert_memory_equal(pq_header_hp_sample(&h), sample, 16);
    assert_int_equal(pq_header_hp_bits(&h), 0x1f);
    /* Unprotected header 4200bff4: pn_len 3, pn 654360564. */
    pkt[0] = 0x42;
    pkt[1] = 0x00;
    pkt[2] = 0xbf;
    pkt[3] = 0xf4;
    assert_int_equal(pq_header_read_pn(&h, NULL), 0);
    assert_int_equal(h.pn_len, 3);
    assert_false(h.key_phase);
    assert_false(h.spin);
    assert_int_equal(pq_pn_decode(654360563, h.pn_truncated, h.pn_len), 654360564);
    assert_int_equal(pq_header_payload_len(&h), 17);
  }
}

/* RFC 9001 A.4 and RFC 9369 A.4: Retry packets, parsed, rebuilt, and their
 * pseudo-packet. */
static void test_rfc_retry(void **state) {
  (void)state;
  const char *pkts[2] = {
      "ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba",
      "cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe33952d955543665dcc7b6"};
  const uint32_t versions[2] = {PQ_VERSION_V1, PQ_VERSION_V2};
  for (int i = 0; i < 2; i++) {
    uint8_t pkt[64];
    size_t n = unhex(pkts[i], pkt, sizeof pkt);
    pq_header h;
    assert_int_equal(pq_header_parse(pkt, n, 8, 0, &h, NULL), 0);
    assert_int_equal(h.type, PQ_PKT_RETRY);
    assert_int_equal(h.version, versions[i]);
    assert_int_equal(h.dcid_len, 0);
    assert_int_equal(h.scid_len, 8);
    assert_memory_equal(h.scid, server_scid, 8);
    assert_int_equal(h.token_len, 5);
    assert_memory_equal(h.token, "token", 5);
    assert_ptr_equal(h.retry_tag, pkt + n - 16);
    assert_int_equal(h.len, n);
    /* No packet number in a Retry. */
    assert_int_equal(pq_header_read_pn(&h, NULL), PQUIC_ERR_HEADER);

    /* Rebuild it: identical but for the (zeroed) tag. */
    uint8_t out[64];
    uint8_t *tag = NULL;
    pq_wbuf w = pq_wbuf_make(out, sizeof out);
    assert_int_equal(pq_retry_write(&w, versions[i], pkt[0] & 0x0f, NULL, 0, server_scid, 8,
                                    (const uint8_t *)"token", 5, &tag),
                     0);
    assert_int_equal((size_t)(w.p - out), n);
    assert_memory_equal(out, pkt, n - 16);
    assert_ptr_equal(tag, out + n - 16);
    for (int k = 0; k < 16; k++)
      assert_int_equal(tag[k], 0);

    /* Pseudo-packet: ODCID length, ODCID, packet without tag. */
    uint8_t ps[96];
    w = pq_wbuf_make(ps, sizeof ps);
    assert_int_equal(pq_retry_pseudo_write(&w, client_dcid, 8, pkt, n), 0);
    assert_int_equal((size_t)(w.p - ps), pq_retry_pseudo_len(8, n));
    assert_int_equal(ps[0], 8);
    assert_memory_equal(ps + 1, client_dcid, 8);
    assert_memory_equal(ps + 9, pkt, n - 16);
    /* Too small a buffer, at every size: nothing written. */
    for (size_t cap = 0; cap < pq_retry_pseudo_len(8, n); cap++) {
      w = pq_wbuf_make(ps, cap);
      assert_int_equal(pq_retry_pseudo_write(&w, client_dcid, 8, pkt, n),
                       PQUIC_ERR_BUFFER_TOO_SMALL);
      assert_ptr_equal(w.p, ps);
    }
  }
  uint8_t buf[64];
  pq_wbuf w = pq_wbuf_make(buf, sizeof buf);
  assert_int_equal(pq_retry_pseudo_write(&w, client_dcid, 21, buf, 30), PQUIC_ERR_INVAL);
  assert_int_equal(pq_retry_pseudo_write(&w, client_dcid, 8, buf, 15), PQUIC_ERR_INVAL);
  assert_int_equal(pq_retry_write(&w, PQ_VERSION_V1, 0, NULL, 0, server_scid, 8, NULL, 0, NULL),
                   PQUIC_ERR_INVAL); /* empty token */
  assert_int_equal(
      pq_retry_write(&w, 0x12345678, 0, NULL, 0, server_scid, 8, (const uint8_t *)"t", 1, NULL),
      PQUIC_ERR_INVAL);
  for (size_t cap = 0; cap < 7 + 8 + 1 + 16; cap++) {
    w = pq_wbuf_make(buf, cap);
    assert_int_equal(pq_retry_write(&w, PQ_VERSION_V1, 0, NULL, 0, server_scid, 8,
                                    (const uint8_t *)"t", 1, NULL),
                     PQUIC_ERR_BUFFER_TOO_SMALL);
    assert_ptr_equal(w.p, buf);
  }
}

static void expect_header_error(const uint8_t *p, size_t n, size_t short_len, unsigned flags,
                                int err, const char *want_rule) {
  pq_header h;
  const char *rule = NULL;
  assert_int_equal(pq_header_parse(p, n, short_len, flags, &h, &rule), err);
  assert_non_null(rule);
  if (want_rule)
    assert_string_equal(rule, want_rule);
}

/* Builds a long header packet field by field. */
static void forge_long(forge *f, uint8_t first, uint32_t version, size_t dcid_len, size_t scid_len,
                       int token_len, uint64_t length, size_t payload) {
  f_reset(f);
  f_u8(f, first);
  f_uint(f, version, 4);
  f_u8(f, (uint8_t)dcid_len);
  f_fill(f, 0xd1, dcid_len);
  f_u8(f, (uint8_t)scid_len);
  f_fill(f, 0x5c, scid_len);
  if (token_len >= 0) {
    f_varint(f, (uint64_t)token_len);
    f_fill(f, 0x70, (size_t)token_len);
  }
  f_varint(f, length);
  f_fill(f, 0xaa, payload);
}

static void test_discard_rules(void **state) {
  (void)state;
  forge f;
  f_reset(&f);
  expect_header_error(f.b, 0, 8, 0, PQUIC_ERR_HEADER, "empty packet");
  /* Fixed bit 0: long and short. Accepted with grease_quic_bit. */
  forge_long(&f, 0x80, PQ_VERSION_V1, 8, 8, 0, 30, 30);
  expect_header_error(f.b, f.n, 8, 0, PQUIC_ERR_HEADER, "fixed bit is 0");
  pq_header h;
  assert_int_equal(pq_header_parse(f.b, f.n, 8, PQ_HDR_GREASE_QUIC_BIT, &h, NULL), 0);
  uint8_t s[30] = {0x01};
  expect_header_error(s, sizeof s, 8, 0, PQUIC_ERR_HEADER, "fixed bit is 0");
  assert_int_equal(pq_header_parse(s, sizeof s, 8, PQ_HDR_GREASE_QUIC_BIT, &h, NULL), 0);
  /* CIDs over 20 bytes in v1 and v2. */
  for (int v = 0; v < 2; v++) {
    uint32_t ver = v ? PQ_VERSION_V2 : PQ_VERSION_V1;
    forge_long(&f, 0xc0, ver, 21, 0, -1, 30, 30);
    expect_header_error(f.b, f.n, 8, 0, PQUIC_ERR_HEADER,
                        "long header connection ID longer than 20 bytes");
    forge_long(&f, 0xc0, ver, 0, 21, -1, 30, 30);
    expect_header_error(f.b, f.n, 8, 0, PQUIC_ERR_HEADER,
                        "long header connection ID longer than 20 bytes");
    forge_long(&f, 0xc0, ver, 20, 20, 0, 30, 30);
    assert_int_equal(pq_header_parse(f.b, f.n, 8, 0, &h, NULL), 0);
  }
  /* Length beyond the datagram; exactly to its end is fine. */
  forge_long(&f, 0xe0, PQ_VERSION_V1, 8, 8, -1, 31, 30); /* Handshake */
  expect_header_error(f.b, f.n, 8, 0, PQUIC_ERR_HEADER, "Length field exceeds the datagram");
  forge_long(&f, 0xe0, PQ_VERSION_V1, 8, 8, -1, 30, 30);
  assert_int_equal(pq_header_parse(f.b, f.n, 8, 0, &h, NULL), 0);
  assert_int_equal(h.type, PQ_PKT_HANDSHAKE);
  assert_int_equal(h.len, f.n);
  /* Token beyond the datagram. */
  forge_long(&f, 0xc0, PQ_VERSION_V1, 8, 8, 0, 30, 30);
  f.b[1 + 4 + 1 + 8 + 1 + 8] = 0x3f; /* token length 63 > rest */
  expect_header_error(f.b, f.n, 8, 0, PQUIC_ERR_HEADER,
                      "Initial token extends beyond the datagram");
  /* Retry: empty token, shorter than a tag. */
  f_reset(&f);
  f_hex(&f, "f000000001 00 08f067a5502a4262b5");
  f_fill(&f, 0, 16);
  expect_header_error(f.b, f.n, 8, 0, PQUIC_ERR_HEADER, "Retry packet has an empty token");
  expect_header_error(f.b, f.n - 1, 8, 0, PQUIC_ERR_HEADER,
                      "Retry packet shorter than its integrity tag");
  /* VN: empty list, list not a multiple of 4. */
  f_reset(&f);
  f_hex(&f, "c0 00000000 04 01020304 02 0506");
  expect_header_error(f.b, f.n, 8, 0, PQUIC_ERR_HEADER,
                      "Version Negotiation packet lists no version");
  f_hex(&f, "000000010a");
  expect_header_error(f.b, f.n, 8, 0, PQUIC_ERR_HEADER,
                      "Version Negotiation version list is not a multiple of 4 bytes");
  /* Short header shorter than its DCID; short DCID length over 20 is a
   * caller error. */
  uint8_t sh[8] = {0x40};
  expect_header_error(sh, 8, 8, 0, PQUIC_ERR_HEADER, "short header packet shorter than its DCID");
  assert_int_equal(pq_header_parse(sh, 8, 7, 0, &h, NULL), 0);
  assert_int_equal(pq_header_parse(sh, 8, 21, 0, &h, NULL), PQUIC_ERR_INVAL);
}

/* A long header of an unknown version: VERSION, with what a server needs to
 * answer with Version Negotiation (CIDs up to 255 bytes). */
static void test_unknown_version(void **state) {
  (void)state;
  forge f;
  forge_long(&f, 0xc0, 0x1a2a3a4a, 200, 255, -1, 0, 50);
  pq_header h;
  const char *rule = NULL;
  assert_int_equal(pq_header_parse(f.b, f.n, 8, 0, &h, &rule), PQUIC_ERR_VERSION);
  assert_string_equal(rule, "long header of an unsupported version");
  assert_int_equal(h.version, 0x1a2a3a4a);
  assert_int_equal(h.dcid_len, 200);
  assert_int_equal(h.scid_len, 255);
  assert_ptr_equal(h.dcid, f.b + 6);
  assert_ptr_equal(h.scid, f.b + 6 + 200 + 1);
  assert_int_equal(h.len, f.n);
  /* Answer it and parse the answer. */
  uint8_t out[1024];
  pq_wbuf w = pq_wbuf_make(out, sizeof out);
  const uint32_t ours[3] = {PQ_VERSION_V2, 0x0a1a2a3a, PQ_VERSION_V1};
  assert_int_equal(pq_vn_write(&w, 0x7f, h.scid, h.scid_len, h.dcid, h.dcid_len, ours, 3), 0);
  size_t n = (size_t)(w.p - out);
  assert_int_equal(n, 7 + 255 + 200 + 12);
  pq_header vn;
  assert_int_equal(pq_header_parse(out, n, 8, 0, &vn, NULL), 0);
  assert_int_equal(vn.type, PQ_PKT_VN);
  assert_int_equal(vn.version, 0);
  assert_true(out[0] & 0xc0);
  assert_int_equal(vn.dcid_len, 255);
  assert_memory_equal(vn.dcid, h.scid, 255);
  assert_int_equal(vn.scid_len, 200);
  assert_int_equal(vn.n_versions, 3);
  assert_int_equal(pq_vn_version(&vn, 0), PQ_VERSION_V2);
  assert_int_equal(pq_vn_version(&vn, 1), 0x0a1a2a3a);
  assert_int_equal(pq_vn_version(&vn, 2), PQ_VERSION_V1);
  assert_int_equal(vn.len, n);
  /* Truncated CIDs of an unknown version are a discard, not VERSION. */
  expect_header_error(f.b, 6 + 100, 8, 0, PQUIC_ERR_HEADER,
                      "long header truncated in the connection IDs");
}

static void test_vn_checks(void **state) {
  (void)state;
  const uint8_t our_scid[4] = {1, 2, 3, 4}, our_dcid[8] = {9, 8, 7, 6, 5, 4, 3, 2};
  const uint32_t listed[3] = {0x5a6a7a8a, PQ_VERSION_V2, 0xff00001d};
  uint8_t out[128];
  pq_wbuf w = pq_wbuf_make(out, sizeof out);
  assert_int_equal(pq_vn_write(&w, 0, our_scid, 4, our_dcid, 8, listed, 3), 0);
  pq_header h;
  assert_int_equal(pq_header_parse(out, (size_t)(w.p - out), 4, 0, &h, NULL), 0);
  const char *rule = NULL;
  /* We attempted v1, which it does not list: usable. */
  assert_int_equal(pq_vn_validate(&h, PQ_VERSION_V1, our_scid, 4, our_dcid, 8, &rule), 0);
  assert_true(pq_vn_lists(&h, PQ_VERSION_V2));
  assert_false(pq_vn_lists(&h, PQ_VERSION_V1));
  /* Listing the attempted version: ignored (downgrade protection). */
  assert_int_equal(pq_vn_validate(&h, PQ_VERSION_V2, our_scid, 4, our_dcid, 8, &rule),
                   PQUIC_ERR_HEADER);
  assert_string_equal(rule, "Version Negotiation packet lists the version we attempted");
  /* CIDs not echoed. */
  assert_int_equal(pq_vn_validate(&h, PQ_VERSION_V1, our_dcid, 8, our_scid, 4, &rule),
                   PQUIC_ERR_HEADER);
  assert_string_equal(rule, "Version Negotiation packet does not echo our connection IDs");
  assert_int_equal(pq_vn_validate(&h, PQ_VERSION_V1, our_scid, 3, our_dcid, 8, &rule),
                   PQUIC_ERR_HEADER);
  /* Selection follows our preference and skips reserved versions. */
  uint32_t chosen = 0;
  const uint32_t prefs[3] = {0x5a6a7a8a, PQ_VERSION_V1, PQ_VERSION_V2};
  assert_int_equal(pq_vn_select(&h, prefs, 3, &chosen), 0);
  assert_int_equal(chosen, PQ_VERSION_V2);
  assert_int_equal(pq_vn_select(&h, prefs, 2, &chosen), PQUIC_ERR_NOT_FOUND);
  /* Not a VN packet at all. */
  pq_header other = h;
  other.type = PQ_PKT_INITIAL;
  assert_int_equal(pq_vn_validate(&other, PQ_VERSION_V1, our_scid, 4, our_dcid, 8, &rule),
                   PQUIC_ERR_HEADER);
  /* Writer argument checks and every too-small buffer. */
  w = pq_wbuf_make(out, sizeof out);
  assert_int_equal(pq_vn_write(&w, 0, our_scid, 4, our_dcid, 8, listed, 0), PQUIC_ERR_INVAL);
  assert_int_equal(pq_vn_write(&w, 0, our_scid, 256, our_dcid, 8, listed, 1), PQUIC_ERR_INVAL);
  for (size_t cap = 0; cap < 7 + 12 + 12; cap++) {
    w = pq_wbuf_make(out, cap);
    assert_int_equal(pq_vn_write(&w, 0, our_scid, 4, our_dcid, 8, listed, 3),
                     PQUIC_ERR_BUFFER_TOO_SMALL);
    assert_ptr_equal(w.p, out);
  }
  assert_true(pq_version_is_reserved(0x1a2a3a4a));
  assert_false(pq_version_is_reserved(PQ_VERSION_V1));
  assert_false(pq_version_is_reserved(PQ_VERSION_V2));
}

/* Writes a header from spec followed by payload bytes, fixing Length. */
static size_t write_packet(uint8_t *buf, size_t cap, const pq_header_spec *s, size_t payload) {
  pq_wbuf w = pq_wbuf_make(buf, cap);
  pq_header_out o;
  assert_int_equal(pq_header_write(&w, s, &o), 0);
  assert_int_equal(o.len, pq_header_len(s));
  assert_int_equal((size_t)(w.p - buf), o.len);
  assert_true(pq_wbuf_left(&w) >= payload);
  memset(w.p, 0xab, payload);
  if (o.length_field)
    assert_int_equal(pq_header_set_length(&o, s->pn_len + payload), 0);
  return o.len + payload;
}

/* Every writable type, both versions, each pn length and Length width:
 * parse gives back what was written. */
static void test_write_parse_roundtrip(void **state) {
  (void)state;
  const uint8_t dcid[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  const uint8_t scid[5] = {0xa, 0xb, 0xc, 0xd, 0xe};
  const uint8_t token[3] = {0x77, 0x88, 0x99};
  const uint8_t types[4] = {PQ_PKT_INITIAL, PQ_PKT_0RTT, PQ_PKT_HANDSHAKE, PQ_PKT_1RTT};
  const uint32_t versions[2] = {PQ_VERSION_V1, PQ_VERSION_V2};
  const uint8_t length_lens[5] = {0, 1, 2, 4, 8};
  for (int t = 0; t < 4; t++)
    for (int v = 0; v < 2; v++)
      for (uint8_t pn_len = 1; pn_len <= 4; pn_len++)
        for (int l = 0; l < 5; l++) {
          pq_header_spec s = {
              .type = types[t],
              .version = versions[v],
              .dcid = dcid,
              .dcid_len = 20,
              .scid = scid,
              .scid_len = 5,
              .token = types[t] == PQ_PKT_INITIAL ? token : NULL,
              .token_len = types[t] == PQ_PKT_INITIAL ? 3 : 0,
              .pn = 0x12345678,
              .pn_len = pn_len,
              .length_len = length_lens[l],
              .length = (uint64_t)pn_len + 40,
              .spin = true,
              .key_phase = (pn_len & 1) != 0,
          };
          uint8_t buf[256];
          size_t n = write_packet(buf, sizeof buf, &s, 40);
          pq_header h;
          const char *rule = NULL;
          assert_int_equal(pq_header_parse(buf, n, 20, 0, &h, &rule), 0);
          assert_int_equal(h.type, types[t]);
          assert_int_equal(h.len, n);
          assert_int_equal(h.dcid_len, 20);
          assert_memory_equal(h.dcid, dcid, 20);
          if (types[t] != PQ_PKT_1RTT) {
            assert_int_equal(h.version, versions[v]);
            assert_int_equal(h.scid_len, 5);
            assert_memory_equal(h.scid, scid, 5);
            assert_int_equal(h.token_len, s.token_len);
          } else {
            assert_true(h.spin);
          }
          assert_int_equal(pq_header_read_pn(&h, &rule), 0);
          assert_int_equal(h.pn_len, pn_len);
          assert_int_equal(h.pn_truncated, pq_pn_truncate(0x12345678, pn_len));
          assert_int_equal(h.reserved, 0);
          assert_int_equal(h.key_phase, types[t] == PQ_PKT_1RTT && (pn_len & 1));
          assert_int_equal(pq_header_payload_len(&h), 40);
          /* Every strict prefix of a Length-delimited packet is refused. */
          if (types[t] != PQ_PKT_1RTT)
            for (size_t cut = 0; cut < n; cut++)
              assert_int_equal(pq_header_parse(buf, cut, 20, 0, &h, &rule), PQUIC_ERR_HEADER);
        }
}

static void test_write_errors(void **state) {
  (void)state;
  const uint8_t cid[21] = {0};
  pq_header_spec ok = {.type = PQ_PKT_HANDSHAKE,
                       .version = PQ_VERSION_V1,
                       .dcid = cid,
                       .dcid_len = 8,
                       .scid = cid,
                       .scid_len = 8,
                       .pn_len = 2,
                       .length_len = 2};
  uint8_t buf[128];
  pq_wbuf w = pq_wbuf_make(buf, sizeof buf);
  pq_header_out o;
  pq_header_spec s = ok;
  s.pn_len = 0;
  assert_int_equal(pq_header_write(&w, &s, &o), PQUIC_ERR_INVAL);
  s.pn_len = 5;
  assert_int_equal(pq_header_write(&w, &s, &o), PQUIC_ERR_INVAL);
  s = ok;
  s.dcid_len = 21;
  assert_int_equal(pq_header_write(&w, &s, &o), PQUIC_ERR_INVAL);
  s = ok;
  s.scid_len = 21;
  assert_int_equal(pq_header_write(&w, &s, &o), PQUIC_ERR_INVAL);
  s = ok;
  s.version = 0x0a0a0a0a;
  assert_int_equal(pq_header_write(&w, &s, &o), PQUIC_ERR_INVAL);
  s = ok;
  s.type = PQ_PKT_RETRY;
  assert_int_equal(pq_header_write(&w, &s, &o), PQUIC_ERR_INVAL);
  s = ok;
  s.token = cid;
  s.token_len = 3; /* token outside Initial */
  assert_int_equal(pq_header_write(&w, &s, &o), PQUIC_ERR_INVAL);
  s = ok;
  s.length_len = 3;
  assert_int_equal(pq_header_write(&w, &s, &o), PQUIC_ERR_INVAL);
  s = ok;
  s.length = 16384; /* does not fit the 2 bytes asked for */
  assert_int_equal(pq_header_write(&w, &s, &o), PQUIC_ERR_INVAL);
  assert_int_equal(pq_header_len(&s), 0);
  assert_ptr_equal(w.p, buf);
  /* Length filled later, then too large for its field. */
  assert_int_equal(pq_header_write(&w, &ok, &o), 0);
  assert_int_equal(pq_header_set_length(&o, 16383), 0);
  assert_int_equal(o.length_field[0], 0x7f);
  assert_int_equal(o.length_field[1], 0xff);
  assert_int_equal(pq_header_set_length(&o, 16384), PQUIC_ERR_VARINT_RANGE);
  /* No Length in a short header. */
  s = ok;
  s.type = PQ_PKT_1RTT;
  w = pq_wbuf_make(buf, sizeof buf);
  assert_int_equal(pq_header_write(&w, &s, &o), 0);
  assert_null(o.length_field);
  assert_int_equal(pq_header_set_length(&o, 5), PQUIC_ERR_INVAL);
  /* Every too-small buffer: nothing written. */
  size_t need = pq_header_len(&ok);
  for (size_t cap = 0; cap < need; cap++) {
    w = pq_wbuf_make(buf, cap);
    assert_int_equal(pq_header_write(&w, &ok, &o), PQUIC_ERR_BUFFER_TOO_SMALL);
    assert_ptr_equal(w.p, buf);
  }
  /* A cleared fixed bit parses only when we advertised grease_quic_bit. */
  s = ok;
  s.clear_fixed_bit = true;
  w = pq_wbuf_make(buf, sizeof buf);
  assert_int_equal(pq_header_write(&w, &s, &o), 0);
  memset(w.p, 0, 30);
  assert_int_equal(pq_header_set_length(&o, 30 + 2), 0);
  pq_header h;
  assert_int_equal(pq_header_parse(buf, o.len + 30, 8, 0, &h, NULL), PQUIC_ERR_HEADER);
  assert_int_equal(pq_header_parse(buf, o.len + 30, 8, PQ_HDR_GREASE_QUIC_BIT, &h, NULL), 0);
}

static void test_reserved_bits_and_pn_bounds(void **state) {
  (void)state;
  forge f;
  /* Handshake, Length 2, pn_len 4 after "unprotection": pn beyond packet. */
  forge_long(&f, 0xe3, PQ_VERSION_V1, 8, 8, -1, 2, 2);
  pq_header h;
  const char *rule = NULL;
  assert_int_equal(pq_header_parse(f.b, f.n, 8, 0, &h, &rule), 0);
  assert_null(pq_header_hp_sample(&h)); /* too short to sample */
  assert_int_equal(pq_header_read_pn(&h, &rule), PQUIC_ERR_HEADER);
  assert_string_equal(rule, "packet number extends beyond the packet");
  /* Reserved bits set: read_pn accepts, the check after decryption refuses. */
  forge_long(&f, 0xe0 | 0x0c, PQ_VERSION_V1, 8, 8, -1, 21, 21);
  assert_int_equal(pq_header_parse(f.b, f.n, 8, 0, &h, &rule), 0);
  assert_int_equal(pq_header_read_pn(&h, &rule), 0);
  assert_int_equal(h.reserved, 0x0c);
  assert_int_equal(pq_header_check_reserved(&h, &rule), PQUIC_ERR_PROTOCOL_VIOLATION);
  assert_string_equal(rule, "reserved header bits are not 0 after removing protection");
  uint8_t s[40] = {0x40 | 0x10 | 0x04 | 0x01};
  assert_int_equal(pq_header_parse(s, sizeof s, 8, 0, &h, &rule), 0);
  assert_int_equal(pq_header_read_pn(&h, &rule), 0);
  assert_int_equal(h.reserved, 0x10);
  assert_true(h.key_phase);
  assert_int_equal(h.pn_len, 2);
  assert_int_equal(pq_header_check_reserved(&h, &rule), PQUIC_ERR_PROTOCOL_VIOLATION);
  /* Sample boundary: exactly pn_offset + 20 bytes is enough. */
  assert_int_equal(pq_header_parse(s, 9 + 20, 8, 0, &h, &rule), 0);
  assert_non_null(pq_header_hp_sample(&h));
  assert_int_equal(pq_header_parse(s, 9 + 19, 8, 0, &h, &rule), 0);
  assert_null(pq_header_hp_sample(&h));
}

/* Initial + 0-RTT + Handshake + 1-RTT in one datagram. */
static void test_coalesced(void **state) {
  (void)state;
  const uint8_t dcid[8] = {8, 7, 6, 5, 4, 3, 2, 1}, scid[4] = {4, 3, 2, 1};
  uint8_t dg[1500];
  size_t n = 0;
  const uint8_t types[4] = {PQ_PKT_INITIAL, PQ_PKT_0RTT, PQ_PKT_HANDSHAKE, PQ_PKT_1RTT};
  size_t starts[4];
  for (int i = 0; i < 4; i++) {
    pq_header_spec s = {.type = types[i],
                        .version = PQ_VERSION_V2,
                        .dcid = dcid,
                        .dcid_len = 8,
                        .scid = scid,
                        .scid_len = 4,
                        .pn = (uint64_t)i,
                        .pn_len = 1,
                        .length_len = 2};
    starts[i] = n;
    n += write_packet(dg + n, sizeof dg - n, &s, 100 + (size_t)i);
  }
  pq_dgram_iter it;
  pq_header h;
  pq_dgram_iter_init(&it, dg, n, 8, 0);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(pq_dgram_next(&it, &h, NULL), 1);
    assert_int_equal(h.type, types[i]);
    assert_ptr_equal(h.pkt, dg + starts[i]);
    assert_int_equal(pq_header_read_pn(&h, NULL), 0);
    assert_int_equal(h.pn_truncated, (uint32_t)i);
  }
  assert_int_equal(pq_dgram_next(&it, &h, NULL), 0);
  assert_int_equal(pq_dgram_next(&it, &h, NULL), 0);
  /* Second packet to another DCID: refused, iteration stops. */
  dg[starts[1] + 6] ^= 1;
  const char *rule = NULL;
  pq_dgram_iter_init(&it, dg, n, 8, 0);
  assert_int_equal(pq_dgram_next(&it, &h, &rule), 1);
  assert_int_equal(pq_dgram_next(&it, &h, &rule), PQUIC_ERR_HEADER);
  assert_string_equal(rule, "coalesced packet with a different DCID than the first");
  assert_int_equal(pq_dgram_next(&it, &h, &rule), 0);
  dg[starts[1] + 6] ^= 1;
  /* Zero padding after the Handshake packet: packets before are returned,
   * then the padding is refused (fixed bit 0). */
  size_t cut = starts[3];
  memset(dg + cut, 0, 50);
  pq_dgram_iter_init(&it, dg, cut + 50, 8, 0);
  for (int i = 0; i < 3; i++)
    assert_int_equal(pq_dgram_next(&it, &h, NULL), 1);
  assert_int_equal(pq_dgram_next(&it, &h, &rule), PQUIC_ERR_HEADER);
  assert_string_equal(rule, "fixed bit is 0");
  assert_int_equal(pq_dgram_next(&it, &h, NULL), 0);
  /* An empty datagram has no packets. */
  pq_dgram_iter_init(&it, NULL, 0, 8, 0);
  assert_int_equal(pq_dgram_next(&it, &h, NULL), 0);
}

static void test_peek(void **state) {
  (void)state;
  forge f;
  forge_long(&f, 0xc0, 0x12345678, 30, 3, -1, 0, 0);
  const uint8_t *d = NULL;
  size_t dl = 0;
  assert_int_equal(pq_peek_dcid(f.b, f.n, 8, &d, &dl), 0);
  assert_ptr_equal(d, f.b + 6);
  assert_int_equal(dl, 30);
  for (size_t cut = 0; cut < 6 + 30; cut++)
    assert_int_equal(pq_peek_dcid(f.b, cut, 8, &d, &dl), PQUIC_ERR_HEADER);
  assert_int_equal(pq_peek_dcid(f.b, 36, 8, &d, &dl), 0);
  uint32_t v = 0;
  assert_true(pq_peek_version(f.b, f.n, &v));
  assert_int_equal(v, 0x12345678);
  assert_false(pq_peek_version(f.b, 4, &v));
  uint8_t s[9] = {0x41, 1, 2, 3, 4, 5, 6, 7, 8};
  assert_int_equal(pq_peek_dcid(s, 9, 8, &d, &dl), 0);
  assert_ptr_equal(d, s + 1);
  assert_int_equal(dl, 8);
  assert_int_equal(pq_peek_dcid(s, 8, 8, &d, &dl), PQUIC_ERR_HEADER);
  assert_int_equal(pq_peek_dcid(s, 0, 0, &d, &dl), PQUIC_ERR_HEADER);
  assert_false(pq_peek_version(s, 9, &v));
}

static void test_type_bits(void **state) {
  (void)state;
  for (unsigned t = 0; t < 4; t++) {
    assert_int_equal(pq_long_type_to_bits(PQ_VERSION_V1, (pq_pkt_type)t), t);
    assert_int_equal(pq_long_type_from_bits(PQ_VERSION_V1, t), t);
    assert_int_equal(
        pq_long_type_from_bits(PQ_VERSION_V2, pq_long_type_to_bits(PQ_VERSION_V2, (pq_pkt_type)t)),
        t);
  }
  /* RFC 9369 3.2. */
  assert_int_equal(pq_long_type_to_bits(PQ_VERSION_V2, PQ_PKT_INITIAL), 1);
  assert_int_equal(pq_long_type_to_bits(PQ_VERSION_V2, PQ_PKT_0RTT), 2);
  assert_int_equal(pq_long_type_to_bits(PQ_VERSION_V2, PQ_PKT_HANDSHAKE), 3);
  assert_int_equal(pq_long_type_to_bits(PQ_VERSION_V2, PQ_PKT_RETRY), 0);
  assert_string_equal(pq_pkt_type_name(PQ_PKT_HANDSHAKE), "Handshake");
  assert_string_equal(pq_pkt_type_name((pq_pkt_type)9), "unknown");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc_server_initial), cmocka_unit_test(test_rfc_client_initial),
      cmocka_unit_test(test_rfc_short_header),   cmocka_unit_test(test_rfc_retry),
      cmocka_unit_test(test_discard_rules),      cmocka_unit_test(test_unknown_version),
      cmocka_unit_test(test_vn_checks),          cmocka_unit_test(test_write_parse_roundtrip),
      cmocka_unit_test(test_write_errors),       cmocka_unit_test(test_reserved_bits_and_pn_bounds),
      cmocka_unit_test(test_coalesced),          cmocka_unit_test(test_peek),
      cmocka_unit_test(test_type_bits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
