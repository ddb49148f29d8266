/*
 * The --link option: LISTEN=FORWARD[,key=value]...
 *
 *   LISTEN    numeric address:port netsim listens on for clients
 *             (127.0.0.1:4433, [::1]:0; port 0: the kernel picks one)
 *   FORWARD   numeric address:port of the server it relays to
 *
 * Keys (both directions unless prefixed "up." for client->server or
 * "down." for server->client; a prefixed key wins over the plain one):
 *   delay=TIME       one-way propagation delay (0)
 *   jitter=TIME      uniform extra delay in [-J, +J], order kept (0)
 *   rate=RATE        serialization rate; absent or 0: unlimited
 *   queue=SIZE       drop-tail limit of the bytes waiting to be serialized
 *                    (default 64kb; only with a rate)
 *   overhead=BYTES   bytes added to each datagram when charging the rate (0)
 *   loss=PCT         average loss probability (0%)
 *   burst=N          mean length of loss bursts in packets; above 1 it turns
 *                    Bernoulli loss into a Gilbert model of the same average
 *   reorder=PCT      share of packets held back by reorder_delay, so later
 *                    packets overtake them (0%)
 *   reorder_delay=TIME  how long such packets are held back (1ms)
 *   seed=N           seed of this link's generators (link-level; default 1)
 *
 * Units: TIME ns|us|ms|s; RATE bit|kbit|mbit|gbit (powers of 1000);
 * SIZE b|kb|mb (powers of 1024, as tc), also kib|mib; PCT a number with '%'.
 * Decimals are accepted (2.5ms, 0.3mbit). Parsing is pure: no name lookups.
 */
#ifndef NS_SPEC_H
#define NS_SPEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NS_DEFAULT_QUEUE 65536u
#define NS_DEFAULT_REORDER_DELAY_NS 1000000u

typedef struct ns_dir_params {
  uint64_t delay_ns;
  uint64_t jitter_ns;
  uint64_t rate_bps; /* 0: unlimited */
  uint64_t queue_bytes;
  uint64_t overhead;
  double loss;  /* [0, 1) */
  double burst; /* mean burst length; <= 1: Bernoulli */
  double reorder;
  uint64_t reorder_delay_ns;
} ns_dir_params;

enum { NS_UP = 0, NS_DOWN = 1 };

typedef struct ns_link_spec {
  struct sockaddr_storage listen, forward;
  uint64_t seed;
  ns_dir_params dir[2]; /* NS_UP, NS_DOWN */
} ns_link_spec;

/* Default parameters of one direction: no delay, unlimited rate, no loss. */
void ns_dir_params_default(ns_dir_params *p);

/*
 * Parses one --link value into *out. On error returns PQUIC_ERR_INVAL and
 * writes a one-line reason (naming the offending part) into err.
 */
int ns_link_spec_parse(const char *text, ns_link_spec *out, char *err, size_t errlen);

/* Value parsers, exposed for tests. Each returns 0 or PQUIC_ERR_INVAL. */
int ns_parse_time(const char *s, uint64_t *ns);
int ns_parse_rate(const char *s, uint64_t *bps);
int ns_parse_size(const char *s, uint64_t *bytes);
int ns_parse_percent(const char *s, double *fraction);
/* "1.2.3.4:5", "[::1]:5": numeric only. */
int ns_parse_addr(const char *s, struct sockaddr_storage *out);

/* One-line description of a direction ("delay=10ms rate=20mbit ..."). */
void ns_dir_params_format(const ns_dir_params *p, char *buf, size_t len);

#endif
