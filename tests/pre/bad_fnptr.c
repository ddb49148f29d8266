/* A function pointer table: indirect calls are a load error. */
#include "pluglet.h"

typedef u64 (*op_fn)(u64);
static u64 inc(u64 x) {
  return x + 1;
}
static u64 dbl(u64 x) {
  return x * 2;
}
op_fn ops[2] = {inc, dbl};

u64 entry(u64 i) {
  return ops[i & 1](i);
}
