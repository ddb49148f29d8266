/* Records of sent packets and of the frames they carried, kept until the
 * packet is acknowledged or declared lost (RFC 9002 section A.1). */
#ifndef PQ_CONN_SENT_H
#define PQ_CONN_SENT_H

#include "conn/types.h"

/* What a sent frame needs to be acknowledged, retransmitted or forgotten:
 * data frames keep their range, control frames the key to regenerate them
 * from current state. */
struct pq_sent_frame {
  uint64_t type;
  union {
    struct {
      uint64_t id, offset;
      uint32_t len;
      uint8_t fin;
    } stream;
    struct {
      uint64_t offset;
      uint32_t len;
    } crypto;
    struct {
      uint64_t largest; /* largest packet number our ACK frame covered */
    } ack;
    struct {
      uint64_t id, value; /* MAX_STREAM_DATA, STREAM_DATA_BLOCKED, RESET, STOP */
    } sv;
    uint64_t value;       /* MAX_DATA, MAX_STREAMS, *_BLOCKED, CID sequences */
    void *ext;            /* frames of plugins */
  } u;
};

enum {
  PQ_SENT_ACK_ELICITING = 1u << 0,
  PQ_SENT_IN_FLIGHT = 1u << 1,
  PQ_SENT_LOST = 1u << 2,      /* declared lost; kept to detect spurious loss */
  PQ_SENT_PROBE = 1u << 3,     /* PTO probe */
  PQ_SENT_MTU_PROBE = 1u << 4,
  PQ_SENT_RETRANSMITTED = 1u << 5, /* its frames were resent */
  PQ_SENT_LOST_BY_TIME = 1u << 6,  /* declared lost by the time threshold */
  PQ_SENT_ECT0 = 1u << 7,          /* sent with the ECT(0) codepoint */
};

#define PQ_SENT_INLINE_FRAMES 4

struct pq_sent_pkt {
  pq_sent_pkt *prev, *next; /* in its space, packet number order */
  uint64_t pn;
  uint64_t time_sent;
  uint64_t lost_time;       /* when declared lost */
  uint64_t lost_largest;    /* largest acknowledged number when declared lost */
  pq_path *path;
  uint32_t size;            /* bytes of the packet on the wire */
  uint8_t epoch;
  uint8_t level;            /* encryption level (0-RTT or 1-RTT in the application space) */
  uint8_t flags;
  uint16_t n_frames, cap_frames;
  pq_sent_frame *frames;    /* inline_frames or a heap array */
  pq_sent_frame inline_frames[PQ_SENT_INLINE_FRAMES];
};

/* Appends a frame record; returns NULL when out of memory. */
pq_sent_frame *pq_sent_add_frame(pq_sent_pkt *sp, uint64_t type);
pq_sent_pkt *pq_sent_new(void);
void pq_sent_free(pq_sent_pkt *sp);

#endif
