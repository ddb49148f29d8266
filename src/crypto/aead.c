/* Payload AEAD over gnutls_aead_cipher_*v2: in place, one iovec each way. */
#include "crypto/aead.h"

#include <string.h>

#include "crypto/secrets.h"
#include "crypto/suite_gnutls.h"
#include "pquic/errors.h"

int pq_aead_init(pq_aead *a, pq_cipher_suite suite, const uint8_t *key, const uint8_t *iv) {
  if (!a)
    return PQUIC_ERR_INVAL;
  a->hd = NULL;
  const pq_suite_info *info = pq_suite_get(suite);
  if (!info || !key || !iv)
    return PQUIC_ERR_INVAL;
  gnutls_datum_t k = {(unsigned char *)key, info->key_len};
  int rv = gnutls_aead_cipher_init(&a->hd, info->aead, &k);
  if (rv < 0) {
    a->hd = NULL;
    return rv == GNUTLS_E_MEMORY_ERROR ? PQUIC_ERR_NOMEM : PQUIC_ERR_CRYPTO;
  }
  memcpy(a->iv, iv, PQ_IV_LEN);
  a->suite = suite;
  return 0;
}

int pq_aead_rekey(pq_aead *a, const uint8_t *key, const uint8_t *iv) {
  if (!a || !a->hd || !key || !iv)
    return PQUIC_ERR_INVAL;
  /* GnuTLS 3.7's gnutls_aead_cipher_set_key leaves AES-GCM sealing with
   * the old key's state (measured: output differs from a fresh context),
   * so a new key gets a new context. Key updates are rare. */
  pq_cipher_suite suite = a->suite;
  pq_aead fresh = {0};
  int rc = pq_aead_init(&fresh, suite, key, iv);
  if (rc)
    return rc;
  pq_aead_free(a);
  *a = fresh;
  return 0;
}

void pq_aead_free(pq_aead *a) {
  if (!a)
    return;
  if (a->hd)
    gnutls_aead_cipher_deinit(a->hd);
  a->hd = NULL;
  pq_crypto_wipe(a->iv, sizeof a->iv);
  a->suite = PQ_SUITE_NONE;
}

int pq_aead_seal(pq_aead *a, uint64_t pn, const uint8_t *aad, size_t aad_len, uint8_t *payload,
                 size_t plain_len) {
  if (!a || !a->hd || !payload || (!aad && aad_len))
    return PQUIC_ERR_INVAL;
  uint8_t nonce[PQ_IV_LEN];
  pq_aead_nonce(a->iv, pn, nonce);
  giovec_t ad = {(void *)aad, aad_len};
  giovec_t data = {payload, plain_len};
  size_t tag_len = PQ_TAG_LEN;
  int rv = gnutls_aead_cipher_encryptv2(a->hd, nonce, sizeof nonce, &ad, aad_len ? 1 : 0, &data, 1,
                                        payload + plain_len, &tag_len);
  return rv == 0 && tag_len == PQ_TAG_LEN ? 0 : PQUIC_ERR_CRYPTO;
}

int pq_aead_open(pq_aead *a, uint64_t pn, const uint8_t *aad, size_t aad_len, uint8_t *payload,
                 size_t cipher_len, size_t *plain_len) {
  if (!a || !a->hd || !payload || !plain_len || (!aad && aad_len))
    return PQUIC_ERR_INVAL;
  if (cipher_len < PQ_TAG_LEN)
    return PQUIC_ERR_DECRYPT;
  uint8_t nonce[PQ_IV_LEN];
  pq_aead_nonce(a->iv, pn, nonce);
  size_t n = cipher_len - PQ_TAG_LEN;
  giovec_t ad = {(void *)aad, aad_len};
  giovec_t data = {payload, n};
  int rv = gnutls_aead_cipher_decryptv2(a->hd, nonce, sizeof nonce, &ad, aad_len ? 1 : 0, &data, 1,
                                        payload + n, PQ_TAG_LEN);
  if (rv == GNUTLS_E_DECRYPTION_FAILED)
    return PQUIC_ERR_DECRYPT;
  if (rv < 0)
    return PQUIC_ERR_CRYPTO;
  *plain_len = n;
  return 0;
}
