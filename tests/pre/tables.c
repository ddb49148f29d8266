/* Globals: a table computed into .bss, counters in .data, a constant table in
 * .rodata, and pointer tables (R_BPF_64_ABS64) to strings and variables. */
#include "pluglet.h"

static u32 crc_table[256];
static int crc_ready;
u32 counter = 41;
static const u16 primes[8] = {2, 3, 5, 7, 11, 13, 17, 19};
static const char *names[3] = {"zero", "one", "two"};
u32 *counter_ptr = &counter;
const u16 *prime_ptr = &primes[3];

u64 crc_init(void) {
  for (u32 i = 0; i < 256; i++) {
    u32 c = i;
    for (int k = 0; k < 8; k++)
      c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
  crc_ready = 1;
  return crc_table[255];
}

/* CRC-32 (IEEE) of lent memory; needs crc_init on this instance first */
u64 crc32(const u8 *buf, u64 len) {
  if (!crc_ready)
    return (u64)-1;
  u32 c = 0xffffffffu;
  for (u64 i = 0; i < len; i++)
    c = crc_table[(c ^ buf[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

u64 counter_next(void) {
  return ++*counter_ptr;
}

u64 prime_sum(void) {
  u64 s = 0;
  for (int i = 0; i < 8; i++)
    s += primes[i];
  return s * 100 + *prime_ptr;
}

/* first letters of names[i] for i = 0..2 as a 3-byte number */
u64 name_initials(void) {
  return (u64)(u8)names[0][0] << 16 | (u64)(u8)names[1][0] << 8 | (u8)names[2][0];
}
