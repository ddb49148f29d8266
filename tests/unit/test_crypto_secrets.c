/* Key schedule against RFC 9001 appendix A.1/A.5 and RFC 9369 appendix A. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <gnutls/crypto.h>

#include "crypto/keys.h"
#include "crypto/secrets.h"
#include "pquic/errors.h"
#include "support/hex.h"

static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

static void assert_hex(const uint8_t *got, size_t len, const char *hex) {
  uint8_t want[128];
  size_t n = pq_test_unhex(hex, want, sizeof want);
  assert_int_equal(n, len);
  assert_memory_equal(got, want, len);
}

static const uint8_t salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};

static void test_hkdf_extract_initial_secret(void **state) {
  (void)state;
  uint8_t out[32];
  assert_int_equal(pq_hkdf_extract(PQ_HASH_SHA256, salt_v1, sizeof salt_v1, dcid, sizeof dcid, out),
                   0);
  assert_hex(out, 32, "7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44");
}

/* The HkdfLabel encodings listed in RFC 9001 A.1 and RFC 9369 A.1, fed
 * straight to GnuTLS, must give what pq_hkdf_expand_label gives. */
static void check_label(pq_hash hash, const char *label, size_t out_len, const char *info_hex) {
  uint8_t secret[48];
  for (size_t i = 0; i < sizeof secret; i++)
    secret[i] = (uint8_t)(i * 7 + 1);
  size_t slen = pq_hash_len(hash);
  uint8_t info[64], a[64], b[64];
  size_t ilen = pq_test_unhex(info_hex, info, sizeof info);
  assert_true(ilen != (size_t)-1);
  gnutls_datum_t k = {secret, (unsigned)slen}, i = {info, (unsigned)ilen};
  assert_int_equal(
      gnutls_hkdf_expand(hash == PQ_HASH_SHA256 ? GNUTLS_MAC_SHA256 : GNUTLS_MAC_SHA384, &k, &i, a,
                         out_len),
      0);
  assert_int_equal(pq_hkdf_expand_label(hash, secret, slen, label, NULL, 0, b, out_len), 0);
  assert_memory_equal(a, b, out_len);
}

static void test_label_encoding(void **state) {
  (void)state;
  check_label(PQ_HASH_SHA256, "client in", 32, "00200f746c73313320636c69656e7420696e00");
  check_label(PQ_HASH_SHA256, "server in", 32, "00200f746c7331332073657276657220696e00");
  check_label(PQ_HASH_SHA256, "quic key", 16, "00100e746c7331332071756963206b657900");
  check_label(PQ_HASH_SHA256, "quic iv", 12, "000c0d746c733133207175696320697600");
  check_label(PQ_HASH_SHA256, "quic hp", 16, "00100d746c733133207175696320687000");
  check_label(PQ_HASH_SHA256, "quicv2 key", 16, "001010746c73313320717569637632206b657900");
  check_label(PQ_HASH_SHA256, "quicv2 iv", 12, "000c0f746c7331332071756963763220697600");
  check_label(PQ_HASH_SHA256, "quicv2 hp", 16, "00100f746c7331332071756963763220687000");
  /* SHA-384 (AES-256-GCM suite), 32-byte key. */
  check_label(PQ_HASH_SHA384, "quic key", 32, "00200e746c7331332071756963206b657900");
}

static void test_initial_keys_v1(void **state) {
  (void)state;
  uint8_t cs[32], ss[32];
  assert_int_equal(pq_initial_secrets(PQ_CRYPTO_V1, dcid, sizeof dcid, cs, ss), 0);
  assert_hex(cs, 32, "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea");
  assert_hex(ss, 32, "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b");

  pq_key_material m;
  assert_int_equal(pq_derive_key_material(PQ_SUITE_AES_128_GCM_SHA256, PQ_CRYPTO_V1, cs, 32, &m),
                   0);
  assert_int_equal(m.key_len, 16);
  assert_hex(m.key, 16, "1f369613dd76d5467730efcbe3b1a22d");
  assert_hex(m.iv, 12, "fa044b2f42a3fd3b46fb255c");
  assert_hex(m.hp, 16, "9f50449e04a0e810283a1e9933adedd2");

  assert_int_equal(pq_derive_key_material(PQ_SUITE_AES_128_GCM_SHA256, PQ_CRYPTO_V1, ss, 32, &m),
                   0);
  assert_hex(m.key, 16, "cf3a5331653c364c88f0f379b6067e37");
  assert_hex(m.iv, 12, "0ac1493ca1905853b0bba03e");
  assert_hex(m.hp, 16, "c206b8d9b9f0f37644430b490eeaa314");
}

static void test_initial_keys_v2(void **state) {
  (void)state;
  uint8_t cs[32], ss[32];
  assert_int_equal(pq_initial_secrets(PQ_CRYPTO_V2, dcid, sizeof dcid, cs, ss), 0);
  assert_hex(cs, 32, "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b");
  assert_hex(ss, 32, "0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1");

  pq_key_material m;
  assert_int_equal(pq_derive_key_material(PQ_SUITE_AES_128_GCM_SHA256, PQ_CRYPTO_V2, cs, 32, &m),
                   0);
  assert_hex(m.key, 16, "8b1a0bc121284290a29e0971b5cd045d");
  assert_hex(m.iv, 12, "91f73e2351d8fa91660e909f");
  assert_hex(m.hp, 16, "45b95e15235d6f45a6b19cbcb0294ba9");

  assert_int_equal(pq_derive_key_material(PQ_SUITE_AES_128_GCM_SHA256, PQ_CRYPTO_V2, ss, 32, &m),
                   0);
  assert_hex(m.key, 16, "82db637861d55e1d011f19ea71d5d2a7");
  assert_hex(m.iv, 12, "dd13c276499c0249d3310652");
  assert_hex(m.hp, 16, "edf6d05c83121201b436e16877593c3a");
}

static const char *chacha_secret =
    "9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b";

static void test_chacha_keys_and_ku(void **state) {
  (void)state;
  uint8_t secret[32], next[32];
  assert_int_equal(pq_test_unhex(chacha_secret, secret, sizeof secret), 32);
  const pq_cipher_suite cc = PQ_SUITE_CHACHA20_POLY1305_SHA256;
  pq_key_material m;

  assert_int_equal(pq_derive_key_material(cc, PQ_CRYPTO_V1, secret, 32, &m), 0);
  assert_int_equal(m.key_len, 32);
  assert_hex(m.key, 32, "c6d98ff3441c3fe1b2182094f69caa2ed4b716b65488960a7a984979fb23e1c8");
  assert_hex(m.iv, 12, "e0459b3474bdd0e44a41c144");
  assert_hex(m.hp, 32, "25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4");
  assert_int_equal(pq_derive_next_secret(cc, PQ_CRYPTO_V1, secret, 32, next), 0);
  assert_hex(next, 32, "1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9");

  assert_int_equal(pq_derive_key_material(cc, PQ_CRYPTO_V2, secret, 32, &m), 0);
  assert_hex(m.key, 32, "3bfcddd72bcf02541d7fa0dd1f5f9eeea817e09a6963a0e6c7df0f9a1bab90f2");
  assert_hex(m.iv, 12, "a6b5bc6ab7dafce30ffff5dd");
  assert_hex(m.hp, 32, "d659760d2ba434a226fd37b35c69e2da8211d10c4f12538787d65645d5d1b8e2");
  /* In place (next aliases secret). */
  assert_int_equal(pq_derive_next_secret(cc, PQ_CRYPTO_V2, secret, 32, secret), 0);
  assert_hex(secret, 32, "c69374c49e3d2a9466fa689e49d476db5d0dfbc87d32ceeaa6343fd0ae4c7d88");
}

/* AES-256-GCM uses SHA-384: a 48-byte secret, 32-byte key and hp key, and
 * labels built exactly like the SHA-256 ones. */
static void test_sha384_suite(void **state) {
  (void)state;
  uint8_t secret[48];
  for (size_t i = 0; i < sizeof secret; i++)
    secret[i] = (uint8_t)(0xa0 + i);
  pq_key_material m;
  const pq_cipher_suite s = PQ_SUITE_AES_256_GCM_SHA384;
  assert_int_equal(pq_derive_key_material(s, PQ_CRYPTO_V1, secret, 48, &m), 0);
  assert_int_equal(m.key_len, 32);
  uint8_t want[48];
  uint8_t info_key[] = {0x00, 0x20, 0x0e, 't', 'l', 's', '1', '3', ' ',
                        'q',  'u',  'i',  'c', ' ', 'k', 'e', 'y', 0x00};
  gnutls_datum_t k = {secret, 48}, i = {info_key, sizeof info_key};
  assert_int_equal(gnutls_hkdf_expand(GNUTLS_MAC_SHA384, &k, &i, want, 32), 0);
  assert_memory_equal(m.key, want, 32);
  uint8_t next[48];
  assert_int_equal(pq_derive_next_secret(s, PQ_CRYPTO_V1, secret, 48, next), 0);
  uint8_t info_ku[] = {0x00, 0x30, 0x0d, 't', 'l', 's', '1', '3', ' ',
                       'q',  'u',  'i',  'c', ' ', 'k', 'u', 0x00};
  i = (gnutls_datum_t){info_ku, sizeof info_ku};
  assert_int_equal(gnutls_hkdf_expand(GNUTLS_MAC_SHA384, &k, &i, want, 48), 0);
  assert_memory_equal(next, want, 48);
  /* A 32-byte secret is the wrong size for this suite. */
  assert_int_equal(pq_derive_key_material(s, PQ_CRYPTO_V1, secret, 32, &m), PQUIC_ERR_INVAL);
}

static void test_bad_arguments(void **state) {
  (void)state;
  uint8_t cs[32], big[21] = {0};
  assert_int_equal(pq_initial_secrets(0xff00001d, dcid, 8, cs, NULL), PQUIC_ERR_VERSION);
  assert_int_equal(pq_initial_secrets(PQ_CRYPTO_V1, big, 21, cs, NULL), PQUIC_ERR_INVAL);
  assert_int_equal(pq_initial_secrets(PQ_CRYPTO_V1, NULL, 0, cs, cs), 0); /* empty DCID is legal */
  pq_key_material m;
  assert_int_equal(pq_derive_key_material(PQ_SUITE_NONE, PQ_CRYPTO_V1, cs, 32, &m),
                   PQUIC_ERR_INVAL);
  assert_int_equal(pq_derive_key_material(PQ_SUITE_AES_128_GCM_SHA256, 2, cs, 32, &m),
                   PQUIC_ERR_VERSION);
  assert_int_equal(pq_derive_next_secret(PQ_SUITE_AES_128_GCM_SHA256, PQ_CRYPTO_V1, cs, 48, cs),
                   PQUIC_ERR_INVAL);
  char label[251];
  memset(label, 'a', sizeof label - 1);
  label[250] = 0;
  assert_int_equal(pq_hkdf_expand_label(PQ_HASH_SHA256, cs, 32, label, NULL, 0, cs, 16),
                   PQUIC_ERR_INVAL);
  assert_int_equal(pq_hkdf_expand_label(PQ_HASH_SHA256, cs, 32, "x", NULL, 0, cs, 0),
                   PQUIC_ERR_INVAL);
}

/* Key update with pq_phase_keys: phase 1 of a sender and of a receiver built
 * from the same secret agree, differ from phase 0, and the header-protection
 * context of phase 0 is the one used throughout. */
static void test_phase_chain(void **state) {
  (void)state;
  uint8_t secret[32];
  assert_int_equal(pq_test_unhex(chacha_secret, secret, sizeof secret), 32);
  pq_dir_keys tx, rx;
  assert_int_equal(
      pq_dir_keys_init(&tx, PQ_SUITE_CHACHA20_POLY1305_SHA256, PQ_CRYPTO_V1, secret, 32), 0);
  assert_int_equal(
      pq_dir_keys_init(&rx, PQ_SUITE_CHACHA20_POLY1305_SHA256, PQ_CRYPTO_V1, secret, 32), 0);
  pq_phase_keys tx1 = {0}, rx1 = {0}, rx2 = {0};
  assert_int_equal(pq_phase_keys_next(&tx1, &tx.phase), 0);
  assert_int_equal(pq_phase_keys_next(&rx1, &rx.phase), 0);
  assert_hex(tx1.secret, 32, "1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9");
  assert_int_equal(pq_phase_keys_next(&tx1, &tx1), PQUIC_ERR_INVAL);

  uint8_t aad[3] = {1, 2, 3}, buf[32] = "key update payload";
  size_t plain;
  assert_int_equal(pq_aead_seal(&tx1.aead, 7, aad, 3, buf, 16), 0);
  uint8_t copy[32];
  memcpy(copy, buf, sizeof copy);
  assert_int_equal(pq_aead_open(&rx.phase.aead, 7, aad, 3, copy, 32, &plain), PQUIC_ERR_DECRYPT);
  assert_int_equal(pq_aead_open(&rx1.aead, 7, aad, 3, buf, 32, &plain), 0);
  assert_int_equal(plain, 16);
  assert_memory_equal(buf, "key update paylo", 16);

  /* Phase 2 re-keys an already used object (with a fresh GnuTLS context:
   * GnuTLS 3.7's set_key is not reliable for AES-GCM, see aead.c). */
  assert_int_equal(pq_phase_keys_next(&rx2, &rx1), 0);
  pq_phase_keys rx3 = {0};
  assert_int_equal(pq_phase_keys_next(&rx3, &rx2), 0);
  assert_int_equal(pq_phase_keys_next(&rx2, &rx3), 0); /* rx2 now holds phase 4 */
  assert_non_null(rx2.aead.hd);
  uint8_t s4[32];
  memcpy(s4, secret, 32);
  for (int i = 0; i < 4; i++)
    assert_int_equal(
        pq_derive_next_secret(PQ_SUITE_CHACHA20_POLY1305_SHA256, PQ_CRYPTO_V1, s4, 32, s4), 0);
  assert_memory_equal(rx2.secret, s4, 32);

  pq_phase_keys_free(&tx1);
  pq_phase_keys_free(&rx1);
  pq_phase_keys_free(&rx2);
  pq_phase_keys_free(&rx3);
  pq_dir_keys_free(&tx);
  pq_dir_keys_free(&rx);
  pq_dir_keys_free(&rx); /* idempotent */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hkdf_extract_initial_secret),
      cmocka_unit_test(test_label_encoding),
      cmocka_unit_test(test_initial_keys_v1),
      cmocka_unit_test(test_initial_keys_v2),
      cmocka_unit_test(test_chacha_keys_and_ku),
      cmocka_unit_test(test_sha384_suite),
      cmocka_unit_test(test_bad_arguments),
      cmocka_unit_test(test_phase_chain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
