/* The field list (sdk/include/pquic_fields.def): ids unique and shaped
 * (object << 8 | index < 64), the SDK constants, the host's get/set
 * coverage, and docs/fields.md in sync with the generator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "plugin/plugin_int.h"
#include "pquic_plugin.h"

static const struct {
  const char *name;
  unsigned id;
} list[] = {
#define PQ_FIELD(obj, name, id, access, type, doc) {#obj "_" #name, id},
#include "pquic_fields.def"
#undef PQ_FIELD
};
#define N (sizeof list / sizeof list[0])

static void ids(void **state) {
  (void)state;
  assert_true(N > 60);
  for (size_t i = 0; i < N; i++) {
    assert_true(list[i].id >> 8 >= 1 && list[i].id >> 8 <= 7);
    assert_true((list[i].id & 0xff) < 64);
    assert_true(pq_pl_field_exists(list[i].id));
    for (size_t j = 0; j < i; j++) {
      if (list[i].id == list[j].id)
        fail_msg("%s and %s share id 0x%04x", list[i].name, list[j].name, list[i].id);
    }
  }
  assert_false(pq_pl_field_exists(0x0000));
  assert_false(pq_pl_field_exists(0x01ff));
  assert_false(pq_pl_field_exists(0x0800));
  /* Released ids never change: spot checks of the SDK constants. */
  assert_int_equal(PQF_CNX_IS_SERVER, 0x0100);
  assert_int_equal(PQF_PATH_CWND, 0x0208);
  assert_int_equal(PQF_SENT_SIZE, 0x0502);
  assert_int_equal(PQF_FRAME_COOKIE, 0x0706);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = calloc(1, 1 << 20);
  assert_non_null(buf);
  size_t n = fread(buf, 1, (1 << 20) - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

static void doc_in_sync(void **state) {
  (void)state;
  size_t need = pquic_plugin_fields_markdown(NULL, 0);
  char *md = malloc(need + 1);
  assert_non_null(md);
  assert_int_equal(pquic_plugin_fields_markdown(md, need + 1), need);
  assert_int_equal(strlen(md), need);
  for (size_t i = 0; i < N; i++) {
    char c[80];
    snprintf(c, sizeof c, "`PQF_%s`", list[i].name);
    assert_non_null(strstr(md, c));
  }
  /* Truncation is safe and NUL-terminated. */
  char small[32];
  assert_int_equal(pquic_plugin_fields_markdown(small, sizeof small), need);
  assert_int_equal(strlen(small), sizeof small - 1);

  const char *src = getenv("PQUIC_SOURCE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/docs/fields.md", src ? src : "../..");
  char *doc = slurp(path);
  if (!doc || strcmp(doc, md) != 0) {
    FILE *f = fopen("fields.md.expected", "wb");
    if (f) {
      fwrite(md, 1, need, f);
      fclose(f);
    }
    fail_msg("%s is out of date: regenerate it with `pquic plugin fields > docs/fields.md` "
             "(expected text written to fields.md.expected)",
             path);
  }
  free(doc);
  free(md);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(ids), cmocka_unit_test(doc_in_sync)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
