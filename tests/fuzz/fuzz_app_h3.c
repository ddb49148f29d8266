/* An HTTP/3 server session (nghttp3 and the apps' glue) fed arbitrary bytes
 * on client streams. Input: records of [selector][length][bytes]; the
 * selector's low 3 bits pick a stream (request streams 0/4/8, the client's
 * control and QPACK streams 2/6/10, an extra uni stream 14), bit 3 sets FIN.
 * Requests are answered with generated bodies; output is accepted and
 * dropped. The session must reject bad input with an error, never crash. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "h3.h"
#include "paths.h"

static int64_t next_uni = 3;

static int io_open_uni(void *ctx, int64_t *sid) {
  (void)ctx;
  *sid = next_uni;
  next_uni += 4;
  return 0;
}

static int64_t io_write(void *ctx, int64_t sid, const uint8_t *data, size_t len, int fin) {
  (void)ctx, (void)sid, (void)data, (void)fin;
  /* Accept at most 1000 bytes a call to exercise blocking. */
  return len > 1000 ? 1000 : (int64_t)len;
}

static int io_reset(void *ctx, int64_t sid, uint64_t code) {
  (void)ctx, (void)sid, (void)code;
  return 0;
}

static const h3_io io = {io_open_uni, io_write, io_reset, io_reset};
static h3 *srv;

static void on_request(void *user, int64_t sid, const char *method, const char *path) {
  (void)user;
  body b;
  int st = serve_resolve(NULL, path, &b);
  /* Keep generated bodies small so a run stays fast. */
  if (b.size > 100000)
    body_gen(&b, 100000);
  (void)h3_respond(srv, sid, st, &b, strcmp(method, "HEAD") == 0);
}

static const h3_handlers handlers = {on_request, NULL, NULL, NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const int64_t sids[8] = {0, 4, 8, 2, 6, 10, 14, 0};
  next_uni = 3;
  if (h3_new(&srv, 1, &io, NULL, &handlers, NULL) || h3_start(srv)) {
    h3_free(srv);
    return 0;
  }
  size_t i = 0;
  while (i + 2 <= size) {
    uint8_t sel = data[i], len = data[i + 1];
    i += 2;
    size_t n = len < size - i ? len : size - i;
    int64_t sid = sids[sel & 7];
    if (h3_recv(srv, sid, data + i, n, (sel & 8) != 0) != 0)
      break;
    i += n;
    for (int k = 0; k < 4; k++) {
      if (h3_flush(srv) != 0)
        goto done;
      for (int64_t s = 0; s <= 8; s += 4)
        (void)h3_unblock(srv, s);
    }
  }
done:
  h3_free(srv);
  srv = NULL;
  return 0;
}
