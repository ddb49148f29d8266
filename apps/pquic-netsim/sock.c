/* UDP sockets of netsim: non-blocking, large buffers, no name lookups. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime.h"

socklen_t ns_addr_len(const struct sockaddr_storage *a) {
  return a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

int ns_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family)
    return 0;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
  return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
         memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

void ns_addr_format(const struct sockaddr_storage *a, char *buf, size_t len) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *s = (const void *)a;
    inet_ntop(AF_INET, &s->sin_addr, host, sizeof host);
    snprintf(buf, len, "%s:%u", host, ntohs(s->sin_port));
  } else {
    const struct sockaddr_in6 *s = (const void *)a;
    inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof host);
    snprintf(buf, len, "[%s]:%u", host, ntohs(s->sin6_port));
  }
}

/* Asks for big buffers: the forced variant (root) beats rmem_max. */
static void set_bufs(int fd, int size) {
  if (size <= 0)
    return;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

static int open_udp(int family, int sockbuf) {
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  set_bufs(fd, sockbuf);
  return fd;
}

int ns_sock_listen(const struct sockaddr_storage *addr, int sockbuf,
                   struct sockaddr_storage *bound) {
  int fd = open_udp(addr->ss_family, sockbuf);
  if (fd < 0)
    return -1;
  if (addr->ss_family == AF_INET6) {
    int one = 1;
    (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  socklen_t len = sizeof *bound;
  if (bind(fd, (const struct sockaddr *)addr, ns_addr_len(addr)) != 0 ||
      getsockname(fd, (struct sockaddr *)bound, &len) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

int ns_sock_upstream(const struct sockaddr_storage *forward, int sockbuf) {
  int fd = open_udp(forward->ss_family, sockbuf);
  if (fd < 0)
    return -1;
  /* connect() picks the source address by route and filters out anything
   * but the server's replies. */
  if (connect(fd, (const struct sockaddr *)forward, ns_addr_len(forward)) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}
