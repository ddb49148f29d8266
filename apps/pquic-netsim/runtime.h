/* Internal state of a running netsim (see netsim.h). */
#ifndef NS_RUNTIME_H
#define NS_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "model.h"
#include "netsim.h"
#include "pktq.h"

/* What an epoll event is for: kind in the top byte of data.u64. */
enum { SRC_TIMER = 1, SRC_SIGNAL, SRC_LISTEN, SRC_FLOW };
#define SRC_KEY(kind, link, flow) (((uint64_t)(kind) << 56) | ((uint64_t)(link) << 32) | (flow))

typedef struct ns_flow {
  int fd;       /* upstream socket connected to FORWARD; -1: slot free */
  uint32_t gen; /* bumped when the slot is reused: in-flight datagrams of the
                   old flow are dropped, never sent to the new client */
  struct sockaddr_storage client;
  socklen_t client_len;
  uint64_t last_ns; /* last datagram either way */
} ns_flow;

typedef struct ns_link_rt {
  ns_link_spec spec;
  int listen_fd;
  struct sockaddr_storage bound; /* listen address with the port filled in */
  ns_dir dir[2];
  ns_flow *flows;
  size_t n_flows; /* slots (max_flows) */
  uint64_t flows_opened, flows_expired, flows_evicted, flow_errors;
} ns_link_rt;

typedef struct ns_rt {
  ns_opts o;
  ns_link_rt links[NS_MAX_LINKS];
  size_t n_links;
  int ep, tfd, sfd;
  uint64_t armed_at; /* absolute ns the timer is armed for, 0: disarmed */
  ns_pktq q;
  int stop;
  uint64_t wakeups, spins;
  /* receive batch shared by all sockets */
  struct mmsghdr *msgs;
  struct iovec *iov;
  struct sockaddr_storage *names;
  uint8_t *bufs;
} ns_rt;

/* Monotonic clock, ns. */
uint64_t ns_now(void);

/* Sockets (sock.c). Each returns a descriptor or -1 with errno set. */
int ns_sock_listen(const struct sockaddr_storage *addr, int sockbuf,
                   struct sockaddr_storage *bound);
int ns_sock_upstream(const struct sockaddr_storage *forward, int sockbuf);
socklen_t ns_addr_len(const struct sockaddr_storage *a);
int ns_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
void ns_addr_format(const struct sockaddr_storage *a, char *buf, size_t len);

/* Flow table (flows.c). */
/* The flow of a client address on link l, opened if new (evicting the least
 * recently active flow when the table is full). Returns its index, or -1
 * when no socket could be opened. */
long ns_flow_get(ns_rt *rt, size_t l, const struct sockaddr_storage *client, socklen_t clen,
                 uint64_t now);
/* Closes flows idle since before now - flow_idle. */
void ns_flows_expire(ns_rt *rt, uint64_t now);
/* Closes every flow. */
void ns_flows_close_all(ns_rt *rt);

#endif
