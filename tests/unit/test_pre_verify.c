/* Verifier: every rule rejects what it must, naming the instruction index and
 * the rule, and accepts the corner cases that are legal. */
#include "pre_test.h"

#include "common/alloc.h"

#define R0 0
#define R1 1
#define R2 2
#define R10 10

#define REJECT(name, insn, rule, ...)                                                              \
  do {                                                                                             \
    pq_bpf_insn prog_[] = {__VA_ARGS__};                                                           \
    pt_expect_reject(name, prog_, sizeof(prog_) / sizeof(prog_[0]), insn, rule);                   \
  } while (0)

#define ACCEPT(name, ...)                                                                          \
  do {                                                                                             \
    pq_bpf_insn prog_[] = {__VA_ARGS__};                                                           \
    pq_bpf_prog *p_ = NULL;                                                                        \
    pq_bpf_diag d_ = {-1, ""};                                                                     \
    if (pt_load(prog_, sizeof(prog_) / sizeof(prog_[0]), &p_, &d_))                                \
      fail_msg("%s: rejected: %s", name, d_.msg);                                                  \
    pq_bpf_prog_del(p_);                                                                           \
  } while (0)

static void test_opcodes_and_fields(void **state) {
  (void)state;
  REJECT("unknown opcode", 1, "rule: opcode", MOV64_IMM(R0, 0), INSN(0xff, 0, 0, 0, 0), EXIT());
  REJECT("alu op 0xe0", 0, "rule: opcode", INSN(BPF_ALU64 | 0xe0, 0, 0, 0, 0), EXIT());
  REJECT("jmp op 0xe0", 0, "rule: opcode", INSN(BPF_JMP | 0xe0, 0, 0, 0, 0), EXIT());
  REJECT("legacy abs", 0, "rule: opcode", INSN(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 0), EXIT());
  REJECT("legacy ind", 0, "rule: opcode", INSN(BPF_LD | BPF_IND | BPF_B, 0, 1, 0, 0), EXIT());
  REJECT("ld mem", 0, "rule: opcode", INSN(BPF_LD | BPF_MEM | BPF_W, 0, 1, 0, 0), EXIT());
  REJECT("ldxsx dw", 0, "rule: opcode", INSN(BPF_LDX | BPF_MEMSX | BPF_DW, 0, 1, 0, 0), EXIT());
  REJECT("ldx atomic", 0, "rule: opcode", INSN(BPF_LDX | BPF_ATOMIC | BPF_W, 0, 1, 0, 0), EXIT());
  REJECT("st atomic", 0, "rule: opcode", INSN(BPF_ST | BPF_ATOMIC | BPF_W, 1, 0, 0, 0), EXIT());
  REJECT("atomic byte", 0, "rule: opcode", ATOMIC(BPF_B, 1, 2, 0, BPF_ADD), EXIT());
  REJECT("atomic op", 0, "rule: fields", ATOMIC(BPF_W, 1, 2, 0, BPF_SUB), EXIT());
  REJECT("jmp32 call", 0, "rule: opcode", INSN(BPF_JMP32 | BPF_CALL, 0, 0, 0, 1), EXIT());
  REJECT("jmp32 exit", 0, "rule: opcode", INSN(BPF_JMP32 | BPF_EXIT, 0, 0, 0, 0));
  REJECT("register r11", 0, "rule: register", MOV64_IMM(11, 0), EXIT());
  REJECT("source r12", 0, "rule: register", MOV64_REG(R0, 12), EXIT());
  REJECT("jump register r11", 0, "rule: register", JMP_IMM(BPF_JEQ, 11, 0, 0), EXIT());
  REJECT("store base r13", 0, "rule: register", ST(BPF_W, 13, 0, 0), EXIT());
  REJECT("k with src", 0, "rule: fields", INSN(BPF_ALU64 | BPF_ADD | BPF_K, 0, 1, 0, 1), EXIT());
  REJECT("x with imm", 0, "rule: fields", INSN(BPF_ALU64 | BPF_ADD | BPF_X, 0, 1, 0, 1), EXIT());
  REJECT("add with offset", 0, "rule: fields", INSN(BPF_ALU | BPF_ADD | BPF_K, 0, 0, 1, 1), EXIT());
  REJECT("div offset 2", 0, "rule: fields", INSN(BPF_ALU64 | BPF_DIV | BPF_K, 0, 0, 2, 1), EXIT());
  REJECT("neg with source bit", 0, "rule: fields", INSN(BPF_ALU64 | BPF_NEG | BPF_X, 0, 0, 0, 0),
         EXIT());
  REJECT("neg with imm", 0, "rule: fields", INSN(BPF_ALU | BPF_NEG, 0, 0, 0, 3), EXIT());
  REJECT("swap width 8", 0, "rule: fields", LE(R0, 8), EXIT());
  REJECT("bswap source bit", 0, "rule: fields", INSN(BPF_ALU64 | BPF_END | BPF_X, 0, 0, 0, 16),
         EXIT());
  REJECT("movsx 32 in alu32", 0, "rule: fields", MOVSX32(R0, R1, 32), EXIT());
  REJECT("movsx 7", 0, "rule: fields", MOVSX64(R0, R1, 7), EXIT());
  REJECT("movsx of an immediate", 0, "rule: fields", INSN(BPF_ALU64 | BPF_MOV, 0, 0, 8, 1), EXIT());
  REJECT("ja with imm", 0, "rule: fields", INSN(BPF_JMP | BPF_JA, 0, 0, 0, 1), EXIT());
  REJECT("ja32 with offset", 0, "rule: fields", INSN(BPF_JMP32 | BPF_JA, 0, 0, 1, 0), EXIT());
  REJECT("ja with registers", 0, "rule: fields", INSN(BPF_JMP | BPF_JA, 1, 0, 0, 0), EXIT());
  REJECT("exit with imm", 1, "rule: fields", MOV64_IMM(R0, 0),
         INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 1));
  REJECT("call with dst", 0, "rule: fields", INSN(BPF_JMP | BPF_CALL, 1, 0, 0, PT_H_SUM), EXIT());
  REJECT("jump k with src", 0, "rule: fields", INSN(BPF_JMP | BPF_JEQ, 0, 1, 0, 0), EXIT());
  REJECT("jump x with imm", 0, "rule: fields", INSN(BPF_JMP | BPF_JEQ | BPF_X, 0, 1, 0, 4), EXIT());
  REJECT("ldx with imm", 0, "rule: fields", INSN(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 0, 4), EXIT());
  REJECT("st with src", 0, "rule: fields", INSN(BPF_ST | BPF_MEM | BPF_W, 1, 2, 0, 4), EXIT());
  REJECT("stx with imm", 0, "rule: fields", INSN(BPF_STX | BPF_MEM | BPF_W, 1, 2, 0, 4), EXIT());
}

static void test_r10_is_read_only(void **state) {
  (void)state;
  REJECT("mov to r10", 0, "rule: r10-write", MOV64_IMM(R10, 0), EXIT());
  REJECT("add to r10", 1, "rule: r10-write", MOV64_IMM(R0, 0), ALU64_IMM(BPF_ADD, R10, 8), EXIT());
  REJECT("alu32 on r10", 0, "rule: r10-write", ALU32_IMM(BPF_ADD, R10, 8), EXIT());
  REJECT("neg r10", 0, "rule: r10-write", NEG64(R10), EXIT());
  REJECT("swap r10", 0, "rule: r10-write", BE(R10, 64), EXIT());
  REJECT("load into r10", 0, "rule: r10-write", LDX(BPF_DW, R10, R1, 0), EXIT());
  REJECT("lddw into r10", 0, "rule: r10-write", LDDW(R10, 1), EXIT());
  REJECT("fetch into r10", 0, "rule: r10-write", ATOMIC(BPF_DW, R1, R10, 0, BPF_ADD | BPF_FETCH),
         EXIT());
  REJECT("xchg into r10", 0, "rule: r10-write", ATOMIC(BPF_DW, R1, R10, 0, BPF_XCHG), EXIT());
  /* reading r10, storing it, and non-fetching atomics with it are fine */
  ACCEPT("read r10", MOV64_REG(R0, R10), STX(BPF_DW, R10, R10, -8), MOV64_IMM(R0, 0),
         ATOMIC(BPF_DW, R10, R0, -8, BPF_ADD), ATOMIC(BPF_DW, R10, R10, -16, BPF_CMPXCHG), EXIT());
}

static void test_lddw_pairs(void **state) {
  (void)state;
  REJECT("lddw at the end", 1, "rule: lddw", MOV64_IMM(R0, 0), INSN(BPF_LDDW, 0, 0, 0, 1));
  REJECT("lddw bad second half", 0, "rule: lddw", INSN(BPF_LDDW, 0, 0, 0, 1),
         INSN(BPF_ALU64 | BPF_MOV, 0, 0, 0, 1), EXIT());
  REJECT("lddw second half with registers", 0, "rule: lddw", INSN(BPF_LDDW, 0, 0, 0, 1),
         INSN(0, 1, 0, 0, 0), EXIT());
  REJECT("lddw map fd", 0, "rule: lddw", INSN(BPF_LDDW, 0, 1, 0, 1), INSN(0, 0, 0, 0, 0), EXIT());
  REJECT("jump into lddw", 0, "rule: lddw", JA(1), LDDW(R0, 5), EXIT());
  REJECT("backward jump into lddw", 3, "rule: lddw", MOV64_IMM(R0, 0), LDDW(R1, 5),
         JMP_IMM(BPF_JEQ, R0, 1, -2), EXIT());
  REJECT("call into lddw", 0, "rule: lddw", CALL_LOCAL(1), LDDW(R0, 5), EXIT());
  ACCEPT("jump onto lddw", JA(0), LDDW(R0, 5), JMP_IMM(BPF_JEQ, R0, 7, -3), EXIT());
}

static void test_jumps_stay_inside(void **state) {
  (void)state;
  REJECT("jump past the end", 1, "rule: jump", MOV64_IMM(R0, 0), JA(5), EXIT());
  REJECT("jump before the start", 1, "rule: jump", MOV64_IMM(R0, 0), JMP_IMM(BPF_JEQ, R0, 0, -3),
         EXIT());
  REJECT("gotol out", 0, "rule: jump", JA32(100000), EXIT());
  REJECT("jump to the end", 0, "rule: jump", JA(1), EXIT());
  /* main [0, 3), f [3, 5): a jump from main into f */
  REJECT("jump into another function", 1, "rule: jump", CALL_LOCAL(2), JMP_IMM(BPF_JEQ, R0, 0, 2),
         EXIT(), MOV64_IMM(R0, 1), EXIT());
  REJECT("jump from a function back into main", 4, "rule: jump", CALL_LOCAL(2), MOV64_IMM(R0, 0),
         EXIT(), MOV64_IMM(R0, 1), JA(-4), EXIT());
}

static void test_calls(void **state) {
  (void)state;
  REJECT("call past the end", 0, "rule: call", CALL_LOCAL(5), EXIT());
  REJECT("call before the start", 1, "rule: call", MOV64_IMM(R0, 0), CALL_LOCAL(-3), EXIT());
  REJECT("callx", 1, "rule: call", MOV64_IMM(R1, 0), INSN(BPF_JMP | BPF_CALL | BPF_X, 1, 0, 0, 0),
         EXIT());
  REJECT("kfunc", 0, "rule: call", INSN(BPF_JMP | BPF_CALL, 0, 2, 0, 1), EXIT());
  REJECT("call source 3", 0, "rule: fields", INSN(BPF_JMP | BPF_CALL, 0, 3, 0, 1), EXIT());
  REJECT("unknown helper", 0, "rule: helper", CALL_HELPER(999), EXIT());
  REJECT("negative helper", 0, "rule: helper", CALL_HELPER(-1), EXIT());
  REJECT("recursion", 3, "rule: call", CALL_LOCAL(1), EXIT(), MOV64_IMM(R0, 0), CALL_LOCAL(-2),
         EXIT());
  REJECT("self call", 0, "rule: call", CALL_LOCAL(-1), EXIT());
  /* calls must land on a function start: calling into the middle splits
   * the caller, and its jump across the split is then caught */
  REJECT("call into the middle", 2, "rule: jump", MOV64_IMM(R0, 0), CALL_LOCAL(1),
         JMP_IMM(BPF_JEQ, R0, 0, 1), EXIT(), EXIT());
}

/* 9 frames: main -> f1 -> ... -> f8. The innermost call is named. */
static void test_call_depth(void **state) {
  (void)state;
  pq_bpf_insn prog[32];
  size_t n = 0;
  for (int f = 0; f < 9; f++) {
    pq_bpf_insn a[] = {CALL_LOCAL(1), EXIT()};
    pq_bpf_insn last[] = {MOV64_IMM(R0, 1), EXIT()};
    prog[n++] = f < 8 ? a[0] : last[0];
    prog[n++] = f < 8 ? a[1] : last[1];
  }
  pt_expect_reject("depth 9", prog, n, 14, "rule: depth");
  /* 8 frames load */
  pq_bpf_prog *p = NULL;
  assert_int_equal(pt_load(prog + 2, n - 2, &p, NULL), 0);
  assert_int_equal(pq_bpf_prog_stack_size(p, 0), 8 * PQ_BPF_STACK_FRAME);
  pq_bpf_prog_del(p);
}

static void test_exit_rules(void **state) {
  (void)state;
  pq_bpf_prog *p = NULL;
  pq_bpf_diag d = {-1, ""};
  assert_int_equal(pq_bpf_load_raw((const uint8_t *)"", 0, NULL, &p), PQUIC_ERR_VERIFY);
  assert_int_equal(pq_bpf_load_raw(NULL, 0, &(pq_bpf_load_opts){.diag = &d}, &p), PQUIC_ERR_VERIFY);
  assert_non_null(strstr(d.msg, "rule: exit"));
  assert_int_equal(pq_bpf_load_raw((const uint8_t *)"abc", 3, NULL, &p), PQUIC_ERR_INVAL);
  REJECT("falls off the end", 1, "rule: exit", MOV64_IMM(R0, 0), MOV64_IMM(R0, 1));
  REJECT("conditional jump at the end", 1, "rule: exit", MOV64_IMM(R0, 0),
         JMP_IMM(BPF_JEQ, R0, 0, -2));
  REJECT("function falls into the next", 3, "rule: exit", CALL_LOCAL(3), EXIT(), MOV64_IMM(R0, 0),
         MOV64_IMM(R0, 1), EXIT());
  REJECT("no exit at all", 0, "rule: exit", MOV64_IMM(R0, 0), JA(-2));
  REJECT("exit unreachable", 0, "rule: exit", JA(-1), EXIT());
  REJECT("callee without exit", 2, "rule: exit", CALL_LOCAL(1), EXIT(), JA(-1));
  /* an infinite loop with a reachable exit is the budget's business */
  ACCEPT("loop with an exit", MOV64_IMM(R0, 0), JMP_IMM(BPF_JNE, R0, 1, -1), EXIT());
  /* unreachable code is allowed (and verified) */
  ACCEPT("dead code", MOV64_IMM(R0, 0), EXIT(), MOV64_IMM(R0, 1), EXIT());
  REJECT("dead code is verified", 3, "rule: r10-write", MOV64_IMM(R0, 0), EXIT(), MOV64_IMM(R0, 1),
         MOV64_IMM(R10, 1), EXIT());
}

static void test_stack_bounds(void **state) {
  (void)state;
  REJECT("below the frame", 0, "rule: stack", ST(BPF_B, R10, -513, 0), EXIT());
  REJECT("dw straddling the bottom", 0, "rule: stack", LDX(BPF_DW, R0, R10, -516), EXIT());
  REJECT("at r10", 0, "rule: stack", LDX(BPF_B, R0, R10, 0), EXIT());
  REJECT("dw straddling the top", 0, "rule: stack", STX(BPF_DW, R10, R0, -4), EXIT());
  REJECT("w straddling the top", 0, "rule: stack", ST(BPF_W, R10, -3, 0), EXIT());
  REJECT("atomic below", 0, "rule: stack", ATOMIC(BPF_DW, R10, R0, -520, BPF_ADD), EXIT());
  REJECT("positive offset", 0, "rule: stack", STX(BPF_B, R10, R0, 100), EXIT());
  ACCEPT("frame edges", ST(BPF_B, R10, -512, 0), ST(BPF_DW, R10, -8, 0), ST(BPF_B, R10, -1, 0),
         LDX(BPF_DW, R0, R10, -512), EXIT());
}

static void test_division_by_constant_zero(void **state) {
  (void)state;
  REJECT("div k 0", 1, "rule: div-zero", MOV64_IMM(R0, 1), ALU64_IMM(BPF_DIV, R0, 0), EXIT());
  REJECT("mod k 0", 0, "rule: div-zero", ALU64_IMM(BPF_MOD, R0, 0), EXIT());
  REJECT("div32 k 0", 0, "rule: div-zero", ALU32_IMM(BPF_DIV, R0, 0), EXIT());
  REJECT("mod32 k 0", 0, "rule: div-zero", ALU32_IMM(BPF_MOD, R0, 0), EXIT());
  REJECT("sdiv k 0", 0, "rule: div-zero", SALU64_IMM(BPF_DIV, R0, 0), EXIT());
  REJECT("smod32 k 0", 0, "rule: div-zero", SALU32_IMM(BPF_MOD, R0, 0), EXIT());
  ACCEPT("division by a register", MOV64_IMM(R0, 1), MOV64_IMM(R2, 0), ALU64_REG(BPF_DIV, R0, R2),
         EXIT());
}

static void test_size_limit(void **state) {
  (void)state;
  size_t n = (size_t)PQ_BPF_MAX_INSNS + 1;
  uint8_t *b = calloc(n, 8);
  assert_non_null(b);
  pq_bpf_prog *p = NULL;
  pq_bpf_diag d = {-1, ""};
  assert_int_equal(pq_bpf_load_raw(b, n * 8, &(pq_bpf_load_opts){.diag = &d}, &p),
                   PQUIC_ERR_VERIFY);
  assert_non_null(strstr(d.msg, "rule: size"));
  free(b);
}

/* Out-of-memory sweep over loading: every failure is clean. */
static void test_load_out_of_memory(void **state) {
  (void)state;
  pq_bpf_insn prog[] = {MOV64_IMM(R0, 0), CALL_LOCAL(2), CALL_HELPER(PT_H_SUM),
                        EXIT(),           LDDW(R0, 5),   EXIT()};
  uint8_t bytes[sizeof(prog) / sizeof(prog[0]) * 8];
  for (size_t i = 0; i < sizeof(prog) / sizeof(prog[0]); i++)
    pq_bpf_encode(&prog[i], bytes + 8 * i);
  pq_bpf_helpers *h = pt_helpers();
  int ok = 0;
  for (long k = 0; k < 200 && !ok; k++) {
    pq_alloc_fail_after(k);
    pq_bpf_prog *p = NULL;
    pq_bpf_load_opts o = {.helpers = h, .flags = PQ_BPF_LOAD_JIT};
    int rc = pq_bpf_load_raw(bytes, sizeof(bytes), &o, &p);
    pq_alloc_fail_after(-1);
    if (rc == 0) {
      ok = 1;
      pq_bpf_prog_del(p);
    } else {
      assert_int_equal(rc, PQUIC_ERR_NOMEM);
      assert_null(p);
    }
  }
  assert_true(ok);
  pq_bpf_helpers_del(h);
}

static void test_helper_registry(void **state) {
  (void)state;
  pq_bpf_helpers *h = pt_helpers();
  assert_int_equal(pq_bpf_helpers_find(h, "sum"), PT_H_SUM);
  assert_int_equal(pq_bpf_helpers_find(h, "nope"), PQUIC_ERR_NOT_FOUND);
  assert_string_equal(pq_bpf_helpers_name(h, PT_H_FAULT), "fault");
  assert_null(pq_bpf_helpers_name(h, 100));
  assert_int_equal(pq_bpf_helpers_add(h, PT_H_SUM, "other", pt_h_sum), PQUIC_ERR_EXISTS);
  assert_int_equal(pq_bpf_helpers_add(h, 50, "sum", pt_h_sum), PQUIC_ERR_EXISTS);
  assert_int_equal(pq_bpf_helpers_add(h, PQ_BPF_MAX_HELPER_ID + 1, "x", pt_h_sum), PQUIC_ERR_INVAL);
  assert_int_equal(pq_bpf_helpers_add(h, 5, "", pt_h_sum), PQUIC_ERR_INVAL);
  assert_int_equal(pq_bpf_helpers_add(h, 5, "x", NULL), PQUIC_ERR_INVAL);
  assert_int_equal(pq_bpf_helpers_add(h, PQ_BPF_MAX_HELPER_ID, "last", pt_h_sum), 0);
  assert_int_equal(pq_bpf_helpers_find(h, "last"), PQ_BPF_MAX_HELPER_ID);
  pq_bpf_helpers_del(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_opcodes_and_fields),
      cmocka_unit_test(test_r10_is_read_only),
      cmocka_unit_test(test_lddw_pairs),
      cmocka_unit_test(test_jumps_stay_inside),
      cmocka_unit_test(test_calls),
      cmocka_unit_test(test_call_depth),
      cmocka_unit_test(test_exit_rules),
      cmocka_unit_test(test_stack_bounds),
      cmocka_unit_test(test_division_by_constant_zero),
      cmocka_unit_test(test_size_limit),
      cmocka_unit_test(test_load_out_of_memory),
      cmocka_unit_test(test_helper_registry),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
