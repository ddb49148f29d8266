/* hq-interop (HTTP/0.9) requests: complete, split, ended by FIN, malformed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hq.h"

static int feed_str(hq_req *r, const char *s, int fin) {
  return hq_req_feed(r, (const uint8_t *)s, strlen(s), fin);
}

static void test_complete(void **state) {
  (void)state;
  hq_req r;
  hq_req_init(&r);
  assert_null(hq_req_target(&r));
  assert_int_equal(feed_str(&r, "GET /index.html\r\n", 0), 1);
  assert_string_equal(hq_req_target(&r), "/index.html");
  /* Further bytes change nothing. */
  assert_int_equal(feed_str(&r, "junk", 1), 1);
  assert_string_equal(hq_req_target(&r), "/index.html");

  hq_req_init(&r);
  assert_int_equal(feed_str(&r, "GET /a\n", 0), 1);
  assert_string_equal(hq_req_target(&r), "/a");
  hq_req_init(&r);
  assert_int_equal(feed_str(&r, "GET /no-newline", 1), 1); /* FIN ends it */
  assert_string_equal(hq_req_target(&r), "/no-newline");
  hq_req_init(&r);
  assert_int_equal(feed_str(&r, "GET /x HTTP/1.0\r\n", 0), 1);
  assert_string_equal(hq_req_target(&r), "/x");
  hq_req_init(&r);
  assert_int_equal(feed_str(&r, "GET   /spaces\r\n", 0), 1);
  assert_string_equal(hq_req_target(&r), "/spaces");
  hq_req_init(&r);
  assert_int_equal(feed_str(&r, "GET /cr\r", 1), 1);
  assert_string_equal(hq_req_target(&r), "/cr");
}

static void test_split(void **state) {
  (void)state;
  const char *req = "GET /some/long/path.bin\r\n";
  for (size_t cut = 0; cut <= strlen(req); cut++) {
    hq_req r;
    hq_req_init(&r);
    int a = hq_req_feed(&r, (const uint8_t *)req, cut, 0);
    int b = hq_req_feed(&r, (const uint8_t *)req + cut, strlen(req) - cut, 0);
    assert_int_equal(a == 1 ? a : b, 1);
    assert_string_equal(hq_req_target(&r), "/some/long/path.bin");
  }
  /* One byte at a time. */
  hq_req r;
  hq_req_init(&r);
  int rc = 0;
  for (size_t i = 0; i < strlen(req); i++)
    rc = hq_req_feed(&r, (const uint8_t *)req + i, 1, 0);
  assert_int_equal(rc, 1);
}

static void test_malformed(void **state) {
  (void)state;
  const char *bad[] = {"POST /x\r\n", "get /x\r\n", "GET\r\n",        "GET \r\n",
                       "GET x\r\n",   "GE",         "GET /a\x01\r\n", "\r\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    hq_req r;
    hq_req_init(&r);
    if (feed_str(&r, bad[i], 1) != -1)
      fail_msg("accepted: '%s'", bad[i]);
    assert_null(hq_req_target(&r));
  }
  hq_req r;
  hq_req_init(&r);
  assert_int_equal(hq_req_feed(&r, NULL, 0, 1), -1); /* empty stream */
  /* Too long. */
  static uint8_t big[HQ_MAX_REQUEST + 10];
  memset(big, 'a', sizeof big);
  big[0] = 'G', big[1] = 'E', big[2] = 'T', big[3] = ' ', big[4] = '/';
  hq_req_init(&r);
  assert_int_equal(hq_req_feed(&r, big, sizeof big, 0), -1);
  /* Incomplete without FIN asks for more. */
  hq_req_init(&r);
  assert_int_equal(feed_str(&r, "GET /partial", 0), 0);
}

static void test_format(void **state) {
  (void)state;
  char buf[32];
  assert_int_equal(hq_request_format(buf, sizeof buf, "/a"), 8);
  assert_string_equal(buf, "GET /a\r\n");
  assert_int_equal(hq_request_format(buf, 8, "/a"), 0); /* no room for the NUL */
  /* What the client sends, the server parses. */
  hq_req r;
  hq_req_init(&r);
  assert_int_equal(hq_request_format(buf, sizeof buf, "/1000?x"), 13);
  assert_int_equal(feed_str(&r, buf, 1), 1);
  assert_string_equal(hq_req_target(&r), "/1000?x");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_complete),
      cmocka_unit_test(test_split),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
