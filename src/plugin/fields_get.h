/* The field getters behind pl_get_* (pquic_fields.def), inline so the
 * helper wrappers (helpers.c) compile to one function per helper: range
 * and policy checks, the handle check, then a switch. */
#ifndef PQ_PLUGIN_FIELDS_GET_H
#define PQ_PLUGIN_FIELDS_GET_H

#include <netinet/in.h>

#include "conn/session.h"
#include "conn/stream.h"
#include "plugin/plugin_int.h"

/* Paths are embedded in the connection: an address check is enough. */
static inline pq_path *pq_pl_path_inline(const pq_pl_run *r, uint64_t h) {
  uintptr_t base = (uintptr_t)r->cnx->paths;
  if (h < base || (h - base) % sizeof(pq_path) != 0)
    return NULL;
  uint64_t i = (h - base) / sizeof(pq_path);
  return i < r->cnx->n_paths ? &r->cnx->paths[i] : NULL;
}

enum {
#define PQ_FIELD(obj, name, id, access, type, doc) F_##obj##_##name = id,
#include "pquic_fields.def"
#undef PQ_FIELD
};

/* X(NAME, member): the connection fields that are plain integer members of
 * pq_cnx, read as (uint64_t)cnx->member: the getter below and the JIT's
 * inline reads (fields_inline.c) both come from this list. */
#define PQ_PL_CNX_MEMBERS(X)                                                                       \
  X(IS_SERVER, is_server)                                                                          \
  X(STATE, state)                                                                                  \
  X(VERSION, version)                                                                              \
  X(HANDSHAKE_COMPLETE, handshake_complete)                                                        \
  X(HANDSHAKE_CONFIRMED, handshake_confirmed)                                                      \
  X(CREATED, created)                                                                              \
  X(N_PATHS, n_paths)                                                                              \
  X(MAX_DATA_SEND, max_data_send)                                                                  \
  X(DATA_SENT, data_sent)                                                                          \
  X(MAX_DATA_RECV, max_data_recv)                                                                  \
  X(DATA_RECV, data_recv)                                                                          \
  X(DATA_CONSUMED, data_consumed)                                                                  \
  X(RECV_WINDOW, recv_window)                                                                      \
  X(PTO_COUNT, pto_count)                                                                          \
  X(PACKET_THRESHOLD, packet_threshold)                                                            \
  X(TIME_THRESHOLD_SHIFT, time_threshold_shift)                                                    \
  X(IDLE_TIMEOUT, idle_timeout)                                                                    \
  X(PEER_MAX_ACK_DELAY, peer.max_ack_delay)                                                        \
  X(PEER_ACK_DELAY_EXPONENT, peer.ack_delay_exponent)                                              \
  X(PEER_MAX_UDP_PAYLOAD, peer.max_udp_payload)                                                    \
  X(KEY_PHASE, key_phase)                                                                          \
  X(PACKETS_SENT, stats.packets_sent)                                                              \
  X(PACKETS_RECEIVED, stats.packets_received)                                                      \
  X(PACKETS_LOST, stats.packets_lost)                                                              \
  X(BYTES_SENT, stats.bytes_sent)                                                                  \
  X(BYTES_RECEIVED, stats.bytes_received)                                                          \
  X(STREAM_BYTES_SENT, stats.stream_bytes_sent)                                                    \
  X(STREAM_BYTES_RECEIVED, stats.stream_bytes_received)                                            \
  X(NEXT_PN, spaces[PQ_EPOCH_APP].next_pn)                                                         \
  X(LARGEST_ACKED, spaces[PQ_EPOCH_APP].largest_acked)                                             \
  X(LARGEST_RECEIVED, spaces[PQ_EPOCH_APP].largest_recv)                                           \
  X(STREAMS_OPENED, stats.streams_opened)                                                          \
  X(PACKETS_DROPPED, stats.packets_dropped)

static inline __attribute__((always_inline)) uint64_t get_cnx(pq_cnx *c, uint64_t f, int *ok) {
  switch (f) {
#define X(NAME, member)                                                                            \
  case F_CNX_##NAME:                                                                               \
    return (uint64_t)c->member;
    PQ_PL_CNX_MEMBERS(X)
#undef X
  case F_CNX_ACTIVE_PATH:
    return (uint64_t)(uintptr_t)&c->paths[c->active_path];
  case F_CNX_EARLY_DATA:
    return (uint64_t)pq_session_early_state(c);
  default:
    *ok = 0;
    return 0;
  }
}

static inline uint64_t remote_port(const pq_path *p) {
  if (p->remote.ss_family == AF_INET)
    return ntohs(((const struct sockaddr_in *)(const void *)&p->remote)->sin_port);
  if (p->remote.ss_family == AF_INET6)
    return ntohs(((const struct sockaddr_in6 *)(const void *)&p->remote)->sin6_port);
  return 0;
}

/* X(NAME, member): the path fields that are plain integer members of
 * pq_path (getter below, inline reads in fields_inline.c). */
#define PQ_PL_PATH_MEMBERS(X)                                                                      \
  X(INDEX, index)                                                                                  \
  X(VALIDATED, validated)                                                                          \
  X(MAX_UDP_PAYLOAD, max_udp_payload)                                                              \
  X(HAS_RTT, has_rtt)                                                                              \
  X(LATEST_RTT, latest_rtt)                                                                        \
  X(MIN_RTT, min_rtt)                                                                              \
  X(SMOOTHED_RTT, smoothed_rtt)                                                                    \
  X(RTTVAR, rttvar)                                                                                \
  X(CWND, cwnd)                                                                                    \
  X(SSTHRESH, ssthresh)                                                                            \
  X(BYTES_IN_FLIGHT, bytes_in_flight)                                                              \
  X(RECOVERY_START, recovery_start)                                                                \
  X(BYTES_SENT, bytes_sent)                                                                        \
  X(BYTES_RECEIVED, bytes_received)                                                                \
  X(SPIN, spin)                                                                                    \
  X(ECN_STATE, ecn_state)

static inline __attribute__((always_inline)) uint64_t get_path(const pq_path *p, uint64_t f,
                                                               int *ok) {
  switch (f) {
#define X(NAME, member)                                                                            \
  case F_PATH_##NAME:                                                                              \
    return (uint64_t)p->member;
    PQ_PL_PATH_MEMBERS(X)
#undef X
  case F_PATH_REMOTE_PORT:
    return remote_port(p);
  default:
    *ok = 0;
    return 0;
  }
}

static inline __attribute__((always_inline)) uint64_t get_pkt(const pq_pkt *p, uint64_t f,
                                                              int *ok) {
  switch (f) {
  case F_PKT_TYPE:
    return p->h.type;
  case F_PKT_PN:
    return p->pn;
  case F_PKT_EPOCH:
    return p->epoch;
  case F_PKT_LEVEL:
    return p->level;
  case F_PKT_ECN:
    return p->ecn;
  case F_PKT_ACK_ELICITING:
    return p->ack_eliciting;
  case F_PKT_PAYLOAD_LEN:
    return p->payload_len;
  case F_PKT_DATAGRAM_LEN:
    return p->datagram_len;
  case F_PKT_PATH:
    return (uint64_t)(uintptr_t)p->path;
  case F_PKT_KEY_PHASE:
    return p->h.key_phase;
  case F_PKT_SPIN:
    return p->h.spin;
  default:
    *ok = 0;
    return 0;
  }
}

static inline __attribute__((always_inline)) uint64_t get_opkt(const pq_opkt *o, uint64_t f,
                                                               int *ok) {
  switch (f) {
  case F_OPKT_EPOCH:
    return o->epoch;
  case F_OPKT_LEVEL:
    return o->level;
  case F_OPKT_PN:
    return o->pn;
  case F_OPKT_ROOM:
    return pq_opkt_room(o);
  case F_OPKT_PATH:
    return (uint64_t)(uintptr_t)o->path;
  case F_OPKT_ACK_ELICITING:
    return o->ack_eliciting;
  case F_OPKT_IN_FLIGHT:
    return o->in_flight;
  case F_OPKT_IS_PROBE:
    return o->is_probe;
  case F_OPKT_PAYLOAD_LEN:
    return o->payload ? (uint64_t)(o->w.p - o->payload) : 0;
  default:
    *ok = 0;
    return 0;
  }
}

static inline __attribute__((always_inline)) uint64_t get_sent(const pq_sent_pkt *s, uint64_t f,
                                                               int *ok) {
  switch (f) {
  case F_SENT_PN:
    return s->pn;
  case F_SENT_TIME_SENT:
    return s->time_sent;
  case F_SENT_SIZE:
    return s->size;
  case F_SENT_EPOCH:
    return s->epoch;
  case F_SENT_LEVEL:
    return s->level;
  case F_SENT_FLAGS:
    return s->flags;
  case F_SENT_N_FRAMES:
    return s->n_frames;
  case F_SENT_PATH:
    return (uint64_t)(uintptr_t)s->path;
  case F_SENT_LOST_TIME:
    return s->lost_time;
  default:
    *ok = 0;
    return 0;
  }
}

static inline __attribute__((always_inline)) uint64_t get_stream(const pq_stream *s, uint64_t f,
                                                                 int *ok) {
  switch (f) {
  case F_STREAM_ID:
    return s->id;
  case F_STREAM_SEND_STATE:
    return s->send_state;
  case F_STREAM_RECV_STATE:
    return s->recv_state;
  case F_STREAM_MAX_SEND:
    return s->max_send;
  case F_STREAM_MAX_RECV:
    return s->max_recv;
  case F_STREAM_RECV_WINDOW:
    return s->recv_window;
  case F_STREAM_RESET_CODE:
    return s->reset_code;
  case F_STREAM_STOP_CODE:
    return s->stop_code;
  default:
    *ok = 0;
    return 0;
  }
}

static inline int builtin_frame(uint64_t type) {
  return pq_frame_info_get(type) != NULL;
}

static inline __attribute__((always_inline)) uint64_t get_frame(const pq_sent_frame *sf, uint64_t f,
                                                                int *ok) {
  int stream = pq_frame_is_stream(sf->type);
  int sv = sf->type == PQ_FT_RESET_STREAM || sf->type == PQ_FT_STOP_SENDING ||
           sf->type == PQ_FT_MAX_STREAM_DATA || sf->type == PQ_FT_STREAM_DATA_BLOCKED;
  switch (f) {
  case F_FRAME_TYPE:
    return sf->type;
  case F_FRAME_STREAM_ID:
    return stream ? sf->u.stream.id : sv ? sf->u.sv.id : 0;
  case F_FRAME_OFFSET:
    return stream ? sf->u.stream.offset : sf->type == PQ_FT_CRYPTO ? sf->u.crypto.offset : 0;
  case F_FRAME_LENGTH:
    return stream ? sf->u.stream.len : sf->type == PQ_FT_CRYPTO ? sf->u.crypto.len : 0;
  case F_FRAME_FIN:
    return stream ? sf->u.stream.fin : 0;
  case F_FRAME_VALUE:
    if (stream || sf->type == PQ_FT_CRYPTO || !builtin_frame(sf->type))
      return 0;
    return sv ? sf->u.sv.value : sf->u.value;
  case F_FRAME_COOKIE:
    return builtin_frame(sf->type) ? 0 : (uint64_t)(uintptr_t)sf->u.ext;
  default:
    *ok = 0;
    return 0;
  }
}

/* ---- policy ---- */

/* Denied by the host for this plugin? */
static inline int denied(const pq_pl_run *r, uint64_t field) {
  return (r->deny[(field >> 8) & 7] >> (field & 63)) & 1;
}

/* The fast path of a getter: the value with *ok set, or *ok clear (and no
 * fault) for anything unusual, which the caller hands to pq_pl_get_slow. */
static inline __attribute__((always_inline)) uint64_t
pq_pl_get_fast(const pq_pl_run *r, int obj, uint64_t handle, uint64_t field, int *ok) {
  *ok = 0;
  if ((field >> 8) != (uint64_t)obj || (field & 0xc0) || denied(r, field))
    return 0;
  *ok = 1;
  switch (obj) {
  case PQ_OBJ_CNX:
    return get_cnx(r->cnx, field, ok);
  case PQ_OBJ_PATH: {
    const pq_path *p = pq_pl_path_inline(r, handle);
    if (p)
      return get_path(p, field, ok);
    break;
  }
  case PQ_OBJ_PKT: {
    const pq_pkt *p = pq_pl_lent(r, PQ_PK_PKT, handle);
    if (p)
      return get_pkt(p, field, ok);
    break;
  }
  case PQ_OBJ_OPKT: {
    const pq_opkt *o = pq_pl_lent(r, PQ_PK_OPKT, handle);
    if (o)
      return get_opkt(o, field, ok);
    break;
  }
  case PQ_OBJ_SENT: {
    const pq_sent_pkt *sp = pq_pl_lent(r, PQ_PK_SENT, handle);
    if (sp)
      return get_sent(sp, field, ok);
    break;
  }
  case PQ_OBJ_STREAM: {
    const pq_stream *st = pq_pl_stream(r, handle);
    if (st)
      return get_stream(st, field, ok);
    break;
  }
  case PQ_OBJ_FRAME: {
    const pq_sent_frame *sf = pq_pl_lent(r, PQ_PK_FRAME, handle);
    if (sf)
      return get_frame(sf, field, ok);
    break;
  }
  default:
    break;
  }
  *ok = 0;
  return 0;
}

/* A getter with every check reported: the field, the policy, the handle
 * (the run is marked faulty and 0 returned). Out of line (fields.c). */
uint64_t pq_pl_get_slow(pq_pl_run *r, int obj, uint64_t handle, uint64_t field);

#endif
