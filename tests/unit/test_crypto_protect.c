/*
 * Packet protection byte for byte against RFC 9001 appendix A.2, A.3, A.5
 * and RFC 9369 appendix A.2, A.3, A.5, in both directions; tampering with
 * any byte makes unprotect fail; short packets are errors, not crashes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/keys.h"
#include "crypto/protect.h"
#include "crypto/secrets.h"
#include "pquic/errors.h"
#include "support/hex.h"

static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

/* RFC 9001 A.2 / RFC 9369 A.2: the CRYPTO frame, padded to 1162 bytes. */
static const char *client_crypto =
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c000004130113 02010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a 00080006001d00170018001000070005"
    "04616c706e0005000501000000000033 00260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce1 5d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408 050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff050480 00ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806 048000ffff";

static const char *client_protected_v1 =
    "c000000001088394c8f03e5157080000 449e7b9aec34d1b1c98dd7689fb8ec11"
    "d242b123dc9bd8bab936b47d92ec356c 0bab7df5976d27cd449f63300099f399"
    "1c260ec4c60d17b31f8429157bb35a12 82a643a8d2262cad67500cadb8e7378c"
    "8eb7539ec4d4905fed1bee1fc8aafba1 7c750e2c7ace01e6005f80fcb7df6212"
    "30c83711b39343fa028cea7f7fb5ff89 eac2308249a02252155e2347b63d58c5"
    "457afd84d05dfffdb20392844ae81215 4682e9cf012f9021a6f0be17ddd0c208"
    "4dce25ff9b06cde535d0f920a2db1bf3 62c23e596d11a4f5a6cf3948838a3aec"
    "4e15daf8500a6ef69ec4e3feb6b1d98e 610ac8b7ec3faf6ad760b7bad1db4ba3"
    "485e8a94dc250ae3fdb41ed15fb6a8e5 eba0fc3dd60bc8e30c5c4287e53805db"
    "059ae0648db2f64264ed5e39be2e20d8 2df566da8dd5998ccabdae053060ae6c"
    "7b4378e846d29f37ed7b4ea9ec5d82e7 961b7f25a9323851f681d582363aa5f8"
    "9937f5a67258bf63ad6f1a0b1d96dbd4 faddfcefc5266ba6611722395c906556"
    "be52afe3f565636ad1b17d508b73d874 3eeb524be22b3dcbc2c7468d54119c74"
    "68449a13d8e3b95811a198f3491de3e7 fe942b330407abf82a4ed7c1b311663a"
    "c69890f4157015853d91e923037c227a 33cdd5ec281ca3f79c44546b9d90ca00"
    "f064c99e3dd97911d39fe9c5d0b23a22 9a234cb36186c4819e8b9c5927726632"
    "291d6a418211cc2962e20fe47feb3edf 330f2c603a9d48c0fcb5699dbfe58964"
    "25c5bac4aee82e57a85aaf4e2513e4f0 5796b07ba2ee47d80506f8d2c25e50fd"
    "14de71e6c418559302f939b0e1abd576 f279c4b2e0feb85c1f28ff18f58891ff"
    "ef132eef2fa09346aee33c28eb130ff2 8f5b766953334113211996d20011a198"
    "e3fc433f9f2541010ae17c1bf202580f 6047472fb36857fe843b19f5984009dd"
    "c324044e847a4f4a0ab34f719595de37 252d6235365e9b84392b061085349d73"
    "203a4a13e96f5432ec0fd4a1ee65accd d5e3904df54c1da510b0ff20dcc0c77f"
    "cb2c0e0eb605cb0504db87632cf3d8b4 dae6e705769d1de354270123cb11450e"
    "fc60ac47683d7b8d0f811365565fd98c 4c8eb936bcab8d069fc33bd801b03ade"
    "a2e1fbc5aa463d08ca19896d2bf59a07 1b851e6c239052172f296bfb5e724047"
    "90a2181014f3b94a4e97d117b4381303 68cc39dbb2d198065ae3986547926cd2"
    "162f40a29f0c3c8745c0f50fba3852e5 66d44575c29d39a03f0cda721984b6f4"
    "40591f355e12d439ff150aab7613499d bd49adabc8676eef023b15b65bfc5ca0"
    "6948109f23f350db82123535eb8a7433 bdabcb909271a6ecbcb58b936a88cd4e"
    "8f2e6ff5800175f113253d8fa9ca8885 c2f552e657dc603f252e1a8e308f76f0"
    "be79e2fb8f5d5fbbe2e30ecadd220723 c8c0aea8078cdfcb3868263ff8f09400"
    "54da48781893a7e49ad5aff4af300cd8 04a6b6279ab3ff3afb64491c85194aab"
    "760d58a606654f9f4400e8b38591356f bf6425aca26dc85244259ff2b19c41b9"
    "f96f3ca9ec1dde434da7d2d392b905dd f3d1f9af93d1af5950bd493f5aa731b4"
    "056df31bd267b6b90a079831aaf579be 0a39013137aac6d404f518cfd4684064"
    "7e78bfe706ca4cf5e9c5453e9f7cfd2b 8b4c8d169a44e55c88d4a9a7f9474241"
    "e221af44860018ab0856972e194cd934";

static const char *client_protected_v2 =
    "d76b3343cf088394c8f03e5157080000 449ea0c95e82ffe67b6abcdb4298b485"
    "dd04de806071bf03dceebfa162e75d6c 96058bdbfb127cdfcbf903388e99ad04"
    "9f9a3dd4425ae4d0992cfff18ecf0fdb 5a842d09747052f17ac2053d21f57c5d"
    "250f2c4f0e0202b70785b7946e992e58 a59ac52dea6774d4f03b55545243cf1a"
    "12834e3f249a78d395e0d18f4d766004 f1a2674802a747eaa901c3f10cda5500"
    "cb9122faa9f1df66c392079a1b40f0de 1c6054196a11cbea40afb6ef5253cd68"
    "18f6625efce3b6def6ba7e4b37a40f77 32e093daa7d52190935b8da58976ff33"
    "12ae50b187c1433c0f028edcc4c2838b 6a9bfc226ca4b4530e7a4ccee1bfa2a3"
    "d396ae5a3fb512384b2fdd851f784a65 e03f2c4fbe11a53c7777c023462239dd"
    "6f7521a3f6c7d5dd3ec9b3f233773d4b 46d23cc375eb198c63301c21801f6520"
    "bcfb7966fc49b393f0061d974a2706df 8c4a9449f11d7f3d2dcbb90c6b877045"
    "636e7c0c0fe4eb0f697545460c806910 d2c355f1d253bc9d2452aaa549e27a1f"
    "ac7cf4ed77f322e8fa894b6a83810a34 b361901751a6f5eb65a0326e07de7c12"
    "16ccce2d0193f958bb3850a833f7ae43 2b65bc5a53975c155aa4bcb4f7b2c4e5"
    "4df16efaf6ddea94e2c50b4cd1dfe060 17e0e9d02900cffe1935e0491d77ffb4"
    "fdf85290fdd893d577b1131a610ef6a5 c32b2ee0293617a37cbb08b847741c3b"
    "8017c25ca9052ca1079d8b78aebd4787 6d330a30f6a8c6d61dd1ab5589329de7"
    "14d19d61370f8149748c72f132f0fc99 f34d766c6938597040d8f9e2bb522ff9"
    "9c63a344d6a2ae8aa8e51b7b90a4a806 105fcbca31506c446151adfeceb51b91"
    "abfe43960977c87471cf9ad4074d30e1 0d6a7f03c63bd5d4317f68ff325ba3bd"
    "80bf4dc8b52a0ba031758022eb025cdd 770b44d6d6cf0670f4e990b22347a7db"
    "848265e3e5eb72dfe8299ad7481a4083 22cac55786e52f633b2fb6b614eaed18"
    "d703dd84045a274ae8bfa73379661388 d6991fe39b0d93debb41700b41f90a15"
    "c4d526250235ddcd6776fc77bc97e7a4 17ebcb31600d01e57f32162a8560cacc"
    "7e27a096d37a1a86952ec71bd89a3e9a 30a2a26162984d7740f81193e8238e61"
    "f6b5b984d4d3dfa033c1bb7e4f0037fe bf406d91c0dccf32acf423cfa1e70710"
    "10d3f270121b493ce85054ef58bada42 310138fe081adb04e2bd901f2f13458b"
    "3d6758158197107c14ebb193230cd115 7380aa79cae1374a7c1e5bbcb80ee23e"
    "06ebfde206bfb0fcbc0edc4ebec30966 1bdd908d532eb0c6adc38b7ca7331dce"
    "8dfce39ab71e7c32d318d136b6100671 a1ae6a6600e3899f31f0eed19e3417d1"
    "34b90c9058f8632c798d4490da498730 7cba922d61c39805d072b589bd52fdf1"
    "e86215c2d54e6670e07383a27bbffb5a ddf47d66aa85a0c6f9f32e59d85a44dd"
    "5d3b22dc2be80919b490437ae4f36a0a e55edf1d0b5cb4e9a3ecabee93dfc6e3"
    "8d209d0fa6536d27a5d6fbb17641cde2 7525d61093f1b28072d111b2b4ae5f89"
    "d5974ee12e5cf7d5da4d6a31123041f3 3e61407e76cffcdcfd7e19ba58cf4b53"
    "6f4c4938ae79324dc402894b44faf8af bab35282ab659d13c93f70412e85cb19"
    "9a37ddec600545473cfb5a05e08d0b20 9973b2172b4d21fb69745a262ccde96b"
    "a18b2faa745b6fe189cf772a9f84cbfc";

/* RFC 9001 A.3 / RFC 9369 A.3. */
static const char *server_payload =
    "02000000000600405a020000560303ee fce7f7b37ba1d1632e96677825ddf739"
    "88cfc79825df566dc5430b9a045a1200 130100002e00330024001d00209d3c94"
    "0d89690b84d08a60993c144eca684d10 81287c834d5311bcf32bb9da1a002b00"
    "020304";

static const char *server_protected_v1 =
    "cf000000010008f067a5502a4262b500 4075c0d95a482cd0991cd25b0aac406a"
    "5816b6394100f37a1c69797554780bb3 8cc5a99f5ede4cf73c3ec2493a1839b3"
    "dbcba3f6ea46c5b7684df3548e7ddeb9 c3bf9c73cc3f3bded74b562bfb19fb84"
    "022f8ef4cdd93795d77d06edbb7aaf2f 58891850abbdca3d20398c276456cbc4"
    "2158407dd074ee";

static const char *server_protected_v2 =
    "dc6b3343cf0008f067a5502a4262b500 4075d92faaf16f05d8a4398c47089698"
    "baeea26b91eb761d9b89237bbf872630 17915358230035f7fd3945d88965cf17"
    "f9af6e16886c61bfc703106fbaf3cb4c fa52382dd16a393e42757507698075b2"
    "c984c707f0a0812d8cd5a6881eaf21ce da98f4bd23f6fe1a3e2c43edd9ce7ca8"
    "4bed8521e2e140";

typedef struct initial_case {
  uint32_t version;
  const char *header; /* unprotected */
  size_t payload_len; /* frames padded with zeros to this length */
  uint64_t pn;
  const char *sample;
  const char *mask;
  int from_server;
} initial_case;

static const initial_case cases[] = {
    {PQ_CRYPTO_V1, "c300000001088394c8f03e5157080000449e00000002", 1162, 2,
     "d1b1c98dd7689fb8ec11d242b123dc9b", "437b9aec36", 0},
    {PQ_CRYPTO_V1, "c1000000010008f067a5502a4262b50040750001", 0, 1,
     "2cd0991cd25b0aac406a5816b6394100", "2ec0d8356a", 1},
    {PQ_CRYPTO_V2, "d36b3343cf088394c8f03e5157080000449e00000002", 1162, 2,
     "ffe67b6abcdb4298b485dd04de806071", "94a0c95e80", 0},
    {PQ_CRYPTO_V2, "d16b3343cf0008f067a5502a4262b50040750001", 0, 1,
     "6f05d8a4398c47089698baeea26b91eb", "4dd92e91ea", 1},
};

static const char *expected_packet(size_t i) {
  switch (i) {
  case 0:
    return client_protected_v1;
  case 1:
    return server_protected_v1;
  case 2:
    return client_protected_v2;
  default:
    return server_protected_v2;
  }
}

/* Builds the unprotected packet of case i into buf; returns its length
 * (header + payload + 16 bytes of tag room) and the pn offset. */
static size_t build_plain(size_t i, uint8_t *buf, size_t cap, size_t *pn_offset) {
  const initial_case *c = &cases[i];
  size_t hl = pq_test_unhex(c->header, buf, cap);
  assert_true(hl != (size_t)-1);
  size_t pl = pq_test_unhex(c->from_server ? server_payload : client_crypto, buf + hl, cap - hl);
  assert_true(pl != (size_t)-1);
  if (c->payload_len > pl) {
    memset(buf + hl + pl, 0, c->payload_len - pl);
    pl = c->payload_len;
  }
  size_t end;
  *pn_offset = pq_test_initial_pn_offset(buf, &end);
  assert_int_equal(end, hl + pl + PQ_TAG_LEN); /* the Length field agrees */
  memset(buf + hl + pl, 0xee, PQ_TAG_LEN);
  return hl + pl + PQ_TAG_LEN;
}

static void keys_for(size_t i, pq_dir_keys *k) {
  pq_dir_keys client, server;
  assert_int_equal(pq_initial_keys(&client, &server, cases[i].version, dcid, sizeof dcid), 0);
  if (cases[i].from_server) {
    *k = server;
    pq_dir_keys_free(&client);
  } else {
    *k = client;
    pq_dir_keys_free(&server);
  }
}

static void test_initial_protect(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t buf[1300], want[1300];
    size_t pn_off;
    size_t len = build_plain(i, buf, sizeof buf, &pn_off);
    size_t want_len = pq_test_unhex(expected_packet(i), want, sizeof want);
    assert_int_equal(len, want_len);
    size_t pn_len = (buf[0] & 3) + 1;

    pq_dir_keys k;
    keys_for(i, &k);
    /* The mask for the RFC's sample. */
    uint8_t sample[16], mask[5], want_mask[5];
    assert_int_equal(pq_test_unhex(cases[i].sample, sample, 16), 16);
    assert_int_equal(pq_test_unhex(cases[i].mask, want_mask, 5), 5);
    assert_int_equal(pq_hp_mask(&k.hp, sample, mask), 0);
    assert_memory_equal(mask, want_mask, 5);

    assert_int_equal(pq_packet_protect(&k.phase.aead, &k.hp, buf, len, pn_off, pn_len, cases[i].pn),
                     0);
    assert_memory_equal(buf + pn_off + 4, sample, 16);
    assert_memory_equal(buf, want, len);
    pq_dir_keys_free(&k);
  }
}

static void test_initial_unprotect(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t buf[1300], plain[1300];
    size_t pn_off;
    size_t plain_len = build_plain(i, plain, sizeof plain, &pn_off);
    size_t len = pq_test_unhex(expected_packet(i), buf, sizeof buf);
    assert_int_equal(len, plain_len);
    size_t end;
    assert_int_equal(pq_test_initial_pn_offset(buf, &end), pn_off);
    assert_int_equal(end, len);

    /* The receiver is the other side: it derives the same keys. */
    pq_dir_keys k;
    keys_for(i, &k);
    uint64_t pn;
    size_t hdr_len, payload_len;
    assert_int_equal(pq_packet_unprotect(&k.phase.aead, &k.hp, buf, len, pn_off, UINT64_MAX, &pn,
                                         &hdr_len, &payload_len),
                     0);
    assert_int_equal(pn, cases[i].pn);
    assert_int_equal(hdr_len, pn_off + (size_t)(plain[0] & 3) + 1);
    assert_int_equal(payload_len, len - hdr_len - PQ_TAG_LEN);
    assert_memory_equal(buf, plain, hdr_len + payload_len);
    pq_dir_keys_free(&k);
  }
}

/* Flipping any single bit anywhere in a protected packet makes it fail:
 * header bytes are authenticated as AAD (or change the pn / pn length), and
 * payload and tag bytes fail the AEAD. */
static void test_tampering(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t orig[1300], buf[1300];
    size_t len = pq_test_unhex(expected_packet(i), orig, sizeof orig);
    size_t pn_off = pq_test_initial_pn_offset(orig, NULL);
    pq_dir_keys k;
    keys_for(i, &k);
    /* Every byte of the short server packets; a spread of the long ones. */
    size_t step = len > 400 ? 7 : 1;
    for (size_t pos = 0; pos < len; pos += step) {
      memcpy(buf, orig, len);
      buf[pos] ^= (uint8_t)(1u << (pos % 8));
      int rv =
          pq_packet_unprotect(&k.phase.aead, &k.hp, buf, len, pn_off, UINT64_MAX, NULL, NULL, NULL);
      if (rv != PQUIC_ERR_DECRYPT)
        fail_msg("case %zu: flipping byte %zu gave %d", i, pos, rv);
    }
    pq_dir_keys_free(&k);
  }
}

static void chacha_case(uint32_t version, const char *want_hex, const char *want_mask) {
  uint8_t secret[32];
  assert_int_equal(
      pq_test_unhex("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b", secret, 32),
      32);
  pq_dir_keys k;
  assert_int_equal(
      pq_dir_keys_init(&k, PQ_SUITE_CHACHA20_POLY1305_SHA256, version, secret, sizeof secret), 0);

  /* Short header, empty DCID, pn 654360564 encoded on 3 bytes, PING. */
  uint8_t pkt[21] = {0x42, 0x00, 0xbf, 0xf4, 0x01};
  const uint64_t pn = 654360564;
  assert_int_equal(pq_packet_protect(&k.phase.aead, &k.hp, pkt, sizeof pkt, 1, 3, pn), 0);
  uint8_t want[21], mask[5], m[5];
  assert_int_equal(pq_test_unhex(want_hex, want, sizeof want), 21);
  assert_memory_equal(pkt, want, 21);
  assert_int_equal(pq_test_unhex(want_mask, mask, 5), 5);
  assert_int_equal(pq_hp_mask(&k.hp, pkt + 5, m), 0);
  assert_memory_equal(m, mask, 5);

  /* Two-step receive: remove HP, decode pn, open. */
  size_t pn_len, plen;
  uint64_t trunc;
  assert_int_equal(pq_packet_remove_hp(&k.hp, pkt, sizeof pkt, 1, &pn_len, &trunc), 0);
  assert_int_equal(pkt[0], 0x42);
  assert_int_equal(pn_len, 3);
  assert_int_equal(trunc, 0xbff4);
  const uint64_t full = pn; /* the caller decodes; 0xbff4 near 654360500 */
  assert_int_equal(pq_packet_open(&k.phase.aead, pkt, sizeof pkt, 1 + pn_len, full, &plen), 0);
  assert_int_equal(plen, 1);
  assert_int_equal(pkt[4], 0x01);

  /* One step, and with a wrong packet number the AEAD fails. */
  memcpy(pkt, want, sizeof pkt);
  uint64_t got;
  assert_int_equal(
      pq_packet_unprotect(&k.phase.aead, &k.hp, pkt, sizeof pkt, 1, 654360000, &got, NULL, NULL),
      0);
  assert_int_equal(got, pn);
  memcpy(pkt, want, sizeof pkt);
  assert_int_equal(pq_packet_remove_hp(&k.hp, pkt, sizeof pkt, 1, &pn_len, &trunc), 0);
  assert_int_equal(pq_packet_open(&k.phase.aead, pkt, sizeof pkt, 4, pn + 1, &plen),
                   PQUIC_ERR_DECRYPT);
  pq_dir_keys_free(&k);
}

static void test_chacha_short_header(void **state) {
  (void)state;
  chacha_case(PQ_CRYPTO_V1, "4cfe4189655e5cd55c41f69080575d7999c25a5bfb", "aefefe7d03");
  chacha_case(PQ_CRYPTO_V2, "5558b1c60ae7b6b932bc27d786f4bc2bb20f2162ba", "97580e32bf");
}

/* Too short to sample is an error on both sides; every truncation of a
 * valid packet is rejected without reading past its end (ASan checks the
 * heap copy). */
static void test_short_packets(void **state) {
  (void)state;
  uint8_t secret[32] = {1};
  pq_dir_keys k;
  assert_int_equal(pq_dir_keys_init(&k, PQ_SUITE_AES_128_GCM_SHA256, PQ_CRYPTO_V1, secret, 32), 0);
  uint8_t pkt[64] = {0x40, 0xaa, 0xbb, 0x05, 0x02};
  /* pn_offset 3, pn_len 1: need 3 + 20 = 23 bytes. */
  assert_int_equal(pq_packet_protect(&k.phase.aead, &k.hp, pkt, 22, 3, 1, 5), PQUIC_ERR_HEADER);
  assert_int_equal(pq_packet_protect(&k.phase.aead, &k.hp, pkt, 23, 3, 2, 5), PQUIC_ERR_INVAL);
  assert_int_equal(pq_packet_protect(&k.phase.aead, &k.hp, pkt, 23, 3, 1, 5), 0);
  uint8_t good[23];
  memcpy(good, pkt, sizeof good);
  for (size_t n = 0; n <= sizeof good; n++) {
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, good, n);
    int rv = pq_packet_unprotect(&k.phase.aead, &k.hp, copy, n, 3, UINT64_MAX, NULL, NULL, NULL);
    if (n < sizeof good)
      assert_true(rv == PQUIC_ERR_HEADER || rv == PQUIC_ERR_DECRYPT);
    else
      assert_int_equal(rv, 0);
    free(copy);
  }
  /* pn_offset at or past the end. */
  size_t pl;
  uint64_t t;
  assert_int_equal(pq_packet_remove_hp(&k.hp, good, 23, 23, &pl, &t), PQUIC_ERR_HEADER);
  assert_int_equal(pq_packet_remove_hp(&k.hp, good, 23, 1000, &pl, &t), PQUIC_ERR_HEADER);
  assert_int_equal(pq_packet_open(&k.phase.aead, good, 23, 10, 5, &pl), PQUIC_ERR_DECRYPT);
  assert_int_equal(pq_packet_open(&k.phase.aead, good, 23, 30, 5, &pl), PQUIC_ERR_DECRYPT);
  /* Uninitialized contexts are argument errors, not crashes. */
  pq_aead none = {0};
  pq_hp nohp = {0};
  assert_int_equal(pq_aead_open(&none, 0, NULL, 0, good, 23, &pl), PQUIC_ERR_INVAL);
  assert_int_equal(pq_hp_remove(&nohp, good, 23, 3, &pl), PQUIC_ERR_INVAL);
  pq_dir_keys_free(&k);
}

/* Every suite round-trips long and short headers with 1..4-byte packet
 * numbers and several payload sizes. */
static void test_round_trip_all_suites(void **state) {
  (void)state;
  static const pq_cipher_suite suites[] = {PQ_SUITE_AES_128_GCM_SHA256, PQ_SUITE_AES_256_GCM_SHA384,
                                           PQ_SUITE_CHACHA20_POLY1305_SHA256};
  for (size_t s = 0; s < 3; s++) {
    uint8_t secret[48];
    for (size_t i = 0; i < sizeof secret; i++)
      secret[i] = (uint8_t)(s * 31 + i);
    pq_dir_keys tx, rx;
    size_t slen = pq_suite_secret_len(suites[s]);
    assert_int_equal(pq_dir_keys_init(&tx, suites[s], PQ_CRYPTO_V2, secret, slen), 0);
    assert_int_equal(pq_dir_keys_init(&rx, suites[s], PQ_CRYPTO_V2, secret, slen), 0);
    for (size_t pn_len = 1; pn_len <= 4; pn_len++) {
      for (int longhdr = 0; longhdr < 2; longhdr++) {
        for (size_t payload = 20; payload <= 1400; payload += 345) {
          uint8_t pkt[1500], orig[1500];
          size_t pn_off = longhdr ? 18 : 9;
          memset(pkt, 0x5a, sizeof pkt);
          pkt[0] = (uint8_t)((longhdr ? 0xc0 : 0x40) | (pn_len - 1));
          uint64_t pn = 0x12345678u + payload;
          for (size_t i = 0; i < pn_len; i++)
            pkt[pn_off + i] = (uint8_t)(pn >> (8 * (pn_len - 1 - i)));
          for (size_t i = 0; i < payload; i++)
            pkt[pn_off + pn_len + i] = (uint8_t)(i * 13);
          size_t len = pn_off + pn_len + payload + PQ_TAG_LEN;
          memcpy(orig, pkt, len);
          assert_int_equal(pq_packet_protect(&tx.phase.aead, &tx.hp, pkt, len, pn_off, pn_len, pn),
                           0);
          /* The unprotected bits of the first byte are untouched. */
          assert_int_equal(pkt[0] & (longhdr ? 0xf0 : 0xe0), orig[0] & (longhdr ? 0xf0 : 0xe0));
          uint64_t got;
          size_t hl, pl;
          assert_int_equal(
              pq_packet_unprotect(&rx.phase.aead, &rx.hp, pkt, len, pn_off, pn - 3, &got, &hl, &pl),
              0);
          assert_int_equal(got, pn);
          assert_int_equal(hl, pn_off + pn_len);
          assert_int_equal(pl, payload);
          assert_memory_equal(pkt, orig, hl + pl);
        }
      }
    }
    pq_dir_keys_free(&tx);
    pq_dir_keys_free(&rx);
  }
}

/* The one-step unprotect decodes the packet number against the largest one
 * received: RFC 9000 appendix A.3's example and the window edges. */
static void test_pn_decode(void **state) {
  (void)state;
  static const struct {
    uint64_t largest, pn;
    size_t pn_len;
  } v[] = {
      {0xa82f30ea, 0xa82f9b32, 2},
      {UINT64_MAX, 0, 1},
      {UINT64_MAX, 5, 2},
      {255, 256, 1},
      {300, 255, 1},
      {0x1ff, 0x201, 1},
      {1000000, 999999, 4},
  };
  uint8_t secret[32] = {9};
  pq_dir_keys k;
  assert_int_equal(pq_dir_keys_init(&k, PQ_SUITE_AES_128_GCM_SHA256, PQ_CRYPTO_V1, secret, 32), 0);
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    uint8_t pkt[40] = {0};
    pkt[0] = (uint8_t)(0x40 | (v[i].pn_len - 1));
    for (size_t j = 0; j < v[i].pn_len; j++)
      pkt[1 + j] = (uint8_t)(v[i].pn >> (8 * (v[i].pn_len - 1 - j)));
    assert_int_equal(pq_packet_protect(&k.phase.aead, &k.hp, pkt, 40, 1, v[i].pn_len, v[i].pn), 0);
    uint64_t got = 0;
    assert_int_equal(
        pq_packet_unprotect(&k.phase.aead, &k.hp, pkt, 40, 1, v[i].largest, &got, NULL, NULL), 0);
    assert_int_equal(got, v[i].pn);
  }
  pq_dir_keys_free(&k);
}

/* Re-keying a context seals exactly as a fresh context with the new key
 * (GnuTLS's own set_key does not, for AES-GCM). */
static void test_rekey_matches_fresh(void **state) {
  (void)state;
  const pq_cipher_suite suites[] = {PQ_SUITE_AES_128_GCM_SHA256, PQ_SUITE_AES_256_GCM_SHA384,
                                    PQ_SUITE_CHACHA20_POLY1305_SHA256};
  for (size_t i = 0; i < 3; i++) {
    uint8_t k1[32] = {1}, k2[32] = {2}, iv[12] = {3};
    uint8_t a_out[48] = {0}, b_out[48] = {0};
    pq_aead a = {0}, b = {0};
    assert_int_equal(pq_aead_init(&a, suites[i], k1, iv), 0);
    assert_int_equal(pq_aead_seal(&a, 5, (const uint8_t *)"hdr", 3, a_out, 16), 0);
    assert_int_equal(pq_aead_rekey(&a, k2, iv), 0);
    assert_int_equal(pq_aead_init(&b, suites[i], k2, iv), 0);
    memset(a_out, 0, sizeof a_out);
    assert_int_equal(pq_aead_seal(&a, 5, (const uint8_t *)"hdr", 3, a_out, 16), 0);
    assert_int_equal(pq_aead_seal(&b, 5, (const uint8_t *)"hdr", 3, b_out, 16), 0);
    assert_memory_equal(a_out, b_out, 32);
    pq_aead_free(&a);
    pq_aead_free(&b);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_initial_protect), cmocka_unit_test(test_initial_unprotect),
      cmocka_unit_test(test_tampering),       cmocka_unit_test(test_chacha_short_header),
      cmocka_unit_test(test_short_packets),   cmocka_unit_test(test_round_trip_all_suites),
      cmocka_unit_test(test_pn_decode), cmocka_unit_test(test_rekey_matches_fresh),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
