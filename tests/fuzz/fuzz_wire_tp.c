/*
 * Fuzzes transport parameter decoding as sent by a client and by a server.
 * Every successful decode must pass validation, encode for the same role,
 * and decode back to equal parameters; a failure must name its rule.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/tp.h"

#define CHECK(c)                                                                                   \
  do {                                                                                             \
    if (!(c)) {                                                                                    \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                        \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

static uint8_t g_out[1 << 17];

static void one_role(const uint8_t *data, size_t size, bool server) {
  pq_tp tp, back;
  const char *rule = NULL;
  int rc = pq_tp_decode(data, size, server, &tp, &rule);
  if (rc != 0) {
    CHECK(rc == PQUIC_ERR_TRANSPORT_PARAMETER && rule != NULL);
    return;
  }
  CHECK(pq_tp_validate(&tp, server, NULL) == 0);
  CHECK(tp.n_ext <= PQ_TP_MAX_EXT);
  for (size_t i = 0; i < tp.n_ext; i++) {
    CHECK(pq_tp_bit(tp.ext[i].id) < 0);
    CHECK(tp.ext[i].len == 0 ||
          (tp.ext[i].value >= data && tp.ext[i].value + tp.ext[i].len <= data + size));
  }
  pq_wbuf w = pq_wbuf_make(g_out, sizeof g_out);
  CHECK(pq_tp_encode(&w, &tp, server, &rule) == 0);
  size_t n = (size_t)(w.p - g_out);
  /* Integers come out minimal and dropped unknown parameters not at all:
   * never longer than the input. */
  CHECK(n <= size);
  CHECK(pq_tp_decode(g_out, n, server, &back, &rule) == 0);
  size_t dropped = tp.n_ext_dropped;
  tp.n_ext_dropped = 0;
  CHECK(pq_tp_equal(&tp, &back));
  tp.n_ext_dropped = dropped;
  if (n > 0) {
    w = pq_wbuf_make(g_out, n - 1);
    CHECK(pq_tp_encode(&w, &tp, server, NULL) == PQUIC_ERR_BUFFER_TOO_SMALL && w.p == g_out);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  one_role(data, size, false);
  one_role(data, size, true);
  return 0;
}
