/* bench-monitoring, in memory: where the monitoring plugin's cost goes.
 *
 * Two endpoints in one thread exchange datagrams through memory (no
 * sockets, no clock: virtual time), a client uploads SIZE bytes on one
 * stream. The whole transfer's thread CPU time per byte is measured with:
 *
 *   none      no plugin: the shared operation table, one indirect call per
 *             operation;
 *   dispatch  a plugin whose only pluglet observes an operation that never
 *             runs in a transfer: the connection gets its own table and
 *             full dispatch for every operation (loop rule, depth, pre,
 *             replace, post), and no pluglet ever runs;
 *   native    org.pquic.monitoring built as native code (same pluglets,
 *             no sandbox);
 *   ebpf      org.pquic.monitoring's bundle, JIT-compiled.
 *
 * Rounds alternate the four modes; medians. Last line:
 *   monitoring-inmem: dispatch_pct=... native_pct=... ebpf_pct=...
 *                     pluglet_share=... native_vs_ebpf=...
 * (percentages of CPU per byte over none; pluglet_share: the part of the
 * eBPF plugin's cost beyond full dispatch; native_vs_ebpf: eBPF's CPU per
 * byte over native's.)
 *
 *   bench_monitoring BUNDLE [ROUNDS [MBYTES [MODE]]]
 * (MODE: one of none, dispatch, native, ebpf alone, e.g. under callgrind.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pquic/plugin.h"
#include "pquic/pquic.h"

#include "../bench.h"

extern const pquic_native_plugin org_pquic_monitoring_native;

enum { NONE, DISPATCH, NATIVE, EBPF, MODES };
static const char *const mode_names[MODES] = {"none", "dispatch", "native", "ebpf"};

/* ---- a plugin that only switches connections to full dispatch ---- */

static uint64_t noop(void *args) {
  (void)args;
  return 0;
}
static const pquic_native_function noop_functions[] = {{"noop.o", "noop", noop}};
static const pquic_native_plugin noop_plugin = {
    "plugin org.pquic.bench.dispatch-only\nmemory 16k\n"
    "path_validated post noop.o noop\n", /* never runs: no migration here */
    noop_functions, 1};

static void on_message(pquic_cnx *cnx, const char *plugin, const uint8_t *d, size_t n, void *u) {
  (void)cnx;
  (void)plugin;
  (void)d;
  (void)n;
  (*(uint64_t *)u)++;
}

/* Loads the plugin of `mode` into e, injected into its connections, and
 * counts the messages they push in *reports. */
static void add_plugin(bench_side *e, int mode, const uint8_t *bundle, size_t len,
                       uint64_t *reports) {
  pquic_plugin *p = NULL;
  char err[256] = "";
  int rc = 0;
  if (mode == DISPATCH)
    rc = pquic_plugin_load_native(e->ep, &noop_plugin, &p, err, sizeof err);
  else if (mode == NATIVE)
    rc = pquic_plugin_load_native(e->ep, &org_pquic_monitoring_native, &p, err, sizeof err);
  else if (mode == EBPF)
    rc = pquic_plugin_load(e->ep, bundle, len, &p, err, sizeof err);
  if (rc)
    bench_die(err, rc);
  if (p && (rc = pquic_plugin_inject(e->ep, p)) != 0)
    bench_die("inject", rc);
  (void)pquic_endpoint_plugin_messages(e->ep, on_message, reports);
}

/* CPU ns per byte of one upload of `size` bytes; *reports: reports the
 * plugin pushed on both sides (handshake and close, nothing periodic). */
static double transfer(int mode, const uint8_t *bundle, size_t len, size_t size,
                       uint64_t *reports) {
  bench_side c, s;
  bench_side_init(&c, 0, 5000);
  bench_side_init(&s, 1, 4433);
  *reports = 0;
  add_plugin(&c, mode, bundle, len, reports);
  add_plugin(&s, mode, bundle, len, reports);
  uint64_t now = 1000000;
  bench_handshake(&c, &s, &now);
  double ns = bench_upload(&c, &s, &now, size);
  pquic_cnx_close(c.cnx, 0, "done", now);
  for (int i = 0; i < 1000 &&
                  pquic_endpoint_connection_count(c.ep) + pquic_endpoint_connection_count(s.ep) > 0;
       i++)
    bench_step(&c, &s, &now);
  pquic_endpoint_free(c.ep);
  pquic_endpoint_free(s.ep);
  return ns;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_monitoring BUNDLE [ROUNDS [MBYTES [MODE]]]\n");
    return 2;
  }
  int only = -1;
  for (int m = 0; argc > 4 && m < MODES; m++)
    if (strcmp(argv[4], mode_names[m]) == 0)
      only = m;
  long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : 5;
  size_t size = (size_t)(argc > 3 ? strtoul(argv[3], NULL, 10) : 100) * 1000000;
  if (rounds < 1 || rounds > 99 || size == 0 || size > 100000 * (size_t)1000000)
    return 2;
  size_t len;
  bench_begin("bench_monitoring");
  uint8_t *bundle = bench_read_file(argv[1], &len);
  double t[MODES][99];
  uint64_t reports[MODES] = {0};
  if (only >= 0) {
    double ns = transfer(only, bundle, len, size, &reports[only]);
    printf("%s: %.3f ns/B, %llu reports\n", mode_names[only], ns,
           (unsigned long long)reports[only]);
    bench_end();
    free(bundle);
    return 0;
  }
  for (int r = 0; r < (int)rounds; r++) {
    for (int k = 0; k < MODES; k++) {
      int m = (r + k) % MODES; /* rotate the order against drift */
      t[m][r] = transfer(m, bundle, len, size, &reports[m]);
    }
    printf("round %d:", r + 1);
    for (int m = 0; m < MODES; m++)
      printf(" %s %.3f", mode_names[m], t[m][r]);
    printf(" ns/B\n");
    fflush(stdout);
  }
  bench_end();
  free(bundle);
  double med[MODES];
  for (int m = 0; m < MODES; m++)
    med[m] = bench_median(t[m], (size_t)rounds);
  if (reports[NATIVE] != 4 || reports[EBPF] != 4 || reports[NONE] || reports[DISPATCH]) {
    fprintf(stderr, "bench_monitoring: expected 4 reports per monitored transfer\n");
    return 1;
  }
  double pct[MODES];
  for (int m = 0; m < MODES; m++)
    pct[m] = 100 * (med[m] / med[NONE] - 1);
  printf("in memory, %zu MB upload, CPU ns/byte (both endpoints, medians of %ld): none %.3f, "
         "full dispatch only %.3f (+%.1f %%), native monitoring %.3f (+%.1f %%), eBPF "
         "monitoring %.3f (+%.1f %%)\n",
         size / 1000000, rounds, med[NONE], med[DISPATCH], pct[DISPATCH], med[NATIVE], pct[NATIVE],
         med[EBPF], pct[EBPF]);
  double extra = med[EBPF] - med[NONE];
  printf("monitoring-inmem: dispatch_pct=%.1f native_pct=%.1f ebpf_pct=%.1f pluglet_share=%.2f "
         "native_vs_ebpf=%.3f\n",
         pct[DISPATCH], pct[NATIVE], pct[EBPF],
         extra > 0 ? (med[EBPF] - med[DISPATCH]) / extra : 0.0, med[EBPF] / med[NATIVE]);
  return 0;
}
