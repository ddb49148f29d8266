/*
 * UDP sockets for the applications (the library itself never does I/O).
 *
 * One pq_udp is one socket with what the kernel granted: UDP GSO
 * (UDP_SEGMENT) for sending batches of equal-size datagrams in one call,
 * UDP GRO for receiving them coalesced, ECN codepoints in both directions,
 * the local address each datagram arrived on (IP_PKTINFO/IPV6_RECVPKTINFO),
 * and socket buffer sizes. Every feature is probed when the socket is made;
 * one the kernel refuses falls back (one datagram per message, ECN not-ECT)
 * and the flags below say which path runs.
 *
 * Addresses given to and returned by this module are plain AF_INET for IPv4
 * peers even on a dual-stack AF_INET6 socket: v4-mapped addresses never
 * leave it, so the library sees one form per peer.
 *
 * Errors: functions return 0 (or a count) or a negative PQUIC_ERR_* code;
 * for PQUIC_ERR_IO, errno holds the system error so the caller can print
 * strerror(errno) (EADDRINUSE, ECONNREFUSED...).
 */
#ifndef PQ_IO_UDP_H
#define PQ_IO_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* What to ask for when opening a socket. Zero-initialise, then set. */
typedef struct pq_udp_opts {
  int rcvbuf, sndbuf; /* bytes wanted; 0 keeps the kernel default */
  int no_gso, no_gro; /* force the one-datagram-per-message paths */
  int v6only;         /* AF_INET6 wildcard: 1 refuses IPv4 (default dual stack) */
  int reuseport;      /* SO_REUSEPORT (several sockets on one port) */
  size_t tx_slots;    /* batches the send queue holds; 0: 64 */
} pq_udp_opts;

/* One queued batch of datagrams for one destination (see pq_udp_tx_buf). */
typedef struct pq_tx_slot {
  uint8_t *buf;
  size_t len;          /* bytes in buf */
  size_t sent;         /* bytes of buf already handed to the kernel */
  size_t segment_size; /* every datagram but the last has this size */
  struct sockaddr_storage remote;
  struct sockaddr_storage local; /* ss_family 0: let the kernel choose */
  uint8_t ecn;
  int no_gso; /* the kernel refused this batch as one GSO message */
} pq_tx_slot;

/* Test hook standing in for sendmmsg(2). */
typedef int (*pq_sendmmsg_fn)(int fd, struct mmsghdr *msgs, unsigned n, int flags, void *user);

typedef struct pq_udp {
  int fd;
  int family;                    /* AF_INET or AF_INET6 */
  int dual;                      /* AF_INET6 socket that also carries IPv4 */
  int connected;                 /* connect()ed to peer */
  struct sockaddr_storage peer;  /* normalised */
  struct sockaddr_storage local; /* bound address (port filled in), normalised */
  int gso;                       /* UDP_SEGMENT in use (cleared if a send ever fails with it) */
  int gro;                       /* UDP_GRO enabled */
  int ecn;                       /* TOS/TCLASS of received datagrams is reported */
  int pktinfo;                   /* local address of received datagrams is reported */
  int rcvbuf, sndbuf;            /* sizes the kernel granted (getsockopt: twice what it accounts) */
  /* send queue: a ring of batches */
  pq_tx_slot *slots;
  size_t n_slots, head, count;
  int tx_nobufs; /* the last flush stopped on ENOBUFS (retry on a timer) */
  /* counters */
  uint64_t tx_datagrams, tx_calls, tx_dropped, rx_datagrams, rx_calls;
  uint64_t tx_gso_msgs;    /* messages sent with UDP_SEGMENT (several datagrams) */
  uint64_t rx_gro_batches; /* messages received coalesced by GRO */
  int last_send_errno;     /* errno of the last datagram dropped on a hard send error */
  pq_sendmmsg_fn send_hook;
  void *send_hook_user;
} pq_udp;

/* Largest UDP payload in one GSO message, and the slot size of the queue. */
#define PQ_UDP_MAX_BATCH 65000u
/* Most segments the kernel takes in one GSO message (UDP_MAX_SEGMENTS). */
#define PQ_UDP_MAX_SEGMENTS 64u

/*
 * Opens a UDP socket bound to `addr` (port 0: the kernel picks one, read it
 * back from u->local), non-blocking, close-on-exec, with the options of `o`
 * (NULL: defaults) and every feature probed. An AF_INET6 wildcard address is
 * dual stack unless o->v6only.
 * Errors: PQUIC_ERR_INVAL (bad address), PQUIC_ERR_NOMEM, PQUIC_ERR_IO
 * (errno: EADDRINUSE, EACCES, EADDRNOTAVAIL, EAFNOSUPPORT...). On error
 * nothing is left open and u->fd is -1.
 */
int pq_udp_open(pq_udp *u, const struct sockaddr *addr, const pq_udp_opts *o);

/*
 * Opens a socket bound to the same local address and port as `beside`
 * (read from beside->local: after pq_udp_connect, the address the kernel
 * chose), with the options of `o`. Connected to different peers, the two
 * share the port: the kernel hands each connected socket its own peer's
 * datagrams (a client reaching a server's second address from the same
 * local address, so ICMP errors still surface per peer). The shared bind is
 * allowed only while it happens (SO_REUSEADDR on both, cleared afterwards,
 * unless `beside` had it already), so no later socket can take the port.
 * Errors: PQUIC_ERR_INVAL (beside missing or closed; or the same as u,
 * which is then left untouched), PQUIC_ERR_NOMEM, PQUIC_ERR_IO (errno). On
 * other errors u->fd is -1.
 */
int pq_udp_open_beside(pq_udp *u, pq_udp *beside, const pq_udp_opts *o);

/* Connects the socket to one peer so that ICMP errors surface as ECONNREFUSED
 * or EHOSTUNREACH on the next receive (a client's "server unreachable").
 * The local address is updated to the one the kernel chose.
 * Errors: PQUIC_ERR_INVAL, PQUIC_ERR_IO (errno). */
int pq_udp_connect(pq_udp *u, const struct sockaddr *peer);

/* Closes the socket and frees the queue. Safe to call twice, and on a
 * pq_udp whose pq_udp_open failed or that is all zeros. */
void pq_udp_close(pq_udp *u);

/* --- sending --- */

/*
 * Buffer for the next batch, of *cap bytes (PQ_UDP_MAX_BATCH), or NULL when
 * the queue is full (flush first). Write the datagrams into it, then call
 * pq_udp_tx_commit; nothing is queued until then.
 */
uint8_t *pq_udp_tx_buf(pq_udp *u, size_t *cap);

/*
 * Queues the batch written into the last pq_udp_tx_buf: `len` bytes of
 * datagrams of `segment_size` bytes (the last may be shorter; 0 or >= len
 * means one datagram), to `remote`, from `local` (NULL or wildcard: any), with
 * ECN codepoint `ecn` (0..3). Errors: PQUIC_ERR_INVAL (no buffer taken, bad
 * sizes or addresses), PQUIC_ERR_LIMIT (queue full).
 */
int pq_udp_tx_commit(pq_udp *u, size_t len, size_t segment_size, const struct sockaddr *remote,
                     const struct sockaddr *local, uint8_t ecn);

/* pq_udp_tx_buf + memcpy + pq_udp_tx_commit. Same errors. */
int pq_udp_tx_push(pq_udp *u, const uint8_t *data, size_t len, size_t segment_size,
                   const struct sockaddr *remote, const struct sockaddr *local, uint8_t ecn);

/*
 * Hands queued batches to the kernel with sendmmsg, one GSO message per
 * batch when u->gso, else one message per datagram. Returns 0 when the queue
 * is empty, PQUIC_ERR_AGAIN when the kernel is full (EAGAIN: wait for the
 * socket to be writable; ENOBUFS, u->tx_nobufs set: retry shortly), the
 * unsent datagrams kept in order. A datagram refused for any other reason
 * (EMSGSIZE, ENETUNREACH, ECONNREFUSED...) is dropped (u->tx_dropped,
 * u->last_send_errno): QUIC treats it as lost. A GSO message refused with
 * EIO turns GSO off for the socket, with EINVAL for its batch only; those
 * datagrams are sent again one per message.
 */
int pq_udp_flush(pq_udp *u);

/* Datagram batches waiting in the queue. */
static inline size_t pq_udp_tx_pending(const pq_udp *u) {
  return u->count;
}

/* --- receiving --- */

/* One received datagram. Pointers stay valid until the next pq_udp_recv on
 * the same batch. */
typedef struct pq_datagram {
  const uint8_t *data;
  size_t len;
  const struct sockaddr *remote;
  const struct sockaddr *local; /* the address it was sent to; the port is ours */
  uint8_t ecn;                  /* ECN codepoint, 0 when not reported */
} pq_datagram;

/* Receive buffers for one recvmmsg call and the datagrams split from it. */
typedef struct pq_rx_batch {
  size_t n_msgs, msg_size; /* messages per call, bytes per message */
  uint8_t *bufs;
  struct mmsghdr *msgs;
  struct iovec *iov;
  uint8_t *control;
  struct sockaddr_storage *remote, *local;
  pq_datagram *dgrams;
  size_t cap_dgrams;
  size_t count;       /* datagrams filled by the last pq_udp_recv */
  size_t filled;      /* messages its recvmmsg returned: fewer than n_msgs means the
                         socket's queue was empty at that moment */
  uint64_t truncated; /* datagrams dropped: cut by a too-small buffer, or beyond
                         cap_dgrams */
} pq_rx_batch;

/* Allocates buffers for `n_msgs` messages (0: 32) sized for `u` (64 KiB
 * each with GRO, 9 KiB without). Errors: PQUIC_ERR_NOMEM, PQUIC_ERR_INVAL. */
int pq_rx_batch_init(pq_rx_batch *b, const pq_udp *u, size_t n_msgs);
void pq_rx_batch_free(pq_rx_batch *b);

/*
 * One recvmmsg: fills b->dgrams with what is waiting (GRO messages split
 * into their datagrams) and returns b->count; 0 when nothing is waiting.
 * Errors: PQUIC_ERR_IO (errno: ECONNREFUSED... on a connected socket).
 */
int pq_udp_recv(pq_udp *u, pq_rx_batch *b);

/* --- addresses --- */

/* sizeof the sockaddr for its family; 0 for an unknown family. */
socklen_t pq_io_addr_len(const struct sockaddr *sa);
/* "1.2.3.4:443" or "[::1]:443" into buf (always terminated). */
void pq_io_addr_format(const struct sockaddr *sa, char *buf, size_t len);
/* 1 when both have the same family, address and port. */
int pq_io_addr_equal(const struct sockaddr *a, const struct sockaddr *b);
/* Rewrites a v4-mapped AF_INET6 address as AF_INET in place. */
void pq_io_addr_unmap(struct sockaddr_storage *ss);
/* Writes the v4-mapped AF_INET6 form of an AF_INET address into out (any
 * other address is copied unchanged). */
void pq_io_addr_map(const struct sockaddr *sa, struct sockaddr_storage *out);
/* 1 for 0.0.0.0 / :: (any port). */
int pq_io_addr_is_wildcard(const struct sockaddr *sa);

#endif
