/* Sending: datagrams of coalesced packets, packet headers, frame
 * scheduling, padding and protection (RFC 9000 sections 12-14, 17). */
#include <string.h>

#include "common/alloc.h"
#include "conn/cnx_internal.h"
#include "conn/frames.h"
#include "conn/opcalls.h"
#include "conn/packet.h"
#include "crypto/protect.h"
#include "wire/pn.h"

#define PQ_AEAD_TAG 16
#define PQ_MIN_INITIAL_DATAGRAM 1200
/* Do not start a packet with less room than this. */
#define PQ_MIN_PACKET_ROOM 48

int pq_cnx_app_write_level(const pq_cnx *cnx) {
  if (cnx->wkeys_ok[PQ_CRYPTO_LEVEL_1RTT] || cnx->is_server)
    return PQ_CRYPTO_LEVEL_1RTT;
  return cnx->wkeys_ok[PQ_CRYPTO_LEVEL_0RTT] ? PQ_CRYPTO_LEVEL_0RTT : PQ_CRYPTO_LEVEL_1RTT;
}

static int write_level(const pq_cnx *cnx, int epoch) {
  return epoch == PQ_EPOCH_APP ? pq_cnx_app_write_level(cnx) : pq_epoch_level(epoch);
}

static uint8_t epoch_pkt_type(const pq_cnx *cnx, int epoch) {
  return epoch == PQ_EPOCH_INITIAL     ? PQ_PKT_INITIAL
         : epoch == PQ_EPOCH_HANDSHAKE ? PQ_PKT_HANDSHAKE
         : write_level(cnx, epoch) == PQ_CRYPTO_LEVEL_0RTT ? PQ_PKT_0RTT
                                                          : PQ_PKT_1RTT;
}

/* True if the space has something that must go out now (ignoring the
 * congestion window, which the packet builder applies). */
static int space_wants_send(pq_cnx *cnx, int epoch, uint64_t now) {
  pq_space *sp = &cnx->spaces[epoch];
  int level = write_level(cnx, epoch);
  if (sp->discarded || !cnx->wkeys_ok[level])
    return 0;
  if (pq_cnx_closing(cnx))
    return cnx->close_pending;
  if (cnx->probe_only || cnx->mtu_probe)
    return epoch == PQ_EPOCH_APP && cnx->wkeys_ok[PQ_CRYPTO_LEVEL_1RTT];
  pq_sendbuf_range r;
  if (sp->probe_pending || pq_sendbuf_next(&sp->crypto_out, UINT64_MAX, 1, &r))
    return 1;
  if (sp->ack_pending && pq_op_should_send_ack(cnx, (uint64_t)epoch, now))
    return 1;
  if (epoch == PQ_EPOCH_APP)
    return pq_cnx_has_pending(cnx);
  return 0;
}

PQ_OPIMPL uint64_t opimpl_select_packet_epoch(pq_cnx *cnx, pq_path *path, uint64_t now) {
  (void)path;
  for (int e = 0; e < PQ_EPOCH_COUNT; e++) {
    if (space_wants_send(cnx, e, now))
      return (uint64_t)e;
  }
  return (uint64_t)(int64_t)-1;
}
PQ_OP_ADAPTER(select_packet_epoch)

PQ_OPIMPL uint64_t opimpl_select_sending_path(pq_cnx *cnx, uint64_t now) {
  (void)now;
  return (uint64_t)(uintptr_t)pq_cnx_active_path(cnx);
}
PQ_OP_ADAPTER(select_sending_path)

PQ_OPIMPL uint64_t opimpl_get_destination_cid(pq_cnx *cnx, pq_path *path) {
  return (uint64_t)(uintptr_t)pq_cnx_peer_cid(cnx, path);
}
PQ_OP_ADAPTER(get_destination_cid)

PQ_OPIMPL uint64_t opimpl_compute_spin_bit(pq_cnx *cnx, pq_path *path) {
  (void)cnx;
  return (uint64_t)path->spin;
}
PQ_OP_ADAPTER(compute_spin_bit)

/* The header spec of the next packet of `epoch` on `path`. */
static void header_spec(pq_cnx *cnx, pq_path *path, int epoch, pq_header_spec *s) {
  pq_space *sp = &cnx->spaces[epoch];
  const pq_cid *dcid = (const pq_cid *)(uintptr_t)pq_op_get_destination_cid(cnx, path);
  if (pq_op_failed((uint64_t)(uintptr_t)dcid) || !dcid)
    dcid = pq_cnx_peer_cid(cnx, path);
  memset(s, 0, sizeof *s);
  s->type = epoch_pkt_type(cnx, epoch);
  s->version = cnx->version;
  s->dcid = dcid->id;
  s->dcid_len = dcid->len;
  s->scid = cnx->initial_scid.id;
  s->scid_len = cnx->initial_scid.len;
  if (epoch == PQ_EPOCH_INITIAL && !cnx->is_server) {
    s->token = cnx->token;
    s->token_len = cnx->token_len;
  }
  s->pn = sp->next_pn;
  s->pn_len = (uint8_t)pq_pn_encode_len(sp->next_pn, sp->largest_acked);
  s->length_len = s->type == PQ_PKT_1RTT ? 0 : 2;
  s->spin = epoch == PQ_EPOCH_APP && pq_op_compute_spin_bit(cnx, path) == 1;
  s->key_phase = cnx->key_phase;
}

PQ_OPIMPL uint64_t opimpl_predict_header_length(pq_cnx *cnx, pq_path *path, uint64_t epoch) {
  if (epoch >= PQ_EPOCH_COUNT)
    return 0;
  pq_header_spec s;
  header_spec(cnx, path, (int)epoch, &s);
  return pq_header_len(&s);
}
PQ_OP_ADAPTER(predict_header_length)

PQ_OPIMPL uint64_t opimpl_write_packet_header(pq_cnx *cnx, pq_opkt *o) {
  pq_header_spec s;
  header_spec(cnx, o->path, o->epoch, &s);
  pq_wbuf w = o->w;
  int rc = pq_header_write(&w, &s, &o->hdr);
  if (rc)
    return (uint64_t)(int64_t)rc;
  o->pn = s.pn;
  o->pn_len = s.pn_len;
  o->type = s.type;
  o->w.p = w.p;
  o->payload = w.p;
  return 0;
}
PQ_OP_ADAPTER(write_packet_header)

PQ_OPIMPL uint64_t opimpl_check_amplification_limit(pq_cnx *cnx, pq_path *path) {
  /* Only servers are limited, until the address is validated (RFC 9000 8). */
  if (!cnx->is_server || path->validated)
    return UINT64_MAX;
  uint64_t limit = 3 * path->bytes_received;
  return limit > path->bytes_sent ? limit - path->bytes_sent : 0;
}
PQ_OP_ADAPTER(check_amplification_limit)

PQ_OPIMPL uint64_t opimpl_write_crypto_frame(pq_cnx *cnx, pq_opkt *o) {
  pq_sendbuf *b = &cnx->spaces[o->epoch].crypto_out;
  pq_sendbuf_range r;
  while (pq_sendbuf_next(b, UINT64_MAX, pq_opkt_room(o), &r) && r.len) {
    size_t n;
    if (!pq_crypto_frame_fit(r.off, (size_t)r.len, pq_opkt_room(o), &n) || n == 0)
      break;
    pq_sent_frame *sf = pq_sent_add_frame(o->sp, PQ_FT_CRYPTO);
    if (!sf)
      return (uint64_t)(int64_t)PQUIC_ERR_NOMEM;
    if (pq_crypto_header_write(&o->w, r.off, n) || pq_sendbuf_copy(b, r.off, o->w.p, n) ||
        pq_sendbuf_sent(b, r.off, n, false)) {
      o->sp->n_frames--;
      break;
    }
    o->w.p += n;
    sf->u.crypto.offset = r.off;
    sf->u.crypto.len = (uint32_t)n;
    o->ack_eliciting = o->in_flight = 1;
    o->has_crypto = 1;
  }
  return 0;
}
PQ_OP_ADAPTER(write_crypto_frame)

PQ_OPIMPL uint64_t opimpl_write_plugin_frames(pq_cnx *cnx, pq_opkt *o) {
  /* Frames plugins reserved, through their scheduler (src/plugin). */
  return cnx->pl ? cnx->pl->hooks->write_frames(cnx, o) : 0;
}
PQ_OP_ADAPTER(write_plugin_frames)

/* Writes STREAM frames while the packet has room, streams have data and
 * the windows allow. */
static uint64_t write_streams(pq_cnx *cnx, pq_opkt *o) {
  while (pq_opkt_room(o) > 8) {
    uint64_t v = pq_op_schedule_stream(cnx, o);
    if (pq_op_failed(v))
      return v;
    pq_stream *s = (pq_stream *)(uintptr_t)v;
    if (!s)
      break;
    uint8_t *before = o->w.p;
    v = pq_op_write_stream_frame(cnx, o, s);
    if (pq_op_failed(v))
      return v;
    if (o->w.p == before)
      break; /* nothing fitted: the packet is full enough */
  }
  return 0;
}

PQ_OPIMPL uint64_t opimpl_schedule_frames(pq_cnx *cnx, pq_opkt *o) {
  pq_space *sp = &cnx->spaces[o->epoch];
  if (pq_cnx_closing(cnx))
    return pq_op_write_connection_close(cnx, o);
  if (cnx->mtu_probe) {
    /* PING and PADDING to the probe's full size (RFC 9000 14.4). */
    if (pq_opkt_room(o) < 1)
      return 0;
    (void)pq_put_u8(&o->w, PQ_FT_PING);
    (void)pq_sent_add_frame(o->sp, PQ_FT_PING);
    size_t pad = pq_opkt_room(o);
    memset(o->w.p, 0, pad);
    o->w.p += pad;
    o->ack_eliciting = o->in_flight = 1;
    return 0;
  }
  if (cnx->probe_only) {
    /* A path probe: PATH_CHALLENGE / PATH_RESPONSE, padded to 1200 bytes
     * (RFC 9000 8.2.1) within the amplification limit. */
    pq_control_write_path_frames(cnx, o);
    size_t len = (size_t)(o->w.p - o->start) + 16;
    size_t pad = len < 1200 ? 1200 - len : 0;
    if (pad > pq_opkt_room(o))
      pad = pq_opkt_room(o);
    memset(o->w.p, 0, pad);
    o->w.p += pad;
    return 0;
  }
  int early = o->level == PQ_CRYPTO_LEVEL_0RTT; /* no ACK, no CRYPTO (RFC 9000 12.4) */
  if (sp->ack_pending && !early)
    PQ_OP_CHECK(pq_op_write_ack_frame(cnx, o));
  if (o->ack_only_ok)
    return 0;
  if (o->epoch == PQ_EPOCH_APP && o->level == PQ_CRYPTO_LEVEL_1RTT)
    PQ_OP_CHECK(pq_op_write_control_frames(cnx, o));
  if (!early)
    PQ_OP_CHECK(pq_op_write_crypto_frame(cnx, o));
  if (o->epoch == PQ_EPOCH_APP) {
    if (!early)
      PQ_OP_CHECK(pq_op_write_plugin_frames(cnx, o));
    PQ_OP_CHECK(write_streams(cnx, o));
  }
  if (sp->probe_pending && !o->ack_eliciting && pq_opkt_room(o) >= 1) {
    /* A PTO probe must elicit an acknowledgement (RFC 9002 6.2.4). */
    (void)pq_put_u8(&o->w, PQ_FT_PING);
    (void)pq_sent_add_frame(o->sp, PQ_FT_PING);
    o->ack_eliciting = o->in_flight = 1;
  }
  return 0;
}
PQ_OP_ADAPTER(schedule_frames)

PQ_OPIMPL uint64_t opimpl_prepare_packet(pq_cnx *cnx, pq_opkt *o) {
  PQ_OP_CHECK(pq_op_write_packet_header(cnx, o));
  if (o->w.p > o->w.end)
    return 1;
  PQ_OP_CHECK(pq_op_schedule_frames(cnx, o));
  return o->w.p > o->payload ? 0 : 1;
}
PQ_OP_ADAPTER(prepare_packet)

PQ_OPIMPL uint64_t opimpl_pad_packet(pq_cnx *cnx, pq_opkt *o) {
  (void)cnx;
  /* The header protection sample needs 4 bytes after the packet number's
   * start, plus the tag (RFC 9001 5.4.2). */
  size_t payload = (size_t)(o->w.p - o->payload);
  size_t need = o->pn_len + payload < 4 ? 4 - o->pn_len - payload : 0;
  if (need > pq_opkt_room(o))
    return (uint64_t)(int64_t)PQUIC_ERR_BUFFER_TOO_SMALL;
  memset(o->w.p, 0, need);
  o->w.p += need;
  return 0;
}
PQ_OP_ADAPTER(pad_packet)

PQ_OPIMPL uint64_t opimpl_finalize_packet(pq_cnx *cnx, pq_opkt *o) {
  size_t pkt_len = (size_t)(o->w.p - o->start) + PQ_AEAD_TAG;
  if (o->hdr.length_field) {
    int rc = pq_header_set_length(&o->hdr, pkt_len - o->hdr.pn_offset);
    if (rc)
      return (uint64_t)(int64_t)rc;
  }
  pq_dir_keys *k = &cnx->wkeys[o->level];
  int rc = pq_packet_protect(&k->phase.aead, &k->hp, o->start, pkt_len, o->hdr.pn_offset,
                             o->pn_len, o->pn);
  return rc ? (uint64_t)(int64_t)rc : 0;
}
PQ_OP_ADAPTER(finalize_packet)

/* Starts building a packet of `epoch` at buf[0..cap). */
static int opkt_begin(pq_cnx *cnx, pq_opkt *o, pq_path *path, int epoch, uint8_t *buf,
                      size_t cap, uint64_t now) {
  memset(o, 0, sizeof *o);
  o->path = path;
  o->now = now;
  o->epoch = (uint8_t)epoch;
  o->level = (uint8_t)write_level(cnx, epoch);
  o->start = buf;
  o->w = pq_wbuf_make(buf, cap - PQ_AEAD_TAG);
  o->sp = pq_sent_new();
  if (!o->sp)
    return PQUIC_ERR_NOMEM;
  (void)cnx;
  return 0;
}

/* Registers a finished packet as sent (RFC 9002 A.5). */
static void on_sent(pq_cnx *cnx, pq_opkt *o, size_t len, uint64_t now) {
  pq_space *sp = &cnx->spaces[o->epoch];
  pq_sent_pkt *p = o->sp;
  o->sp = NULL;
  p->pn = o->pn;
  p->time_sent = now;
  p->path = o->path;
  p->size = (uint32_t)len;
  p->epoch = o->epoch;
  p->level = o->level;
  p->flags = (uint8_t)((o->ack_eliciting ? PQ_SENT_ACK_ELICITING : 0) |
                       (o->in_flight ? PQ_SENT_IN_FLIGHT : 0) | (o->is_probe ? PQ_SENT_PROBE : 0) |
                       (cnx->batch_ecn == PQUIC_ECN_ECT0 ? PQ_SENT_ECT0 : 0));
  if (cnx->mtu_probe) {
    p->flags |= PQ_SENT_MTU_PROBE;
    pq_pmtud_on_sent(o->path, (uint32_t)len);
  }
  if (cnx->batch_ecn == PQUIC_ECN_ECT0) {
    sp->ecn_ect0_sent++;
    pq_ecn_on_sent(o->path, 1);
  }
  sp->next_pn = o->pn + 1;
  p->prev = sp->sent_tail;
  if (sp->sent_tail)
    sp->sent_tail->next = p;
  else
    sp->sent_head = p;
  sp->sent_tail = p;
  sp->n_sent++;
  cnx->stats.packets_sent++;
  if (o->ack_eliciting) {
    sp->last_eliciting_sent = now;
    sp->eliciting_in_flight++;
    if (sp->probe_pending)
      sp->probe_pending--;
  }
  if (o->in_flight) {
    o->path->bytes_in_flight += len;
    (void)pq_op_cc_on_packet_sent(cnx, o->path, p);
  }
  (void)pq_op_pacing_on_sent(cnx, o->path, len, now);
  (void)pq_op_packet_sent(cnx, p);
  if (o->ack_eliciting) {
    (void)pq_op_set_loss_detection_timer(cnx, now);
    (void)pq_op_update_idle_timer(cnx, now, 1);
  }
}

PQ_OPIMPL uint64_t opimpl_prepare_datagram(pq_cnx *cnx, pq_path *path, uint8_t *buf, size_t cap,
                                           uint64_t now, uint64_t *out) {
  out[0] = 0;
  uint64_t amp = pq_op_check_amplification_limit(cnx, path);
  if (cap > amp)
    cap = (size_t)amp;
  if (cap < PQ_MIN_PACKET_ROOM)
    return 0;
  /* What the congestion window and pacing allow for in-flight frames. */
  uint64_t cc = pq_op_cc_available(cnx, path);
  uint64_t pace = pq_op_pacing_next_send_time(cnx, path, cap, now);
  if (pq_op_failed(cc))
    return cc;
  /* A packet may go while bytes in flight are below the window, even if it
   * overshoots by one packet (RFC 9002 7). */
  int cc_blocked = cc == 0 || pace > now;

  pq_opkt pk[PQ_EPOCH_COUNT];
  int n = 0, has_initial = 0, eliciting_initial = 0;
  uint8_t *p = buf;
  size_t left = cap;
  for (int e = 0; e < PQ_EPOCH_COUNT && left >= PQ_MIN_PACKET_ROOM; e++) {
    if (!space_wants_send(cnx, e, now))
      continue;
    pq_opkt *o = &pk[n];
    if (opkt_begin(cnx, o, path, e, p, left, now))
      break;
    pq_space *sp = &cnx->spaces[e];
    o->is_probe = sp->probe_pending != 0;
    o->ack_only_ok = cc_blocked && !o->is_probe;
    uint64_t rc = pq_op_prepare_packet(cnx, o);
    if (rc != 0 || o->w.p > o->w.end) {
      pq_sent_free(o->sp);
      if (pq_op_failed(rc))
        return rc;
      continue;
    }
    if (pq_op_failed(pq_op_pad_packet(cnx, o))) {
      pq_sent_free(o->sp);
      continue;
    }
    size_t len = (size_t)(o->w.p - o->start) + PQ_AEAD_TAG;
    has_initial |= e == PQ_EPOCH_INITIAL;
    eliciting_initial |= e == PQ_EPOCH_INITIAL && o->ack_eliciting;
    p += len;
    left -= len;
    n++;
  }
  if (n == 0)
    return 0;
  /* Datagrams with a client Initial, or a server's ack-eliciting Initial,
   * are padded to 1200 bytes (RFC 9000 14.1), in the last packet. */
  size_t total = (size_t)(p - buf);
  if (has_initial && (!cnx->is_server || eliciting_initial) && total < PQ_MIN_INITIAL_DATAGRAM) {
    pq_opkt *last = &pk[n - 1];
    size_t pad = PQ_MIN_INITIAL_DATAGRAM - total;
    if (pad <= pq_wbuf_left(&last->w)) {
      memset(last->w.p, 0, pad);
      last->w.p += pad;
      last->in_flight = 1;
      total += pad;
    }
  }
  /* Protect and record each packet. */
  size_t off = 0;
  for (int i = 0; i < n; i++) {
    pq_opkt *o = &pk[i];
    size_t len = (size_t)(o->w.p - o->start) + PQ_AEAD_TAG;
    uint64_t rc = pq_op_finalize_packet(cnx, o);
    if (rc) {
      for (int j = i; j < n; j++)
        pq_sent_free(pk[j].sp);
      out[0] = off;
      return pq_op_failed(rc) ? rc : 0;
    }
    on_sent(cnx, o, len, now);
    off += len;
    if (!cnx->is_server && o->epoch == PQ_EPOCH_HANDSHAKE &&
        !cnx->spaces[PQ_EPOCH_INITIAL].discarded)
      (void)pq_op_discard_epoch(cnx, PQ_EPOCH_INITIAL, now); /* RFC 9001 4.9.1 */
  }
  path->bytes_sent += total;
  cnx->stats.bytes_sent += total;
  if (pq_cnx_closing(cnx)) {
    cnx->close_pending = 0; /* sent: again only in answer to the peer */
    cnx->close_sent_time = now;
  }
  out[0] = total;
  return 0;
}
PQ_OP_ADAPTER(prepare_datagram)

static int cnx_output(pq_cnx *cnx, uint64_t now, uint8_t *buf, size_t cap, pquic_send_info *info) {
  cnx->now = now;
  pq_cnx_run_timers(cnx, now);
  if (cnx->state == PQ_CNX_CLOSED || cnx->state == PQ_CNX_DRAINING || cnx->op.fault)
    return 0;
  /* Path probes on other paths go first, one datagram at a time. */
  pq_path *path = cnx->handshake_confirmed ? pq_path_probe_pending(cnx) : NULL;
  if (path) {
    uint64_t out[1] = {0};
    cnx->probe_only = 1;
    cnx->batch_ecn = pq_ecn_mark(cnx, path, now) ? PQUIC_ECN_ECT0 : PQUIC_ECN_NOT_ECT;
    uint64_t rc = pq_op_prepare_datagram(cnx, path, buf, cap < path->max_udp_payload ? cap : path->max_udp_payload, now, out);
    cnx->probe_only = 0;
    if (!pq_op_failed(rc) && out[0] > 0 && out[0] <= cap) {
      memset(info, 0, sizeof *info);
      info->local = path->local;
      info->remote = path->remote;
      info->segment_size = (size_t)out[0];
      info->count = 1;
      info->ecn = cnx->batch_ecn;
      return (int)out[0];
    }
  }
  uint64_t pv = pq_op_select_sending_path(cnx, now);
  path = (pq_path *)(uintptr_t)pv;
  if (pq_op_failed(pv) || !path)
    return 0;
  /* A PMTU probe, alone in its datagram, when the window has room. */
  uint64_t probe = pq_op_pmtu_probe_size(cnx, path, now);
  if (probe && !pq_op_failed(probe) && probe <= cap && probe <= 65527 &&
      pq_op_cc_available(cnx, path) >= probe) {
    uint64_t out[1] = {0};
    cnx->mtu_probe = 1;
    cnx->batch_ecn = pq_ecn_mark(cnx, path, now) ? PQUIC_ECN_ECT0 : PQUIC_ECN_NOT_ECT;
    uint64_t rc = pq_op_prepare_datagram(cnx, path, buf, (size_t)probe, now, out);
    cnx->mtu_probe = 0;
    if (!pq_op_failed(rc) && out[0] == probe) {
      memset(info, 0, sizeof *info);
      info->local = path->local;
      info->remote = path->remote;
      info->segment_size = (size_t)out[0];
      info->count = 1;
      info->ecn = cnx->batch_ecn;
      return (int)out[0];
    }
  }
  size_t seg = path->max_udp_payload;
  cnx->batch_ecn = pq_ecn_mark(cnx, path, now) ? PQUIC_ECN_ECT0 : PQUIC_ECN_NOT_ECT;
  uint32_t max_segs = cnx->ep->cfg.settings.max_gso_segments;
  size_t total = 0, first = 0, count = 0;
  while (count < (max_segs ? max_segs : 1)) {
    size_t room = cap - total;
    size_t want = first ? first : seg;
    if (room < want)
      break;
    uint64_t out[1] = {0};
    uint64_t rc = pq_op_prepare_datagram(cnx, path, buf + total, want, now, out);
    if (pq_op_failed(rc) || out[0] == 0 || out[0] > want)
      break;
    if (!first)
      first = (size_t)out[0];
    total += (size_t)out[0];
    count++;
    if (out[0] < first || pq_cnx_closing(cnx))
      break; /* a shorter datagram ends a GSO batch */
  }
  if (count == 0)
    return 0;
  memset(info, 0, sizeof *info);
  info->local = path->local;
  info->remote = path->remote;
  info->segment_size = first;
  info->count = count;
  info->ecn = cnx->batch_ecn;
  return (int)total;
}

/* A connection that asks to send now but produces nothing (an allocation
 * that keeps failing, a pluglet that writes nothing) would have its caller
 * spin on output and next_wake: sending is then put off, 1 ms doubling up
 * to 64 ms, until a datagram goes out. Timers are not put off. */
#define SEND_BACKOFF_MIN_US 1000
#define SEND_BACKOFF_MAX_US 64000

int pq_cnx_output(pq_cnx *cnx, uint64_t now, uint8_t *buf, size_t cap, pquic_send_info *info) {
  int n = cnx_output(cnx, now, buf, cap, info);
  if (n > 0) {
    cnx->send_backoff = 0;
    cnx->send_not_before = 0;
  } else if (n == 0 && cnx->state != PQ_CNX_CLOSED && !cnx->op.fault &&
             pq_op_next_wake_time(cnx) <= now) {
    uint64_t b = cnx->send_backoff ? cnx->send_backoff * 2 : SEND_BACKOFF_MIN_US;
    cnx->send_backoff = b < SEND_BACKOFF_MAX_US ? b : SEND_BACKOFF_MAX_US;
    cnx->send_not_before = now + cnx->send_backoff;
  }
  return n;
}

PQ_OP_DEFAULTS(packet_out, PQ_OP_DEFAULT(select_packet_epoch), PQ_OP_DEFAULT(select_sending_path),
               PQ_OP_DEFAULT(get_destination_cid), PQ_OP_DEFAULT(compute_spin_bit),
               PQ_OP_DEFAULT(predict_header_length), PQ_OP_DEFAULT(write_packet_header),
               PQ_OP_DEFAULT(check_amplification_limit), PQ_OP_DEFAULT(write_crypto_frame),
               PQ_OP_DEFAULT(write_plugin_frames), PQ_OP_DEFAULT(schedule_frames),
               PQ_OP_DEFAULT(prepare_packet), PQ_OP_DEFAULT(pad_packet),
               PQ_OP_DEFAULT(finalize_packet), PQ_OP_DEFAULT(prepare_datagram))
