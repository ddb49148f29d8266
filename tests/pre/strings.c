/* Strings in .rodata.str*: lengths, comparison, copying into lent memory. */
#include "pluglet.h"

static const char greeting[] = "hello, pluglet";

static NOINLINE u64 my_strlen(const char *s) {
  u64 n = 0;
  while (s[n])
    n++;
  return n;
}

static NOINLINE int my_strcmp(const char *a, const char *b) {
  while (*a && *a == *b) {
    a++;
    b++;
  }
  return (int)(u8)*a - (int)(u8)*b;
}

u64 str_len(void) {
  return my_strlen(greeting) * 100 + my_strlen("four");
}

/* 1 when the comparisons come out as in C */
u64 str_cmp(void) {
  return my_strcmp("abc", "abd") < 0 && my_strcmp("abd", "abc") > 0 &&
         my_strcmp("same", "same") == 0 && my_strcmp("", "x") < 0;
}

/* copies the greeting (with its NUL) into mem, returns the bytes copied */
u64 str_copy(char *mem, u64 len) {
  u64 n = my_strlen(greeting) + 1;
  if (n > len)
    return 0;
  for (u64 i = 0; i < n; i++)
    mem[i] = greeting[i];
  return n;
}
