/* The event loop: receive, model, schedule, deliver on time. */
#include "netsim.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "runtime.h"

#define RX_MSGS 32
#define RX_SIZE 65536
/* recvmmsg calls per readable socket per round, so one busy socket cannot
 * delay deliveries by more than a few hundred datagrams. */
#define RX_CALLS 4
#define SWEEP_NS 1000000000ull

void ns_opts_default(ns_opts *o) {
  memset(o, 0, sizeof *o);
  o->max_flows = 64;
  o->flow_idle_ns = 60ull * 1000000000ull;
  o->max_mem = 64ull << 20;
  o->max_pkts = 65536;
  o->spin_ns = 100000;
  o->sockbuf = 4 << 20;
}

uint64_t ns_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void print_stats(ns_rt *rt) {
  char line[768];
  for (size_t l = 0; l < rt->n_links; l++)
    rt->links[l].dir[0].st.queued = rt->links[l].dir[1].st.queued = 0;
  for (size_t i = 0; i < rt->q.n; i++)
    rt->links[rt->q.v[i]->link].dir[rt->q.v[i]->dir].st.queued++;
  for (size_t l = 0; l < rt->n_links; l++) {
    const ns_link_rt *lk = &rt->links[l];
    for (int d = 0; d < 2; d++) {
      ns_dir_stats_format(&lk->dir[d].st, (unsigned)l, d, line, sizeof line);
      printf("netsim: stats %s\n", line);
    }
    printf("netsim: flows link=%zu opened=%llu expired=%llu evicted=%llu errors=%llu\n", l,
           (unsigned long long)lk->flows_opened, (unsigned long long)lk->flows_expired,
           (unsigned long long)lk->flows_evicted, (unsigned long long)lk->flow_errors);
  }
  printf("netsim: loop wakeups=%llu spins=%llu held_max_pkts=%zu\n",
         (unsigned long long)rt->wakeups, (unsigned long long)rt->spins, rt->q.cap);
  fflush(stdout);
}

/* Runs one datagram through a direction's model and queues it. */
static void offer(ns_rt *rt, size_t l, int dir, uint32_t flow, uint32_t gen, const uint8_t *data,
                  size_t len, uint64_t now) {
  ns_dir *d = &rt->links[l].dir[dir];
  uint64_t at;
  if (ns_dir_offer(d, now, len, &at) != NS_DELIVER)
    return;
  ns_pkt *p = ns_pktq_alloc(&rt->q, len);
  if (!p) {
    d->st.drop_mem++;
    return;
  }
  p->at = at;
  p->link = (uint32_t)l;
  p->flow = flow;
  p->flow_gen = gen;
  p->dir = (uint8_t)dir;
  memcpy(p->data, data, len);
  if (ns_pktq_push(&rt->q, p) != 0)
    d->st.drop_mem++;
}

static int rx_batch(ns_rt *rt, int fd) {
  for (int i = 0; i < RX_MSGS; i++) {
    rt->iov[i].iov_base = rt->bufs + (size_t)i * RX_SIZE;
    rt->iov[i].iov_len = RX_SIZE;
    memset(&rt->msgs[i].msg_hdr, 0, sizeof rt->msgs[i].msg_hdr);
    rt->msgs[i].msg_hdr.msg_iov = &rt->iov[i];
    rt->msgs[i].msg_hdr.msg_iovlen = 1;
    rt->msgs[i].msg_hdr.msg_name = &rt->names[i];
    rt->msgs[i].msg_hdr.msg_namelen = sizeof rt->names[i];
  }
  int n;
  do {
    n = recvmmsg(fd, rt->msgs, RX_MSGS, MSG_DONTWAIT, NULL);
  } while (n < 0 && errno == EINTR);
  return n;
}

/* Client datagrams on a link's listen socket: the up direction. */
static void on_listen(ns_rt *rt, size_t l) {
  ns_link_rt *lk = &rt->links[l];
  for (int call = 0; call < RX_CALLS; call++) {
    int n = rx_batch(rt, lk->listen_fd);
    if (n <= 0)
      return;
    uint64_t now = ns_now();
    for (int i = 0; i < n; i++) {
      struct msghdr *m = &rt->msgs[i].msg_hdr;
      if (m->msg_flags & MSG_TRUNC)
        continue;
      long f = ns_flow_get(rt, l, &rt->names[i], m->msg_namelen, now);
      if (f < 0) {
        lk->dir[NS_UP].st.rx_pkts++;
        lk->dir[NS_UP].st.drop_mem++;
        continue;
      }
      offer(rt, l, NS_UP, (uint32_t)f, lk->flows[f].gen, rt->iov[i].iov_base, rt->msgs[i].msg_len,
            now);
    }
    if (n < RX_MSGS)
      return;
  }
}

/* Server datagrams on a flow's upstream socket: the down direction. */
static void on_flow(ns_rt *rt, size_t l, uint32_t fi) {
  ns_link_rt *lk = &rt->links[l];
  if (fi >= lk->n_flows || lk->flows[fi].fd < 0)
    return;
  ns_flow *f = &lk->flows[fi];
  for (int call = 0; call < RX_CALLS; call++) {
    int n = rx_batch(rt, f->fd);
    if (n <= 0)
      return; /* ECONNREFUSED (server not there yet) included */
    uint64_t now = ns_now();
    f->last_ns = now;
    for (int i = 0; i < n; i++) {
      if (rt->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
        continue;
      offer(rt, l, NS_DOWN, fi, f->gen, rt->iov[i].iov_base, rt->msgs[i].msg_len, now);
    }
    if (n < RX_MSGS)
      return;
  }
}

static void deliver(ns_rt *rt, ns_pkt *p, uint64_t now) {
  ns_link_rt *lk = &rt->links[p->link];
  ns_dir_stats *st = &lk->dir[p->dir].st;
  ns_flow *f = p->flow < lk->n_flows ? &lk->flows[p->flow] : NULL;
  if (!f || f->fd < 0 || f->gen != p->flow_gen) {
    st->drop_flow++;
    return;
  }
  ssize_t r;
  if (p->dir == NS_UP)
    r = send(f->fd, p->data, p->len, MSG_DONTWAIT);
  else
    r = sendto(lk->listen_fd, p->data, p->len, MSG_DONTWAIT, (const struct sockaddr *)&f->client,
               f->client_len);
  if (r < 0) {
    st->drop_send++;
    return;
  }
  st->tx_pkts++;
  st->tx_bytes += p->len;
  ns_hist_add(&st->late, now > p->at ? now - p->at : 0);
}

static void deliver_due(ns_rt *rt) {
  uint64_t now = ns_now();
  ns_pkt *p;
  while ((p = ns_pktq_pop(&rt->q, now)) != NULL) {
    deliver(rt, p, ns_now());
    ns_pktq_drop(&rt->q, p);
  }
}

static void arm(ns_rt *rt, uint64_t at) {
  if (at == rt->armed_at)
    return;
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  if (at != 0) {
    its.it_value.tv_sec = (time_t)(at / 1000000000ull);
    its.it_value.tv_nsec = (long)(at % 1000000000ull);
  }
  if (timerfd_settime(rt->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
    rt->armed_at = at;
}

static void on_signal(ns_rt *rt) {
  struct signalfd_siginfo si;
  while (read(rt->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
    if (si.ssi_signo == SIGUSR1)
      print_stats(rt);
    else
      rt->stop = 1;
  }
}

static void dispatch(ns_rt *rt, uint64_t key) {
  int kind = (int)(key >> 56);
  size_t l = (size_t)((key >> 32) & 0xff);
  uint32_t flow = (uint32_t)key;
  if (kind == SRC_TIMER) {
    uint64_t ticks;
    if (read(rt->tfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
      rt->stop = 1;
    rt->armed_at = 0;
    rt->wakeups++;
  } else if (kind == SRC_SIGNAL) {
    on_signal(rt);
  } else if (kind == SRC_LISTEN && l < rt->n_links) {
    on_listen(rt, l);
  } else if (kind == SRC_FLOW && l < rt->n_links) {
    on_flow(rt, l, flow);
  }
}

static int loop(ns_rt *rt) {
  uint64_t start = ns_now();
  uint64_t end = rt->o.duration_ns ? start + rt->o.duration_ns : UINT64_MAX;
  uint64_t next_sweep = start + SWEEP_NS;
  struct epoll_event ev[64];
  while (!rt->stop) {
    deliver_due(rt);
    uint64_t now = ns_now();
    if (now >= end)
      break;
    if (now >= next_sweep) {
      ns_flows_expire(rt, now);
      next_sweep = now + SWEEP_NS;
    }
    uint64_t next = ns_pktq_next(&rt->q);
    if (next_sweep < next)
      next = next_sweep;
    if (end < next)
      next = end;
    int timeout = -1;
    if (next <= now + rt->o.spin_ns) {
      timeout = 0; /* close enough: poll without sleeping */
      rt->spins++;
    } else {
      arm(rt, next - rt->o.spin_ns);
    }
    int n = epoll_wait(rt->ep, ev, 64, timeout);
    if (n < 0 && errno != EINTR) {
      perror("netsim: epoll_wait");
      return -1;
    }
    for (int i = 0; i < n; i++)
      dispatch(rt, ev[i].data.u64);
  }
  return 0;
}

static int add_fd(ns_rt *rt, int fd, uint64_t key) {
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = key};
  return epoll_ctl(rt->ep, EPOLL_CTL_ADD, fd, &ev);
}

static int setup(ns_rt *rt) {
  rt->ep = epoll_create1(EPOLL_CLOEXEC);
  rt->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  rt->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (rt->ep < 0 || rt->tfd < 0 || rt->sfd < 0 || add_fd(rt, rt->tfd, SRC_KEY(SRC_TIMER, 0, 0)) ||
      add_fd(rt, rt->sfd, SRC_KEY(SRC_SIGNAL, 0, 0))) {
    perror("netsim: event loop");
    return -1;
  }
  if (rt->o.realtime) {
    struct sched_param sp = {.sched_priority = 10};
    if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0)
      fprintf(stderr, "netsim: warning: --realtime: %s; running at normal priority\n",
              strerror(errno));
  }
  /* Precise wake-ups: the default 50 µs timer slack would be added to every
   * timer expiry. */
  (void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  rt->msgs = pq_calloc(RX_MSGS, sizeof *rt->msgs);
  rt->iov = pq_calloc(RX_MSGS, sizeof *rt->iov);
  rt->names = pq_calloc(RX_MSGS, sizeof *rt->names);
  rt->bufs = pq_malloc((size_t)RX_MSGS * RX_SIZE);
  if (!rt->msgs || !rt->iov || !rt->names || !rt->bufs) {
    fprintf(stderr, "netsim: out of memory\n");
    return -1;
  }
  ns_pktq_init(&rt->q, rt->o.max_pkts, rt->o.max_mem);

  for (size_t l = 0; l < rt->n_links; l++) {
    ns_link_rt *lk = &rt->links[l];
    char a[64];
    lk->flows = pq_calloc(rt->o.max_flows, sizeof *lk->flows);
    if (!lk->flows) {
      fprintf(stderr, "netsim: out of memory\n");
      return -1;
    }
    lk->n_flows = rt->o.max_flows;
    for (size_t i = 0; i < lk->n_flows; i++)
      lk->flows[i].fd = -1;
    for (int d = 0; d < 2; d++)
      ns_dir_init(&lk->dir[d], &lk->spec.dir[d], lk->spec.seed, l * 2 + (uint64_t)d);
    ns_addr_format(&lk->spec.listen, a, sizeof a);
    lk->listen_fd = ns_sock_listen(&lk->spec.listen, rt->o.sockbuf, &lk->bound);
    if (lk->listen_fd < 0) {
      fprintf(stderr, "netsim: cannot listen on %s: %s\n", a, strerror(errno));
      return -1;
    }
    if (add_fd(rt, lk->listen_fd, SRC_KEY(SRC_LISTEN, l, 0)) != 0) {
      perror("netsim: epoll_ctl");
      return -1;
    }
  }
  return 0;
}

static void print_links(const ns_rt *rt) {
  for (size_t l = 0; l < rt->n_links; l++) {
    const ns_link_rt *lk = &rt->links[l];
    char a[64], b[64], up[256], down[256];
    ns_addr_format(&lk->bound, a, sizeof a);
    ns_addr_format(&lk->spec.forward, b, sizeof b);
    ns_dir_params_format(&lk->spec.dir[NS_UP], up, sizeof up);
    ns_dir_params_format(&lk->spec.dir[NS_DOWN], down, sizeof down);
    printf("netsim: link %zu listen %s forward %s seed %llu\n", l, a, b,
           (unsigned long long)lk->spec.seed);
    printf("netsim: link %zu up %s\nnetsim: link %zu down %s\n", l, up, l, down);
  }
  printf("netsim: ready\n");
  fflush(stdout);
}

static void teardown(ns_rt *rt) {
  ns_flows_close_all(rt);
  for (size_t l = 0; l < rt->n_links; l++) {
    if (rt->links[l].listen_fd >= 0)
      close(rt->links[l].listen_fd);
    pq_free(rt->links[l].flows);
  }
  ns_pktq_free(&rt->q);
  pq_free(rt->msgs);
  pq_free(rt->iov);
  pq_free(rt->names);
  pq_free(rt->bufs);
  if (rt->ep >= 0)
    close(rt->ep);
  if (rt->tfd >= 0)
    close(rt->tfd);
  if (rt->sfd >= 0)
    close(rt->sfd);
}

int ns_run(const ns_opts *o) {
  static ns_rt rt; /* large (link table); one per process */
  memset(&rt, 0, sizeof rt);
  rt.o = *o;
  rt.ep = rt.tfd = rt.sfd = -1;
  rt.n_links = o->n_links;
  for (size_t l = 0; l < rt.n_links; l++) {
    rt.links[l].spec = o->links[l];
    rt.links[l].listen_fd = -1;
  }
  int rc = setup(&rt);
  if (rc == 0) {
    print_links(&rt);
    rc = loop(&rt);
    print_stats(&rt);
  }
  teardown(&rt);
  return rc == 0 ? 0 : 1;
}
