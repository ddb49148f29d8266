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
 *   bench_plugins BUNDLE CERT_DIR   (bench/plugins/CMakeLists.txt runs it)
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "conn/cnx.h"
#include "crypto/tls.h"
#include "pquic/ops.h"
#include "pquic/plugin.h"
#include "pquic/pquic.h"

extern const pquic_native_plugin org_pquic_bench_monitor_native;

static char cert[256], key[256];

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
  qsort(v, n, sizeof v[0], cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, int rc) {
  fprintf(stderr, "bench_plugins: %s: %s\n", what, pquic_errname(rc));
  exit(1);
}

/* ---- endpoints and an in-memory pair ---- */

typedef struct side {
  pquic_endpoint *ep;
  struct sockaddr_in addr;
  pquic_cnx *cnx;
  int done;
  uint64_t received;
} side;

static void on_event(pquic_cnx *cnx, const pquic_event *ev, void *user) {
  side *s = user;
  if (ev->type == PQUIC_EVENT_HANDSHAKE_DONE)
    s->cnx = cnx;
  if (ev->type == PQUIC_EVENT_OP_FAULT) {
    fprintf(stderr, "bench_plugins: plugin fault: %s\n", ev->reason ? ev->reason : "");
    exit(1);
  }
}

static void on_data(pquic_cnx *cnx, uint64_t id, void *user) {
  side *s = user;
  static uint8_t buf[65536];
  for (;;) {
    int fin = 0;
    int64_t n = pquic_stream_read(cnx, id, buf, sizeof buf, &fin);
    if (n <= 0)
      break;
    s->received += (uint64_t)n;
    if (fin)
      s->done = 1;
  }
}

static uint64_t seed = 7;
static void rnd(void *u, uint8_t *b, size_t n) {
  (void)u;
  for (size_t i = 0; i < n; i++) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    b[i] = (uint8_t)(seed >> 33);
  }
}

static void side_init(side *s, int server, uint16_t port) {
  memset(s, 0, sizeof *s);
  s->addr.sin_family = AF_INET;
  s->addr.sin_port = htons(port);
  s->addr.sin_addr.s_addr = htonl(0x7f000001);
  pquic_config cfg;
  pquic_config_init(&cfg);
  cfg.accept_incoming = server;
  cfg.cert_file = cert;
  cfg.key_file = key;
  cfg.insecure = 1;
  cfg.alpn = "hq-interop";
  cfg.callbacks.on_event = on_event;
  cfg.callbacks.on_stream_data = on_data;
  cfg.user = s;
  cfg.rand = rnd;
  int rc = pquic_endpoint_new(&cfg, &s->ep);
  if (rc)
    die("endpoint", rc);
}

static int pump(side *a, side *b, uint64_t now) {
  static uint8_t buf[65536];
  int moved = 0;
  side *from[2] = {a, b}, *to[2] = {b, a};
  for (int k = 0; k < 2; k++) {
    for (;;) {
      pquic_send_info info;
      int n = pquic_endpoint_output(from[k]->ep, now, buf, sizeof buf, &info);
      if (n <= 0)
        break;
      size_t off = 0;
      for (size_t i = 0; i < info.count; i++) {
        size_t len = (size_t)n - off < info.segment_size ? (size_t)n - off : info.segment_size;
        (void)pquic_endpoint_input(to[k]->ep, buf + off, len, (struct sockaddr *)&to[k]->addr,
                                   (struct sockaddr *)&from[k]->addr, 0, now);
        off += len;
        moved++;
      }
    }
  }
  return moved;
}

static void advance(side *c, side *s, uint64_t *now) {
  uint64_t w1 = pquic_endpoint_next_wake(c->ep), w2 = pquic_endpoint_next_wake(s->ep);
  uint64_t w = w1 < w2 ? w1 : w2;
  *now = w > *now && w != UINT64_MAX ? w : *now + 1000;
}

static void handshake(side *c, side *s, uint64_t *now) {
  int rc = pquic_connect(c->ep, (struct sockaddr *)&c->addr, (struct sockaddr *)&s->addr,
                         "localhost", *now, &c->cnx);
  if (rc)
    die("connect", rc);
  for (int i = 0; i < 10000 && !(s->cnx && c->cnx && pquic_cnx_handshake_done(c->cnx)); i++) {
    if (pump(c, s, *now) == 0)
      advance(c, s, now);
  }
}

/* ---- measurements ---- */

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "bench_plugins: cannot read %s\n", path);
    exit(1);
  }
  uint8_t *b = malloc(1 << 22);
  *len = fread(b, 1, 1 << 22, f);
  fclose(f);
  return b;
}

static double cold_load(const uint8_t *bundle, size_t len) {
  enum { N = 60 };
  double t[N];
  for (int i = 0; i < N; i++) {
    side s;
    side_init(&s, 0, 5000);
    pquic_plugin *p;
    char err[256];
    double t0 = now_ns();
    int rc = pquic_plugin_load(s.ep, bundle, len, &p, err, sizeof err);
    t[i] = now_ns() - t0;
    if (rc) {
      fprintf(stderr, "bench_plugins: load: %s\n", err);
      exit(1);
    }
    pquic_endpoint_free(s.ep);
  }
  return median(t, N) / 1000;
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
  side dummy_server;
  memset(&dummy_server, 0, sizeof dummy_server);
  dummy_server.addr.sin_family = AF_INET;
  dummy_server.addr.sin_port = htons(4433);
  dummy_server.addr.sin_addr.s_addr = htonl(0x7f000001);
  for (int r = 0; r < ROUNDS; r++) {
    side c;
    side_init(&c, 0, 5000);
    pquic_plugin *p;
    char err[256];
    int rc = pquic_plugin_load(c.ep, bundle, len, &p, err, sizeof err);
    if (rc)
      die("load", rc);
    for (int i = 0; i < PER; i++) {
      pquic_cnx *cnx;
      rc = pquic_connect(c.ep, (struct sockaddr *)&c.addr, (struct sockaddr *)&dummy_server.addr,
                         "localhost", 1000000, &cnx);
      if (rc)
        die("connect", rc);
      counted = 0;
      counting = r == 0 && i == 0;
      double t0 = now_ns();
      rc = pquic_plugin_attach(cnx, p, err, sizeof err);
      t[k++] = now_ns() - t0;
      counting = 0;
      if (rc)
        die("attach", rc);
      if (r == 0 && i == 0) {
        *alloc_bytes = counted;
        *region = pquic_cnx_plugin_memory(cnx);
      }
    }
    pquic_endpoint_free(c.ep);
  }
  return median(t, k) / 1000;
}

/* ns per read: the pluglet's loop of n reads, less a run of 0 reads. */
static double pluglet_reads(pquic_cnx *cnx, const char *op) {
  enum { N = 200000, ROUNDS = 15 };
  double t[ROUNDS];
  for (int r = 0; r < ROUNDS; r++) {
    uint64_t in[1] = {N}, zero[1] = {0}, ret;
    double t0 = now_ns();
    int rc = pquic_plugin_call(cnx, op, in, 1, NULL, 0, &ret);
    double t1 = now_ns();
    rc |= pquic_plugin_call(cnx, op, zero, 1, NULL, 0, &ret);
    double t2 = now_ns();
    if (rc)
      die(op, rc);
    t[r] = ((t1 - t0) - (t2 - t1)) / N;
  }
  return median(t, ROUNDS);
}

static double direct_reads(pquic_cnx *cnx) {
  enum { N = 2000000, ROUNDS = 15 };
  double t[ROUNDS];
  const volatile uint64_t *p = &cnx->stats.packets_sent;
  for (int r = 0; r < ROUNDS; r++) {
    uint64_t sum = 0;
    double t0 = now_ns();
    for (uint64_t i = 0; i < N; i++)
      sum += *p;
    t[r] = (now_ns() - t0) / N;
    if (sum == 1)
      puts("");
  }
  return median(t, ROUNDS);
}

/* CPU ns per transferred byte of a client-to-server transfer with the
 * monitor plugin on both sides in one form. */
enum { NONE, NATIVE, JIT, INTERP };
static double transfer(const uint8_t *bundle, size_t len, int mode) {
  enum { SIZE = 20 << 20 };
  side c, s;
  side_init(&c, 0, 5000);
  side_init(&s, 1, 4433);
  side *both[2] = {&c, &s};
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
      die("transfer plugin", rc);
  }
  uint64_t now = 1000000;
  handshake(&c, &s, &now);
  uint64_t id;
  if (pquic_stream_open(c.cnx, 1, &id))
    die("stream", PQUIC_ERR_STATE);
  static uint8_t chunk[65536];
  size_t written = 0;
  double t0 = now_ns();
  for (int i = 0; i < 10000000 && !s.done; i++) {
    if (written < SIZE) {
      size_t n = SIZE - written < sizeof chunk ? SIZE - written : sizeof chunk;
      int64_t w = pquic_stream_write(c.cnx, id, chunk, n, written + n == SIZE);
      if (w > 0)
        written += (size_t)w;
    }
    if (pump(&c, &s, now) == 0)
      advance(&c, &s, &now);
  }
  double ns = (now_ns() - t0) / SIZE;
  if (!s.done)
    die("transfer incomplete", PQUIC_ERR_STATE);
  pquic_endpoint_free(c.ep);
  pquic_endpoint_free(s.ep);
  return ns;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_plugins BUNDLE\n");
    return 2;
  }
  snprintf(cert, sizeof cert, "/tmp/bench-plugins-%d.crt", (int)getpid());
  snprintf(key, sizeof key, "/tmp/bench-plugins-%d.key", (int)getpid());
  if (pq_tls_make_self_signed(cert, key, "localhost"))
    die("certificate", PQUIC_ERR_CERTIFICATE);
  size_t len;
  uint8_t *bundle = read_file(argv[1], &len);

  double cold = cold_load(bundle, len);
  pq_allocator counting_alloc = {count_malloc, count_realloc, count_free, NULL};
  pq_set_allocator(&counting_alloc);
  size_t alloc_bytes = 0, region = 0;
  double cached = cached_attach(bundle, len, &alloc_bytes, &region);
  pq_set_allocator(NULL);

  /* Field reads on a live connection. */
  side c, s;
  side_init(&c, 0, 5000);
  side_init(&s, 1, 4433);
  pquic_plugin *p, *pn;
  char err[256];
  int rc = pquic_plugin_load(c.ep, bundle, len, &p, err, sizeof err);
  if (rc)
    die("load", rc);
  uint64_t now = 1000000;
  handshake(&c, &s, &now);
  if ((rc = pquic_plugin_attach(c.cnx, p, err, sizeof err)) != 0)
    die("attach", rc);
  double api = pluglet_reads(c.cnx, "bench_api_reads");
  double own = pluglet_reads(c.cnx, "bench_own_reads");
  double direct = direct_reads(c.cnx);
  /* The native build's API read, on another connection of the pair. */
  side c2;
  side_init(&c2, 0, 5001);
  handshake(&c2, &s, &now);
  rc = pquic_plugin_load_native(c2.ep, &org_pquic_bench_monitor_native, &pn, err, sizeof err);
  if (rc || (rc = pquic_plugin_attach(c2.cnx, pn, err, sizeof err)) != 0)
    die("native", rc);
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
  double t_none = median(tr[NONE], TR), t_native = median(tr[NATIVE], TR);
  double t_jit = median(tr[JIT], TR), t_interp = median(tr[INTERP], TR);

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
  unlink(cert);
  unlink(key);
  free(bundle);
  return 0;
}
