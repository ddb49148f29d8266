/* Streams (RFC 9000 sections 2-4): data, states and per-stream flow
 * control. The streams of a connection live in a map by id; streams with
 * something to send are on a round-robin list. */
#ifndef PQ_CONN_STREAM_H
#define PQ_CONN_STREAM_H

#include "common/recvbuf.h"
#include "common/sendbuf.h"
#include "conn/types.h"

/* Stream id bits (RFC 9000 section 2.1). */
#define PQ_STREAM_SERVER_BIT 0x1
#define PQ_STREAM_UNI_BIT 0x2

static inline int pq_stream_is_uni(uint64_t id) { return (id & PQ_STREAM_UNI_BIT) != 0; }
static inline int pq_stream_is_server(uint64_t id) { return (id & PQ_STREAM_SERVER_BIT) != 0; }

enum {
  PQ_SEND_READY = 0, PQ_SEND_SEND, PQ_SEND_DATA_SENT, PQ_SEND_DATA_RECVD, PQ_SEND_RESET_SENT,
  PQ_SEND_RESET_RECVD, PQ_SEND_NONE /* receive-only stream */
};
enum {
  PQ_RECV_RECV = 0, PQ_RECV_SIZE_KNOWN, PQ_RECV_DATA_RECVD, PQ_RECV_DATA_READ,
  PQ_RECV_RESET_RECVD, PQ_RECV_RESET_READ, PQ_RECV_NONE /* send-only stream */
};

/* Control frames a stream wants to send (regenerated from state when lost). */
enum {
  PQ_SCTL_MAX_STREAM_DATA = 1u << 0,
  PQ_SCTL_RESET = 1u << 1,
  PQ_SCTL_STOP = 1u << 2,
  PQ_SCTL_BLOCKED = 1u << 3,
};

struct pq_stream {
  uint64_t id;
  uint8_t send_state, recv_state;
  uint8_t ctl;               /* PQ_SCTL_* pending */
  uint8_t on_send_list, on_ctl_list;
  uint8_t fin_acked;
  uint8_t app_fin_read;      /* the application read the final byte */
  uint8_t writable_wanted;   /* a write was refused: event when room frees */

  pq_sendbuf send;
  pq_recvbuf recv;

  /* flow control */
  uint64_t max_send;         /* peer's limit on our send offset */
  uint64_t blocked_at;       /* limit for which STREAM_DATA_BLOCKED was sent */
  uint64_t max_recv;         /* limit we advertised */
  uint64_t recv_window;      /* window size (auto-tuned) */
  uint64_t window_epoch_start; /* auto-tuning: when the last window update began */

  uint64_t reset_code;       /* our RESET_STREAM error code */
  uint64_t stop_code;        /* our STOP_SENDING error code */

  pq_stream *send_next, *send_prev; /* round-robin list of streams with data */
  pq_stream *ctl_next;              /* streams with control frames pending */
  void *user;
};

#endif
