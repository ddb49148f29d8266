/*
 * Packet unprotection and Retry verification on arbitrary bytes.
 * Input: one selector byte (bits 0-1 suite, bit 2 QUIC v2, bits 3-7 pn
 * offset - 1), then the packet. Keys come from the RFC 9001 A.5 secret, so
 * the seed corpus holds packets that really decrypt.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keys.h"
#include "crypto/protect.h"
#include "crypto/retry.h"

static const uint8_t secret[48] = {
    0x9a, 0xc3, 0x12, 0xa7, 0xf8, 0x77, 0x46, 0x8e, 0xbe, 0x69, 0x42, 0x27, 0x48, 0xad, 0x00, 0xa1,
    0x54, 0x43, 0xf1, 0x82, 0x03, 0xa0, 0x7d, 0x60, 0x60, 0xf6, 0x88, 0xf3, 0x0f, 0x21, 0x63, 0x2b,
    0x9a, 0xc3, 0x12, 0xa7, 0xf8, 0x77, 0x46, 0x8e, 0xbe, 0x69, 0x42, 0x27, 0x48, 0xad, 0x00, 0xa1};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const pq_cipher_suite suites[4] = {
      PQ_SUITE_AES_128_GCM_SHA256, PQ_SUITE_AES_256_GCM_SHA384, PQ_SUITE_CHACHA20_POLY1305_SHA256,
      PQ_SUITE_AES_128_GCM_SHA256};
  static pq_dir_keys keys[2][4];
  static int ready;
  if (!ready) {
    for (int v = 0; v < 2; v++)
      for (int s = 0; s < 4; s++)
        if (pq_dir_keys_init(&keys[v][s], suites[s], v ? PQ_CRYPTO_V2 : PQ_CRYPTO_V1, secret,
                             pq_suite_secret_len(suites[s])))
          abort();
    ready = 1;
  }
  if (size < 1)
    return 0;
  uint8_t sel = data[0];
  pq_dir_keys *k = &keys[(sel >> 2) & 1][sel & 3];
  size_t pn_offset = (size_t)(sel >> 3) + 1;
  size_t len = size - 1;
  /* An exact-size heap copy, so ASan sees any read past the packet. */
  uint8_t *pkt = malloc(len ? len : 1);
  if (!pkt)
    return 0;
  if (len)
    memcpy(pkt, data + 1, len);
  uint64_t pn;
  size_t hdr_len, payload_len;
  if (pq_packet_unprotect(&k->phase.aead, &k->hp, pkt, len, pn_offset, 654360563, &pn, &hdr_len,
                          &payload_len) == 0) {
    if (hdr_len + payload_len + PQ_TAG_LEN != len)
      abort();
  }
  memcpy(pkt, data + 1, len);
  (void)pq_retry_verify((sel >> 2) & 1 ? PQ_CRYPTO_V2 : PQ_CRYPTO_V1, pkt, len < 20 ? len : 20, pkt,
                        len);
  free(pkt);
  return 0;
}
