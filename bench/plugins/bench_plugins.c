/* bench-plugins: what plugins cost.
 *
 *   cold_load_us      loading org.pquic.bench.monitor (15 pluglets): bundle
 *                     parsed and hashed, objects verified and JIT-compiled,
 *                     operations resolved; median over fresh endpoints;
 *   cached_load_us    attaching the cached plugin to a new connection
 *                     (region, globals, hooks into the operation table);
 *                     median over connections;
 *   getset_vs_direct  a connection field read by a JIT-compiled pluglet
 *                     through pl_get_cnx, against the same field read by
 *                     C code (a volatile load per read, so the compiler
 *                     keeps each one); ns per read of each on the line above;
 *   instance_bytes    plugin memory a connection holds (its region).
 * Also printed: reads of the pluglet's own memory, the native build's API
 * read, host bytes an attach allocates, and the CPU cost of the monitor
 * plugin on an in-memory transfer (none / native / JIT / interpreter).
 *
 * Times are thread CPU time, medians of repeated rounds (the transfers
 * interleaved). Usage:
 *   bench_plugins BUNDLE   (bench/plugins/CMakeLists.txt runs it)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "conn/cnx.h"
#include "pquic/plugin.h"
#include "pquic/pquic.h"

#include "../bench.h"

extern const pquic_native_plugin org_pquic_bench_monitor_native;

/* ---- measurements ---- */

static double cold_load(const uint8_t *bundle, size_t len) {
  enum { N = 60 };
  double t[N];
  for (int i = 0; i < N; i++) {
    bench_side s;
    bench_side_init(&s, 0, 5000);
    pquic_plugin *p;
    char err[256];
    double t0 = bench_cpu_ns();
    int rc = pquic_plugin_load(s.ep, bundle, len, &p, err, sizeof err);
    t[i] = bench_cpu_ns() - t0;
    if (rc) {
      fprintf(stderr, "bench_plugins: load: %s\n", err);
      exit(1);
    }
    pquic_endpoint_free(s.ep);
  }
  return bench_median(t, N) / 1000;
}

/* Counting allocator: bytes requested while `counting`. */
static size_t counted;
static int counting;
static void *count_malloc(void *u, size_t n) {
  (void)u;
  if (counting)
    counted += n;
  return malloc(n);
}
static void *count_realloc(void *u, void *p, size_t n) {
  (void)u;
  if (counting)
    counted += n;
  return realloc(p, n);
}
static void count_free(void *u, void *p) {
  (void)u;
  free(p);
}

static double cached_attach(const uint8_t *bundle, size_t len, size_t *alloc_bytes,
                            size_t *region) {
  enum { ROUNDS = 8, PER = 64 };
  double t[ROUNDS * PER];
  size_t k = 0;
  bench_side dummy_server;
  memset(&dummy_server, 0, sizeof dummy_server);
  dummy_server.addr.sin_family = AF_INET;
  dummy_server.addr.sin_port = htons(4433);
  dummy_server.addr.sin_addr.s_addr = htonl(0x7f000001);
  for (int r = 0; r < ROUNDS; r++) {
    bench_side c;
    bench_side_init(&c, 0, 5000);
    pquic_plugin *p;
    char err[256];
    int rc = pquic_plugin_load(c.ep, bundle, len, &p, err, sizeof err);
    if (rc)
      bench_die("load", rc);
    for (int i = 0; i < PER; i++) {
      pquic_cnx *cnx;
      rc = pquic_connect(c.ep, (struct sockaddr *)&c.addr, (struct sockaddr *)&dummy_server.addr,
                         "localhost", 1000000, &cnx);
      if (rc)
        bench_die("connect", rc);
      counted = 0;
      counting = r == 0 && i == 0;
      double t0 = bench_cpu_ns();
      rc = pquic_plugin_attach(cnx, p, err, sizeof err);
      t[k++] = bench_cpu_ns() - t0;
      counting = 0;
      if (rc)
        bench_die("attach", rc);
      if (r == 0 && i == 0) {
        *alloc_bytes = counted;
        *region = pquic_cnx_plugin_memory(cnx);
      }
    }
    pquic_endpoint_free(c.ep);
  }
  return bench_median(t, k) / 1000;
}

/* ns per read: the pluglet's loop of n reads, less a run of 0 reads. */
static double pluglet_reads(pquic_cnx *cnx, const char *op) {
  enum { N = 200000, ROUNDS = 15 };
  double t[ROUNDS];
  for (int r = 0; r < ROUNDS; r++) {
    uint64_t in[1] = {N}, zero[1] = {0}, ret;
    double t0 = bench_cpu_ns();
    int rc = pquic_plugin_call(cnx, op, in, 1, NULL, 0, &ret);
    double t1 = bench_cpu_ns();
    rc |= pquic_plugin_call(cnx, op, zero, 1, NULL, 0, &ret);
    double t2 = bench_cpu_ns();
    if (rc)
      bench_die(op, rc);
    t[r] = ((t1 - t0) - (t2 - t1)) / N;
  }
  return bench_median(t, ROUNDS);
}

static double direct_reads(pquic_cnx *cnx) {
  enum { N = 2000000, ROUNDS = 15 };
  double t[ROUNDS];
  const volatile uint64_t *p = &cnx->stats.packets_sent;
  for (int r = 0; r < ROUNDS; r++) {
    uint64_t sum = 0;
    double t0 = bench_cpu_ns();
    for (uint64_t i = 0; i < N; i++)
      sum += *p;
    t[r] = (bench_cpu_ns() - t0) / N;
    if (sum == 1)
      puts("");
  }
  return bench_median(t, ROUNDS);
}

/* CPU ns per transferred byte of a client-to-server transfer with the
 * monitor plugin on both sides in one form. */
enum { NONE, NATIVE, JIT, INTERP };
static double transfer(const uint8_t *bundle, size_t len, int mode) {
  enum { SIZE = 20 << 20 };
  bench_side c, s;
  bench_side_init(&c, 0, 5000);
  bench_side_init(&s, 1, 4433);
  bench_side *both[2] = {&c, &s};
  for (int i = 0; mode != NONE && i < 2; i++) {
    pquic_plugin *p;
    char err[256];
    int rc;
    if (mode == NATIVE) {
      rc = pquic_plugin_load_native(both[i]->ep, &org_pquic_bench_monitor_native, &p, err,
                                    sizeof err);
    } else {
      pquic_plugin_settings set;
      pquic_plugin_settings_init(&set);
      set.interpreter = mode == INTERP;
      (void)pquic_endpoint_plugin_settings(both[i]->ep, &set);
      rc = pquic_plugin_load(both[i]->ep, bundle, len, &p, err, sizeof err);
    }
    if (rc || (rc = pquic_plugin_inject(both[i]->ep, p)) != 0)
      bench_die("transfer plugin", rc);
  }
  uint64_t now = 1000000;
  bench_handshake(&c, &s, &now);
  double ns = bench_upload(&c, &s, &now, SIZE);
  pquic_endpoint_free(c.ep);
  pquic_endpoint_free(s.ep);
  return ns;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_plugins BUNDLE\n");
    return 2;
  }
  bench_begin("bench_plugins");
  size_t len;
  uint8_t *bundle = bench_read_file(argv[1], &len);

  double cold = cold_load(bundle, len);
  pq_allocator counting_alloc = {count_malloc, count_realloc, count_free, NULL};
  pq_set_allocator(&counting_alloc);
  size_t alloc_bytes = 0, region = 0;
  double cached = cached_attach(bundle, len, &alloc_bytes, &region);
  pq_set_allocator(NULL);

  /* Field reads on a live connection. */
  bench_side c, s;
  bench_side_init(&c, 0, 5000);
  bench_side_init(&s, 1, 4433);
  pquic_plugin *p, *pn;
  char err[256];
  int rc = pquic_plugin_load(c.ep, bundle, len, &p, err, sizeof err);
  if (rc)
    bench_die("load", rc);
  uint64_t now = 1000000;
  bench_handshake(&c, &s, &now);
  if ((rc = pquic_plugin_attach(c.cnx, p, err, sizeof err)) != 0)
    bench_die("attach", rc);
  double api = pluglet_reads(c.cnx, "bench_api_reads");
  double own = pluglet_reads(c.cnx, "bench_own_reads");
  double direct = direct_reads(c.cnx);
  /* The native build's API read, on another connection of the pair. */
  bench_side c2;
  bench_side_init(&c2, 0, 5001);
  bench_handshake(&c2, &s, &now);
  rc = pquic_plugin_load_native(c2.ep, &org_pquic_bench_monitor_native, &pn, err, sizeof err);
  if (rc || (rc = pquic_plugin_attach(c2.cnx, pn, err, sizeof err)) != 0)
    bench_die("native", rc);
  double native_api = pluglet_reads(c2.cnx, "bench_api_reads");
  pquic_endpoint_free(c.ep);
  pquic_endpoint_free(c2.ep);
  pquic_endpoint_free(s.ep);

  /* Rounds of the four modes, interleaved against drifting machine load. */
  enum { TR = 5 };
  double tr[4][TR];
  for (int r = 0; r < TR; r++) {
    for (int m = 0; m < 4; m++)
      tr[m][r] = transfer(bundle, len, m);
  }
  double t_none = bench_median(tr[NONE], TR), t_native = bench_median(tr[NATIVE], TR);
  double t_jit = bench_median(tr[JIT], TR), t_interp = bench_median(tr[INTERP], TR);

  printf("load: %zu-byte bundle, cold %.1f us, cached attach %.2f us (%zu host bytes allocated "
         "per attach, region %zu of them)\n",
         len, cold, cached, alloc_bytes, region);
  printf("field read: API from JIT %.2f ns, API from native build %.2f ns, pluglet's own memory "
         "%.2f ns, direct C %.2f ns\n",
         api, native_api, own, direct);
  printf("monitor plugin on a 20 MB in-memory transfer, CPU ns/byte: none %.3f, native %.3f "
         "(+%.1f %%), JIT %.3f (+%.1f %%), interpreter %.3f (+%.1f %%)\n",
         t_none, t_native, 100 * (t_native / t_none - 1), t_jit, 100 * (t_jit / t_none - 1),
         t_interp, 100 * (t_interp / t_none - 1));
  printf(
      "plugins: cold_load_us=%.1f cached_load_us=%.2f getset_vs_direct=%.2f instance_bytes=%zu\n",
      cold, cached, api / direct, region);
  bench_end();
  free(bundle);
  return 0;
}
