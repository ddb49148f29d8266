/* Checks hoisted out of loops (src/pre/loops.h): the JIT proves, when a loop
 * is entered, that every access of every iteration lies in one region, and
 * then runs a copy of the loop without those checks. Each program here has a
 * loop whose accesses the analysis hoists (asserted on the loaded program),
 * run once in bounds and once where some iteration would leave the memory
 * (the bound one too far, an entry condition broken, a test that does not
 * bound every path): every engine must report the same fault at the same
 * instruction, after the same stores. */
#include "pre_test.h"

#include "pre/analyze.h"
#include "pre/jit.h"
#include "pre/prog.h"

#define R0 0
#define R1 1
#define R2 2
#define R3 3
#define R4 4
#define R5 5
#define R6 6
#define R7 7
#define R10 10

/* Accesses of a loaded program that a loop entry checks. */
static int hoisted(const pq_bpf_insn *ins, size_t n) {
  pq_bpf_prog *p = NULL;
  pq_bpf_diag d = {-1, ""};
  if (pt_load(ins, n, &p, &d))
    fail_msg("load failed: %s", d.msg);
  int k = 0;
  for (uint32_t pc = 0; pc < p->ninsns; pc++)
    k += (p->insns[pc].pad & PQ_INSN_HOISTED) != 0;
  pq_bpf_prog_del(p);
  return k;
}

/* Runs on every engine; they must agree on everything (pt_expect_run) and
 * give `rc`; a bounds fault must be at `insn`. */
static void run(const char *name, const pq_bpf_insn *ins, size_t n, int rc, uint32_t insn,
                pt_result *out) {
  uint8_t mem[PT_MEM];
  for (int i = 0; i < PT_MEM; i++)
    mem[i] = (uint8_t)(i * 7 + 1);
  pt_result r;
  pt_expect_run(name, ins, n, mem, PT_BUDGET, rc, NULL, &r);
  if (rc == PQUIC_ERR_FAULT)
    assert_int_equal(r.fault.insn, insn);
  if (out)
    *out = r;
}

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* RFC 1071-style loop as clang emits it: the index is a copy of a second
 * induction variable (an entry condition the pad checks), the test is on
 * index + 3 < n. With n = 64 every byte is read; n = 66 reads two past. */
static void checksum(pq_bpf_insn *p, int32_t n) {
  pq_bpf_insn prog[] = {
      MOV64_IMM(R2, n),
      MOV64_IMM(R0, 0),
      JMP_IMM(BPF_JLT, R2, 2, 14),
      MOV64_IMM(R3, 0),
      MOV64_IMM(R4, 0),
      MOV64_REG(R5, R1), /* loop */
      ALU64_REG(BPF_ADD, R5, R3),
      LDX(BPF_B, R6, R5, 1),
      LDX(BPF_B, R5, R5, 0),
      ALU64_IMM(BPF_LSH, R5, 8),
      ALU64_REG(BPF_OR, R5, R6),
      ALU64_REG(BPF_ADD, R0, R5),
      ALU64_IMM(BPF_ADD, R4, 2),
      MOV64_REG(R6, R3),
      ALU64_IMM(BPF_ADD, R6, 3),
      MOV64_REG(R3, R4),
      JMP_REG(BPF_JLT, R6, R2, -12),
      EXIT(),
  };
  memcpy(p, prog, sizeof(prog));
}

static void test_copied_index(void **state) {
  (void)state;
  pq_bpf_insn p[18];
  checksum(p, 64);
  assert_int_equal(hoisted(p, 18), 2);
  run("checksum in bounds", p, 18, 0, 0, NULL);
  checksum(p, 65); /* the last pair is 62, 63: still inside */
  run("checksum 65", p, 18, 0, 0, NULL);
  checksum(p, 66);
  run("checksum past the end", p, 18, PQUIC_ERR_FAULT, 7, NULL);
  /* the index does not start equal to its induction variable: the entry
   * check fails, the ordinary loop runs and faults on the first read */
  checksum(p, 64);
  p[3] = (pq_bpf_insn)MOV64_IMM(R3, 80);
  run("index not linked at entry", p, 18, PQUIC_ERR_FAULT, 7, NULL);
}

/* mem[i] = i for i <= n (a `<=` test, a write per iteration). */
static void test_stores_up_to(void **state) {
  (void)state;
  pq_bpf_insn p[] = {
      MOV64_IMM(R2, 63),
      MOV64_IMM(R3, 0),
      MOV64_REG(R4, R1), /* loop */
      ALU64_REG(BPF_ADD, R4, R3),
      STX(BPF_B, R4, R3, 0),
      ALU64_IMM(BPF_ADD, R3, 1),
      JMP_REG(BPF_JLE, R3, R2, -5),
      EXIT(),
  };
  assert_int_equal(hoisted(p, LEN(p)), 1);
  pt_result r;
  run("stores in bounds", p, LEN(p), 0, 0, &r);
  for (int i = 0; i < PT_MEM; i++)
    assert_int_equal(r.mem[i], i);
  p[0] = (pq_bpf_insn)MOV64_IMM(R2, 64);
  run("stores one past", p, LEN(p), PQUIC_ERR_FAULT, 4, &r);
  for (int i = 0; i < PT_MEM; i++) /* every store before the fault happened */
    assert_int_equal(r.mem[i], i);
}

/* Insertion-sort shift: a pointer into the instance heap stepping down by
 * 4 while a counter goes down to zero (a `!=` test). */
static void test_shift_down(void **state) {
  (void)state;
  pq_bpf_insn p[] = {
      MOV64_REG(R5, R3),
      ALU64_IMM(BPF_ADD, R5, 4 * 10),
      MOV64_IMM(R0, 10),
      LDX(BPF_W, R7, R5, -4), /* loop */
      STX(BPF_W, R5, R7, 0),
      ALU64_IMM(BPF_ADD, R5, -4),
      ALU64_IMM(BPF_ADD, R0, -1),
      JMP_IMM(BPF_JNE, R0, 0, -5),
      EXIT(),
  };
  assert_int_equal(hoisted(p, LEN(p)), 2);
  run("shift in bounds", p, LEN(p), 0, 0, NULL);
  p[2] = (pq_bpf_insn)MOV64_IMM(R0, 11); /* one step below the heap's start */
  run("shift below the region", p, LEN(p), PQUIC_ERR_FAULT, 3, NULL);
  p[2] = (pq_bpf_insn)MOV64_IMM(R0, 0); /* counts down from 2^64 - 1 */
  run("shift from zero", p, LEN(p), PQUIC_ERR_FAULT, 3, NULL);
}

/* Reading mem[n - 1] down to mem[0] with a signed `> 0` test; with a step of
 * two and an odd start the counter passes zero and wraps (unsigned test). */
static void test_count_down(void **state) {
  (void)state;
  pq_bpf_insn p[] = {
      MOV64_IMM(R3, 64),
      MOV64_REG(R4, R1), /* loop */
      ALU64_REG(BPF_ADD, R4, R3),
      LDX(BPF_B, R5, R4, -1),
      ALU64_REG(BPF_ADD, R0, R5),
      ALU64_IMM(BPF_ADD, R3, -1),
      JMP_IMM(BPF_JSGT, R3, 0, -6),
      EXIT(),
  };
  assert_int_equal(hoisted(p, LEN(p)), 1);
  run("count down", p, LEN(p), 0, 0, NULL);
  p[0] = (pq_bpf_insn)MOV64_IMM(R3, 65);
  run("count down from past the end", p, LEN(p), PQUIC_ERR_FAULT, 3, NULL);
  pq_bpf_insn q[] = {
      MOV64_IMM(R3, 5),           MOV64_REG(R4, R1), /* loop */
      ALU64_REG(BPF_ADD, R4, R3), LDX(BPF_B, R5, R4, 0),       ALU64_REG(BPF_ADD, R0, R5),
      ALU64_IMM(BPF_ADD, R3, -2), JMP_IMM(BPF_JGT, R3, 0, -6), EXIT(),
  };
  assert_int_equal(hoisted(q, LEN(q)), 1);
  run("step two past zero", q, LEN(q), PQUIC_ERR_FAULT, 3, NULL);
  q[0] = (pq_bpf_insn)MOV64_IMM(R3, 6);
  run("step two to zero", q, LEN(q), 0, 0, NULL);
}

/* for (p = buf; p < buf + n; p++): the pointer is the induction variable,
 * the bound an invariant pointer. */
static void test_pointer_bound(void **state) {
  (void)state;
  pq_bpf_insn p[] = {
      MOV64_REG(R4, R1),
      ALU64_IMM(BPF_ADD, R4, 64),
      MOV64_REG(R3, R1),
      LDX(BPF_B, R5, R3, 0), /* loop */
      ALU64_REG(BPF_ADD, R0, R5),
      ALU64_IMM(BPF_ADD, R3, 1),
      JMP_REG(BPF_JLT, R3, R4, -4),
      EXIT(),
  };
  assert_int_equal(hoisted(p, LEN(p)), 1);
  run("pointer bound", p, LEN(p), 0, 0, NULL);
  p[1] = (pq_bpf_insn)ALU64_IMM(BPF_ADD, R4, 65);
  run("pointer bound past the end", p, LEN(p), PQUIC_ERR_FAULT, 3, NULL);
}

/* 32-bit words indexed by i << 2; and an access that does not move (through
 * an invariant pointer), past the end from the first iteration. */
static void test_scaled_and_invariant(void **state) {
  (void)state;
  pq_bpf_insn p[] = {
      MOV64_IMM(R3, 0),
      MOV64_IMM(R2, 16),
      MOV64_REG(R4, R3), /* loop */
      ALU64_IMM(BPF_LSH, R4, 2),
      MOV64_REG(R5, R1),
      ALU64_REG(BPF_ADD, R5, R4),
      LDX(BPF_W, R6, R5, 0),
      ALU64_REG(BPF_ADD, R0, R6),
      LDX(BPF_DW, R6, R1, 56), /* invariant */
      ALU64_REG(BPF_ADD, R0, R6),
      ALU64_IMM(BPF_ADD, R3, 1),
      JMP_REG(BPF_JLT, R3, R2, -10),
      EXIT(),
  };
  assert_int_equal(hoisted(p, LEN(p)), 2);
  run("scaled in bounds", p, LEN(p), 0, 0, NULL);
  p[1] = (pq_bpf_insn)MOV64_IMM(R2, 17);
  run("scaled past the end", p, LEN(p), PQUIC_ERR_FAULT, 6, NULL);
  p[1] = (pq_bpf_insn)MOV64_IMM(R2, 16);
  p[8] = (pq_bpf_insn)LDX(BPF_DW, R6, R1, 60);
  run("invariant past the end", p, LEN(p), PQUIC_ERR_FAULT, 8, NULL);
}

/* The only exit test sits on one of two paths around the loop, so it bounds
 * nothing: the moving access stays checked and faults where it leaves. */
static void test_test_on_one_path(void **state) {
  (void)state;
  pq_bpf_insn p[] = {
      MOV64_IMM(R3, 0),
      MOV64_REG(R4, R1), /* loop */
      ALU64_REG(BPF_ADD, R4, R3),
      LDX(BPF_B, R5, R4, 0),
      JMP_IMM(BPF_JNE, R5, 0, 1), /* no byte is 0: always skips the test */
      JMP_IMM(BPF_JGE, R3, 10, 2),
      ALU64_IMM(BPF_ADD, R3, 1),
      JA(-7),
      EXIT(),
  };
  assert_int_equal(hoisted(p, LEN(p)), 0);
  run("test on one path", p, LEN(p), PQUIC_ERR_FAULT, 3, NULL);
}

/* Calls a function summing mem[0..n) in a loop; its loop heads slot 5. */
#define CALLEE_LEN 12
static void callee_sum(pq_bpf_insn *p, int32_t n) {
  const pq_bpf_insn prog[CALLEE_LEN] = {
      MOV64_IMM(R2, n),
      CALL_LOCAL(1),
      EXIT(),
      MOV64_IMM(R3, 0), /* callee: sum of mem[0..r2) */
      MOV64_IMM(R0, 0),
      MOV64_REG(R4, R1), /* loop */
      ALU64_REG(BPF_ADD, R4, R3),
      LDX(BPF_B, R5, R4, 0),
      ALU64_REG(BPF_ADD, R0, R5),
      ALU64_IMM(BPF_ADD, R3, 1),
      JMP_REG(BPF_JNE, R3, R2, -6),
      EXIT(),
  };
  memcpy(p, prog, sizeof(prog));
}

/* for (o = 0; o < outer; o += 8) for (i = 0; i < 8; i++) sum += mem[o + i];
 * the outer loop heads slot 2, the inner one slot 5. */
#define NESTED_LEN 14
static void nested_sum(pq_bpf_insn *p, int32_t outer) {
  const pq_bpf_insn prog[NESTED_LEN] = {
      MOV64_IMM(R6, 0),
      MOV64_IMM(R7, outer),
      MOV64_REG(R2, R1), /* outer */
      ALU64_REG(BPF_ADD, R2, R6),
      MOV64_IMM(R3, 0),
      MOV64_REG(R4, R2), /* inner */
      ALU64_REG(BPF_ADD, R4, R3),
      LDX(BPF_B, R5, R4, 0),
      ALU64_REG(BPF_ADD, R0, R5),
      ALU64_IMM(BPF_ADD, R3, 1),
      JMP_IMM(BPF_JLT, R3, 8, -6),
      ALU64_IMM(BPF_ADD, R6, 8),
      JMP_REG(BPF_JLT, R6, R7, -11),
      EXIT(),
  };
  memcpy(p, prog, sizeof(prog));
}

/* A loop in a called function, and a loop inside a loop (the inner one
 * hoisted: it starts where the outer one points). */
static void test_callee_and_nested(void **state) {
  (void)state;
  pq_bpf_insn p[CALLEE_LEN], q[NESTED_LEN];
  callee_sum(p, 64);
  assert_int_equal(hoisted(p, LEN(p)), 1);
  run("callee", p, LEN(p), 0, 0, NULL);
  callee_sum(p, 70);
  run("callee past the end", p, LEN(p), PQUIC_ERR_FAULT, 7, NULL);
  nested_sum(q, 64);
  assert_int_equal(hoisted(q, LEN(q)), 1);
  run("nested", q, LEN(q), 0, 0, NULL);
  nested_sum(q, 65); /* one more outer round: its inner loop leaves */
  run("nested past the end", q, LEN(q), PQUIC_ERR_FAULT, 7, NULL);
}

/* Functions and the tops of loops start on 64 bytes in JIT code
 * (jit_internal.h: J_ALIGN), here a callee's versioned
 * loop and both loops of a nest, all entered by falling through the
 * padding. */
static void expect_aligned(const pq_bpf_insn *ins, size_t n, const uint32_t *heads, size_t nheads) {
  pq_bpf_prog *p = NULL;
  pq_bpf_diag d = {-1, ""};
  assert_int_equal(pt_load(ins, n, &p, &d), 0);
  if (pq_bpf_prog_has_jit(p)) {
    for (uint32_t f = 0; f < p->nfuncs; f++)
      assert_int_equal(pq_jit_func_offset(p->jit, f) % 64, 0);
    for (size_t i = 0; i < nheads; i++)
      assert_int_equal(pq_jit_insn_offset(p->jit, heads[i]) % 64, 0);
  }
  pq_bpf_prog_del(p);
}

static void test_aligned(void **state) {
  (void)state;
  pq_bpf_insn p[CALLEE_LEN], q[NESTED_LEN];
  callee_sum(p, 64);
  static const uint32_t hp[] = {5};
  assert_int_equal(hoisted(p, LEN(p)), 1);
  expect_aligned(p, LEN(p), hp, 1);
  run("aligned callee", p, LEN(p), 0, 0, NULL);
  nested_sum(q, 64);
  static const uint32_t hq[] = {2, 5};
  expect_aligned(q, LEN(q), hq, 2);
  run("aligned nest", q, LEN(q), 0, 0, NULL);
}

/* A helper call in the loop (which may fault, here after four rounds), an
 * invariant read hoisted around it, and a budget that runs out inside a
 * hoisted loop. */
static void test_helpers_and_budget(void **state) {
  (void)state;
  pq_bpf_insn p[] = {
      MOV64_REG(R6, R1),
      MOV64_IMM(R7, 0),
      LDX(BPF_B, R2, R6, 63), /* loop: invariant read */
      MOV64_REG(R1, R6),
      ALU64_REG(BPF_ADD, R1, R7),
      ALU64_IMM(BPF_ADD, R1, 56),
      MOV64_IMM(R3, 2),
      CALL_HELPER(PT_H_MEMSET), /* fills mem[56 + i, 58 + i): faults at i = 7 */
      ALU64_IMM(BPF_ADD, R7, 1),
      JMP_IMM(BPF_JLT, R7, 10, -8),
      EXIT(),
  };
  assert_int_equal(hoisted(p, LEN(p)), 1);
  run("helper in a loop", p, LEN(p), PQUIC_ERR_HELPER, 0, NULL);
  pq_bpf_insn q[18];
  checksum(q, 64);
  pq_bpf_prog *prog = NULL;
  pq_bpf_diag d = {-1, ""};
  assert_int_equal(pt_load(q, 18, &prog, &d), 0);
  int engines[2];
  int ne = pt_engines(prog, engines);
  for (int e = 0; e < ne; e++) {
    pt_result r;
    pt_run(prog, engines[e], NULL, 10, &r); /* 32 iterations need more */
    assert_int_equal(r.rc, PQUIC_ERR_BUDGET);
  }
  if (pq_bpf_prog_has_jit(prog)) {
    /* The JIT charges the latch of each of the 32 iterations (the last one
     * on the way out too); the loop's copy decrements without testing when
     * its pad saw enough budget: exactly enough must finish, one less must
     * fault, never wrap. */
    pt_result r;
    pt_run(prog, PQ_BPF_ENGINE_JIT, NULL, 32, &r);
    assert_int_equal(r.rc, 0);
    pt_run(prog, PQ_BPF_ENGINE_JIT, NULL, 31, &r);
    assert_int_equal(r.rc, PQUIC_ERR_BUDGET);
  }
  pq_bpf_prog_del(prog);
  /* An endless loop calling a function whose loop runs without budget tests
   * (found by fuzz_pre_diff: the budget wrapped and the run never ended). */
  pq_bpf_insn e[] = {
      CALL_LOCAL(2), /* loop */
      JMP_IMM(BPF_JNE, R1, 0, -2),
      EXIT(),
      MOV64_IMM(R6, 3), /* callee */
      LDX(BPF_B, R2, R3, 0),
      ALU64_IMM(BPF_ADD, R6, -1),
      JMP_IMM(BPF_JNE, R6, 0, -3),
      EXIT(),
  };
  assert_int_equal(hoisted(e, LEN(e)), 1);
  assert_int_equal(pt_load(e, LEN(e), &prog, &d), 0);
  ne = pt_engines(prog, engines);
  for (int k = 0; k < ne; k++) { /* budget faults happen at other places per engine */
    pt_result r;
    pt_run(prog, engines[k], NULL, 100000, &r);
    assert_int_equal(r.rc, PQUIC_ERR_BUDGET);
  }
  pq_bpf_prog_del(prog);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_copied_index),       cmocka_unit_test(test_stores_up_to),
      cmocka_unit_test(test_shift_down),         cmocka_unit_test(test_count_down),
      cmocka_unit_test(test_pointer_bound),      cmocka_unit_test(test_scaled_and_invariant),
      cmocka_unit_test(test_test_on_one_path),   cmocka_unit_test(test_callee_and_nested),
      cmocka_unit_test(test_helpers_and_budget), cmocka_unit_test(test_aligned),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
