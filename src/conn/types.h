/* Forward declarations of the connection core's types, so headers of one
 * concern can name another's without including it. */
#ifndef PQ_CONN_TYPES_H
#define PQ_CONN_TYPES_H

#include <stddef.h>
#include <stdint.h>

typedef struct pquic_cnx pq_cnx;
typedef struct pquic_endpoint pq_endpoint;
typedef struct pq_path pq_path;
typedef struct pq_pkt pq_pkt;             /* a received packet being processed */
typedef struct pq_opkt pq_opkt;           /* a packet being built */
typedef struct pq_sent_pkt pq_sent_pkt;   /* record of a sent packet */
typedef struct pq_sent_frame pq_sent_frame;
typedef struct pq_stream pq_stream;
typedef struct pq_tp pq_tp;               /* transport parameters (src/wire/tp.h) */

/* A TLS traffic secret handed to install_keys. */
typedef struct pq_secret {
  int suite; /* pq_cipher_suite */
  const uint8_t *data;
  size_t len;
} pq_secret;

/* Packet-number spaces. */
enum { PQ_EPOCH_INITIAL = 0, PQ_EPOCH_HANDSHAKE = 1, PQ_EPOCH_APP = 2, PQ_EPOCH_COUNT = 3 };

/* Timers (the parameter of timer_expired). */
enum {
  PQ_TIMER_IDLE = 0,
  PQ_TIMER_LOSS = 1,
  PQ_TIMER_ACK = 2,
  PQ_TIMER_CLOSE = 3,
  PQ_TIMER_PATH = 4,
  PQ_TIMER_KEY_DISCARD = 5,
};

/* Fates of a sent frame (notify_frame). */
enum { PQ_FATE_ACKED = 0, PQ_FATE_LOST = 1, PQ_FATE_DISCARDED = 2 };

#define PQ_TIME_NEVER UINT64_MAX

#endif
