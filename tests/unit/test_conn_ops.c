/* The connection core's operations are reachable only through the
 * operation table:
 *  - the shared default table has the built-in implementation of every
 *    DEFAULT operation of src/ops/core_ops.def and nothing for EVENT ones;
 *  - no implementation (opimpl_*) nor adapter (opadapt_*) is a global
 *    symbol, so no other file can call one (checked at link time through
 *    weak references; with -DPQUIC_DIRECT_OPS=ON the implementations are
 *    global by design, the adapters still not);
 *  - in the sources, implementations are only defined (PQ_OPIMPL ...), never
 *    named elsewhere: no direct call, no address taken; each DEFAULT
 *    operation is defined once and listed once in a PQ_OP_DEFAULTS table.
 * The size of the list (>= 72, >= 6 parameterized) is checked by
 * test_ops_dispatch.c. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conn/endpoint.h"
#include "ops/ops.h"

#define IS_EVENT_DEFAULT 0
#define IS_EVENT_EVENT 1

static const struct {
  const char *name;
  int event;
} core[PQ_OP_CORE_COUNT] = {
#define PQ_OP(name, kind, dflt, cat, args, outs, outdoc, contract) {#name, IS_EVENT_##dflt},
#include "ops/core_ops.def"
#undef PQ_OP
};

static void test_default_table(void **state) {
  (void)state;
  const pq_op_table *t = pq_ops_defaults();
  assert_non_null(t);
  assert_true(t->plain);
  assert_int_equal(t->n_entries, PQ_OP_CORE_COUNT);
  assert_int_equal(t->n_pentries, 0);
  for (uint32_t id = 0; id < PQ_OP_CORE_COUNT; id++) {
    const pq_op_entry *e = &t->entries[id];
    if (core[id].event) {
      if (e->fn)
        fail_msg("EVENT operation %s has a built-in implementation", core[id].name);
    } else if (!e->fn) {
      fail_msg("DEFAULT operation %s has no entry in the default table", core[id].name);
    }
    assert_null(e->pre);
    assert_null(e->post);
    assert_null(e->user);
    assert_int_equal(e->replace_owner, 0);
    assert_false(e->external);
    /* each operation has its own adapter */
    for (uint32_t j = 0; e->fn && j < id; j++) {
      if (t->entries[j].fn == e->fn)
        fail_msg("operations %s and %s share one implementation", core[j].name, core[id].name);
    }
  }
  /* Built once per process. */
  assert_ptr_equal(pq_ops_defaults(), t);
}

/* Weak references to every name an implementation or adapter could have:
 * a global definition anywhere in the link resolves them, a static one
 * cannot. The objects that define them are in the link: the default
 * table checked above points at their adapters. */
#define PQ_OP(name, kind, dflt, cat, args, outs, outdoc, contract)                                 \
  extern void opimpl_##name(void) __attribute__((weak));                                           \
  extern void opadapt_##name(void) __attribute__((weak));
#include "ops/core_ops.def"
#undef PQ_OP

static void (*const impl_syms[PQ_OP_CORE_COUNT])(void) = {
#define PQ_OP(name, kind, dflt, cat, args, outs, outdoc, contract) opimpl_##name,
#include "ops/core_ops.def"
#undef PQ_OP
};

static void (*const adapt_syms[PQ_OP_CORE_COUNT])(void) = {
#define PQ_OP(name, kind, dflt, cat, args, outs, outdoc, contract) opadapt_##name,
#include "ops/core_ops.def"
#undef PQ_OP
};

static void test_symbols_local(void **state) {
  (void)state;
  assert_non_null(pq_ops_defaults());
  for (uint32_t id = 0; id < PQ_OP_CORE_COUNT; id++) {
    if (adapt_syms[id])
      fail_msg("opadapt_%s is a global symbol", core[id].name);
#ifdef PQUIC_DIRECT_OPS
    /* Direct calls need the implementations global: check the build
     * option does what it says. */
    if (!core[id].event && !impl_syms[id])
      fail_msg("PQUIC_DIRECT_OPS: opimpl_%s is not global", core[id].name);
#else
    if (impl_syms[id])
      fail_msg("opimpl_%s is a global symbol: callable without the table", core[id].name);
#endif
  }
}

/* --- source scan --- */

typedef struct counts {
  int defined[PQ_OP_CORE_COUNT]; /* PQ_OPIMPL uint64_t opimpl_<name>( */
  int listed[PQ_OP_CORE_COUNT];  /* PQ_OP_DEFAULT(<name>) */
  int files;
} counts;

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char *nb = realloc(buf, 2 * cap + 1);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf) {
    buf[n] = '\0';
    *len = n;
  }
  return buf;
}

/* Blanks comments and the insides of string and character literals, keeping
 * newlines, so only code is scanned. */
static void strip(char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
      size_t j = i;
      while (j < n && !(s[j] == '*' && j + 1 < n && s[j + 1] == '/'))
        j++;
      size_t end = j + 2 < n ? j + 2 : n;
      for (size_t k = i; k < end; k++)
        s[k] = s[k] == '\n' ? '\n' : ' ';
      i = end - 1;
    } else if (s[i] == '/' && i + 1 < n && s[i + 1] == '/') {
      while (i < n && s[i] != '\n')
        s[i++] = ' ';
    } else if (s[i] == '"' || s[i] == '\'') {
      char q = s[i];
      for (i++; i < n && s[i] != q; i++) {
        if (s[i] == '\\' && i + 1 < n)
          s[i++] = ' ';
        if (s[i] != '\n')
          s[i] = ' ';
      }
    }
  }
}

static int ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int line_of(const char *s, const char *p) {
  int line = 1;
  for (; s < p; s++)
    line += *s == '\n';
  return line;
}

static int op_index(const char *name, size_t len) {
  for (int i = 0; i < PQ_OP_CORE_COUNT; i++) {
    if (strlen(core[i].name) == len && strncmp(core[i].name, name, len) == 0)
      return i;
  }
  return -1;
}

/* True if the identifier at p is preceded by `PQ_OPIMPL uint64_t`. */
static int is_definition(const char *s, const char *p) {
  const char *words[] = {"uint64_t", "PQ_OPIMPL"};
  for (size_t w = 0; w < 2; w++) {
    while (p > s && (p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\t'))
      p--;
    size_t n = strlen(words[w]);
    if ((size_t)(p - s) < n || strncmp(p - n, words[w], n) != 0)
      return 0;
    p -= n;
    if (p > s && ident_char(p[-1]))
      return 0;
  }
  return 1;
}

static void scan_file(counts *c, const char *path, const char *base, int is_header) {
  size_t n = 0;
  char *s = read_file(path, &n);
  if (!s) {
    fail_msg("cannot read %s", path);
    return;
  }
  strip(s, n);
  c->files++;
  int opcalls = strcmp(base, "opcalls.h") == 0;
  const char *prefixes[] = {"opimpl_", "opadapt_"};
  for (size_t k = 0; k < 2; k++) {
    size_t plen = strlen(prefixes[k]);
    for (const char *p = strstr(s, prefixes[k]); p; p = strstr(p + 1, prefixes[k])) {
      if (p > s && ident_char(p[-1]))
        continue;
      const char *name = p + plen;
      size_t len = 0;
      while (ident_char(name[len]))
        len++;
      if (opcalls)
        continue; /* the generator: adapters and direct-call wrappers */
      int id = op_index(name, len);
      if (k == 0 && !is_header && id >= 0 && is_definition(s, p) && name[len] == '(') {
        c->defined[id]++;
        continue;
      }
      fail_msg("%s:%d: %.*s named outside its definition (reachable other than through the "
               "operation table)",
               path, line_of(s, p), (int)(plen + len), p);
    }
  }
  const char *tag = "PQ_OP_DEFAULT(";
  for (const char *p = strstr(s, tag); p; p = strstr(p + 1, tag)) {
    if (p > s && ident_char(p[-1]))
      continue;
    const char *name = p + strlen(tag);
    size_t len = 0;
    while (ident_char(name[len]))
      len++;
    int id = op_index(name, len);
    if (id < 0 && !(is_header && len == 4 && strncmp(name, "name", 4) == 0))
      fail_msg("%s:%d: PQ_OP_DEFAULT of unknown operation %.*s", path, line_of(s, p), (int)len,
               name);
    if (id >= 0)
      c->listed[id]++;
  }
  free(s);
}

static void scan_dir(counts *c, const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (len < 3 || e->d_name[0] == '.')
      continue;
    int is_c = strcmp(e->d_name + len - 2, ".c") == 0;
    int is_h = strcmp(e->d_name + len - 2, ".h") == 0;
    if (!is_c && !is_h)
      continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    scan_file(c, path, e->d_name, is_h);
  }
  closedir(d);
}

static void test_sources(void **state) {
  (void)state;
  const char *root = getenv("PQUIC_SOURCE_DIR");
  if (!root)
    root = ".";
  char src[4096];
  snprintf(src, sizeof src, "%s/src", root);
  DIR *d = opendir(src);
  if (!d) {
    fail_msg("cannot open %s (set PQUIC_SOURCE_DIR)", src);
    return;
  }
  static counts c;
  memset(&c, 0, sizeof c);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char sub[4096 + 256];
    snprintf(sub, sizeof sub, "%s/%s", src, e->d_name);
    scan_dir(&c, sub);
  }
  closedir(d);
  assert_true(c.files > 20);
  for (int id = 0; id < PQ_OP_CORE_COUNT; id++) {
    int want = core[id].event ? 0 : 1;
    if (c.defined[id] != want)
      fail_msg("operation %s: %d PQ_OPIMPL definitions, expected %d", core[id].name, c.defined[id],
               want);
    if (c.listed[id] != want)
      fail_msg("operation %s: listed %d times in PQ_OP_DEFAULTS tables, expected %d", core[id].name,
               c.listed[id], want);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_table),
      cmocka_unit_test(test_symbols_local),
      cmocka_unit_test(test_sources),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
