/* The client's summary line (exact format) and progress bar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "report.h"

static void test_summary_exact(void **state) {
  (void)state;
  char buf[512];
  summary s = {.bytes = 104857600,
               .seconds = 1.234,
               .rtt_min_us = 50,
               .rtt_us = 80,
               .lost = 0,
               .version = 1,
               .cipher = "TLS_AES_128_GCM_SHA256"};
  size_t n = summary_format(buf, sizeof buf, &s);
  assert_string_equal(buf, "bytes=104857600 seconds=1.234 goodput_mbps=679.8 rtt_min_ms=0.05 "
                           "rtt_ms=0.08 lost=0 version=v1 cipher=TLS_AES_128_GCM_SHA256 "
                           "resumed=no 0rtt=none key_updates=0 migrations=0 retry=no");
  assert_int_equal(n, strlen(buf));
  summary z = {.bytes = 10,
               .seconds = 0,
               .lost = 7,
               .version = 0x6b3343cf,
               .cipher = NULL,
               .resumed = 1,
               .early_data = 1,
               .key_updates = 3,
               .migrations = 1,
               .retry = 1};
  summary_format(buf, sizeof buf, &z);
  assert_string_equal(buf, "bytes=10 seconds=0.000 goodput_mbps=0.0 rtt_min_ms=0.00 "
                           "rtt_ms=0.00 lost=7 version=v2 cipher=- resumed=yes 0rtt=accepted "
                           "key_updates=3 migrations=1 retry=yes");
  summary o = {.bytes = 1,
               .seconds = 2,
               .rtt_min_us = 12345,
               .rtt_us = 23456,
               .version = 0xff00001d,
               .cipher = "",
               .early_data = 2};
  summary_format(buf, sizeof buf, &o);
  assert_string_equal(buf, "bytes=1 seconds=2.000 goodput_mbps=0.0 rtt_min_ms=12.35 "
                           "rtt_ms=23.46 lost=0 version=0xff00001d cipher=- resumed=no "
                           "0rtt=rejected key_updates=0 migrations=0 retry=no");
  /* An offer never answered (the handshake failed) says so. */
  o.early_data = 3;
  summary_format(buf, sizeof buf, &o);
  assert_non_null(strstr(buf, " 0rtt=unanswered "));
  /* An out-of-range early-data state reads as none. */
  o.early_data = 9;
  summary_format(buf, sizeof buf, &o);
  assert_non_null(strstr(buf, " 0rtt=none "));
  /* Truncation keeps a terminated string and reports what was written. */
  char small[16];
  assert_int_equal(summary_format(small, sizeof small, &s), 15);
  assert_string_equal(small, "bytes=104857600");
}

static void test_version_name(void **state) {
  (void)state;
  char b[16];
  assert_string_equal(version_name(1, b, sizeof b), "v1");
  assert_string_equal(version_name(0x6b3343cf, b, sizeof b), "v2");
  assert_string_equal(version_name(0, b, sizeof b), "0x00000000");
}

static void test_progress(void **state) {
  (void)state;
  char buf[200];
  size_t n = progress_format(buf, 80, 500000, 1000000, 1.0, 1, 4);
  assert_int_equal(n, strlen(buf));
  assert_true(n < 80);
  assert_int_equal(buf[0], '[');
  assert_non_null(strstr(buf, " 50%"));
  assert_non_null(strstr(buf, "500.0 kB"));
  assert_non_null(strstr(buf, "4.0 Mbit/s"));
  assert_non_null(strstr(buf, "1/4"));
  /* Unknown total: no bar. */
  n = progress_format(buf, 80, 1234567, 0, 2.0, 0, 1);
  assert_int_equal(n, strlen(buf));
  assert_null(strchr(buf, '['));
  assert_non_null(strstr(buf, "1.2 MB"));
  /* More than the total never shows more than 100%. */
  progress_format(buf, 80, 2000, 1000, 1.0, 1, 1);
  assert_non_null(strstr(buf, "100%"));
  /* Narrow terminals: never wider than asked, bar dropped first. */
  for (size_t w = 1; w < 90; w++) {
    n = progress_format(buf, w, 123456789, 987654321, 3.5, 10, 20);
    assert_true(n < w);
    assert_int_equal(strlen(buf), n);
  }
  assert_int_equal(progress_format(buf, 0, 1, 1, 1, 0, 1), 0);
  /* Zero time: rate 0, no division by zero. */
  progress_format(buf, 80, 100, 1000, 0.0, 0, 1);
  assert_non_null(strstr(buf, "0 bit/s"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_summary_exact),
      cmocka_unit_test(test_version_name),
      cmocka_unit_test(test_progress),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
