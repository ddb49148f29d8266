/* Untrusted datagrams and requests of pquic-monitor: the report parser,
 * the printed forms of what it accepts, the aggregate, the Prometheus text
 * and the HTTP routing. Invariants: a datagram the parser accepts
 * re-encodes to exactly its bytes; printed forms stay inside their
 * buffers and report the same length however small the buffer; routing
 * returns one of its statuses. The first input byte selects the mode (0:
 * a stream of datagrams, each prefixed by a length byte, into one
 * aggregate; otherwise one datagram and the same bytes as an HTTP head). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "http.h"
#include "report.h"

static void printed(const pqm_report *r) {
  char big[4096], small[17];
  size_t n = pqm_report_json(r, "[::1]:443", 1.5, big, sizeof big);
  if (n >= sizeof big || strlen(big) != n ||
      pqm_report_json(r, "[::1]:443", 1.5, small, sizeof small) != n ||
      strlen(small) != sizeof small - 1)
    abort();
  n = pqm_report_row(r, big, sizeof big);
  if (n >= sizeof big || strlen(big) != n || pqm_report_row(r, small, sizeof small) != n)
    abort();
}

static pqm_drop one(pqm_agg *a, const uint8_t *d, size_t len) {
  pqm_report r;
  pqm_drop why = pqm_report_parse(d, len, &r);
  if (why >= PQM_DROP_COUNT)
    abort();
  pqm_agg_datagram(a, why);
  if (why != PQM_OK)
    return why;
  uint8_t back[MON_REPORT_LEN];
  if (len != MON_REPORT_LEN || pqm_report_encode(&r, back, sizeof back) != len ||
      memcmp(back, d, len) != 0)
    abort();
  printed(&r);
  pqm_agg_report(a, &r);
  return why;
}

static void metrics(const pqm_agg *a) {
  size_t need = pqm_agg_prometheus(a, NULL, 0);
  char *buf = malloc(need + 1);
  if (!buf)
    return;
  if (pqm_agg_prometheus(a, buf, need + 1) != need || strlen(buf) != need)
    abort();
  free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  pqm_agg a;
  if (pqm_agg_init(&a, 3)) /* small: eviction gets exercised */
    return 0;
  if (data[0] == 0) {
    size_t i = 1;
    while (i < size) {
      size_t len = data[i++];
      if (len == 255)
        len = MON_REPORT_LEN; /* a whole report follows */
      if (len > size - i)
        len = size - i;
      one(&a, data + i, len);
      i += len;
    }
  } else {
    one(&a, data + 1, size - 1);
    int head;
    int st = pqm_http_route((const char *)data + 1, size - 1, PQM_HTTP_MAX_REQUEST, &head);
    if (st != 0 && st != 200 && st != 400 && st != 404 && st != 405 && st != 431)
      abort();
    char h[256];
    if (st && pqm_http_head(st, size, h, sizeof h) >= sizeof h)
      abort();
  }
  metrics(&a);
  pqm_agg_free(&a);
  return 0;
}
