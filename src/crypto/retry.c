/* Retry Integrity Tag: AES-128-GCM over the Retry pseudo-packet. */
#include "crypto/retry.h"

#include <gnutls/crypto.h>

#include "crypto/secrets.h"
#include "pquic/errors.h"

typedef struct retry_params {
  uint8_t key[16];
  uint8_t nonce[12];
} retry_params;

/* RFC 9001 section 5.8. */
static const retry_params retry_v1 = {
    {0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8,
     0x4e},
    {0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb}};
/* RFC 9369 section 3.3.3. */
static const retry_params retry_v2 = {
    {0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2, 0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c, 0xcc,
     0x92},
    {0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a}};

int pq_retry_tag(uint32_t version, const uint8_t *odcid, size_t odcid_len, const uint8_t *retry,
                 size_t retry_len, uint8_t tag[PQ_RETRY_TAG_LEN]) {
  const retry_params *p;
  if (version == PQ_CRYPTO_V1)
    p = &retry_v1;
  else if (version == PQ_CRYPTO_V2)
    p = &retry_v2;
  else
    return PQUIC_ERR_VERSION;
  if (odcid_len > 20 || (!odcid && odcid_len) || !retry || !tag)
    return PQUIC_ERR_INVAL;

  /* Retry is rare (one per connection at most): a context per call keeps
   * this stateless and thread-safe. */
  gnutls_aead_cipher_hd_t hd;
  gnutls_datum_t key = {(unsigned char *)p->key, sizeof p->key};
  int rv = gnutls_aead_cipher_init(&hd, GNUTLS_CIPHER_AES_128_GCM, &key);
  if (rv < 0)
    return rv == GNUTLS_E_MEMORY_ERROR ? PQUIC_ERR_NOMEM : PQUIC_ERR_CRYPTO;
  uint8_t len_byte = (uint8_t)odcid_len;
  giovec_t aad[3] = {{&len_byte, 1}, {(void *)odcid, odcid_len}, {(void *)retry, retry_len}};
  size_t tag_len = PQ_RETRY_TAG_LEN;
  rv = gnutls_aead_cipher_encryptv2(hd, p->nonce, sizeof p->nonce, aad, 3, NULL, 0, tag, &tag_len);
  gnutls_aead_cipher_deinit(hd);
  return rv == 0 && tag_len == PQ_RETRY_TAG_LEN ? 0 : PQUIC_ERR_CRYPTO;
}

int pq_retry_verify(uint32_t version, const uint8_t *odcid, size_t odcid_len, const uint8_t *packet,
                    size_t packet_len) {
  if (!packet)
    return PQUIC_ERR_INVAL;
  if (packet_len <= PQ_RETRY_TAG_LEN)
    return PQUIC_ERR_HEADER;
  uint8_t tag[PQ_RETRY_TAG_LEN];
  size_t body = packet_len - PQ_RETRY_TAG_LEN;
  int rv = pq_retry_tag(version, odcid, odcid_len, packet, body, tag);
  if (rv)
    return rv;
  /* Constant time: the tag authenticates the Retry's origin. */
  uint8_t diff = 0;
  for (size_t i = 0; i < PQ_RETRY_TAG_LEN; i++)
    diff |= (uint8_t)(tag[i] ^ packet[body + i]);
  return diff ? PQUIC_ERR_DECRYPT : 0;
}
