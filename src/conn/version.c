/* Versions (RFC 9368, RFC 9369): which ones we speak, compatible version
 * negotiation from v1 to v2 (the server decides from the client's
 * version_information; the client follows the server's first Initial),
 * and keeping the original version's Initial read keys meanwhile. */
#include <string.h>

#include "conn/cnx_internal.h"
#include "conn/opcalls.h"
#include "wire/tp.h"

size_t pq_ep_versions(const pq_endpoint *ep, uint32_t out[2]) {
  uint32_t v = ep->cfg.settings.version;
  out[0] = v;
  if (ep->cfg.settings.version_strict)
    return 1;
  out[1] = v == PQUIC_VERSION_1 ? PQUIC_VERSION_2 : PQUIC_VERSION_1;
  return 2;
}

int pq_ep_version_ok(const pq_endpoint *ep, uint32_t version) {
  uint32_t vs[2];
  size_t n = pq_ep_versions(ep, vs);
  for (size_t i = 0; i < n; i++) {
    if (vs[i] == version)
      return 1;
  }
  return 0;
}

/* v1 and v2 are compatible with each other (RFC 9369 section 4). */
static int compatible(uint32_t a, uint32_t b) {
  return (a == PQUIC_VERSION_1 || a == PQUIC_VERSION_2) &&
         (b == PQUIC_VERSION_1 || b == PQUIC_VERSION_2);
}

/* Moves the connection to `version`, re-deriving Initial keys from the
 * DCID they hang on; the old read keys are kept for late Initials. */
static int switch_version(pq_cnx *cnx, uint32_t version, const pq_cid *initial_dcid) {
  pq_dir_keys *r = &cnx->rkeys[PQ_CRYPTO_LEVEL_INITIAL], *w = &cnx->wkeys[PQ_CRYPTO_LEVEL_INITIAL];
  pq_dir_keys nr = {0}, nw = {0};
  int rc = cnx->is_server
               ? pq_initial_keys(&nr, &nw, version, initial_dcid->id, initial_dcid->len)
               : pq_initial_keys(&nw, &nr, version, initial_dcid->id, initial_dcid->len);
  if (rc)
    return rc;
  pq_dir_keys_free(&cnx->rkeys_orig);
  cnx->rkeys_orig = *r;
  cnx->rkeys_orig_ok = cnx->rkeys_ok[PQ_CRYPTO_LEVEL_INITIAL];
  pq_dir_keys_free(w);
  *r = nr;
  *w = nw;
  cnx->orig_version = cnx->version;
  cnx->version = version;
  return 0;
}

int pq_cnx_server_negotiate(pq_cnx *cnx, const pq_tp *tp) {
  uint32_t want = cnx->ep->cfg.settings.version;
  if (cnx->version == want || !pq_tp_has(tp, PQ_TP_VERSION_INFORMATION) ||
      !compatible(cnx->version, want) || !pq_ep_version_ok(cnx->ep, want))
    return 0;
  /* The client must list the version: compatible negotiation only picks
   * among the client's available versions (RFC 9368 2.3). */
  int offered = 0;
  for (size_t i = 0; i < tp->n_available_versions; i++)
    offered |= tp->available_versions[i] == want;
  if (!offered)
    return 0;
  int rc = switch_version(cnx, want, &cnx->client_dcid);
  if (rc)
    return rc;
  /* Our transport parameters now announce the chosen version. */
  uint8_t buf[512];
  size_t len;
  if ((rc = pq_cnx_encode_tp(cnx, buf, sizeof buf, &len)) != 0)
    return rc;
  return pq_tls_session_set_transport_params(cnx->tls, buf, len);
}

int pq_cnx_client_follow(pq_cnx *cnx, uint32_t version) {
  if (cnx->is_server || cnx->peer_cid_learned || !pq_ep_version_ok(cnx->ep, version) ||
      !compatible(cnx->version, version))
    return 0;
  const pq_cid *dcid = cnx->retry_scid.len ? &cnx->retry_scid : &cnx->odcid;
  return switch_version(cnx, version, dcid) == 0;
}
