/* Header protection masks over GnuTLS ciphers (CBC with a zero IV for ECB). */
#include "crypto/hp.h"

#include <string.h>

#include "crypto/secrets.h"
#include "crypto/suite_gnutls.h"
#include "pquic/errors.h"

int pq_hp_init(pq_hp *h, pq_cipher_suite suite, const uint8_t *key) {
  if (!h)
    return PQUIC_ERR_INVAL;
  h->hd = NULL;
  const pq_suite_info *info = pq_suite_get(suite);
  if (!info || !key)
    return PQUIC_ERR_INVAL;
  gnutls_datum_t k = {(unsigned char *)key, info->key_len};
  /* The IV is set on every mask computation. */
  int rv = gnutls_cipher_init(&h->hd, info->hp, &k, NULL);
  if (rv < 0) {
    h->hd = NULL;
    return rv == GNUTLS_E_MEMORY_ERROR ? PQUIC_ERR_NOMEM : PQUIC_ERR_CRYPTO;
  }
  h->suite = suite;
  return 0;
}

void pq_hp_free(pq_hp *h) {
  if (!h)
    return;
  if (h->hd)
    gnutls_cipher_deinit(h->hd);
  h->hd = NULL;
  h->suite = PQ_SUITE_NONE;
}

int pq_hp_mask(pq_hp *h, const uint8_t sample[PQ_HP_SAMPLE_LEN], uint8_t mask[PQ_HP_MASK_LEN]) {
  if (!h || !h->hd || !sample || !mask)
    return PQUIC_ERR_INVAL;
  uint8_t out[PQ_HP_SAMPLE_LEN];
  if (h->suite == PQ_SUITE_CHACHA20_POLY1305_SHA256) {
    /* GNUTLS_CIPHER_CHACHA20_32 takes a 16-byte IV: the 32-bit block counter
     * (little-endian) then the 96-bit nonce, which is exactly the sample's
     * layout in RFC 9001 section 5.4.4. */
    static const uint8_t zeros[PQ_HP_MASK_LEN] = {0};
    gnutls_cipher_set_iv(h->hd, (void *)sample, PQ_HP_SAMPLE_LEN);
    if (gnutls_cipher_encrypt2(h->hd, zeros, sizeof zeros, out, sizeof zeros) < 0)
      return PQUIC_ERR_CRYPTO;
  } else {
    /* One CBC block with a zero IV: E(sample xor 0) = ECB(sample). */
    static const uint8_t zero_iv[16] = {0};
    gnutls_cipher_set_iv(h->hd, (void *)zero_iv, sizeof zero_iv);
    if (gnutls_cipher_encrypt2(h->hd, sample, PQ_HP_SAMPLE_LEN, out, sizeof out) < 0)
      return PQUIC_ERR_CRYPTO;
  }
  memcpy(mask, out, PQ_HP_MASK_LEN);
  return 0;
}

/* Bits of the first byte that header protection covers. */
static uint8_t first_byte_bits(uint8_t first) {
  return (first & 0x80) ? 0x0f : 0x1f;
}

static int sample_ok(const uint8_t *pkt, size_t pkt_len, size_t pn_offset) {
  return pkt && pn_offset < pkt_len &&
         pkt_len - pn_offset >= PQ_HP_SAMPLE_OFFSET + PQ_HP_SAMPLE_LEN;
}

int pq_hp_apply(pq_hp *h, uint8_t *pkt, size_t pkt_len, size_t pn_offset, size_t pn_len) {
  if (!h || !pkt || pn_len < 1 || pn_len > PQ_PN_MAX_LEN || pn_offset == 0)
    return PQUIC_ERR_INVAL;
  if (!sample_ok(pkt, pkt_len, pn_offset))
    return PQUIC_ERR_HEADER;
  uint8_t mask[PQ_HP_MASK_LEN];
  int rv = pq_hp_mask(h, pkt + pn_offset + PQ_HP_SAMPLE_OFFSET, mask);
  if (rv)
    return rv;
  pkt[0] ^= mask[0] & first_byte_bits(pkt[0]);
  for (size_t i = 0; i < pn_len; i++)
    pkt[pn_offset + i] ^= mask[1 + i];
  return 0;
}

int pq_hp_remove(pq_hp *h, uint8_t *pkt, size_t pkt_len, size_t pn_offset, size_t *pn_len) {
  if (!h || !pkt || !pn_len || pn_offset == 0)
    return PQUIC_ERR_INVAL;
  if (!sample_ok(pkt, pkt_len, pn_offset))
    return PQUIC_ERR_HEADER;
  uint8_t mask[PQ_HP_MASK_LEN];
  int rv = pq_hp_mask(h, pkt + pn_offset + PQ_HP_SAMPLE_OFFSET, mask);
  if (rv)
    return rv;
  /* The sample check guarantees 4 bytes after pn_offset, so any pn length
   * fits; the header form bit is never masked. */
  uint8_t first = pkt[0] ^ (mask[0] & first_byte_bits(pkt[0]));
  size_t n = (size_t)(first & 0x03) + 1;
  pkt[0] = first;
  for (size_t i = 0; i < n; i++)
    pkt[pn_offset + i] ^= mask[1 + i];
  *pn_len = n;
  return 0;
}
