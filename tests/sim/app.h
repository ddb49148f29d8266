/*
 * tests/sim/app.h - the test application run by simulated endpoints.
 *
 * Protocol, one request per client-initiated bidirectional stream:
 *
 *   client: "GET <n> <tag>\n" FIN    server: n content bytes, FIN
 *   client: "PUT <n> <tag>\n" + n content bytes, FIN
 *                                    server: "OK <n>\n" FIN, or "BAD <off>\n" FIN
 *
 * <n> and <tag> are decimal. Content (content.h) is keyed by the client
 * connection's tag, the stream ID and the direction, so every byte is
 * checked on arrival without being stored, and data delivered to the wrong
 * stream or connection is caught.
 *
 * Callbacks only record what happened; actions (opening streams, writing,
 * closing) happen in the node's poll hook, which the simulation calls
 * right before asking the endpoint for output, so they add no delay and
 * never re-enter the library from its own callbacks.
 */
#ifndef SIM_APP_H
#define SIM_APP_H

#include <stddef.h>
#include <stdint.h>

#include "pquic/pquic.h"
#include "sim.h"

#define SIM_APP_MAX_CONNS 64

/* What a client connection does once the handshake is done. */
typedef struct sim_app_plan {
  size_t streams;      /* requests, one stream each */
  uint64_t size;       /* bytes per request body */
  int upload;          /* PUT instead of GET */
  size_t parallel;     /* requests open at once; 0: all */
  int close_when_done; /* then close with close_app_error */
  uint64_t close_app_error;
} sim_app_plan;

typedef struct sim_app_stream {
  int used;
  uint64_t id;
  uint64_t key_send, key_recv; /* content keys of each direction */
  uint64_t size;               /* body bytes of the request */
  int upload, is_server;
  int out_ready;    /* what this side sends is known */
  char hdr_out[48]; /* header this side sends */
  size_t hdr_out_len, hdr_out_sent;
  uint64_t body_to_send, body_sent;
  int fin_sent;
  char hdr_in[48]; /* header this side expects, accumulated */
  size_t hdr_in_len;
  int hdr_in_done;
  uint64_t body_received;
  int fin_received;
  int done;            /* completed and verified */
  int failed;          /* bad data, bad header, reset, write error */
  uint64_t bad_offset; /* first wrong body byte, when failed on data */
  uint64_t start_us, done_us;
} sim_app_stream;

typedef struct sim_app_conn {
  struct sim_app *app;
  pquic_cnx *cnx; /* NULL once closed */
  int is_server;
  uint64_t tag;
  sim_app_plan plan;
  size_t opened; /* client: requests opened */
  sim_app_stream *streams;
  size_t nstreams, cap;
  uint64_t start_us;
  int early; /* resumed: requests go out before the handshake completes */
  int handshake_done;
  uint64_t handshake_us;
  size_t streams_done, streams_failed;
  uint64_t done_us; /* client: all planned requests done */
  int close_requested;
  uint64_t close_app_error;
  int closed;
  uint64_t closed_us;
  pquic_event close_ev; /* copy of the CLOSED event (reason not kept) */
  char close_reason[96];
  uint64_t events[16]; /* count per pquic_event_type */
  uint64_t unexpected_streams;
  pquic_stats final_stats; /* taken at CLOSED */
} sim_app_conn;

typedef struct sim_app {
  sim *sim;
  sim_node *node;
  int is_server;
  uint64_t salt;
  sim_app_conn *conns[SIM_APP_MAX_CONNS];
  size_t nconns;
  uint64_t refused; /* server: connections over SIM_APP_MAX_CONNS */
  uint8_t *scratch;
} sim_app;

/* A new application; salt makes its connection tags differ from another
 * app's. NULL on out of memory. */
sim_app *sim_app_new(sim *s, int is_server, uint64_t salt);
void sim_app_free(sim_app *app);

/* Points cfg's callbacks and user at the app (call before sim_pquic_add). */
void sim_app_configure(sim_app *app, pquic_config *cfg);
/* Binds the app to the node running its endpoint (installs the poll hook). */
void sim_app_attach(sim_app *app, sim_node *node);

/* Client: connects from the node's address to `server`, then runs the plan.
 * NULL on failure (*err receives the error when err is not NULL). */
sim_app_conn *sim_app_connect(sim_app *app, const struct sockaddr *server, const char *sni,
                              const sim_app_plan *plan, int *err);
/* The same, resuming a session from pquic_cnx_get_session (0-RTT when the
 * endpoint enables it: the plan's first requests go out before the
 * handshake completes). */
sim_app_conn *sim_app_connect_session(sim_app *app, const struct sockaddr *server, const char *sni,
                                      const sim_app_plan *plan, const uint8_t *session,
                                      size_t session_len, int *err);

/* Asks the connection to close with an application error at the next poll. */
void sim_app_close(sim_app_conn *c, uint64_t app_error);

/* Client conn: every planned request done (verified) or failed. */
int sim_app_conn_finished(const sim_app_conn *c);
/* Every client connection of the app finished its plan or closed
 * (predicate for sim_run_until; user is the sim_app). */
int sim_app_all_finished(void *app);
/* Every connection of the app has seen CLOSED (predicate). */
int sim_app_all_closed(void *app);

/* Sum of counters over the app's connections. */
uint64_t sim_app_failed_streams(const sim_app *app);

/* One line per connection (handshake, streams, close, stats) to stderr. */
void sim_app_dump(const sim_app *app, const char *name);

#endif
