/* URL parsing for the client. */
#include "url.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int fail(char *err, size_t errlen, const char *msg, const char *s) {
  snprintf(err, errlen, msg, s);
  return -1;
}

static int bad_char(unsigned char c) {
  return c <= 0x20 || c == 0x7f;
}

int url_parse(const char *s, url *u, char *err, size_t errlen) {
  memset(u, 0, sizeof *u);
  const char *p = s;
  const char *colon_slash = strstr(s, "://");
  if (colon_slash) {
    size_t n = (size_t)(colon_slash - s);
    if (!(n == 5 && strncasecmp(s, "https", 5) == 0)) {
      char scheme[32];
      snprintf(scheme, sizeof scheme, "%.*s", (int)(n < 31 ? n : 31), s);
      return fail(err, errlen, "unsupported scheme '%s' in URL (QUIC needs https://)", scheme);
    }
    p = colon_slash + 3;
  }
  size_t hlen = strcspn(p, "/?#");
  if (memchr(p, '@', hlen))
    return fail(err, errlen, "user names in URLs are not supported: '%s'", s);
  const char *host = p, *port = NULL;
  size_t host_len;
  if (*p == '[') {
    const char *close = memchr(p, ']', hlen);
    if (!close)
      return fail(err, errlen, "unterminated IPv6 address in URL '%s'", s);
    host = p + 1;
    host_len = (size_t)(close - host);
    u->ipv6 = 1;
    if (close + 1 < p + hlen) {
      if (close[1] != ':')
        return fail(err, errlen, "bad host in URL '%s'", s);
      port = close + 2;
    }
  } else {
    const char *c = memchr(p, ':', hlen);
    host_len = c ? (size_t)(c - p) : hlen;
    if (c)
      port = c + 1;
  }
  if (host_len == 0)
    return fail(err, errlen, "no host in URL '%s'", s);
  if (host_len >= sizeof u->host)
    return fail(err, errlen, "host name too long in URL '%.40s...'", s);
  for (size_t i = 0; i < host_len; i++)
    if (bad_char((unsigned char)host[i]) || host[i] == '[' || host[i] == ']' ||
        (!u->ipv6 && host[i] == ':'))
      return fail(err, errlen, "bad character in host of URL '%s'", s);
  memcpy(u->host, host, host_len);
  u->port = 443;
  if (port) {
    size_t plen = (size_t)(p + hlen - port);
    unsigned long v = 0;
    if (plen == 0 || plen > 5)
      return fail(err, errlen, "bad port in URL '%s'", s);
    for (size_t i = 0; i < plen; i++) {
      if (port[i] < '0' || port[i] > '9')
        return fail(err, errlen, "bad port in URL '%s'", s);
      v = v * 10 + (unsigned long)(port[i] - '0');
    }
    if (v == 0 || v > 65535)
      return fail(err, errlen, "bad port in URL '%s'", s);
    u->port = (uint16_t)v;
  }
  if (u->port == 443)
    snprintf(u->authority, sizeof u->authority, u->ipv6 ? "[%s]" : "%s", u->host);
  else
    snprintf(u->authority, sizeof u->authority, u->ipv6 ? "[%s]:%u" : "%s:%u", u->host,
             (unsigned)u->port);

  const char *rest = p + hlen;
  size_t rlen = strcspn(rest, "#");
  for (size_t i = 0; i < rlen; i++)
    if (bad_char((unsigned char)rest[i]))
      return fail(err, errlen, "space or control character in URL '%s' (encode it as %%XX)", s);
  size_t off = 0;
  if (rlen == 0 || rest[0] != '/')
    u->path[off++] = '/';
  if (off + rlen >= sizeof u->path)
    return fail(err, errlen, "path too long in URL '%.40s...'", s);
  memcpy(u->path + off, rest, rlen);
  u->path[off + rlen] = '\0';
  return 0;
}
