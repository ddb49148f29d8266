/* Helpers called by name. */
#include "pluglet.h"

u64 call_sum(void) {
  return sum(1, 2, 3, 4, 5);
}

u64 call_fill(u8 *mem, u64 len) {
  u64 n = fill(mem, 0x5a, len / 2);
  return n * 1000 + mem[0];
}

u64 call_fault(void) {
  fault(0x77);
  return 1;
}
