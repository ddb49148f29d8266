/* A reference to an undefined variable: a load error naming it. */
#include "pluglet.h"

extern u64 somewhere;

u64 entry(void) {
  return somewhere;
}
