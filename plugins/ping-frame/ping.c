/* org.pquic.example.ping-frame (see manifest).
 *
 * Frames waiting to go out are identified by a small integer cookie, an
 * index in a ring of recent frames, rather than by pointers: a frame's
 * record can be notified LOST and later ACKED (the loss was spurious, or a
 * probe resent it), so nothing may be freed on a notification. */
#include "pquic_plugin.h"

#include "ping.h"

#define RING 64

typedef struct slot {
  uint64_t seq, stamp; /* stamp: the PING's send time, echoed by the PONG */
  uint8_t acked, answered;
} slot;

typedef struct state {
  ping_stats s;
  slot ping[RING]; /* by our sequence number */
  slot pong[RING]; /* by the peer's sequence number */
} state;

/* The last frame parsed, handed from parse_frame to process_frame. */
static slot rx;

static state *st(void) {
  return pl_get_opaque_data(1, sizeof(state));
}

static uint64_t get64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | p[i];
  return v;
}

static void put64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--) {
    p[i] = (uint8_t)v;
    v >>= 8;
  }
}

/* ping() -> the sequence number of the PING_EXT frame queued */
PLUGLET(send_ping) {
  state *x = st();
  if (!x)
    return (uint64_t)-1;
  uint64_t seq = x->s.pings_sent;
  slot *p = &x->ping[seq % RING];
  p->seq = seq;
  p->stamp = 0;
  p->acked = p->answered = 0;
  if (pl_reserve_frame(PING_FRAME, PING_FRAME_LEN, seq % RING))
    return (uint64_t)-1;
  x->s.pings_sent++;
  return seq;
}

/* parse_frame(pkt, data, len) -> out[0] bytes, out[1] frame */
static uint64_t parse(pl_args *args, uint64_t type) {
  const uint8_t *d = (const uint8_t *)args->in[1];
  if (args->in[2] < PING_FRAME_LEN || d[0] != (0x40 | (type >> 8)) || d[1] != (type & 0xff))
    return 1; /* the core closes with FRAME_ENCODING_ERROR */
  rx.seq = get64(d + 2);
  rx.stamp = get64(d + 10);
  args->out[0] = PING_FRAME_LEN;
  args->out[1] = (uint64_t)&rx;
  return 0;
}

PLUGLET(parse_ping) {
  return parse(args, PING_FRAME);
}
PLUGLET(parse_pong) {
  return parse(args, PONG_FRAME);
}

/* process_frame(pkt, frame): answer with the same sequence and stamp */
PLUGLET(process_ping) {
  const slot *f = (const slot *)args->in[1];
  state *x = st();
  if (!x)
    return 1;
  x->s.pings_received++;
  slot *p = &x->pong[f->seq % RING];
  p->seq = f->seq;
  p->stamp = f->stamp;
  p->acked = 0;
  return pl_reserve_frame(PONG_FRAME, PING_FRAME_LEN, f->seq % RING);
}

PLUGLET(process_pong) {
  const slot *f = (const slot *)args->in[1];
  state *x = st();
  if (!x)
    return 1;
  slot *p = &x->ping[f->seq % RING];
  if (p->seq != f->seq || p->answered)
    return 0; /* a duplicate (the PING was resent) */
  p->answered = 1;
  ping_message m = {f->seq, pl_now() - f->stamp};
  x->s.pongs_received++;
  x->s.last_rtt = m.rtt_us;
  pl_push_message(&m, sizeof m);
  return 0;
}

/* write_frame(opkt, cookie, buf, cap) -> out[0] bytes written */
static uint64_t write(pl_args *args, slot *f) {
  uint8_t *b = (uint8_t *)args->in[2];
  if (args->in[3] < PING_FRAME_LEN) {
    args->out[0] = 0;
    return 0;
  }
  b[0] = (uint8_t)(0x40 | (args->param >> 8));
  b[1] = (uint8_t)args->param;
  put64(b + 2, f->seq);
  put64(b + 10, f->stamp);
  args->out[0] = PING_FRAME_LEN;
  return 0;
}

PLUGLET(write_ping) {
  state *x = st();
  if (!x)
    return 1;
  slot *f = &x->ping[args->in[1] % RING];
  f->stamp = pl_now(); /* each copy carries its own send time */
  return write(args, f);
}

PLUGLET(write_pong) {
  state *x = st();
  if (!x)
    return 1;
  x->s.pongs_sent++;
  return write(args, &x->pong[args->in[1] % RING]);
}

/* notify_frame(sent, frame record, fate): resend what was lost */
PLUGLET(notify_frame) {
  state *x = st();
  if (!x)
    return 1;
  uint64_t cookie = pl_get_frame(args->in[1], PQF_FRAME_COOKIE) % RING;
  slot *f = args->param == PING_FRAME ? &x->ping[cookie] : &x->pong[cookie];
  if (args->in[2] == PL_FATE_LOST) {
    x->s.frames_lost++;
    if (!f->acked && !(args->param == PING_FRAME && f->answered))
      pl_reserve_frame(args->param, PING_FRAME_LEN, cookie);
  } else if (args->in[2] == PL_FATE_ACKED) {
    x->s.frames_acked++;
    f->acked = 1;
  }
  return 0;
}

/* ping_stats() -> out[0..6] */
PLUGLET(stats) {
  state *x = st();
  if (!x)
    return 1;
  const uint64_t *v = (const uint64_t *)&x->s;
  for (uint32_t i = 0; i < args->n_out && i < sizeof(ping_stats) / 8; i++)
    args->out[i] = v[i];
  return 0;
}
