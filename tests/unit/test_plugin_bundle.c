/* Plugin bundles: deterministic output, round trip, identity, and refusal
 * of every malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <zstd.h>

#include "common/alloc.h"
#include "plugin/bundle.h"
#include "pquic/errors.h"

static const char manifest[] = "plugin org.test.bundle\n"
                               "packet_sent post b.o f\n"
                               "packet_received post a.o g\n";
static const uint8_t obj_a[] = {1, 2, 3, 4, 5};
static const uint8_t obj_b[] = {9, 8, 7};

static void build(const pq_bundle_object *objs, size_t n, uint8_t **out, size_t *len) {
  char err[160] = "";
  int rc = pq_bundle_build(manifest, strlen(manifest), objs, n, out, len, err, sizeof err);
  if (rc)
    fail_msg("build: %d %s", rc, err);
}

static void deterministic_round_trip(void **state) {
  (void)state;
  pq_bundle_object ab[2] = {{"a.o", obj_a, sizeof obj_a}, {"b.o", obj_b, sizeof obj_b}};
  pq_bundle_object ba[2] = {ab[1], ab[0]};
  uint8_t *x, *y;
  size_t xl, yl;
  build(ab, 2, &x, &xl);
  build(ba, 2, &y, &yl);
  /* Same inputs in another order: byte-identical. */
  assert_int_equal(xl, yl);
  assert_memory_equal(x, y, xl);
  pq_bundle b;
  char err[160];
  assert_int_equal(pq_bundle_parse(x, xl, &b, err, sizeof err), 0);
  assert_int_equal(b.manifest_len, strlen(manifest));
  assert_memory_equal(b.manifest, manifest, b.manifest_len);
  assert_int_equal(b.n_objects, 2);
  assert_string_equal(b.objects[0].name, "a.o");
  assert_string_equal(b.objects[1].name, "b.o");
  const pq_bundle_object *o = pq_bundle_find(&b, "b.o");
  assert_non_null(o);
  assert_int_equal(o->len, sizeof obj_b);
  assert_memory_equal(o->data, obj_b, sizeof obj_b);
  assert_null(pq_bundle_find(&b, "c.o"));
  /* The identity is the SHA-256 of the file. */
  uint8_t h[32];
  assert_int_equal(pq_sha256(x, xl, h), 0);
  assert_memory_equal(h, b.hash, 32);
  pq_bundle_free(&b);
  /* Different content, different identity. */
  uint8_t changed[] = {1, 2, 3, 4, 6};
  pq_bundle_object ab2[2] = {{"a.o", changed, sizeof changed}, ab[1]};
  uint8_t *z;
  size_t zl;
  build(ab2, 2, &z, &zl);
  pq_bundle c;
  assert_int_equal(pq_bundle_parse(z, zl, &c, err, sizeof err), 0);
  assert_memory_not_equal(c.hash, h, 32);
  pq_bundle_free(&c);
  pq_free(x);
  pq_free(y);
  pq_free(z);
}

static void sha256_known_answer(void **state) {
  (void)state;
  static const uint8_t abc_hash[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                       0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                       0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                       0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
  uint8_t h[32];
  assert_int_equal(pq_sha256("abc", 3, h), 0);
  assert_memory_equal(h, abc_hash, 32);
}

static void build_errors(void **state) {
  (void)state;
  pq_bundle_object a = {"a.o", obj_a, sizeof obj_a}, b = {"b.o", obj_b, sizeof obj_b};
  pq_bundle_object c = {"c.o", obj_b, sizeof obj_b};
  uint8_t *out = NULL;
  size_t len = 0;
  char err[160];
  pq_bundle_object missing[1] = {a};
  assert_int_equal(
      pq_bundle_build(manifest, strlen(manifest), missing, 1, &out, &len, err, sizeof err),
      PQUIC_ERR_BUNDLE);
  assert_non_null(strstr(err, "object b.o named by the manifest is missing"));
  pq_bundle_object extra[3] = {a, b, c};
  assert_int_equal(
      pq_bundle_build(manifest, strlen(manifest), extra, 3, &out, &len, err, sizeof err),
      PQUIC_ERR_BUNDLE);
  assert_non_null(strstr(err, "object c.o is not used"));
  pq_bundle_object twice[3] = {a, b, a};
  assert_int_equal(
      pq_bundle_build(manifest, strlen(manifest), twice, 3, &out, &len, err, sizeof err),
      PQUIC_ERR_BUNDLE);
  assert_non_null(strstr(err, "given twice"));
  pq_bundle_object ok[2] = {a, b};
  const char bad[] = "plugin org.test.bundle\npacket_sent sideways b.o f\n";
  assert_int_equal(pq_bundle_build(bad, strlen(bad), ok, 2, &out, &len, err, sizeof err),
                   PQUIC_ERR_MANIFEST);
  assert_non_null(strstr(err, "manifest line 2: unknown anchor"));
  assert_null(out);
}

/* Compresses an arbitrary payload the way bundles are, for parse tests. */
static uint8_t *zstd_of(const void *p, size_t n, size_t *len) {
  size_t cap = ZSTD_compressBound(n);
  uint8_t *o = pq_malloc(cap);
  assert_non_null(o);
  *len = ZSTD_compress(o, cap, p, n, 3);
  assert_false(ZSTD_isError(*len));
  return o;
}

static void expect_parse_error(const void *payload, size_t n, const char *msg) {
  size_t len;
  uint8_t *z = zstd_of(payload, n, &len);
  pq_bundle b;
  char err[160] = "";
  int rc = pq_bundle_parse(z, len, &b, err, sizeof err);
  if (rc != PQUIC_ERR_BUNDLE || !strstr(err, msg))
    fail_msg("rc %d \"%s\", expected \"%s\"", rc, err, msg);
  assert_null(b.payload);
  pq_free(z);
}

/* A string literal and its length without the terminating NUL. */
#define LIT(s) s, sizeof(s) - 1

static void parse_errors(void **state) {
  (void)state;
  pq_bundle b;
  char err[160];
  assert_int_equal(pq_bundle_parse(NULL, 0, &b, err, sizeof err), PQUIC_ERR_BUNDLE);
  const uint8_t junk[] = "definitely not zstd";
  assert_int_equal(pq_bundle_parse(junk, sizeof junk, &b, err, sizeof err), PQUIC_ERR_BUNDLE);
  assert_non_null(strstr(err, "zstd frame"));
  /* Valid bundle with a byte appended, or truncated, or corrupted. */
  pq_bundle_object objs[2] = {{"a.o", obj_a, sizeof obj_a}, {"b.o", obj_b, sizeof obj_b}};
  uint8_t *x;
  size_t xl;
  build(objs, 2, &x, &xl);
  uint8_t *y = pq_malloc(xl + 1);
  memcpy(y, x, xl);
  y[xl] = 0;
  assert_int_equal(pq_bundle_parse(y, xl + 1, &b, err, sizeof err), PQUIC_ERR_BUNDLE);
  assert_int_equal(pq_bundle_parse(y, xl - 1, &b, err, sizeof err), PQUIC_ERR_BUNDLE);
  y[xl / 2] ^= 0x40;
  assert_int_equal(pq_bundle_parse(y, xl, &b, err, sizeof err), PQUIC_ERR_BUNDLE);
  pq_free(y);
  pq_free(x);

  expect_parse_error(LIT("XXXX\x01\x00\x00\x00\x00\x00"), "not a pquic plugin bundle");
  expect_parse_error(LIT("PQPB\x02\x00\x00\x00\x00\x00"), "format version 2");
  expect_parse_error(LIT("PQPB\x01\x11\x00\x00\x00\x00"), "more than 16 objects");
  expect_parse_error(LIT("PQPB\x01\x00\x00\x00\x00\x05"
                         "ab"),
                     "truncated manifest");
  expect_parse_error(LIT("PQPB\x01\x00\x00\x00\x00\x00"
                         "x"),
                     "trailing bytes");
  expect_parse_error(LIT("PQPB\x01\x01\x00\x00\x00\x00\x03"
                         "a.o\x00\x00\x00\x05"
                         "ab"),
                     "object 0: truncated");
  expect_parse_error(LIT("PQPB\x01\x01\x00\x00\x00\x00\x00"), "object 0: truncated");
  expect_parse_error(LIT("PQPB\x01\x02\x00\x00\x00\x00"
                         "\x03"
                         "b.o\x00\x00\x00\x01"
                         "x"
                         "\x03"
                         "a.o\x00\x00\x00\x01"
                         "y"),
                     "not in name order");
  expect_parse_error(LIT("PQPB\x01\x01\x00\x00\x00\x00\x03"
                         "a\x00o\x00\x00\x00\x01"
                         "y"),
                     "NUL in its name");
}

/* A zstd frame that claims a huge content size is refused before any
 * allocation of that size. */
static void bomb(void **state) {
  (void)state;
  size_t n = PQ_BUNDLE_MAX_PAYLOAD + 1;
  uint8_t *zeros = pq_calloc(1, n);
  assert_non_null(zeros);
  size_t len;
  uint8_t *z = zstd_of(zeros, n, &len);
  pq_free(zeros);
  pq_bundle b;
  char err[160];
  assert_int_equal(pq_bundle_parse(z, len, &b, err, sizeof err), PQUIC_ERR_BUNDLE);
  assert_non_null(strstr(err, "content size"));
  pq_free(z);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(deterministic_round_trip),
      cmocka_unit_test(sha256_known_answer),
      cmocka_unit_test(build_errors),
      cmocka_unit_test(parse_errors),
      cmocka_unit_test(bomb),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
