/* --link parsing of pquic-netsim: addresses, keys, units, direction
 * overrides and the errors that name the bad part. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "pquic/errors.h"
#include "spec.h"

#define MS 1000000ull

static void test_units(void **state) {
  (void)state;
  uint64_t v;
  double f;
  assert_int_equal(ns_parse_time("10ms", &v), 0);
  assert_true(v == 10 * MS);
  assert_int_equal(ns_parse_time("2.5ms", &v), 0);
  assert_true(v == 2500000);
  assert_int_equal(ns_parse_time("1s", &v), 0);
  assert_true(v == 1000 * MS);
  assert_int_equal(ns_parse_time("250us", &v), 0);
  assert_true(v == 250000);
  assert_int_equal(ns_parse_time("0", &v), 0);
  assert_true(v == 0);
  assert_int_equal(ns_parse_rate("20mbit", &v), 0);
  assert_true(v == 20000000);
  assert_int_equal(ns_parse_rate("0.3Mbit", &v), 0);
  assert_true(v == 300000);
  assert_int_equal(ns_parse_rate("1gbit", &v), 0);
  assert_true(v == 1000000000);
  assert_int_equal(ns_parse_size("64kb", &v), 0);
  assert_true(v == 65536);
  assert_int_equal(ns_parse_size("1mb", &v), 0);
  assert_true(v == 1048576);
  assert_int_equal(ns_parse_size("1500b", &v), 0);
  assert_true(v == 1500);
  assert_int_equal(ns_parse_percent("1%", &f), 0);
  assert_true(f > 0.00999 && f < 0.01001);
  assert_int_equal(ns_parse_percent("0.5%", &f), 0);
  assert_true(f > 0.00499 && f < 0.00501);

  const char *bad_times[] = {"10", "-1ms", "ms", "10 ms", "1h", "nanms", "inf", "2e9s", ""};
  for (size_t i = 0; i < sizeof bad_times / sizeof *bad_times; i++)
    assert_int_equal(ns_parse_time(bad_times[i], &v), PQUIC_ERR_INVAL);
  assert_int_equal(ns_parse_rate("20mbps", &v), PQUIC_ERR_INVAL); /* ambiguous: refused */
  assert_int_equal(ns_parse_rate("20", &v), PQUIC_ERR_INVAL);
  assert_int_equal(ns_parse_size("64kbit", &v), PQUIC_ERR_INVAL);
  assert_int_equal(ns_parse_percent("1", &f), PQUIC_ERR_INVAL);
  assert_int_equal(ns_parse_percent("101%", &f), PQUIC_ERR_INVAL);
  assert_int_equal(ns_parse_percent("1%%", &f), PQUIC_ERR_INVAL);
}

static void test_addr(void **state) {
  (void)state;
  struct sockaddr_storage ss;
  assert_int_equal(ns_parse_addr("127.0.0.1:4433", &ss), 0);
  const struct sockaddr_in *in4 = (const struct sockaddr_in *)&ss;
  assert_int_equal(in4->sin_family, AF_INET);
  assert_int_equal(ntohs(in4->sin_port), 4433);
  assert_true(in4->sin_addr.s_addr == htonl(INADDR_LOOPBACK));
  assert_int_equal(ns_parse_addr("[::1]:0", &ss), 0);
  const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
  assert_int_equal(in6->sin6_family, AF_INET6);
  assert_int_equal(ntohs(in6->sin6_port), 0);
  assert_true(IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr));
  const char *bad[] = {"localhost:4433", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
                       "::1:4433",       "[::1]",     "[::1]4433",  "[127.0.0.1]:1",
                       ":4433",          "1.2.3.4:x", "[]:1",       "1.2.3.4:+5"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_int_equal(ns_parse_addr(bad[i], &ss), PQUIC_ERR_INVAL);
}

static void test_link_full(void **state) {
  (void)state;
  ns_link_spec s;
  char err[128];
  assert_int_equal(ns_link_spec_parse("127.0.0.1:0=127.0.0.1:4433,delay=10ms,rate=20mbit,"
                                      "queue=100kb,loss=1%,seed=99,jitter=1ms,burst=3,"
                                      "reorder=2%,reorder_delay=3ms,overhead=28",
                                      &s, err, sizeof err),
                   0);
  assert_true(s.seed == 99);
  for (int d = 0; d < 2; d++) {
    const ns_dir_params *p = &s.dir[d];
    assert_true(p->delay_ns == 10 * MS && p->rate_bps == 20000000);
    assert_true(p->queue_bytes == 102400 && p->jitter_ns == 1 * MS);
    assert_true(p->loss > 0.0099 && p->loss < 0.0101 && p->burst == 3);
    assert_true(p->reorder > 0.0199 && p->reorder < 0.0201);
    assert_true(p->reorder_delay_ns == 3 * MS && p->overhead == 28);
  }
  const struct sockaddr_in *f = (const struct sockaddr_in *)&s.forward;
  assert_int_equal(ntohs(f->sin_port), 4433);
}

static void test_link_defaults_and_overrides(void **state) {
  (void)state;
  ns_link_spec s;
  char err[128];
  assert_int_equal(ns_link_spec_parse("[::1]:0=[::1]:9", &s, err, sizeof err), 0);
  assert_true(s.seed == 1);
  assert_true(s.dir[NS_UP].delay_ns == 0 && s.dir[NS_UP].rate_bps == 0);
  assert_true(s.dir[NS_UP].queue_bytes == NS_DEFAULT_QUEUE && s.dir[NS_DOWN].loss == 0);
  /* A direction key wins over the plain key whatever the order. */
  assert_int_equal(ns_link_spec_parse("127.0.0.1:1=127.0.0.1:2,down.delay=30ms,delay=10ms,"
                                      "up.loss=2%,rate=5mbit,up.rate=1mbit",
                                      &s, err, sizeof err),
                   0);
  assert_true(s.dir[NS_UP].delay_ns == 10 * MS && s.dir[NS_DOWN].delay_ns == 30 * MS);
  assert_true(s.dir[NS_UP].loss > 0.0199 && s.dir[NS_DOWN].loss == 0);
  assert_true(s.dir[NS_UP].rate_bps == 1000000 && s.dir[NS_DOWN].rate_bps == 5000000);
  char line[256];
  ns_dir_params_format(&s.dir[NS_DOWN], line, sizeof line);
  assert_string_equal(line, "delay=30ms jitter=0ms rate=5mbit queue=65536b loss=0% burst=1 "
                            "reorder=0%");
}

static void expect_error(const char *spec, const char *fragment) {
  ns_link_spec s;
  char err[128];
  assert_int_equal(ns_link_spec_parse(spec, &s, err, sizeof err), PQUIC_ERR_INVAL);
  if (!strstr(err, fragment))
    fail_msg("'%s': error '%s' lacks '%s'", spec, err, fragment);
}

static void test_link_errors(void **state) {
  (void)state;
  expect_error("127.0.0.1:1", "not LISTEN=FORWARD");
  expect_error("127.0.0.1:1=127.0.0.1:0", "needs a port");
  expect_error("localhost:1=127.0.0.1:2", "bad listen address 'localhost:1'");
  expect_error("127.0.0.1:1=host:2", "bad forward address 'host:2'");
  expect_error("127.0.0.1:1=127.0.0.1:2,delay=10", "bad delay '10'");
  expect_error("127.0.0.1:1=127.0.0.1:2,rate=20mbps", "bad rate '20mbps'");
  expect_error("127.0.0.1:1=127.0.0.1:2,loss=100%", "bad loss '100%'");
  expect_error("127.0.0.1:1=127.0.0.1:2,burst=0.5", "bad burst");
  expect_error("127.0.0.1:1=127.0.0.1:2,colour=red", "unknown key 'colour'");
  expect_error("127.0.0.1:1=127.0.0.1:2,up.colour=red", "unknown key 'colour'");
  expect_error("127.0.0.1:1=127.0.0.1:2,sideways.delay=1ms", "unknown key 'sideways.delay'");
  expect_error("127.0.0.1:1=127.0.0.1:2,delay", "not key=value");
  expect_error("127.0.0.1:1=127.0.0.1:2,delay=", "not key=value");
  expect_error("127.0.0.1:1=127.0.0.1:2,up.seed=3", "whole link");
  expect_error("127.0.0.1:1=127.0.0.1:2,seed=-3", "bad seed");
  expect_error("127.0.0.1:1=127.0.0.1:2,overhead=70000", "bad overhead");
  char longspec[1100];
  memset(longspec, 'a', sizeof longspec - 1);
  longspec[sizeof longspec - 1] = '\0';
  expect_error(longspec, "longer than");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_units),       cmocka_unit_test(test_addr),
      cmocka_unit_test(test_link_full),   cmocka_unit_test(test_link_defaults_and_overrides),
      cmocka_unit_test(test_link_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
