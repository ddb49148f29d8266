/*
 * Response bodies, read sequentially in chunks so that no body is ever
 * held whole in memory: a file, the generated pattern of GET /<N>, or a
 * short constant text.
 */
#ifndef PQ_APP_BODY_H
#define PQ_APP_BODY_H

#include <stddef.h>
#include <stdint.h>

enum body_kind { BODY_EMPTY = 0, BODY_FILE, BODY_GEN, BODY_TEXT };

typedef struct body {
  int kind;
  uint64_t size;    /* total bytes */
  uint64_t off;     /* bytes already read */
  int fd;           /* BODY_FILE */
  const char *text; /* BODY_TEXT: static storage */
} body;

/*
 * The generated content: byte o of every /<N> body. 64-byte blocks of the
 * alphabet [A-Za-z0-9+/] rotated by a hash of the block index, so any
 * misplaced or repeated block shows, and filling costs one memcpy per block:
 *   byte(o) = ALPHABET[((o mod 64) + (((o div 64) * 0x9E3779B97F4A7C15) >> 58)) mod 64]
 */
void body_pattern(uint64_t offset, uint8_t *buf, size_t len);
/* Index of the first byte of buf that differs from the pattern at offset,
 * or len if none. */
size_t body_pattern_check(uint64_t offset, const uint8_t *buf, size_t len);

void body_gen(body *b, uint64_t size);
void body_text(body *b, const char *text);
/* Takes ownership of fd (a regular file of `size` bytes). */
void body_file(body *b, int fd, uint64_t size);

/* Reads up to len next bytes. Returns the count (0 at the end) or -1 with
 * errno (a read error, or EIO for a file that shrank). */
long body_read(body *b, uint8_t *buf, size_t len);
uint64_t body_left(const body *b);
/* Closes the file, if any; the body is then empty. */
void body_close(body *b);

#endif
