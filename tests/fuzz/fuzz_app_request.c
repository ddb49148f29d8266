/* Untrusted request text of the pquic apps: hq-interop request lines (fed
 * in pieces), request targets through path sanitising and the server's
 * resolver without a root, URLs and output file names. Checks invariants:
 * a sanitised path never has a ".." segment or a leading '/', and output
 * names never contain '/'. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "hq.h"
#include "paths.h"
#include "url.h"

static void check_clean(const char *target) {
  char out[4096];
  if (path_clean(target, out, sizeof out) != 0)
    return;
  if (out[0] == '/')
    abort();
  for (const char *seg = out; *seg;) {
    size_t n = strcspn(seg, "/");
    if (n == 0 || (n == 2 && seg[0] == '.' && seg[1] == '.') || (n == 1 && seg[0] == '.'))
      abort();
    seg += n + (seg[n] == '/');
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* hq request, split at the first byte's value. */
  hq_req r;
  hq_req_init(&r);
  size_t cut = size ? data[0] % (size + 1) : 0;
  int rc = hq_req_feed(&r, data, cut, 0);
  if (rc == 0)
    rc = hq_req_feed(&r, data + cut, size - cut, 1);
  if (rc == 1) {
    const char *t = hq_req_target(&r);
    if (!t || t[0] != '/')
      abort();
    check_clean(t);
    body b;
    int st = serve_resolve(NULL, t, &b);
    if (st != 200 && st != 400 && st != 404)
      abort();
    uint8_t buf[64];
    (void)body_read(&b, buf, sizeof buf);
    body_close(&b);
  }
  /* The same bytes as a URL and as a target. */
  char *s = malloc(size + 1);
  if (!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  check_clean(s);
  url u;
  char err[256];
  if (url_parse(s, &u, err, sizeof err) == 0) {
    if (u.path[0] != '/' || u.port == 0 || !u.host[0])
      abort();
    char name[256];
    output_name(u.path, name, sizeof name);
    if (strchr(name, '/') || !name[0] || strcmp(name, "..") == 0 || strcmp(name, ".") == 0)
      abort();
  }
  free(s);
  return 0;
}
