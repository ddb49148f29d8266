/* HTTP/0.9 request parsing. */
#include "hq.h"

#include <stdio.h>
#include <string.h>

void hq_req_init(hq_req *r) {
  r->len = 0;
  r->state = 0;
  r->line[0] = '\0';
}

/* Checks a complete line (without its end) and keeps only the target. */
static int finish(hq_req *r) {
  r->line[r->len] = '\0';
  if (strncmp(r->line, "GET ", 4) != 0)
    return r->state = -1;
  const char *t = r->line + 4;
  while (*t == ' ')
    t++;
  size_t tl = strcspn(t, " ");
  if (tl == 0 || t[0] != '/')
    return r->state = -1;
  /* Anything after the target (an HTTP version) is tolerated and dropped. */
  memmove(r->line, t, tl);
  r->line[tl] = '\0';
  r->len = tl;
  return r->state = 1;
}

int hq_req_feed(hq_req *r, const uint8_t *data, size_t len, int fin) {
  if (r->state != 0)
    return r->state;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = data[i];
    if (c == '\n') {
      if (r->len > 0 && r->line[r->len - 1] == '\r')
        r->len--;
      return finish(r);
    }
    if ((c < 0x20 && c != '\r') || c == 0x7f || r->len + 1 >= sizeof r->line)
      return r->state = -1;
    r->line[r->len++] = (char)c;
  }
  if (fin) {
    if (r->len > 0 && r->line[r->len - 1] == '\r')
      r->len--;
    return finish(r);
  }
  return 0;
}

const char *hq_req_target(const hq_req *r) {
  return r->state == 1 ? r->line : NULL;
}

size_t hq_request_format(char *buf, size_t len, const char *path) {
  int n = snprintf(buf, len, "GET %s\r\n", path);
  return n > 0 && (size_t)n < len ? (size_t)n : 0;
}
