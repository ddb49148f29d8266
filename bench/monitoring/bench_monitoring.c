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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/tls.h"
#include "pquic/ops.h"
#include "pquic/plugin.h"
#include "pquic/pquic.h"

extern const pquic_native_plugin org_pquic_monitoring_native;

enum { NONE, DISPATCH, NATIVE, EBPF, MODES };
static const char *const mode_names[MODES] = {"none", "dispatch", "native", "ebpf"};

static char cert[256], key[256];

static void die(const char *what, int rc) {
  fprintf(stderr, "bench_monitoring: %s: %s\n", what, pquic_strerror(rc));
  exit(1);
}

static double cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
  qsort(v, n, sizeof v[0], by_value);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

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

/* ---- two endpoints in memory ---- */

typedef struct end {
  pquic_endpoint *ep;
  struct sockaddr_in addr;
  pquic_cnx *cnx;
  uint64_t received;
  int done;
  uint64_t reports;
} end;

static void on_event(pquic_cnx *cnx, const pquic_event *ev, void *user) {
  end *e = user;
  if (ev->type == PQUIC_EVENT_HANDSHAKE_DONE)
    e->cnx = cnx;
  else if (ev->type == PQUIC_EVENT_OP_FAULT)
    die(ev->reason ? ev->reason : "plugin fault", ev->err);
}

static void on_data(pquic_cnx *cnx, uint64_t id, void *user) {
  end *e = user;
  static uint8_t sink[65536];
  for (;;) {
    int fin = 0;
    int64_t n = pquic_stream_read(cnx, id, sink, sizeof sink, &fin);
    if (n <= 0)
      return;
    e->received += (uint64_t)n;
    e->done |= fin;
  }
}

static void on_message(pquic_cnx *cnx, const char *plugin, const uint8_t *d, size_t n, void *u) {
  (void)cnx;
  (void)plugin;
  (void)d;
  (void)n;
  ((end *)u)->reports++;
}

static uint64_t rng_state = 1;
static void rng(void *user, uint8_t *b, size_t n) {
  (void)user;
  for (size_t i = 0; i < n; i++) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    b[i] = (uint8_t)(rng_state >> 56);
  }
}

static void end_init(end *e, int server, uint16_t port) {
  memset(e, 0, sizeof *e);
  e->addr.sin_family = AF_INET;
  e->addr.sin_port = htons(port);
  e->addr.sin_addr.s_addr = htonl(0x7f000001);
  pquic_config cfg;
  pquic_config_init(&cfg);
  cfg.accept_incoming = server;
  cfg.cert_file = cert;
  cfg.key_file = key;
  cfg.insecure = 1;
  cfg.alpn = "hq-interop";
  cfg.callbacks.on_event = on_event;
  cfg.callbacks.on_stream_data = on_data;
  cfg.user = e;
  cfg.rand = rng;
  int rc = pquic_endpoint_new(&cfg, &e->ep);
  if (rc)
    die("endpoint", rc);
}

static void add_plugin(end *e, int mode, const uint8_t *bundle, size_t len) {
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
    die(err, rc);
  if (p && (rc = pquic_plugin_inject(e->ep, p)) != 0)
    die("inject", rc);
  (void)pquic_endpoint_plugin_messages(e->ep, on_message, e);
}

/* Moves every datagram each side has, at `now`; how many moved. */
static int exchange(end *a, end *b, uint64_t now) {
  static uint8_t buf[65536];
  end *from[2] = {a, b}, *to[2] = {b, a};
  int moved = 0;
  for (int k = 0; k < 2; k++) {
    for (;;) {
      pquic_send_info info;
      int n = pquic_endpoint_output(from[k]->ep, now, buf, sizeof buf, &info);
      if (n <= 0)
        break;
      for (size_t off = 0; off < (size_t)n; off += info.segment_size) {
        size_t len = (size_t)n - off < info.segment_size ? (size_t)n - off : info.segment_size;
        pquic_endpoint_input(to[k]->ep, buf + off, len, (struct sockaddr *)&to[k]->addr,
                             (struct sockaddr *)&from[k]->addr, 0, now);
        moved++;
      }
    }
  }
  return moved;
}

static uint64_t next_time(end *a, end *b, uint64_t now) {
  uint64_t w = pquic_endpoint_next_wake(a->ep), w2 = pquic_endpoint_next_wake(b->ep);
  if (w2 < w)
    w = w2;
  return w > now && w != UINT64_MAX ? w : now + 100;
}

/* CPU ns per byte of one upload of `size` bytes; *reports: reports the
 * plugin pushed on both sides (handshake and close, nothing periodic). */
static double transfer(int mode, const uint8_t *bundle, size_t len, size_t size,
                       uint64_t *reports) {
  end c, s;
  end_init(&c, 0, 5000);
  end_init(&s, 1, 4433);
  add_plugin(&c, mode, bundle, len);
  add_plugin(&s, mode, bundle, len);
  uint64_t now = 1000000;
  int rc = pquic_connect(c.ep, (struct sockaddr *)&c.addr, (struct sockaddr *)&s.addr, "localhost",
                         now, &c.cnx);
  if (rc)
    die("connect", rc);
  for (int i = 0; i < 10000 && !(s.cnx && pquic_cnx_handshake_done(c.cnx)); i++)
    if (!exchange(&c, &s, now))
      now = next_time(&c, &s, now);
  uint64_t id;
  if (!s.cnx || (rc = pquic_stream_open(c.cnx, 1, &id)) != 0)
    die("handshake", rc ? rc : PQUIC_ERR_STATE);
  static uint8_t chunk[65536];
  size_t written = 0;
  double t0 = cpu_ns();
  for (uint64_t i = 0; i < 100000000 && !s.done; i++) {
    if (written < size) {
      size_t n = size - written < sizeof chunk ? size - written : sizeof chunk;
      int64_t w = pquic_stream_write(c.cnx, id, chunk, n, written + n == size);
      if (w > 0)
        written += (size_t)w;
    }
    if (!exchange(&c, &s, now))
      now = next_time(&c, &s, now);
  }
  double ns = (cpu_ns() - t0) / (double)size;
  if (!s.done || s.received != size)
    die("transfer incomplete", PQUIC_ERR_STATE);
  pquic_cnx_close(c.cnx, 0, "done", now);
  for (int i = 0; i < 1000 &&
                  pquic_endpoint_connection_count(c.ep) + pquic_endpoint_connection_count(s.ep) > 0;
       i++)
    if (!exchange(&c, &s, now))
      now = next_time(&c, &s, now);
  *reports = c.reports + s.reports;
  pquic_endpoint_free(c.ep);
  pquic_endpoint_free(s.ep);
  return ns;
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    die(path, PQUIC_ERR_IO);
  static uint8_t buf[1 << 20];
  *len = fread(buf, 1, sizeof buf, f);
  fclose(f);
  return buf;
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
  const uint8_t *bundle = read_file(argv[1], &len);
  snprintf(cert, sizeof cert, "/tmp/bench-monitoring-%d.crt", (int)getpid());
  snprintf(key, sizeof key, "/tmp/bench-monitoring-%d.key", (int)getpid());
  if (pq_tls_make_self_signed(cert, key, "localhost"))
    die("certificate", PQUIC_ERR_CERTIFICATE);
  double t[MODES][99];
  uint64_t reports[MODES] = {0};
  if (only >= 0) {
    double ns = transfer(only, bundle, len, size, &reports[only]);
    printf("%s: %.3f ns/B, %llu reports\n", mode_names[only], ns,
           (unsigned long long)reports[only]);
    unlink(cert);
    unlink(key);
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
  unlink(cert);
  unlink(key);
  double med[MODES];
  for (int m = 0; m < MODES; m++)
    med[m] = median(t[m], (size_t)rounds);
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
