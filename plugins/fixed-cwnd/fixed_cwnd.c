/* org.pquic.example.fixed-cwnd (see manifest). */
#include "pquic_plugin.h"

#include "fixed-cwnd.h"

typedef struct counters {
  uint64_t acks, congestion_events;
} counters;

static counters *cnt(void) {
  return pl_get_opaque_data(1, sizeof(counters));
}

static uint64_t pin(uint64_t path) {
  pl_set_path(path, PQF_PATH_CWND, FIXED_CWND);
  pl_set_path(path, PQF_PATH_SSTHRESH, FIXED_CWND);
  return 0;
}

/* cc_init(path) */
PLUGLET(init) {
  return pin(args->in[0]);
}

/* cc_on_packet_acked(path, sent, now): no growth (and a window the
 * built-in controller set before the plugin came is brought back) */
PLUGLET(on_acked) {
  counters *c = cnt();
  if (c)
    c->acks++;
  return pin(args->in[0]);
}

/* cc_on_congestion_event(path, sent_time, now): no reduction */
PLUGLET(on_congestion) {
  counters *c = cnt();
  if (c)
    c->congestion_events++;
  return pin(args->in[0]);
}

/* cc_on_persistent_congestion(path) */
PLUGLET(on_collapse) {
  return pin(args->in[0]);
}

/* cc_on_spurious_congestion(path): nothing was reduced */
PLUGLET(on_undo) {
  return 0;
}

/* fixed_cwnd_events() -> out[0] acks, out[1] congestion events */
PLUGLET(events) {
  counters *c = cnt();
  if (!c)
    return 1;
  if (args->n_out > 0)
    args->out[0] = c->acks;
  if (args->n_out > 1)
    args->out[1] = c->congestion_events;
  return 0;
}
