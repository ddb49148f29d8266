/* ADDR:PORT options (pquic server --preferred-address): IPv4, bracketed
 * IPv6, port range, and each refusal with its reason. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "addrport.h"

static void ok(const char *s, int family, const char *addr, unsigned port) {
  struct sockaddr_storage ss;
  char err[128] = "";
  char shown[INET6_ADDRSTRLEN];
  assert_int_equal(addrport_parse(s, &ss, err, sizeof err), 0);
  assert_int_equal(ss.ss_family, family);
  if (family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
    assert_non_null(inet_ntop(AF_INET, &a->sin_addr, shown, sizeof shown));
    assert_int_equal(ntohs(a->sin_port), port);
  } else {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
    assert_non_null(inet_ntop(AF_INET6, &a->sin6_addr, shown, sizeof shown));
    assert_int_equal(ntohs(a->sin6_port), port);
    assert_int_equal(a->sin6_scope_id, 0);
  }
  assert_string_equal(shown, addr);
}

static void bad(const char *s, const char *msg_part) {
  struct sockaddr_storage ss;
  char err[128] = "";
  assert_int_equal(addrport_parse(s, &ss, err, sizeof err), -1);
  if (!strstr(err, msg_part))
    fail_msg("'%s': message '%s' lacks '%s'", s, err, msg_part);
}

static void test_valid(void **state) {
  (void)state;
  ok("127.0.0.1:4434", AF_INET, "127.0.0.1", 4434);
  ok("192.0.2.7:0", AF_INET, "192.0.2.7", 0);
  ok("0.0.0.0:65535", AF_INET, "0.0.0.0", 65535);
  ok("[::1]:4434", AF_INET6, "::1", 4434);
  ok("[2001:db8::1]:443", AF_INET6, "2001:db8::1", 443);
  ok("[::ffff:127.0.0.1]:1", AF_INET6, "::ffff:127.0.0.1", 1);
}

static void test_invalid(void **state) {
  (void)state;
  bad("127.0.0.1", "no port");
  bad("127.0.0.1:", "bad port");
  bad("127.0.0.1:65536", "bad port");
  bad("127.0.0.1:123456", "bad port");
  bad("127.0.0.1:-1", "bad port");
  bad("127.0.0.1:44a", "bad port");
  bad(":4434", "not a numeric IPv4");
  bad("localhost:4434", "not a numeric IPv4");
  bad("127.0.0.256:4434", "not a numeric IPv4");
  bad("::1:4434", "in brackets");
  bad("[::1]", "no port");
  bad("[::1]4434", "no port");
  bad("[::1:4434", "no ']'");
  bad("[]:4434", "not a numeric IPv6");
  bad("[127.0.0.1]:4434", "not a numeric IPv6");
  bad("[fe80::1%eth0]:4434", "not a numeric IPv6");
  bad("", "no port");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid),
      cmocka_unit_test(test_invalid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
