/* Directional keys and the key-update chain. */
#include "crypto/keys.h"

#include <string.h>

#include "crypto/secrets.h"
#include "pquic/errors.h"

int pq_dir_keys_init(pq_dir_keys *k, pq_cipher_suite suite, uint32_t version, const uint8_t *secret,
                     size_t secret_len) {
  if (!k)
    return PQUIC_ERR_INVAL;
  memset(k, 0, sizeof *k);
  pq_key_material m;
  int rv = pq_derive_key_material(suite, version, secret, secret_len, &m);
  if (rv)
    return rv;
  rv = pq_hp_init(&k->hp, suite, m.hp);
  if (rv == 0)
    rv = pq_aead_init(&k->phase.aead, suite, m.key, m.iv);
  pq_crypto_wipe(&m, sizeof m);
  if (rv) {
    pq_dir_keys_free(k);
    return rv;
  }
  memcpy(k->phase.secret, secret, secret_len);
  k->phase.secret_len = (uint8_t)secret_len;
  k->phase.version = version;
  return 0;
}

int pq_initial_keys(pq_dir_keys *client, pq_dir_keys *server, uint32_t version, const uint8_t *dcid,
                    size_t dcid_len) {
  uint8_t cs[32], ss[32];
  int rv = pq_initial_secrets(version, dcid, dcid_len, cs, ss);
  if (rv == 0 && client)
    rv = pq_dir_keys_init(client, PQ_SUITE_AES_128_GCM_SHA256, version, cs, sizeof cs);
  if (rv == 0 && server) {
    rv = pq_dir_keys_init(server, PQ_SUITE_AES_128_GCM_SHA256, version, ss, sizeof ss);
    if (rv && client)
      pq_dir_keys_free(client);
  }
  pq_crypto_wipe(cs, sizeof cs);
  pq_crypto_wipe(ss, sizeof ss);
  return rv;
}

void pq_phase_keys_free(pq_phase_keys *p) {
  if (!p)
    return;
  pq_aead_free(&p->aead);
  pq_crypto_wipe(p->secret, sizeof p->secret);
  p->secret_len = 0;
}

void pq_dir_keys_free(pq_dir_keys *k) {
  if (!k)
    return;
  pq_hp_free(&k->hp);
  pq_phase_keys_free(&k->phase);
}

int pq_phase_keys_next(pq_phase_keys *next, const pq_phase_keys *cur) {
  if (!next || !cur || next == cur || !cur->aead.hd)
    return PQUIC_ERR_INVAL;
  pq_cipher_suite suite = cur->aead.suite;
  uint8_t secret[PQ_SECRET_MAX];
  pq_key_material m;
  int rv = pq_derive_next_secret(suite, cur->version, cur->secret, cur->secret_len, secret);
  if (rv == 0)
    rv = pq_derive_key_material(suite, cur->version, secret, cur->secret_len, &m);
  if (rv == 0) {
    if (next->aead.hd && next->aead.suite == suite) {
      rv = pq_aead_rekey(&next->aead, m.key, m.iv);
    } else {
      pq_aead_free(&next->aead);
      rv = pq_aead_init(&next->aead, suite, m.key, m.iv);
    }
  }
  if (rv == 0) {
    memcpy(next->secret, secret, cur->secret_len);
    next->secret_len = cur->secret_len;
    next->version = cur->version;
  }
  pq_crypto_wipe(&m, sizeof m);
  pq_crypto_wipe(secret, sizeof secret);
  return rv;
}
