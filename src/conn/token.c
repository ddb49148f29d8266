/*
 * Address-validation tokens (RFC 9000 8.1): Retry tokens and NEW_TOKEN
 * tokens, sealed with AES-128-GCM under a key only this endpoint knows, so
 * the server keeps no state per token. Plaintext:
 *   kind (1) | issue time µs (8) | address family (1) | address (4 or 16)
 *   | kind Retry: ODCID length (1) ODCID, Retry SCID length (1) SCID
 * Nonce: 12 random bytes carried in front of the ciphertext.
 */
#include <netinet/in.h>
#include <string.h>

#include "conn/cnx_internal.h"
#include "conn/token.h"
#include "crypto/aead.h"

#define NONCE_LEN 12
#define TAG_LEN 16

/* The AEAD's nonce is IV xor packet number: a random 64-bit "packet
 * number" over a fixed random IV gives a random nonce. */
static int token_aead(pq_endpoint *ep, pq_aead *a) {
  return pq_aead_init(a, PQ_SUITE_AES_128_GCM_SHA256, ep->token_key, ep->token_key + 16);
}

static size_t put_addr(uint8_t *p, const struct sockaddr *sa) {
  if (sa->sa_family == AF_INET6) {
    p[0] = 6;
    memcpy(p + 1, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
    return 17;
  }
  p[0] = 4;
  memcpy(p + 1, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
  return 5;
}

size_t pq_token_make(pq_endpoint *ep, int kind, uint64_t now, const struct sockaddr *peer,
                     const pq_cid *odcid, const pq_cid *rscid, uint8_t *out, size_t cap) {
  uint8_t plain[1 + 8 + 17 + 2 + 2 * PQ_MAX_CID_LEN];
  size_t n = 0;
  plain[n++] = (uint8_t)kind;
  for (int i = 7; i >= 0; i--)
    plain[n++] = (uint8_t)(now >> (8 * i));
  n += put_addr(plain + n, peer);
  if (kind == PQ_TOKEN_RETRY) {
    plain[n++] = odcid->len;
    memcpy(plain + n, odcid->id, odcid->len);
    n += odcid->len;
    plain[n++] = rscid->len;
    memcpy(plain + n, rscid->id, rscid->len);
    n += rscid->len;
  }
  if (cap < 8 + n + TAG_LEN)
    return 0;
  uint64_t seq = pq_ep_random64(ep);
  for (int i = 0; i < 8; i++)
    out[i] = (uint8_t)(seq >> (8 * (7 - i)));
  memcpy(out + 8, plain, n);
  pq_aead a = {0};
  if (token_aead(ep, &a))
    return 0;
  int rc = pq_aead_seal(&a, seq, out, 8, out + 8, n);
  pq_aead_free(&a);
  return rc ? 0 : 8 + n + TAG_LEN;
}

int pq_token_check(pq_endpoint *ep, const uint8_t *token, size_t len, uint64_t now,
                   const struct sockaddr *peer, pq_token_info *info) {
  uint8_t buf[256];
  if (len < 8 + 1 + 8 + 5 + TAG_LEN || len > sizeof buf)
    return PQUIC_ERR_NOT_FOUND;
  memcpy(buf, token, len);
  uint64_t seq = 0;
  for (int i = 0; i < 8; i++)
    seq = seq << 8 | buf[i];
  pq_aead a = {0};
  if (token_aead(ep, &a))
    return PQUIC_ERR_CRYPTO;
  size_t plain_len;
  int rc = pq_aead_open(&a, seq, buf, 8, buf + 8, len - 8, &plain_len);
  pq_aead_free(&a);
  if (rc)
    return PQUIC_ERR_NOT_FOUND; /* not ours, or tampered with */
  const uint8_t *p = buf + 8, *end = buf + len - TAG_LEN;
  memset(info, 0, sizeof *info);
  info->kind = p[0];
  uint64_t issued = 0;
  for (int i = 1; i <= 8; i++)
    issued = issued << 8 | p[i];
  p += 9;
  uint8_t addr[17];
  size_t alen = put_addr(addr, peer);
  if ((size_t)(end - p) < alen || memcmp(p, addr, alen) != 0)
    return PQUIC_ERR_NOT_FOUND; /* issued to another address */
  p += alen;
  uint64_t lifetime = info->kind == PQ_TOKEN_RETRY ? PQ_TOKEN_RETRY_LIFETIME_US
                                                    : PQ_TOKEN_NEW_TOKEN_LIFETIME_US;
  if (now < issued || now - issued > lifetime)
    return PQUIC_ERR_NOT_FOUND; /* expired (or from another clock) */
  if (info->kind == PQ_TOKEN_RETRY) {
    if (end - p < 1 || p[0] > PQ_MAX_CID_LEN || end - p < 1 + p[0] + 1)
      return PQUIC_ERR_NOT_FOUND;
    pq_cid_set(&info->odcid, p + 1, p[0]);
    p += 1 + p[0];
    if (p[0] > PQ_MAX_CID_LEN || end - p < 1 + p[0])
      return PQUIC_ERR_NOT_FOUND;
    pq_cid_set(&info->rscid, p + 1, p[0]);
  } else if (info->kind != PQ_TOKEN_NEW_TOKEN) {
    return PQUIC_ERR_NOT_FOUND;
  }
  return 0;
}
