/* org.pquic.example.hostile.oob-write: writes through the packet handle it
 * observes, an address outside its memory. The runtime's bounds check
 * stops it (PQUIC_ERR_FAULT). */
#include "pquic_plugin.h"

PLUGLET(oob_on_received) {
  *(volatile uint64_t *)args->in[0] = 0; /* a pq_pkt of the host */
  return 0;
}
