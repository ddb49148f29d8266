/*
 * bench-pre: the pluglet runtime against native code. The kernels of
 * kernels.c, compiled natively and to eBPF, run natively, in the JIT (with
 * and without bounds checks) and in the interpreter on the same inputs; the
 * results must agree. Also the time to load (ELF, relocate, verify, JIT) per
 * 1000 instructions. Last line:
 *   pre: jit_vs_native=... interp_vs_native=... bounds_check_pct=... compile_us_per_kinsn=...
 * Usage: bench_pre KERNELS.BPF.O
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels.h"
#include "pre/bpf.h"

typedef u64 (*native_fn)(u8 *, u64);

static u64 n_checksum(u8 *p, u64 len) {
  return k_checksum(p, len);
}
static u64 n_sort(u8 *p, u64 len) {
  return k_sort(p, len);
}
static u64 n_hash(u8 *p, u64 len) {
  return k_hash(p, len);
}

typedef struct kernel {
  const char *name;
  native_fn native;
  size_t len; /* buffer bytes */
} kernel;

static const kernel kernels[] = {
    {"k_checksum", n_checksum, 1500},
    {"k_gf_mac", k_gf_mac, 1400},
    {"k_sort", n_sort, 512},
    {"k_hash", n_hash, 2048},
};
#define NK ((int)(sizeof(kernels) / sizeof(kernels[0])))

enum { E_NATIVE, E_JIT, E_JIT_UNCHECKED, E_INTERP, NE };
static const char *engine_names[NE] = {"native", "jit", "jit-nocheck", "interp"};

/* CPU time of this thread: other load on the machine does not count. */
static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One engine running one kernel: the program, its instance, the buffer. */
typedef struct runner {
  int engine;
  const kernel *k;
  const pq_bpf_prog *prog;
  size_t entry;
  pq_bpf_instance inst;
  u8 *buf;
} runner;

static u64 run_once(runner *r) {
  if (r->engine == E_NATIVE)
    return r->k->native(r->buf, r->k->len);
  pq_bpf_region lent = {r->buf, r->k->len, PQ_BPF_REGION_RW};
  pq_bpf_run_args a = {.args = {(uint64_t)(uintptr_t)r->buf, r->k->len},
                       .lent = &lent,
                       .nlent = 1,
                       .budget = UINT64_MAX,
                       .engine = r->engine == E_INTERP ? PQ_BPF_ENGINE_INTERP : PQ_BPF_ENGINE_JIT};
  uint64_t r0 = 0;
  pq_bpf_fault f;
  int rc = pq_bpf_run(r->prog, r->entry, &r->inst, &a, &r0, &f);
  if (rc) {
    char msg[200];
    pq_bpf_fault_describe(&f, msg, sizeof(msg));
    fprintf(stderr, "bench-pre: %s on %s: %s (%d)\n", r->k->name, engine_names[r->engine], msg, rc);
    exit(1);
  }
  return r0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Calls per batch so that a batch takes about 5 ms. */
static u64 calibrate(runner *r) {
  u64 iters = 1;
  for (;;) {
    double t0 = now_ns();
    for (u64 i = 0; i < iters; i++)
      run_once(r);
    if (now_ns() - t0 > 5e6 || iters > (1ull << 30))
      return iters;
    iters *= 2;
  }
}

static double batch_ns(runner *r, u64 iters) {
  double t0 = now_ns();
  for (u64 i = 0; i < iters; i++)
    run_once(r);
  return (now_ns() - t0) / (double)iters;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof(double), cmp_double);
  return v[n / 2];
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  uint8_t *b = malloc(1 << 20);
  *len = b ? fread(b, 1, 1 << 20, f) : 0;
  fclose(f);
  return b;
}

static pq_bpf_prog *load(const uint8_t *obj, size_t len, unsigned flags) {
  pq_bpf_prog *p = NULL;
  pq_bpf_diag d = {-1, ""};
  pq_bpf_load_opts o = {.flags = flags, .diag = &d};
  if (pq_bpf_load_elf(obj, len, &o, &p)) {
    fprintf(stderr, "bench-pre: load failed: %s\n", d.msg);
    exit(1);
  }
  return p;
}

/* A fresh instance for `p`: globals, then 4 KiB of stack; tables built. */
static void instance_for(const pq_bpf_prog *p, pq_bpf_instance *inst, int engine) {
  size_t g = (pq_bpf_prog_globals_size(p) + 15) & ~(size_t)15;
  size_t len = g + PQ_BPF_MAX_FRAMES * PQ_BPF_STACK_FRAME;
  inst->mem = aligned_alloc(64, (len + 63) & ~(size_t)63);
  if (!inst->mem)
    exit(1);
  inst->len = len;
  inst->stack_lo = g;
  inst->stack_top = len;
  pq_bpf_prog_globals_init(p, inst->mem, len);
  pq_bpf_run_args a = {.budget = UINT64_MAX,
                       .engine = engine == E_INTERP ? PQ_BPF_ENGINE_INTERP : PQ_BPF_ENGINE_JIT};
  static const struct {
    const char *name;
    u64 (*native)(void);
  } inits[] = {{"k_gf_init", k_gf_init}, {"k_hash_init", k_hash_init}};
  for (size_t i = 0; i < sizeof(inits) / sizeof(inits[0]); i++) {
    uint64_t r0 = 0;
    int rc = pq_bpf_run(p, (size_t)pq_bpf_prog_entry(p, inits[i].name), inst, &a, &r0, NULL);
    if (rc || r0 != inits[i].native()) {
      fprintf(stderr, "bench-pre: %s: %d, 0x%llx\n", inits[i].name, rc, (unsigned long long)r0);
      exit(1);
    }
  }
}

static void fill(u8 *b, size_t len) {
  uint32_t x = 12345;
  for (size_t i = 0; i < len; i++) {
    x = x * 1103515245u + 12345u;
    b[i] = (u8)(x >> 16);
  }
}

static double compile_us_per_kinsn(const uint8_t *obj, size_t len) {
  enum { N = 301 };
  static double t[N];
  size_t ninsns = 0;
  for (int i = 0; i < N; i++) {
    double t0 = now_ns();
    pq_bpf_prog *p = load(obj, len, PQ_BPF_LOAD_JIT);
    t[i] = now_ns() - t0;
    ninsns = pq_bpf_prog_insn_count(p);
    pq_bpf_prog_del(p);
  }
  qsort(t, N, sizeof(double), cmp_double);
  double us = t[N / 2] / 1e3;
  printf("load (ELF + relocations + verifier + JIT): %.1f us for %zu instructions\n", us, ninsns);
  return us / ((double)ninsns / 1000.0);
}

/* The cached-plugin path: a fresh instance from the globals image. */
static void attach_cost(const pq_bpf_prog *p) {
  size_t len = pq_bpf_prog_globals_size(p) + 8192;
  uint8_t *region = aligned_alloc(64, (len + 63) & ~(size_t)63);
  if (!region)
    exit(1);
  enum { N = 2001 };
  static double t[N];
  for (int i = 0; i < N; i++) {
    double t0 = now_ns();
    pq_bpf_prog_globals_init(p, region, len);
    t[i] = now_ns() - t0;
  }
  printf("instance from the globals image (%zu bytes): %.2f us\n", pq_bpf_prog_globals_size(p),
         median(t, N) / 1e3);
  free(region);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: bench_pre KERNELS.BPF.O\n");
    return 2;
  }
  size_t len;
  uint8_t *obj = read_file(argv[1], &len);
  if (!obj) {
    fprintf(stderr, "bench-pre: cannot read %s\n", argv[1]);
    return 1;
  }
  pq_bpf_prog *checked = load(obj, len, PQ_BPF_LOAD_JIT);
  pq_bpf_prog *unchecked = load(obj, len, PQ_BPF_LOAD_JIT | PQ_BPF_LOAD_UNCHECKED);
  k_gf_init();
  k_hash_init();
  /* Engines take turns, batch by batch, so that other load on the machine
   * hits them alike; ratios are medians of per-round ratios. */
  enum { ROUNDS = 15 };
  enum { Q_JIT, Q_INTERP, Q_CHECK, NQ };
  double ns[NK][NE], ratio[NK][NQ];
  printf("%-12s %12s %12s %12s %12s   ns per call (median of %d rounds)\n", "kernel",
         engine_names[0], engine_names[1], engine_names[2], engine_names[3], ROUNDS);
  for (int k = 0; k < NK; k++) {
    runner r[NE];
    u64 results[NE], iters[NE];
    for (int e = 0; e < NE; e++) {
      r[e] = (runner){.engine = e, .k = &kernels[k]};
      r[e].prog = e == E_JIT_UNCHECKED ? unchecked : checked;
      r[e].entry = (size_t)pq_bpf_prog_entry(r[e].prog, kernels[k].name);
      if (e != E_NATIVE)
        instance_for(r[e].prog, &r[e].inst, e);
      r[e].buf = aligned_alloc(64, 4096);
      fill(r[e].buf, kernels[k].len);
      results[e] = run_once(&r[e]); /* same input everywhere: same answer */
      iters[e] = calibrate(&r[e]);
    }
    for (int e = 1; e < NE; e++)
      if (results[e] != results[0]) {
        fprintf(stderr, "bench-pre: %s: %s gives %llu, native %llu\n", kernels[k].name,
                engine_names[e], results[e], results[0]);
        return 1;
      }
    double t[NE][ROUNDS], q[NQ][ROUNDS];
    for (int round = 0; round < ROUNDS; round++) {
      for (int e = 0; e < NE; e++)
        t[e][round] = batch_ns(&r[e], iters[e]);
      q[Q_JIT][round] = t[E_JIT][round] / t[E_NATIVE][round];
      q[Q_INTERP][round] = t[E_INTERP][round] / t[E_NATIVE][round];
      q[Q_CHECK][round] = t[E_JIT][round] / t[E_JIT_UNCHECKED][round];
    }
    for (int i = 0; i < NQ; i++)
      ratio[k][i] = median(q[i], ROUNDS);
    for (int e = 0; e < NE; e++) {
      ns[k][e] = median(t[e], ROUNDS);
      free(r[e].buf);
      free(r[e].inst.mem);
    }
    printf("%-12s %12.0f %12.0f %12.0f %12.0f\n", kernels[k].name, ns[k][0], ns[k][1], ns[k][2],
           ns[k][3]);
  }
  /* geometric means over the kernels of the median per-round ratios */
  double jit = 0, interp = 0, check = 0;
  for (int k = 0; k < NK; k++) {
    jit += log(ratio[k][Q_JIT]);
    interp += log(ratio[k][Q_INTERP]);
    check += log(ratio[k][Q_CHECK]);
  }
  attach_cost(checked);
  double cu = compile_us_per_kinsn(obj, len);
  printf("pre: jit_vs_native=%.2f interp_vs_native=%.1f bounds_check_pct=%.1f "
         "compile_us_per_kinsn=%.1f\n",
         exp(jit / (double)NK), exp(interp / (double)NK), (exp(check / (double)NK) - 1) * 100, cu);
  pq_bpf_prog_del(checked);
  pq_bpf_prog_del(unchecked);
  free(obj);
  return 0;
}
