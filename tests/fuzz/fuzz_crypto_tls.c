/*
 * A TLS client session fed arbitrary "server" CRYPTO bytes. Input: records
 * of [level (low 2 bits)][length][bytes]. The session must fail or wait,
 * never crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "crypto/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_send(void *user, pq_crypto_level level, const uint8_t *d, size_t len) {
  (void)user;
  (void)level;
  (void)d;
  (void)len;
  return 0;
}

static int on_secret(void *user, pq_crypto_level level, pq_cipher_suite suite, const uint8_t *rd,
                     const uint8_t *wr, size_t len) {
  (void)user;
  (void)level;
  (void)suite;
  (void)rd;
  (void)wr;
  (void)len;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static pq_tls_config *cfg;
  if (!cfg) {
    static const char *const alpn[] = {"h3"};
    pq_tls_config_opts o = {0};
    o.role = PQ_TLS_CLIENT;
    o.insecure_no_verify = true;
    o.alpn = alpn;
    o.alpn_count = 1;
    if (pq_tls_config_new(&cfg, &o, NULL, 0))
      abort();
  }
  static const uint8_t tp[] = {0x0f, 0x00};
  pq_tls_session_opts so = {0};
  so.hostname = "localhost";
  so.transport_params = tp;
  so.transport_params_len = sizeof tp;
  pq_tls_callbacks cb = {on_send, on_secret, NULL, NULL};
  pq_tls_session *s;
  if (pq_tls_session_new(&s, cfg, &so, &cb, NULL))
    return 0;
  pq_tls_session_start(s);
  size_t off = 0;
  while (off + 2 <= size) {
    pq_crypto_level level = (pq_crypto_level)(data[off] & 3);
    size_t n = data[off + 1];
    off += 2;
    if (n > size - off)
      n = size - off;
    if (pq_tls_session_provide(s, level, data + off, n) == 0 && pq_tls_session_failed(s))
      abort();
    off += n;
  }
  pq_tls_session_free(s);
  return 0;
}
