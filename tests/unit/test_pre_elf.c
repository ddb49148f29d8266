/* ELF loader: clang-compiled C programs (the fixtures in tests/pre: strings, global
 * tables, pointer tables, static and global functions, calls across sections,
 * structs and arrays on the stack, helpers by name) load and run correctly on
 * every engine; load errors name what is wrong; malformed objects never crash. */
#include "pre_test.h"

#include "pre/elf.h"

/* tests/pre/CMakeLists.txt defines it as the directory of the compiled fixtures. */
#ifndef PQ_PRE_FIXTURES
#define PQ_PRE_FIXTURES "."
#endif

#define REGION 8192

static uint8_t *read_fixture(const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s.o", PQ_PRE_FIXTURES, name);
  FILE *f = fopen(path, "rb");
  if (!f)
    fail_msg("cannot open %s", path);
  uint8_t *b = malloc(1 << 20);
  assert_non_null(b);
  *len = fread(b, 1, 1 << 20, f);
  fclose(f);
  assert_true(*len > 64);
  return b;
}

static int load_bytes(const uint8_t *b, size_t len, size_t goff, pq_bpf_prog **p, pq_bpf_diag *d) {
  pq_bpf_helpers *h = pt_helpers();
  pq_bpf_load_opts o = {.helpers = h, .globals_offset = goff, .flags = PQ_BPF_LOAD_JIT, .diag = d};
  int rc = pq_bpf_load_elf(b, len, &o, p);
  pq_bpf_helpers_del(h);
  return rc;
}

static pq_bpf_prog *load_fixture(const char *name, size_t goff) {
  size_t len;
  uint8_t *b = read_fixture(name, &len);
  pq_bpf_prog *p = NULL;
  pq_bpf_diag d = {-1, ""};
  int rc = load_bytes(b, len, goff, &p, &d);
  free(b);
  if (rc)
    fail_msg("%s: load failed (%d): %s", name, rc, d.msg);
  return p;
}

/* A fresh instance: globals at their offset, stack at the top. */
typedef struct inst {
  uint8_t mem[REGION] __attribute__((aligned(16)));
  pq_bpf_instance in;
} inst;

static void inst_init(inst *s, const pq_bpf_prog *const *progs, size_t n) {
  memset(s->mem, 0xee, sizeof(s->mem)); /* initialisation must not rely on zeroes */
  for (size_t i = 0; i < n; i++)
    assert_int_equal(pq_bpf_prog_globals_init(progs[i], s->mem, REGION), 0);
  s->in = (pq_bpf_instance){s->mem, REGION, REGION - PT_STACK, REGION};
}

static uint64_t call_entry(const pq_bpf_prog *p, const char *entry, int engine, inst *s,
                           uint64_t a1, uint64_t a2, int expect_rc, pq_bpf_fault *f) {
  int e = pq_bpf_prog_entry(p, entry);
  if (e < 0)
    fail_msg("no entry %s", entry);
  pq_bpf_region lent = {(uint8_t *)(uintptr_t)a1, (size_t)a2, PQ_BPF_REGION_RW};
  pq_bpf_run_args a = {.args = {a1, a2}, .budget = 10000000, .engine = engine};
  if (expect_rc != 1) { /* 1: a1/a2 are plain numbers, nothing lent */
    a.lent = &lent;
    a.nlent = a1 ? 1 : 0;
  }
  uint64_t r0 = 0;
  pq_bpf_fault local;
  int rc = pq_bpf_run(p, (size_t)e, &s->in, &a, &r0, f ? f : &local);
  if (rc != (expect_rc == 1 ? 0 : expect_rc))
    fail_msg("%s on engine %d returned %d", entry, engine, rc);
  return r0;
}

#define NUM 1 /* call_entry: arguments are numbers */

static void test_strings(void **state) {
  (void)state;
  pq_bpf_prog *p = load_fixture("strings", 0);
  int engines[2];
  int ne = pt_engines(p, engines);
  for (int k = 0; k < ne; k++) {
    inst *s = calloc(1, sizeof(inst));
    inst_init(s, (const pq_bpf_prog *const[]){p}, 1);
    assert_int_equal(call_entry(p, "str_len", engines[k], s, 0, 0, NUM, NULL), 1404);
    assert_int_equal(call_entry(p, "str_cmp", engines[k], s, 0, 0, NUM, NULL), 1);
    char mem[64];
    memset(mem, 'x', sizeof(mem));
    assert_int_equal(call_entry(p, "str_copy", engines[k], s, (uintptr_t)mem, 64, 0, NULL), 15);
    assert_string_equal(mem, "hello, pluglet");
    assert_int_equal(mem[15], 'x');
    assert_int_equal(call_entry(p, "str_copy", engines[k], s, (uintptr_t)mem, 10, 0, NULL), 0);
    free(s);
  }
  assert_true(pq_bpf_prog_entry_global(p, (size_t)pq_bpf_prog_entry(p, "str_len")));
  assert_false(pq_bpf_prog_entry_global(p, (size_t)pq_bpf_prog_entry(p, "my_strlen")));
  pq_bpf_prog_del(p);
}

static void test_tables(void **state) {
  (void)state;
  /* at offset 256 so that region offsets and pointer tables are exercised */
  pq_bpf_prog *p = load_fixture("tables", 256);
  assert_int_equal(pq_bpf_prog_globals_offset(p), 256);
  assert_true(pq_bpf_prog_globals_size(p) > 1024 + 16);
  int engines[2];
  int ne = pt_engines(p, engines);
  for (int k = 0; k < ne; k++) {
    inst *s = calloc(1, sizeof(inst));
    inst_init(s, (const pq_bpf_prog *const[]){p}, 1);
    uint8_t digits[] = "123456789";
    uintptr_t d = (uintptr_t)digits;
    assert_int_equal(call_entry(p, "crc32", engines[k], s, d, 9, 0, NULL), 0xffffffffffffffffull);
    assert_int_equal(call_entry(p, "crc_init", engines[k], s, 0, 0, NUM, NULL), 0x2d02ef8d);
    assert_int_equal(call_entry(p, "crc32", engines[k], s, d, 9, 0, NULL), 0xcbf43926);
    assert_int_equal(call_entry(p, "counter_next", engines[k], s, 0, 0, NUM, NULL), 42);
    assert_int_equal(call_entry(p, "counter_next", engines[k], s, 0, 0, NUM, NULL), 43);
    assert_int_equal(call_entry(p, "prime_sum", engines[k], s, 0, 0, NUM, NULL), 7707);
    assert_int_equal(call_entry(p, "name_initials", engines[k], s, 0, 0, NUM, NULL), 0x7a6f74);
    /* a fresh instance starts from the image again */
    inst_init(s, (const pq_bpf_prog *const[]){p}, 1);
    assert_int_equal(call_entry(p, "counter_next", engines[k], s, 0, 0, NUM, NULL), 42);
    assert_int_equal(call_entry(p, "name_initials", engines[k], s, 0, 0, NUM, NULL), 0x7a6f74);
    free(s);
  }
  pq_bpf_prog_del(p);
}

static void test_functions(void **state) {
  (void)state;
  pq_bpf_prog *p = load_fixture("functions", 0);
  int engines[2];
  int ne = pt_engines(p, engines);
  for (int k = 0; k < ne; k++) {
    inst *s = calloc(1, sizeof(inst));
    inst_init(s, (const pq_bpf_prog *const[]){p}, 1);
    assert_int_equal(call_entry(p, "fib", engines[k], s, 10, 0, NUM, NULL), 55);
    assert_int_equal(call_entry(p, "fib", engines[k], s, 90, 0, NUM, NULL), 2880067194370816120ull);
    assert_int_equal(call_entry(p, "sum_squares", engines[k], s, 10, 0, NUM, NULL), 385);
    assert_int_equal(call_entry(p, "combined", engines[k], s, 3, 0, NUM, NULL), 12014047);
    /* a function called as an entry with all five arguments */
    int e = pq_bpf_prog_entry(p, "weigh");
    pq_bpf_run_args a = {.args = {1, 2, 3, 4, 5}, .budget = 1000, .engine = engines[k]};
    uint64_t r0 = 0;
    assert_int_equal(pq_bpf_run(p, (size_t)e, &s->in, &a, &r0, NULL), 0);
    assert_int_equal(r0, 55);
    free(s);
  }
  assert_int_equal(pq_bpf_prog_stack_size(p, (size_t)pq_bpf_prog_entry(p, "combined")),
                   3 * PQ_BPF_STACK_FRAME);
  pq_bpf_prog_del(p);
}

static uint64_t expected_sort(uint32_t seed) {
  uint32_t v[16], s = seed;
  uint64_t sum = 0;
  for (int i = 0; i < 16; i++) {
    s = s * 1103515245u + 12345u;
    v[i] = s >> 16;
    sum += v[i];
  }
  return 100000000 + sum;
}

static void test_structs(void **state) {
  (void)state;
  pq_bpf_prog *p = load_fixture("structs", 0);
  int engines[2];
  int ne = pt_engines(p, engines);
  for (int k = 0; k < ne; k++) {
    inst *s = calloc(1, sizeof(inst));
    inst_init(s, (const pq_bpf_prog *const[]){p}, 1);
    assert_int_equal(call_entry(p, "box_area", engines[k], s, 0, 0, NUM, NULL), 12126);
    assert_int_equal(call_entry(p, "box_area", engines[k], s, 2, 0, NUM, NULL), 56126);
    for (uint32_t seed = 0; seed < 20; seed++)
      assert_int_equal(call_entry(p, "stack_sort", engines[k], s, seed, 0, NUM, NULL),
                       expected_sort(seed));
    struct {
      int64_t x, y;
      uint32_t tag;
    } out;
    memset(&out, 0, sizeof(out));
    assert_int_equal(
        call_entry(p, "struct_out", engines[k], s, (uintptr_t)&out, sizeof(out), 0, NULL), 24);
    assert_int_equal(out.x, -5);
    assert_int_equal(out.y, 7);
    assert_int_equal(out.tag, 0xabcd);
    free(s);
  }
  pq_bpf_prog_del(p);
}

static void test_helpers_by_name(void **state) {
  (void)state;
  pq_bpf_prog *p = load_fixture("helpers", 0);
  const uint32_t *ids;
  assert_int_equal(pq_bpf_prog_helpers_used(p, &ids), 3);
  assert_int_equal(ids[0], PT_H_SUM);
  assert_int_equal(ids[1], PT_H_FAULT);
  assert_int_equal(ids[2], PT_H_MEMSET);
  int engines[2];
  int ne = pt_engines(p, engines);
  for (int k = 0; k < ne; k++) {
    inst *s = calloc(1, sizeof(inst));
    inst_init(s, (const pq_bpf_prog *const[]){p}, 1);
    assert_int_equal(call_entry(p, "call_sum", engines[k], s, 0, 0, NUM, NULL), 55);
    uint8_t mem[64] = {0};
    assert_int_equal(call_entry(p, "call_fill", engines[k], s, (uintptr_t)mem, 64, 0, NULL),
                     32 * 1000 + 0x5a);
    assert_int_equal(mem[31], 0x5a);
    assert_int_equal(mem[32], 0);
    pq_bpf_fault f;
    call_entry(p, "call_fault", engines[k], s, 0, 0, PQUIC_ERR_HELPER, &f);
    assert_int_equal(f.helper, PT_H_FAULT);
    assert_int_equal(f.addr, 0x77);
    free(s);
  }
  pq_bpf_prog_del(p);
}

/* Two objects of one plugin share a region, each at its own offset. */
static void test_shared_region(void **state) {
  (void)state;
  pq_bpf_prog *t = load_fixture("tables", 0);
  size_t off = (pq_bpf_prog_globals_size(t) + 15) & ~(size_t)15;
  pq_bpf_prog *s = load_fixture("strings", off);
  assert_true(off + pq_bpf_prog_globals_size(s) < REGION - PT_STACK);
  int engines[2];
  int ne = pt_engines(t, engines);
  for (int k = 0; k < ne; k++) {
    inst *in = calloc(1, sizeof(inst));
    inst_init(in, (const pq_bpf_prog *const[]){t, s}, 2);
    assert_int_equal(call_entry(t, "counter_next", engines[k], in, 0, 0, NUM, NULL), 42);
    assert_int_equal(call_entry(s, "str_len", engines[k], in, 0, 0, NUM, NULL), 1404);
    assert_int_equal(call_entry(t, "name_initials", engines[k], in, 0, 0, NUM, NULL), 0x7a6f74);
    assert_int_equal(call_entry(t, "counter_next", engines[k], in, 0, 0, NUM, NULL), 43);
    free(in);
  }
  /* the region must hold the globals */
  pq_bpf_instance small = {calloc(1, 64), 64, 0, 64};
  pq_bpf_run_args a = {.budget = 100};
  assert_int_equal(pq_bpf_run(t, 0, &small, &a, NULL, NULL), PQUIC_ERR_INVAL);
  assert_int_equal(pq_bpf_prog_globals_init(t, small.mem, 64), PQUIC_ERR_INVAL);
  free(small.mem);
  pq_bpf_prog_del(t);
  pq_bpf_prog_del(s);
}

static void expect_load_error(const char *fixture, int err, const char *text) {
  size_t len;
  uint8_t *b = read_fixture(fixture, &len);
  pq_bpf_prog *p = NULL;
  pq_bpf_diag d = {-1, ""};
  int rc = load_bytes(b, len, 0, &p, &d);
  free(b);
  if (rc != err)
    fail_msg("%s: load returned %d, expected %d (%s)", fixture, rc, err, d.msg);
  if (!strstr(d.msg, text))
    fail_msg("%s: '%s' lacks '%s'", fixture, d.msg, text);
  assert_null(p);
}

static void test_load_errors_name_the_culprit(void **state) {
  (void)state;
  expect_load_error("bad_helper", PQUIC_ERR_ELF, "unknown helper 'no_such_helper'");
  expect_load_error("bad_fnptr", PQUIC_ERR_ELF, "indirect calls unsupported");
  expect_load_error("bad_extern", PQUIC_ERR_ELF, "unknown symbol 'somewhere'");
  expect_load_error("bad_section", PQUIC_ERR_ELF, "unsupported section '.maps'");
}

/* Finds the first REL entry of `rel_sec_name` and patches its type. */
static void patch_reloc_type(uint8_t *b, size_t len, const char *rel_sec_name, uint32_t type) {
  pq_elf e;
  assert_int_equal(pq_elf_parse(b, len, &e, NULL), 0);
  for (uint32_t i = 0; i < e.nsecs; i++) {
    if (strcmp(e.secs[i].name, rel_sec_name) == 0) {
      uint8_t *info = (uint8_t *)e.secs[i].data + 8;
      info[0] = (uint8_t)type;
      info[1] = info[2] = info[3] = 0;
      pq_elf_free(&e);
      return;
    }
  }
  pq_elf_free(&e);
  fail_msg("no section %s", rel_sec_name);
}

static void test_unsupported_relocations(void **state) {
  (void)state;
  static const struct {
    const char *sec;
    uint32_t type;
    const char *text;
  } cases[] = {
      {".rel.text", 3, "unsupported relocation R_BPF_64_ABS32 (type 3) at .text+0x"},
      {".rel.text", 0, "unsupported relocation R_BPF_NONE (type 0)"},
      {".rel.text", 77, "unsupported relocation unknown (type 77)"},
      {".rel.text", 2, "unsupported relocation R_BPF_64_ABS64 (type 2)"},
      {".rel.data", 3, "unsupported relocation R_BPF_64_ABS32 (type 3) at .data+0x"},
      {".rel.data", 1, "unsupported relocation R_BPF_64_64 (type 1) at .data"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    size_t len;
    uint8_t *b = read_fixture("tables", &len);
    patch_reloc_type(b, len, cases[i].sec, cases[i].type);
    pq_bpf_prog *p = NULL;
    pq_bpf_diag d = {-1, ""};
    assert_int_equal(load_bytes(b, len, 0, &p, &d), PQUIC_ERR_ELF);
    if (!strstr(d.msg, cases[i].text))
      fail_msg("'%s' lacks '%s'", d.msg, cases[i].text);
    free(b);
  }
}

static void test_malformed_headers(void **state) {
  (void)state;
  size_t len;
  uint8_t *b = read_fixture("strings", &len);
  static const struct {
    size_t off;
    uint8_t val;
    const char *text;
  } cases[] = {
      {0, 0x7e, "not an ELF file"},    {4, 1, "not a 64-bit"},
      {5, 2, "little-endian"},         {6, 2, "version"},
      {16, 2, "not a relocatable"},    {18, 62, "not eBPF"},
      {58, 40, "section header size"}, {60, 0xff, "section headers outside"},
      {62, 0xfe, "name table index"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    uint8_t *c = malloc(len + 1);
    memcpy(c, b, len);
    c[cases[i].off] = cases[i].val;
    if (cases[i].off == 60)
      c[61] = 0xff;
    pq_bpf_prog *p = NULL;
    pq_bpf_diag d = {-1, ""};
    assert_int_equal(load_bytes(c, len, 0, &p, &d), PQUIC_ERR_ELF);
    if (!strstr(d.msg, cases[i].text))
      fail_msg("case %zu: '%s' lacks '%s'", i, d.msg, cases[i].text);
    free(c);
  }
  free(b);
}

/* Section 0 has no contents: as a code, data or relocation section it
 * would be read from nowhere (a fuzzer found the loader crashing). */
static void test_section_zero_is_null(void **state) {
  (void)state;
  static const struct {
    uint32_t type;
    uint64_t flags, size;
  } cases[] = {{1 /* PROGBITS */, 6 /* ALLOC | EXECINSTR */, 8},
               {1, 2 /* ALLOC */, 16},
               {9 /* REL */, 0, 16}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    size_t len;
    uint8_t *b = read_fixture("strings", &len);
    uint64_t shoff;
    memcpy(&shoff, b + 40, 8); /* e_shoff; the fixture is little-endian like the host */
    assert_true(shoff + 64 <= len);
    memcpy(b + shoff + 4, &cases[i].type, 4);
    memcpy(b + shoff + 8, &cases[i].flags, 8);
    memcpy(b + shoff + 32, &cases[i].size, 8);
    pq_bpf_prog *p = NULL;
    pq_bpf_diag d = {-1, ""};
    assert_int_equal(load_bytes(b, len, 0, &p, &d), PQUIC_ERR_ELF);
    if (!strstr(d.msg, "section 0 is not the null section"))
      fail_msg("case %zu: '%s'", i, d.msg);
    free(b);
  }
}

/* Every truncation and every single-byte corruption of real objects fails
 * cleanly or loads a program that still runs without crashing. */
static void test_truncation_and_corruption(void **state) {
  (void)state;
  static const char *names[] = {"strings", "tables", "functions"};
  for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
    size_t len;
    uint8_t *b = read_fixture(names[n], &len);
    for (size_t cut = 0; cut < len; cut++) {
      pq_bpf_prog *p = NULL;
      int rc = load_bytes(b, cut, 0, &p, NULL);
      assert_true(rc < 0);
      assert_null(p);
    }
    uint8_t *c = malloc(len + 1);
    for (size_t i = 0; i < len; i++) {
      memcpy(c, b, len);
      c[i] ^= (uint8_t)(0x5a + i);
      pq_bpf_prog *p = NULL;
      int rc = load_bytes(c, len, 0, &p, NULL);
      if (rc == 0 &&
          pq_bpf_prog_globals_offset(p) + pq_bpf_prog_globals_size(p) <= REGION - PT_STACK) {
        inst *s = calloc(1, sizeof(inst));
        inst_init(s, (const pq_bpf_prog *const[]){p}, 1);
        for (size_t e = 0; e < pq_bpf_prog_entry_count(p); e++) {
          pq_bpf_run_args a = {.budget = 100000, .engine = PQ_BPF_ENGINE_INTERP};
          pq_bpf_run(p, e, &s->in, &a, NULL, NULL);
          if (pq_bpf_prog_has_jit(p)) {
            a.engine = PQ_BPF_ENGINE_JIT;
            pq_bpf_run(p, e, &s->in, &a, NULL, NULL);
          }
        }
        free(s);
      } else if (rc) {
        assert_true(rc == PQUIC_ERR_ELF || rc == PQUIC_ERR_VERIFY);
      }
      pq_bpf_prog_del(p);
    }
    free(c);
    free(b);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strings),
      cmocka_unit_test(test_tables),
      cmocka_unit_test(test_functions),
      cmocka_unit_test(test_structs),
      cmocka_unit_test(test_helpers_by_name),
      cmocka_unit_test(test_shared_region),
      cmocka_unit_test(test_load_errors_name_the_culprit),
      cmocka_unit_test(test_unsupported_relocations),
      cmocka_unit_test(test_malformed_headers),
      cmocka_unit_test(test_section_zero_is_null),
      cmocka_unit_test(test_truncation_and_corruption),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
