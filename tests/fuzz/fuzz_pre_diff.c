/*
 * Differential fuzzing of the interpreter against the JIT: the input bytes
 * drive a generator of valid programs (tests/unit/pre_gen.h); both engines
 * run each program on identical memory and must return the same r0, leave
 * the same memory and report the same fault. Any disagreement aborts.
 */
#include <stdlib.h>

#include "../unit/pre_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static pg g;
  int loaded, rc;
  size_t n = pg_generate(&g, data, size);
  if (pg_diff(g.out, n, data, size < 64 ? size : 64, &loaded, &rc))
    abort();
  return 0;
}
