/*
 * The link model of one direction, sans I/O: given a datagram's arrival
 * time and size it decides drop or delivery and the delivery time. All
 * times are nanoseconds of one monotonic clock.
 *
 * Order of decisions for each datagram (as netem and a router's loss
 * generator apply them):
 *  1. loss: Bernoulli with probability `loss`, or, with burst > 1, a
 *     two-state Gilbert model (every packet lost in the bad state, none in
 *     the good one) whose stationary loss is `loss` and whose mean burst is
 *     `burst` packets. One draw per datagram from the loss generator, so the
 *     loss pattern depends only on the seed and the datagram index;
 *  2. drop-tail queue: the bytes still waiting to be serialized at this
 *     instant plus this datagram must fit in queue_bytes (rate only);
 *  3. serialization at `rate` behind the datagrams already accepted
 *     (size + overhead bytes);
 *  4. propagation: + delay + uniform jitter in [-J, +J] (never before the
 *     datagram ahead of it unless it is one held back for reordering);
 *     with probability `reorder` a datagram is held back reorder_delay more.
 */
#ifndef NS_MODEL_H
#define NS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"
#include "spec.h"
#include "stats.h"

enum ns_verdict { NS_DELIVER = 0, NS_DROP_LOSS, NS_DROP_QUEUE };

typedef struct ns_dir {
  ns_dir_params p;
  ns_rng loss_rng, delay_rng;
  double ge_p, ge_r; /* Gilbert transition probabilities good->bad, bad->good */
  int ge_bad;
  uint64_t busy_until;   /* when the serializer has sent everything accepted */
  uint64_t last_deliver; /* latest in-order delivery time scheduled */
  ns_dir_stats st;
} ns_dir;

/* Sets up a direction; `stream` makes its generators independent of every
 * other direction seeded with the same seed. */
void ns_dir_init(ns_dir *d, const ns_dir_params *p, uint64_t seed, uint64_t stream);

/*
 * Offers a datagram of `len` bytes arriving at `now`. Returns NS_DELIVER
 * with *deliver_at set, or NS_DROP_LOSS / NS_DROP_QUEUE. Updates the
 * statistics (rx, drops, backlog); tx counters are the caller's, at
 * delivery.
 */
enum ns_verdict ns_dir_offer(ns_dir *d, uint64_t now, size_t len, uint64_t *deliver_at);

/* Bytes waiting for serialization at `now` (0 without a rate). */
uint64_t ns_dir_backlog(const ns_dir *d, uint64_t now);

/* Time to serialize `bytes` at `rate_bps`, rounded up to the nanosecond. */
uint64_t ns_tx_time(uint64_t bytes, uint64_t rate_bps);

#endif
