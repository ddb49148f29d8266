/* Calls a helper no registry knows: a load error naming it. */
#include "pluglet.h"

extern u64 no_such_helper(u64 x);

u64 entry(u64 x) {
  return no_such_helper(x) + 1;
}
