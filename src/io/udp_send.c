/* Send queue and sendmmsg batches, with UDP GSO where the socket has it. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>

#include "io/udp.h"
#include "pquic/errors.h"

/* Messages per sendmmsg call. */
#define TX_MSGS 64

typedef struct tx_msg {
  struct iovec iov;
  struct sockaddr_storage name;
  size_t bytes;
  size_t datagrams;
  union {
    struct cmsghdr align;
    uint8_t buf[CMSG_SPACE(sizeof(uint16_t)) + CMSG_SPACE(sizeof(int)) +
                CMSG_SPACE(sizeof(struct in6_pktinfo))];
  } control;
} tx_msg;

uint8_t *pq_udp_tx_buf(pq_udp *u, size_t *cap) {
  if (!u || !u->slots || u->count == u->n_slots)
    return NULL;
  if (cap)
    *cap = PQ_UDP_MAX_BATCH;
  return u->slots[(u->head + u->count) % u->n_slots].buf;
}

static int family_ok(const pq_udp *u, const struct sockaddr *sa) {
  if (!sa)
    return 0;
  if (sa->sa_family == AF_INET)
    return u->family == AF_INET || u->dual;
  return sa->sa_family == AF_INET6 && u->family == AF_INET6;
}

int pq_udp_tx_commit(pq_udp *u, size_t len, size_t segment_size, const struct sockaddr *remote,
                     const struct sockaddr *local, uint8_t ecn) {
  if (!u || !u->slots)
    return PQUIC_ERR_INVAL;
  if (u->count == u->n_slots)
    return PQUIC_ERR_LIMIT;
  if (len == 0 || len > PQ_UDP_MAX_BATCH || ecn > 3 || !family_ok(u, remote))
    return PQUIC_ERR_INVAL;
  if (local && local->sa_family != 0 && local->sa_family != remote->sa_family)
    return PQUIC_ERR_INVAL;
  pq_tx_slot *s = &u->slots[(u->head + u->count) % u->n_slots];
  s->len = len;
  s->sent = 0;
  s->no_gso = 0;
  s->segment_size = segment_size == 0 || segment_size > len ? len : segment_size;
  s->ecn = ecn;
  memset(&s->remote, 0, sizeof s->remote);
  memcpy(&s->remote, remote, pq_io_addr_len(remote));
  memset(&s->local, 0, sizeof s->local);
  if (local && local->sa_family != 0 && !pq_io_addr_is_wildcard(local))
    memcpy(&s->local, local, pq_io_addr_len(local));
  u->count++;
  return 0;
}

int pq_udp_tx_push(pq_udp *u, const uint8_t *data, size_t len, size_t segment_size,
                   const struct sockaddr *remote, const struct sockaddr *local, uint8_t ecn) {
  size_t cap = 0;
  uint8_t *buf = pq_udp_tx_buf(u, &cap);
  if (!buf)
    return u && u->slots ? PQUIC_ERR_LIMIT : PQUIC_ERR_INVAL;
  if (!data || len > cap)
    return PQUIC_ERR_INVAL;
  memcpy(buf, data, len);
  return pq_udp_tx_commit(u, len, segment_size, remote, local, ecn);
}

static struct cmsghdr *add_cmsg(struct msghdr *m, struct cmsghdr *prev, int level, int type,
                                const void *data, size_t len) {
  struct cmsghdr *c = prev ? CMSG_NXTHDR(m, prev) : CMSG_FIRSTHDR(m);
  c->cmsg_level = level;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(len);
  memcpy(CMSG_DATA(c), data, len);
  return c;
}

/* Control messages of one message: GSO segment size, ECN, source address.
 * IPv4 destinations take IPPROTO_IP options even on an AF_INET6 socket: the
 * kernel sends mapped destinations through its IPv4 path. */
static void build_control(const pq_udp *u, const pq_tx_slot *s, size_t segments, struct msghdr *m,
                          tx_msg *t) {
  m->msg_control = t->control.buf;
  m->msg_controllen = sizeof t->control.buf;
  memset(t->control.buf, 0, sizeof t->control.buf);
  struct cmsghdr *c = NULL;
  size_t used = 0;
  int v4 = s->remote.ss_family == AF_INET;
  if (segments > 1) {
    uint16_t seg = (uint16_t)s->segment_size;
    c = add_cmsg(m, c, SOL_UDP, UDP_SEGMENT, &seg, sizeof seg);
    used += CMSG_SPACE(sizeof seg);
  }
  if (s->ecn) {
    int tos = s->ecn;
    c = add_cmsg(m, c, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_TOS : IPV6_TCLASS, &tos, sizeof tos);
    used += CMSG_SPACE(sizeof tos);
  }
  if (s->local.ss_family && !u->connected && pq_io_addr_is_wildcard((const void *)&u->local)) {
    if (v4) {
      struct in_pktinfo pi;
      memset(&pi, 0, sizeof pi);
      pi.ipi_spec_dst = ((const struct sockaddr_in *)&s->local)->sin_addr;
      add_cmsg(m, c, IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi);
      used += CMSG_SPACE(sizeof pi);
    } else {
      struct in6_pktinfo pi;
      memset(&pi, 0, sizeof pi);
      pi.ipi6_addr = ((const struct sockaddr_in6 *)&s->local)->sin6_addr;
      add_cmsg(m, c, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof pi);
      used += CMSG_SPACE(sizeof pi);
    }
  }
  m->msg_controllen = used;
  if (used == 0)
    m->msg_control = NULL;
}

/* Fills up to TX_MSGS messages from the queue; returns how many. */
static unsigned build_msgs(pq_udp *u, struct mmsghdr *mm, tx_msg *t) {
  unsigned n = 0;
  for (size_t i = 0; i < u->count && n < TX_MSGS; i++) {
    const pq_tx_slot *s = &u->slots[(u->head + i) % u->n_slots];
    size_t seg = s->segment_size;
    size_t per_msg = seg;
    if (u->gso && !s->no_gso) {
      size_t segs = PQ_UDP_MAX_BATCH / seg;
      if (segs > PQ_UDP_MAX_SEGMENTS)
        segs = PQ_UDP_MAX_SEGMENTS;
      per_msg = segs * seg;
    }
    for (size_t off = s->sent; off < s->len && n < TX_MSGS; n++) {
      size_t chunk = s->len - off < per_msg ? s->len - off : per_msg;
      tx_msg *tm = &t[n];
      struct msghdr *m = &mm[n].msg_hdr;
      memset(m, 0, sizeof *m);
      tm->iov.iov_base = s->buf + off;
      tm->iov.iov_len = chunk;
      tm->bytes = chunk;
      tm->datagrams = (chunk + seg - 1) / seg;
      m->msg_iov = &tm->iov;
      m->msg_iovlen = 1;
      const struct sockaddr *dst = (const struct sockaddr *)&s->remote;
      if (!(u->connected && pq_io_addr_equal(dst, (const struct sockaddr *)&u->peer))) {
        if (u->family == AF_INET6)
          pq_io_addr_map(dst, &tm->name);
        else
          memcpy(&tm->name, dst, pq_io_addr_len(dst));
        m->msg_name = &tm->name;
        m->msg_namelen = pq_io_addr_len((const struct sockaddr *)&tm->name);
      }
      build_control(u, s, tm->datagrams, m, tm);
      off += chunk;
    }
  }
  return n;
}

/* Marks `bytes` of the head slot sent (or dropped) and pops it when done. */
static void advance(pq_udp *u, size_t bytes) {
  pq_tx_slot *s = &u->slots[u->head];
  s->sent += bytes;
  if (s->sent >= s->len) {
    u->head = (u->head + 1) % u->n_slots;
    u->count--;
  }
}

static int do_send(pq_udp *u, struct mmsghdr *mm, unsigned n) {
  if (u->send_hook)
    return u->send_hook(u->fd, mm, n, 0, u->send_hook_user);
  return sendmmsg(u->fd, mm, n, 0);
}

int pq_udp_flush(pq_udp *u) {
  struct mmsghdr mm[TX_MSGS];
  tx_msg t[TX_MSGS];
  if (!u || !u->slots)
    return PQUIC_ERR_INVAL;
  u->tx_nobufs = 0;
  while (u->count > 0) {
    unsigned n = build_msgs(u, mm, t);
    if (n == 0) { /* only a fully sent slot left at the head: cannot happen */
      advance(u, u->slots[u->head].len);
      continue;
    }
    int r = do_send(u, mm, n);
    u->tx_calls++;
    if (r < 0) {
      int e = errno;
      if (e == EINTR)
        continue;
      if (e == EAGAIN || e == EWOULDBLOCK)
        return PQUIC_ERR_AGAIN;
      if (e == ENOBUFS) {
        u->tx_nobufs = 1;
        return PQUIC_ERR_AGAIN;
      }
      if (e == EIO && t[0].datagrams > 1) {
        /* The device refused segmentation offload: stop using it on this
         * socket; the same datagrams go again one by one. */
        u->gso = 0;
        continue;
      }
      if (e == EINVAL && t[0].datagrams > 1) {
        /* This batch does not fit GSO's limits (a segment above the path
         * MTU...): send it one datagram per message. */
        u->slots[u->head].no_gso = 1;
        continue;
      }
      u->last_send_errno = e;
      u->tx_dropped += t[0].datagrams;
      advance(u, t[0].bytes);
      continue;
    }
    for (int i = 0; i < r; i++) {
      u->tx_datagrams += t[i].datagrams;
      u->tx_gso_msgs += t[i].datagrams > 1;
      advance(u, t[i].bytes);
    }
  }
  return 0;
}
