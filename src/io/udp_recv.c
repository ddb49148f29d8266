/* recvmmsg batches: GRO splitting, ECN and local-address control messages. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>

#include "common/alloc.h"
#include "io/udp.h"
#include "pquic/errors.h"

#define RX_CONTROL 256
/* GRO coalesces at most 64 segments into one message. */
#define RX_GRO_SEGMENTS 64
#define RX_SIZE_GRO 65535u
#define RX_SIZE_PLAIN 9216u /* a jumbo frame's payload */

int pq_rx_batch_init(pq_rx_batch *b, const pq_udp *u, size_t n_msgs) {
  if (!b || !u)
    return PQUIC_ERR_INVAL;
  memset(b, 0, sizeof *b);
  b->n_msgs = n_msgs ? n_msgs : 32;
  if (b->n_msgs > 1024)
    return PQUIC_ERR_INVAL;
  b->msg_size = u->gro ? RX_SIZE_GRO : RX_SIZE_PLAIN;
  b->cap_dgrams = b->n_msgs * (u->gro ? RX_GRO_SEGMENTS : 1);
  b->bufs = pq_malloc(b->n_msgs * b->msg_size);
  b->msgs = pq_calloc(b->n_msgs, sizeof *b->msgs);
  b->iov = pq_calloc(b->n_msgs, sizeof *b->iov);
  b->control = pq_calloc(b->n_msgs, RX_CONTROL);
  b->remote = pq_calloc(b->n_msgs, sizeof *b->remote);
  b->local = pq_calloc(b->n_msgs, sizeof *b->local);
  b->dgrams = pq_calloc(b->cap_dgrams, sizeof *b->dgrams);
  if (!b->bufs || !b->msgs || !b->iov || !b->control || !b->remote || !b->local || !b->dgrams) {
    pq_rx_batch_free(b);
    return PQUIC_ERR_NOMEM;
  }
  return 0;
}

void pq_rx_batch_free(pq_rx_batch *b) {
  if (!b)
    return;
  pq_free(b->bufs);
  pq_free(b->msgs);
  pq_free(b->iov);
  pq_free(b->control);
  pq_free(b->remote);
  pq_free(b->local);
  pq_free(b->dgrams);
  memset(b, 0, sizeof *b);
}

static void prepare(pq_rx_batch *b) {
  for (size_t i = 0; i < b->n_msgs; i++) {
    struct msghdr *m = &b->msgs[i].msg_hdr;
    b->iov[i].iov_base = b->bufs + i * b->msg_size;
    b->iov[i].iov_len = b->msg_size;
    memset(m, 0, sizeof *m);
    m->msg_iov = &b->iov[i];
    m->msg_iovlen = 1;
    m->msg_name = &b->remote[i];
    m->msg_namelen = sizeof b->remote[i];
    m->msg_control = b->control + i * RX_CONTROL;
    m->msg_controllen = RX_CONTROL;
  }
}

static void set_local4(struct sockaddr_storage *ss, struct in_addr a, uint16_t port) {
  struct sockaddr_in in;
  memset(&in, 0, sizeof in);
  in.sin_family = AF_INET;
  in.sin_addr = a;
  in.sin_port = port;
  memset(ss, 0, sizeof *ss);
  memcpy(ss, &in, sizeof in);
}

static void set_local6(struct sockaddr_storage *ss, const struct in6_addr *a, uint16_t port) {
  struct sockaddr_in6 in6;
  memset(&in6, 0, sizeof in6);
  in6.sin6_family = AF_INET6;
  in6.sin6_addr = *a;
  in6.sin6_port = port;
  memset(ss, 0, sizeof *ss);
  memcpy(ss, &in6, sizeof in6);
  pq_io_addr_unmap(ss);
}

static uint16_t local_port(const pq_udp *u) {
  if (u->local.ss_family == AF_INET)
    return ((const struct sockaddr_in *)&u->local)->sin_port;
  return ((const struct sockaddr_in6 *)&u->local)->sin6_port;
}

/* Reads ECN, the destination address and the GRO segment size. */
static void parse_control(const pq_udp *u, struct msghdr *m, struct sockaddr_storage *local,
                          uint8_t *ecn, size_t *gro) {
  int have_local = 0;
  *ecn = 0;
  *gro = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
    const uint8_t *d = CMSG_DATA(c);
    size_t dlen = c->cmsg_len - CMSG_LEN(0);
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS && dlen >= 1) {
      *ecn = d[0] & 3;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS &&
               dlen >= sizeof(int)) {
      int v;
      memcpy(&v, d, sizeof v);
      *ecn = (uint8_t)(v & 3);
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
               dlen >= sizeof(struct in_pktinfo)) {
      struct in_pktinfo pi;
      memcpy(&pi, d, sizeof pi);
      set_local4(local, pi.ipi_addr, local_port(u));
      have_local = 1;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
               dlen >= sizeof(struct in6_pktinfo) && !have_local) {
      struct in6_pktinfo pi;
      memcpy(&pi, d, sizeof pi);
      set_local6(local, &pi.ipi6_addr, local_port(u));
      have_local = 1;
    } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO && dlen >= sizeof(int)) {
      int v;
      memcpy(&v, d, sizeof v);
      *gro = v > 0 ? (size_t)v : 0;
    }
  }
  if (!have_local)
    memcpy(local, &u->local, sizeof *local);
}

int pq_udp_recv(pq_udp *u, pq_rx_batch *b) {
  if (!u || !b || !b->msgs || u->fd < 0)
    return PQUIC_ERR_INVAL;
  b->count = 0;
  b->filled = 0;
  prepare(b);
  int n;
  do {
    n = recvmmsg(u->fd, b->msgs, (unsigned)b->n_msgs, MSG_DONTWAIT, NULL);
  } while (n < 0 && errno == EINTR);
  u->rx_calls++;
  if (n < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : PQUIC_ERR_IO;
  b->filled = (size_t)n;
  for (int i = 0; i < n; i++) {
    struct msghdr *m = &b->msgs[i].msg_hdr;
    size_t len = b->msgs[i].msg_len;
    if (m->msg_flags & MSG_TRUNC) {
      b->truncated++;
      continue;
    }
    uint8_t ecn;
    size_t gro;
    parse_control(u, m, &b->local[i], &ecn, &gro);
    pq_io_addr_unmap(&b->remote[i]);
    size_t seg = gro && gro < len ? gro : len;
    if (seg < len)
      u->rx_gro_batches++;
    const uint8_t *p = b->bufs + (size_t)i * b->msg_size;
    size_t off = 0;
    for (; off < len && b->count < b->cap_dgrams; off += seg) {
      pq_datagram *d = &b->dgrams[b->count++];
      d->data = p + off;
      d->len = len - off < seg ? len - off : seg;
      d->remote = (const struct sockaddr *)&b->remote[i];
      d->local = (const struct sockaddr *)&b->local[i];
      d->ecn = ecn;
    }
    if (off < len)
      b->truncated += (len - off + seg - 1) / seg;
    /* An empty datagram still counts: QUIC ignores it, the caller may not. */
    if (len == 0 && b->count < b->cap_dgrams) {
      pq_datagram *d = &b->dgrams[b->count++];
      d->data = p;
      d->len = 0;
      d->remote = (const struct sockaddr *)&b->remote[i];
      d->local = (const struct sockaddr *)&b->local[i];
      d->ecn = ecn;
    }
  }
  u->rx_datagrams += b->count;
  return (int)b->count;
}
