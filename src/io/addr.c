/* Socket address helpers. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "io/udp.h"

socklen_t pq_io_addr_len(const struct sockaddr *sa) {
  if (!sa)
    return 0;
  if (sa->sa_family == AF_INET)
    return sizeof(struct sockaddr_in);
  if (sa->sa_family == AF_INET6)
    return sizeof(struct sockaddr_in6);
  return 0;
}

void pq_io_addr_format(const struct sockaddr *sa, char *buf, size_t len) {
  char host[INET6_ADDRSTRLEN];
  if (len == 0)
    return;
  if (sa && sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    snprintf(buf, len, "%s:%u", host, (unsigned)ntohs(in->sin_port));
  } else if (sa && sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    snprintf(buf, len, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
  } else {
    snprintf(buf, len, "(no address)");
  }
}

int pq_io_addr_equal(const struct sockaddr *a, const struct sockaddr *b) {
  if (!a || !b || a->sa_family != b->sa_family)
    return 0;
  if (a->sa_family == AF_INET) {
    const struct sockaddr_in *x = (const struct sockaddr_in *)a;
    const struct sockaddr_in *y = (const struct sockaddr_in *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->sa_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
    const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  return 0;
}

void pq_io_addr_unmap(struct sockaddr_storage *ss) {
  if (ss->ss_family != AF_INET6)
    return;
  const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
  if (!IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
    return;
  struct sockaddr_in in;
  memset(&in, 0, sizeof in);
  in.sin_family = AF_INET;
  in.sin_port = in6->sin6_port;
  memcpy(&in.sin_addr, &in6->sin6_addr.s6_addr[12], 4);
  memset(ss, 0, sizeof *ss);
  memcpy(ss, &in, sizeof in);
}

int pq_io_addr_is_wildcard(const struct sockaddr *sa) {
  if (!sa)
    return 1;
  if (sa->sa_family == AF_INET)
    return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_ANY);
  if (sa->sa_family == AF_INET6)
    return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
  return 1;
}

void pq_io_addr_map(const struct sockaddr *sa, struct sockaddr_storage *out) {
  memset(out, 0, sizeof *out);
  if (sa->sa_family != AF_INET) {
    socklen_t len = pq_io_addr_len(sa);
    if (len)
      memcpy(out, sa, len);
    return;
  }
  const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
  struct sockaddr_in6 m;
  memset(&m, 0, sizeof m);
  m.sin6_family = AF_INET6;
  m.sin6_port = in->sin_port;
  m.sin6_addr.s6_addr[10] = 0xff;
  m.sin6_addr.s6_addr[11] = 0xff;
  memcpy(&m.sin6_addr.s6_addr[12], &in->sin_addr, 4);
  memcpy(out, &m, sizeof m);
}
