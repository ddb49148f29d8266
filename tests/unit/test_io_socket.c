/* UDP sockets: binding on loopback, dual stack, port in use, buffer sizes,
 * connected sockets and ICMP errors, address helpers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/alloc.h"
#include "io/loop.h"
#include "io/udp.h"
#include "io_test.h"
#include "pquic/errors.h"

static void test_open_v4_v6(void **state) {
  (void)state;
  pq_udp u;
  struct sockaddr_storage a = io_addr("127.0.0.1", 0);
  assert_int_equal(pq_udp_open(&u, (struct sockaddr *)&a, NULL), 0);
  assert_int_equal(u.family, AF_INET);
  assert_int_equal(u.local.ss_family, AF_INET);
  assert_int_not_equal(io_port(&u.local), 0);
  assert_int_equal(u.dual, 0);
  assert_true(u.fd >= 0);
  pq_udp_close(&u);
  assert_int_equal(u.fd, -1);
  pq_udp_close(&u); /* twice is harmless */

  struct sockaddr_storage a6 = io_addr("::1", 0);
  assert_int_equal(pq_udp_open(&u, (struct sockaddr *)&a6, NULL), 0);
  assert_int_equal(u.local.ss_family, AF_INET6);
  assert_int_equal(u.dual, 0); /* ::1 cannot carry IPv4 */
  pq_udp_close(&u);

  struct sockaddr_storage any6 = io_addr("::", 0);
  assert_int_equal(pq_udp_open(&u, (struct sockaddr *)&any6, NULL), 0);
  assert_int_equal(u.dual, 1);
  pq_udp_close(&u);
  pq_udp_opts o = {.v6only = 1};
  assert_int_equal(pq_udp_open(&u, (struct sockaddr *)&any6, &o), 0);
  assert_int_equal(u.dual, 0);
  pq_udp_close(&u);
}

static void test_open_errors(void **state) {
  (void)state;
  pq_udp u, v;
  struct sockaddr_storage bad;
  memset(&bad, 0, sizeof bad);
  bad.ss_family = AF_UNIX;
  assert_int_equal(pq_udp_open(&u, (struct sockaddr *)&bad, NULL), PQUIC_ERR_INVAL);
  assert_int_equal(u.fd, -1);
  pq_udp_close(&u);
  assert_int_equal(pq_udp_open(NULL, (struct sockaddr *)&bad, NULL), PQUIC_ERR_INVAL);

  struct sockaddr_storage a = io_addr("127.0.0.1", 0);
  assert_int_equal(pq_udp_open(&u, (struct sockaddr *)&a, NULL), 0);
  struct sockaddr_storage same = io_addr("127.0.0.1", io_port(&u.local));
  errno = 0;
  assert_int_equal(pq_udp_open(&v, (struct sockaddr *)&same, NULL), PQUIC_ERR_IO);
  assert_int_equal(errno, EADDRINUSE);
  assert_int_equal(v.fd, -1);
  pq_udp_close(&v);
  /* Several sockets on one port only with SO_REUSEPORT on all of them. */
  pq_udp_close(&u);
  pq_udp_opts o = {.reuseport = 1};
  assert_int_equal(pq_udp_open(&u, (struct sockaddr *)&a, &o), 0);
  same = io_addr("127.0.0.1", io_port(&u.local));
  assert_int_equal(pq_udp_open(&v, (struct sockaddr *)&same, &o), 0);
  pq_udp_close(&v);
  pq_udp_close(&u);
}

static void test_buffer_sizes(void **state) {
  (void)state;
  pq_udp u;
  struct sockaddr_storage a = io_addr("127.0.0.1", 0);
  pq_udp_opts o = {.rcvbuf = 1 << 20, .sndbuf = 1 << 20};
  assert_int_equal(pq_udp_open(&u, (struct sockaddr *)&a, &o), 0);
  int v = 0;
  socklen_t len = sizeof v;
  assert_int_equal(getsockopt(u.fd, SOL_SOCKET, SO_RCVBUF, &v, &len), 0);
  assert_int_equal(u.rcvbuf, v); /* what is reported is what the kernel says */
  assert_int_equal(getsockopt(u.fd, SOL_SOCKET, SO_SNDBUF, &v, &len), 0);
  assert_int_equal(u.sndbuf, v);
  if (geteuid() == 0) {
    /* Root passes the sysctl cap with SO_*BUFFORCE. */
    assert_true(u.rcvbuf >= 1 << 20);
    assert_true(u.sndbuf >= 1 << 20);
  }
  pq_udp_close(&u);
}

static void test_features_probed(void **state) {
  (void)state;
  pq_udp u;
  struct sockaddr_storage a = io_addr("127.0.0.1", 0);
  assert_int_equal(pq_udp_open(&u, (struct sockaddr *)&a, NULL), 0);
  /* Every Linux this project runs on has these (4.18+); the batch tests
   * cover the fallbacks by forcing them off. */
  assert_int_equal(u.ecn, 1);
  assert_int_equal(u.pktinfo, 1);
  int gso = u.gso, gro = u.gro;
  pq_udp_close(&u);
  pq_udp_opts o = {.no_gso = 1, .no_gro = 1};
  assert_int_equal(pq_udp_open(&u, (struct sockaddr *)&a, &o), 0);
  assert_int_equal(u.gso, 0);
  assert_int_equal(u.gro, 0);
  pq_udp_close(&u);
  /* Report what this kernel has, so a log shows which paths ran. */
  print_message("kernel: gso=%d gro=%d\n", gso, gro);
}

static void test_connect_refused(void **state) {
  (void)state;
  /* A port nobody listens on: bind one, note it, close it. */
  pq_udp dead;
  struct sockaddr_storage a = io_addr("127.0.0.1", 0);
  assert_int_equal(pq_udp_open(&dead, (struct sockaddr *)&a, NULL), 0);
  struct sockaddr_storage peer = io_addr("127.0.0.1", io_port(&dead.local));
  pq_udp_close(&dead);

  pq_udp u;
  assert_int_equal(pq_udp_open(&u, (struct sockaddr *)&a, NULL), 0);
  assert_int_equal(pq_udp_connect(&u, (struct sockaddr *)&peer), 0);
  assert_int_equal(u.connected, 1);
  const uint8_t msg[] = "hello";
  assert_int_equal(pq_udp_tx_push(&u, msg, sizeof msg, 0, (struct sockaddr *)&peer, NULL, 0), 0);
  assert_int_equal(pq_udp_flush(&u), 0);
  /* The ICMP port unreachable comes back as a socket error. */
  struct pollfd p = {.fd = u.fd, .events = POLLIN};
  assert_int_equal(poll(&p, 1, 2000), 1);
  pq_rx_batch b;
  assert_int_equal(pq_rx_batch_init(&b, &u, 4), 0);
  errno = 0;
  assert_int_equal(pq_udp_recv(&u, &b), PQUIC_ERR_IO);
  assert_int_equal(errno, ECONNREFUSED);
  pq_rx_batch_free(&b);
  pq_udp_close(&u);
}

static void test_connect_dual_stack(void **state) {
  (void)state;
  pq_udp srv, cli;
  struct sockaddr_storage a = io_addr("127.0.0.1", 0);
  assert_int_equal(pq_udp_open(&srv, (struct sockaddr *)&a, NULL), 0);
  struct sockaddr_storage any6 = io_addr("::", 0);
  assert_int_equal(pq_udp_open(&cli, (struct sockaddr *)&any6, NULL), 0);
  /* An IPv4 peer through an IPv6 socket: the local address reads as IPv4. */
  assert_int_equal(pq_udp_connect(&cli, (struct sockaddr *)&srv.local), 0);
  assert_int_equal(cli.local.ss_family, AF_INET);
  char buf[64];
  pq_io_addr_format((struct sockaddr *)&cli.local, buf, sizeof buf);
  assert_int_equal(strncmp(buf, "127.0.0.1:", 10), 0);
  pq_udp_close(&cli);
  /* A v6-only socket cannot reach an IPv4 peer. */
  pq_udp_opts o = {.v6only = 1};
  assert_int_equal(pq_udp_open(&cli, (struct sockaddr *)&any6, &o), 0);
  assert_int_equal(pq_udp_connect(&cli, (struct sockaddr *)&srv.local), PQUIC_ERR_INVAL);
  pq_udp_close(&cli);
  pq_udp_close(&srv);
}

static void test_addr_helpers(void **state) {
  (void)state;
  char buf[64];
  struct sockaddr_storage a = io_addr("10.1.2.3", 443);
  pq_io_addr_format((struct sockaddr *)&a, buf, sizeof buf);
  assert_string_equal(buf, "10.1.2.3:443");
  struct sockaddr_storage b = io_addr("2001:db8::1", 4433);
  pq_io_addr_format((struct sockaddr *)&b, buf, sizeof buf);
  assert_string_equal(buf, "[2001:db8::1]:4433");
  pq_io_addr_format(NULL, buf, sizeof buf);
  assert_string_equal(buf, "(no address)");

  struct sockaddr_storage m = io_addr("::ffff:10.1.2.3", 443);
  assert_false(pq_io_addr_equal((struct sockaddr *)&m, (struct sockaddr *)&a));
  pq_io_addr_unmap(&m);
  assert_int_equal(m.ss_family, AF_INET);
  assert_true(pq_io_addr_equal((struct sockaddr *)&m, (struct sockaddr *)&a));
  struct sockaddr_storage back;
  pq_io_addr_map((struct sockaddr *)&a, &back);
  assert_int_equal(back.ss_family, AF_INET6);
  pq_io_addr_format((struct sockaddr *)&back, buf, sizeof buf);
  assert_string_equal(buf, "[::ffff:10.1.2.3]:443");
  /* An IPv6 address is left alone by both. */
  pq_io_addr_unmap(&b);
  assert_int_equal(b.ss_family, AF_INET6);

  struct sockaddr_storage w4 = io_addr("0.0.0.0", 1), w6 = io_addr("::", 1);
  assert_true(pq_io_addr_is_wildcard((struct sockaddr *)&w4));
  assert_true(pq_io_addr_is_wildcard((struct sockaddr *)&w6));
  assert_false(pq_io_addr_is_wildcard((struct sockaddr *)&a));
  assert_int_equal(pq_io_addr_len((struct sockaddr *)&a), sizeof(struct sockaddr_in));
  assert_int_equal(pq_io_addr_len((struct sockaddr *)&b), sizeof(struct sockaddr_in6));
  assert_int_equal(pq_io_addr_len(NULL), 0);
}

static void noop_dgrams(void *user, pq_udp *u, const pq_datagram *d, size_t n, uint64_t now) {
  (void)user, (void)u, (void)d, (void)n, (void)now;
}
static void noop_service(void *user, uint64_t now) {
  (void)user, (void)now;
}
static uint64_t no_wake(void *user) {
  (void)user;
  return UINT64_MAX;
}

/* Out of memory at every allocation of socket, receive batch and loop
 * set-up: a clean error, nothing leaked (the sanitizer build checks). */
static void test_out_of_memory(void **state) {
  (void)state;
  struct sockaddr_storage a = io_addr("127.0.0.1", 0);
  const pq_loop_cbs cbs = {noop_dgrams, noop_service, no_wake, NULL};
  int done = 0;
  for (long n = 0; n < 1000 && !done; n++) {
    pq_udp u;
    pq_rx_batch b;
    pq_loop *l = NULL;
    pq_alloc_fail_after(n);
    int rc = pq_udp_open(&u, (struct sockaddr *)&a, NULL);
    if (rc == 0) {
      rc = pq_rx_batch_init(&b, &u, 4);
      if (rc == 0) {
        rc = pq_loop_new(&l, &cbs, NULL);
        if (rc == 0) {
          rc = pq_loop_add_udp(l, &u);
          pq_loop_free(l);
        }
        pq_rx_batch_free(&b);
      }
      pq_udp_close(&u);
    }
    pq_alloc_fail_after(-1);
    if (rc == 0)
      done = 1;
    else
      assert_int_equal(rc, PQUIC_ERR_NOMEM);
  }
  assert_true(done);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_open_v4_v6),      cmocka_unit_test(test_open_errors),
      cmocka_unit_test(test_buffer_sizes),    cmocka_unit_test(test_features_probed),
      cmocka_unit_test(test_connect_refused), cmocka_unit_test(test_connect_dual_stack),
      cmocka_unit_test(test_addr_helpers),    cmocka_unit_test(test_out_of_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
