/* org.pquic.example.stats (see manifest). */
#include "pquic_plugin.h"

#include "stats.h"

/* The counters live in opaque data id 1, shared by the pluglets. */
static stats_counters *counters(void) {
  return pl_get_opaque_data(1, sizeof(stats_counters));
}

/* packet_sent(sent) */
PLUGLET(on_sent) {
  stats_counters *s = counters();
  if (s) {
    s->sent_packets++;
    s->sent_bytes += pl_get_sent(args->in[0], PQF_SENT_SIZE);
  }
  return 0;
}

/* packet_received(pkt) */
PLUGLET(on_received) {
  stats_counters *s = counters();
  if (s) {
    s->received_packets++;
    s->received_bytes += pl_get_pkt(args->in[0], PQF_PKT_PAYLOAD_LEN);
  }
  return 0;
}

/* packet_lost(sent) */
PLUGLET(on_lost) {
  stats_counters *s = counters();
  if (s) {
    s->lost_packets++;
    s->lost_bytes += pl_get_sent(args->in[0], PQF_SENT_SIZE);
  }
  return 0;
}

static uint64_t push(void) {
  stats_counters *s = counters();
  if (!s)
    return 1;
  uint64_t rc = pl_push_message(s, sizeof *s);
  s->reports++;
  return rc;
}

/* connection_closed(wire_error, by_peer) */
PLUGLET(on_closed) {
  return push();
}

/* stats_report(): pushes the counters now. */
PLUGLET(report) {
  return push();
}

/* stats_get() -> out[0..6]: the counters, as many as asked for. */
PLUGLET(get) {
  stats_counters *s = counters();
  if (!s)
    return 1;
  const uint64_t *v = (const uint64_t *)s;
  for (uint32_t i = 0; i < args->n_out && i < STATS_COUNTERS; i++)
    args->out[i] = v[i];
  return 0;
}
