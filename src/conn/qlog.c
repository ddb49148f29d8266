/*
 * qlog (draft-ietf-quic-qlog-main-schema, -quic-events) as a built-in
 * observer: post-anchor pluglets on the event operations write one JSON-SEQ
 * record per event. The core makes no qlog call of its own; a connection
 * without qlog keeps the shared operation table and pays nothing.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "conn/cnx_internal.h"
#include "conn/packet.h"
#include "conn/qlog.h"
#include "wire/tp.h"

struct pq_qlog {
  FILE *f;
  uint64_t start;
};

static const char *pkt_type_name(int type) {
  switch (type) {
  case PQ_PKT_INITIAL:
    return "initial";
  case PQ_PKT_0RTT:
    return "0RTT";
  case PQ_PKT_HANDSHAKE:
    return "handshake";
  case PQ_PKT_RETRY:
    return "retry";
  case PQ_PKT_VN:
    return "version_negotiation";
  default:
    return "1RTT";
  }
}

static const char *sent_type_name(const pq_sent_pkt *sp) {
  if (sp->epoch == PQ_EPOCH_INITIAL)
    return "initial";
  if (sp->epoch == PQ_EPOCH_HANDSHAKE)
    return "handshake";
  return sp->level == PQ_CRYPTO_LEVEL_0RTT ? "0RTT" : "1RTT";
}

static void hex(FILE *f, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%02x", p[i]);
}

/* Starts a record: RS, time in ms since the connection began, name. */
static FILE *begin(pq_cnx *cnx, const char *name) {
  pq_qlog *q = cnx->qlog;
  if (!q || !q->f)
    return NULL;
  uint64_t t = cnx->now > q->start ? cnx->now - q->start : 0;
  fprintf(q->f, "\x1e{\"time\":%" PRIu64 ".%03" PRIu64 ",\"name\":\"%s\",\"data\":{", t / 1000,
          t % 1000, name);
  return q->f;
}

static void end(FILE *f) { fputs("}}\n", f); }

/* One frame of a received packet, as qlog's QuicFrame. */
static void frame_json(FILE *f, const pq_frame *fr) {
  uint64_t t = fr->type;
  if (pq_frame_is_stream(t)) {
    fprintf(f, "{\"frame_type\":\"stream\",\"stream_id\":%" PRIu64 ",\"offset\":%" PRIu64
               ",\"length\":%zu,\"fin\":%s}",
            fr->u.stream.stream_id, fr->u.stream.offset, fr->u.stream.len,
            fr->u.stream.fin ? "true" : "false");
    return;
  }
  switch (t) {
  case PQ_FT_PADDING:
    fprintf(f, "{\"frame_type\":\"padding\",\"raw\":{\"payload_length\":%zu}}", fr->u.padding.len);
    return;
  case PQ_FT_PING:
    fputs("{\"frame_type\":\"ping\"}", f);
    return;
  case PQ_FT_ACK:
  case PQ_FT_ACK_ECN: {
    fputs("{\"frame_type\":\"ack\",\"acked_ranges\":[", f);
    pq_ack_iter it;
    pq_ack_iter_init(&it, &fr->u.ack);
    uint64_t lo, hi;
    int first = 1;
    while (pq_ack_iter_next(&it, &lo, &hi)) {
      if (lo == hi)
        fprintf(f, "%s[%" PRIu64 "]", first ? "" : ",", lo);
      else
        fprintf(f, "%s[%" PRIu64 ",%" PRIu64 "]", first ? "" : ",", lo, hi);
      first = 0;
    }
    fputs("]}", f);
    return;
  }
  case PQ_FT_CRYPTO:
    fprintf(f, "{\"frame_type\":\"crypto\",\"offset\":%" PRIu64 ",\"length\":%zu}",
            fr->u.crypto.offset, fr->u.crypto.len);
    return;
  case PQ_FT_MAX_DATA:
    fprintf(f, "{\"frame_type\":\"max_data\",\"maximum\":%" PRIu64 "}", fr->u.max_data.max);
    return;
  case PQ_FT_MAX_STREAM_DATA:
    fprintf(f, "{\"frame_type\":\"max_stream_data\",\"stream_id\":%" PRIu64 ",\"maximum\":%" PRIu64 "}",
            fr->u.max_stream_data.stream_id, fr->u.max_stream_data.max);
    return;
  case PQ_FT_CONNECTION_CLOSE:
  case PQ_FT_CONNECTION_CLOSE_APP:
    fprintf(f, "{\"frame_type\":\"connection_close\",\"error_space\":\"%s\",\"error_code\":%" PRIu64 "}",
            t == PQ_FT_CONNECTION_CLOSE ? "transport" : "application", fr->u.close.error_code);
    return;
  default: {
    const pq_frame_info *info = pq_frame_info_get(t);
    char name[40] = "unknown";
    if (info) {
      size_t i = 0;
      for (; i < sizeof name - 1 && info->name[i]; i++)
        name[i] = (char)(info->name[i] >= 'A' && info->name[i] <= 'Z' ? info->name[i] + 32
                                                                      : info->name[i]);
      name[i] = '\0';
    }
    fprintf(f, "{\"frame_type\":\"%s\"}", name);
    return;
  }
  }
}

static uint64_t on_packet_received(pq_cnx *cnx, pquic_op_args *a, void *u) {
  (void)u;
  const pq_pkt *pkt = (const pq_pkt *)(uintptr_t)a->in[0];
  FILE *f = begin(cnx, "quic:packet_received");
  if (!f)
    return 0;
  fprintf(f, "\"header\":{\"packet_type\":\"%s\",\"packet_number\":%" PRIu64, pkt_type_name(pkt->h.type),
          pkt->pn);
  if (pkt->h.type != PQ_PKT_1RTT) {
    fputs(",\"scid\":\"", f);
    hex(f, pkt->h.scid, pkt->h.scid_len);
    fputs("\"", f);
  }
  fputs(",\"dcid\":\"", f);
  hex(f, pkt->h.dcid, pkt->h.dcid_len);
  fprintf(f, "\"},\"raw\":{\"length\":%zu},\"frames\":[", pkt->h.len);
  /* The decrypted payload is still in place: list its frames. */
  pq_rbuf r = pq_rbuf_make(pkt->payload, pkt->payload_len);
  int first = 1;
  while (pq_rbuf_left(&r)) {
    pq_frame fr;
    if (pq_frame_decode(&r, &fr, NULL))
      break;
    if (!first)
      fputc(',', f);
    frame_json(f, &fr);
    first = 0;
  }
  fputc(']', f);
  end(f);
  return 0;
}

static void sent_frame_json(FILE *f, const pq_sent_frame *sf) {
  if (sf->type == PQ_FT_STREAM) {
    fprintf(f, "{\"frame_type\":\"stream\",\"stream_id\":%" PRIu64 ",\"offset\":%" PRIu64
               ",\"length\":%u,\"fin\":%s}",
            sf->u.stream.id, sf->u.stream.offset, sf->u.stream.len, sf->u.stream.fin ? "true" : "false");
  } else if (sf->type == PQ_FT_CRYPTO) {
    fprintf(f, "{\"frame_type\":\"crypto\",\"offset\":%" PRIu64 ",\"length\":%u}", sf->u.crypto.offset,
            sf->u.crypto.len);
  } else if (sf->type == PQ_FT_ACK) {
    fprintf(f, "{\"frame_type\":\"ack\",\"acked_ranges\":[[0,%" PRIu64 "]]}", sf->u.ack.largest);
  } else {
    pq_frame fr;
    memset(&fr, 0, sizeof fr);
    fr.type = sf->type;
    if (sf->type == PQ_FT_MAX_DATA)
      fr.u.max_data.max = sf->u.value;
    else if (sf->type == PQ_FT_MAX_STREAM_DATA) {
      fr.u.max_stream_data.stream_id = sf->u.sv.id;
      fr.u.max_stream_data.max = sf->u.sv.value;
    }
    frame_json(f, &fr);
  }
}

static uint64_t on_packet_sent(pq_cnx *cnx, pquic_op_args *a, void *u) {
  (void)u;
  const pq_sent_pkt *sp = (const pq_sent_pkt *)(uintptr_t)a->in[0];
  FILE *f = begin(cnx, "quic:packet_sent");
  if (!f)
    return 0;
  fprintf(f, "\"header\":{\"packet_type\":\"%s\",\"packet_number\":%" PRIu64 "},\"raw\":{\"length\":%u},\"frames\":[",
          sent_type_name(sp), sp->pn, sp->size);
  for (uint16_t i = 0; i < sp->n_frames; i++) {
    if (i)
      fputc(',', f);
    sent_frame_json(f, &sp->frames[i]);
  }
  fputc(']', f);
  if (sp->flags & PQ_SENT_PROBE)
    fputs(",\"trigger\":\"pto_probe\"", f);
  end(f);
  return 0;
}

static uint64_t on_packet_lost(pq_cnx *cnx, pquic_op_args *a, void *u) {
  (void)u;
  const pq_sent_pkt *sp = (const pq_sent_pkt *)(uintptr_t)a->in[0];
  FILE *f = begin(cnx, "quic:packet_lost");
  if (!f)
    return 0;
  fprintf(f, "\"header\":{\"packet_type\":\"%s\",\"packet_number\":%" PRIu64 "}", sent_type_name(sp),
          sp->pn);
  end(f);
  return 0;
}

static uint64_t on_metrics(pq_cnx *cnx, pquic_op_args *a, void *u) {
  (void)u;
  const pq_path *p = (const pq_path *)(uintptr_t)a->in[0];
  FILE *f = begin(cnx, "quic:recovery_metrics_updated");
  if (!f)
    return 0;
  fprintf(f,
          "\"min_rtt\":%.3f,\"smoothed_rtt\":%.3f,\"latest_rtt\":%.3f,\"rtt_variance\":%.3f,"
          "\"pto_count\":%u,\"congestion_window\":%" PRIu64 ",\"bytes_in_flight\":%" PRIu64,
          (double)p->min_rtt / 1000, (double)p->smoothed_rtt / 1000, (double)p->latest_rtt / 1000,
          (double)p->rttvar / 1000, cnx->pto_count, p->cwnd, p->bytes_in_flight);
  if (p->ssthresh != UINT64_MAX)
    fprintf(f, ",\"ssthresh\":%" PRIu64, p->ssthresh);
  end(f);
  return 0;
}

static const char *state_name(uint64_t s) {
  switch (s) {
  case PQ_CNX_HANDSHAKE:
    return "attempted";
  case PQ_CNX_ACTIVE:
    return "handshake_complete";
  case PQ_CNX_CLOSING:
    return "closing";
  case PQ_CNX_DRAINING:
    return "draining";
  default:
    return "closed";
  }
}

static uint64_t on_state(pq_cnx *cnx, pquic_op_args *a, void *u) {
  (void)u;
  FILE *f = begin(cnx, "quic:connection_state_updated");
  if (!f)
    return 0;
  fprintf(f, "\"old\":\"%s\",\"new\":\"%s\"", state_name(a->in[0]), state_name(a->in[1]));
  end(f);
  return 0;
}

static uint64_t on_closed(pq_cnx *cnx, pquic_op_args *a, void *u) {
  (void)u;
  FILE *f = begin(cnx, "quic:connection_closed");
  if (!f)
    return 0;
  fprintf(f, "\"owner\":\"%s\",\"%s\":%" PRIu64 ",\"reason\":\"", a->in[1] ? "remote" : "local",
          cnx->close_is_app ? "application_code" : "connection_code", a->in[0]);
  for (const char *c = cnx->close_reason; *c; c++)
    fputc(*c == '"' || *c == '\\' ? '\'' : *c, f);
  fputc('"', f);
  end(f);
  return 0;
}

static uint64_t on_params(pq_cnx *cnx, pquic_op_args *a, void *u) {
  (void)u;
  const pq_tp *tp = (const pq_tp *)(uintptr_t)a->in[0];
  FILE *f = begin(cnx, "quic:parameters_set");
  if (!f)
    return 0;
  fprintf(f,
          "\"owner\":\"remote\",\"max_idle_timeout\":%" PRIu64 ",\"max_udp_payload_size\":%" PRIu64
          ",\"initial_max_data\":%" PRIu64 ",\"initial_max_stream_data_bidi_local\":%" PRIu64
          ",\"initial_max_stream_data_bidi_remote\":%" PRIu64 ",\"initial_max_stream_data_uni\":%" PRIu64
          ",\"initial_max_streams_bidi\":%" PRIu64 ",\"initial_max_streams_uni\":%" PRIu64
          ",\"ack_delay_exponent\":%" PRIu64 ",\"max_ack_delay\":%" PRIu64
          ",\"active_connection_id_limit\":%" PRIu64,
          tp->max_idle_timeout, tp->max_udp_payload_size, tp->initial_max_data,
          tp->initial_max_stream_data_bidi_local, tp->initial_max_stream_data_bidi_remote,
          tp->initial_max_stream_data_uni, tp->initial_max_streams_bidi, tp->initial_max_streams_uni,
          tp->ack_delay_exponent, tp->max_ack_delay, tp->active_connection_id_limit);
  end(f);
  return 0;
}

int pq_qlog_attach(pq_cnx *cnx, const char *dir) {
  char path[512];
  char id[2 * PQ_MAX_CID_LEN + 1];
  for (size_t i = 0; i < cnx->odcid.len; i++)
    snprintf(id + 2 * i, 3, "%02x", cnx->odcid.id[i]);
  id[2 * cnx->odcid.len] = '\0';
  if (snprintf(path, sizeof path, "%s/%s_%s.sqlog", dir, id, cnx->is_server ? "server" : "client") >=
      (int)sizeof path)
    return PQUIC_ERR_INVAL;
  pq_qlog *q = pq_calloc(1, sizeof *q);
  if (!q)
    return PQUIC_ERR_NOMEM;
  q->f = fopen(path, "w");
  if (!q->f) {
    pq_free(q);
    return PQUIC_ERR_IO;
  }
  q->start = cnx->now;
  setvbuf(q->f, NULL, _IOFBF, 1 << 16);
  fprintf(q->f,
          "\x1e{\"file_schema\":\"urn:ietf:params:qlog:file:sequential\","
          "\"serialization_format\":\"application/qlog+json-seq\",\"title\":\"pquic %s\","
          "\"trace\":{\"vantage_point\":{\"name\":\"pquic\",\"type\":\"%s\"},"
          "\"common_fields\":{\"group_id\":\"%s\",\"time_format\":\"relative_to_epoch\","
          "\"reference_time\":{\"clock_type\":\"monotonic\",\"epoch\":\"unknown\"}},"
          "\"event_schemas\":[\"urn:ietf:params:qlog:events:quic\"]}}\n",
          cnx->is_server ? "server" : "client", cnx->is_server ? "server" : "client", id);
  cnx->qlog = q;
  pq_op_attach hooks[] = {
      {PQ_OP_packet_received, 0, 0, PQUIC_ANCHOR_POST, on_packet_received, NULL},
      {PQ_OP_packet_sent, 0, 0, PQUIC_ANCHOR_POST, on_packet_sent, NULL},
      {PQ_OP_packet_lost, 0, 0, PQUIC_ANCHOR_POST, on_packet_lost, NULL},
      {PQ_OP_rtt_updated, 0, 0, PQUIC_ANCHOR_POST, on_metrics, NULL},
      {PQ_OP_cwnd_updated, 0, 0, PQUIC_ANCHOR_POST, on_metrics, NULL},
      {PQ_OP_connection_state_changed, 0, 0, PQUIC_ANCHOR_POST, on_state, NULL},
      {PQ_OP_connection_closed, 0, 0, PQUIC_ANCHOR_POST, on_closed, NULL},
      {PQ_OP_apply_peer_transport_parameters, 0, 0, PQUIC_ANCHOR_POST, on_params, NULL},
  };
  int rc = pq_op_attach_group(&cnx->op, hooks, sizeof hooks / sizeof hooks[0],
                              ++cnx->op.next_owner, NULL);
  if (rc) {
    pq_qlog_close(cnx);
    return rc;
  }
  return 0;
}

void pq_qlog_close(pq_cnx *cnx) {
  pq_qlog *q = cnx->qlog;
  if (!q)
    return;
  if (q->f)
    fclose(q->f);
  pq_free(q);
  cnx->qlog = NULL;
}
