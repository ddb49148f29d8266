/* ISA suite, control flow: every conditional jump of JMP and JMP32 with
 * immediate and register operands against a reference written here, ja and
 * gotol, loops, bpf-to-bpf calls (callee-saved registers, frames), helper
 * calls and exit; each run on every engine. */
#include "pre_test.h"

#define R0 0
#define R1 1
#define R2 2
#define R3 3
#define R6 6
#define R10 10

static const uint8_t cond_ops[] = {BPF_JEQ,  BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT,
                                   BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE};

static const uint64_t values[] = {0,
                                  1,
                                  5,
                                  (uint64_t)-1,
                                  (uint64_t)-5,
                                  0x7fffffff,
                                  0x80000000,
                                  0x8000000000000000ull,
                                  0x7fffffffffffffffull,
                                  0x100000001ull,
                                  0xffffffff00000000ull,
                                  0xffffffff00000005ull};

/* The reference: RFC 9669 section 4.3, written independently of the engines. */
static int reference(uint8_t op, int is32, uint64_t a, uint64_t b) {
  if (is32) {
    a = (uint32_t)a;
    b = (uint32_t)b;
  }
  int64_t sa = is32 ? (int64_t)(int32_t)a : (int64_t)a;
  int64_t sb = is32 ? (int64_t)(int32_t)b : (int64_t)b;
  switch (op) {
  case BPF_JEQ:
    return a == b;
  case BPF_JGT:
    return a > b;
  case BPF_JGE:
    return a >= b;
  case BPF_JSET:
    return (a & b) != 0;
  case BPF_JNE:
    return a != b;
  case BPF_JSGT:
    return sa > sb;
  case BPF_JSGE:
    return sa >= sb;
  case BPF_JLT:
    return a < b;
  case BPF_JLE:
    return a <= b;
  case BPF_JSLT:
    return sa < sb;
  default:
    return sa <= sb;
  }
}

/* r0 = 1; r2 = a; r3 = b; if r2 op r3/imm goto +1; r0 = 0; exit */
static void test_conditional_jumps(void **state) {
  (void)state;
  size_t nv = sizeof(values) / sizeof(values[0]);
  for (size_t o = 0; o < sizeof(cond_ops); o++) {
    for (int is32 = 0; is32 < 2; is32++) {
      for (int reg = 0; reg < 2; reg++) {
        for (size_t i = 0; i < nv; i++) {
          for (size_t j = 0; j < nv; j++) {
            uint64_t a = values[i], b = values[j];
            uint8_t cls = is32 ? BPF_JMP32 : BPF_JMP;
            if (!reg) /* the immediate is a sign-extended 32-bit value */
              b = (uint64_t)(int64_t)(int32_t)b;
            pq_bpf_insn jump =
                reg ? (pq_bpf_insn)INSN(cls | BPF_X | cond_ops[o], R2, R3, 1, 0)
                    : (pq_bpf_insn)INSN(cls | BPF_K | cond_ops[o], R2, 0, 1, (int32_t)b);
            pq_bpf_insn prog[] = {MOV64_IMM(R0, 1), LDDW(R2, a), LDDW(R3, b), jump,
                                  MOV64_IMM(R0, 0), EXIT()};
            uint64_t expect = (uint64_t)reference(cond_ops[o], is32, a, b);
            char name[96];
            snprintf(name, sizeof(name), "jump op 0x%02x %s %s a=0x%llx b=0x%llx", cond_ops[o],
                     is32 ? "jmp32" : "jmp", reg ? "x" : "k", (unsigned long long)a,
                     (unsigned long long)b);
            pt_expect_run(name, prog, sizeof(prog) / sizeof(prog[0]), NULL, PT_BUDGET, 0, &expect,
                          NULL);
          }
        }
      }
    }
  }
}

static const pt_case flow_cases[] = {
    {"ja forward", 1, {MOV64_IMM(R0, 1), JA(1), MOV64_IMM(R0, 2), EXIT()}},
    {"ja zero offset", 2, {MOV64_IMM(R0, 1), JA(0), MOV64_IMM(R0, 2), EXIT()}},
    {"gotol forward", 1, {MOV64_IMM(R0, 1), JA32(1), MOV64_IMM(R0, 2), EXIT()}},
    {"gotol backward", 3, {MOV64_IMM(R0, 0), JA32(2), ALU64_IMM(BPF_ADD, R0, 3), EXIT(), JA32(-3)}},
    {"loop sum 1..10",
     55,
     {MOV64_IMM(R0, 0), MOV64_IMM(R2, 10), ALU64_REG(BPF_ADD, R0, R2), ALU64_IMM(BPF_SUB, R2, 1),
      JMP_IMM(BPF_JNE, R2, 0, -3), EXIT()}},
    {"jump over lddw", 7, {MOV64_IMM(R0, 7), JA(2), LDDW(R0, 99), EXIT()}},
    {"exit keeps r0 only", 9, {MOV64_IMM(R0, 9), MOV64_IMM(R2, 100), EXIT()}},
    {"jmp32 ignores upper halves",
     1,
     {MOV64_IMM(R0, 0), LDDW(R2, 0x100000005ull), JMP32_IMM(BPF_JEQ, R2, 5, 1), EXIT(),
      MOV64_IMM(R0, 1), EXIT()}},
    {"jmp against r10 compares addresses",
     1,
     {MOV64_IMM(R0, 0), MOV64_REG(R2, R10), JMP_REG(BPF_JNE, R2, R10, 1), MOV64_IMM(R0, 1),
      EXIT()}},
};

static const pt_case call_cases[] = {
    /* main: r1 = 5; call f; r0 += 1; exit.  f: r0 = r1 * 2; exit */
    {"local call",
     11,
     {MOV64_IMM(R1, 5), CALL_LOCAL(2), ALU64_IMM(BPF_ADD, R0, 1), EXIT(), MOV64_REG(R0, R1),
      ALU64_IMM(BPF_MUL, R0, 2), EXIT()}},
    /* r6..r9 survive a callee that overwrites them */
    {"callee-saved registers",
     10,
     {MOV64_IMM(6, 1), MOV64_IMM(7, 2), MOV64_IMM(8, 3), MOV64_IMM(9, 4), CALL_LOCAL(5),
      MOV64_REG(R0, 6), ALU64_REG(BPF_ADD, R0, 7), ALU64_REG(BPF_ADD, R0, 8),
      ALU64_REG(BPF_ADD, R0, 9), EXIT(), MOV64_IMM(6, 100), MOV64_IMM(7, 100), MOV64_IMM(8, 100),
      MOV64_IMM(9, 100), MOV64_IMM(R0, 0), EXIT()}},
    /* the callee sees the caller's r6..r9 and its r1..r5 return to the caller */
    {"callee reads r6, caller reads callee r2",
     42,
     {MOV64_IMM(6, 40), CALL_LOCAL(2), ALU64_REG(BPF_ADD, R0, R2), EXIT(), MOV64_REG(R0, 6),
      MOV64_IMM(R2, 2), EXIT()}},
    /* each frame has its own stack */
    {"frames have their own stack",
     7,
     {ST(BPF_DW, R10, -8, 7), CALL_LOCAL(2), LDX(BPF_DW, R0, R10, -8), EXIT(),
      ST(BPF_DW, R10, -8, 99), EXIT()}},
    {"callee r10 is 512 below",
     512,
     {MOV64_REG(R6, R10), CALL_LOCAL(3), ALU64_REG(BPF_SUB, R6, R0), MOV64_REG(R0, R6), EXIT(),
      MOV64_REG(R0, R10), EXIT()}},
    /* a caller's stack is reachable from the callee through a pointer */
    {"pointer to the caller's stack",
     5,
     {ST(BPF_DW, R10, -8, 4), MOV64_REG(R1, R10), ALU64_IMM(BPF_ADD, R1, -8), CALL_LOCAL(2),
      LDX(BPF_DW, R0, R10, -8), EXIT(), LDX(BPF_DW, R2, R1, 0), ALU64_IMM(BPF_ADD, R2, 1),
      STX(BPF_DW, R1, R2, 0), EXIT()}},
    /* eight frames: main and seven nested calls, each adding one */
    {"eight frames",
     7,
     {MOV64_IMM(R0, 0),
      CALL_LOCAL(1),
      EXIT(),
      CALL_LOCAL(2),
      ALU64_IMM(BPF_ADD, R0, 1),
      EXIT(),
      CALL_LOCAL(2),
      ALU64_IMM(BPF_ADD, R0, 1),
      EXIT(),
      CALL_LOCAL(2),
      ALU64_IMM(BPF_ADD, R0, 1),
      EXIT(),
      CALL_LOCAL(2),
      ALU64_IMM(BPF_ADD, R0, 1),
      EXIT(),
      CALL_LOCAL(2),
      ALU64_IMM(BPF_ADD, R0, 1),
      EXIT(),
      CALL_LOCAL(2),
      ALU64_IMM(BPF_ADD, R0, 1),
      EXIT(),
      ALU64_IMM(BPF_ADD, R0, 1),
      EXIT()}},
    /* the same function called twice, and a call inside a loop */
    {"call in a loop",
     30,
     {MOV64_IMM(R6, 3), MOV64_IMM(7, 0), CALL_LOCAL(5), ALU64_REG(BPF_ADD, 7, R0),
      ALU64_IMM(BPF_SUB, R6, 1), JMP_IMM(BPF_JNE, R6, 0, -4), MOV64_REG(R0, 7), EXIT(),
      MOV64_IMM(R0, 10), EXIT()}},
    {"helper call",
     55,
     {MOV64_IMM(R1, 1), MOV64_IMM(R2, 2), MOV64_IMM(R3, 3), MOV64_IMM(4, 4), MOV64_IMM(5, 5),
      CALL_HELPER(PT_H_SUM), EXIT()}},
    {"helper clobbers r1-r5 to zero, keeps r6-r9",
     0x55,
     {MOV64_IMM(R1, 1), MOV64_IMM(R2, 2), MOV64_IMM(R3, 3), MOV64_IMM(4, 4), MOV64_IMM(5, 5),
      MOV64_IMM(6, 0x50), MOV64_IMM(9, 5), CALL_HELPER(PT_H_SUM), MOV64_REG(R0, R1),
      ALU64_REG(BPF_OR, R0, R2), ALU64_REG(BPF_OR, R0, R3), ALU64_REG(BPF_OR, R0, 4),
      ALU64_REG(BPF_OR, R0, 5), ALU64_REG(BPF_OR, R0, 6), ALU64_REG(BPF_OR, R0, 9), EXIT()}},
    {"helper writes checked memory",
     0x0707070707070707ull,
     {MOV64_REG(R6, R1), MOV64_IMM(R2, 7), MOV64_IMM(R3, 8), CALL_HELPER(PT_H_MEMSET),
      LDX(BPF_DW, R0, R6, 0), EXIT()}},
    {"helper from a callee",
     20,
     {CALL_LOCAL(1), EXIT(), MOV64_IMM(R1, 0), MOV64_IMM(R2, 10), MOV64_IMM(R3, 0), MOV64_IMM(4, 0),
      MOV64_IMM(5, 0), CALL_HELPER(PT_H_SUM), EXIT()}},
};

static void test_flow(void **state) {
  (void)state;
  pt_run_table(flow_cases, sizeof(flow_cases) / sizeof(flow_cases[0]), NULL);
}

static void test_calls(void **state) {
  (void)state;
  uint8_t mem[PT_MEM] = {0};
  pt_run_table(call_cases, sizeof(call_cases) / sizeof(call_cases[0]), mem);
}

/* A helper that reports a bad argument stops the program cleanly. */
static void test_helper_fault(void **state) {
  (void)state;
  pq_bpf_insn prog[] = {ST(BPF_DW, R1, 0, 1), MOV64_IMM(R1, 0x1234), CALL_HELPER(PT_H_FAULT),
                        ST(BPF_DW, R6, 0, 2), MOV64_IMM(R0, 0),      EXIT()};
  pt_result res;
  pt_expect_run("helper fault", prog, sizeof(prog) / sizeof(prog[0]), NULL, PT_BUDGET,
                PQUIC_ERR_HELPER, NULL, &res);
  assert_int_equal(res.fault.insn, 2);
  assert_int_equal(res.fault.helper, PT_H_FAULT);
  assert_int_equal(res.fault.addr, 0x1234);
  assert_int_equal(res.mem[0], 1); /* the store before the call happened */
}

/* memset on memory the program may not touch: a helper fault, no write. */
static void test_helper_checks_buffers(void **state) {
  (void)state;
  pq_bpf_insn prog[] = {ALU64_IMM(BPF_ADD, R1, 60), MOV64_IMM(R2, 9), MOV64_IMM(R3, 8),
                        CALL_HELPER(PT_H_MEMSET), EXIT()};
  pt_result res;
  pt_expect_run("memset past the end", prog, 5, NULL, PT_BUDGET, PQUIC_ERR_HELPER, NULL, &res);
  assert_int_equal(res.fault.insn, 3);
  for (int i = 0; i < PT_MEM; i++)
    assert_int_equal(res.mem[i], 0);
}

/* The user pointer reaches helpers. */
static void test_helper_user_pointer(void **state) {
  (void)state;
  pq_bpf_insn prog[] = {CALL_HELPER(PT_H_USER), EXIT()};
  pq_bpf_prog *p = NULL;
  assert_int_equal(pt_load(prog, 2, &p, NULL), 0);
  int engines[2];
  int ne = pt_engines(p, engines);
  static uint8_t region[PT_STACK];
  int cookie;
  for (int e = 0; e < ne; e++) {
    pq_bpf_instance inst = {region, sizeof(region), 0, sizeof(region)};
    pq_bpf_run_args a = {.budget = 100, .user = &cookie, .engine = engines[e]};
    uint64_t r0 = 0;
    assert_int_equal(pq_bpf_run(p, 0, &inst, &a, &r0, NULL), 0);
    assert_int_equal(r0, (uint64_t)(uintptr_t)&cookie);
  }
  const uint32_t *ids;
  assert_int_equal(pq_bpf_prog_helpers_used(p, &ids), 1);
  assert_int_equal(ids[0], PT_H_USER);
  pq_bpf_prog_del(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conditional_jumps),
      cmocka_unit_test(test_flow),
      cmocka_unit_test(test_calls),
      cmocka_unit_test(test_helper_fault),
      cmocka_unit_test(test_helper_checks_buffers),
      cmocka_unit_test(test_helper_user_pointer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
