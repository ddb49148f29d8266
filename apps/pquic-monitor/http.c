/* Request routing and response heads for the metrics endpoint. */
#include "http.h"

#include <stdio.h>
#include <string.h>

/* Offset just past the empty line ending the head, or 0. Accepts bare LF
 * line ends as well (RFC 9112 2.2). */
static size_t head_end(const char *b, size_t len) {
  for (size_t i = 0; i + 1 < len; i++) {
    if (b[i] != '\n')
      continue;
    if (b[i + 1] == '\n')
      return i + 2;
    if (b[i + 1] == '\r' && i + 2 < len && b[i + 2] == '\n')
      return i + 3;
  }
  return 0;
}

static int token_char(char c) {
  return c > ' ' && c < 0x7f;
}

int pqm_http_route(const char *buf, size_t len, size_t max, int *head_only) {
  if (head_only)
    *head_only = 0;
  if (!buf)
    return 400;
  size_t scan = len < max ? len : max;
  if (!head_end(buf, scan))
    return len >= max ? 431 : 0;
  /* The request line: METHOD SP TARGET SP HTTP/1.x CRLF */
  size_t line = 0;
  while (line < scan && buf[line] != '\r' && buf[line] != '\n')
    line++;
  size_t m = 0;
  while (m < line && token_char(buf[m]))
    m++;
  if (m == 0 || m >= line || buf[m] != ' ')
    return 400;
  size_t t0 = m + 1, t = t0;
  while (t < line && token_char(buf[t]))
    t++;
  if (t == t0 || t >= line || buf[t] != ' ')
    return 400;
  size_t v0 = t + 1;
  if (line - v0 != 8 || memcmp(buf + v0, "HTTP/1.", 7) != 0 ||
      (buf[v0 + 7] != '0' && buf[v0 + 7] != '1'))
    return 400;
  int get = m == 3 && memcmp(buf, "GET", 3) == 0;
  int head = m == 4 && memcmp(buf, "HEAD", 4) == 0;
  if (!get && !head)
    return 405;
  if (head_only)
    *head_only = head;
  size_t path_len = t - t0;
  for (size_t i = t0; i < t; i++)
    if (buf[i] == '?') {
      path_len = i - t0;
      break;
    }
  if (path_len == 8 && memcmp(buf + t0, "/metrics", 8) == 0)
    return 200;
  return 404;
}

const char *pqm_http_reason(int status) {
  switch (status) {
  case 200:
    return "OK";
  case 400:
    return "Bad Request";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 408:
    return "Request Timeout";
  case 431:
    return "Request Header Fields Too Large";
  default:
    return "Error";
  }
}

size_t pqm_http_head(int status, size_t body_len, char *buf, size_t cap) {
  const char *type =
      status == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8";
  int n = snprintf(buf, cap,
                   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                   "Connection: close\r\n\r\n",
                   status, pqm_http_reason(status), type, body_len,
                   status == 405 ? "Allow: GET, HEAD\r\n" : "");
  return n < 0 ? 0 : (size_t)n;
}
