/* One-way emulated link: FIFO serialization, drop-tail queue, seeded loss,
 * reordering and duplication, delivery through a min-heap on arrival time. */
#include "link.h"

#include <stdlib.h>
#include <string.h>

typedef struct slot_meta {
  uint64_t arrival_us;
  uint64_t seq; /* insertion order: ties on arrival time keep sending order */
  uint64_t index;
  uint32_t len;
  uint8_t ecn;
  uint8_t dup;
} slot_meta;

/* A datagram occupying the transmitter queue until end_ns. */
typedef struct txq_entry {
  uint64_t end_ns;
  uint64_t bytes;
} txq_entry;

typedef struct drop_range {
  uint64_t first, last;
} drop_range;

struct sim_link {
  sim_link_config cfg;
  sim_rng rng;
  uint64_t th_loss, th_ge_p, th_ge_r, th_ge_good, th_ge_bad, th_reorder, th_dup;
  int ge_enabled, ge_bad, down;
  uint64_t busy_ns; /* when the transmitter finishes the last accepted datagram */
  uint64_t last_now;
  drop_range drops[SIM_LINK_MAX_DROP_RANGES];
  size_t ndrops;
  uint64_t mask, mask_base;
  sim_tamper_fn tamper;
  void *tamper_user;
  /* Packet pool: nslots slots of `stride` bytes, a free stack, a heap. */
  size_t nslots, stride, nfree, heap_len;
  uint8_t *arena;
  slot_meta *meta;
  uint32_t *free_stack, *heap;
  uint64_t seq;
  /* Transmit queue (ring), for the queue depth. */
  txq_entry *txq;
  size_t txq_cap, txq_head, txq_len;
  uint64_t txq_bytes;
  sim_link_stats st;
};

void sim_link_config_init(sim_link_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->mtu = SIM_LINK_DEFAULT_MTU;
}

static int prob_ok(double p) {
  return p >= 0.0 && p <= 1.0;
}

static int apply_config(sim_link *l, const sim_link_config *cfg) {
  if (!prob_ok(cfg->loss) || !prob_ok(cfg->ge_p) || !prob_ok(cfg->ge_r) ||
      !prob_ok(cfg->ge_loss_good) || !prob_ok(cfg->ge_loss_bad) || !prob_ok(cfg->reorder) ||
      !prob_ok(cfg->duplicate) || cfg->mtu > SIM_LINK_MAX_MTU) {
    return -2;
  }
  l->cfg = *cfg;
  if (l->cfg.mtu == 0) {
    l->cfg.mtu = SIM_LINK_DEFAULT_MTU;
  }
  l->th_loss = sim_rng_threshold(cfg->loss);
  l->ge_enabled = cfg->ge_p > 0.0;
  l->th_ge_p = sim_rng_threshold(cfg->ge_p);
  l->th_ge_r = sim_rng_threshold(cfg->ge_r);
  l->th_ge_good = sim_rng_threshold(cfg->ge_loss_good);
  l->th_ge_bad = sim_rng_threshold(cfg->ge_loss_bad);
  l->th_reorder = sim_rng_threshold(cfg->reorder);
  l->th_dup = sim_rng_threshold(cfg->duplicate);
  return 0;
}

/* Re-lays the arena out with a new slot count and stride, keeping the
 * contents of every existing slot. */
static int resize_pool(sim_link *l, size_t nslots, size_t stride) {
  uint8_t *arena = malloc(nslots * stride);
  slot_meta *meta = realloc(l->meta, nslots * sizeof *meta);
  if (meta != NULL) {
    l->meta = meta;
  }
  uint32_t *fs = realloc(l->free_stack, nslots * sizeof *fs);
  if (fs != NULL) {
    l->free_stack = fs;
  }
  uint32_t *heap = realloc(l->heap, nslots * sizeof *heap);
  if (heap != NULL) {
    l->heap = heap;
  }
  if (arena == NULL || meta == NULL || fs == NULL || heap == NULL) {
    free(arena);
    return -1;
  }
  for (size_t i = 0; i < l->nslots; i++) {
    memcpy(arena + i * stride, l->arena + i * l->stride, l->stride < stride ? l->stride : stride);
  }
  free(l->arena);
  l->arena = arena;
  /* New slots go on the free stack so the lowest index is used first. */
  for (size_t i = nslots; i > l->nslots; i--) {
    l->free_stack[l->nfree++] = (uint32_t)(i - 1);
  }
  l->nslots = nslots;
  l->stride = stride;
  return 0;
}

int sim_link_new(const sim_link_config *cfg, sim_link **out) {
  *out = NULL;
  sim_link *l = calloc(1, sizeof *l);
  if (l == NULL) {
    return -1;
  }
  int rc = apply_config(l, cfg);
  if (rc != 0) {
    free(l);
    return rc;
  }
  sim_rng_seed(&l->rng, cfg->seed);
  l->mask = cfg->loss_mask;
  if (resize_pool(l, 64, l->cfg.mtu) != 0) {
    sim_link_free(l);
    return -1;
  }
  *out = l;
  return 0;
}

void sim_link_free(sim_link *l) {
  if (l == NULL) {
    return;
  }
  free(l->arena);
  free(l->meta);
  free(l->free_stack);
  free(l->heap);
  free(l->txq);
  free(l);
}

int sim_link_reconfigure(sim_link *l, const sim_link_config *cfg) {
  size_t mtu = cfg->mtu != 0 ? cfg->mtu : SIM_LINK_DEFAULT_MTU;
  if (mtu > SIM_LINK_MAX_MTU) {
    return -2;
  }
  if (mtu > l->stride && resize_pool(l, l->nslots, mtu) != 0) {
    return -1;
  }
  uint64_t seed = l->cfg.seed, mask = l->cfg.loss_mask;
  int rc = apply_config(l, cfg);
  l->cfg.seed = seed;
  l->cfg.loss_mask = mask;
  return rc;
}

int sim_link_drop_range(sim_link *l, uint64_t first, uint64_t count) {
  if (count == 0) {
    return 0;
  }
  if (l->ndrops == SIM_LINK_MAX_DROP_RANGES) {
    return -1;
  }
  l->drops[l->ndrops].first = first;
  l->drops[l->ndrops].last = first + count - 1;
  l->ndrops++;
  return 0;
}

void sim_link_set_loss_mask(sim_link *l, uint64_t mask) {
  l->mask = mask;
  l->mask_base = l->st.offered;
}

void sim_link_set_down(sim_link *l, int down) {
  l->down = down != 0;
}

void sim_link_set_tamper(sim_link *l, sim_tamper_fn fn, void *user) {
  l->tamper = fn;
  l->tamper_user = user;
}

/* --- arrival heap, ordered by (arrival time, insertion order) --- */

static int slot_before(const sim_link *l, uint32_t a, uint32_t b) {
  const slot_meta *x = &l->meta[a], *y = &l->meta[b];
  return x->arrival_us < y->arrival_us || (x->arrival_us == y->arrival_us && x->seq < y->seq);
}

static void heap_push(sim_link *l, uint32_t slot) {
  size_t i = l->heap_len++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!slot_before(l, slot, l->heap[parent])) {
      break;
    }
    l->heap[i] = l->heap[parent];
    i = parent;
  }
  l->heap[i] = slot;
}

static uint32_t heap_pop(sim_link *l) {
  uint32_t top = l->heap[0];
  uint32_t last = l->heap[--l->heap_len];
  size_t i = 0, n = l->heap_len;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) {
      break;
    }
    if (c + 1 < n && slot_before(l, l->heap[c + 1], l->heap[c])) {
      c++;
    }
    if (!slot_before(l, l->heap[c], last)) {
      break;
    }
    l->heap[i] = l->heap[c];
    i = c;
  }
  if (n > 0) {
    l->heap[i] = last;
  }
  return top;
}

/* --- transmit queue --- */

static void txq_prune(sim_link *l, uint64_t now_ns) {
  while (l->txq_len > 0 && l->txq[l->txq_head].end_ns <= now_ns) {
    l->txq_bytes -= l->txq[l->txq_head].bytes;
    l->txq_head = (l->txq_head + 1) % l->txq_cap;
    l->txq_len--;
  }
}

static int txq_push(sim_link *l, uint64_t end_ns, uint64_t bytes) {
  if (l->txq_len == l->txq_cap) {
    size_t cap = l->txq_cap ? 2 * l->txq_cap : 64;
    txq_entry *q = malloc(cap * sizeof *q);
    if (q == NULL) {
      return -1;
    }
    for (size_t i = 0; i < l->txq_len; i++) {
      q[i] = l->txq[(l->txq_head + i) % l->txq_cap];
    }
    free(l->txq);
    l->txq = q;
    l->txq_cap = cap;
    l->txq_head = 0;
  }
  l->txq[(l->txq_head + l->txq_len) % l->txq_cap] = (txq_entry){end_ns, bytes};
  l->txq_len++;
  l->txq_bytes += bytes;
  return 0;
}

size_t sim_link_queue_bytes(sim_link *l, uint64_t now) {
  txq_prune(l, now * 1000);
  return (size_t)l->txq_bytes;
}

/* --- sending --- */

static int take_slot(sim_link *l, uint32_t *slot) {
  if (l->nfree == 0 && resize_pool(l, l->nslots * 2, l->stride) != 0) {
    return -1;
  }
  *slot = l->free_stack[--l->nfree];
  return 0;
}

/* One draw, always taken, so the random stream does not depend on which
 * datagrams were dropped by deterministic rules. */
static int chance(sim_link *l, uint64_t threshold) {
  uint64_t v = sim_rng_next(&l->rng);
  return threshold == UINT64_MAX || v < threshold;
}

static int in_drop_list(const sim_link *l, uint64_t index) {
  for (size_t i = 0; i < l->ndrops; i++) {
    if (index >= l->drops[i].first && index <= l->drops[i].last) {
      return 1;
    }
  }
  if (l->mask != 0 && index >= l->mask_base) {
    return (int)((l->mask >> ((index - l->mask_base) % 64)) & 1);
  }
  return 0;
}

/* Decides loss on the wire; draws for every enabled random mechanism. */
static int wire_loss(sim_link *l, uint64_t index) {
  int lost = in_drop_list(l, index);
  if (l->ge_enabled) {
    int flip = chance(l, l->ge_bad ? l->th_ge_r : l->th_ge_p);
    if (flip) {
      l->ge_bad = !l->ge_bad;
    }
    lost |= chance(l, l->ge_bad ? l->th_ge_bad : l->th_ge_good);
  }
  if (l->th_loss != 0) {
    lost |= chance(l, l->th_loss);
  }
  return lost;
}

/* Serialization time of `bytes` in nanoseconds, rounded up. */
static uint64_t tx_ns(const sim_link *l, uint64_t bytes) {
  if (l->cfg.rate_bps == 0) {
    return 0;
  }
  return (bytes * UINT64_C(8000000000) + l->cfg.rate_bps - 1) / l->cfg.rate_bps;
}

static sim_link_verdict drop(uint64_t *counter, sim_link_verdict v) {
  (*counter)++;
  return v;
}

sim_link_verdict sim_link_send(sim_link *l, uint64_t now, const uint8_t *data, size_t len,
                               uint8_t ecn) {
  if (now < l->last_now) {
    now = l->last_now;
  }
  l->last_now = now;
  uint64_t index = l->st.offered++;
  l->st.bytes_offered += len;
  if (l->down) {
    return drop(&l->st.dropped_down, SIM_LINK_DROP_DOWN);
  }
  if (len == 0 || len > l->cfg.mtu) {
    return drop(&l->st.dropped_mtu, SIM_LINK_DROP_MTU);
  }
  uint32_t slot;
  if (take_slot(l, &slot) != 0) {
    return SIM_LINK_NOMEM;
  }
  uint8_t *buf = l->arena + (size_t)slot * l->stride;
  memcpy(buf, data, len);
  if (l->tamper != NULL) {
    size_t tlen = len;
    int dropped = l->tamper(l->tamper_user, index, now, buf, &tlen, l->cfg.mtu, &ecn);
    if (dropped || tlen == 0 || tlen > l->cfg.mtu) {
      l->free_stack[l->nfree++] = slot;
      return drop(&l->st.dropped_tamper, SIM_LINK_DROP_TAMPER);
    }
    len = tlen;
  }

  uint64_t now_ns = now * 1000;
  uint64_t wire_bytes = len + l->cfg.overhead_bytes;
  txq_prune(l, now_ns);
  if (l->txq_bytes > l->st.max_queue_bytes) {
    l->st.max_queue_bytes = (size_t)l->txq_bytes;
  }
  if (l->cfg.queue_bytes != 0 && l->txq_bytes + wire_bytes > l->cfg.queue_bytes) {
    l->free_stack[l->nfree++] = slot;
    return drop(&l->st.dropped_queue, SIM_LINK_DROP_QUEUE);
  }
  if (l->cfg.ecn_ce_bytes != 0 && l->txq_bytes >= l->cfg.ecn_ce_bytes &&
      (ecn == SIM_ECN_ECT0 || ecn == SIM_ECN_ECT1)) {
    ecn = SIM_ECN_CE;
    l->st.ce_marked++;
  }
  uint64_t start = now_ns > l->busy_ns ? now_ns : l->busy_ns;
  l->busy_ns = start + tx_ns(l, wire_bytes);
  if (txq_push(l, l->busy_ns, wire_bytes) != 0) {
    l->free_stack[l->nfree++] = slot;
    return SIM_LINK_NOMEM;
  }

  int lost = wire_loss(l, index);
  int held = l->th_reorder != 0 && chance(l, l->th_reorder);
  int dup = l->th_dup != 0 && chance(l, l->th_dup);
  if (lost) {
    l->free_stack[l->nfree++] = slot;
    return drop(&l->st.dropped_loss, SIM_LINK_DROP_LOSS);
  }
  uint64_t arrival = (l->busy_ns + 999) / 1000 + l->cfg.delay_us;
  if (held) {
    arrival += l->cfg.reorder_delay_us;
    l->st.reordered++;
  }
  l->meta[slot] = (slot_meta){arrival, l->seq++, index, (uint32_t)len, ecn, 0};
  heap_push(l, slot);
  if (dup) {
    uint32_t copy;
    if (take_slot(l, &copy) != 0) {
      return SIM_LINK_NOMEM;
    }
    /* take_slot may have moved the arena. */
    memcpy(l->arena + (size_t)copy * l->stride, l->arena + (size_t)slot * l->stride, len);
    l->meta[copy] = (slot_meta){arrival, l->seq++, index, (uint32_t)len, ecn, 1};
    heap_push(l, copy);
    l->st.duplicated++;
  }
  return SIM_LINK_SENT;
}

uint64_t sim_link_next_arrival(const sim_link *l) {
  return l->heap_len == 0 ? UINT64_MAX : l->meta[l->heap[0]].arrival_us;
}

int sim_link_pop(sim_link *l, uint64_t now, sim_packet *pkt, uint8_t *buf, size_t cap) {
  if (l->heap_len == 0 || l->meta[l->heap[0]].arrival_us > now) {
    return 0;
  }
  uint32_t slot = heap_pop(l);
  const slot_meta *m = &l->meta[slot];
  pkt->arrival_us = m->arrival_us;
  pkt->index = m->index;
  pkt->len = m->len;
  pkt->ecn = m->ecn;
  pkt->is_duplicate = m->dup;
  memcpy(buf, l->arena + (size_t)slot * l->stride, m->len < cap ? m->len : cap);
  l->free_stack[l->nfree++] = slot;
  l->st.delivered++;
  l->st.bytes_delivered += m->len;
  return 1;
}

size_t sim_link_in_flight(const sim_link *l) {
  return l->heap_len;
}

const sim_link_stats *sim_link_get_stats(const sim_link *l) {
  return &l->st;
}

size_t sim_link_mtu(const sim_link *l) {
  return l->cfg.mtu;
}
