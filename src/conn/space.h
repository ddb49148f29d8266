/* A packet-number space (RFC 9000 section 12.3): numbering and loss state of
 * what we send, acknowledgement state of what we receive, and its CRYPTO
 * stream. */
#ifndef PQ_CONN_SPACE_H
#define PQ_CONN_SPACE_H

#include "common/ranges.h"
#include "common/recvbuf.h"
#include "common/sendbuf.h"
#include "conn/sent.h"
#include "wire/pn.h"

typedef struct pq_space {
  /* sending */
  uint64_t next_pn;
  uint64_t largest_acked;          /* PQ_PN_NONE until the first ACK */
  pq_sent_pkt *sent_head, *sent_tail;
  uint32_t n_sent;
  uint32_t eliciting_in_flight;    /* ack-eliciting packets not acked nor lost */
  uint64_t loss_time;              /* time-threshold loss timer, or NEVER */
  uint64_t last_eliciting_sent;    /* time_of_last_ack_eliciting_packet */
  uint64_t ecn_acked[3];           /* ECN counts last reported by the peer */
  uint64_t ecn_ect0_sent;          /* packets sent with ECT(0) */

  /* receiving */
  pq_ranges recv;                  /* packet numbers to acknowledge */
  uint64_t largest_recv;           /* PQ_PN_NONE until the first packet */
  uint64_t largest_recv_time;
  uint32_t unacked_eliciting;      /* ack-eliciting packets since our last ACK */
  uint64_t ack_deadline;           /* when an ACK must go out, or NEVER */
  uint8_t ack_pending;             /* something new to acknowledge */
  uint8_t ack_now;                 /* reordering or threshold: ACK immediately */
  uint64_t ecn_recv[3];            /* ECT(0), ECT(1), CE counts we received */

  /* CRYPTO stream of the space's encryption level */
  pq_sendbuf crypto_out;
  pq_recvbuf crypto_in;

  uint8_t discarded;               /* keys dropped: nothing more in or out */
  uint8_t probe_pending;           /* PTO: next packet must be ack-eliciting */
} pq_space;

#endif
