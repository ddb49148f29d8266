/* Datagram batches over loopback: GSO and GRO and their fallbacks, ECN
 * codepoints both ways, local addresses (IP_PKTINFO), v4-mapped addresses on
 * dual-stack sockets, and the send queue's handling of EAGAIN, ENOBUFS, GSO
 * refusals and hard errors (through a sendmmsg hook). */
#include <errno.h>
#include <netinet/udp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "io/udp.h"
#include "io_test.h"
#include "pquic/errors.h"

/* ECN codepoints as the IP header carries them (RFC 3168). */
#define PQ_ECN_TEST_ECT1 1
#define PQ_ECN_TEST_ECT0 2
#define PQ_ECN_TEST_CE 3

#define SEG 1200
#define NDG 10
#define LAST 500

typedef struct got {
  size_t n;
  size_t len[256];
  uint8_t first[256];
  uint8_t ecn[256];
  struct sockaddr_storage remote, local;
} got;

/* Receives until `want` datagrams arrived (or 2 s of silence). */
static void recv_all(pq_udp *u, size_t want, got *g) {
  pq_rx_batch b;
  memset(g, 0, sizeof *g);
  assert_int_equal(pq_rx_batch_init(&b, u, 8), 0);
  while (g->n < want) {
    if (io_wait_readable(u->fd) != 1)
      break;
    int n = pq_udp_recv(u, &b);
    assert_true(n >= 0);
    for (int i = 0; i < n && g->n < 256; i++) {
      g->len[g->n] = b.dgrams[i].len;
      g->first[g->n] = b.dgrams[i].len ? b.dgrams[i].data[0] : 0;
      g->ecn[g->n] = b.dgrams[i].ecn;
      memcpy(&g->remote, b.dgrams[i].remote, pq_io_addr_len(b.dgrams[i].remote));
      memcpy(&g->local, b.dgrams[i].local, pq_io_addr_len(b.dgrams[i].local));
      g->n++;
    }
  }
  pq_rx_batch_free(&b);
}

/* One batch of NDG datagrams (the last LAST bytes), datagram i filled with i. */
static void queue_batch(pq_udp *u, const struct sockaddr *to, const struct sockaddr *from,
                        uint8_t ecn, uint8_t base) {
  size_t cap = 0;
  uint8_t *buf = pq_udp_tx_buf(u, &cap);
  assert_non_null(buf);
  assert_true(cap >= SEG * NDG);
  size_t len = 0;
  for (int i = 0; i < NDG; i++) {
    size_t n = i == NDG - 1 ? LAST : SEG;
    memset(buf + len, base + i, n);
    len += n;
  }
  assert_int_equal(pq_udp_tx_commit(u, len, SEG, to, from, ecn), 0);
}

static void check_batch(const got *g, size_t at, uint8_t base) {
  for (int i = 0; i < NDG; i++) {
    assert_int_equal(g->len[at + i], i == NDG - 1 ? LAST : SEG);
    assert_int_equal(g->first[at + i], (uint8_t)(base + i));
  }
}

/* Every combination of sender GSO and receiver GRO on and off. */
static void run_gso_gro(int gso, int gro) {
  pq_udp tx, rx;
  struct sockaddr_storage a = io_addr("127.0.0.1", 0);
  pq_udp_opts to = {.no_gso = !gso}, ro = {.no_gro = !gro};
  assert_int_equal(pq_udp_open(&tx, (struct sockaddr *)&a, &to), 0);
  assert_int_equal(pq_udp_open(&rx, (struct sockaddr *)&a, &ro), 0);
  queue_batch(&tx, (struct sockaddr *)&rx.local, NULL, 0, 0);
  queue_batch(&tx, (struct sockaddr *)&rx.local, NULL, 0, 100);
  assert_int_equal(pq_udp_tx_pending(&tx), 2);
  assert_int_equal(pq_udp_flush(&tx), 0);
  assert_int_equal(pq_udp_tx_pending(&tx), 0);
  assert_int_equal(tx.tx_datagrams, 2 * NDG);
  assert_int_equal(tx.tx_calls, 1); /* one sendmmsg for both batches either way */
  if (tx.gso)
    assert_int_equal(tx.tx_gso_msgs, 2); /* one GSO message per batch */
  else
    assert_int_equal(tx.tx_gso_msgs, 0); /* fallback: one message per datagram */
  got g;
  recv_all(&rx, 2 * NDG, &g);
  assert_int_equal(g.n, 2 * NDG);
  check_batch(&g, 0, 0);
  check_batch(&g, NDG, 100);
  if (tx.gso && rx.gro)
    assert_true(rx.rx_gro_batches >= 1); /* coalesced on the way in, split by us */
  else
    assert_int_equal(rx.rx_gro_batches, 0);
  assert_int_equal(rx.rx_datagrams, 2 * NDG);
  if (gso)
    print_message("gso=%d gro=%d gro_batches=%lu\n", tx.gso, rx.gro,
                  (unsigned long)rx.rx_gro_batches);
  pq_udp_close(&tx);
  pq_udp_close(&rx);
}

static void test_gso_gro(void **state) {
  (void)state;
  run_gso_gro(1, 1);
}
static void test_gso_no_gro(void **state) {
  (void)state;
  run_gso_gro(1, 0);
}
static void test_no_gso_gro(void **state) {
  (void)state;
  run_gso_gro(0, 1);
}
static void test_no_gso_no_gro(void **state) {
  (void)state;
  run_gso_gro(0, 0);
}

/* A batch larger than one GSO message takes (64 segments max). */
static void test_large_batch_split(void **state) {
  (void)state;
  pq_udp tx, rx;
  struct sockaddr_storage a = io_addr("127.0.0.1", 0);
  assert_int_equal(pq_udp_open(&tx, (struct sockaddr *)&a, NULL), 0);
  assert_int_equal(pq_udp_open(&rx, (struct sockaddr *)&a, NULL), 0);
  enum { S = 600, N = 100 };
  size_t cap;
  uint8_t *buf = pq_udp_tx_buf(&tx, &cap);
  for (int i = 0; i < N; i++)
    memset(buf + i * S, i, S);
  assert_int_equal(pq_udp_tx_commit(&tx, S * N, S, (struct sockaddr *)&rx.local, NULL, 0), 0);
  assert_int_equal(pq_udp_flush(&tx), 0);
  if (tx.gso)
    assert_int_equal(tx.tx_gso_msgs, 2); /* 64 + 36 */
  got g;
  recv_all(&rx, N, &g);
  assert_int_equal(g.n, N);
  for (int i = 0; i < N; i++) {
    assert_int_equal(g.len[i], S);
    assert_int_equal(g.first[i], i);
  }
  pq_udp_close(&tx);
  pq_udp_close(&rx);
}

static void ecn_round_trip(const char *tx_ip, const char *rx_ip, const char *dst_ip) {
  pq_udp tx, rx;
  struct sockaddr_storage ta = io_addr(tx_ip, 0), ra = io_addr(rx_ip, 0);
  assert_int_equal(pq_udp_open(&tx, (struct sockaddr *)&ta, NULL), 0);
  assert_int_equal(pq_udp_open(&rx, (struct sockaddr *)&ra, NULL), 0);
  struct sockaddr_storage dst = io_addr(dst_ip, io_port(&rx.local));
  const uint8_t cps[] = {PQ_ECN_TEST_ECT0, PQ_ECN_TEST_ECT1, PQ_ECN_TEST_CE, 0};
  for (size_t i = 0; i < sizeof cps; i++) {
    uint8_t d[100];
    memset(d, (int)i, sizeof d);
    assert_int_equal(pq_udp_tx_push(&tx, d, sizeof d, 0, (struct sockaddr *)&dst, NULL, cps[i]), 0);
  }
  assert_int_equal(pq_udp_flush(&tx), 0);
  got g;
  recv_all(&rx, sizeof cps, &g);
  assert_int_equal(g.n, sizeof cps);
  for (size_t i = 0; i < sizeof cps; i++) {
    assert_int_equal(g.first[i], i);
    if (rx.ecn)
      assert_int_equal(g.ecn[i], cps[i]);
    else
      assert_int_equal(g.ecn[i], 0); /* fallback: reported as not-ECT */
  }
  /* The sender's address arrives in plain form whatever the sockets. */
  struct sockaddr_storage want =
      io_addr(strchr(dst_ip, ':') ? "::1" : "127.0.0.1", io_port(&tx.local));
  assert_true(pq_io_addr_equal((struct sockaddr *)&g.remote, (struct sockaddr *)&want));
  pq_udp_close(&tx);
  pq_udp_close(&rx);
}

static void test_ecn_v4(void **state) {
  (void)state;
  ecn_round_trip("127.0.0.1", "127.0.0.1", "127.0.0.1");
}
static void test_ecn_v6(void **state) {
  (void)state;
  ecn_round_trip("::1", "::1", "::1");
}
/* IPv4 through dual-stack sockets on both ends: IP_TOS on an AF_INET6
 * socket, IP_RECVTOS for mapped senders. */
static void test_ecn_dual_stack(void **state) {
  (void)state;
  ecn_round_trip("::", "::", "127.0.0.1");
}

/* A wildcard-bound receiver learns the address each datagram was sent to;
 * a wildcard-bound sender can choose its source address per batch. */
static void local_addresses(const char *wild, const char *dst_ip, const char *src_ip) {
  pq_udp tx, rx;
  struct sockaddr_storage w = io_addr(wild, 0);
  assert_int_equal(pq_udp_open(&tx, (struct sockaddr *)&w, NULL), 0);
  assert_int_equal(pq_udp_open(&rx, (struct sockaddr *)&w, NULL), 0);
  struct sockaddr_storage dst = io_addr(dst_ip, io_port(&rx.local));
  struct sockaddr_storage src = io_addr(src_ip, 0);
  queue_batch(&tx, (struct sockaddr *)&dst, (struct sockaddr *)&src, 0, 7);
  assert_int_equal(pq_udp_flush(&tx), 0);
  assert_int_equal(tx.tx_dropped, 0);
  got g;
  recv_all(&rx, NDG, &g);
  assert_int_equal(g.n, NDG);
  check_batch(&g, 0, 7);
  assert_int_equal(rx.pktinfo, 1);
  assert_true(pq_io_addr_equal((struct sockaddr *)&g.local, (struct sockaddr *)&dst));
  struct sockaddr_storage from = io_addr(src_ip, io_port(&tx.local));
  assert_true(pq_io_addr_equal((struct sockaddr *)&g.remote, (struct sockaddr *)&from));
  pq_udp_close(&tx);
  pq_udp_close(&rx);
}

static void test_local_v4(void **state) {
  (void)state;
  local_addresses("0.0.0.0", "127.0.0.1", "127.0.0.2");
}
static void test_local_v6(void **state) {
  (void)state;
  local_addresses("::", "::1", "::1");
}
static void test_local_dual_stack_v4(void **state) {
  (void)state;
  local_addresses("::", "127.0.0.5", "127.0.0.3");
}

static void test_commit_errors(void **state) {
  (void)state;
  pq_udp u;
  struct sockaddr_storage a = io_addr("127.0.0.1", 0);
  pq_udp_opts o = {.tx_slots = 2};
  assert_int_equal(pq_udp_open(&u, (struct sockaddr *)&a, &o), 0);
  struct sockaddr_storage v6 = io_addr("::1", 9), v4 = io_addr("127.0.0.1", 9);
  uint8_t d[8] = {0};
  assert_int_equal(pq_udp_tx_push(&u, d, sizeof d, 0, (struct sockaddr *)&v6, NULL, 0),
                   PQUIC_ERR_INVAL); /* IPv6 peer on an IPv4 socket */
  assert_int_equal(pq_udp_tx_push(&u, d, 0, 0, (struct sockaddr *)&v4, NULL, 0), PQUIC_ERR_INVAL);
  assert_int_equal(pq_udp_tx_push(&u, d, sizeof d, 0, (struct sockaddr *)&v4, NULL, 4),
                   PQUIC_ERR_INVAL); /* not an ECN codepoint */
  assert_int_equal(pq_udp_tx_push(&u, d, sizeof d, 0, NULL, NULL, 0), PQUIC_ERR_INVAL);
  assert_int_equal(
      pq_udp_tx_push(&u, d, sizeof d, 0, (struct sockaddr *)&v4, (struct sockaddr *)&v6, 0),
      PQUIC_ERR_INVAL); /* source and destination families differ */
  assert_int_equal(pq_udp_tx_commit(&u, PQ_UDP_MAX_BATCH + 1, 0, (struct sockaddr *)&v4, NULL, 0),
                   PQUIC_ERR_INVAL);
  assert_int_equal(pq_udp_tx_pending(&u), 0);
  assert_int_equal(pq_udp_tx_push(&u, d, sizeof d, 0, (struct sockaddr *)&v4, NULL, 0), 0);
  assert_int_equal(pq_udp_tx_push(&u, d, sizeof d, 0, (struct sockaddr *)&v4, NULL, 0), 0);
  size_t cap;
  assert_null(pq_udp_tx_buf(&u, &cap)); /* full */
  assert_int_equal(pq_udp_tx_push(&u, d, sizeof d, 0, (struct sockaddr *)&v4, NULL, 0),
                   PQUIC_ERR_LIMIT);
  assert_int_equal(pq_udp_tx_pending(&u), 2);
  pq_udp_close(&u);
}

/* --- the send hook: scripted kernel answers --- */

typedef struct script {
  int errs[8];    /* errno to fail with on call i, 0: real sendmmsg */
  int partial[8]; /* >0: send only this many messages on call i */
  int calls;
  int gso_seen[8]; /* call i carried a UDP_SEGMENT control message */
} script;

static int has_gso(const struct msghdr *m) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR((struct msghdr *)m, c))
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT)
      return 1;
  return 0;
}

static int scripted(int fd, struct mmsghdr *msgs, unsigned n, int flags, void *user) {
  script *s = user;
  int i = s->calls++;
  if (i < 8) {
    s->gso_seen[i] = has_gso(&msgs[0].msg_hdr);
    if (s->errs[i]) {
      errno = s->errs[i];
      return -1;
    }
    if (s->partial[i] && (unsigned)s->partial[i] < n)
      n = (unsigned)s->partial[i];
  }
  return sendmmsg(fd, msgs, n, flags);
}

static void pair(pq_udp *tx, pq_udp *rx, script *s) {
  struct sockaddr_storage a = io_addr("127.0.0.1", 0);
  assert_int_equal(pq_udp_open(tx, (struct sockaddr *)&a, NULL), 0);
  assert_int_equal(pq_udp_open(rx, (struct sockaddr *)&a, NULL), 0);
  tx->send_hook = scripted;
  tx->send_hook_user = s;
}

static void test_eagain_keeps_order(void **state) {
  (void)state;
  pq_udp tx, rx;
  script s = {.errs = {EAGAIN, ENOBUFS}};
  pair(&tx, &rx, &s);
  queue_batch(&tx, (struct sockaddr *)&rx.local, NULL, 0, 0);
  queue_batch(&tx, (struct sockaddr *)&rx.local, NULL, 0, 50);
  assert_int_equal(pq_udp_flush(&tx), PQUIC_ERR_AGAIN);
  assert_int_equal(tx.tx_nobufs, 0);
  assert_int_equal(pq_udp_tx_pending(&tx), 2);
  assert_int_equal(pq_udp_flush(&tx), PQUIC_ERR_AGAIN);
  assert_int_equal(tx.tx_nobufs, 1); /* ENOBUFS: retried on a timer, not EPOLLOUT */
  assert_int_equal(pq_udp_tx_pending(&tx), 2);
  /* More queued while blocked goes out after what was there before. */
  queue_batch(&tx, (struct sockaddr *)&rx.local, NULL, 0, 150);
  assert_int_equal(pq_udp_flush(&tx), 0);
  assert_int_equal(tx.tx_nobufs, 0);
  assert_int_equal(pq_udp_tx_pending(&tx), 0);
  assert_int_equal(tx.tx_dropped, 0);
  got g;
  recv_all(&rx, 3 * NDG, &g);
  assert_int_equal(g.n, 3 * NDG);
  check_batch(&g, 0, 0);
  check_batch(&g, NDG, 50);
  check_batch(&g, 2 * NDG, 150);
  pq_udp_close(&tx);
  pq_udp_close(&rx);
}

/* The kernel takes only part of a sendmmsg; the rest follows in order, also
 * when a GSO batch is split across calls in the fallback path. */
static void test_partial_send(void **state) {
  (void)state;
  pq_udp tx, rx;
  script s = {.partial = {1, 3}};
  pair(&tx, &rx, &s);
  tx.gso = 0; /* one message per datagram, so partial sends cut batches */
  queue_batch(&tx, (struct sockaddr *)&rx.local, NULL, 0, 0);
  queue_batch(&tx, (struct sockaddr *)&rx.local, NULL, 0, 20);
  assert_int_equal(pq_udp_flush(&tx), 0);
  assert_int_equal(s.calls, 3); /* 1, then 3, then the remaining 16 */
  got g;
  recv_all(&rx, 2 * NDG, &g);
  assert_int_equal(g.n, 2 * NDG);
  check_batch(&g, 0, 0);
  check_batch(&g, NDG, 20);
  pq_udp_close(&tx);
  pq_udp_close(&rx);
}

/* EIO on a GSO message: GSO is off for the socket from then on. */
static void test_gso_eio_fallback(void **state) {
  (void)state;
  pq_udp tx, rx;
  script s = {.errs = {EIO}};
  pair(&tx, &rx, &s);
  if (!tx.gso) {
    /* Without GSO the first call carries no UDP_SEGMENT and EIO is a hard
     * error: the first datagram is dropped. */
    queue_batch(&tx, (struct sockaddr *)&rx.local, NULL, 0, 0);
    assert_int_equal(pq_udp_flush(&tx), 0);
    assert_int_equal(tx.tx_dropped, 1);
    assert_int_equal(s.gso_seen[0], 0);
  } else {
    queue_batch(&tx, (struct sockaddr *)&rx.local, NULL, 0, 0);
    assert_int_equal(pq_udp_flush(&tx), 0);
    assert_int_equal(s.gso_seen[0], 1);
    assert_int_equal(s.gso_seen[1], 0);
    assert_int_equal(tx.gso, 0);
    assert_int_equal(tx.tx_dropped, 0);
    got g;
    recv_all(&rx, NDG, &g);
    assert_int_equal(g.n, NDG);
    check_batch(&g, 0, 0);
  }
  pq_udp_close(&tx);
  pq_udp_close(&rx);
}

/* EINVAL on a GSO message: that batch goes one by one, GSO stays on. */
static void test_gso_einval_batch_only(void **state) {
  (void)state;
  pq_udp tx, rx;
  script s = {.errs = {EINVAL}};
  pair(&tx, &rx, &s);
  queue_batch(&tx, (struct sockaddr *)&rx.local, NULL, 0, 0);
  assert_int_equal(pq_udp_flush(&tx), 0);
  if (s.gso_seen[0]) {
    assert_int_equal(tx.gso, 1);
    assert_int_equal(tx.tx_dropped, 0);
    assert_int_equal(s.gso_seen[1], 0);
    got g;
    recv_all(&rx, NDG, &g);
    assert_int_equal(g.n, NDG);
    check_batch(&g, 0, 0);
    queue_batch(&tx, (struct sockaddr *)&rx.local, NULL, 0, 30);
    assert_int_equal(pq_udp_flush(&tx), 0);
    assert_int_equal(s.gso_seen[2], 1); /* the next batch uses GSO again */
  } else {
    assert_int_equal(tx.gso, 0);
    assert_int_equal(tx.tx_dropped, 1); /* fallback path: a hard error */
  }
  pq_udp_close(&tx);
  pq_udp_close(&rx);
}

/* Any other error drops the message at fault and keeps going. */
static void test_hard_error_drops(void **state) {
  (void)state;
  pq_udp tx, rx;
  script s = {.errs = {EMSGSIZE}};
  pair(&tx, &rx, &s);
  tx.gso = 0;
  queue_batch(&tx, (struct sockaddr *)&rx.local, NULL, 0, 0);
  assert_int_equal(pq_udp_flush(&tx), 0);
  assert_int_equal(tx.tx_dropped, 1);
  assert_int_equal(tx.last_send_errno, EMSGSIZE);
  got g;
  recv_all(&rx, NDG - 1, &g);
  assert_int_equal(g.n, NDG - 1);
  assert_int_equal(g.first[0], 1); /* datagram 0 was the one dropped */
  pq_udp_close(&tx);
  pq_udp_close(&rx);
}

static void test_truncated_dropped(void **state) {
  (void)state;
  pq_udp tx, rx;
  struct sockaddr_storage a = io_addr("127.0.0.1", 0);
  pq_udp_opts ro = {.no_gro = 1};
  assert_int_equal(pq_udp_open(&tx, (struct sockaddr *)&a, NULL), 0);
  assert_int_equal(pq_udp_open(&rx, (struct sockaddr *)&a, &ro), 0);
  static uint8_t big[12000];
  memset(big, 1, sizeof big);
  uint8_t small[10] = {2};
  assert_int_equal(pq_udp_tx_push(&tx, big, sizeof big, 0, (struct sockaddr *)&rx.local, NULL, 0),
                   0);
  assert_int_equal(
      pq_udp_tx_push(&tx, small, sizeof small, 0, (struct sockaddr *)&rx.local, NULL, 0), 0);
  assert_int_equal(pq_udp_flush(&tx), 0);
  pq_rx_batch b;
  assert_int_equal(pq_rx_batch_init(&b, &rx, 4), 0);
  size_t got_n = 0;
  while (got_n < 1 && io_wait_readable(rx.fd) == 1) {
    int n = pq_udp_recv(&rx, &b);
    assert_true(n >= 0);
    for (int i = 0; i < n; i++) {
      assert_int_equal(b.dgrams[i].len, sizeof small);
      assert_int_equal(b.dgrams[i].data[0], 2);
    }
    got_n += (size_t)n;
  }
  assert_int_equal(got_n, 1);
  assert_int_equal(b.truncated, 1); /* the 12000-byte one exceeded 9 KiB */
  /* The last call's message count includes a truncated message. */
  assert_true(b.filled >= 1 && b.filled <= 2);
  pq_rx_batch_free(&b);
  pq_udp_close(&tx);
  pq_udp_close(&rx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gso_gro),
      cmocka_unit_test(test_gso_no_gro),
      cmocka_unit_test(test_no_gso_gro),
      cmocka_unit_test(test_no_gso_no_gro),
      cmocka_unit_test(test_large_batch_split),
      cmocka_unit_test(test_ecn_v4),
      cmocka_unit_test(test_ecn_v6),
      cmocka_unit_test(test_ecn_dual_stack),
      cmocka_unit_test(test_local_v4),
      cmocka_unit_test(test_local_v6),
      cmocka_unit_test(test_local_dual_stack_v4),
      cmocka_unit_test(test_commit_errors),
      cmocka_unit_test(test_eagain_keeps_order),
      cmocka_unit_test(test_partial_send),
      cmocka_unit_test(test_gso_eio_fallback),
      cmocka_unit_test(test_gso_einval_batch_only),
      cmocka_unit_test(test_hard_error_drops),
      cmocka_unit_test(test_truncated_dropped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
