/* The simulation loop: deliver due datagrams, drain node output into links,
 * jump the virtual clock to the next event. */
#include "sim.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* More datagrams than this from one node at one instant is a runaway. */
#define SIM_MAX_DRAIN 1000000

struct sim_node {
  sim *sim;
  int id;
  struct sockaddr_storage addrs[SIM_MAX_NODE_ADDRS];
  int naddrs;
  sim_node_ops ops;
  void *ctx;
  sim_poll_fn poll;
  void *poll_user;
  sim_rng rng;
  sim_node_stats st;
};

typedef struct sim_edge {
  sim_link *link;
  struct sockaddr_storage from, to;
  sim_node *dst;
  char name[112];
} sim_edge;

struct sim {
  sim_config cfg;
  uint64_t now, iterations, stall;
  int failed;
  sim_node *nodes[SIM_MAX_NODES];
  int nnodes;
  sim_edge edges[SIM_MAX_LINKS];
  int nedges;
  sim_trace_fn trace;
  void *trace_user;
  uint8_t *out, *in; /* output batch and delivery buffers */
  char err[512];
};

/* --- addresses --- */

int sim_addr(struct sockaddr_storage *ss, const char *ip, uint16_t port) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return 0;
  }
  memset(ss, 0, sizeof *ss);
  if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return 0;
  }
  return -1;
}

int sim_addr_equal(const struct sockaddr *a, const struct sockaddr *b) {
  if (a->sa_family != b->sa_family) {
    return 0;
  }
  if (a->sa_family == AF_INET) {
    const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->sa_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
    const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  return 0;
}

const char *sim_addr_str(const struct sockaddr *a, char *buf, size_t len) {
  char ip[INET6_ADDRSTRLEN] = "?";
  if (a->sa_family == AF_INET) {
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)a;
    inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof ip);
    snprintf(buf, len, "%s:%u", ip, (unsigned)ntohs(v4->sin_port));
  } else if (a->sa_family == AF_INET6) {
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)a;
    inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof ip);
    snprintf(buf, len, "[%s]:%u", ip, (unsigned)ntohs(v6->sin6_port));
  } else {
    snprintf(buf, len, "(family %d)", (int)a->sa_family);
  }
  return buf;
}

static size_t addr_len(const struct sockaddr *a) {
  return a->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static void copy_addr(struct sockaddr_storage *dst, const struct sockaddr *src) {
  memset(dst, 0, sizeof *dst);
  memcpy(dst, src, addr_len(src));
}

/* --- setup --- */

void sim_config_init(sim_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
}

sim *sim_new(const sim_config *cfg) {
  sim *s = calloc(1, sizeof *s);
  if (s == NULL) {
    return NULL;
  }
  s->cfg = *cfg;
  if (s->cfg.max_time_us == 0) {
    s->cfg.max_time_us = UINT64_C(3600000000);
  }
  if (s->cfg.max_iterations == 0) {
    s->cfg.max_iterations = 50000000;
  }
  if (s->cfg.max_stall == 0) {
    s->cfg.max_stall = 10000;
  }
  s->now = cfg->start_us;
  s->out = malloc(SIM_OUT_CAP);
  s->in = malloc(SIM_LINK_MAX_MTU);
  if (s->out == NULL || s->in == NULL) {
    sim_free(s);
    return NULL;
  }
  return s;
}

void sim_free(sim *s) {
  if (s == NULL) {
    return;
  }
  for (int i = 0; i < s->nedges; i++) {
    sim_link_free(s->edges[i].link);
  }
  for (int i = 0; i < s->nnodes; i++) {
    sim_node *n = s->nodes[i];
    if (n->ops.destroy != NULL && n->ctx != NULL) {
      n->ops.destroy(n->ctx);
    }
    free(n);
  }
  free(s->out);
  free(s->in);
  free(s);
}

static sim_node *owner_of(const sim *s, const struct sockaddr *addr) {
  for (int i = 0; i < s->nnodes; i++) {
    sim_node *n = s->nodes[i];
    for (int j = 0; j < n->naddrs; j++) {
      if (sim_addr_equal((const struct sockaddr *)&n->addrs[j], addr)) {
        return n;
      }
    }
  }
  return NULL;
}

sim_node *sim_add_node(sim *s, const struct sockaddr *addr, const sim_node_ops *ops, void *ctx) {
  if (s->nnodes == SIM_MAX_NODES || owner_of(s, addr) != NULL) {
    return NULL;
  }
  sim_node *n = calloc(1, sizeof *n);
  if (n == NULL) {
    return NULL;
  }
  n->sim = s;
  n->id = s->nnodes;
  copy_addr(&n->addrs[0], addr);
  n->naddrs = 1;
  n->ops = *ops;
  n->ctx = ctx;
  /* Node generators are seeded apart from link generators (high bit). */
  sim_rng_seed(&n->rng, sim_mix64(s->cfg.seed, UINT64_C(0x8000000000000000) | (uint64_t)n->id));
  s->nodes[s->nnodes++] = n;
  return n;
}

int sim_node_add_address(sim_node *n, const struct sockaddr *addr) {
  if (n->naddrs == SIM_MAX_NODE_ADDRS || owner_of(n->sim, addr) != NULL) {
    return -1;
  }
  copy_addr(&n->addrs[n->naddrs++], addr);
  return 0;
}

void sim_node_set_ctx(sim_node *n, void *ctx) {
  n->ctx = ctx;
}
void *sim_node_ctx(const sim_node *n) {
  return n->ctx;
}

void sim_node_set_poll(sim_node *n, sim_poll_fn fn, void *user) {
  n->poll = fn;
  n->poll_user = user;
}

sim_rng *sim_node_rng(sim_node *n) {
  return &n->rng;
}
const sim_node_stats *sim_node_get_stats(const sim_node *n) {
  return &n->st;
}
const struct sockaddr *sim_node_addr(const sim_node *n) {
  return (const struct sockaddr *)&n->addrs[0];
}

static sim_edge *find_edge(const sim *s, const struct sockaddr *from, const struct sockaddr *to) {
  for (int i = 0; i < s->nedges; i++) {
    const sim_edge *e = &s->edges[i];
    if (sim_addr_equal((const struct sockaddr *)&e->from, from) &&
        sim_addr_equal((const struct sockaddr *)&e->to, to)) {
      return (sim_edge *)e;
    }
  }
  return NULL;
}

sim_link *sim_add_link(sim *s, const struct sockaddr *from, const struct sockaddr *to,
                       const sim_link_config *cfg) {
  sim_node *dst = owner_of(s, to);
  if (dst == NULL || s->nedges == SIM_MAX_LINKS || find_edge(s, from, to) != NULL) {
    return NULL;
  }
  sim_link_config c = *cfg;
  c.seed = sim_mix64(sim_mix64(s->cfg.seed, (uint64_t)s->nedges), cfg->seed);
  sim_edge *e = &s->edges[s->nedges];
  if (sim_link_new(&c, &e->link) != 0) {
    return NULL;
  }
  copy_addr(&e->from, from);
  copy_addr(&e->to, to);
  e->dst = dst;
  char a[64], b[64];
  snprintf(e->name, sizeof e->name, "%s->%s", sim_addr_str(from, a, sizeof a),
           sim_addr_str(to, b, sizeof b));
  s->nedges++;
  return e->link;
}

int sim_add_path(sim *s, const struct sockaddr *a, const struct sockaddr *b,
                 const sim_link_config *ab_cfg, const sim_link_config *ba_cfg, sim_link **ab,
                 sim_link **ba) {
  sim_link *x = sim_add_link(s, a, b, ab_cfg);
  sim_link *y = x != NULL ? sim_add_link(s, b, a, ba_cfg) : NULL;
  if (ab != NULL) {
    *ab = x;
  }
  if (ba != NULL) {
    *ba = y;
  }
  return x != NULL && y != NULL ? 0 : -1;
}

sim_link *sim_find_link(const sim *s, const struct sockaddr *from, const struct sockaddr *to) {
  const sim_edge *e = find_edge(s, from, to);
  return e != NULL ? e->link : NULL;
}

void sim_set_trace(sim *s, sim_trace_fn fn, void *user) {
  s->trace = fn;
  s->trace_user = user;
}

void sim_trace_stderr(void *user, const sim *s, const sim_link *link, const char *link_name,
                      int verdict, uint64_t index, size_t len, uint64_t now) {
  static const char *const names[] = {"sent", "DOWN", "TAMPERED", "MTU", "QUEUE", "LOST"};
  const char *what = verdict < 0 ? "delivered" : verdict < 6 ? names[verdict] : "?";
  fprintf(stderr, "sim %10" PRIu64 " us %s #%" PRIu64 " %zu B %s\n", now, link_name, index, len,
          what);
}

uint64_t sim_now(const sim *s) {
  return s->now;
}
uint64_t sim_iterations(const sim *s) {
  return s->iterations;
}
const char *sim_error(const sim *s) {
  return s->err;
}

const char *sim_result_name(sim_result r) {
  switch (r) {
  case SIM_OK:
    return "ok";
  case SIM_DEADLINE:
    return "deadline";
  case SIM_IDLE:
    return "idle";
  case SIM_FAIL:
    return "fail";
  }
  return "?";
}

__attribute__((format(printf, 2, 3))) static sim_result fail(sim *s, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(s->err, sizeof s->err, "t=%" PRIu64 " us, iteration %" PRIu64 ": %s", s->now,
           s->iterations, msg);
  s->failed = 1;
  return SIM_FAIL;
}

static const char *err_str(const sim_node *n, int rc, char *buf, size_t len) {
  const char *name = n->ops.errname != NULL ? n->ops.errname(rc) : NULL;
  snprintf(buf, len, "%d%s%s", rc, name ? " " : "", name ? name : "");
  return buf;
}

/* --- the loop --- */

static int offer(sim *s, sim_edge *e, const uint8_t *data, size_t len, uint8_t ecn) {
  sim_link_verdict v = sim_link_send(e->link, s->now, data, len, ecn);
  if (s->trace != NULL) {
    s->trace(s->trace_user, s, e->link, e->name, (int)v, sim_link_get_stats(e->link)->offered - 1,
             len, s->now);
  }
  if (v == SIM_LINK_NOMEM) {
    fail(s, "out of memory in link %s", e->name);
    return -1;
  }
  return (int)v;
}

int sim_inject(sim *s, const struct sockaddr *from, const struct sockaddr *to, const uint8_t *data,
               size_t len, uint8_t ecn) {
  sim_edge *e = find_edge(s, from, to);
  if (e == NULL) {
    return -2;
  }
  return offer(s, e, data, len, ecn);
}

static int deliver_due(sim *s, uint64_t *progress) {
  for (int i = 0; i < s->nedges; i++) {
    sim_edge *e = &s->edges[i];
    sim_packet p;
    while (sim_link_pop(e->link, s->now, &p, s->in, SIM_LINK_MAX_MTU)) {
      sim_node *n = e->dst;
      if (s->trace != NULL) {
        s->trace(s->trace_user, s, e->link, e->name, -1, p.index, p.len, s->now);
      }
      n->st.rx_datagrams++;
      n->st.rx_bytes += p.len;
      n->st.last_rx_us = s->now;
      (*progress)++;
      int rc = n->ops.input(n->ctx, s->in, p.len, (const struct sockaddr *)&e->to,
                            (const struct sockaddr *)&e->from, p.ecn, s->now);
      if (rc < 0) {
        char b[64];
        fail(s, "node %d input of datagram #%" PRIu64 " from %s returned %s", n->id, p.index,
             e->name, err_str(n, rc, b, sizeof b));
        return -1;
      }
    }
  }
  return 0;
}

/* Splits one output batch into datagrams and offers them to the link. */
static int route_batch(sim *s, sim_node *n, const sim_send_info *info, size_t total) {
  const struct sockaddr *from = (const struct sockaddr *)&info->local;
  if (info->local.ss_family == AF_UNSPEC) {
    from = (const struct sockaddr *)&n->addrs[0];
  } else if (owner_of(s, from) != n) {
    char a[64];
    fail(s, "node %d sent from %s, which is not its address", n->id,
         sim_addr_str(from, a, sizeof a));
    return -1;
  }
  size_t seg = info->segment_size != 0 ? info->segment_size : total;
  size_t count = (total + seg - 1) / seg;
  if (info->count != 0 && info->count != count) {
    fail(s, "node %d batch of %zu bytes with segment_size %zu has %zu datagrams, info says %zu",
         n->id, total, seg, count, info->count);
    return -1;
  }
  if (seg > SIM_LINK_MAX_MTU) {
    fail(s, "node %d sent a %zu-byte datagram", n->id, seg);
    return -1;
  }
  sim_edge *e = find_edge(s, from, (const struct sockaddr *)&info->remote);
  n->st.tx_batches++;
  n->st.last_tx_us = s->now;
  for (size_t off = 0; off < total; off += seg) {
    size_t len = total - off < seg ? total - off : seg;
    n->st.tx_datagrams++;
    n->st.tx_bytes += len;
    if (e == NULL) {
      n->st.unroutable++;
    } else if (offer(s, e, s->out + off, len, info->ecn) < 0) {
      return -1;
    }
  }
  return 0;
}

static int drain_output(sim *s, sim_node *n, uint64_t *progress) {
  if (n->poll != NULL) {
    n->poll(n->poll_user, s->now);
  }
  for (uint64_t batches = 0;; batches++) {
    if (batches == SIM_MAX_DRAIN) {
      fail(s, "node %d produced %d batches at one instant without stopping", n->id, SIM_MAX_DRAIN);
      return -1;
    }
    sim_send_info info;
    memset(&info, 0, sizeof info);
    int rc = n->ops.output(n->ctx, s->now, s->out, SIM_OUT_CAP, &info);
    if (rc == 0) {
      return 0;
    }
    if (rc < 0) {
      char b[64];
      fail(s, "node %d output returned %s", n->id, err_str(n, rc, b, sizeof b));
      return -1;
    }
    if ((size_t)rc > SIM_OUT_CAP) {
      fail(s, "node %d output returned %d bytes for a %d-byte buffer", n->id, rc, SIM_OUT_CAP);
      return -1;
    }
    if (route_batch(s, n, &info, (size_t)rc) != 0) {
      return -1;
    }
    (*progress)++;
  }
}

/* The earliest event; *who is the first node whose wake-up time is due
 * (-1 if none), for livelock messages. */
static uint64_t next_event(const sim *s, int *who) {
  uint64_t t = UINT64_MAX;
  *who = -1;
  for (int i = 0; i < s->nedges; i++) {
    uint64_t a = sim_link_next_arrival(s->edges[i].link);
    t = a < t ? a : t;
  }
  for (int i = 0; i < s->nnodes; i++) {
    uint64_t w = s->nodes[i]->ops.next_wake(s->nodes[i]->ctx);
    if (w <= s->now && *who < 0) {
      *who = i;
    }
    t = w < t ? w : t;
  }
  return t;
}

/* One step at the current time; returns the time of the next event, or
 * UINT64_MAX when there is none. Sets s->failed on failure. */
static uint64_t step(sim *s) {
  uint64_t progress = 0;
  if (deliver_due(s, &progress) != 0) {
    return 0;
  }
  for (int i = 0; i < s->nnodes; i++) {
    if (drain_output(s, s->nodes[i], &progress) != 0) {
      return 0;
    }
  }
  int who;
  uint64_t next = next_event(s, &who);
  if (next > s->now) {
    s->stall = 0;
    return next;
  }
  if (progress != 0) {
    s->stall = 0;
    return s->now; /* more to do at this instant */
  }
  if (++s->stall > s->cfg.max_stall) {
    fail(s,
         "livelock: %" PRIu64 " iterations without delivering or sending while node %d's "
         "wake-up time (%" PRIu64 " us) is due",
         s->stall - 1, who, who >= 0 ? s->nodes[who]->ops.next_wake(s->nodes[who]->ctx) : 0);
    return 0;
  }
  return s->now + 1; /* nudge: a timer rounded down by < 1 us */
}

sim_result sim_run_until(sim *s, sim_pred_fn pred, void *user, uint64_t deadline_us) {
  if (s->failed) {
    return SIM_FAIL;
  }
  s->err[0] = '\0';
  int capped = deadline_us > s->cfg.max_time_us;
  if (capped) {
    deadline_us = s->cfg.max_time_us;
  }
  if (pred != NULL && pred(user)) {
    return SIM_OK;
  }
  for (;;) {
    if (++s->iterations > s->cfg.max_iterations) {
      return fail(s, "iteration limit %" PRIu64 " reached (livelock?)", s->cfg.max_iterations);
    }
    uint64_t next = step(s);
    if (s->failed) {
      return SIM_FAIL;
    }
    if (pred != NULL && pred(user)) {
      return SIM_OK;
    }
    if (next == UINT64_MAX && pred != NULL) {
      snprintf(s->err, sizeof s->err,
               "t=%" PRIu64 " us: idle (nothing in flight, no timer) before the predicate held",
               s->now);
      return SIM_IDLE;
    }
    if (next > deadline_us) {
      if (capped && pred != NULL) {
        return fail(s, "virtual time limit %" PRIu64 " us reached", s->cfg.max_time_us);
      }
      if (deadline_us > s->now) {
        s->now = deadline_us;
      }
      snprintf(s->err, sizeof s->err, "t=%" PRIu64 " us: deadline reached", s->now);
      return SIM_DEADLINE;
    }
    s->now = next;
  }
}

sim_result sim_run_for(sim *s, uint64_t duration_us) {
  uint64_t deadline = UINT64_MAX - s->now > duration_us ? s->now + duration_us : UINT64_MAX;
  return sim_run_until(s, NULL, NULL, deadline);
}
