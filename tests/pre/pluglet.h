/* Fixture support: integer types and the test helpers (registered by name
 * by tests/unit/pre_test.h). Compiled with clang -target bpf -O2. */
#ifndef PQ_FIXTURE_PLUGLET_H
#define PQ_FIXTURE_PLUGLET_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;
typedef long s64;

#define NOINLINE __attribute__((noinline))

/* Helpers by name: resolved by the loader through R_BPF_64_32. */
extern u64 sum(u64 a, u64 b, u64 c, u64 d, u64 e);
extern u64 fill(void *p, u64 val, u64 len);
extern u64 fault(u64 addr);

#endif
