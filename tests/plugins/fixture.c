/* Pluglets for the plugin layer's unit tests; each test writes a manifest
 * naming the ones it needs (tests/unit/test_plugin_runtime.c). */
#include "pquic_plugin.h"

PLUGLET(nop) {
  return 0;
}

/* ---- counting and reading ---- */

typedef struct counts {
  uint64_t by_anchor[4];
  uint64_t last_op;
} counts;

static counts *cnt(void) {
  return pl_get_opaque_data(1, sizeof(counts));
}

PLUGLET(count) {
  counts *c = cnt();
  if (c) {
    c->by_anchor[args->anchor & 3]++;
    c->last_op = args->op_id;
  }
  return 0;
}

/* external: out[0..3] = calls by anchor, out[4] = last op id */
PLUGLET(get_counts) {
  counts *c = cnt();
  if (!c)
    return 1;
  for (uint32_t i = 0; i < 4 && i < args->n_out; i++)
    args->out[i] = c->by_anchor[i];
  if (args->n_out > 4)
    args->out[4] = c->last_op;
  return 0;
}

/* external: a few fields of the connection and its active path */
PLUGLET(fields) {
  uint64_t path = pl_get_cnx(PQF_CNX_ACTIVE_PATH);
  args->out[0] = pl_get_cnx(PQF_CNX_IS_SERVER);
  args->out[1] = pl_get_cnx(PQF_CNX_N_PATHS);
  args->out[2] = pl_get_path(path, PQF_PATH_CWND);
  args->out[3] = pl_get_path(path, PQF_PATH_SMOOTHED_RTT);
  args->out[4] = pl_get_cnx(PQF_CNX_PACKETS_SENT);
  args->out[5] = pl_get_cnx(PQF_CNX_HANDSHAKE_COMPLETE);
  return 0;
}

/* external: sums a field n = in[0] times (for benchmarks) */
PLUGLET(read_loop) {
  uint64_t sum = 0;
  for (uint64_t i = 0; i < args->in[0]; i++)
    sum += pl_get_cnx(PQF_CNX_PACKETS_SENT);
  return sum;
}

/* external: the connection IDs (pl_get_cid) into out[0..5]: local
 * initial, peer initial, original DCID as (length, first 8 bytes), then
 * out[6] for an unknown id and out[7] for a too short buffer */
PLUGLET(cids) {
  uint8_t b[PL_CID_MAX];
  for (uint64_t w = 0; w < 3; w++) {
    for (int i = 0; i < PL_CID_MAX; i++)
      b[i] = 0;
    uint64_t n = pl_get_cid(w, b, sizeof b);
    uint64_t first = 0;
    for (int i = 0; i < 8; i++)
      first = first << 8 | b[i];
    args->out[2 * w] = n;
    args->out[2 * w + 1] = first;
  }
  args->out[6] = pl_get_cid(3, b, sizeof b);
  args->out[7] = pl_get_cid(PL_CID_LOCAL_INITIAL, b, 1);
  return 0;
}

/* ---- memory ---- */

static uint64_t bumps;
static const char greeting[] = "hello from a pluglet";

/* external: a global counter (one per instance); out[0] = its value,
 * out[1] = a byte of .rodata */
PLUGLET(bump) {
  bumps++;
  args->out[0] = bumps;
  args->out[1] = (uint64_t)greeting[6];
  return 0;
}

/* external: returns a bit mask of checks that passed (all: 0x3f) */
PLUGLET(heap_ops) {
  uint64_t ok = 0;
  uint8_t *a = pl_malloc(100);
  if (a) {
    ok |= 1;
    pl_memset(a, 0x5a, 100);
    uint8_t *b = pl_realloc(a, 5000);
    if (b && b[99] == 0x5a && b[0] == 0x5a)
      ok |= 2;
    pl_free(b);
  }
  if (pl_malloc(1ull << 40) == NULL)
    ok |= 4;
  uint8_t *c = pl_malloc(16), *d = pl_malloc(16);
  if (c && d && c != d) {
    pl_memcpy(d, "0123456789abcdef", 16);
    pl_memcpy(c, d, 16);
    if (pl_memcmp(c, d, 16) == 0 && pl_memcmp(c, "0123456789abcdeg", 16) < 0)
      ok |= 8;
  }
  void *o1 = pl_get_opaque_data(7, 64), *o2 = pl_get_opaque_data(7, 32);
  if (o1 && o1 == o2 && pl_get_opaque_data(7, 128) == NULL && ((uint8_t *)o1)[63] == 0)
    ok |= 16;
  uint8_t rnd[16] = {0};
  pl_random(rnd, sizeof rnd);
  uint64_t any = 0;
  for (int i = 0; i < 16; i++)
    any |= rnd[i];
  if (any && pl_now() > 0 && pl_log("heap_ops done") == 0)
    ok |= 32;
  return ok;
}

/* ---- operations ---- */

/* external: cc_available on the active path through run_protoop */
PLUGLET(call_core) {
  uint64_t id = pl_op_id("cc_available");
  if (pl_failed(id))
    return 1;
  uint64_t in[1] = {pl_get_cnx(PQF_CNX_ACTIVE_PATH)};
  args->out[0] = run_protoop(id, 0, in, 1, NULL, 0);
  /* Outside the allow list: an error, not a fault. */
  uint64_t bad = pl_op_id("process_ack_range");
  uint64_t in4[4] = {2, 0, 0, 0};
  args->out[1] = run_protoop(bad, 0, in4, 4, NULL, 0);
  args->out[2] = pl_op_id("no_such_operation");
  return 0;
}

/* replace update_rtt(path, latest, ack_delay): a fixed estimate */
PLUGLET(rtt_fixed) {
  pl_set_path(args->in[0], PQF_PATH_SMOOTHED_RTT, 4242);
  pl_set_path(args->in[0], PQF_PATH_HAS_RTT, 1);
  return 0;
}

/* ---- hostile ---- */

/* writes through a handle (an address outside the plugin's memory) */
PLUGLET(oob_write) {
  *(volatile uint64_t *)args->in[0] = 1;
  return 0;
}

PLUGLET(endless) {
  volatile uint64_t spin = 1;
  while (spin)
    spin++;
  return 0;
}

/* a setter: faults when called by an observer */
PLUGLET(setter) {
  pl_set_cnx(PQF_CNX_PACKET_THRESHOLD, 7);
  return pl_get_cnx(PQF_CNX_PACKET_THRESHOLD);
}

PLUGLET(loop_a) {
  return run_protoop(pl_op_id("fx_loop_b"), 0, NULL, 0, NULL, 0);
}

PLUGLET(loop_b) {
  return run_protoop(pl_op_id("fx_loop_a"), 0, NULL, 0, NULL, 0);
}

PLUGLET(bad_handle) {
  return pl_get_path(12345, PQF_PATH_CWND);
}

PLUGLET(bad_field) {
  return pl_get_cnx(PQF_PATH_CWND);
}

PLUGLET(read_spin) {
  return pl_get_path(pl_get_cnx(PQF_CNX_ACTIVE_PATH), PQF_PATH_SPIN);
}

/* copies from a handle: not memory the plugin may read */
PLUGLET(memcpy_oob) {
  uint64_t buf[2];
  pl_memcpy(buf, (const void *)args->in[0], 8);
  return buf[0];
}

PLUGLET(double_free) {
  void *p = pl_malloc(32);
  pl_free(p);
  pl_free(p);
  return 0;
}

/* an observer running a built-in operation */
PLUGLET(observer_run) {
  uint64_t in[1] = {pl_get_cnx(PQF_CNX_ACTIVE_PATH)};
  return run_protoop(pl_op_id("cc_available"), 0, in, 1, NULL, 0);
}

/* run_protoop with a forged path */
PLUGLET(forged_path) {
  uint64_t in[3] = {0x1000, 1, 2};
  return run_protoop(pl_op_id("update_rtt"), 0, in, 3, NULL, 0);
}

/* a connection ID written to the args block of an observer (read-only) */
PLUGLET(cid_readonly) {
  return pl_get_cid(PL_CID_LOCAL_INITIAL, (void *)args->in, PL_CID_MAX);
}

/* external: starts the fx_loop_a / fx_loop_b cycle */
PLUGLET(start_loop) {
  return run_protoop(pl_op_id("fx_loop_a"), 0, NULL, 0, NULL, 0);
}
