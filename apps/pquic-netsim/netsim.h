/*
 * pquic-netsim's runtime: the sockets, the flow table and the event loop
 * around the sans-I/O link model (model.h) and delivery queue (pktq.h).
 *
 * Each link listens on its LISTEN address. A datagram from a client
 * address not seen before opens a flow: an upstream UDP socket connected to
 * FORWARD, so the server sees netsim's address and its replies come back on
 * that socket, which maps them to the client. Flows idle for flow_idle are
 * closed; when a link's table is full the least recently active flow is
 * evicted. Both directions of a link are shared by all its flows, like one
 * bottleneck.
 *
 * Timing: one timerfd armed (absolute, CLOCK_MONOTONIC, 1 ns timer slack)
 * spin_ns before the next delivery, then a busy poll (epoll_wait with a zero
 * timeout, so arriving datagrams are still read) until the exact time.
 */
#ifndef NS_NETSIM_H
#define NS_NETSIM_H

#include <stddef.h>
#include <stdint.h>

#include "spec.h"

#define NS_MAX_LINKS 16

typedef struct ns_opts {
  ns_link_spec links[NS_MAX_LINKS];
  size_t n_links;
  uint64_t duration_ns;  /* 0: until SIGINT/SIGTERM */
  size_t max_flows;      /* per link */
  uint64_t flow_idle_ns; /* idle flows are closed after this */
  uint64_t max_mem;      /* payload bytes held in flight, all links */
  size_t max_pkts;       /* datagrams held in flight, all links */
  uint64_t spin_ns;      /* busy-poll window before each delivery */
  int sockbuf;           /* SO_RCVBUF/SO_SNDBUF wanted, bytes */
  int realtime;          /* ask for SCHED_FIFO (root): endpoints sharing the
                            CPUs then cannot delay deliveries */
} ns_opts;

/* Defaults: 64 flows a link, 60 s idle, 64 MiB and 65536 datagrams in
 * flight, 100 µs spin, 4 MiB socket buffers. */
void ns_opts_default(ns_opts *o);

/*
 * Opens every link, prints "netsim: link N listen A forward B ..." lines and
 * "netsim: ready" on stdout, relays until SIGINT/SIGTERM (or duration), then
 * prints the statistics ("netsim: stats link=N dir=up ...") and returns 0.
 * SIGUSR1 prints the statistics without stopping. Returns 1 after printing
 * an error on stderr if setting up fails.
 */
int ns_run(const ns_opts *o);

#endif
