/* Loss detection and probe timeouts (RFC 9002 sections 5, 6 and A). */
#include <string.h>

#include "conn/cnx_internal.h"
#include "conn/frames.h"
#include "conn/opcalls.h"

#define PQ_GRANULARITY 1000 /* kGranularity, µs */
#define PQ_PERSISTENT_CONGESTION_THRESHOLD 3

static void unlink_sent(pq_space *sp, pq_sent_pkt *p) {
  if (p->prev)
    p->prev->next = p->next;
  else
    sp->sent_head = p->next;
  if (p->next)
    p->next->prev = p->prev;
  else
    sp->sent_tail = p->prev;
  sp->n_sent--;
}

static void notify_frames(pq_cnx *cnx, pq_sent_pkt *p, int fate) {
  for (uint16_t i = 0; i < p->n_frames; i++) {
    uint64_t v = pq_op_notify_frame(cnx, p->frames[i].type, p, &p->frames[i], (uint64_t)fate);
    if (pq_op_failed(v))
      return;
  }
}

/* Takes an unacked, not-lost packet out of bytes in flight. */
static void leave_flight(pq_cnx *cnx, pq_sent_pkt *p) {
  pq_space *sp = &cnx->spaces[p->epoch];
  if (p->flags & PQ_SENT_IN_FLIGHT) {
    pq_path *path = p->path;
    path->bytes_in_flight = path->bytes_in_flight > p->size ? path->bytes_in_flight - p->size : 0;
  }
  if ((p->flags & PQ_SENT_ACK_ELICITING) && sp->eliciting_in_flight)
    sp->eliciting_in_flight--;
}

/* A packet the peer refused unread (0-RTT it rejected, RFC 9001 4.6.2):
 * out of flight and its frames sent again, but not a loss: no loss
 * statistics, no congestion signal, no packet_lost event. */
void pq_recovery_refused(pq_cnx *cnx, pq_sent_pkt *p, uint64_t now) {
  leave_flight(cnx, p);
  notify_frames(cnx, p, PQ_FATE_LOST); /* as pq_recovery_requeue_space does */
  p->flags |= PQ_SENT_LOST;            /* kept in the list: never again */
  p->lost_time = now;
}

/* A packet declared lost was acknowledged: the path reorders. Widen the
 * threshold that fired (RFC 9002 6.1 allows adaptive thresholds), and undo
 * the window reduction if this loss began the current recovery period. */
static void on_spurious(pq_cnx *cnx, pq_sent_pkt *p) {
  if (p->flags & PQ_SENT_LOST_BY_TIME) {
    if (cnx->time_threshold_shift > 0)
      cnx->time_threshold_shift--; /* 9/8 -> 5/4 -> 3/2 -> 2 */
  } else if (p->lost_largest > p->pn) {
    uint64_t distance = p->lost_largest - p->pn + 1;
    if (distance > cnx->packet_threshold)
      cnx->packet_threshold = distance < 64 ? (uint32_t)distance : 64;
  }
  pq_path *path = p->path;
  if (path && path->recovery_start == p->lost_time && path->prior_cwnd)
    (void)pq_op_cc_on_spurious_congestion(cnx, path);
}

PQ_OPIMPL uint64_t opimpl_on_packet_acked(pq_cnx *cnx, pq_sent_pkt *p, uint64_t now) {
  pq_space *sp = &cnx->spaces[p->epoch];
  if (p->flags & PQ_SENT_LOST) {
    cnx->stats.packets_spurious_lost++;
    on_spurious(cnx, p);
    (void)pq_op_spurious_loss(cnx, p);
  } else {
    leave_flight(cnx, p);
    if (p->flags & PQ_SENT_IN_FLIGHT)
      (void)pq_op_cc_on_packet_acked(cnx, p->path, p, now);
  }
  if (p->flags & PQ_SENT_MTU_PROBE)
    pq_pmtud_on_acked(cnx, p);
  notify_frames(cnx, p, PQ_FATE_ACKED);
  (void)pq_op_packet_acked(cnx, p);
  unlink_sent(sp, p);
  pq_sent_free(p);
  return 0;
}
PQ_OP_ADAPTER(on_packet_acked)

PQ_OPIMPL uint64_t opimpl_update_rtt(pq_cnx *cnx, pq_path *path, uint64_t latest_rtt,
                                     uint64_t ack_delay) {
  uint64_t now = cnx->now;
  path->latest_rtt = latest_rtt;
  if (!path->has_rtt) {
    path->has_rtt = 1;
    path->min_rtt = latest_rtt;
    path->smoothed_rtt = latest_rtt;
    path->rttvar = latest_rtt / 2;
    path->first_rtt_sample_time = now;
  } else {
    if (latest_rtt < path->min_rtt)
      path->min_rtt = latest_rtt;
    /* After the handshake, the peer's ack delay counts only up to its
     * max_ack_delay (RFC 9002 5.3). */
    if (cnx->handshake_confirmed && ack_delay > cnx->peer.max_ack_delay)
      ack_delay = cnx->peer.max_ack_delay;
    uint64_t adjusted = latest_rtt;
    if (latest_rtt >= path->min_rtt + ack_delay)
      adjusted = latest_rtt - ack_delay;
    uint64_t diff = path->smoothed_rtt > adjusted ? path->smoothed_rtt - adjusted
                                                  : adjusted - path->smoothed_rtt;
    path->rttvar = (3 * path->rttvar + diff) / 4;
    path->smoothed_rtt = (7 * path->smoothed_rtt + adjusted) / 8;
  }
  cnx->stats.rtt_latest_us = latest_rtt;
  (void)pq_op_rtt_updated(cnx, path);
  return 0;
}
PQ_OP_ADAPTER(update_rtt)

uint64_t pq_cnx_pto_base(pq_cnx *cnx, const pq_path *path) {
  (void)cnx;
  uint64_t var4 = 4 * path->rttvar;
  return path->smoothed_rtt + (var4 > PQ_GRANULARITY ? var4 : PQ_GRANULARITY);
}

PQ_OPIMPL uint64_t opimpl_compute_pto(pq_cnx *cnx, pq_path *path, uint64_t epoch) {
  uint64_t pto = pq_cnx_pto_base(cnx, path);
  if (epoch == PQ_EPOCH_APP)
    pto += cnx->peer.max_ack_delay;
  return pto;
}
PQ_OP_ADAPTER(compute_pto)

/* Lost packets stay listed (flagged) for a while so that a late
 * acknowledgement reveals a spurious loss; forget them after 3 PTOs. */
static void purge_lost(pq_cnx *cnx, pq_space *sp, uint64_t now) {
  uint64_t keep = 3 * pq_cnx_pto_base(cnx, pq_cnx_active_path(cnx));
  pq_sent_pkt *p = sp->sent_head;
  while (p) {
    pq_sent_pkt *next = p->next;
    if ((p->flags & PQ_SENT_LOST) && p->lost_time + keep < now) {
      unlink_sent(sp, p);
      pq_sent_free(p);
    }
    p = next;
  }
}

/* Persistent congestion (RFC 9002 7.6): the lost ack-eliciting packets of
 * this round span more than the persistent-congestion duration, with
 * nothing acknowledged between them, and an RTT sample predates them. */
static int persistent_congestion(pq_cnx *cnx, pq_path *path, pq_sent_pkt *first,
                                 pq_sent_pkt *last) {
  if (!first || first == last || !path->has_rtt || path->first_rtt_sample_time > first->time_sent)
    return 0;
  uint64_t duration = (pq_cnx_pto_base(cnx, path) + cnx->peer.max_ack_delay) *
                      PQ_PERSISTENT_CONGESTION_THRESHOLD;
  if (last->time_sent - first->time_sent <= duration)
    return 0;
  /* Acknowledged packets leave the list: a gap in numbers means one was. */
  for (pq_sent_pkt *p = first; p != last; p = p->next) {
    if (!p->next || p->next->pn != p->pn + 1 ||
        ((p->flags & PQ_SENT_LOST) == 0 && (p->flags & PQ_SENT_ACK_ELICITING)))
      return 0;
  }
  return 1;
}

PQ_OPIMPL uint64_t opimpl_detect_lost_packets(pq_cnx *cnx, uint64_t epoch, uint64_t now) {
  pq_space *sp = &cnx->spaces[epoch];
  sp->loss_time = PQ_TIME_NEVER;
  purge_lost(cnx, sp, now);
  if (sp->largest_acked == PQ_PN_NONE)
    return 0;
  pq_path *path = pq_cnx_active_path(cnx);
  uint64_t rtt = path->latest_rtt > path->smoothed_rtt ? path->latest_rtt : path->smoothed_rtt;
  uint64_t loss_delay = rtt + (rtt >> cnx->time_threshold_shift);
  if (loss_delay < PQ_GRANULARITY)
    loss_delay = PQ_GRANULARITY;
  uint64_t lost_send_time = now > loss_delay ? now - loss_delay : 0;
  pq_sent_pkt *first_lost = NULL, *last_lost = NULL;
  pq_path *lost_path = NULL;
  uint64_t largest_lost_time = 0;
  int any_in_flight_lost = 0;
  for (pq_sent_pkt *p = sp->sent_head; p && p->pn <= sp->largest_acked;) {
    pq_sent_pkt *next = p->next;
    if (p->flags & PQ_SENT_LOST) {
      p = next;
      continue;
    }
    int by_time = p->time_sent <= lost_send_time;
    if (by_time || sp->largest_acked >= p->pn + cnx->packet_threshold) {
      p->lost_largest = sp->largest_acked;
      if (by_time)
        p->flags |= PQ_SENT_LOST_BY_TIME;
      if (p->flags & PQ_SENT_MTU_PROBE) {
        /* Too big, not congestion (RFC 9000 14.4). */
        uint64_t v = pq_op_on_packet_lost(cnx, p, now);
        if (pq_op_failed(v))
          return v;
        pq_pmtud_on_lost(cnx, p);
        p = next;
        continue;
      }
      if (p->flags & PQ_SENT_IN_FLIGHT) {
        any_in_flight_lost = 1;
        if (p->time_sent > largest_lost_time) {
          largest_lost_time = p->time_sent;
          lost_path = p->path; /* congestion is the lost packets' path's */
        }
      }
      if (p->flags & PQ_SENT_ACK_ELICITING) {
        if (!first_lost)
          first_lost = p;
        last_lost = p;
      }
      uint64_t v = pq_op_on_packet_lost(cnx, p, now);
      if (pq_op_failed(v))
        return v;
    } else {
      uint64_t t = p->time_sent + loss_delay;
      if (t < sp->loss_time)
        sp->loss_time = t;
    }
    p = next;
  }
  if (any_in_flight_lost && lost_path) {
    (void)pq_op_cc_on_congestion_event(cnx, lost_path, largest_lost_time, now);
    if (persistent_congestion(cnx, lost_path, first_lost, last_lost))
      (void)pq_op_cc_on_persistent_congestion(cnx, lost_path);
  }
  return 0;
}
PQ_OP_ADAPTER(detect_lost_packets)

PQ_OPIMPL uint64_t opimpl_on_packet_lost(pq_cnx *cnx, pq_sent_pkt *p, uint64_t now) {
  leave_flight(cnx, p);
  p->flags |= PQ_SENT_LOST;
  p->lost_time = now;
  cnx->stats.packets_lost++;
  if (p->flags & PQ_SENT_ACK_ELICITING)
    cnx->stats.packets_retransmitted++;
  notify_frames(cnx, p, PQ_FATE_LOST);
  (void)pq_op_packet_lost(cnx, p);
  return 0;
}
PQ_OP_ADAPTER(on_packet_lost)

/* The client cannot know the server validated its address until it
 * receives a Handshake packet ack or the handshake is confirmed. */
static int peer_validated_address(pq_cnx *cnx) {
  return cnx->is_server || cnx->handshake_confirmed ||
         cnx->spaces[PQ_EPOCH_HANDSHAKE].largest_acked != PQ_PN_NONE;
}

/* Earliest PTO deadline over the spaces, and its space. */
static uint64_t pto_time(pq_cnx *cnx, int *space) {
  pq_path *path = pq_cnx_active_path(cnx);
  uint64_t backoff = cnx->pto_count < 16 ? (1ull << cnx->pto_count) : (1ull << 16);
  uint64_t best = PQ_TIME_NEVER;
  int any_in_flight = 0;
  for (int e = 0; e < PQ_EPOCH_COUNT; e++)
    any_in_flight |= cnx->spaces[e].eliciting_in_flight > 0;
  if (!any_in_flight) {
    /* Anti-deadlock: a client without validation probes anyway. */
    int e = cnx->wkeys_ok[PQ_CRYPTO_LEVEL_HANDSHAKE] ? PQ_EPOCH_HANDSHAKE : PQ_EPOCH_INITIAL;
    *space = e;
    return cnx->now + pq_op_compute_pto(cnx, path, (uint64_t)e) * backoff;
  }
  for (int e = 0; e < PQ_EPOCH_COUNT; e++) {
    pq_space *sp = &cnx->spaces[e];
    if (!sp->eliciting_in_flight || sp->discarded)
      continue;
    if (e == PQ_EPOCH_APP && !cnx->handshake_confirmed)
      continue; /* RFC 9002 6.2.1: no application PTO before confirmation */
    uint64_t t = sp->last_eliciting_sent + pq_op_compute_pto(cnx, path, (uint64_t)e) * backoff;
    if (t < best) {
      best = t;
      *space = e;
    }
  }
  return best;
}

PQ_OPIMPL uint64_t opimpl_set_loss_detection_timer(pq_cnx *cnx, uint64_t now) {
  (void)now;
  uint64_t earliest = PQ_TIME_NEVER;
  for (int e = 0; e < PQ_EPOCH_COUNT; e++) {
    if (cnx->spaces[e].loss_time < earliest)
      earliest = cnx->spaces[e].loss_time;
  }
  if (earliest != PQ_TIME_NEVER) {
    cnx->loss_timer = earliest;
    return 0;
  }
  pq_path *path = pq_cnx_active_path(cnx);
  if (cnx->is_server && pq_op_check_amplification_limit(cnx, path) == 0) {
    cnx->loss_timer = PQ_TIME_NEVER; /* cannot send anyway (RFC 9002 6.2.2.1) */
    return 0;
  }
  int any = 0;
  for (int e = 0; e < PQ_EPOCH_COUNT; e++)
    any |= cnx->spaces[e].eliciting_in_flight > 0;
  if (!any && peer_validated_address(cnx)) {
    cnx->loss_timer = PQ_TIME_NEVER;
    return 0;
  }
  int space = 0;
  cnx->loss_timer = pto_time(cnx, &space);
  return 0;
}
PQ_OP_ADAPTER(set_loss_detection_timer)

PQ_OPIMPL uint64_t opimpl_queue_probe(pq_cnx *cnx, uint64_t epoch, uint64_t now) {
  (void)now;
  pq_space *sp = &cnx->spaces[epoch];
  if (sp->discarded || !cnx->wkeys_ok[pq_epoch_level((int)epoch)])
    return 0;
  /* Two probes in the application space, one during the handshake. */
  sp->probe_pending = epoch == PQ_EPOCH_APP ? 2 : 1;
  /* Resend what the oldest unacknowledged packet carried, so the probe
   * repairs the likely loss (RFC 9002 6.2.4); handshake spaces resend all
   * their unacknowledged CRYPTO data. */
  for (pq_sent_pkt *p = sp->sent_head; p; p = p->next) {
    if ((p->flags & (PQ_SENT_LOST | PQ_SENT_ACK_ELICITING)) != PQ_SENT_ACK_ELICITING ||
        (p->flags & PQ_SENT_RETRANSMITTED))
      continue;
    p->flags |= PQ_SENT_RETRANSMITTED;
    notify_frames(cnx, p, PQ_FATE_LOST);
    if (epoch == PQ_EPOCH_APP)
      break;
  }
  return 0;
}
PQ_OP_ADAPTER(queue_probe)

PQ_OPIMPL uint64_t opimpl_on_loss_detection_timeout(pq_cnx *cnx, uint64_t now) {
  int earliest_space = -1;
  uint64_t earliest = PQ_TIME_NEVER;
  for (int e = 0; e < PQ_EPOCH_COUNT; e++) {
    if (cnx->spaces[e].loss_time < earliest) {
      earliest = cnx->spaces[e].loss_time;
      earliest_space = e;
    }
  }
  if (earliest_space >= 0) {
    (void)pq_op_detect_lost_packets(cnx, (uint64_t)earliest_space, now);
    return pq_op_set_loss_detection_timer(cnx, now);
  }
  int space = PQ_EPOCH_INITIAL;
  (void)pto_time(cnx, &space);
  (void)pq_op_queue_probe(cnx, (uint64_t)space, now);
  cnx->pto_count++;
  return pq_op_set_loss_detection_timer(cnx, now);
}
PQ_OP_ADAPTER(on_loss_detection_timeout)

void pq_recovery_drop_space(pq_cnx *cnx, int epoch) {
  pq_space *sp = &cnx->spaces[epoch];
  pq_sent_pkt *p = sp->sent_head;
  while (p) {
    pq_sent_pkt *next = p->next;
    if (!(p->flags & PQ_SENT_LOST)) {
      leave_flight(cnx, p);
      if (p->flags & PQ_SENT_IN_FLIGHT)
        (void)pq_op_cc_on_packet_discarded(cnx, p->path, p);
    }
    notify_frames(cnx, p, PQ_FATE_DISCARDED);
    pq_sent_free(p);
    p = next;
  }
  sp->sent_head = sp->sent_tail = NULL;
  sp->n_sent = 0;
  sp->eliciting_in_flight = 0;
  sp->loss_time = PQ_TIME_NEVER;
  sp->last_eliciting_sent = 0;
  sp->probe_pending = 0;
  sp->ack_pending = 0;
  sp->ack_deadline = PQ_TIME_NEVER;
}

/* Every packet of the space is to be sent again (after a Retry): frames
 * are requeued as lost, without congestion signal. */
void pq_recovery_requeue_space(pq_cnx *cnx, int epoch) {
  pq_space *sp = &cnx->spaces[epoch];
  pq_sent_pkt *p = sp->sent_head;
  while (p) {
    pq_sent_pkt *next = p->next;
    if (!(p->flags & PQ_SENT_LOST)) {
      leave_flight(cnx, p);
      notify_frames(cnx, p, PQ_FATE_LOST);
    }
    pq_sent_free(p);
    p = next;
  }
  sp->sent_head = sp->sent_tail = NULL;
  sp->n_sent = 0;
  sp->eliciting_in_flight = 0;
  sp->loss_time = PQ_TIME_NEVER;
}

PQ_OPIMPL uint64_t opimpl_discard_epoch(pq_cnx *cnx, uint64_t epoch, uint64_t now) {
  if (epoch >= PQ_EPOCH_APP)
    return (uint64_t)(int64_t)PQUIC_ERR_INVAL; /* application keys are never discarded */
  pq_space *sp = &cnx->spaces[epoch];
  if (sp->discarded)
    return 0;
  pq_recovery_drop_space(cnx, (int)epoch);
  sp->discarded = 1;
  int level = pq_epoch_level((int)epoch);
  pq_dir_keys_free(&cnx->rkeys[level]);
  pq_dir_keys_free(&cnx->wkeys[level]);
  cnx->rkeys_ok[level] = cnx->wkeys_ok[level] = 0;
  pq_sendbuf_free(&sp->crypto_out);
  pq_sendbuf_init(&sp->crypto_out, PQ_SENDBUF_CRYPTO);
  cnx->pto_count = 0;
  return pq_op_set_loss_detection_timer(cnx, now);
}
PQ_OP_ADAPTER(discard_epoch)

PQ_OP_DEFAULTS(recovery, PQ_OP_DEFAULT(on_packet_acked), PQ_OP_DEFAULT(update_rtt),
               PQ_OP_DEFAULT(compute_pto), PQ_OP_DEFAULT(detect_lost_packets),
               PQ_OP_DEFAULT(on_packet_lost), PQ_OP_DEFAULT(set_loss_detection_timer),
               PQ_OP_DEFAULT(queue_probe), PQ_OP_DEFAULT(on_loss_detection_timeout),
               PQ_OP_DEFAULT(discard_epoch))
