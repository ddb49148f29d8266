/* epoll + timerfd loop driven by the application's next wake-up time. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "io/loop.h"
#include "pquic/errors.h"

/* recvmmsg calls per socket per round before servicing the endpoint. */
#define RX_BUDGET 16
#define RX_MSGS 32
/* A deadline later than the armed one by at most this much keeps the timer
 * as it is: waking up early only costs one more on_service, while each
 * timerfd_settime reprograms a kernel timer (expensive, a VM exit under
 * virtualisation), and pacing and ACK deadlines move by microseconds nearly
 * every round. */
#define REARM_SLACK_US 1000u

enum source_kind { SRC_TIMER = 1, SRC_UDP, SRC_FD };

typedef struct source {
  int kind;
  int fd;
  pq_udp *udp;
  pq_rx_batch rx;
  uint32_t events; /* current epoll interest */
  pq_loop_fd_cb cb;
  void *cb_user;
} source;

struct pq_loop {
  pq_loop_cbs cbs;
  void *user;
  int epfd;
  source timer;
  source *src[PQ_LOOP_MAX_SOURCES];
  size_t n_src;
  uint64_t armed; /* deadline the timer is set to; UINT64_MAX: disarmed */
  int immediate;  /* the next wait must not block: a deadline has passed */
  int stop;
  pq_loop_stats st;
};

uint64_t pq_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int pq_loop_new(pq_loop **out, const pq_loop_cbs *cbs, void *user) {
  if (!out || !cbs || !cbs->on_datagrams || !cbs->on_service || !cbs->next_wake)
    return PQUIC_ERR_INVAL;
  pq_loop *l = pq_calloc(1, sizeof *l);
  if (!l)
    return PQUIC_ERR_NOMEM;
  l->cbs = *cbs;
  l->user = user;
  l->armed = UINT64_MAX;
  l->epfd = epoll_create1(EPOLL_CLOEXEC);
  l->timer.kind = SRC_TIMER;
  l->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->timer};
  if (l->epfd < 0 || l->timer.fd < 0 || epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->timer.fd, &ev)) {
    int e = errno;
    pq_loop_free(l);
    errno = e;
    return PQUIC_ERR_IO;
  }
  *out = l;
  return 0;
}

void pq_loop_free(pq_loop *l) {
  if (!l)
    return;
  for (size_t i = 0; i < l->n_src; i++) {
    pq_rx_batch_free(&l->src[i]->rx);
    pq_free(l->src[i]);
  }
  if (l->timer.fd >= 0)
    close(l->timer.fd);
  if (l->epfd >= 0)
    close(l->epfd);
  pq_free(l);
}

static int add_source(pq_loop *l, source *s) {
  if (l->n_src == PQ_LOOP_MAX_SOURCES)
    return PQUIC_ERR_LIMIT;
  s->events = EPOLLIN;
  struct epoll_event ev = {.events = s->events, .data.ptr = s};
  if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, s->fd, &ev) != 0)
    return PQUIC_ERR_IO;
  l->src[l->n_src++] = s;
  return 0;
}

int pq_loop_add_udp(pq_loop *l, pq_udp *u) {
  if (!l || !u || u->fd < 0)
    return PQUIC_ERR_INVAL;
  source *s = pq_calloc(1, sizeof *s);
  if (!s)
    return PQUIC_ERR_NOMEM;
  s->kind = SRC_UDP;
  s->fd = u->fd;
  s->udp = u;
  int rc = pq_rx_batch_init(&s->rx, u, RX_MSGS);
  if (rc == 0)
    rc = add_source(l, s);
  if (rc) {
    pq_rx_batch_free(&s->rx);
    pq_free(s);
  }
  return rc;
}

int pq_loop_add_fd(pq_loop *l, int fd, pq_loop_fd_cb cb, void *user) {
  if (!l || fd < 0 || !cb)
    return PQUIC_ERR_INVAL;
  source *s = pq_calloc(1, sizeof *s);
  if (!s)
    return PQUIC_ERR_NOMEM;
  s->kind = SRC_FD;
  s->fd = fd;
  s->cb = cb;
  s->cb_user = user;
  int rc = add_source(l, s);
  if (rc)
    pq_free(s);
  return rc;
}

void pq_loop_stop(pq_loop *l) {
  if (l)
    l->stop = 1;
}

void pq_loop_get_stats(const pq_loop *l, pq_loop_stats *st) {
  *st = l->st;
}

static void read_udp(pq_loop *l, source *s) {
  for (int i = 0; i < RX_BUDGET; i++) {
    int n = pq_udp_recv(s->udp, &s->rx);
    if (n < 0) {
      if (l->cbs.on_error)
        l->cbs.on_error(l->user, s->udp, errno);
      return;
    }
    if (n > 0) {
      l->st.rx_batches++;
      l->cbs.on_datagrams(l->user, s->udp, s->rx.dgrams, (size_t)n, pq_now_us());
    }
    /* A short batch emptied the queue: asking again would only return
     * EAGAIN (epoll is level-triggered, so later arrivals are not missed). */
    if (s->rx.filled < s->rx.n_msgs)
      return;
  }
}

/* Makes the loop wake up at `deadline` (UINT64_MAX: no deadline). A
 * deadline already reached costs no timer at all: the next wait just does
 * not block. Otherwise the timer moves only when the deadline is earlier
 * than the armed one, or later by more than REARM_SLACK_US. */
static int arm_timer(pq_loop *l, uint64_t deadline, uint64_t now) {
  if (deadline <= now) {
    l->immediate = 1;
    return 0;
  }
  if (deadline >= l->armed && deadline - l->armed <= REARM_SLACK_US)
    return 0;
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  if (deadline != UINT64_MAX) {
    its.it_value.tv_sec = (time_t)(deadline / 1000000u);
    its.it_value.tv_nsec = (long)(deadline % 1000000u) * 1000;
  }
  if (timerfd_settime(l->timer.fd, TFD_TIMER_ABSTIME, &its, NULL) != 0)
    return PQUIC_ERR_IO;
  l->st.timer_arms++;
  l->armed = deadline;
  return 0;
}

/* Watches EPOLLOUT on sockets with a backlog (unless ENOBUFS: retried on
 * the timer); returns the earliest ENOBUFS retry time. */
static uint64_t update_interest(pq_loop *l, uint64_t now) {
  uint64_t retry = UINT64_MAX;
  for (size_t i = 0; i < l->n_src; i++) {
    source *s = l->src[i];
    if (s->kind != SRC_UDP)
      continue;
    uint32_t want = EPOLLIN;
    if (pq_udp_tx_pending(s->udp)) {
      if (s->udp->tx_nobufs)
        retry = now + PQ_LOOP_NOBUFS_RETRY_US;
      else
        want |= EPOLLOUT;
    }
    if (want != s->events) {
      struct epoll_event ev = {.events = want, .data.ptr = s};
      if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, s->fd, &ev) == 0)
        s->events = want;
    }
  }
  return retry;
}

int pq_loop_run_once(pq_loop *l, int timeout_ms) {
  struct epoll_event evs[PQ_LOOP_MAX_SOURCES + 1];
  if (l->immediate) {
    timeout_ms = 0;
    l->immediate = 0;
    l->st.immediate_rounds++;
  }
  int n = epoll_wait(l->epfd, evs, PQ_LOOP_MAX_SOURCES + 1, timeout_ms);
  if (n < 0 && errno != EINTR)
    return PQUIC_ERR_IO;
  l->st.rounds++;
  for (int i = 0; i < n; i++) {
    source *s = evs[i].data.ptr;
    if (s->kind == SRC_TIMER) {
      uint64_t expirations;
      if (read(s->fd, &expirations, sizeof expirations) > 0)
        l->st.timer_fires++;
      l->armed = UINT64_MAX; /* a fired absolute timer is spent */
    } else if (s->kind == SRC_UDP) {
      if (evs[i].events & (EPOLLIN | EPOLLERR))
        read_udp(l, s);
      if (evs[i].events & EPOLLOUT)
        pq_udp_flush(s->udp);
    } else {
      s->cb(s->cb_user, s->fd, pq_now_us());
    }
  }
  /* Sockets blocked on ENOBUFS get another chance each round. */
  for (size_t i = 0; i < l->n_src; i++)
    if (l->src[i]->kind == SRC_UDP && l->src[i]->udp->tx_nobufs)
      pq_udp_flush(l->src[i]->udp);
  uint64_t now = pq_now_us();
  l->st.services++;
  l->cbs.on_service(l->user, now);
  uint64_t deadline = l->cbs.next_wake(l->user);
  now = pq_now_us();
  uint64_t retry = update_interest(l, now);
  if (retry < deadline)
    deadline = retry;
  return arm_timer(l, deadline, now);
}

int pq_loop_run(pq_loop *l) {
  if (!l)
    return PQUIC_ERR_INVAL;
  l->stop = 0;
  /* The first round must not wait: the application may have output ready
   * (a client's first flight) and no timer armed yet. */
  l->immediate = 1;
  int rc = 0;
  while (rc == 0 && !l->stop)
    rc = pq_loop_run_once(l, -1);
  return rc;
}
