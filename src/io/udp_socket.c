/* UDP socket creation and feature probing. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "io/udp.h"
#include "pquic/errors.h"

static int set_int(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value) == 0;
}

static int get_int(int fd, int level, int name) {
  int v = 0;
  socklen_t len = sizeof v;
  if (getsockopt(fd, level, name, &v, &len) != 0)
    return 0;
  return v;
}

/* Asks for `want` bytes; as root the FORCE variant passes the sysctl cap
 * (net.core.rmem_max), which otherwise silently clamps the request. */
static int size_buffer(int fd, int name, int force_name, int want) {
  if (want > 0) {
    set_int(fd, SOL_SOCKET, name, want);
    /* The kernel reports double what it accounts for. */
    if (get_int(fd, SOL_SOCKET, name) < want * 2)
      set_int(fd, SOL_SOCKET, force_name, want);
  }
  return get_int(fd, SOL_SOCKET, name);
}

static void probe_features(pq_udp *u, const pq_udp_opts *o) {
  int fd = u->fd;
  int v4 = u->family == AF_INET || u->dual;
  int v6 = u->family == AF_INET6;
  /* QUIC datagrams must not be fragmented (RFC 9000 section 14): set DF and
   * leave path MTU discovery to QUIC. */
  if (v4)
    set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE);
  if (v6)
    set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE);

  int ecn4 = v4 ? set_int(fd, IPPROTO_IP, IP_RECVTOS, 1) : 1;
  int ecn6 = v6 ? set_int(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1) : 1;
  u->ecn = ecn4 && ecn6;
  int pi4 = v4 ? set_int(fd, IPPROTO_IP, IP_PKTINFO, 1) : 1;
  int pi6 = v6 ? set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) : 1;
  u->pktinfo = pi4 && pi6;

  /* UDP_SEGMENT as a socket option only sets a default segment size (0:
   * none); accepting it means the kernel knows GSO (Linux 4.18). Sends set
   * the size per message. */
  u->gso = !o->no_gso && set_int(fd, SOL_UDP, UDP_SEGMENT, 0);
  u->gro = !o->no_gro && set_int(fd, SOL_UDP, UDP_GRO, 1);
}

static void free_queue(pq_udp *u) {
  if (u->slots) {
    for (size_t i = 0; i < u->n_slots; i++)
      pq_free(u->slots[i].buf);
    pq_free(u->slots);
  }
  u->slots = NULL;
  u->n_slots = u->head = u->count = 0;
}

static int fail(pq_udp *u, int err) {
  int saved = errno;
  if (u->fd >= 0)
    close(u->fd);
  u->fd = -1;
  free_queue(u);
  errno = saved;
  return err;
}

static int read_local(pq_udp *u) {
  socklen_t len = sizeof u->local;
  memset(&u->local, 0, sizeof u->local);
  if (getsockname(u->fd, (struct sockaddr *)&u->local, &len) != 0)
    return PQUIC_ERR_IO;
  pq_io_addr_unmap(&u->local);
  return 0;
}

static int alloc_queue(pq_udp *u, size_t n) {
  u->n_slots = n ? n : 64;
  u->slots = pq_calloc(u->n_slots, sizeof *u->slots);
  if (!u->slots)
    return PQUIC_ERR_NOMEM;
  for (size_t i = 0; i < u->n_slots; i++) {
    u->slots[i].buf = pq_malloc(PQ_UDP_MAX_BATCH);
    if (!u->slots[i].buf) {
      for (size_t j = 0; j < i; j++)
        pq_free(u->slots[j].buf);
      pq_free(u->slots);
      u->slots = NULL;
      return PQUIC_ERR_NOMEM;
    }
  }
  return 0;
}

/* pq_udp_open, with SO_REUSEADDR set before the bind when `reuseaddr`. */
static int open_bound(pq_udp *u, const struct sockaddr *addr, const pq_udp_opts *o, int reuseaddr) {
  static const pq_udp_opts defaults;
  if (!u)
    return PQUIC_ERR_INVAL;
  memset(u, 0, sizeof *u);
  u->fd = -1;
  socklen_t alen = pq_io_addr_len(addr);
  if (alen == 0)
    return PQUIC_ERR_INVAL;
  if (!o)
    o = &defaults;
  u->family = addr->sa_family;
  int rc = alloc_queue(u, o->tx_slots);
  if (rc)
    return rc;
  u->fd = socket(u->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (u->fd < 0)
    return fail(u, PQUIC_ERR_IO);
  if (u->family == AF_INET6) {
    int v6only = o->v6only ? 1 : 0;
    if (!set_int(u->fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only) && !v6only)
      v6only = 1;
    u->dual = !v6only && pq_io_addr_is_wildcard(addr);
  }
  if (o->reuseport && !set_int(u->fd, SOL_SOCKET, SO_REUSEPORT, 1))
    return fail(u, PQUIC_ERR_IO);
  if (reuseaddr && !set_int(u->fd, SOL_SOCKET, SO_REUSEADDR, 1))
    return fail(u, PQUIC_ERR_IO);
  u->rcvbuf = size_buffer(u->fd, SO_RCVBUF, SO_RCVBUFFORCE, o->rcvbuf);
  u->sndbuf = size_buffer(u->fd, SO_SNDBUF, SO_SNDBUFFORCE, o->sndbuf);
  probe_features(u, o);
  if (bind(u->fd, addr, alen) != 0)
    return fail(u, PQUIC_ERR_IO);
  if (read_local(u))
    return fail(u, PQUIC_ERR_IO);
  return 0;
}

int pq_udp_open(pq_udp *u, const struct sockaddr *addr, const pq_udp_opts *o) {
  return open_bound(u, addr, o, 0);
}

int pq_udp_open_beside(pq_udp *u, pq_udp *beside, const pq_udp_opts *o) {
  if (!u || u == beside)
    return PQUIC_ERR_INVAL; /* u is left as it is: it may be an open socket */
  if (!beside || beside->fd < 0 || pq_io_addr_len((const struct sockaddr *)&beside->local) == 0) {
    memset(u, 0, sizeof *u);
    u->fd = -1;
    return PQUIC_ERR_INVAL;
  }
  struct sockaddr_storage local = beside->local;
  /* Both sockets must allow the shared bind while it happens. Cleared right
   * after (the flag only matters when binding), so no later socket can take
   * the port from under them. */
  int was = get_int(beside->fd, SOL_SOCKET, SO_REUSEADDR);
  if (!was && !set_int(beside->fd, SOL_SOCKET, SO_REUSEADDR, 1)) {
    memset(u, 0, sizeof *u);
    u->fd = -1;
    return PQUIC_ERR_IO;
  }
  int rc = open_bound(u, (const struct sockaddr *)&local, o, 1);
  int e = errno;
  if (!was)
    set_int(beside->fd, SOL_SOCKET, SO_REUSEADDR, 0);
  if (rc == 0)
    set_int(u->fd, SOL_SOCKET, SO_REUSEADDR, 0);
  errno = e;
  return rc;
}

int pq_udp_connect(pq_udp *u, const struct sockaddr *peer) {
  if (!u || u->fd < 0 || !peer)
    return PQUIC_ERR_INVAL;
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len = pq_io_addr_len(peer);
  if (len == 0)
    return PQUIC_ERR_INVAL;
  memcpy(&ss, peer, len);
  /* An IPv4 peer on an AF_INET6 socket is reached through its mapped form. */
  if (u->family == AF_INET6 && peer->sa_family == AF_INET) {
    if (!u->dual)
      return PQUIC_ERR_INVAL;
    pq_io_addr_map(peer, &ss);
    len = sizeof(struct sockaddr_in6);
  } else if (peer->sa_family != u->family) {
    return PQUIC_ERR_INVAL;
  }
  if (connect(u->fd, (struct sockaddr *)&ss, len) != 0)
    return PQUIC_ERR_IO;
  u->connected = 1;
  memset(&u->peer, 0, sizeof u->peer);
  memcpy(&u->peer, peer, pq_io_addr_len(peer));
  return read_local(u);
}

void pq_udp_close(pq_udp *u) {
  if (!u)
    return;
  if (u->slots && u->fd >= 0)
    close(u->fd);
  u->fd = -1;
  free_queue(u);
}
