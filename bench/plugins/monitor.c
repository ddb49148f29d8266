/* org.pquic.bench.monitor (see manifest). */
#include "pquic_plugin.h"

typedef struct mon {
  uint64_t sent, sent_bytes, received, received_bytes, acked, lost, spurious;
  uint64_t rtt_samples, min_rtt, srtt_sum, cwnd_changes, max_cwnd;
  uint64_t streams_opened, streams_closed, states, key_updates, validations, pmtu;
} mon;

static mon *m(void) {
  return pl_get_opaque_data(1, sizeof(mon));
}

PLUGLET(on_sent) {
  mon *s = m();
  if (s) {
    s->sent++;
    s->sent_bytes += pl_get_sent(args->in[0], PQF_SENT_SIZE);
  }
  return 0;
}

PLUGLET(on_received) {
  mon *s = m();
  if (s) {
    s->received++;
    s->received_bytes += pl_get_pkt(args->in[0], PQF_PKT_PAYLOAD_LEN);
  }
  return 0;
}

PLUGLET(on_acked) {
  mon *s = m();
  if (s)
    s->acked++;
  return 0;
}

PLUGLET(on_lost) {
  mon *s = m();
  if (s)
    s->lost++;
  return 0;
}

PLUGLET(on_spurious) {
  mon *s = m();
  if (s)
    s->spurious++;
  return 0;
}

PLUGLET(on_rtt) {
  mon *s = m();
  if (s) {
    uint64_t srtt = pl_get_path(args->in[0], PQF_PATH_SMOOTHED_RTT);
    uint64_t min = pl_get_path(args->in[0], PQF_PATH_MIN_RTT);
    s->rtt_samples++;
    s->srtt_sum += srtt;
    if (!s->min_rtt || min < s->min_rtt)
      s->min_rtt = min;
  }
  return 0;
}

PLUGLET(on_cwnd) {
  mon *s = m();
  if (s) {
    uint64_t cwnd = pl_get_path(args->in[0], PQF_PATH_CWND);
    s->cwnd_changes++;
    if (cwnd > s->max_cwnd)
      s->max_cwnd = cwnd;
  }
  return 0;
}

PLUGLET(on_stream_opened) {
  mon *s = m();
  if (s)
    s->streams_opened++;
  return 0;
}

PLUGLET(on_stream_closed) {
  mon *s = m();
  if (s)
    s->streams_closed++;
  return 0;
}

PLUGLET(on_state) {
  mon *s = m();
  if (s)
    s->states++;
  return 0;
}

PLUGLET(on_key_update) {
  mon *s = m();
  if (s)
    s->key_updates++;
  return 0;
}

PLUGLET(on_path_validated) {
  mon *s = m();
  if (s)
    s->validations++;
  return 0;
}

PLUGLET(on_pmtu) {
  mon *s = m();
  if (s)
    s->pmtu++;
  return 0;
}

/* bench_api_reads(n): n reads of a connection field through the API */
PLUGLET(api_reads) {
  uint64_t sum = 0;
  for (uint64_t i = 0; i < args->in[0]; i++)
    sum += pl_get_cnx(PQF_CNX_PACKETS_SENT);
  return sum;
}

/* bench_own_reads(n): n reads of a value in the plugin's memory, through a
 * pointer the JIT cannot prove in bounds (so each read is checked) */
PLUGLET(own_reads) {
  mon *s = m();
  if (!s)
    return 0;
  volatile uint64_t *p = &s->sent;
  uint64_t sum = 0;
  for (uint64_t i = 0; i < args->in[0]; i++)
    sum += *p;
  return sum;
}
