/* URLs given to `pquic client`: https://host[:port]/path. */
#ifndef PQ_APP_URL_H
#define PQ_APP_URL_H

#include <stddef.h>
#include <stdint.h>

#define URL_MAX_PATH 4096

typedef struct url {
  char host[256];          /* name or address, IPv6 without brackets */
  uint16_t port;           /* 443 when not given */
  int ipv6;                /* host was an [IPv6] literal */
  char authority[272];     /* host[:port] as sent in :authority (brackets kept, :443 left out) */
  char path[URL_MAX_PATH]; /* starts with '/', query kept, fragment removed */
} url;

/*
 * Parses "https://host[:port][/path][?query][#fragment]"; the scheme may be
 * left out. Returns 0, or -1 with a one-line reason in err: another scheme,
 * an empty host, user information, a bad port, spaces or control characters,
 * or a part too long.
 */
int url_parse(const char *s, url *u, char *err, size_t errlen);

#endif
