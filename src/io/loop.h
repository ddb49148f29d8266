/*
 * An event loop for sans-I/O endpoints: epoll over UDP sockets and other
 * descriptors, and one timerfd armed at the application's next wake-up time.
 *
 * Each round: wait; read every readable socket (up to a budget of batches,
 * so a flood cannot starve timers) and hand the datagrams to on_datagrams;
 * flush sockets that became writable; run callbacks of other descriptors;
 * then call on_service once (where the application produces and queues its
 * output), ask next_wake, and arm the timer. A deadline already reached
 * makes the next wait not block (no timer involved); the timer is moved
 * only for an earlier deadline or one more than a millisecond later than
 * the armed one (an early wake-up is one more on_service, which must be
 * harmless: next_wake is asked again after it). A socket whose send queue is
 * not empty after on_service is watched for EPOLLOUT, or retried after
 * PQ_LOOP_NOBUFS_RETRY_US when the kernel said ENOBUFS (which EPOLLOUT does
 * not signal).
 *
 * Times are microseconds of CLOCK_MONOTONIC (pq_now_us).
 */
#ifndef PQ_IO_LOOP_H
#define PQ_IO_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include "io/udp.h"

#define PQ_LOOP_NOBUFS_RETRY_US 200u

typedef struct pq_loop pq_loop;

typedef struct pq_loop_cbs {
  /* n >= 1 datagrams received on `u`, valid during the call. */
  void (*on_datagrams)(void *user, pq_udp *u, const pq_datagram *d, size_t n, uint64_t now);
  /* After every round: produce output and queue it (pq_udp_tx_*). */
  void (*on_service)(void *user, uint64_t now);
  /* Next absolute time the loop must run on_service, UINT64_MAX for none. */
  uint64_t (*next_wake)(void *user);
  /* A socket reported an error on receive (errno value, e.g. ECONNREFUSED);
   * may be NULL. */
  void (*on_error)(void *user, pq_udp *u, int err);
} pq_loop_cbs;

typedef void (*pq_loop_fd_cb)(void *user, int fd, uint64_t now);

typedef struct pq_loop_stats {
  uint64_t rounds;           /* epoll_wait returns */
  uint64_t timer_fires;      /* rounds woken by the timer */
  uint64_t timer_arms;       /* timerfd_settime calls */
  uint64_t immediate_rounds; /* rounds that did not wait: a deadline had passed */
  uint64_t rx_batches;       /* pq_udp_recv calls that returned datagrams */
  uint64_t services;         /* on_service calls */
} pq_loop_stats;

/* Monotonic clock in microseconds. */
uint64_t pq_now_us(void);

/* Errors: PQUIC_ERR_INVAL (cbs or a needed callback missing), PQUIC_ERR_NOMEM,
 * PQUIC_ERR_IO (epoll or timerfd creation; errno). */
int pq_loop_new(pq_loop **out, const pq_loop_cbs *cbs, void *user);
/* Frees the loop; sockets and descriptors added stay open (they are the
 * caller's). */
void pq_loop_free(pq_loop *l);

/* Watches a socket (opened, kept alive by the caller until pq_loop_free).
 * Errors: PQUIC_ERR_INVAL, PQUIC_ERR_LIMIT (PQ_LOOP_MAX_SOURCES), PQUIC_ERR_NOMEM,
 * PQUIC_ERR_IO. */
int pq_loop_add_udp(pq_loop *l, pq_udp *u);
/* Watches another readable descriptor (a signalfd, stdin...); cb runs when it
 * is readable and must consume what is there. Same errors. */
int pq_loop_add_fd(pq_loop *l, int fd, pq_loop_fd_cb cb, void *user);

#define PQ_LOOP_MAX_SOURCES 16

/* Runs rounds until pq_loop_stop. Returns 0, or PQUIC_ERR_IO if epoll or the
 * timer fails (errno). */
int pq_loop_run(pq_loop *l);
/* One round that waits at most timeout_ms (-1: no limit but the timer).
 * Same returns. */
int pq_loop_run_once(pq_loop *l, int timeout_ms);
/* Makes pq_loop_run return after the current round (callable from callbacks). */
void pq_loop_stop(pq_loop *l);

void pq_loop_get_stats(const pq_loop *l, pq_loop_stats *st);

#endif
