/* Frames of plugins: per-plugin queues of reserved frames and the
 * scheduler behind write_plugin_frames.
 *
 * Frames of plugins whose manifest says `congestion_controlled no` go
 * first, in any 1-RTT packet with room. The others share the congestion
 * window with stream data by class-based queuing: while streams have data
 * to send, plugin frames may take at most (100 - stream_share) % of the
 * bytes the connection sent in the current period (a period restarts
 * whenever a congestion window's worth was sent, so credit never piles
 * up), counting the packet being built; without stream data they may take
 * everything. Within that allowance a deficit round robin (quantum
 * drr_quantum bytes) shares the plugins' class among them. */
#include <string.h>

#include "common/alloc.h"
#include "conn/opcalls.h"
#include "plugin/plugin_int.h"

static const pq_mf_frame *declared(const pq_pl_inst *in, uint64_t type) {
  return pq_manifest_frame(&in->plugin->mf, type);
}

int pq_pl_frame_props(pq_cnx *cnx, uint64_t type, uint8_t *props) {
  const pq_pl_cnx *pc = (const pq_pl_cnx *)cnx->pl;
  for (size_t i = 0; i < pc->n; i++) {
    const pq_mf_frame *f = declared(pc->insts[i], type);
    if (f) {
      *props = f->props;
      return 1;
    }
  }
  return 0;
}

uint64_t pq_pl_reserve(pq_pl_run *r, uint64_t type, uint64_t bytes, uint64_t cookie) {
  pq_pl_inst *in = r->inst;
  if (!declared(in, type) || bytes == 0 || bytes > PQ_PL_FRAME_MAX)
    return (uint64_t)(int64_t)PQUIC_ERR_INVAL;
  if (in->q_len == PQ_PL_QUEUE_MAX)
    return (uint64_t)(int64_t)PQUIC_ERR_LIMIT;
  if (in->q_len == in->q_cap) {
    uint32_t cap = in->q_cap ? 2 * in->q_cap : 16;
    pq_pl_qframe *q = pq_malloc(cap * sizeof *q);
    if (!q)
      return (uint64_t)(int64_t)PQUIC_ERR_LIMIT;
    for (uint32_t i = 0; i < in->q_len; i++)
      q[i] = in->queue[(in->q_head + i) % in->q_cap];
    pq_free(in->queue);
    in->queue = q;
    in->q_cap = cap;
    in->q_head = 0;
  }
  in->queue[(in->q_head + in->q_len) % in->q_cap] = (pq_pl_qframe){type, cookie, (uint32_t)bytes};
  in->q_len++;
  return 0;
}

int pq_pl_has_pending(pq_cnx *cnx) {
  const pq_pl_cnx *pc = (const pq_pl_cnx *)cnx->pl;
  for (size_t i = 0; i < pc->n; i++) {
    if (pc->insts[i]->q_len)
      return 1;
  }
  return 0;
}

static pq_pl_qframe pop(pq_pl_inst *in) {
  pq_pl_qframe f = in->queue[in->q_head];
  in->q_head = (in->q_head + 1) % in->q_cap;
  in->q_len--;
  return f;
}

/* Tells the plugin a frame never went out. */
static void not_sent(pq_cnx *cnx, const pq_pl_qframe *f) {
  pq_sent_frame sf;
  memset(&sf, 0, sizeof sf);
  sf.type = f->type;
  sf.u.ext = (void *)(uintptr_t)f->cookie;
  (void)pq_op_notify_frame(cnx, f->type, NULL, &sf, 3);
}

void pq_pl_queue_clear(pq_pl_inst *in, int notify) {
  while (in->q_len) {
    pq_pl_qframe f = pop(in);
    if (notify && !in->cnx->op.fault)
      not_sent(in->cnx, &f);
  }
}

enum { WROTE = 0, NO_ROOM, DROPPED, FATAL };

/* Writes the head frame of `in` into the packet through write_frame[type]
 * and records it in the sent packet for notify_frame. */
static int write_head(pq_cnx *cnx, pq_opkt *o, pq_pl_inst *in, uint64_t *written) {
  pq_pl_qframe f = in->queue[in->q_head];
  size_t room = pq_opkt_room(o);
  *written = 0;
  if (f.bytes > room)
    return NO_ROOM;
  pq_sent_frame *sf = pq_sent_add_frame(o->sp, f.type);
  if (!sf)
    return NO_ROOM;
  sf->u.ext = (void *)(uintptr_t)f.cookie;
  uint64_t out[1] = {0};
  uint64_t rc = pq_op_write_frame(cnx, f.type, o, (void *)(uintptr_t)f.cookie, o->w.p, room, out);
  if (cnx->op.fault) {
    o->sp->n_frames--;
    return FATAL;
  }
  if (rc != 0 || out[0] == 0 || out[0] > room) {
    o->sp->n_frames--;
    if (out[0] > room) {
      /* The pluglet claims bytes it was not lent: never trust it. */
      cnx->op.fault = PQUIC_ERR_PLUGIN;
      cnx->op.fault_op = PQ_OP_write_frame;
      cnx->op.fault_param = f.type;
      return FATAL;
    }
    (void)pop(in);
    not_sent(cnx, &f);
    return cnx->op.fault ? FATAL : DROPPED;
  }
  (void)pop(in);
  o->w.p += out[0];
  const pq_mf_frame *d = declared(in, f.type);
  if (d && (d->props & PQ_FRAME_ACK_ELICITING))
    o->ack_eliciting = 1;
  if (d && (d->props & PQ_FRAME_IN_FLIGHT))
    o->in_flight = 1;
  *written = out[0];
  return WROTE;
}

/* Frames exempt from the window shares, first. */
static int write_uncontrolled(pq_cnx *cnx, pq_pl_cnx *pc, pq_opkt *o) {
  for (size_t i = 0; i < pc->n; i++) {
    pq_pl_inst *in = pc->insts[i];
    while (!in->plugin->mf.cc && in->q_len) {
      uint64_t w;
      int rc = write_head(cnx, o, in, &w);
      if (rc == FATAL)
        return -1;
      if (rc == NO_ROOM)
        break;
    }
  }
  return 0;
}

/* The next congestion-controlled instance with frames, from the cursor. */
static pq_pl_inst *next_backlogged(pq_pl_cnx *pc) {
  for (size_t k = 0; k < pc->n; k++) {
    size_t i = (pc->rr + k) % pc->n;
    pq_pl_inst *in = pc->insts[i];
    if (in->plugin->mf.cc && in->q_len) {
      if (k) {
        pc->rr = i;
        pc->turn = 0;
      }
      return in;
    }
  }
  return NULL;
}

static void end_turn(pq_pl_cnx *pc) {
  pc->turn = 0;
  pc->rr = (pc->rr + 1) % pc->n;
}

uint64_t pq_pl_write_frames(pq_cnx *cnx, pq_opkt *o) {
  pq_pl_cnx *pc = (pq_pl_cnx *)cnx->pl;
  if (pc->n == 0 || o->level != PQ_CRYPTO_LEVEL_1RTT)
    return 0;
  /* Class-based queuing: periods of one window of bytes sent (kept
   * running for every packet, frames or not). */
  uint64_t cwnd = o->path->cwnd;
  if (cnx->stats.bytes_sent - pc->period_start >= cwnd) {
    pc->period_start = cnx->stats.bytes_sent;
    pc->period_plugin = 0;
  }
  if (!pq_pl_has_pending(cnx))
    return 0; /* the common case, every packet: nothing more to look at */
  if (write_uncontrolled(cnx, pc, o))
    return (uint64_t)(int64_t)cnx->op.fault;
  const pquic_plugin_settings *set = &((pq_pl_ep *)cnx->ep->pl)->settings;
  /* The plugins' allowance in this period. */
  uint64_t allowance = UINT64_MAX;
  if (pq_streams_have_pending(cnx)) {
    /* Plugins' share of what the period sent so far, this packet included:
     * a window that shrinks mid-period cannot leave them ahead. */
    uint64_t sent = cnx->stats.bytes_sent - pc->period_start + pq_opkt_room(o);
    uint64_t cap = sent / 100 * (100 - set->stream_share);
    allowance = cap > pc->period_plugin ? cap - pc->period_plugin : 0;
  }
  /* Deficit round robin among plugins within the allowance. */
  for (size_t iter = 0; iter < 64 * pc->n && allowance > 0; iter++) {
    pq_pl_inst *in = next_backlogged(pc);
    if (!in)
      break;
    if (!pc->turn) {
      in->deficit += set->drr_quantum;
      pc->turn = 1;
    }
    uint32_t need = in->queue[in->q_head].bytes;
    if ((int64_t)need > in->deficit) {
      end_turn(pc);
      continue;
    }
    if (need > allowance)
      break;
    uint64_t w;
    int rc = write_head(cnx, o, in, &w);
    if (rc == FATAL)
      return (uint64_t)(int64_t)cnx->op.fault;
    if (rc == NO_ROOM)
      break;
    in->deficit -= (int64_t)w;
    pc->period_plugin += w;
    allowance = w < allowance ? allowance - w : 0;
    if (!in->q_len) {
      in->deficit = 0; /* an idle plugin keeps no credit */
      end_turn(pc);
    }
  }
  return 0;
}
