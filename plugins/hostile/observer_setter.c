/* org.pquic.example.hostile.observer-setter: an observer that tries to
 * open the congestion window. Setters refuse observers
 * (PQUIC_ERR_OP_READONLY). */
#include "pquic_plugin.h"

PLUGLET(setter_on_received) {
  uint64_t path = pl_get_pkt(args->in[0], PQF_PKT_PATH);
  return pl_set_path(path, PQF_PATH_CWND, 100000000);
}
