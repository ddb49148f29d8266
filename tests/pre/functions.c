/* Static and global functions, calls across sections, five arguments. */
#include "pluglet.h"

static NOINLINE u64 square(u64 x) {
  return x * x;
}

static NOINLINE u64 gcd(u64 a, u64 b) {
  while (b) {
    u64 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

NOINLINE u64 weigh(u64 a, u64 b, u64 c, u64 d, u64 e) {
  return a + 2 * b + 3 * c + 4 * d + 5 * e;
}

u64 sum_squares(u64 n) {
  u64 s = 0;
  for (u64 i = 1; i <= n; i++)
    s += square(i);
  return s;
}

u64 fib(u64 n) {
  u64 a = 0, b = 1;
  for (u64 i = 0; i < n; i++) {
    u64 t = a + b;
    a = b;
    b = t;
  }
  return a;
}

/* in its own section: a call from .text into it and back */
__attribute__((section("pluglet/other"))) NOINLINE u64 other_section(u64 x) {
  return weigh(x, x, x, x, x) + gcd(x * 6, 4);
}

u64 combined(u64 n) {
  return gcd(84, 36) * 1000000 + sum_squares(n) * 1000 + other_section(n);
}
