/* Differential testing in the normal build: thousands of generated valid
 * programs (tests/unit/pre_gen.h), seeded, each run on the interpreter and
 * the JIT with identical memory; results, memory and faults must agree.
 * tests/fuzz/fuzz_pre_diff.c runs the same generator under libFuzzer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "pre_gen.h"

#define PROGRAMS 3000

static uint64_t next(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static void test_generated_programs_agree(void **state) {
  (void)state;
  static pg g;
  uint8_t bytes[2048];
  uint64_t seed = 20240601;
  int loaded = 0, total_loaded = 0, rc = 0;
  int ok = 0, bounds = 0, align = 0, budget = 0, helper = 0;
  for (int i = 0; i < PROGRAMS; i++) {
    for (size_t k = 0; k < sizeof(bytes); k += 8) {
      uint64_t v = next(&seed);
      memcpy(bytes + k, &v, 8);
    }
    size_t n = pg_generate(&g, bytes, sizeof(bytes));
    if (pg_diff(g.out, n, bytes, 64, &loaded, &rc))
      fail_msg("program %d (%zu slots) differs between engines", i, n);
    total_loaded += loaded;
    ok += rc == 0;
    bounds += rc == PQUIC_ERR_FAULT;
    align += rc == PQUIC_ERR_ALIGN;
    budget += rc == PQUIC_ERR_BUDGET;
    helper += rc == PQUIC_ERR_HELPER;
  }
  print_message("%d programs: %d ok, %d bounds, %d alignment, %d budget, %d helper faults\n",
                PROGRAMS, ok, bounds, align, budget, helper);
  assert_int_equal(total_loaded, PROGRAMS);
  /* the generator reaches every outcome, and mostly runs to the end */
  assert_true(ok > PROGRAMS / 4);
  assert_true(bounds > 10 && align > 10 && budget > 10 && helper > 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_generated_programs_agree),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
