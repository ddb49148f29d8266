/* Congestion control: NewReno (RFC 9002 section 7) and CUBIC (RFC 9438),
 * chosen per endpoint; both are the default of the same operations, so a
 * plugin replaces either the same way. Pacing (RFC 9002 7.7). */
#include <math.h>
#include <string.h>

#include "conn/cnx_internal.h"
#include "conn/opcalls.h"

#define PQ_CUBIC_C 0.4
#define PQ_CUBIC_BETA 0.7
#define PQ_LOSS_REDUCTION 0.5 /* NewReno */

static uint64_t min_window(const pq_path *p) { return 2 * (uint64_t)p->max_udp_payload; }

static uint64_t initial_window(const pq_path *p) {
  uint64_t mds = p->max_udp_payload;
  uint64_t w = 2 * mds > 14720 ? 2 * mds : 14720;
  return 10 * mds < w ? 10 * mds : w;
}

static int use_cubic(const pq_cnx *cnx) {
  return cnx->ep->cfg.settings.cc_algorithm == PQUIC_CC_CUBIC;
}

PQ_OPIMPL uint64_t opimpl_cc_init(pq_cnx *cnx, pq_path *path) {
  (void)cnx;
  path->cwnd = initial_window(path);
  path->ssthresh = UINT64_MAX;
  path->recovery_start = PQ_TIME_NEVER;
  path->bytes_acked_ca = 0;
  memset(&path->cubic, 0, sizeof path->cubic);
  return 0;
}
PQ_OP_ADAPTER(cc_init)

PQ_OPIMPL uint64_t opimpl_cc_on_packet_sent(pq_cnx *cnx, pq_path *path, pq_sent_pkt *sp) {
  (void)cnx;
  (void)path;
  (void)sp; /* bytes in flight are maintained by the sender and recovery */
  return 0;
}
PQ_OP_ADAPTER(cc_on_packet_sent)

/* CUBIC window growth in congestion avoidance for `acked` bytes. */
static void cubic_on_ack(pq_path *p, uint64_t acked, uint64_t now) {
  pq_cubic *c = &p->cubic;
  double mss = p->max_udp_payload;
  if (c->epoch_start == 0) {
    c->epoch_start = now;
    if (c->w_max < (double)p->cwnd) {
      c->k = 0;
      c->w_max = (double)p->cwnd;
    } else {
      c->k = cbrt((c->w_max - (double)p->cwnd) / mss / PQ_CUBIC_C);
    }
    c->w_est = (double)p->cwnd;
  }
  double t = (double)(now - c->epoch_start) / 1e6;
  double rtt = (double)p->smoothed_rtt / 1e6;
  /* W_cubic(t + RTT), in bytes. */
  double dt = t + rtt - c->k;
  double target = c->w_max + PQ_CUBIC_C * dt * dt * dt * mss;
  /* The Reno-friendly estimate (RFC 9438 4.3). */
  c->w_est += mss * (3.0 * (1 - PQ_CUBIC_BETA) / (1 + PQ_CUBIC_BETA)) * (double)acked /
              (double)p->cwnd;
  double cwnd = (double)p->cwnd;
  if (c->w_est > target) {
    target = c->w_est;
  }
  if (target > cwnd) {
    double inc = (target - cwnd) / cwnd * (double)acked;
    if (inc > (double)acked / 2)
      inc = (double)acked / 2; /* at most 1.5x per RTT */
    p->cwnd += (uint64_t)inc;
  }
}

PQ_OPIMPL uint64_t opimpl_cc_on_packet_acked(pq_cnx *cnx, pq_path *path, pq_sent_pkt *sp,
                                             uint64_t now) {
  if (path->recovery_start != PQ_TIME_NEVER && sp->time_sent <= path->recovery_start)
    return 0; /* acked during recovery: no growth (RFC 9002 7.3.2) */
  /* Do not grow a window the sender is not using (RFC 9002 7.8). */
  if (path->bytes_in_flight + sp->size < path->cwnd / 2)
    return 0;
  if (path->cwnd < path->ssthresh) {
    path->cwnd += sp->size; /* slow start */
  } else if (use_cubic(cnx)) {
    cubic_on_ack(path, sp->size, now);
  } else {
    path->bytes_acked_ca += sp->size;
    if (path->bytes_acked_ca >= path->cwnd) {
      path->bytes_acked_ca -= path->cwnd;
      path->cwnd += path->max_udp_payload;
    }
  }
  (void)pq_op_cwnd_updated(cnx, path);
  return 0;
}
PQ_OP_ADAPTER(cc_on_packet_acked)

PQ_OPIMPL uint64_t opimpl_cc_on_congestion_event(pq_cnx *cnx, pq_path *path, uint64_t sent_time,
                                                 uint64_t now) {
  if (path->recovery_start != PQ_TIME_NEVER && sent_time <= path->recovery_start)
    return 0; /* one reduction per round trip */
  path->prior_cwnd = path->cwnd;
  path->prior_ssthresh = path->ssthresh;
  path->prior_w_max = path->cubic.w_max;
  path->prior_recovery_start = path->recovery_start;
  path->recovery_start = now;
  uint64_t cwnd = path->cwnd;
  if (use_cubic(cnx)) {
    pq_cubic *c = &path->cubic;
    /* Fast convergence (RFC 9438 4.7). */
    if ((double)cwnd < c->w_max)
      c->w_max = (double)cwnd * (1 + PQ_CUBIC_BETA) / 2;
    else
      c->w_max = (double)cwnd;
    c->epoch_start = 0;
    path->ssthresh = (uint64_t)((double)cwnd * PQ_CUBIC_BETA);
  } else {
    path->ssthresh = (uint64_t)((double)cwnd * PQ_LOSS_REDUCTION);
  }
  if (path->ssthresh < min_window(path))
    path->ssthresh = min_window(path);
  path->cwnd = path->ssthresh;
  path->bytes_acked_ca = 0;
  (void)pq_op_cwnd_updated(cnx, path);
  return 0;
}
PQ_OP_ADAPTER(cc_on_congestion_event)

PQ_OPIMPL uint64_t opimpl_cc_on_persistent_congestion(pq_cnx *cnx, pq_path *path) {
  path->cwnd = min_window(path);
  path->recovery_start = PQ_TIME_NEVER;
  path->cubic.epoch_start = 0;
  path->cubic.w_max = 0;
  (void)pq_op_cwnd_updated(cnx, path);
  return 0;
}
PQ_OP_ADAPTER(cc_on_persistent_congestion)

PQ_OPIMPL uint64_t opimpl_cc_on_spurious_congestion(pq_cnx *cnx, pq_path *path) {
  if (!path->prior_cwnd)
    return 0;
  /* Eifel-style undo: the window returns to where it was. */
  if (path->prior_cwnd > path->cwnd)
    path->cwnd = path->prior_cwnd;
  path->ssthresh = path->prior_ssthresh;
  path->cubic.w_max = path->prior_w_max;
  path->cubic.epoch_start = 0;
  path->recovery_start = path->prior_recovery_start;
  path->prior_cwnd = 0;
  (void)pq_op_cwnd_updated(cnx, path);
  return 0;
}
PQ_OP_ADAPTER(cc_on_spurious_congestion)

PQ_OPIMPL uint64_t opimpl_cc_on_packet_discarded(pq_cnx *cnx, pq_path *path, pq_sent_pkt *sp) {
  (void)cnx;
  (void)path;
  (void)sp; /* bytes in flight are maintained by recovery */
  return 0;
}
PQ_OP_ADAPTER(cc_on_packet_discarded)

PQ_OPIMPL uint64_t opimpl_cc_available(pq_cnx *cnx, pq_path *path) {
  (void)cnx;
  return path->cwnd > path->bytes_in_flight ? path->cwnd - path->bytes_in_flight : 0;
}
PQ_OP_ADAPTER(cc_available)

/* Pacing: a token bucket refilled at 1.25 cwnd per smoothed RTT (twice
 * that in slow start), holding at most a burst of 10 datagrams. */
static uint64_t pacing_rate(const pq_path *p) {
  uint64_t srtt = p->smoothed_rtt ? p->smoothed_rtt : 1;
  uint64_t gain_x4 = p->cwnd < p->ssthresh ? 8 : 5; /* 2.0 or 1.25, times 4 */
  /* bytes per second = gain * cwnd / srtt */
  return (uint64_t)((double)p->cwnd * (double)gain_x4 / 4.0 * 1e6 / (double)srtt);
}

static void pacing_refill(pq_path *p, uint64_t now) {
  uint64_t burst = 10 * (uint64_t)p->max_udp_payload;
  if (p->pacing_last == 0) {
    p->pacing_tokens = burst;
  } else if (now > p->pacing_last) {
    uint64_t rate = pacing_rate(p);
    double add = (double)rate * (double)(now - p->pacing_last) / 1e6;
    double t = (double)p->pacing_tokens + add;
    p->pacing_tokens = t > (double)burst ? burst : (uint64_t)t;
  }
  p->pacing_last = now;
}

PQ_OPIMPL uint64_t opimpl_pacing_next_send_time(pq_cnx *cnx, pq_path *path, uint64_t bytes,
                                                uint64_t now) {
  if (cnx->ep->cfg.settings.disable_pacing)
    return now;
  pacing_refill(path, now);
  uint64_t need = bytes < path->max_udp_payload ? bytes : path->max_udp_payload;
  if (path->pacing_tokens >= need)
    return now;
  uint64_t rate = pacing_rate(path);
  if (rate == 0)
    return now;
  return now + (uint64_t)((double)(need - path->pacing_tokens) * 1e6 / (double)rate) + 1;
}
PQ_OP_ADAPTER(pacing_next_send_time)

PQ_OPIMPL uint64_t opimpl_pacing_on_sent(pq_cnx *cnx, pq_path *path, uint64_t bytes, uint64_t now) {
  if (cnx->ep->cfg.settings.disable_pacing)
    return 0;
  pacing_refill(path, now);
  path->pacing_tokens = path->pacing_tokens > bytes ? path->pacing_tokens - bytes : 0;
  return 0;
}
PQ_OP_ADAPTER(pacing_on_sent)

PQ_OP_DEFAULTS(cc, PQ_OP_DEFAULT(cc_init), PQ_OP_DEFAULT(cc_on_packet_sent),
               PQ_OP_DEFAULT(cc_on_packet_acked), PQ_OP_DEFAULT(cc_on_congestion_event),
               PQ_OP_DEFAULT(cc_on_persistent_congestion), PQ_OP_DEFAULT(cc_on_packet_discarded),
               PQ_OP_DEFAULT(cc_on_spurious_congestion),
               PQ_OP_DEFAULT(cc_available), PQ_OP_DEFAULT(pacing_next_send_time),
               PQ_OP_DEFAULT(pacing_on_sent))
