/* The collector's HTTP routing (apps/pquic-monitor/http.c): GET and HEAD
 * of /metrics, 404 elsewhere, 405 for other methods, 400 for malformed
 * request lines, 431 for a head that does not end within the limit, and
 * nothing decided before the head is complete. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "http.h"

static int route(const char *req, int *head_only) {
  return pqm_http_route(req, strlen(req), PQM_HTTP_MAX_REQUEST, head_only);
}

static void routes(void **state) {
  (void)state;
  int head = -1;
  assert_int_equal(route("GET /metrics HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n", &head), 200);
  assert_int_equal(head, 0);
  assert_int_equal(route("GET /metrics?name[]=x HTTP/1.1\r\n\r\n", &head), 200);
  assert_int_equal(route("HEAD /metrics HTTP/1.0\r\n\r\n", &head), 200);
  assert_int_equal(head, 1);
  assert_int_equal(route("GET /metrics HTTP/1.1\n\n", &head), 200); /* bare LF */
  assert_int_equal(route("GET / HTTP/1.1\r\n\r\n", &head), 404);
  assert_int_equal(route("GET /metric HTTP/1.1\r\n\r\n", &head), 404);
  assert_int_equal(route("GET /metricsx HTTP/1.1\r\n\r\n", &head), 404);
  assert_int_equal(route("GET /metrics/ HTTP/1.1\r\n\r\n", &head), 404);
  assert_int_equal(route("GET http://a/metrics HTTP/1.1\r\n\r\n", &head), 404);
  assert_int_equal(route("POST /metrics HTTP/1.1\r\n\r\n", &head), 405);
  assert_int_equal(route("get /metrics HTTP/1.1\r\n\r\n", &head), 405);
  assert_int_equal(route("DELETE / HTTP/1.1\r\n\r\n", &head), 405);
}

static void malformed(void **state) {
  (void)state;
  static const char *const bad[] = {
      "\r\n\r\n",
      "GET\r\n\r\n",
      "GET /metrics\r\n\r\n",
      "GET  /metrics HTTP/1.1\r\n\r\n",
      "GET /metrics  HTTP/1.1\r\n\r\n",
      "GET /metrics HTTP/2.0\r\n\r\n",
      "GET /metrics HTTP/1.1 \r\n\r\n",
      "GET /metrics HTTP/1.12\r\n\r\n",
      "GET /met\x01rics HTTP/1.1\r\n\r\n",
      " GET /metrics HTTP/1.1\r\n\r\n",
      "GET /metrics http/1.1\r\n\r\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int head;
    if (route(bad[i], &head) != 400)
      fail_msg("accepted: %s", bad[i]);
  }
  assert_int_equal(pqm_http_route(NULL, 0, 10, NULL), 400);
}

static void incomplete(void **state) {
  (void)state;
  const char *req = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n";
  size_t n = strlen(req);
  char exact[64];
  for (size_t len = 0; len < n; len++) {
    memcpy(exact, req, len); /* nothing after len: reads stay inside */
    assert_int_equal(pqm_http_route(exact, len, PQM_HTTP_MAX_REQUEST, NULL), 0);
  }
  assert_int_equal(pqm_http_route(req, n, PQM_HTTP_MAX_REQUEST, NULL), 200);
  /* The limit: a head that has not ended within max bytes. */
  char big[PQM_HTTP_MAX_REQUEST];
  memset(big, 'a', sizeof big);
  static const char start[] = "GET /metrics HTTP/1.1\r\nX: ";
  memcpy(big, start, sizeof start - 1);
  assert_int_equal(pqm_http_route(big, sizeof big - 1, sizeof big, NULL), 0);
  assert_int_equal(pqm_http_route(big, sizeof big, sizeof big, NULL), 431);
  /* The end of the head past the limit does not count. */
  big[sizeof big - 2] = '\n';
  big[sizeof big - 1] = '\n';
  assert_int_equal(pqm_http_route(big, sizeof big, sizeof big, NULL), 200);
  assert_int_equal(pqm_http_route(big, sizeof big, sizeof big - 1, NULL), 431);
}

static void heads(void **state) {
  (void)state;
  char buf[256];
  size_t n = pqm_http_head(200, 1234, buf, sizeof buf);
  assert_int_equal(n, strlen(buf));
  assert_true(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
  assert_non_null(strstr(buf, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  assert_non_null(strstr(buf, "Content-Length: 1234\r\n"));
  assert_non_null(strstr(buf, "Connection: close\r\n\r\n"));
  pqm_http_head(405, 0, buf, sizeof buf);
  assert_true(strncmp(buf, "HTTP/1.1 405 Method Not Allowed\r\n", 33) == 0);
  assert_non_null(strstr(buf, "Allow: GET, HEAD\r\n"));
  pqm_http_head(404, 14, buf, sizeof buf);
  assert_true(strncmp(buf, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
  assert_null(strstr(buf, "version=0.0.4"));
  assert_string_equal(pqm_http_reason(431), "Request Header Fields Too Large");
  assert_string_equal(pqm_http_reason(400), "Bad Request");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(routes),
      cmocka_unit_test(malformed),
      cmocka_unit_test(incomplete),
      cmocka_unit_test(heads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
