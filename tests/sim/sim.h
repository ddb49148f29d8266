/*
 * tests/sim/sim.h - deterministic network simulation in virtual time.
 *
 * A simulation holds nodes (each a sans-I/O endpoint reached through a small
 * table of functions, normally a pquic endpoint: see sim_pquic.h) with one or
 * more fake addresses, and one-way links (link.h) between addresses. Nothing
 * touches a socket or a clock. The loop repeats:
 *
 *   1. deliver every datagram whose arrival time has come, link by link in
 *      creation order, to the node owning the destination address (local =
 *      destination, remote = source, the link's ECN codepoint);
 *   2. give each node, in creation order, its poll hook and then calls its
 *      output function until it returns 0; each batch is split into
 *      datagrams of segment_size bytes (GSO) and offered to the link from
 *      its source to its destination address;
 *   3. jump the clock to the earliest of the next link arrival and every
 *      node's next wake-up time.
 *
 * Guards, each a failure with a message (sim_error): a bound on iterations,
 * a bound on virtual time, and a bound on consecutive iterations that
 * neither deliver nor send while some wake-up time is already due (a timer
 * that never fires; the clock is nudged by 1 us each such iteration, so a
 * timer rounded down by less than a microsecond still makes progress).
 *
 * Every random choice comes from generators seeded from sim_config.seed (one
 * per link, one per node), so a run is reproducible bit for bit as long as
 * the endpoints take their randomness from sim_node_rng().
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "link.h"
#include "rng.h"

#define SIM_MAX_NODES 16
#define SIM_MAX_NODE_ADDRS 4
#define SIM_MAX_LINKS 64
/* Room for one output batch (GSO): 44 datagrams of 1500 bytes. */
#define SIM_OUT_CAP (64 * 1024)

typedef struct sim sim;
typedef struct sim_node sim_node;

/* What a node's output function says about its batch; the same fields as
 * pquic_send_info. local may be left AF_UNSPEC: the node's first address. */
typedef struct sim_send_info {
  struct sockaddr_storage local;
  struct sockaddr_storage remote;
  size_t segment_size; /* every datagram but the last has this size; 0: one datagram */
  size_t count;        /* datagrams in the batch; 0: not stated */
  uint8_t ecn;
} sim_send_info;

/* How the simulation drives one endpoint. Return values follow pquic:
 * negative is an error, and fails the run. */
typedef struct sim_node_ops {
  int (*input)(void *ctx, const uint8_t *data, size_t len, const struct sockaddr *local,
               const struct sockaddr *remote, uint8_t ecn, uint64_t now);
  /* Bytes written into buf (<= cap), 0 when there is nothing to send. */
  int (*output)(void *ctx, uint64_t now, uint8_t *buf, size_t cap, sim_send_info *info);
  uint64_t (*next_wake)(void *ctx); /* UINT64_MAX: none */
  void (*destroy)(void *ctx);       /* at sim_free; may be NULL */
  const char *(*errname)(int err);  /* names an error in messages; may be NULL */
} sim_node_ops;

typedef struct sim_config {
  uint64_t seed;
  uint64_t start_us;       /* initial clock */
  uint64_t max_time_us;    /* the clock never passes this; 0: 1 hour */
  uint64_t max_iterations; /* over the whole simulation; 0: 50 million */
  uint64_t max_stall;      /* consecutive idle iterations with a due timer; 0: 10000 */
} sim_config;

typedef enum sim_result {
  SIM_OK = 0,   /* the predicate holds */
  SIM_DEADLINE, /* the deadline came first (the normal end of sim_run_for) */
  SIM_IDLE,     /* nothing in flight, no timer, predicate false: it never will be */
  SIM_FAIL,     /* a guard or a node failed: see sim_error; sticky */
} sim_result;

typedef struct sim_node_stats {
  uint64_t rx_datagrams, rx_bytes, tx_datagrams, tx_bytes, tx_batches;
  uint64_t unroutable; /* datagrams to an address no link leads to */
  uint64_t last_rx_us, last_tx_us;
} sim_node_stats;

/* Trace hook, called for every datagram offered to a link (verdict set) and
 * every delivery (verdict -1). */
typedef void (*sim_trace_fn)(void *user, const sim *s, const sim_link *link, const char *link_name,
                             int verdict, uint64_t index, size_t len, uint64_t now);

typedef int (*sim_pred_fn)(void *user);
typedef void (*sim_poll_fn)(void *user, uint64_t now);

void sim_config_init(sim_config *cfg);

/* Returns NULL on out of memory. */
sim *sim_new(const sim_config *cfg);
/* Frees links and nodes (calling each node's destroy). */
void sim_free(sim *s);

/* Adds a node owning address addr. ctx is passed to every op. NULL when
 * SIM_MAX_NODES are in use, the address is taken, or out of memory. */
sim_node *sim_add_node(sim *s, const struct sockaddr *addr, const sim_node_ops *ops, void *ctx);
/* Gives a node one more address. Returns 0, or -1 (full or taken). */
int sim_node_add_address(sim_node *n, const struct sockaddr *addr);
/* Sets the node's context after creation (for endpoints that need the
 * node's generator before they exist). */
void sim_node_set_ctx(sim_node *n, void *ctx);
void *sim_node_ctx(const sim_node *n);
/* Called before each output drain; the place for time-driven app actions. */
void sim_node_set_poll(sim_node *n, sim_poll_fn fn, void *user);
/* The node's own generator, seeded from the simulation seed and the node's
 * number: give it to the endpoint as its randomness source. */
sim_rng *sim_node_rng(sim_node *n);
const sim_node_stats *sim_node_get_stats(const sim_node *n);
const struct sockaddr *sim_node_addr(const sim_node *n);

/* A one-way link from address `from` to address `to`; `to` must belong to
 * a node. Its generator is seeded from the simulation seed, the link's
 * number and cfg->seed. NULL if the pair has a link already, `to` has no
 * node, SIM_MAX_LINKS are used, or cfg is invalid. */
sim_link *sim_add_link(sim *s, const struct sockaddr *from, const struct sockaddr *to,
                       const sim_link_config *cfg);
/* Both directions; *ab / *ba receive the links (may be NULL). Returns 0/-1. */
int sim_add_path(sim *s, const struct sockaddr *a, const struct sockaddr *b,
                 const sim_link_config *ab_cfg, const sim_link_config *ba_cfg, sim_link **ab,
                 sim_link **ba);
sim_link *sim_find_link(const sim *s, const struct sockaddr *from, const struct sockaddr *to);

/* Offers a datagram to the link from -> to now, as if a node had sent it
 * (a forged or replayed packet). Returns the verdict, or -2 without link. */
int sim_inject(sim *s, const struct sockaddr *from, const struct sockaddr *to, const uint8_t *data,
               size_t len, uint8_t ecn);

void sim_set_trace(sim *s, sim_trace_fn fn, void *user);
/* A ready-made trace printing one line per event to stderr. */
void sim_trace_stderr(void *user, const sim *s, const sim_link *link, const char *link_name,
                      int verdict, uint64_t index, size_t len, uint64_t now);

uint64_t sim_now(const sim *s);
uint64_t sim_iterations(const sim *s);
/* Why the last run returned SIM_FAIL (or SIM_IDLE/SIM_DEADLINE): one line. */
const char *sim_error(const sim *s);
const char *sim_result_name(sim_result r);

/* Runs until pred(user) holds (checked before the first step and after
 * each), the clock would pass deadline_us (the clock is then set to it), or
 * a failure. pred may be NULL: run to the deadline. */
sim_result sim_run_until(sim *s, sim_pred_fn pred, void *user, uint64_t deadline_us);
/* Runs for duration_us of virtual time; SIM_DEADLINE is its success. */
sim_result sim_run_for(sim *s, uint64_t duration_us);

/* Address helpers: fills ss from a numeric IPv4 or IPv6 literal and a port.
 * Returns 0, or -1 if the literal does not parse. */
int sim_addr(struct sockaddr_storage *ss, const char *ip, uint16_t port);
int sim_addr_equal(const struct sockaddr *a, const struct sockaddr *b);
/* "10.0.0.1:4433" or "[fd00::1]:4433" into buf. */
const char *sim_addr_str(const struct sockaddr *a, char *buf, size_t len);

#endif
