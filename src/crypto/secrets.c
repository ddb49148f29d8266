/* QUIC key schedule over GnuTLS's HKDF. */
#include "crypto/secrets.h"

#include <string.h>

#include "crypto/suite_gnutls.h"
#include "pquic/errors.h"

/* RFC 9001 section 5.2. */
static const uint8_t salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
/* RFC 9369 section 3.3.1. */
static const uint8_t salt_v2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
                                    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};

static const uint8_t label_prefix[6] = {'t', 'l', 's', '1', '3', ' '};
#define LABEL_PREFIX_LEN sizeof label_prefix

typedef struct version_labels {
  const char *key, *iv, *hp, *ku;
} version_labels;

static const version_labels labels_v1 = {"quic key", "quic iv", "quic hp", "quic ku"};
static const version_labels labels_v2 = {"quicv2 key", "quicv2 iv", "quicv2 hp", "quicv2 ku"};

static const version_labels *labels_for(uint32_t version) {
  if (version == PQ_CRYPTO_V1)
    return &labels_v1;
  if (version == PQ_CRYPTO_V2)
    return &labels_v2;
  return NULL;
}

static gnutls_mac_algorithm_t mac_of(pq_hash hash) {
  switch (hash) {
  case PQ_HASH_SHA256:
    return GNUTLS_MAC_SHA256;
  case PQ_HASH_SHA384:
    return GNUTLS_MAC_SHA384;
  }
  return GNUTLS_MAC_UNKNOWN;
}

size_t pq_hash_len(pq_hash hash) {
  switch (hash) {
  case PQ_HASH_SHA256:
    return 32;
  case PQ_HASH_SHA384:
    return 48;
  }
  return 0;
}

void pq_crypto_wipe(void *p, size_t len) {
  if (p && len)
    explicit_bzero(p, len);
}

int pq_hkdf_extract(pq_hash hash, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
                    size_t ikm_len, uint8_t *out) {
  gnutls_mac_algorithm_t mac = mac_of(hash);
  if (mac == GNUTLS_MAC_UNKNOWN || !out || (!salt && salt_len) || (!ikm && ikm_len) ||
      salt_len > 0xffff || ikm_len > 0xffff)
    return PQUIC_ERR_INVAL;
  /* GnuTLS reads through these pointers only; an empty input still needs a
   * valid address. */
  static const uint8_t empty[1] = {0};
  gnutls_datum_t k = {(unsigned char *)(ikm_len ? ikm : empty), (unsigned)ikm_len};
  gnutls_datum_t s = {(unsigned char *)(salt_len ? salt : empty), (unsigned)salt_len};
  return gnutls_hkdf_extract(mac, &k, &s, out) == 0 ? 0 : PQUIC_ERR_CRYPTO;
}

int pq_hkdf_expand_label(pq_hash hash, const uint8_t *secret, size_t secret_len, const char *label,
                         const uint8_t *context, size_t context_len, uint8_t *out, size_t out_len) {
  gnutls_mac_algorithm_t mac = mac_of(hash);
  if (mac == GNUTLS_MAC_UNKNOWN || !secret || !secret_len || !label || !out)
    return PQUIC_ERR_INVAL;
  size_t label_len = strlen(label);
  if (label_len + LABEL_PREFIX_LEN > 255 || context_len > 255 || (!context && context_len) ||
      out_len == 0 || out_len > 255 * pq_hash_len(hash) || secret_len > 0xffff)
    return PQUIC_ERR_INVAL;

  /* struct { uint16 length; opaque label<7..255>; opaque context<0..255>; } */
  uint8_t info[2 + 1 + 255 + 1 + 255];
  size_t n = 0;
  info[n++] = (uint8_t)(out_len >> 8);
  info[n++] = (uint8_t)out_len;
  info[n++] = (uint8_t)(LABEL_PREFIX_LEN + label_len);
  memcpy(info + n, label_prefix, LABEL_PREFIX_LEN);
  n += LABEL_PREFIX_LEN;
  for (size_t j = 0; j < label_len; j++)
    info[n++] = (uint8_t)label[j];
  info[n++] = (uint8_t)context_len;
  if (context_len) {
    memcpy(info + n, context, context_len);
    n += context_len;
  }
  gnutls_datum_t k = {(unsigned char *)secret, (unsigned)secret_len};
  gnutls_datum_t i = {info, (unsigned)n};
  return gnutls_hkdf_expand(mac, &k, &i, out, out_len) == 0 ? 0 : PQUIC_ERR_CRYPTO;
}

int pq_initial_secrets(uint32_t version, const uint8_t *dcid, size_t dcid_len,
                       uint8_t client_secret[32], uint8_t server_secret[32]) {
  const uint8_t *salt;
  if (version == PQ_CRYPTO_V1)
    salt = salt_v1;
  else if (version == PQ_CRYPTO_V2)
    salt = salt_v2;
  else
    return PQUIC_ERR_VERSION;
  if (dcid_len > 20 || (!dcid && dcid_len))
    return PQUIC_ERR_INVAL;

  uint8_t initial[32];
  int rv = pq_hkdf_extract(PQ_HASH_SHA256, salt, sizeof salt_v1, dcid, dcid_len, initial);
  if (rv == 0 && client_secret)
    rv = pq_hkdf_expand_label(PQ_HASH_SHA256, initial, 32, "client in", NULL, 0, client_secret, 32);
  if (rv == 0 && server_secret)
    rv = pq_hkdf_expand_label(PQ_HASH_SHA256, initial, 32, "server in", NULL, 0, server_secret, 32);
  pq_crypto_wipe(initial, sizeof initial);
  return rv;
}

/* Validates (suite, version, secret length) and returns the hash to use. */
static int check_args(pq_cipher_suite suite, uint32_t version, const uint8_t *secret,
                      size_t secret_len, pq_hash *hash, const version_labels **labels) {
  const pq_suite_info *info = pq_suite_get(suite);
  if (!info || !secret || secret_len != info->secret_len)
    return PQUIC_ERR_INVAL;
  *labels = labels_for(version);
  if (!*labels)
    return PQUIC_ERR_VERSION;
  *hash = info->hash == GNUTLS_MAC_SHA384 ? PQ_HASH_SHA384 : PQ_HASH_SHA256;
  return 0;
}

int pq_derive_key_material(pq_cipher_suite suite, uint32_t version, const uint8_t *secret,
                           size_t secret_len, pq_key_material *out) {
  pq_hash hash;
  const version_labels *l;
  int rv = check_args(suite, version, secret, secret_len, &hash, &l);
  if (rv)
    return rv;
  if (!out)
    return PQUIC_ERR_INVAL;
  memset(out, 0, sizeof *out);
  out->key_len = pq_suite_key_len(suite);
  rv = pq_hkdf_expand_label(hash, secret, secret_len, l->key, NULL, 0, out->key, out->key_len);
  if (rv == 0)
    rv = pq_hkdf_expand_label(hash, secret, secret_len, l->iv, NULL, 0, out->iv, PQ_IV_LEN);
  if (rv == 0)
    rv = pq_hkdf_expand_label(hash, secret, secret_len, l->hp, NULL, 0, out->hp, out->key_len);
  if (rv)
    pq_crypto_wipe(out, sizeof *out);
  return rv;
}

int pq_derive_next_secret(pq_cipher_suite suite, uint32_t version, const uint8_t *secret,
                          size_t secret_len, uint8_t *next) {
  pq_hash hash;
  const version_labels *l;
  int rv = check_args(suite, version, secret, secret_len, &hash, &l);
  if (rv)
    return rv;
  if (!next)
    return PQUIC_ERR_INVAL;
  /* Expand into a temporary so `next` may alias `secret`. */
  uint8_t tmp[PQ_SECRET_MAX];
  rv = pq_hkdf_expand_label(hash, secret, secret_len, l->ku, NULL, 0, tmp, secret_len);
  if (rv == 0)
    memcpy(next, tmp, secret_len);
  pq_crypto_wipe(tmp, sizeof tmp);
  return rv;
}
