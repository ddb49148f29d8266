/* pquic client internals: downloads grouped into one connection per server. */
#ifndef PQ_APP_CLIENT_H
#define PQ_APP_CLIENT_H

#include <stdint.h>

#include "app_opts.h"
#include "cli.h"
#include "common/u64map.h"
#include "h3.h"
#include "io/loop.h"
#include "url.h"

enum { CPROTO_H3 = 1, CPROTO_HQ };
enum req_state { REQ_WAITING = 0, REQ_ACTIVE, REQ_DONE, REQ_FAILED };

/* Route sockets per connection: the preferred address, from the first
 * local port and from the --migrate one. */
#define CCONN_MAX_ROUTES 2

typedef struct client client;
typedef struct cconn cconn;

typedef struct request {
  const url *u;
  int64_t sid;
  int state;
  int status;             /* HTTP status (h3), 200 for a completed hq-interop download */
  int64_t content_length; /* -1 unknown */
  uint64_t bytes;
  int fd;         /* output file, or -1 (stdout: 1, --discard: -1) */
  char name[300]; /* output file name under --output */
  char err[256];
} request;

struct cconn {
  client *cl;
  const url *u; /* the first URL for this server: host, port */
  struct sockaddr_storage remote;
  char where[280]; /* "host:port" for messages */
  pq_udp sock;
  pq_udp msock;   /* --migrate: the socket of the new local port (fd -1 before) */
  int migrated;   /* pquic_cnx_migrate succeeded */
  int migrate_rc; /* its last error, while it has not */
  /* Sockets beside sock or msock (the same local address and port),
   * connected to another address of the server: its preferred address
   * (client_route.c). */
  pq_udp routes[CCONN_MAX_ROUTES];
  size_t n_routes;
  int routes_failed; /* one could not be opened: no more tries */
  pquic_cnx *cnx;
  int proto;
  h3 *h3;
  request *reqs;
  size_t n_reqs, next_req;
  pq_u64map byid; /* stream id -> request */
  unsigned active;
  int handshake_done;
  int started;  /* the protocol (HTTP/3 or hq-interop) runs: requests may go */
  int finished; /* all requests ended (or the connection failed) */
  int failed;
  char err[1024];
  uint64_t start_us, end_us;
  pquic_stats stats;
  uint32_t version;
  char cipher[64];
  sidvec closed;
  int dirty;
  uint8_t *session; /* --session-file: the latest blob from pquic_cnx_get_session */
  size_t session_len;
};

typedef struct client_opts {
  const char *output, *ca, *session_file;
  int discard, insecure, quiet, zero_rtt, migrate;
  uint64_t streams, timeout_s;
  /* --alpn, --version (0: default, v1 upgraded to v2 when the server
   * prefers it)... */
  app_opts shared;
} client_opts;

struct client {
  client_opts o;
  pquic_endpoint *ep;
  pq_loop *loop;
  cconn *conns;
  size_t n_conns;
  url *urls;
  size_t n_urls;
  /* Every socket, for pump_output: one per connection, plus migration and
   * route sockets. */
  sockset socks;
  int progress; /* draw a progress bar on stderr */
  uint64_t next_progress, start_us;
};

/* Per connection (client_conn.c). */
/* Starts HTTP/3 or hq-interop before the handshake ends: requests go in
 * 0-RTT packets (a resumed session with --0rtt). */
void cconn_start_early(cconn *c);
void cconn_handshake_done(cconn *c);
void cconn_on_data(cconn *c, int64_t sid);
void cconn_stream_reset(cconn *c, int64_t sid, uint64_t code);
void cconn_writable(cconn *c, int64_t sid);
/* The connection started closing or draining (PQUIC_EVENT_CLOSING): if
 * requests were left, record why and end them at once, without waiting for
 * the closing period. */
void cconn_closing(cconn *c, const pquic_event *ev);
/* The connection ended (PQUIC_EVENT_CLOSED): as cconn_closing, and the
 * pquic_cnx is forgotten. */
void cconn_closed(cconn *c, const pquic_event *ev);
/* Starts waiting requests, flushes, forgets closed streams, and closes the
 * connection once every request has ended. */
void cconn_service(cconn *c, uint64_t now);
/* Gives up on the connection with a message (socket error...). */
void cconn_abort(cconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cconn_free(cconn *c);

/* --session-file (client_session.c). */
/* Reads a session blob from `path` into *blob (pq_malloc'd, *len bytes):
 * 0 with *blob set, 0 with *blob NULL when the file does not exist, or -1
 * after printing why it cannot be read. */
int session_load(const char *path, uint8_t **blob, size_t *len);
/* Keeps the connection's newest session blob in c->session (once the server
 * sent a ticket). */
void cconn_capture_session(cconn *c);
/* Writes c->session to `path` (through a temporary file and a rename); 0,
 * or -1 after printing why. Without a blob, says so and returns 0. */
int session_save(const cconn *c, const char *path);
/* --migrate (client_migrate.c): once response bytes flow and the handshake is confirmed, opens
 * a socket on a new local port and moves the connection to it. Retried on
 * each service while the library is not ready (PQUIC_ERR_STATE). */
void cconn_maybe_migrate(cconn *c, uint64_t now);

/* Routes (client_route.c). */
/* sockset.route_miss: a batch from one of a connection's local addresses to
 * a server address it has no socket for (the preferred address, RFC 9000
 * 9.6) gets a socket of its own beside the one bound there, connected to
 * that address and watched by the loop. NULL when no connection owns the
 * local address, the connection has CCONN_MAX_ROUTES already, or the
 * socket cannot be made (the datagrams are then lost: path validation
 * fails and the connection stays where it is). */
pq_udp *client_route_miss(void *user, const pquic_send_info *info);
/* 1 if u is one of c's route sockets. */
int cconn_is_route(const cconn *c, const pq_udp *u);

#endif
