/* ADDR:PORT parsing for command-line options. */
#include "addrport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *why) {
  snprintf(err, errlen, "%s", why);
  return -1;
}

static int parse_port(const char *p, uint16_t *out) {
  unsigned long v = 0;
  if (!*p || strlen(p) > 5)
    return -1;
  for (; *p; p++) {
    if (*p < '0' || *p > '9')
      return -1;
    v = v * 10 + (unsigned long)(*p - '0');
  }
  if (v > 65535)
    return -1;
  *out = (uint16_t)v;
  return 0;
}

int addrport_parse(const char *s, struct sockaddr_storage *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  char host[INET6_ADDRSTRLEN + 1];
  const char *port;
  int v6 = s[0] == '[';
  if (v6) {
    const char *close = strchr(s, ']');
    if (!close || close[1] != ':')
      return fail(err, errlen,
                  close ? "no port after the address" : "no ']' after the IPv6 address");
    size_t n = (size_t)(close - s - 1);
    if (n == 0 || n >= sizeof host)
      return fail(err, errlen, "not a numeric IPv6 address");
    memcpy(host, s + 1, n);
    host[n] = '\0';
    port = close + 2;
  } else {
    const char *colon = strrchr(s, ':');
    if (!colon)
      return fail(err, errlen, "no port after the address");
    if (memchr(s, ':', (size_t)(colon - s)))
      return fail(err, errlen, "an IPv6 address goes in brackets: [ADDR]:PORT");
    size_t n = (size_t)(colon - s);
    if (n == 0 || n >= sizeof host)
      return fail(err, errlen, "not a numeric IPv4 address");
    memcpy(host, s, n);
    host[n] = '\0';
    port = colon + 1;
  }
  uint16_t pn;
  if (parse_port(port, &pn))
    return fail(err, errlen, "bad port: give 0 to 65535");
  if (v6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
      return fail(err, errlen, "not a numeric IPv6 address");
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(pn);
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)out;
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
      return fail(err, errlen, "not a numeric IPv4 address");
    a->sin_family = AF_INET;
    a->sin_port = htons(pn);
  }
  return 0;
}
