/* A variable in a section the loader does not place: a load error naming it. */
#include "pluglet.h"

u64 table __attribute__((section(".maps"))) = 1;

u64 entry(void) {
  return table;
}
