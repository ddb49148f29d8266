/* Loopback helpers shared by the io tests. */
#ifndef PQ_TESTS_IO_TEST_H
#define PQ_TESTS_IO_TEST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

static inline struct sockaddr_storage io_addr(const char *ip, uint16_t port) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  if (strchr(ip, ':')) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &a->sin6_addr);
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    inet_pton(AF_INET, ip, &a->sin_addr);
  }
  return ss;
}

static inline uint16_t io_port(const struct sockaddr_storage *ss) {
  if (ss->ss_family == AF_INET)
    return ntohs(((const struct sockaddr_in *)ss)->sin_port);
  return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* Waits up to 2 s for the descriptor to be readable (loopback delivery may
 * finish in a softirq after sendmmsg returns). */
static inline int io_wait_readable(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, 2000);
}

#endif
