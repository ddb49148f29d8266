/* Fuzz target: the plugin heap under any sequence of allocations, frees,
 * reallocations and scribbles over its own bytes (as a plugin may do):
 * every block handed out lies inside the heap area, and nothing outside
 * the region is touched (ASan watches the guard bytes around it). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/heap.h"

#define REGION 16384
#define LO 512
#define HI (REGION - 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const pq_pl_heap *h, uint32_t off) {
  if (off && (off < LO + PQ_HEAP_HEADER || off >= HI || off + pq_pl_heap_capacity(h, off) > HI))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t *region = malloc(REGION);
  if (!region)
    return 0;
  memset(region, 0xee, REGION);
  pq_pl_heap h;
  pq_pl_heap_init(&h, region, LO, HI);
  uint32_t live[32] = {0};
  for (size_t i = 0; i + 3 <= size; i += 3) {
    uint8_t op = data[i] & 3, slot = data[i] >> 3;
    uint64_t arg = (uint64_t)data[i + 1] << 8 | data[i + 2];
    uint32_t out;
    switch (op) {
    case 0:
      live[slot] = pq_pl_heap_alloc(&h, arg % 5000);
      check(&h, live[slot]);
      break;
    case 1:
      (void)pq_pl_heap_free(&h, live[slot] ? live[slot] : (uint32_t)arg);
      break;
    case 2:
      if (pq_pl_heap_realloc(&h, live[slot], arg % 6000, &out) == 0)
        live[slot] = out;
      check(&h, out);
      break;
    default: /* the plugin writes over its heap */
      region[LO + arg % (HI - LO)] = data[i + 2];
      break;
    }
  }
  free(region);
  return 0;
}
