/* Hostile programs: each ends in a clean, reported error on every engine
 * (never a signal, never a write outside the regions): endless loops, forged
 * pointers, far and off-by-one accesses, r10 writes, jumps out of the program,
 * stack accesses below the frame, no exit, nine frames, bad helper arguments,
 * writes to read-only memory, and the same from clang-compiled C. */
#include "pre_test.h"

#define R0 0
#define R1 1
#define R2 2
#define R3 3
#define R10 10

/* tests/pre/CMakeLists.txt defines it as the directory of the compiled fixtures. */
#ifndef PQ_PRE_FIXTURES
#define PQ_PRE_FIXTURES "."
#endif

typedef void (*check_fn)(const pt_result *r, int engine);

/* Runs on every engine, expecting `rc`; `check` inspects each result. Faults
 * other than the budget must be identical across engines (same instruction,
 * address, width). */
static void run_hostile(const char *name, const pq_bpf_insn *ins, size_t n, uint64_t budget, int rc,
                        check_fn check) {
  pq_bpf_prog *p = NULL;
  pq_bpf_diag d = {-1, ""};
  if (pt_load(ins, n, &p, &d))
    fail_msg("%s: load failed: %s", name, d.msg);
  int engines[2];
  int ne = pt_engines(p, engines);
  pt_result first;
  uint8_t mem[PT_MEM];
  memset(mem, 0x11, sizeof(mem));
  for (int e = 0; e < ne; e++) {
    pt_result r;
    pt_run(p, engines[e], mem, budget, &r);
    if (r.rc != rc)
      fail_msg("%s: %s returned %d (%s), expected %d", name,
               engines[e] == PQ_BPF_ENGINE_JIT ? "JIT" : "interpreter", r.rc, pquic_errname(r.rc),
               rc);
    assert_int_equal(r.fault.err, rc);
    if (check)
      check(&r, engines[e]);
    if (e == 0) {
      first = r;
    } else if (rc != PQUIC_ERR_BUDGET) {
      assert_int_equal(first.fault.insn, r.fault.insn);
      assert_int_equal(first.fault.addr, r.fault.addr);
      assert_int_equal(first.fault.width, r.fault.width);
      assert_int_equal(first.fault.write, r.fault.write);
      assert_int_equal(first.fault.helper, r.fault.helper);
      assert_memory_equal(first.mem, r.mem, PT_MEM);
    }
  }
  pq_bpf_prog_del(p);
}

#define HOSTILE(name, budget, rc, check, ...)                                                      \
  do {                                                                                             \
    pq_bpf_insn prog_[] = {__VA_ARGS__};                                                           \
    run_hostile(name, prog_, sizeof(prog_) / sizeof(prog_[0]), budget, rc, check);                 \
  } while (0)

#define REJECT(name, insn, rule, ...)                                                              \
  do {                                                                                             \
    pq_bpf_insn prog_[] = {__VA_ARGS__};                                                           \
    pt_expect_reject(name, prog_, sizeof(prog_) / sizeof(prog_[0]), insn, rule);                   \
  } while (0)

/* The interpreter stops wherever the budget ends, the JIT at a back-edge. */
static void budget_in_loop(const pt_result *r, int engine) {
  if (engine == PQ_BPF_ENGINE_JIT)
    assert_true(r->fault.insn == 1 || r->fault.insn == 3);
  else
    assert_true(r->fault.insn <= 3);
}

static void test_endless_loops(void **state) {
  (void)state;
  /* r0 = 0; L: if r0 != 1 goto L; exit */
  HOSTILE("tight loop", 100000, PQUIC_ERR_BUDGET, budget_in_loop, MOV64_IMM(R0, 0),
          JMP_IMM(BPF_JNE, R0, 1, -1), EXIT());
  HOSTILE("gotol loop", 100000, PQUIC_ERR_BUDGET, budget_in_loop, MOV64_IMM(R0, 0),
          JMP_IMM(BPF_JEQ, R0, 0, 1), EXIT(), JA32(-3));
  /* a loop that only calls a function: charged per call in the JIT */
  HOSTILE("loop of calls", 100000, PQUIC_ERR_BUDGET, NULL, MOV64_IMM(R0, 0), CALL_LOCAL(2),
          JMP_IMM(BPF_JNE, R0, 1, -2), EXIT(), MOV64_IMM(R0, 0), EXIT());
  /* finite but longer than the budget */
  HOSTILE("long loop", 1000, PQUIC_ERR_BUDGET, NULL, LDDW(R2, 1000000000), MOV64_IMM(R0, 0),
          ALU64_IMM(BPF_SUB, R2, 1), JMP_IMM(BPF_JNE, R2, 0, -2), EXIT());
  /* zero budget: nothing runs */
  HOSTILE("zero budget", 0, PQUIC_ERR_BUDGET, NULL, MOV64_IMM(R0, 0), JMP_IMM(BPF_JNE, R0, 1, -1),
          EXIT());
}

static void forged_addr(const pt_result *r, int engine) {
  (void)engine;
  assert_int_equal(r->fault.insn, 2);
  assert_int_equal(r->fault.addr, 0x7fffdeadbee0ull);
  assert_int_equal(r->fault.width, 8);
  assert_int_equal(r->fault.write, 1);
}

static void forged_read(const pt_result *r, int engine) {
  (void)engine;
  assert_int_equal(r->fault.write, 0);
  assert_true(r->fault.width > 0);
}

static uint64_t g_host_secret = 0x5ec2e7;

static void test_forged_pointers(void **state) {
  (void)state;
  HOSTILE("forged write", PT_BUDGET, PQUIC_ERR_FAULT, forged_addr, LDDW(R1, 0x7fffdeadbee0ull),
          ST(BPF_DW, R1, 0, 0), MOV64_IMM(R0, 0), EXIT());
  /* a real host address (a global of this test) is still out of bounds */
  HOSTILE("host global", PT_BUDGET, PQUIC_ERR_FAULT, forged_read,
          LDDW(R1, (uint64_t)(uintptr_t)&g_host_secret), LDX(BPF_DW, R0, R1, 0), EXIT());
  HOSTILE("null", PT_BUDGET, PQUIC_ERR_FAULT, forged_read, MOV64_IMM(R1, 0), LDX(BPF_B, R0, R1, 0),
          EXIT());
  /* an address that wraps around 2^64 */
  HOSTILE("wrapping", PT_BUDGET, PQUIC_ERR_FAULT, forged_read, MOV64_IMM(R1, -1),
          LDX(BPF_H, R0, R1, 3), EXIT());
  /* pointer arithmetic from a valid pointer to the host's memory */
  HOSTILE("context minus 4096", PT_BUDGET, PQUIC_ERR_FAULT, NULL, ALU64_IMM(BPF_SUB, R1, 4096),
          LDX(BPF_W, R0, R1, 0), EXIT());
}

static void far_write(const pt_result *r, int engine) {
  (void)engine;
  assert_int_equal(r->fault.insn, 3);
  assert_int_equal(r->fault.width, 4);
  assert_int_equal(r->fault.write, 1);
  for (int i = 0; i < PT_MEM; i++)
    assert_int_equal(r->mem[i], 0x11); /* nothing written */
}

static void test_far_accesses(void **state) {
  (void)state;
  HOSTILE("write 1 GiB past the context", PT_BUDGET, PQUIC_ERR_FAULT, far_write,
          LDDW(R2, 1ull << 30), ALU64_REG(BPF_ADD, R1, R2), STX(BPF_W, R1, R2, 0), MOV64_IMM(R0, 0),
          EXIT());
  HOSTILE("write past the instance region", PT_BUDGET, PQUIC_ERR_FAULT, NULL,
          ALU64_IMM(BPF_ADD, R3, PT_HEAP + PT_STACK), ST(BPF_B, R3, 0, 1), MOV64_IMM(R0, 0),
          EXIT());
  HOSTILE("write below the instance region", PT_BUDGET, PQUIC_ERR_FAULT, NULL, ST(BPF_B, R3, -1, 1),
          MOV64_IMM(R0, 0), EXIT());
  HOSTILE("atomic past the context", PT_BUDGET, PQUIC_ERR_FAULT, NULL, MOV64_IMM(R2, 1),
          ATOMIC(BPF_DW, R1, R2, 64, BPF_ADD), MOV64_IMM(R0, 0), EXIT());
}

static void off_by_one(const pt_result *r, int engine) {
  (void)engine;
  assert_int_equal(r->fault.width, 8);
  assert_int_equal(r->fault.write, 0);
  assert_int_equal(r->fault.insn, 1);
}

static void test_off_by_one(void **state) {
  (void)state;
  /* the context is 64 bytes: [56, 64) is fine, [57, 65) crosses by one */
  uint64_t ok = 0x1111111111111111ull;
  uint8_t mem[PT_MEM];
  memset(mem, 0x11, sizeof(mem));
  pq_bpf_insn fine[] = {LDX(BPF_DW, R0, R1, 56), EXIT()};
  pt_expect_run("last 8 bytes", fine, 2, mem, PT_BUDGET, 0, &ok, NULL);
  HOSTILE("8-byte read across the context end", PT_BUDGET, PQUIC_ERR_FAULT, off_by_one,
          MOV64_IMM(R0, 0), LDX(BPF_DW, R0, R1, 57), EXIT());
  HOSTILE("8-byte read across the context end (computed)", PT_BUDGET, PQUIC_ERR_FAULT, off_by_one,
          ALU64_REG(BPF_ADD, R1, R2), LDX(BPF_DW, R0, R1, -7), EXIT());
  /* the instance region ends at the stack top: r10 + 1 - 8 crosses by one */
  HOSTILE("8-byte read across the instance end", PT_BUDGET, PQUIC_ERR_FAULT, off_by_one,
          MOV64_REG(R2, R10), LDX(BPF_DW, R0, R2, -7), EXIT());
  /* and one byte before the context start */
  HOSTILE("2-byte read one before the context", PT_BUDGET, PQUIC_ERR_FAULT, NULL,
          LDX(BPF_H, R0, R1, -1), EXIT());
}

static void test_static_rejections(void **state) {
  (void)state;
  REJECT("write to r10", 1, "rule: r10-write", MOV64_IMM(R0, 0), ALU64_IMM(BPF_SUB, R10, 64),
         EXIT());
  REJECT("jump out of the program", 1, "rule: jump", MOV64_IMM(R0, 0), JA(100), EXIT());
  REJECT("jump before the program", 1, "rule: jump", MOV64_IMM(R0, 0), JA(-10), EXIT());
  REJECT("stack access below r10-512", 0, "rule: stack", ST(BPF_DW, R10, -520, 0), MOV64_IMM(R0, 0),
         EXIT());
  REJECT("no exit", 0, "rule: exit", MOV64_IMM(R0, 0), ALU64_IMM(BPF_ADD, R0, 1), JA(-2));
  REJECT("falls off the end", 1, "rule: exit", MOV64_IMM(R0, 0), ALU64_IMM(BPF_ADD, R0, 1));
  REJECT("division by constant zero", 1, "rule: div-zero", MOV64_IMM(R0, 1),
         ALU64_IMM(BPF_DIV, R0, 0), EXIT());
  /* call depth 9: main -> f1 -> ... -> f8 */
  pq_bpf_insn prog[18];
  for (int f = 0; f < 9; f++) {
    pq_bpf_insn call[] = {CALL_LOCAL(1), EXIT()}, leaf[] = {MOV64_IMM(R0, 0), EXIT()};
    prog[2 * f] = f < 8 ? call[0] : leaf[0];
    prog[2 * f + 1] = f < 8 ? call[1] : leaf[1];
  }
  pt_expect_reject("call depth 9", prog, 18, 14, "rule: depth");
}

static void below_region(const pt_result *r, int engine) {
  (void)engine;
  assert_int_equal(r->fault.insn, 3);
  assert_int_equal(r->fault.write, 1);
}

/* Through a copied pointer the stack is ordinary instance memory: going below
 * the frame stays inside the plugin's own region, going below the region
 * faults. */
static void test_stack_escape_through_pointer(void **state) {
  (void)state;
  uint64_t one = 1;
  pq_bpf_insn inside[] = {MOV64_REG(R2, R10), ALU64_IMM(BPF_SUB, R2, 600), ST(BPF_B, R2, 0, 1),
                          LDX(BPF_B, R0, R2, 0), EXIT()};
  pt_expect_run("below the frame, inside the region", inside, 5, NULL, PT_BUDGET, 0, &one, NULL);
  HOSTILE("below the region", PT_BUDGET, PQUIC_ERR_FAULT, below_region, MOV64_REG(R2, R10),
          ALU64_IMM(BPF_SUB, R2, PT_HEAP + PT_STACK), MOV64_IMM(R0, 0), ST(BPF_B, R2, -1, 1),
          EXIT());
}

static void helper_bad_args(const pt_result *r, int engine) {
  (void)engine;
  assert_int_equal(r->fault.helper, PT_H_MEMSET);
  assert_int_equal(r->fault.insn, 3);
}

static void test_bad_helper_arguments(void **state) {
  (void)state;
  /* fill(ctx + 60, 0, 8): 4 bytes past the end; nothing written */
  HOSTILE("fill past the end", PT_BUDGET, PQUIC_ERR_HELPER, helper_bad_args,
          ALU64_IMM(BPF_ADD, R1, 60), MOV64_IMM(R2, 0), MOV64_IMM(R3, 8), CALL_HELPER(PT_H_MEMSET),
          EXIT());
  HOSTILE("fill a forged pointer", PT_BUDGET, PQUIC_ERR_HELPER, helper_bad_args, LDDW(R1, 0x1000),
          MOV64_IMM(R3, 8), CALL_HELPER(PT_H_MEMSET), EXIT());
  HOSTILE("fill with a huge length", PT_BUDGET, PQUIC_ERR_HELPER, NULL, MOV64_IMM(R3, -1),
          CALL_HELPER(PT_H_MEMSET), EXIT());
}

/* A lent region that only allows reads. */
static void test_read_only_region(void **state) {
  (void)state;
  pq_bpf_insn prog[] = {LDX(BPF_B, R0, R1, 0), ST(BPF_B, R1, 1, 9), EXIT()};
  pq_bpf_prog *p = NULL;
  assert_int_equal(pt_load(prog, 3, &p, NULL), 0);
  int engines[2];
  int ne = pt_engines(p, engines);
  for (int e = 0; e < ne; e++) {
    static uint8_t region[PT_STACK];
    uint8_t ro[16] = {5, 6};
    pq_bpf_instance inst = {region, sizeof(region), 0, sizeof(region)};
    pq_bpf_region lent = {ro, sizeof(ro), PQ_BPF_REGION_READ};
    pq_bpf_run_args a = {
        .args = {(uintptr_t)ro}, .lent = &lent, .nlent = 1, .budget = 100, .engine = engines[e]};
    pq_bpf_fault f;
    assert_int_equal(pq_bpf_run(p, 0, &inst, &a, NULL, &f), PQUIC_ERR_FAULT);
    assert_int_equal(f.insn, 1);
    assert_int_equal(f.write, 1);
    assert_int_equal(ro[1], 6);
    /* a second lent region (reached through the slow path) works the same */
    uint8_t other[8] = {0}, rw[8] = {7};
    pq_bpf_region two[] = {{other, sizeof(other), PQ_BPF_REGION_RW},
                           {rw, sizeof(rw), PQ_BPF_REGION_RW}};
    pq_bpf_run_args b = {
        .args = {(uintptr_t)rw}, .lent = two, .nlent = 2, .budget = 100, .engine = engines[e]};
    uint64_t r0 = 0;
    assert_int_equal(pq_bpf_run(p, 0, &inst, &b, &r0, &f), 0);
    assert_int_equal(r0, 7);
    assert_int_equal(rw[1], 9);
    two[1].flags = PQ_BPF_REGION_READ;
    assert_int_equal(pq_bpf_run(p, 0, &inst, &b, &r0, &f), PQUIC_ERR_FAULT);
    two[1].flags = 0; /* not even readable */
    assert_int_equal(pq_bpf_run(p, 0, &inst, &b, &r0, &f), PQUIC_ERR_FAULT);
    assert_int_equal(f.insn, 0);
  }
  pq_bpf_prog_del(p);
}

static void interleaved_fault(const pt_result *r, int engine) {
  (void)engine;
  assert_int_equal(r->fault.insn, 5);
  assert_int_equal(r->fault.width, 4);
  assert_int_equal(r->mem[0], 0x11); /* the context is untouched */
}

/* Accesses through two bases interleaved (the JIT checks each base's
 * accesses together): the first base's combined check fails without any of
 * its accesses faulting (it covers [59, 67) of 64 bytes), the second base's
 * last access is out of bounds and must still fault, at its instruction. */
static void test_interleaved_access_groups(void **state) {
  (void)state;
  HOSTILE("interleaved groups", PT_BUDGET, PQUIC_ERR_FAULT, interleaved_fault, MOV64_REG(6, R1),
          MOV64_REG(7, R3), LDX(BPF_B, R0, 6, 63), ST(BPF_B, 7, 0, 1), LDX(BPF_B, R0, 6, 59),
          ST(BPF_W, 7, -2, 0), EXIT());
}

/* Not enough stack left in the instance: refused before running. */
static void test_stack_space(void **state) {
  (void)state;
  pq_bpf_insn prog[] = {CALL_LOCAL(1), EXIT(), MOV64_IMM(R0, 3), EXIT()};
  pq_bpf_prog *p = NULL;
  assert_int_equal(pt_load(prog, 4, &p, NULL), 0);
  assert_int_equal(pq_bpf_prog_stack_size(p, 0), 2 * PQ_BPF_STACK_FRAME);
  static uint8_t region[2 * PQ_BPF_STACK_FRAME];
  pq_bpf_instance inst = {region, sizeof(region), 1, sizeof(region)};
  pq_bpf_run_args a = {.budget = 100};
  assert_int_equal(pq_bpf_run(p, 0, &inst, &a, NULL, NULL), PQUIC_ERR_STACK);
  inst.stack_lo = 0;
  uint64_t r0 = 0;
  assert_int_equal(pq_bpf_run(p, 0, &inst, &a, &r0, NULL), 0);
  assert_int_equal(r0, 3);
  inst.stack_top = sizeof(region) + 1;
  assert_int_equal(pq_bpf_run(p, 0, &inst, &a, &r0, NULL), PQUIC_ERR_INVAL);
  pq_bpf_prog_del(p);
}

/* The clang-compiled misbehaving C functions of tests/pre/hostile.c. */
static void test_hostile_c(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof(path), "%s/hostile.o", PQ_PRE_FIXTURES);
  FILE *fp = fopen(path, "rb");
  if (!fp)
    fail_msg("cannot open %s", path);
  static uint8_t obj[1 << 16];
  size_t len = fread(obj, 1, sizeof(obj), fp);
  fclose(fp);
  pq_bpf_helpers *h = pt_helpers();
  pq_bpf_prog *p = NULL;
  pq_bpf_load_opts o = {.helpers = h, .flags = PQ_BPF_LOAD_JIT};
  assert_int_equal(pq_bpf_load_elf(obj, len, &o, &p), 0);
  pq_bpf_helpers_del(h);
  int engines[2];
  int ne = pt_engines(p, engines);
  static const struct {
    const char *entry;
    int rc;
    int lend; /* 1: r1 = a 64-byte lent buffer, r2 = 64; 0: r1 = 100000 */
  } cases[] = {
      {"spin", PQUIC_ERR_BUDGET, 0},      {"write_far", PQUIC_ERR_FAULT, 1},
      {"forge", PQUIC_ERR_FAULT, 0},      {"read_past_end", PQUIC_ERR_FAULT, 1},
      {"stack_dive", PQUIC_ERR_FAULT, 0},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    pq_bpf_fault f[2];
    for (int e = 0; e < ne; e++) {
      static uint8_t region[8192] __attribute__((aligned(16)));
      uint8_t buf[64] = {0};
      pq_bpf_instance inst = {region, sizeof(region), 0, sizeof(region)};
      pq_bpf_region lent = {buf, sizeof(buf), PQ_BPF_REGION_RW};
      pq_bpf_run_args a = {.budget = 1000000, .engine = engines[e]};
      a.args[0] = cases[i].lend ? (uintptr_t)buf : 100000;
      a.args[1] = sizeof(buf);
      if (cases[i].lend) {
        a.lent = &lent;
        a.nlent = 1;
      }
      int rc = pq_bpf_run(p, (size_t)pq_bpf_prog_entry(p, cases[i].entry), &inst, &a, NULL, &f[e]);
      if (rc != cases[i].rc)
        fail_msg("%s on engine %d: %d", cases[i].entry, engines[e], rc);
    }
    if (ne == 2 && cases[i].rc != PQUIC_ERR_BUDGET) {
      assert_int_equal(f[0].insn, f[1].insn);
      assert_int_equal(f[0].width, f[1].width);
    }
  }
  pq_bpf_prog_del(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_endless_loops),
      cmocka_unit_test(test_forged_pointers),
      cmocka_unit_test(test_far_accesses),
      cmocka_unit_test(test_off_by_one),
      cmocka_unit_test(test_static_rejections),
      cmocka_unit_test(test_stack_escape_through_pointer),
      cmocka_unit_test(test_bad_helper_arguments),
      cmocka_unit_test(test_read_only_region),
      cmocka_unit_test(test_stack_space),
      cmocka_unit_test(test_interleaved_access_groups),
      cmocka_unit_test(test_hostile_c),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
