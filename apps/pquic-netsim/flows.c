/* Client flows of each link: one upstream socket per client address. */
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "runtime.h"

static void close_flow(ns_rt *rt, ns_flow *f) {
  if (f->fd >= 0) {
    (void)epoll_ctl(rt->ep, EPOLL_CTL_DEL, f->fd, NULL);
    close(f->fd);
  }
  f->fd = -1;
  f->gen++;
}

long ns_flow_get(ns_rt *rt, size_t l, const struct sockaddr_storage *client, socklen_t clen,
                 uint64_t now) {
  ns_link_rt *lk = &rt->links[l];
  long free_slot = -1, oldest = -1;
  for (size_t i = 0; i < lk->n_flows; i++) {
    ns_flow *f = &lk->flows[i];
    if (f->fd < 0) {
      if (free_slot < 0)
        free_slot = (long)i;
      continue;
    }
    if (ns_addr_equal(&f->client, client)) {
      f->last_ns = now;
      return (long)i;
    }
    if (oldest < 0 || f->last_ns < lk->flows[oldest].last_ns)
      oldest = (long)i;
  }
  long slot = free_slot;
  if (slot < 0) {
    slot = oldest;
    close_flow(rt, &lk->flows[slot]);
    lk->flows_evicted++;
  }
  ns_flow *f = &lk->flows[slot];
  int fd = ns_sock_upstream(&lk->spec.forward, rt->o.sockbuf);
  if (fd < 0) {
    lk->flow_errors++;
    return -1;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = SRC_KEY(SRC_FLOW, l, (uint64_t)slot)};
  if (epoll_ctl(rt->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    close(fd);
    lk->flow_errors++;
    return -1;
  }
  f->fd = fd;
  memset(&f->client, 0, sizeof f->client);
  memcpy(&f->client, client, clen <= sizeof f->client ? clen : sizeof f->client);
  f->client_len = clen;
  f->last_ns = now;
  lk->flows_opened++;
  return slot;
}

void ns_flows_expire(ns_rt *rt, uint64_t now) {
  for (size_t l = 0; l < rt->n_links; l++) {
    ns_link_rt *lk = &rt->links[l];
    for (size_t i = 0; i < lk->n_flows; i++) {
      ns_flow *f = &lk->flows[i];
      if (f->fd >= 0 && now > f->last_ns && now - f->last_ns >= rt->o.flow_idle_ns) {
        close_flow(rt, f);
        lk->flows_expired++;
      }
    }
  }
}

void ns_flows_close_all(ns_rt *rt) {
  for (size_t l = 0; l < rt->n_links; l++) {
    ns_link_rt *lk = &rt->links[l];
    for (size_t i = 0; lk->flows && i < lk->n_flows; i++)
      close_flow(rt, &lk->flows[i]);
  }
}
