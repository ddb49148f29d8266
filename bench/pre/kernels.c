/*
 * Compute-heavy, pluglet-like kernels for bench-pre. The same source is
 * compiled natively (the project's C compiler, -O2) and to eBPF (clang
 * -target bpf -O2). Each takes a buffer (a lent region for eBPF: a packet)
 * and its length; tables live in globals (the instance region for eBPF).
 */
#include "kernels.h"

/* RFC 1071 Internet checksum of the buffer. */
u64 k_checksum(const u8 *p, u64 len) {
  u64 sum = 0;
  u64 i = 0;
  for (; i + 1 < len; i += 2)
    sum += (u32)p[i] << 8 | p[i + 1];
  if (len & 1)
    sum += (u32)p[len - 1] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

/* GF(256) arithmetic for Reed-Solomon-style FEC (polynomial 0x11d). */
static u8 gf_exp[512];
static u8 gf_log[256];

u64 k_gf_init(void) {
  u32 x = 1;
  for (u32 i = 0; i < 255; i++) {
    gf_exp[i] = (u8)x;
    gf_log[x] = (u8)i;
    x <<= 1;
    if (x & 0x100)
      x ^= 0x11d;
  }
  for (u32 i = 255; i < 512; i++)
    gf_exp[i] = gf_exp[i - 255];
  return gf_exp[100];
}

static inline u8 gf_mul(u8 a, u8 b) {
  if (!a || !b)
    return 0;
  return gf_exp[gf_log[a] + gf_log[b]];
}

/* A repair symbol: the second half of the buffer accumulates four
 * coefficient-weighted copies of the first half (a multiply-accumulate per
 * byte, as an FEC encoder does per source packet). */
u64 k_gf_mac(u8 *p, u64 len) {
  u64 half = len / 2;
  u8 *dst = p + half;
  for (u32 c = 1; c <= 4; c++) {
    u8 coef = (u8)(c * 29 + 1);
    for (u64 i = 0; i < half; i++)
      dst[i] ^= gf_mul(coef, p[i]);
  }
  return dst[0] | (u64)dst[half - 1] << 8;
}

/* Insertion sort of up to 128 words taken from the buffer. */
static u32 sort_buf[128];

u64 k_sort(const u8 *p, u64 len) {
  u64 n = len / 4 < 128 ? len / 4 : 128;
  for (u64 i = 0; i < n; i++)
    sort_buf[i] =
        (u32)p[4 * i] | (u32)p[4 * i + 1] << 8 | (u32)p[4 * i + 2] << 16 | (u32)p[4 * i + 3] << 24;
  for (u64 i = 1; i < n; i++) {
    u32 x = sort_buf[i];
    u64 j = i;
    while (j > 0 && sort_buf[j - 1] > x) {
      sort_buf[j] = sort_buf[j - 1];
      j--;
    }
    sort_buf[j] = x;
  }
  u64 h = 0;
  for (u64 i = 0; i < n; i++)
    h = h * 31 + sort_buf[i];
  return h;
}

/* Open-addressing hash table walk: a table of 512 keys in 1024 slots is
 * built once (k_hash_init); each call looks up the buffer's words (hits and
 * misses) along their probe chains, as a connection-ID map lookup does per
 * packet. */
#define SLOTS 1024
static u32 keys[SLOTS];
static u32 vals[SLOTS];

static inline u32 slot_of(u32 k) {
  return (k * 2654435761u) >> 22;
}

static inline u32 word_at(const u8 *p) {
  return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

u64 k_hash_init(void) {
  u32 x = 99;
  for (u32 i = 0; i < SLOTS / 2; i++) {
    x = x * 1103515245u + 12345u;
    u32 k = x | 1;
    u32 s = slot_of(k);
    while (keys[s] && keys[s] != k)
      s = (s + 1) & (SLOTS - 1);
    keys[s] = k;
    vals[s] = i;
  }
  return keys[0];
}

u64 k_hash(const u8 *p, u64 len) {
  u64 sum = 0, n = len / 4;
  for (u64 i = 0; i < n; i++) {
    u32 k = word_at(p + 4 * i) | 1;
    u32 s = slot_of(k);
    while (keys[s] && keys[s] != k)
      s = (s + 1) & (SLOTS - 1);
    sum += keys[s] ? vals[s] + 1 : 0;
  }
  return sum;
}
