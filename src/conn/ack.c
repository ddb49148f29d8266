/* Acknowledgements: tracking what we received and when to acknowledge it
 * (RFC 9000 13.2), writing ACK frames, and reading the peer's ACK frames
 * (RFC 9002 A.7). */
#include <string.h>

#include "conn/cnx_internal.h"
#include "conn/frames.h"
#include "conn/opcalls.h"

/* Most ranges we remember (older ones are forgotten) and report. */
#define PQ_RECV_RANGES_MAX 256
#define PQ_ACK_RANGES_MAX 64

PQ_OPIMPL uint64_t opimpl_record_received_packet(pq_cnx *cnx, pq_pkt *pkt) {
  pq_space *sp = &cnx->spaces[pkt->epoch];
  uint64_t now = cnx->now;
  if (pq_ranges_add1(&sp->recv, pkt->pn) < 0)
    return 0; /* out of memory: the packet just goes unacknowledged */
  if (sp->largest_recv == PQ_PN_NONE || pkt->pn > sp->largest_recv) {
    /* A gap before this packet means loss or reordering: tell the peer now
     * (RFC 9000 13.2.1). */
    if (sp->largest_recv != PQ_PN_NONE && pkt->pn > sp->largest_recv + 1)
      sp->ack_now = 1;
    sp->largest_recv = pkt->pn;
    sp->largest_recv_time = now;
  } else {
    sp->ack_now = 1; /* out of order */
  }
  if (pkt->ecn == PQUIC_ECN_ECT0)
    sp->ecn_recv[PQ_ECN_ECT0]++;
  else if (pkt->ecn == PQUIC_ECN_ECT1)
    sp->ecn_recv[PQ_ECN_ECT1]++;
  else if (pkt->ecn == PQUIC_ECN_CE) {
    sp->ecn_recv[PQ_ECN_CE]++;
    sp->ack_now = 1;
  }
  if (pkt->ack_eliciting) {
    sp->ack_pending = 1;
    sp->unacked_eliciting++;
    if (pkt->epoch != PQ_EPOCH_APP ||
        sp->unacked_eliciting >= cnx->ep->cfg.settings.ack_eliciting_threshold)
      sp->ack_now = 1;
    else if (sp->ack_deadline == PQ_TIME_NEVER) {
      /* A quarter RTT, within [1 ms, max_ack_delay]: on short paths an odd
       * last packet of a window is not held for the whole max_ack_delay
       * while the sender waits for it. */
      uint64_t d = pq_cnx_active_path(cnx)->smoothed_rtt / 4;
      uint64_t max = cnx->ep->cfg.settings.max_ack_delay_us;
      if (d < 1000)
        d = 1000;
      sp->ack_deadline = now + (d < max ? d : max);
    }
  }
  if (pq_ranges_count(&sp->recv) > PQ_RECV_RANGES_MAX)
    (void)pq_ranges_trim(&sp->recv, PQ_RECV_RANGES_MAX);
  return 0;
}
PQ_OP_ADAPTER(record_received_packet)

PQ_OPIMPL uint64_t opimpl_should_send_ack(pq_cnx *cnx, uint64_t epoch, uint64_t now) {
  const pq_space *sp = &cnx->spaces[epoch];
  return sp->ack_pending && (sp->ack_now || now >= sp->ack_deadline);
}
PQ_OP_ADAPTER(should_send_ack)

PQ_OPIMPL uint64_t opimpl_write_ack_frame(pq_cnx *cnx, pq_opkt *o) {
  pq_space *sp = &cnx->spaces[o->epoch];
  uint32_t n = pq_ranges_count(&sp->recv);
  if (n == 0)
    return 0;
  uint32_t first = n > PQ_ACK_RANGES_MAX ? n - PQ_ACK_RANGES_MAX : 0;
  const pq_range *ranges = pq_ranges_at(&sp->recv, first); /* contiguous, ascending */
  uint32_t exp = cnx->ep->cfg.settings.ack_delay_exponent;
  uint64_t delay = o->now > sp->largest_recv_time ? (o->now - sp->largest_recv_time) >> exp : 0;
  int ecn = sp->ecn_recv[0] || sp->ecn_recv[1] || sp->ecn_recv[2];
  size_t written = 0;
  pq_wbuf w = o->w;
  int rc = pq_ack_frame_write(&w, ranges, n - first, delay, ecn ? sp->ecn_recv : NULL,
                              pq_wbuf_left(&w), &written);
  if (rc)
    return 0; /* no room: the next packet will carry it */
  pq_sent_frame *sf = pq_sent_add_frame(o->sp, PQ_FT_ACK);
  if (!sf)
    return (uint64_t)(int64_t)PQUIC_ERR_NOMEM;
  sf->u.ack.largest = ranges[n - first - 1].hi;
  o->w.p = w.p;
  sp->ack_pending = 0;
  sp->ack_now = 0;
  sp->unacked_eliciting = 0;
  sp->ack_deadline = PQ_TIME_NEVER;
  return 0;
}
PQ_OP_ADAPTER(write_ack_frame)

/* Our ACK covering up to `largest` arrived: the peer will not need those
 * numbers again, except as duplicates to recognise. Keep the highest range
 * at or below it so duplicate detection still works for recent packets. */
void pq_ack_on_our_ack_acked(pq_cnx *cnx, int epoch, uint64_t largest) {
  pq_space *sp = &cnx->spaces[epoch];
  uint32_t n = pq_ranges_count(&sp->recv);
  for (uint32_t i = n; i-- > 0;) {
    const pq_range *r = pq_ranges_at(&sp->recv, i);
    if (r->lo <= largest) {
      (void)pq_ranges_remove_below(&sp->recv, r->lo);
      return;
    }
  }
}

PQ_OPIMPL uint64_t opimpl_process_ack_range(pq_cnx *cnx, uint64_t epoch, uint64_t smallest,
                                            uint64_t largest, uint64_t now) {
  pq_space *sp = &cnx->spaces[epoch];
  pq_ack_state *st = &cnx->ack;
  pq_sent_pkt *p = st->cursor ? st->cursor : sp->sent_head;
  while (p && p->pn < smallest)
    p = p->next;
  uint64_t acked = 0;
  while (p && p->pn <= largest) {
    pq_sent_pkt *next = p->next;
    int was_lost = (p->flags & PQ_SENT_LOST) != 0;
    if (!was_lost) {
      st->eliciting_newly |= (p->flags & PQ_SENT_ACK_ELICITING) != 0;
      st->newly_acked++;
    }
    if (p->flags & PQ_SENT_ECT0)
      st->newly_acked_ect0++;
    if (p->pn == st->largest) {
      st->largest_newly = !was_lost;
      st->largest_time_sent = p->time_sent;
      st->largest_path = p->path;
    }
    st->cursor = next;
    (void)pq_op_on_packet_acked(cnx, p, now);
    acked++;
    p = next;
  }
  st->cursor = p;
  return acked;
}
PQ_OP_ADAPTER(process_ack_range)

/* An ACK or ACK_ECN frame from the peer (RFC 9002 A.7). */
void pq_ack_on_frame(pq_cnx *cnx, pq_pkt *pkt, const pq_ack_frame *ack, int with_ecn) {
  int epoch = pkt->epoch;
  pq_space *sp = &cnx->spaces[epoch];
  uint64_t now = cnx->now;
  if (ack->largest >= sp->next_pn) {
    pq_cnx_error(cnx, PQUIC_WIRE_PROTOCOL_VIOLATION, PQ_FT_ACK,
                 "acknowledgement of a packet never sent");
    return;
  }
  /* Ranges come highest first; collect them so the sent list (ascending)
   * is walked once. Older ranges beyond the cap only refer to packets long
   * acknowledged or lost. */
  pq_range r[PQ_ACK_RANGES_MAX];
  size_t n = 0;
  pq_ack_iter it;
  pq_ack_iter_init(&it, ack);
  uint64_t lo, hi;
  while (n < PQ_ACK_RANGES_MAX && pq_ack_iter_next(&it, &lo, &hi)) {
    r[n].lo = lo;
    r[n].hi = hi;
    n++;
  }
  pq_ack_state *st = &cnx->ack;
  memset(st, 0, sizeof *st);
  st->largest = ack->largest;
  for (size_t i = n; i-- > 0;) {
    uint64_t v = pq_op_process_ack_range(cnx, (uint64_t)epoch, r[i].lo, r[i].hi, now);
    if (pq_op_failed(v) || pq_cnx_closing(cnx))
      return;
  }
  if (sp->largest_acked == PQ_PN_NONE || ack->largest > sp->largest_acked)
    sp->largest_acked = ack->largest;
  if (st->newly_acked == 0 && !st->largest_newly)
    return; /* nothing new (RFC 9002 A.7: no RTT sample, no loss detection) */
  if (st->largest_newly && st->eliciting_newly) {
    pq_path *path = st->largest_path ? st->largest_path : pq_cnx_active_path(cnx);
    uint64_t latest = now > st->largest_time_sent ? now - st->largest_time_sent : 0;
    uint64_t delay = 0;
    if (epoch == PQ_EPOCH_APP) {
      uint64_t exp = cnx->peer.ack_delay_exponent;
      delay = ack->ack_delay < (UINT64_MAX >> exp) ? ack->ack_delay << exp : UINT64_MAX;
    }
    (void)pq_op_update_rtt(cnx, path, latest, delay);
  }
  /* ECN validation also needs ACKs without counts (RFC 9000 13.4.2.1). */
  if (with_ecn || st->newly_acked_ect0) {
    static const uint64_t none[3] = {0, 0, 0};
    pq_path *path = st->largest_path ? st->largest_path : pq_cnx_active_path(cnx);
    (void)pq_op_process_ecn_counts(cnx, (uint64_t)epoch, path, with_ecn ? ack->ecn : none,
                                   st->newly_acked_ect0 | (uint64_t)with_ecn << 63);
  }
  (void)pq_op_detect_lost_packets(cnx, (uint64_t)epoch, now);
  /* The PTO backoff resets, except for a client whose address the server
   * may not have validated yet (RFC 9002 6.2.1). */
  if (cnx->is_server || cnx->handshake_confirmed || epoch != PQ_EPOCH_INITIAL)
    cnx->pto_count = 0;
  (void)pq_op_set_loss_detection_timer(cnx, now);
}

PQ_OP_DEFAULTS(ack, PQ_OP_DEFAULT(record_received_packet), PQ_OP_DEFAULT(should_send_ack),
               PQ_OP_DEFAULT(write_ack_frame), PQ_OP_DEFAULT(process_ack_range))
