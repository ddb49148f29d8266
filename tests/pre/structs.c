/* Structs and arrays on the stack, passed by pointer, sorted, copied. */
#include "pluglet.h"

struct point {
  s64 x;
  s64 y;
  u32 tag;
};

struct box {
  struct point lo, hi;
  u8 name[8];
};

static NOINLINE void grow(struct box *b, s64 by) {
  b->lo.x -= by;
  b->lo.y -= by;
  b->hi.x += by;
  b->hi.y += by;
}

static NOINLINE s64 area(const struct box *b) {
  return (b->hi.x - b->lo.x) * (b->hi.y - b->lo.y);
}

u64 box_area(u64 by) {
  struct box b = {{1, 2, 7}, {4, 6, 8}, "box"};
  grow(&b, (s64)by);
  return (u64)area(&b) * 1000 + b.lo.tag + b.hi.tag + b.name[1];
}

static NOINLINE void sort(u32 *v, int n) {
  for (int i = 1; i < n; i++) {
    u32 x = v[i];
    int j = i - 1;
    while (j >= 0 && v[j] > x) {
      v[j + 1] = v[j];
      j--;
    }
    v[j + 1] = x;
  }
}

/* sorts 16 pseudo-random numbers on the stack; 1 when sorted, times checksum */
u64 stack_sort(u64 seed) {
  u32 v[16];
  u32 s = (u32)seed;
  for (int i = 0; i < 16; i++) {
    s = s * 1103515245u + 12345u;
    v[i] = s >> 16;
  }
  sort(v, 16);
  u64 ok = 1, sum = 0;
  for (int i = 0; i < 16; i++) {
    if (i && v[i - 1] > v[i])
      ok = 0;
    sum += v[i];
  }
  return ok * 100000000 + sum;
}

/* copies a struct into lent memory */
u64 struct_out(struct point *out, u64 len) {
  struct point p = {-5, 7, 0xabcd};
  if (len < sizeof(p))
    return 0;
  *out = p;
  return sizeof(p);
}
