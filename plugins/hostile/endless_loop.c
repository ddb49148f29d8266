/* org.pquic.example.hostile.endless-loop: a loop that would run 2^64
 * times (the verifier wants an exit to be reachable; it does not bound
 * loops). The instruction budget stops it (PQUIC_ERR_BUDGET). */
#include "pquic_plugin.h"

PLUGLET(spin_on_received) {
  volatile uint64_t n = 1;
  while (n)
    n++;
  return 0;
}
