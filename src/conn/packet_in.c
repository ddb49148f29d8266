/* Receiving: a datagram into packets, a packet through header protection,
 * decryption and its frames (RFC 9000 sections 12 and 17, RFC 9001 5). */
#include <string.h>

#include "conn/cnx_internal.h"
#include "conn/frames.h"
#include "conn/opcalls.h"
#include "conn/packet.h"
#include "crypto/protect.h"
#include "wire/pn.h"

static int type_epoch(uint8_t type, uint8_t *epoch, uint8_t *level) {
  switch (type) {
  case PQ_PKT_INITIAL:
    *epoch = PQ_EPOCH_INITIAL;
    *level = PQ_CRYPTO_LEVEL_INITIAL;
    return 1;
  case PQ_PKT_0RTT:
    *epoch = PQ_EPOCH_APP;
    *level = PQ_CRYPTO_LEVEL_0RTT;
    return 1;
  case PQ_PKT_HANDSHAKE:
    *epoch = PQ_EPOCH_HANDSHAKE;
    *level = PQ_CRYPTO_LEVEL_HANDSHAKE;
    return 1;
  case PQ_PKT_1RTT:
    *epoch = PQ_EPOCH_APP;
    *level = PQ_CRYPTO_LEVEL_1RTT;
    return 1;
  default:
    return 0;
  }
}

PQ_OPIMPL uint64_t opimpl_incoming_datagram(pq_cnx *cnx, pq_path *path, const uint8_t *data,
                                            size_t len, uint64_t ecn) {
  cnx->stats.bytes_received += len;
  path->bytes_received += len;
  if (cnx->state == PQ_CNX_DRAINING || cnx->state == PQ_CNX_CLOSED)
    return 0;
  if (cnx->state == PQ_CNX_CLOSING) {
    if (len >= 21 && !(data[0] & PQ_HDR_FORM_LONG) &&
        pq_op_detect_stateless_reset(cnx, data, len) == 1) {
      pq_cnx_set_state(cnx, PQ_CNX_CLOSED); /* the peer forgot us already */
      return 0;
    }
    /* Answer with CONNECTION_CLOSE again, at exponentially decreasing
     * rates (RFC 9000 10.2.1). */
    if (++cnx->close_rx >= cnx->close_rx_next) {
      cnx->close_pending = 1;
      cnx->close_rx_next = cnx->close_rx_next ? 2 * cnx->close_rx_next : 1;
    }
    return 0;
  }
  unsigned flags = 0; /* grease_quic_bit: we do not advertise it */
  pq_dgram_iter it;
  pq_dgram_iter_init(&it, data, len, cnx->ep->cfg.settings.cid_length, flags);
  int processed = 0;
  pq_pkt pkt;
  for (;;) {
    memset(&pkt, 0, sizeof pkt);
    int rc = pq_dgram_next(&it, &pkt.h, NULL);
    if (rc <= 0)
      break;
    pkt.data = (uint8_t *)(uintptr_t)pkt.h.pkt; /* the endpoint's writable copy */
    pkt.path = path;
    pkt.ecn = (uint8_t)ecn;
    pkt.datagram_len = len;
    if (pkt.h.type == PQ_PKT_VN) {
      if (it.count == 1)
        (void)pq_op_process_version_negotiation(cnx, pkt.h.pkt, pkt.h.len);
      break;
    }
    if (pkt.h.type == PQ_PKT_RETRY) {
      (void)pq_op_process_retry(cnx, pkt.h.pkt, pkt.h.len);
      break;
    }
    if (pkt.h.type != PQ_PKT_1RTT && pkt.h.version != cnx->version) {
      /* The client's Initials in the version it started with, or the
       * server's first Initial in the version it negotiated. */
      int late_orig = cnx->is_server && pkt.h.version == cnx->orig_version &&
                      pkt.h.type == PQ_PKT_INITIAL && cnx->rkeys_orig_ok;
      int follow = !cnx->is_server && pkt.h.type == PQ_PKT_INITIAL &&
                   pq_cnx_client_follow(cnx, pkt.h.version);
      if (!late_orig && !follow) {
        cnx->stats.packets_dropped++;
        continue;
      }
    }
    if (!type_epoch(pkt.h.type, &pkt.epoch, &pkt.level))
      continue;
    uint64_t before = cnx->stats.packets_received;
    (void)pq_op_incoming_packet(cnx, &pkt);
    processed += cnx->stats.packets_received != before;
    if (pq_cnx_closing(cnx) || cnx->op.fault)
      break;
  }
  /* A datagram we could not use at all may be a stateless reset. */
  if (!processed && len >= 21 && !(data[0] & PQ_HDR_FORM_LONG) &&
      pq_op_detect_stateless_reset(cnx, data, len) == 1) {
    cnx->close_err = PQUIC_ERR_STATELESS_RESET;
    cnx->close_by_peer = 1;
    pq_cnx_set_state(cnx, PQ_CNX_CLOSED);
  }
  return 0;
}
PQ_OP_ADAPTER(incoming_datagram)

PQ_OPIMPL uint64_t opimpl_decode_packet_number(pq_cnx *cnx, uint64_t epoch, uint64_t truncated,
                                               uint64_t pn_len) {
  return pq_pn_decode(cnx->spaces[epoch].largest_recv, (uint32_t)truncated, (size_t)pn_len);
}
PQ_OP_ADAPTER(decode_packet_number)

PQ_OPIMPL uint64_t opimpl_decrypt_packet(pq_cnx *cnx, pq_pkt *pkt) {
  pq_dir_keys *k = &cnx->rkeys[pkt->level];
  if (pkt->h.type != PQ_PKT_1RTT && pkt->h.version != cnx->version && cnx->rkeys_orig_ok)
    k = &cnx->rkeys_orig;
  size_t pn_len;
  uint64_t truncated;
  int rc =
      pq_packet_remove_hp(&k->hp, pkt->data, pkt->h.len, pkt->h.pn_offset, &pn_len, &truncated);
  if (rc || pq_header_read_pn(&pkt->h, NULL))
    return (uint64_t)(int64_t)PQUIC_ERR_DECRYPT;
  uint64_t pn = pq_op_decode_packet_number(cnx, pkt->epoch, truncated, pn_len);
  if (pn > PQ_PN_MAX)
    return (uint64_t)(int64_t)PQUIC_ERR_DECRYPT;
  pq_aead *aead = &k->phase.aead;
  int next_phase = 0;
  if (pkt->level == PQ_CRYPTO_LEVEL_1RTT) {
    aead = pq_cnx_read_aead(cnx, pkt->h.key_phase, pn, &next_phase);
    if (!aead)
      return (uint64_t)(int64_t)PQUIC_ERR_DECRYPT;
  }
  size_t hdr_len = pkt->h.pn_offset + pn_len;
  size_t payload_len;
  if (pq_packet_open(aead, pkt->data, pkt->h.len, hdr_len, pn, &payload_len))
    return (uint64_t)(int64_t)PQUIC_ERR_DECRYPT;
  if (next_phase)
    pq_cnx_peer_key_update(cnx, pn);
  pkt->pn = pn;
  pkt->payload = pkt->data + hdr_len;
  pkt->payload_len = payload_len;
  return 0;
}
PQ_OP_ADAPTER(decrypt_packet)

PQ_OPIMPL uint64_t opimpl_incoming_packet(pq_cnx *cnx, pq_pkt *pkt) {
  pq_space *sp = &cnx->spaces[pkt->epoch];
  if (!cnx->rkeys_ok[pkt->level] || (sp->discarded && pkt->epoch != PQ_EPOCH_APP) ||
      (pkt->level == PQ_CRYPTO_LEVEL_0RTT && !cnx->is_server)) {
    cnx->stats.packets_dropped++;
    return 0;
  }
  uint64_t rc = pq_op_decrypt_packet(cnx, pkt);
  if (rc) {
    cnx->stats.packets_dropped++;
    return 0;
  }
  if (!cnx->is_server && !cnx->peer_cid_learned && pkt->h.type != PQ_PKT_1RTT) {
    /* The server's first packet tells us the CID to use (RFC 9000 7.2). */
    pq_cid_set(&cnx->peer_cids[0].cid, pkt->h.scid, pkt->h.scid_len);
    cnx->peer_initial_scid = cnx->peer_cids[0].cid;
    cnx->peer_cid_learned = 1;
  }
  if (pq_header_check_reserved(&pkt->h, NULL)) {
    pq_cnx_error(cnx, PQUIC_WIRE_PROTOCOL_VIOLATION, 0, "reserved header bits are not zero");
    return 0;
  }
  if (sp->largest_recv != PQ_PN_NONE && pq_ranges_contains(&sp->recv, pkt->pn)) {
    cnx->stats.packets_dropped++; /* duplicate */
    return 0;
  }
  if (cnx->is_server && pkt->epoch == PQ_EPOCH_HANDSHAKE) {
    /* A Handshake packet proves the client owns its address (RFC 9000
     * 8.1) and ends the server's use of Initial keys (RFC 9001 4.9.1). */
    pkt->path->validated = 1;
    if (!cnx->spaces[PQ_EPOCH_INITIAL].discarded)
      (void)pq_op_discard_epoch(cnx, PQ_EPOCH_INITIAL, cnx->now);
  }
  cnx->stats.packets_received++;
  (void)pq_op_process_packet_payload(cnx, pkt);
  if (pq_cnx_closing(cnx) && cnx->state != PQ_CNX_CLOSING)
    return 0;
  (void)pq_op_record_received_packet(cnx, pkt);
  pq_path_after_packet(cnx, pkt);
  (void)pq_op_update_idle_timer(cnx, cnx->now, 0);
  (void)pq_op_packet_received(cnx, pkt);
  return 0;
}
PQ_OP_ADAPTER(incoming_packet)

/* The parameter under which a frame type's operations are registered:
 * the eight STREAM types share 0x08. */
static inline uint64_t frame_param(uint64_t type) {
  return pq_frame_is_stream(type) ? PQ_FT_STREAM : type;
}

PQ_OPIMPL uint64_t opimpl_process_packet_payload(pq_cnx *cnx, pq_pkt *pkt) {
  if (pkt->payload_len == 0) {
    pq_cnx_error(cnx, PQUIC_WIRE_PROTOCOL_VIOLATION, 0, "packet without frames");
    return 0;
  }
  pq_rbuf r = pq_rbuf_make(pkt->payload, pkt->payload_len);
  uint8_t pkt_bit = pq_frame_pkt_bit((pq_pkt_type)pkt->h.type);
  while (pq_rbuf_left(&r) && !pq_cnx_closing(cnx) && !cnx->op.fault) {
    pq_rbuf peek = r;
    uint64_t type;
    if (!pq_get_varint(&peek, &type)) {
      pq_cnx_error(cnx, PQUIC_WIRE_FRAME_ENCODING_ERROR, 0, "truncated frame type");
      return 0;
    }
    uint8_t props;
    if (!pq_cnx_frame_props(cnx, type, &props)) {
      pq_cnx_error(cnx, PQUIC_WIRE_FRAME_ENCODING_ERROR, type, "unknown frame type");
      return 0;
    }
    if (!(props & pkt_bit)) {
      pq_cnx_error(cnx, PQUIC_WIRE_PROTOCOL_VIOLATION, type, "frame not allowed in this packet");
      return 0;
    }
    uint64_t out[2] = {0, 0};
    uint64_t param = frame_param(type);
    uint64_t rc = pq_op_parse_frame(cnx, param, pkt, r.p, pq_rbuf_left(&r), out);
    /* A refused call (loop, plugin fault) tears the connection down; any
     * other error, negative PQUIC_ERR_* included, is the frame's fault. */
    if (cnx->op.fault)
      return 0;
    if (rc != 0 || out[0] == 0 || out[0] > pq_rbuf_left(&r)) {
      /* The built-in parser reports which rule broke; either way it is the
       * peer's encoding error (or a plugin misbehaving on its own frame). */
      int64_t err = (int64_t)rc;
      uint64_t code = err == PQUIC_ERR_PROTOCOL_VIOLATION ? PQUIC_WIRE_PROTOCOL_VIOLATION
                                                          : PQUIC_WIRE_FRAME_ENCODING_ERROR;
      pq_cnx_error(cnx, code, type, "malformed frame");
      return 0;
    }
    r.p += out[0];
    if (props & PQ_FRAME_ACK_ELICITING)
      pkt->ack_eliciting = 1;
    if (!(props & PQ_FRAME_PROBING))
      pkt->non_probing = 1;
    rc = pq_op_process_frame(cnx, param, pkt, (void *)(uintptr_t)out[1]);
    if (pq_op_failed(rc))
      return 0;
  }
  return 0;
}
PQ_OP_ADAPTER(process_packet_payload)

PQ_OP_DEFAULTS(packet_in, PQ_OP_DEFAULT(incoming_datagram), PQ_OP_DEFAULT(decode_packet_number),
               PQ_OP_DEFAULT(decrypt_packet), PQ_OP_DEFAULT(incoming_packet),
               PQ_OP_DEFAULT(process_packet_payload))
