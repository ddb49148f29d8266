/* Request target sanitising and file serving under a root: no ".." escape,
 * no symlink escape, FIFOs and directories, generated /<N> bodies, the
 * client's output file names. */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "paths.h"

static void clean_ok(const char *in, const char *want) {
  char out[256];
  assert_int_equal(path_clean(in, out, sizeof out), 0);
  assert_string_equal(out, want);
}

static void clean_bad(const char *in) {
  char out[256];
  if (path_clean(in, out, sizeof out) != -1)
    fail_msg("'%s' accepted as '%s'", in, out);
}

static void test_clean(void **state) {
  (void)state;
  clean_ok("/", "");
  clean_ok("/a/b.txt", "a/b.txt");
  clean_ok("//a///b/", "a/b");
  clean_ok("/./a/./b", "a/b");
  clean_ok("/a?x=../../etc", "a");
  clean_ok("/a#../../x", "a");
  clean_ok("/%61%2Fb", "a/b");
  clean_ok("/...", "...");
  clean_ok("/a..b", "a..b");
  clean_ok("/..a", "..a");
  clean_bad("");
  clean_bad("a/b");
  clean_bad("/..");
  clean_bad("/../etc/passwd");
  clean_bad("/a/../../etc");
  clean_bad("/a/..");
  clean_bad("/%2e%2e/x");
  clean_bad("/%2E%2e");
  clean_bad("/a%2f..%2fb/..");
  clean_bad("/a%00b");
  clean_bad("/a%0ab");
  clean_bad("/a%zz");
  clean_bad("/a%4");
  clean_bad("/a%");
  clean_bad("/a\x01");
  char out[4];
  assert_int_equal(path_clean("/abcdef", out, sizeof out), -1); /* does not fit */
}

static void test_generated_size(void **state) {
  (void)state;
  uint64_t n = 0;
  assert_int_equal(path_generated_size("1000", &n), 1);
  assert_int_equal(n, 1000);
  assert_int_equal(path_generated_size("0", &n), 1);
  assert_int_equal(n, 0);
  assert_int_equal(path_generated_size("4611686018427387904", &n), 1); /* 2^62 */
  assert_int_equal(path_generated_size("99999999999999999999", &n), 0);
  assert_int_equal(path_generated_size("", &n), 0);
  assert_int_equal(path_generated_size("12a", &n), 0);
  assert_int_equal(path_generated_size("a/12", &n), 0);
}

/* A temporary tree:
 *   root/a.txt, root/dir/index.html, root/sub/b.txt, root/fifo,
 *   root/out -> ../secret (escapes), root/in -> a.txt (stays inside),
 *   root/locked (mode 000), root/123 (a file named like a generated size),
 *   secret */
typedef struct tree {
  char base[64], root[PATH_MAX];
} tree;

static void write_file(const char *dir, const char *name, const char *text) {
  char p[PATH_MAX + 64];
  assert_true((size_t)snprintf(p, sizeof p, "%s/%s", dir, name) < sizeof p);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static int setup_tree(void **state) {
  tree *t = calloc(1, sizeof *t);
  strcpy(t->base, "/tmp/pquic-paths-XXXXXX");
  assert_non_null(mkdtemp(t->base));
  char p[PATH_MAX + 64];
  snprintf(p, sizeof p, "%s/root", t->base);
  assert_int_equal(mkdir(p, 0755), 0);
  assert_non_null(realpath(p, t->root));
  write_file(t->base, "secret", "top secret\n");
  write_file(t->root, "a.txt", "hello\n");
  write_file(t->root, "123", "file wins\n");
  snprintf(p, sizeof p, "%s/dir", t->root);
  assert_int_equal(mkdir(p, 0755), 0);
  write_file(p, "index.html", "<p>index</p>\n");
  snprintf(p, sizeof p, "%s/empty", t->root);
  assert_int_equal(mkdir(p, 0755), 0);
  snprintf(p, sizeof p, "%s/fifo", t->root);
  assert_int_equal(mkfifo(p, 0644), 0);
  snprintf(p, sizeof p, "%s/out", t->root);
  assert_int_equal(symlink("../secret", p), 0);
  snprintf(p, sizeof p, "%s/in", t->root);
  assert_int_equal(symlink("a.txt", p), 0);
  snprintf(p, sizeof p, "%s/outdir", t->root);
  assert_int_equal(symlink("..", p), 0);
  *state = t;
  return 0;
}

static int teardown_tree(void **state) {
  tree *t = *state;
  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->base);
  assert_int_equal(system(cmd), 0);
  free(t);
  return 0;
}

static int serve(const char *root, const char *target, char *content, size_t cap, body *b) {
  int st = serve_resolve(root, target, b);
  uint8_t buf[4096];
  size_t got = 0;
  long n;
  while ((n = body_read(b, buf, sizeof buf)) > 0) {
    size_t k = (size_t)n < cap - 1 - got ? (size_t)n : cap - 1 - got;
    memcpy(content + got, buf, k);
    got += k;
  }
  content[got] = '\0';
  return st;
}

static void test_serve_files(void **state) {
  tree *t = *state;
  char c[256];
  body b;
  assert_int_equal(serve(t->root, "/a.txt", c, sizeof c, &b), 200);
  assert_string_equal(c, "hello\n");
  assert_int_equal(b.kind, BODY_FILE);
  body_close(&b);
  assert_int_equal(serve(t->root, "/dir/", c, sizeof c, &b), 200);
  assert_string_equal(c, "<p>index</p>\n");
  body_close(&b);
  assert_int_equal(serve(t->root, "/in", c, sizeof c, &b), 200); /* symlink inside */
  assert_string_equal(c, "hello\n");
  body_close(&b);
  assert_int_equal(serve(t->root, "/123", c, sizeof c, &b), 200); /* files win over /<N> */
  assert_string_equal(c, "file wins\n");
  body_close(&b);
  assert_int_equal(serve(t->root, "/50", c, sizeof c, &b), 200);
  assert_int_equal(b.kind, BODY_GEN);
  assert_int_equal(strlen(c), 50);
  body_close(&b);
}

static void test_serve_refusals(void **state) {
  tree *t = *state;
  char c[256];
  body b;
  assert_int_equal(serve(t->root, "/out", c, sizeof c, &b), 404); /* symlink escape */
  assert_null(strstr(c, "secret"));
  body_close(&b);
  assert_int_equal(serve(t->root, "/outdir/secret", c, sizeof c, &b), 404);
  body_close(&b);
  assert_int_equal(serve(t->root, "/../secret", c, sizeof c, &b), 400);
  assert_string_equal(c, "400 bad request\n");
  body_close(&b);
  assert_int_equal(serve(t->root, "/%2e%2e/secret", c, sizeof c, &b), 400);
  body_close(&b);
  assert_int_equal(serve(t->root, "/fifo", c, sizeof c, &b), 404); /* and no hang */
  body_close(&b);
  assert_int_equal(serve(t->root, "/empty", c, sizeof c, &b), 404); /* no index.html */
  body_close(&b);
  assert_int_equal(serve(t->root, "/nope", c, sizeof c, &b), 404);
  assert_string_equal(c, "404 not found\n");
  body_close(&b);
  if (geteuid() != 0) { /* root reads mode-000 files anyway */
    char p[PATH_MAX + 64];
    write_file(t->root, "locked", "x");
    snprintf(p, sizeof p, "%s/locked", t->root);
    assert_int_equal(chmod(p, 0), 0);
    assert_int_equal(serve(t->root, "/locked", c, sizeof c, &b), 403);
    body_close(&b);
  }
}

static void test_serve_without_root(void **state) {
  (void)state;
  char c[256];
  body b;
  assert_int_equal(serve(NULL, "/", c, sizeof c, &b), 200);
  assert_non_null(strstr(c, "GET /<N>"));
  body_close(&b);
  assert_int_equal(serve(NULL, "/a.txt", c, sizeof c, &b), 404);
  body_close(&b);
  assert_int_equal(serve(NULL, "/0", c, sizeof c, &b), 200);
  assert_string_equal(c, "");
  body_close(&b);
  assert_int_equal(serve(NULL, "/1?x", c, sizeof c, &b), 200);
  assert_int_equal(strlen(c), 1);
  body_close(&b);
}

static void test_output_name(void **state) {
  (void)state;
  char n[64];
  output_name("/a/b/file.bin", n, sizeof n);
  assert_string_equal(n, "file.bin");
  output_name("/", n, sizeof n);
  assert_string_equal(n, "index.html");
  output_name("/dir/", n, sizeof n);
  assert_string_equal(n, "index.html");
  output_name("/1000?x=1", n, sizeof n);
  assert_string_equal(n, "1000");
  output_name("/a/..", n, sizeof n);
  assert_string_equal(n, "index.html");
  output_name("/a/.", n, sizeof n);
  assert_string_equal(n, "index.html");
  char small[4];
  output_name("/abcdef", small, sizeof small);
  assert_string_equal(small, "ind"); /* truncated fallback, never a path */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clean),
      cmocka_unit_test(test_generated_size),
      cmocka_unit_test_setup_teardown(test_serve_files, setup_tree, teardown_tree),
      cmocka_unit_test_setup_teardown(test_serve_refusals, setup_tree, teardown_tree),
      cmocka_unit_test(test_serve_without_root),
      cmocka_unit_test(test_output_name),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
