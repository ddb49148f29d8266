/* Content generation one 64-bit word at a time. */
#include "content.h"

#include "rng.h"

uint64_t sim_content_key(uint64_t conn_seed, uint64_t stream_id, int from_server) {
  return sim_mix64(sim_mix64(conn_seed, stream_id), from_server ? 0x5e : 0xc1);
}

static void put_word(uint8_t *p, uint64_t w) {
  for (int j = 0; j < 8; j++) {
    p[j] = (uint8_t)(w >> (8 * j));
  }
}

static uint64_t get_word(const uint8_t *p) {
  uint64_t w = 0;
  for (int j = 7; j >= 0; j--) {
    w = (w << 8) | p[j];
  }
  return w;
}

void sim_content_fill(uint64_t key, uint64_t offset, uint8_t *buf, size_t len) {
  uint64_t word = offset / 8;
  unsigned skip = (unsigned)(offset % 8);
  while (len > 0) {
    uint64_t w = sim_mix64(key, word++);
    if (skip == 0 && len >= 8) {
      put_word(buf, w);
      buf += 8;
      len -= 8;
      continue;
    }
    for (unsigned j = skip; j < 8 && len > 0; j++) {
      *buf++ = (uint8_t)(w >> (8 * j));
      len--;
    }
    skip = 0;
  }
}

size_t sim_content_check(uint64_t key, uint64_t offset, const uint8_t *buf, size_t len) {
  uint64_t word = offset / 8;
  unsigned j = (unsigned)(offset % 8);
  size_t i = 0;
  while (i < len) {
    uint64_t w = sim_mix64(key, word++);
    if (j == 0 && len - i >= 8 && get_word(buf + i) == w) {
      i += 8;
      continue;
    }
    for (; j < 8 && i < len; j++, i++) {
      if (buf[i] != (uint8_t)(w >> (8 * j))) {
        return i;
      }
    }
    j = 0;
  }
  return len;
}
