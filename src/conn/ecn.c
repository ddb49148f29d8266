/* ECN (RFC 9000 13.4, RFC 9002 7.1): marking our packets ECT(0), checking
 * that the path and the peer report the marks faithfully, and reacting to
 * CE marks as to a loss. */
#include "conn/cnx_internal.h"
#include "conn/opcalls.h"
#include "wire/frame.h"

/* Packets marked while testing, before waiting for the verdict. */
#define PQ_ECN_TESTING_PACKETS 10

int pq_ecn_mark(pq_cnx *cnx, pq_path *path, uint64_t now) {
  (void)cnx;
  switch (path->ecn_state) {
  case PQ_ECN_TESTING:
    if (path->ecn_testing_sent == 0)
      path->ecn_testing_start = now;
    if (path->ecn_testing_sent < PQ_ECN_TESTING_PACKETS)
      return 1;
    path->ecn_state = PQ_ECN_UNKNOWN; /* wait for acknowledgements */
    return 0;
  case PQ_ECN_CAPABLE:
    return 1;
  default:
    return 0;
  }
}

void pq_ecn_on_sent(pq_path *path, int marked) {
  if (marked && path->ecn_state == PQ_ECN_TESTING)
    path->ecn_testing_sent++;
}

static void fail(pq_path *path) { path->ecn_state = PQ_ECN_FAILED; }

/* `acked_ect0`: newly acknowledged ECT(0) packets in the low 63 bits; the
 * top bit says whether the ACK carried counts at all. */
PQ_OPIMPL uint64_t opimpl_process_ecn_counts(pq_cnx *cnx, uint64_t epoch, pq_path *path,
                                             const uint64_t *counts, uint64_t acked_ect0) {
  pq_space *sp = &cnx->spaces[epoch];
  int with_counts = (acked_ect0 >> 63) != 0;
  uint64_t newly = acked_ect0 & ~(UINT64_C(1) << 63);
  if (path->ecn_state == PQ_ECN_FAILED)
    return 0;
  if (!with_counts) {
    if (newly)
      fail(path); /* marks bleached, or a peer that does not report them */
    return 0;
  }
  /* Counts never decrease; ECT(0)+CE must grow by what was newly acked;
   * we never send ECT(1) (RFC 9000 13.4.2.1). */
  if (counts[PQ_ECN_ECT0] < sp->ecn_acked[PQ_ECN_ECT0] ||
      counts[PQ_ECN_ECT1] < sp->ecn_acked[PQ_ECN_ECT1] ||
      counts[PQ_ECN_CE] < sp->ecn_acked[PQ_ECN_CE] || counts[PQ_ECN_ECT1] > 0) {
    fail(path);
    return 0;
  }
  uint64_t grew = (counts[PQ_ECN_ECT0] - sp->ecn_acked[PQ_ECN_ECT0]) +
                  (counts[PQ_ECN_CE] - sp->ecn_acked[PQ_ECN_CE]);
  if (grew < newly || counts[PQ_ECN_ECT0] + counts[PQ_ECN_CE] > sp->ecn_ect0_sent) {
    fail(path);
    return 0;
  }
  int new_ce = counts[PQ_ECN_CE] > sp->ecn_acked[PQ_ECN_CE];
  for (int i = 0; i < 3; i++)
    sp->ecn_acked[i] = counts[i];
  if (newly && path->ecn_state != PQ_ECN_CAPABLE)
    path->ecn_state = PQ_ECN_CAPABLE;
  /* New CE marks are a congestion signal (RFC 9002 7.1). */
  if (new_ce && cnx->ack.largest_newly)
    (void)pq_op_cc_on_congestion_event(cnx, path, cnx->ack.largest_time_sent, cnx->now);
  return 0;
}
PQ_OP_ADAPTER(process_ecn_counts)

/* Called from the loss detector's timer: if every marked test packet was
 * lost, the path may drop ECT packets (RFC 9000 13.4.2.1). */
void pq_ecn_check_testing(pq_cnx *cnx, pq_path *path, uint64_t now) {
  if (path->ecn_state != PQ_ECN_UNKNOWN && path->ecn_state != PQ_ECN_TESTING)
    return;
  if (path->ecn_testing_sent &&
      now > path->ecn_testing_start + 3 * pq_op_compute_pto(cnx, path, PQ_EPOCH_APP))
    fail(path);
}

PQ_OP_DEFAULTS(ecn, PQ_OP_DEFAULT(process_ecn_counts))
