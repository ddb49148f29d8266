/* Retry Integrity Tag against RFC 9001 A.4 and RFC 9369 A.4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/retry.h"
#include "pquic/errors.h"
#include "support/hex.h"

static const uint8_t odcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

static const char *retry_v1 = "ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f"
                              "0f2496ba";
static const char *retry_v2 = "cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe33952d9555436"
                              "65dcc7b6";

static void check(uint32_t version, const char *hex) {
  uint8_t pkt[64] = {0};
  size_t len = pq_test_unhex(hex, pkt, sizeof pkt);
  assert_int_equal(len, 36);
  uint8_t tag[16];
  assert_int_equal(pq_retry_tag(version, odcid, sizeof odcid, pkt, len - 16, tag), 0);
  assert_memory_equal(tag, pkt + len - 16, 16);
  assert_int_equal(pq_retry_verify(version, odcid, sizeof odcid, pkt, len), 0);

  /* Any flipped bit, in the packet or in the ODCID, fails. */
  for (size_t i = 0; i < len; i++) {
    pkt[i] ^= 0x10;
    assert_int_equal(pq_retry_verify(version, odcid, sizeof odcid, pkt, len), PQUIC_ERR_DECRYPT);
    pkt[i] ^= 0x10;
  }
  uint8_t other[8];
  memcpy(other, odcid, 8);
  other[7] ^= 1;
  assert_int_equal(pq_retry_verify(version, other, 8, pkt, len), PQUIC_ERR_DECRYPT);
  assert_int_equal(pq_retry_verify(version, odcid, 7, pkt, len), PQUIC_ERR_DECRYPT);
  /* The other version's key does not verify it. */
  uint32_t wrong = version == PQ_CRYPTO_V1 ? PQ_CRYPTO_V2 : PQ_CRYPTO_V1;
  assert_int_equal(pq_retry_verify(wrong, odcid, 8, pkt, len), PQUIC_ERR_DECRYPT);
}

static void test_retry_v1(void **state) {
  (void)state;
  check(PQ_CRYPTO_V1, retry_v1);
}

static void test_retry_v2(void **state) {
  (void)state;
  check(PQ_CRYPTO_V2, retry_v2);
}

static void test_retry_errors(void **state) {
  (void)state;
  uint8_t pkt[40] = {0}, tag[16], big[21] = {0};
  assert_int_equal(pq_retry_verify(PQ_CRYPTO_V1, odcid, 8, pkt, 16), PQUIC_ERR_HEADER);
  assert_int_equal(pq_retry_verify(PQ_CRYPTO_V1, odcid, 8, pkt, 0), PQUIC_ERR_HEADER);
  assert_int_equal(pq_retry_tag(0x12345678, odcid, 8, pkt, 20, tag), PQUIC_ERR_VERSION);
  assert_int_equal(pq_retry_tag(PQ_CRYPTO_V1, big, 21, pkt, 20, tag), PQUIC_ERR_INVAL);
  assert_int_equal(pq_retry_tag(PQ_CRYPTO_V1, NULL, 0, pkt, 20, tag), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_retry_v1),
      cmocka_unit_test(test_retry_v2),
      cmocka_unit_test(test_retry_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
