/* Hex input and whole-file reading. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int nibble(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = tolower(c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

int hex_parse(const char *text, uint8_t **out, size_t *len, char *err, size_t errlen) {
  size_t cap = strlen(text) / 2 + 1, n = 0;
  uint8_t *b = malloc(cap);
  if (!b) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  const char *p = text;
  while (*p) {
    if (isspace((unsigned char)*p)) {
      p++;
      continue;
    }
    if (*p == '#') {
      while (*p && *p != '\n')
        p++;
      continue;
    }
    const char *tok = p;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
      p += 2;
    const char *digits = p;
    while (*p && !isspace((unsigned char)*p) && *p != '#')
      p++;
    size_t nd = (size_t)(p - digits);
    if (nd == 0 || nd % 2) {
      snprintf(err, errlen, "hex token '%.*s' at offset %zu: needs an even number of digits",
               (int)(p - tok), tok, (size_t)(tok - text));
      free(b);
      return -1;
    }
    for (size_t i = 0; i < nd; i += 2) {
      int hi = nibble(digits[i]), lo = nibble(digits[i + 1]);
      if (hi < 0 || lo < 0) {
        snprintf(err, errlen, "bad hex digit in '%.*s' at offset %zu", (int)(p - tok), tok,
                 (size_t)(tok - text));
        free(b);
        return -1;
      }
      b[n++] = (uint8_t)(hi << 4 | lo);
    }
  }
  *out = b;
  *len = n;
  return 0;
}

/* The whole stream in a new buffer with a NUL after the data; NULL on error. */
static uint8_t *read_stream(FILE *f, size_t *len) {
  size_t cap = 4096, n = 0;
  uint8_t *b = malloc(cap);
  if (!b)
    return NULL;
  for (;;) {
    if (n + 1 >= cap) {
      uint8_t *nb = realloc(b, cap * 2);
      if (!nb)
        break;
      b = nb;
      cap *= 2;
    }
    size_t got = fread(b + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0) {
      if (ferror(f))
        break;
      b[n] = 0;
      *len = n;
      return b;
    }
  }
  free(b);
  return NULL;
}

char *read_all_stdin(size_t *len) {
  return (char *)read_stream(stdin, len);
}

uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  uint8_t *b = read_stream(f, len);
  fclose(f);
  return b;
}
