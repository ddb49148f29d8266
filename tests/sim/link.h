/*
 * tests/sim/link.h - a one-way emulated link in virtual time.
 *
 * A datagram offered at time `now` goes through, in this order:
 *   1. the link being down (dropped, counted as down),
 *   2. the MTU check (datagrams larger than cfg.mtu are dropped),
 *   3. the tamper hook, which may rewrite (within the MTU) or drop it,
 *   4. the drop-tail queue: dropped when the bytes still waiting or being
 *      transmitted plus this datagram would exceed cfg.queue_bytes,
 *   5. ECN: an ECT(0)/ECT(1) datagram is marked CE when the queue already
 *      holds at least cfg.ecn_ce_bytes,
 *   6. serialization: it starts when the previous datagram has left (FIFO)
 *      and lasts (len + overhead) * 8 / rate seconds,
 *   7. loss on the wire (it used the link's time, then vanished): the exact
 *      drop list, the 64-bit loss mask, Gilbert-Elliott, Bernoulli,
 *   8. propagation: it arrives delay_us after its last bit left, plus
 *      reorder_delay_us for the seeded fraction `reorder` of datagrams; a
 *      seeded fraction `duplicate` arrives twice.
 *
 * Times are in microseconds. Serialization is tracked in nanoseconds and an
 * arrival is rounded up to the next microsecond. Each random mechanism that
 * is enabled draws the same number of values for every datagram that reaches
 * step 7, whether or not an earlier rule dropped it, so adding an exact drop
 * does not change any later random decision: a run with one more drop is the
 * same run up to that drop.
 *
 * Nothing here reads a clock or global state; datagram buffers come from a
 * pool that grows by doubling, so steady-state traffic allocates nothing.
 */
#ifndef SIM_LINK_H
#define SIM_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/* ECN codepoints as in the IP header (same values as pquic.h). */
enum { SIM_ECN_NOT_ECT = 0, SIM_ECN_ECT1 = 1, SIM_ECN_ECT0 = 2, SIM_ECN_CE = 3 };

#define SIM_LINK_DEFAULT_MTU 1500
#define SIM_LINK_MAX_MTU 65527
#define SIM_LINK_MAX_DROP_RANGES 32

typedef struct sim_link_config {
  uint64_t delay_us;       /* one-way propagation delay */
  uint64_t rate_bps;       /* bits per second; 0: infinitely fast */
  size_t queue_bytes;      /* drop-tail limit; 0: unlimited */
  size_t mtu;              /* largest UDP payload carried; 0: SIM_LINK_DEFAULT_MTU */
  uint32_t overhead_bytes; /* per-datagram header bytes counted for rate and queue */
  double loss;             /* Bernoulli loss probability, 0..1 */
  /* Gilbert-Elliott, enabled when ge_p > 0: before each datagram the state
   * moves good->bad with probability ge_p and bad->good with ge_r; the
   * datagram is then lost with ge_loss_good or ge_loss_bad. */
  double ge_p, ge_r, ge_loss_good, ge_loss_bad;
  double reorder;            /* fraction of datagrams held back */
  uint64_t reorder_delay_us; /* extra delay of a held-back datagram */
  double duplicate;          /* fraction of datagrams delivered twice */
  size_t ecn_ce_bytes;       /* CE-mark ECT datagrams at this queue depth; 0: never */
  uint64_t loss_mask;        /* bit (n % 64) set: drop the n-th datagram (see set_loss_mask) */
  uint64_t seed;             /* seeds this link's own generator */
} sim_link_config;

typedef struct sim_link_stats {
  uint64_t offered, bytes_offered;     /* everything given to sim_link_send */
  uint64_t delivered, bytes_delivered; /* popped at the far end, duplicates included */
  uint64_t dropped_queue, dropped_loss, dropped_mtu, dropped_tamper, dropped_down;
  uint64_t duplicated, reordered, ce_marked;
  size_t max_queue_bytes; /* peak queue depth seen by an arriving datagram */
} sim_link_stats;

/* A datagram leaving the link. */
typedef struct sim_packet {
  uint64_t arrival_us;
  uint64_t index; /* its position among the datagrams offered, from 0 */
  size_t len;
  uint8_t ecn;
  uint8_t is_duplicate;
} sim_packet;

/* What happened to an offered datagram. Negative: the link failed. */
typedef enum sim_link_verdict {
  SIM_LINK_NOMEM = -1,
  SIM_LINK_SENT = 0,
  SIM_LINK_DROP_DOWN,
  SIM_LINK_DROP_TAMPER,
  SIM_LINK_DROP_MTU,
  SIM_LINK_DROP_QUEUE,
  SIM_LINK_DROP_LOSS,
} sim_link_verdict;

/* Tamper hook: sees every datagram offered while the link is up and within
 * the MTU; may rewrite data (up to cap = the MTU, updating *len, kept >= 1)
 * and *ecn. Returns nonzero to drop the datagram. */
typedef int (*sim_tamper_fn)(void *user, uint64_t index, uint64_t now, uint8_t *data, size_t *len,
                             size_t cap, uint8_t *ecn);

typedef struct sim_link sim_link;

/* Zeroes cfg: an ideal link (no delay, infinite rate, no loss), MTU 1500. */
void sim_link_config_init(sim_link_config *cfg);

/* Creates a link. Returns 0, -1 on out of memory, -2 on an invalid
 * configuration (probability outside 0..1, mtu above SIM_LINK_MAX_MTU). */
int sim_link_new(const sim_link_config *cfg, sim_link **out);
void sim_link_free(sim_link *l);

/* Changes delay, rate, queue, loss, reordering, ECN and MTU settings from
 * now on; datagrams already in flight keep their arrival time. The seed,
 * generator state, loss mask and drop list are kept. Returns 0, -1 (out of memory) or -2 (invalid).
 */
int sim_link_reconfigure(sim_link *l, const sim_link_config *cfg);

/* Drops the `count` datagrams with offered indices first..first+count-1.
 * Returns 0, or -1 when SIM_LINK_MAX_DROP_RANGES ranges are already set. */
int sim_link_drop_range(sim_link *l, uint64_t first, uint64_t count);
/* From the next offered datagram on, drop datagram n (counted from 0 at this
 * call) when bit n % 64 of mask is set; 0 disables the mask. */
void sim_link_set_loss_mask(sim_link *l, uint64_t mask);
/* A down link drops everything offered; in-flight datagrams still arrive. */
void sim_link_set_down(sim_link *l, int down);
void sim_link_set_tamper(sim_link *l, sim_tamper_fn fn, void *user);

/* Offers a datagram of len (>= 1) bytes at time now (never earlier than a
 * previous call). */
sim_link_verdict sim_link_send(sim_link *l, uint64_t now, const uint8_t *data, size_t len,
                               uint8_t ecn);

/* Arrival time of the next datagram to come out; UINT64_MAX when empty. */
uint64_t sim_link_next_arrival(const sim_link *l);

/* Takes the next datagram whose arrival time is <= now, copying it into buf
 * (cap must be at least the link MTU; a longer datagram is truncated to cap
 * and pkt->len says its full length). Returns 1, or 0 when none is due.
 * Datagrams with equal arrival times come out in the order they were sent. */
int sim_link_pop(sim_link *l, uint64_t now, sim_packet *pkt, uint8_t *buf, size_t cap);

/* Bytes waiting or being transmitted at time now. */
size_t sim_link_queue_bytes(sim_link *l, uint64_t now);
/* Datagrams sent and not yet popped. */
size_t sim_link_in_flight(const sim_link *l);
const sim_link_stats *sim_link_get_stats(const sim_link *l);
size_t sim_link_mtu(const sim_link *l);

#endif
