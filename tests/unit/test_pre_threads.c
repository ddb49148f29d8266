/* A loaded program is read-only: threads run it at once on their own
 * instances (both engines), while other threads load and free programs
 * (the JIT's code pages are shared process-wide). */
#include <pthread.h>

#include "pre_test.h"

#define THREADS 4
#define ROUNDS 300

/* r0 = sum of i * mem[i % 64] for i < 1000, writing the running sum back. */
static const pq_bpf_insn g_prog[] = {
    MOV64_IMM(0, 0),
    MOV64_IMM(2, 0),
    MOV64_REG(3, 2),
    ALU64_IMM(BPF_AND, 3, 63),
    MOV64_REG(4, 1),
    ALU64_REG(BPF_ADD, 4, 3),
    LDX(BPF_B, 5, 4, 0),
    ALU64_REG(BPF_MUL, 5, 2),
    ALU64_REG(BPF_ADD, 0, 5),
    STX(BPF_B, 4, 0, 0),
    ALU64_IMM(BPF_ADD, 2, 1),
    JMP_IMM(BPF_JLT, 2, 1000, -10),
    EXIT(),
};

static pq_bpf_prog *g_shared;
static uint64_t g_expect;

static uint64_t run_on(const pq_bpf_prog *p, int engine, uint8_t *region, size_t len,
                       uint8_t *mem) {
  for (int i = 0; i < PT_MEM; i++)
    mem[i] = (uint8_t)(i * 3 + 1);
  pq_bpf_instance inst = {region, len, 0, len};
  pq_bpf_region lent = {mem, PT_MEM, PQ_BPF_REGION_RW};
  pq_bpf_run_args a = {
      .args = {(uintptr_t)mem}, .lent = &lent, .nlent = 1, .budget = 100000, .engine = engine};
  uint64_t r0 = 0;
  if (pq_bpf_run(p, 0, &inst, &a, &r0, NULL) != 0)
    return UINT64_MAX;
  return r0;
}

static void *worker(void *arg) {
  long id = (long)arg;
  static __thread uint8_t region[PT_STACK];
  uint8_t mem[PT_MEM];
  long bad = 0;
  for (int r = 0; r < ROUNDS; r++) {
    int engine = (r + id) % 2 ? PQ_BPF_ENGINE_JIT : PQ_BPF_ENGINE_INTERP;
    bad += run_on(g_shared, engine, region, sizeof(region), mem) != g_expect;
    if (r % 10 == 0) { /* load, run and free a program of our own */
      pq_bpf_prog *p = NULL;
      if (pt_load(g_prog, sizeof(g_prog) / sizeof(g_prog[0]), &p, NULL) != 0) {
        bad++;
        continue;
      }
      bad += run_on(p, PQ_BPF_ENGINE_JIT, region, sizeof(region), mem) != g_expect;
      pq_bpf_prog_del(p);
    }
  }
  return (void *)bad;
}

static void test_parallel_runs(void **state) {
  (void)state;
  assert_int_equal(pt_load(g_prog, sizeof(g_prog) / sizeof(g_prog[0]), &g_shared, NULL), 0);
  static uint8_t region[PT_STACK];
  uint8_t mem[PT_MEM];
  g_expect = run_on(g_shared, PQ_BPF_ENGINE_INTERP, region, sizeof(region), mem);
  assert_true(g_expect != UINT64_MAX);
  pthread_t t[THREADS];
  for (long i = 0; i < THREADS; i++)
    assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)i), 0);
  for (int i = 0; i < THREADS; i++) {
    void *bad;
    assert_int_equal(pthread_join(t[i], &bad), 0);
    assert_int_equal((long)bad, 0);
  }
  pq_bpf_prog_del(g_shared);
}

/* Code pages are reused after a program is freed, and stay correct. */
static void test_code_pages_reused(void **state) {
  (void)state;
  static uint8_t region[PT_STACK];
  uint8_t mem[PT_MEM];
  uint64_t expect = 0;
  for (int i = 0; i < 200; i++) {
    pq_bpf_prog *p = NULL;
    assert_int_equal(pt_load(g_prog, sizeof(g_prog) / sizeof(g_prog[0]), &p, NULL), 0);
    uint64_t r0 = run_on(p, PQ_BPF_ENGINE_JIT, region, sizeof(region), mem);
    if (i == 0)
      expect = r0;
    assert_int_equal(r0, expect);
    pq_bpf_prog_del(p);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parallel_runs),
      cmocka_unit_test(test_code_pages_reused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
