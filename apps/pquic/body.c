/* Response body sources and the generated pattern. */
#include "body.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static const char alphabet2[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static unsigned block_shift(uint64_t block) {
  return (unsigned)((block * UINT64_C(0x9E3779B97F4A7C15)) >> 58);
}

void body_pattern(uint64_t offset, uint8_t *buf, size_t len) {
  while (len > 0) {
    unsigned in = (unsigned)(offset & 63);
    if (in == 0 && len >= 64) {
      /* Whole blocks: a constant-size copy, which the compiler inlines (a
       * server spends a few percent of its time here). */
      uint64_t block = offset >> 6;
      size_t whole = len / 64;
      for (size_t i = 0; i < whole; i++)
        memcpy(buf + i * 64, alphabet2 + block_shift(block + i), 64);
      offset += whole * 64;
      buf += whole * 64;
      len -= whole * 64;
      continue;
    }
    size_t n = 64 - in;
    if (n > len)
      n = len;
    /* alphabet2 holds the alphabet twice, so any rotation is contiguous. */
    memcpy(buf, alphabet2 + ((in + block_shift(offset >> 6)) & 63), n);
    buf += n;
    offset += n;
    len -= n;
  }
}

size_t body_pattern_check(uint64_t offset, const uint8_t *buf, size_t len) {
  uint8_t chunk[256];
  size_t done = 0;
  while (done < len) {
    size_t n = len - done < sizeof chunk ? len - done : sizeof chunk;
    body_pattern(offset + done, chunk, n);
    for (size_t i = 0; i < n; i++)
      if (chunk[i] != buf[done + i])
        return done + i;
    done += n;
  }
  return len;
}

void body_gen(body *b, uint64_t size) {
  memset(b, 0, sizeof *b);
  b->kind = BODY_GEN;
  b->size = size;
  b->fd = -1;
}

void body_text(body *b, const char *text) {
  memset(b, 0, sizeof *b);
  b->kind = BODY_TEXT;
  b->text = text;
  b->size = strlen(text);
  b->fd = -1;
}

void body_file(body *b, int fd, uint64_t size) {
  memset(b, 0, sizeof *b);
  b->kind = BODY_FILE;
  b->fd = fd;
  b->size = size;
}

uint64_t body_left(const body *b) {
  return b->size - b->off;
}

long body_read(body *b, uint8_t *buf, size_t len) {
  uint64_t left = b->size - b->off;
  if (len > left)
    len = (size_t)left;
  if (len > (size_t)1 << 30)
    len = (size_t)1 << 30;
  if (len == 0)
    return 0;
  switch (b->kind) {
  case BODY_GEN:
    body_pattern(b->off, buf, len);
    break;
  case BODY_TEXT:
    memcpy(buf, b->text + b->off, len);
    break;
  case BODY_FILE: {
    ssize_t n;
    do {
      n = pread(b->fd, buf, len, (off_t)b->off);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
      return -1;
    if (n == 0) { /* the file shrank under us */
      errno = EIO;
      return -1;
    }
    len = (size_t)n;
    break;
  }
  default:
    return 0;
  }
  b->off += len;
  return (long)len;
}

void body_close(body *b) {
  if (b->kind == BODY_FILE && b->fd >= 0)
    close(b->fd);
  memset(b, 0, sizeof *b);
  b->fd = -1;
}
