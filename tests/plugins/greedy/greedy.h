/* A greedy plugin for the scheduler scenarios (test_sim_plugin_sched.c):
 * once started it keeps GREEDY_QUEUE frames of GREEDY_BYTES bytes
 * reserved at all times, so it always has more to send than it may. The
 * including file defines GREEDY_FRAME (its frame type). Frame: type
 * (2-byte varint), length (2-byte varint), length bytes of zeros. */
#include "pquic_plugin.h"

#define GREEDY_BYTES 1000
#define GREEDY_QUEUE 8

typedef struct greedy {
  uint64_t written_bytes, written_frames; /* sent by this side */
  uint64_t rx_bytes, rx_frames;           /* received from the peer */
  uint64_t active;
} greedy;

static uint64_t rx_len;

static greedy *st(void) {
  return pl_get_opaque_data(1, sizeof(greedy));
}

/* greedy_start(): fill the queue; every frame written reserves another */
PLUGLET(greedy_start) {
  greedy *g = st();
  if (!g)
    return 1;
  g->active = 1;
  for (int i = 0; i < GREEDY_QUEUE; i++)
    pl_reserve_frame(GREEDY_FRAME, GREEDY_BYTES, 0);
  return 0;
}

PLUGLET(greedy_stop) {
  greedy *g = st();
  if (g)
    g->active = 0;
  return 0;
}

/* counts() -> out[0..3] */
PLUGLET(greedy_counts) {
  greedy *g = st();
  if (!g)
    return 1;
  const uint64_t *v = (const uint64_t *)g;
  for (uint32_t i = 0; i < 4 && i < args->n_out; i++)
    args->out[i] = v[i];
  return 0;
}

/* write_frame(opkt, cookie, buf, cap) */
PLUGLET(greedy_write) {
  greedy *g = st();
  uint8_t *b = (uint8_t *)args->in[2];
  if (!g || args->in[3] < GREEDY_BYTES) {
    args->out[0] = 0;
    return 0;
  }
  uint64_t len = GREEDY_BYTES - 4;
  b[0] = (uint8_t)(0x40 | (GREEDY_FRAME >> 8));
  b[1] = (uint8_t)GREEDY_FRAME;
  b[2] = (uint8_t)(0x40 | (len >> 8));
  b[3] = (uint8_t)len;
  pl_memset(b + 4, 0, len);
  args->out[0] = GREEDY_BYTES;
  g->written_bytes += GREEDY_BYTES;
  g->written_frames++;
  if (g->active)
    pl_reserve_frame(GREEDY_FRAME, GREEDY_BYTES, 0);
  return 0;
}

/* parse_frame(pkt, data, len) */
PLUGLET(greedy_parse) {
  const uint8_t *d = (const uint8_t *)args->in[1];
  if (args->in[2] < 4)
    return 1;
  uint64_t len = (uint64_t)(d[2] & 0x3f) << 8 | d[3];
  if (4 + len > args->in[2])
    return 1;
  rx_len = 4 + len;
  args->out[0] = 4 + len;
  args->out[1] = 0;
  return 0;
}

PLUGLET(greedy_process) {
  greedy *g = st();
  if (g) {
    g->rx_bytes += rx_len;
    g->rx_frames++;
  }
  return 0;
}
