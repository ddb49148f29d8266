/* org.pquic.monitoring (see manifest and monitoring_report.h).
 *
 * Counters the core does not keep, or keeps differently, are recorded by
 * observers of the operations that change them, at the points where the
 * core counts its own statistics, so both agree exactly at any report:
 * packets received (and out of order) when a decrypted packet's frames
 * are about to be processed, losses and retransmissions when declared,
 * spurious losses, window samples, streams, the handshake and the
 * closing. Packets and bytes sent, bytes received, RTT, window, flight
 * and stream bytes are read from the connection when a report is built:
 * an observer of every packet sent or datagram received would cost a
 * pluglet run per packet for a count the core already keeps (the
 * receiver's per-packet observer is the plugin's main cost). Reports are
 * pushed only from points outside the building of a datagram, where the
 * core's per-datagram byte count is settled. */
#include "pquic_plugin.h"

#include "monitoring_report.h"

#define STATE_ID 1
#define EPOCHS 3

/* The first step of the closing (connection_state_changed). */
#define STEP_NONE 0
#define STEP_CLOSING 2
#define STEP_DRAINING 3
#define STEP_CLOSED 4

typedef struct mon_state {
  uint64_t v[MON_FIELDS];    /* indicators; snapshot ones refreshed per report */
  uint64_t largest[EPOCHS];  /* largest packet number received + 1, per space */
  uint64_t interval_us;      /* periodic reports, 0: none */
  uint64_t next_periodic_us; /* due time of the next one */
  uint64_t frame_type;       /* of the transport error we detected */
  uint32_t seq;              /* reports pushed */
  uint8_t hs_done, close_step, local_error;
  uint8_t cid[MON_CID_MAX];
  uint8_t buf[MON_REPORT_LEN];
} mon_state;

static mon_state *state(void) {
  return pl_get_opaque_data(STATE_ID, sizeof(mon_state));
}

static void put32(uint8_t *p, uint64_t v) {
  for (int i = 3; i >= 0; i--) {
    p[i] = (uint8_t)v;
    v >>= 8;
  }
}

static void put64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--) {
    p[i] = (uint8_t)v;
    v >>= 8;
  }
}

/* Reads the figures kept by the core (packets and bytes sent, the path in
 * use, stream bytes) into v. */
static void snapshot(mon_state *s) {
  uint64_t *v = s->v;
  v[MON_F_PACKETS_SENT] = pl_get_cnx(PQF_CNX_PACKETS_SENT);
  v[MON_F_BYTES_SENT] = pl_get_cnx(PQF_CNX_BYTES_SENT);
  v[MON_F_BYTES_RECEIVED] = pl_get_cnx(PQF_CNX_BYTES_RECEIVED);
  uint64_t path = pl_get_cnx(PQF_CNX_ACTIVE_PATH);
  v[MON_F_RTT_MIN_US] = pl_get_path(path, PQF_PATH_MIN_RTT);
  v[MON_F_RTT_SMOOTHED_US] = pl_get_path(path, PQF_PATH_SMOOTHED_RTT);
  v[MON_F_RTT_VAR_US] = pl_get_path(path, PQF_PATH_RTTVAR);
  v[MON_F_RTT_LATEST_US] = pl_get_path(path, PQF_PATH_LATEST_RTT);
  v[MON_F_CWND] = pl_get_path(path, PQF_PATH_CWND);
  v[MON_F_SSTHRESH] = pl_get_path(path, PQF_PATH_SSTHRESH);
  v[MON_F_BYTES_IN_FLIGHT] = pl_get_path(path, PQF_PATH_BYTES_IN_FLIGHT);
  v[MON_F_STREAM_BYTES_SENT] = pl_get_cnx(PQF_CNX_STREAM_BYTES_SENT);
  v[MON_F_STREAM_BYTES_RECEIVED] = pl_get_cnx(PQF_CNX_STREAM_BYTES_RECEIVED);
  v[MON_F_VERSION] = pl_get_cnx(PQF_CNX_VERSION);
  v[MON_F_DROPPED] = pl_get_cnx(PQF_CNX_PACKETS_DROPPED);
}

/* Builds and pushes one report; flags beyond role, handshake and cid come
 * from the caller. Returns push_message's value. */
static uint64_t report(mon_state *s, uint64_t kind, uint64_t flags) {
  uint64_t created = pl_get_cnx(PQF_CNX_CREATED);
  snapshot(s);
  s->v[MON_F_UPTIME_US] = pl_now() - created;
  uint64_t server = pl_get_cnx(PQF_CNX_IS_SERVER);
  if (server)
    flags |= MON_FLAG_SERVER;
  if (s->hs_done)
    flags |= MON_FLAG_HANDSHAKE_DONE;
  /* The client's Initial SCID names the connection alike on both ends. */
  uint64_t cid_len =
      pl_get_cid(server ? PL_CID_PEER_INITIAL : PL_CID_LOCAL_INITIAL, s->cid, MON_CID_MAX);
  if (cid_len > MON_CID_MAX)
    cid_len = 0;
  if (cid_len)
    flags |= MON_FLAG_CID;
  uint8_t *b = s->buf;
  b[0] = MON_MAGIC0;
  b[1] = MON_MAGIC1;
  b[2] = MON_MAGIC2;
  b[3] = MON_MAGIC3;
  b[MON_OFF_VERSION] = MON_VERSION;
  b[MON_OFF_KIND] = (uint8_t)kind;
  b[MON_OFF_FLAGS] = (uint8_t)flags;
  b[MON_OFF_CID_LEN] = (uint8_t)cid_len;
  for (uint64_t i = 0; i < MON_CID_MAX; i++)
    b[MON_OFF_CID + i] = i < cid_len ? s->cid[i] : 0;
  put32(b + MON_OFF_SEQ, s->seq);
  put64(b + MON_OFF_CREATED, created);
  b[MON_OFF_NFIELDS] = 0;
  b[MON_OFF_NFIELDS + 1] = MON_FIELDS;
  b[MON_OFF_RESERVED] = 0;
  b[MON_OFF_RESERVED + 1] = 0;
  for (int i = 0; i < MON_FIELDS; i++)
    put64(b + MON_HEADER_LEN + 8 * i, s->v[i]);
  s->seq++;
  return pl_push_message(b, MON_REPORT_LEN);
}

/* process_packet_payload(pkt): a decrypted, new packet. Also where
 * periodic reports are sent (outside any datagram being built). */
PLUGLET(mon_packet_in) {
  mon_state *s = state();
  if (!s)
    return 0;
  s->v[MON_F_PACKETS_RECEIVED]++;
  uint64_t epoch = pl_get_pkt(args->in[0], PQF_PKT_EPOCH);
  uint64_t next = pl_get_pkt(args->in[0], PQF_PKT_PN) + 1;
  if (epoch < EPOCHS) {
    if (next < s->largest[epoch])
      s->v[MON_F_OUT_OF_ORDER]++;
    else
      s->largest[epoch] = next;
  }
  if (s->interval_us && s->hs_done) {
    uint64_t now = pl_now();
    if (now >= s->next_periodic_us) {
      s->next_periodic_us = now + s->interval_us;
      report(s, MON_KIND_PERIODIC, 0);
    }
  }
  return 0;
}

/* packet_lost(sent): frames of an ack-eliciting packet are sent again */
PLUGLET(mon_packet_lost) {
  mon_state *s = state();
  if (s) {
    s->v[MON_F_LOST]++;
    if (pl_get_sent(args->in[0], PQF_SENT_FLAGS) & 1)
      s->v[MON_F_RETRANSMITTED]++;
  }
  return 0;
}

/* spurious_loss(sent) */
PLUGLET(mon_spurious) {
  mon_state *s = state();
  if (s)
    s->v[MON_F_SPURIOUS]++;
  return 0;
}

/* cwnd_updated(path) */
PLUGLET(mon_cwnd) {
  mon_state *s = state();
  if (!s)
    return 0;
  uint64_t cwnd = pl_get_path(args->in[0], PQF_PATH_CWND);
  uint64_t *v = s->v;
  if (!v[MON_F_CWND_UPDATES] || cwnd < v[MON_F_CWND_MIN])
    v[MON_F_CWND_MIN] = cwnd;
  if (cwnd > v[MON_F_CWND_MAX])
    v[MON_F_CWND_MAX] = cwnd;
  v[MON_F_CWND_UPDATES]++;
  return 0;
}

/* stream_opened(stream) */
PLUGLET(mon_stream_opened) {
  mon_state *s = state();
  if (s)
    s->v[MON_F_STREAMS_OPENED]++;
  return 0;
}

/* handshake_completed(now) */
PLUGLET(mon_handshake) {
  mon_state *s = state();
  if (!s || s->hs_done)
    return 0;
  s->hs_done = 1;
  s->v[MON_F_HANDSHAKE_US] = args->in[0] - pl_get_cnx(PQF_CNX_CREATED);
  s->next_periodic_us = args->in[0] + s->interval_us;
  report(s, MON_KIND_HANDSHAKE, 0);
  return 0;
}

/* connection_error(wire_error, frame_type, reason): we found an error */
PLUGLET(mon_error) {
  mon_state *s = state();
  if (s && s->close_step == STEP_NONE && !s->local_error) {
    s->local_error = 1;
    s->frame_type = args->in[1];
  }
  return 0;
}

/* connection_state_changed(from, to) */
PLUGLET(mon_state_changed) {
  mon_state *s = state();
  uint64_t to = args->in[1];
  if (s && s->close_step == STEP_NONE && to >= STEP_CLOSING && to <= STEP_CLOSED)
    s->close_step = (uint8_t)to;
  return 0;
}

/* connection_closed(wire_error, by_peer): the final report */
PLUGLET(mon_closed) {
  mon_state *s = state();
  if (!s)
    return 0;
  uint64_t by_peer = args->in[1];
  uint64_t kind;
  if (s->close_step == STEP_CLOSING)
    kind = s->local_error ? MON_CLOSE_TRANSPORT : MON_CLOSE_APPLICATION;
  else if (s->close_step == STEP_DRAINING)
    kind = MON_CLOSE_PEER;
  else if (by_peer)
    kind = MON_CLOSE_RESET;
  else
    kind = s->hs_done ? MON_CLOSE_IDLE : MON_CLOSE_HANDSHAKE;
  s->v[MON_F_CLOSE_KIND] = kind;
  s->v[MON_F_ERROR_CODE] = args->in[0];
  s->v[MON_F_FRAME_TYPE] = kind == MON_CLOSE_TRANSPORT ? s->frame_type : 0;
  report(s, MON_KIND_CLOSE, by_peer ? MON_FLAG_CLOSED_BY_PEER : 0);
  return 0;
}

/* monitoring_configure(interval_us): periodic reports every interval_us
 * after the handshake (0: none). Returns 0. */
PLUGLET(mon_configure) {
  mon_state *s = state();
  if (!s)
    return 1;
  s->interval_us = args->in[0];
  s->next_periodic_us = pl_now() + s->interval_us;
  return 0;
}

/* monitoring_report(): pushes a report now. Returns push_message's value
 * (0 when delivered). */
PLUGLET(mon_report_now) {
  mon_state *s = state();
  if (!s)
    return 1;
  return report(s, MON_KIND_REQUEST, 0);
}
