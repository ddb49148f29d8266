/* C pluglets that misbehave: each must end in a clean fault. */
#include "pluglet.h"

/* never returns (the compiler keeps the loop: the counter is volatile) */
u64 spin(void) {
  volatile u64 n = 0;
  while (n != (u64)-1)
    n += 0;
  return n;
}

/* writes 1 MiB past the buffer it was given */
u64 write_far(u8 *mem) {
  mem[1 << 20] = 1;
  return 0;
}

/* dereferences an address it made up */
u64 forge(void) {
  return *(volatile u64 *)0x10000;
}

/* reads 8 bytes, one past the end of the buffer */
u64 read_past_end(u8 *mem, u64 len) {
  return *(u64 *)(mem + len - 7);
}

/* walks down the stack through a pointer, well below its frame */
u64 stack_dive(u64 depth) {
  volatile u8 buf[16] = {0};
  volatile u8 *p = buf;
  for (u64 i = 0; i < depth; i++)
    p[-(s64)i] = 0;
  return buf[0];
}
