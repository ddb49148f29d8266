/* A packet being received (pq_pkt) and a packet being built (pq_opkt). */
#ifndef PQ_CONN_PACKET_H
#define PQ_CONN_PACKET_H

#include "common/buf.h"
#include "conn/types.h"
#include "wire/frame.h"
#include "wire/header.h"

struct pq_pkt {
  pq_header h;           /* parsed header; points into the writable datagram copy */
  uint8_t *data;         /* first byte of the packet (writable) */
  pq_path *path;
  uint64_t pn;
  uint8_t epoch, level;
  uint8_t ecn;
  uint8_t ack_eliciting; /* set while processing frames */
  uint8_t non_probing;   /* carried a frame other than PATH_*, NEW_CONNECTION_ID, PADDING */
  const uint8_t *payload;
  size_t payload_len;
  size_t datagram_len;
  pq_frame frame;        /* storage for the built-in parse_frame */
};

struct pq_opkt {
  pq_path *path;
  uint64_t now;
  uint8_t epoch, level, type;
  uint64_t pn;
  uint8_t pn_len;
  uint8_t *start;        /* first byte of the packet */
  pq_header_out hdr;
  pq_wbuf w;             /* payload cursor; w.end leaves room for the AEAD tag */
  uint8_t *payload;      /* first payload byte */
  pq_sent_pkt *sp;       /* record of what the packet carries */
  uint64_t cc_budget;    /* bytes of in-flight frames the congestion window allows */
  uint8_t ack_eliciting, in_flight, is_probe;
  uint8_t ack_only_ok;   /* may carry only ACK/PADDING/CONNECTION_CLOSE */
  uint8_t has_crypto;
};

/* Bytes still free in the packet's payload. */
static inline size_t pq_opkt_room(const pq_opkt *o) { return pq_wbuf_left(&o->w); }

#endif
