/* pquic server internals: the server and its connections. */
#ifndef PQ_APP_SERVER_H
#define PQ_APP_SERVER_H

#include <stdint.h>

#include "app_monitor.h"
#include "body.h"
#include "cli.h"
#include "common/u64map.h"
#include "h3.h"
#include "hq.h"
#include "io/loop.h"

enum { PROTO_NONE = 0, PROTO_H3, PROTO_HQ };

typedef struct sconn sconn;

typedef struct server {
  pquic_endpoint *ep;
  pq_udp sock;
  pq_udp pref[2]; /* --preferred-address sockets (fd -1: none) */
  pq_udp *sockv[3];
  sockset out; /* sock and the pref sockets, for pump_output */
  pq_loop *loop;
  int sigfd;
  char *root; /* realpath of --root, or NULL */
  sconn *conns;
  int shutting_down, close_sent;
  uint64_t shutdown_deadline;
  int verbose;
  app_monitor *monitor; /* --monitor (in the options) */
} server;

struct sconn {
  server *srv;
  pquic_cnx *cnx;
  int proto;
  h3 *h3;
  pq_u64map hq;  /* hq-interop: stream id -> hq_stream */
  sidvec closed; /* streams closed during callbacks */
  sidvec early;  /* streams with data before the ALPN was known (0-RTT) */
  int dirty;     /* needs sconn_service */
  int failed;    /* closed by us for a protocol error */
  int closing;   /* PQUIC_EVENT_CLOSING came: nothing more to send but the close */
  sconn *prev, *next;
};

/* Picks HTTP/3 or hq-interop from the negotiated ALPN (once). */
void sconn_start(sconn *c);
/* Reads what arrived on a stream and handles it. */
void sconn_on_data(sconn *c, int64_t sid);
void sconn_writable(sconn *c, int64_t sid);
void sconn_reset(sconn *c, int64_t sid);
void sconn_stop(sconn *c, int64_t sid, uint64_t code);
/* Writes pending responses and forgets closed streams. */
void sconn_service(sconn *c, uint64_t now);
void sconn_hq_free_all(sconn *c);

/* 0 if dir is a directory we may list and read. */
int check_dir_readable(const char *dir);

#endif
