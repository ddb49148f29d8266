/* pquic client URLs: schemes, hosts, IPv6 literals, ports, paths, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "url.h"

static void ok(const char *s, const char *host, unsigned port, const char *auth, const char *path) {
  url u;
  char err[256] = "";
  assert_int_equal(url_parse(s, &u, err, sizeof err), 0);
  assert_string_equal(u.host, host);
  assert_int_equal(u.port, port);
  assert_string_equal(u.authority, auth);
  assert_string_equal(u.path, path);
}

static void bad(const char *s, const char *msg_part) {
  url u;
  char err[256] = "";
  assert_int_equal(url_parse(s, &u, err, sizeof err), -1);
  if (!strstr(err, msg_part))
    fail_msg("'%s': message '%s' lacks '%s'", s, err, msg_part);
  assert_null(strchr(err, '\n'));
}

static void test_valid(void **state) {
  (void)state;
  ok("https://example.com/", "example.com", 443, "example.com", "/");
  ok("https://example.com", "example.com", 443, "example.com", "/");
  ok("HTTPS://example.com:4433/a/b.txt", "example.com", 4433, "example.com:4433", "/a/b.txt");
  ok("example.com:8443/x", "example.com", 8443, "example.com:8443", "/x");
  ok("https://127.0.0.1:4433/1000000", "127.0.0.1", 4433, "127.0.0.1:4433", "/1000000");
  ok("https://[::1]:4433/f", "::1", 4433, "[::1]:4433", "/f");
  ok("https://[2001:db8::1]/", "2001:db8::1", 443, "[2001:db8::1]", "/");
  ok("https://h/p?q=1#frag", "h", 443, "h", "/p?q=1");
  ok("https://h?q", "h", 443, "h", "/?q");
  ok("https://h:443/", "h", 443, "h", "/");
  ok("https://h/%41", "h", 443, "h", "/%41");
  url u;
  char err[64];
  assert_int_equal(url_parse("https://[::1]/", &u, err, sizeof err), 0);
  assert_int_equal(u.ipv6, 1);
}

static void test_invalid(void **state) {
  (void)state;
  bad("http://example.com/", "unsupported scheme 'http'");
  bad("ftp://example.com/", "unsupported scheme 'ftp'");
  bad("https:///path", "no host");
  bad("https://:443/", "no host");
  bad("", "no host");
  bad("https://user@host/", "user names");
  bad("https://host:0/", "bad port");
  bad("https://host:65536/", "bad port");
  bad("https://host:12a/", "bad port");
  bad("https://host:/", "bad port");
  bad("https://host:123456/", "bad port");
  bad("https://[::1/", "unterminated IPv6");
  bad("https://[::1]x/", "bad host");
  bad("https://ho st/", "bad character in host");
  bad("https://host/a b", "space or control character");
  bad("https://host/a\tb", "space or control character");
  char long_host[400];
  memset(long_host, 'a', sizeof long_host - 1);
  long_host[sizeof long_host - 1] = '\0';
  bad(long_host, "host name too long");
  static char long_path[URL_MAX_PATH + 100];
  strcpy(long_path, "https://h/");
  memset(long_path + 10, 'p', sizeof long_path - 11);
  long_path[sizeof long_path - 1] = '\0';
  bad(long_path, "path too long");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid),
      cmocka_unit_test(test_invalid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
