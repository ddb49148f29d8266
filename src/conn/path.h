/* A network path: the 4-tuple and everything measured or limited per path:
 * RTT, congestion window, pacing, anti-amplification, validation, MTU. */
#ifndef PQ_CONN_PATH_H
#define PQ_CONN_PATH_H

#include <sys/socket.h>

#include "conn/types.h"

enum { PQ_ECN_TESTING = 0, PQ_ECN_UNKNOWN, PQ_ECN_CAPABLE, PQ_ECN_FAILED };

/* CUBIC's state (RFC 9438), in bytes and microseconds. */
typedef struct pq_cubic {
  double w_max;           /* window before the last reduction */
  double k;               /* seconds to reach w_max again */
  uint64_t epoch_start;   /* start of the current avoidance epoch, 0 if none */
  double w_est;           /* Reno-friendly estimate */
  uint64_t acked_in_epoch;
} pq_cubic;

struct pq_path {
  struct sockaddr_storage local, remote;
  uint32_t index;
  int validated;             /* address validated: no amplification limit */
  uint64_t bytes_received;   /* for the anti-amplification limit */
  uint64_t bytes_sent;
  uint32_t max_udp_payload;  /* datagram size we build on this path */

  /* Path validation (RFC 9000 section 8.2). */
  uint8_t challenge[8];
  int challenge_pending;     /* a PATH_CHALLENGE to send */
  uint64_t validation_deadline;
  uint8_t response[8];
  int response_pending;      /* a PATH_RESPONSE to send */

  /* RTT (RFC 9002 section 5). */
  int has_rtt;
  uint64_t latest_rtt, min_rtt, smoothed_rtt, rttvar;
  uint64_t first_rtt_sample_time;

  /* Congestion control (RFC 9002 section 7, CUBIC). */
  uint64_t cwnd, ssthresh, bytes_in_flight;
  uint64_t recovery_start;   /* PQ_TIME_NEVER when not in recovery */
  /* State before the last congestion event, to undo it if every loss
   * behind it turns out spurious (reordering, not congestion). */
  uint64_t prior_cwnd, prior_ssthresh;
  double prior_w_max;
  uint64_t prior_recovery_start;
  uint64_t bytes_acked_ca;   /* NewReno congestion-avoidance accumulator */
  pq_cubic cubic;
  uint64_t app_limited_at;   /* bytes_in_flight when the last send was app-limited */

  /* Pacing: a token bucket refilled at pacing_rate bytes per second. */
  uint64_t pacing_tokens;
  uint64_t pacing_last;
  uint64_t pacing_rate;

  /* Latency spin bit (RFC 9000 section 17.4). */
  int spin;
  uint64_t spin_pn;

  uint64_t peer_cid_seq;     /* sequence number of the peer CID used here */

  /* ECN (RFC 9000 13.4): testing with the first packets, then capable or
   * failed; counts are per packet-number space in pq_space. */
  uint8_t ecn_state;
  uint32_t ecn_testing_sent;   /* ECT packets sent while testing */
  uint64_t ecn_testing_start;

  /* DPLPMTUD (RFC 9000 14.3, RFC 8899): binary search between a confirmed
   * size and a ceiling; one probe in flight at a time. */
  uint32_t pmtu_lo, pmtu_hi;   /* confirmed, and largest size still possible */
  uint32_t pmtu_probe;         /* size of the probe in flight, 0 if none */
  uint8_t pmtu_fails;          /* consecutive losses of probes of this size */
  uint64_t pmtu_next;          /* earliest time for the next probe */
};

#endif
