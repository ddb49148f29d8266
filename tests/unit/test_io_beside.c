/* Two connected sockets sharing one local address and port
 * (pq_udp_open_beside): each receives only its own peer's datagrams, both
 * send, and the port is not left open to later binds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "io/udp.h"
#include "io_test.h"
#include "pquic/errors.h"

/* Sends `msg` from `from` to `to` and flushes. */
static void send_to(pq_udp *from, const pq_udp *to, const char *msg) {
  assert_int_equal(pq_udp_tx_push(from, (const uint8_t *)msg, strlen(msg), 0,
                                  (const struct sockaddr *)&to->local, NULL, 0),
                   0);
  assert_int_equal(pq_udp_flush(from), 0);
}

/* Receives exactly one datagram on `u`: `msg`, from `peer`'s address. */
static void expect_one(pq_udp *u, const pq_udp *peer, const char *msg) {
  pq_rx_batch b;
  assert_int_equal(pq_rx_batch_init(&b, u, 4), 0);
  assert_int_equal(io_wait_readable(u->fd), 1);
  assert_int_equal(pq_udp_recv(u, &b), 1);
  assert_int_equal(b.dgrams[0].len, strlen(msg));
  assert_memory_equal(b.dgrams[0].data, msg, strlen(msg));
  assert_true(pq_io_addr_equal(b.dgrams[0].remote, (const struct sockaddr *)&peer->local));
  /* Nothing else is waiting: the other peer's datagram went elsewhere. */
  assert_int_equal(pq_udp_recv(u, &b), 0);
  pq_rx_batch_free(&b);
}

/* A client socket bound to the wildcard `any` and connected to X; a second
 * one beside it connected to Y; X and Y both send to the shared port. */
static void check_family(const char *any, const char *loop) {
  pq_udp x, y, a, b, c;
  struct sockaddr_storage lo = io_addr(loop, 0);
  assert_int_equal(pq_udp_open(&x, (struct sockaddr *)&lo, NULL), 0);
  assert_int_equal(pq_udp_open(&y, (struct sockaddr *)&lo, NULL), 0);
  struct sockaddr_storage wild = io_addr(any, 0);
  assert_int_equal(pq_udp_open(&a, (struct sockaddr *)&wild, NULL), 0);
  assert_int_equal(pq_udp_connect(&a, (struct sockaddr *)&x.local), 0);
  assert_false(pq_io_addr_is_wildcard((struct sockaddr *)&a.local));

  assert_int_equal(pq_udp_open_beside(&b, &a, NULL), 0);
  assert_true(pq_io_addr_equal((struct sockaddr *)&a.local, (struct sockaddr *)&b.local));
  assert_int_equal(pq_udp_connect(&b, (struct sockaddr *)&y.local), 0);
  assert_true(pq_io_addr_equal((struct sockaddr *)&a.local, (struct sockaddr *)&b.local));

  send_to(&y, &a, "from y");
  send_to(&x, &a, "from x");
  expect_one(&a, &x, "from x");
  expect_one(&b, &y, "from y");
  /* Both send to their own peer from the shared address. */
  send_to(&a, &x, "to x");
  send_to(&b, &y, "to y");
  expect_one(&x, &a, "to x");
  expect_one(&y, &b, "to y");

  /* The shared bind was allowed only while it happened. */
  errno = 0;
  assert_int_equal(pq_udp_open(&c, (struct sockaddr *)&a.local, NULL), PQUIC_ERR_IO);
  assert_int_equal(errno, EADDRINUSE);
  pq_udp_opts reuse = {.reuseport = 1};
  errno = 0;
  assert_int_equal(pq_udp_open(&c, (struct sockaddr *)&a.local, &reuse), PQUIC_ERR_IO);
  assert_int_equal(errno, EADDRINUSE);
  assert_int_equal(c.fd, -1);

  pq_udp_close(&b);
  pq_udp_close(&a);
  pq_udp_close(&y);
  pq_udp_close(&x);
}

static void test_beside_v4(void **state) {
  (void)state;
  check_family("0.0.0.0", "127.0.0.1");
}

static void test_beside_v6(void **state) {
  (void)state;
  check_family("::", "::1");
}

static void test_beside_errors(void **state) {
  (void)state;
  pq_udp a, b;
  assert_int_equal(pq_udp_open_beside(NULL, &a, NULL), PQUIC_ERR_INVAL);
  assert_int_equal(pq_udp_open_beside(&b, NULL, NULL), PQUIC_ERR_INVAL);
  assert_int_equal(b.fd, -1);
  pq_udp_close(&b);
  memset(&a, 0, sizeof a);
  a.fd = -1;
  assert_int_equal(pq_udp_open_beside(&b, &a, NULL), PQUIC_ERR_INVAL);
  struct sockaddr_storage lo = io_addr("127.0.0.1", 0);
  assert_int_equal(pq_udp_open(&a, (struct sockaddr *)&lo, NULL), 0);
  assert_int_equal(pq_udp_open_beside(&a, &a, NULL), PQUIC_ERR_INVAL);
  assert_true(a.fd >= 0); /* left open */
  pq_udp_close(&a);
  /* A socket that had SO_REUSEADDR keeps it: a third bind still works. */
  assert_int_equal(pq_udp_open(&a, (struct sockaddr *)&lo, NULL), 0);
  int one = 1;
  assert_int_equal(setsockopt(a.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
  assert_int_equal(pq_udp_open_beside(&b, &a, NULL), 0);
  int v = 0;
  socklen_t len = sizeof v;
  assert_int_equal(getsockopt(a.fd, SOL_SOCKET, SO_REUSEADDR, &v, &len), 0);
  assert_int_not_equal(v, 0);
  assert_int_equal(getsockopt(b.fd, SOL_SOCKET, SO_REUSEADDR, &v, &len), 0);
  assert_int_equal(v, 0);
  pq_udp_close(&b);
  pq_udp_close(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_beside_v4),
      cmocka_unit_test(test_beside_v6),
      cmocka_unit_test(test_beside_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
