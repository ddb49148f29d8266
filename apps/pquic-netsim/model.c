/* One direction of an emulated link: loss, drop-tail queue, rate, delay. */
#include "model.h"

#include <string.h>

void ns_dir_init(ns_dir *d, const ns_dir_params *p, uint64_t seed, uint64_t stream) {
  memset(d, 0, sizeof *d);
  d->p = *p;
  ns_rng_seed(&d->loss_rng, seed, stream * 2);
  ns_rng_seed(&d->delay_rng, seed, stream * 2 + 1);
  if (p->burst > 1 && p->loss > 0) {
    /* Stationary bad-state probability p/(p+r) equals the loss rate; the
     * bad state lasts 1/r packets on average. */
    d->ge_r = 1.0 / p->burst;
    d->ge_p = p->loss * d->ge_r / (1.0 - p->loss);
    if (d->ge_p > 1)
      d->ge_p = 1;
  }
}

uint64_t ns_tx_time(uint64_t bytes, uint64_t rate_bps) {
  if (rate_bps == 0)
    return 0;
  unsigned __int128 bits_ns = (unsigned __int128)bytes * 8u * 1000000000u;
  return (uint64_t)((bits_ns + rate_bps - 1) / rate_bps);
}

uint64_t ns_dir_backlog(const ns_dir *d, uint64_t now) {
  if (d->p.rate_bps == 0 || d->busy_until <= now)
    return 0;
  unsigned __int128 bits = (unsigned __int128)(d->busy_until - now) * d->p.rate_bps;
  return (uint64_t)((bits + 8000000000ull - 1) / 8000000000ull);
}

static int lost(ns_dir *d) {
  if (d->p.loss <= 0)
    return 0;
  if (d->ge_r <= 0)
    return ns_rng_chance(&d->loss_rng, d->p.loss);
  /* Gilbert: the state of this packet follows a transition from the last
   * packet's state. */
  if (d->ge_bad)
    d->ge_bad = !ns_rng_chance(&d->loss_rng, d->ge_r);
  else
    d->ge_bad = ns_rng_chance(&d->loss_rng, d->ge_p);
  return d->ge_bad;
}

/* Jitter in [-J, +J], from its own generator so it never shifts the loss
 * pattern. */
static int64_t jitter(ns_dir *d) {
  if (d->p.jitter_ns == 0)
    return 0;
  uint64_t span = 2 * d->p.jitter_ns + 1;
  return (int64_t)(ns_rng_next(&d->delay_rng) % span) - (int64_t)d->p.jitter_ns;
}

enum ns_verdict ns_dir_offer(ns_dir *d, uint64_t now, size_t len, uint64_t *deliver_at) {
  d->st.rx_pkts++;
  d->st.rx_bytes += len;
  if (lost(d)) {
    d->st.drop_loss++;
    return NS_DROP_LOSS;
  }
  uint64_t depart = now;
  if (d->p.rate_bps) {
    uint64_t wire = len + d->p.overhead;
    uint64_t backlog = ns_dir_backlog(d, now);
    if (backlog + wire > d->p.queue_bytes) {
      d->st.drop_queue++;
      return NS_DROP_QUEUE;
    }
    if (backlog + wire > d->st.max_backlog)
      d->st.max_backlog = backlog + wire;
    uint64_t start = d->busy_until > now ? d->busy_until : now;
    depart = start + ns_tx_time(wire, d->p.rate_bps);
    d->busy_until = depart;
  }
  int64_t j = jitter(d);
  uint64_t at = depart + d->p.delay_ns;
  if (j < 0 && (uint64_t)-j > d->p.delay_ns)
    at = depart;
  else
    at = (uint64_t)((int64_t)at + j);
  if (d->p.reorder > 0 && ns_rng_chance(&d->delay_rng, d->p.reorder)) {
    /* Held back: later datagrams may overtake it, and it does not hold
     * them back in turn. */
    d->st.reordered++;
    *deliver_at = at + d->p.reorder_delay_ns;
    return NS_DELIVER;
  }
  if (at < d->last_deliver)
    at = d->last_deliver;
  d->last_deliver = at;
  *deliver_at = at;
  return NS_DELIVER;
}
