/* Throwaway certificates for demos and tests, made with GnuTLS's x509 API. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "crypto/tls.h"
#include "pquic/errors.h"

#define VALIDITY_SECONDS (365L * 24 * 3600)

typedef struct keypair {
  gnutls_x509_crt_t crt;
  gnutls_x509_privkey_t key;
} keypair;

static void keypair_free(keypair *kp) {
  if (kp->crt)
    gnutls_x509_crt_deinit(kp->crt);
  if (kp->key)
    gnutls_x509_privkey_deinit(kp->key);
  kp->crt = NULL;
  kp->key = NULL;
}

/* Subject alternative name: an IP address when `host` parses as one. */
static int set_san(gnutls_x509_crt_t crt, const char *host) {
  uint8_t ip[16];
  if (inet_pton(AF_INET, host, ip) == 1)
    return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4, GNUTLS_FSAN_SET);
  if (inet_pton(AF_INET6, host, ip) == 1)
    return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 16, GNUTLS_FSAN_SET);
  return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, host, strlen(host),
                                              GNUTLS_FSAN_SET);
}

/* Makes a key and a certificate for `cn`, signed by `issuer` (NULL: self).
 * A CA gets basicConstraints CA:TRUE and keyCertSign; a leaf gets the host
 * as SAN and the serverAuth purpose. */
static int make_cert(keypair *out, const char *cn, const char *host, bool ca,
                     const keypair *issuer) {
  gnutls_x509_crt_t crt = NULL;
  gnutls_x509_privkey_t key = NULL;
  uint8_t serial[16];
  uint8_t key_id[64];
  size_t key_id_len = sizeof key_id;
  char dn[300];
  time_t now = time(NULL);
  int g;
  if ((g = gnutls_x509_privkey_init(&key)) < 0 ||
      (g = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                        GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0 ||
      (g = gnutls_x509_crt_init(&crt)) < 0 || (g = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
      (g = gnutls_x509_crt_set_key(crt, key)) < 0 ||
      (g = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial)) < 0)
    goto fail;
  serial[0] &= 0x7f; /* a positive INTEGER */
  snprintf(dn, sizeof dn, "CN=%s", cn);
  if ((g = gnutls_x509_crt_set_serial(crt, serial, sizeof serial)) < 0 ||
      (g = gnutls_x509_crt_set_dn(crt, dn, NULL)) < 0 ||
      (g = gnutls_x509_crt_set_activation_time(crt, now - 3600)) < 0 ||
      (g = gnutls_x509_crt_set_expiration_time(crt, now + VALIDITY_SECONDS)) < 0 ||
      (g = gnutls_x509_crt_set_basic_constraints(crt, ca ? 1 : 0, -1)) < 0 ||
      (g = gnutls_x509_crt_get_key_id(crt, 0, key_id, &key_id_len)) < 0 ||
      (g = gnutls_x509_crt_set_subject_key_id(crt, key_id, key_id_len)) < 0)
    goto fail;
  if (ca) {
    if ((g = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN |
                                                    GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0)
      goto fail;
  } else {
    if ((g = set_san(crt, host)) < 0 ||
        (g = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
        (g = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0)
      goto fail;
  }
  if (issuer) {
    uint8_t issuer_id[64];
    size_t issuer_id_len = sizeof issuer_id;
    if ((g = gnutls_x509_crt_get_subject_key_id(issuer->crt, issuer_id, &issuer_id_len, NULL)) <
            0 ||
        (g = gnutls_x509_crt_set_authority_key_id(crt, issuer_id, issuer_id_len)) < 0 ||
        (g = gnutls_x509_crt_sign2(crt, issuer->crt, issuer->key, GNUTLS_DIG_SHA256, 0)) < 0)
      goto fail;
  } else if ((g = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0) {
    goto fail;
  }
  out->crt = crt;
  out->key = key;
  return 0;
fail:
  if (crt)
    gnutls_x509_crt_deinit(crt);
  if (key)
    gnutls_x509_privkey_deinit(key);
  return g == GNUTLS_E_MEMORY_ERROR ? PQUIC_ERR_NOMEM : PQUIC_ERR_CRYPTO;
}

static int write_file(const char *path, const gnutls_datum_t *parts, int nparts, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return PQUIC_ERR_IO;
  int rv = 0;
  for (int i = 0; i < nparts && rv == 0; i++) {
    size_t off = 0;
    while (off < parts[i].size) {
      ssize_t n = write(fd, parts[i].data + off, parts[i].size - off);
      if (n <= 0) {
        rv = PQUIC_ERR_IO;
        break;
      }
      off += (size_t)n;
    }
  }
  if (close(fd) != 0)
    rv = PQUIC_ERR_IO;
  return rv;
}

static int export_cert(gnutls_x509_crt_t crt, gnutls_datum_t *pem) {
  return gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, pem) < 0 ? PQUIC_ERR_CRYPTO : 0;
}

/* Writes the leaf key (0600) and the chain leaf [+ ca] to their files. */
static int write_leaf(const keypair *leaf, const keypair *ca, const char *cert_path,
                      const char *key_path) {
  gnutls_datum_t chain[2] = {{NULL, 0}, {NULL, 0}}, key = {NULL, 0};
  int n = ca ? 2 : 1;
  int rv = export_cert(leaf->crt, &chain[0]);
  if (rv == 0 && ca)
    rv = export_cert(ca->crt, &chain[1]);
  if (rv == 0 && gnutls_x509_privkey_export2(leaf->key, GNUTLS_X509_FMT_PEM, &key) < 0)
    rv = PQUIC_ERR_CRYPTO;
  if (rv == 0)
    rv = write_file(key_path, &key, 1, 0600);
  if (rv == 0)
    rv = write_file(cert_path, chain, n, 0644);
  gnutls_free(chain[0].data);
  gnutls_free(chain[1].data);
  if (key.data) {
    gnutls_memset(key.data, 0, key.size);
    gnutls_free(key.data);
  }
  return rv;
}

int pq_tls_make_self_signed(const char *cert_path, const char *key_path, const char *hostname) {
  if (!cert_path || !key_path || !hostname || !hostname[0] || strlen(hostname) > 253)
    return PQUIC_ERR_INVAL;
  keypair leaf = {NULL, NULL};
  int rv = make_cert(&leaf, hostname, hostname, false, NULL);
  if (rv == 0)
    rv = write_leaf(&leaf, NULL, cert_path, key_path);
  keypair_free(&leaf);
  return rv;
}

int pq_tls_make_test_pki(const char *ca_path, const char *cert_path, const char *key_path,
                         const char *hostname) {
  if (!ca_path || !cert_path || !key_path || !hostname || !hostname[0] || strlen(hostname) > 253)
    return PQUIC_ERR_INVAL;
  keypair ca = {NULL, NULL}, leaf = {NULL, NULL};
  int rv = make_cert(&ca, "pquic test CA", NULL, true, NULL);
  if (rv == 0)
    rv = make_cert(&leaf, hostname, hostname, false, &ca);
  if (rv == 0)
    rv = write_leaf(&leaf, &ca, cert_path, key_path);
  if (rv == 0) {
    gnutls_datum_t pem = {NULL, 0};
    rv = export_cert(ca.crt, &pem);
    if (rv == 0)
      rv = write_file(ca_path, &pem, 1, 0644);
    gnutls_free(pem.data);
  }
  keypair_free(&leaf);
  keypair_free(&ca);
  return rv;
}
