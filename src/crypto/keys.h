/*
 * Ready-to-use packet protection keys for one direction of one encryption
 * level, built from a traffic secret: the header-protection context (fixed
 * for the level's lifetime) and the current key phase (AEAD context plus the
 * secret that the next phase derives from).
 *
 * Key update (RFC 9001 section 6): pq_phase_keys_next() derives phase n+1
 * from phase n into a separate object, so a receiver can hold the previous,
 * current and next phases at once while the header-protection context stays
 * shared. Which phase opens a packet is the connection's decision.
 */
#ifndef PQ_CRYPTO_KEYS_H
#define PQ_CRYPTO_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/aead.h"
#include "crypto/hp.h"

typedef struct pq_phase_keys {
  pq_aead aead;
  uint8_t secret[PQ_SECRET_MAX];
  uint8_t secret_len;
  uint32_t version;
} pq_phase_keys;

typedef struct pq_dir_keys {
  pq_hp hp;
  pq_phase_keys phase;
} pq_dir_keys;

/* Derives key, IV and header-protection key from `secret` and sets up both
 * contexts. `k` must be zeroed or freed. Errors: PQUIC_ERR_INVAL (unknown
 * suite, secret length not the suite's hash length), PQUIC_ERR_VERSION,
 * PQUIC_ERR_NOMEM, PQUIC_ERR_CRYPTO; on error `k` is left freed. */
int pq_dir_keys_init(pq_dir_keys *k, pq_cipher_suite suite, uint32_t version, const uint8_t *secret,
                     size_t secret_len);

/* Initial keys (AES-128-GCM) for both directions from the client's first
 * Destination Connection ID. Either output may be NULL. Errors: as
 * pq_initial_secrets and pq_dir_keys_init. */
int pq_initial_keys(pq_dir_keys *client, pq_dir_keys *server, uint32_t version, const uint8_t *dcid,
                    size_t dcid_len);

/* Releases both contexts and wipes the secret. Safe on zeroed objects. */
void pq_dir_keys_free(pq_dir_keys *k);

/* The next key phase of `cur` into `next` (`next` != `cur`). If `next` was
 * used before (aead initialized) its GnuTLS context is re-keyed in place,
 * without allocating; otherwise it must be zeroed. Errors: PQUIC_ERR_INVAL,
 * PQUIC_ERR_NOMEM, PQUIC_ERR_CRYPTO. */
int pq_phase_keys_next(pq_phase_keys *next, const pq_phase_keys *cur);

/* Releases the AEAD context and wipes the secret. */
void pq_phase_keys_free(pq_phase_keys *p);

#endif
