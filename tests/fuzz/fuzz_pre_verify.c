/*
 * Arbitrary bytes as raw instructions: the verifier must never crash, and
 * whatever it accepts must run on both engines without crashing and with the
 * same result, memory and fault (the verifier's promises are what make the
 * JIT's unchecked paths safe).
 */
#include <stdlib.h>

#include "../unit/pre_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int loaded, rc;
  if (size > PG_MAX * 8)
    return 0;
  if (pg_diff_raw(data, size & ~(size_t)7, 0, data, size < 64 ? size : 64, &loaded, &rc))
    abort();
  return 0;
}
