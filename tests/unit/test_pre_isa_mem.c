/* ISA suite, memory: loads (zero- and sign-extending), stores of registers
 * and immediates, every width, the stack, the instance region through LDDW,
 * and all atomic operations; each run on every engine. r1 = 64 bytes of lent
 * memory holding 0x80, 0x81, ..., r3 = the instance region. */
#include "pre_test.h"

#define R0 0
#define R1 1
#define R2 2
#define R3 3
#define R4 4
#define R10 10

static uint8_t g_mem[PT_MEM];

static const pt_case load_cases[] = {
    {"ldx b", 0x80, {LDX(BPF_B, R0, R1, 0), EXIT()}},
    {"ldx h", 0x8382, {LDX(BPF_H, R0, R1, 2), EXIT()}},
    {"ldx w", 0x87868584, {LDX(BPF_W, R0, R1, 4), EXIT()}},
    {"ldx dw", 0x8f8e8d8c8b8a8988ull, {LDX(BPF_DW, R0, R1, 8), EXIT()}},
    {"ldx dw unaligned", 0x8a89888786858483ull, {LDX(BPF_DW, R0, R1, 3), EXIT()}},
    {"ldx negative offset", 0x8f, {ALU64_IMM(BPF_ADD, R1, 16), LDX(BPF_B, R0, R1, -1), EXIT()}},
    {"ldx last byte", 0xbf, {LDX(BPF_B, R0, R1, 63), EXIT()}},
    {"ldx last dw", 0xbfbebdbcbbbab9b8ull, {LDX(BPF_DW, R0, R1, 56), EXIT()}},
    {"ldxs b", 0xffffffffffffff80ull, {LDXSX(BPF_B, R0, R1, 0), EXIT()}},
    {"ldxs h", 0xffffffffffff8382ull, {LDXSX(BPF_H, R0, R1, 2), EXIT()}},
    {"ldxs w", 0xffffffff87868584ull, {LDXSX(BPF_W, R0, R1, 4), EXIT()}},
    {"ldxs b positive", 0x12, {ST(BPF_B, R1, 0, 0x12), LDXSX(BPF_B, R0, R1, 0), EXIT()}},
    {"ldx into the base register", 0x80, {LDX(BPF_B, R1, R1, 0), MOV64_REG(R0, R1), EXIT()}},
};

static const pt_case store_cases[] = {
    {"st b", 0x8786858483828112ull, {ST(BPF_B, R1, 0, 0x12), LDX(BPF_DW, R0, R1, 0), EXIT()}},
    {"st h", 0x83821234, {ST(BPF_H, R1, 0, 0x1234), LDX(BPF_W, R0, R1, 0), EXIT()}},
    {"st w", 0x87868584fffffffeull, {ST(BPF_W, R1, 0, -2), LDX(BPF_DW, R0, R1, 0), EXIT()}},
    {"st dw sign-extends",
     0xfffffffffffffffeull,
     {ST(BPF_DW, R1, 8, -2), LDX(BPF_DW, R0, R1, 8), EXIT()}},
    {"stx b",
     0x8786858483828188ull,
     {LDDW(R2, 0x1122334455667788ull), STX(BPF_B, R1, R2, 0), LDX(BPF_DW, R0, R1, 0), EXIT()}},
    {"stx h",
     0x8786858483827788ull,
     {LDDW(R2, 0x1122334455667788ull), STX(BPF_H, R1, R2, 0), LDX(BPF_DW, R0, R1, 0), EXIT()}},
    {"stx w",
     0x8786858455667788ull,
     {LDDW(R2, 0x1122334455667788ull), STX(BPF_W, R1, R2, 0), LDX(BPF_DW, R0, R1, 0), EXIT()}},
    {"stx dw unaligned",
     0x1122334455667788ull,
     {LDDW(R2, 0x1122334455667788ull), STX(BPF_DW, R1, R2, 5), LDX(BPF_DW, R0, R1, 5), EXIT()}},
    {"stx last dw",
     0x77,
     {MOV64_IMM(R2, 0x77), STX(BPF_DW, R1, R2, 56), LDX(BPF_B, R0, R1, 56), EXIT()}},
    {"stack dw",
     0x1122334455667788ull,
     {LDDW(R2, 0x1122334455667788ull), STX(BPF_DW, R10, R2, -8), LDX(BPF_DW, R0, R10, -8), EXIT()}},
    {"stack bottom", 0xabcd, {ST(BPF_W, R10, -512, 0xabcd), LDX(BPF_W, R0, R10, -512), EXIT()}},
    {"stack through a copy of r10",
     7,
     {MOV64_REG(R4, R10), ALU64_IMM(BPF_ADD, R4, -16), ST(BPF_DW, R4, 0, 7),
      LDX(BPF_DW, R0, R10, -16), EXIT()}},
    {"instance region through lddw",
     5,
     {LDDW_REGION(R4, 8), ST(BPF_DW, R4, 0, 5), LDX(BPF_DW, R0, R3, 8), EXIT()}},
    {"instance region lddw with offset",
     0x66,
     {ST(BPF_B, R3, 200, 0x66), LDDW_REGION(R4, 199), LDX(BPF_B, R0, R4, 1), EXIT()}},
};

/* r2 = operand, *(r1) = 10 (u32) or 0x100000000a (u64); r0 = mem * 1000 + r2 */
#define ATOMIC32(name, op, operand, expect)                                                        \
  {                                                                                                \
    name, expect, {                                                                                \
      ST(BPF_W, R1, 0, 10), LDDW(R2, operand), ATOMIC(BPF_W, R1, R2, 0, op),                       \
          LDX(BPF_W, R0, R1, 0), ALU64_IMM(BPF_MUL, R0, 1000), ALU64_REG(BPF_ADD, R0, R2), EXIT()  \
    }                                                                                              \
  }
#define ATOMIC64(name, op, operand, expect)                                                        \
  {                                                                                                \
    name, expect, {                                                                                \
      LDDW(R4, 0x100000000aull), STX(BPF_DW, R1, R4, 8), LDDW(R2, operand),                        \
          ATOMIC(BPF_DW, R1, R2, 8, op), LDX(BPF_DW, R0, R1, 8), ALU64_IMM(BPF_MUL, R0, 1000),     \
          ALU64_REG(BPF_ADD, R0, R2), EXIT()                                                       \
    }                                                                                              \
  }

static const pt_case atomic_cases[] = {
    ATOMIC32("add32", BPF_ADD, 5, 15005),
    ATOMIC32("add32 uses the low half", BPF_ADD, 0x700000005ull, 15000 + 0x700000005ull),
    ATOMIC32("fetch add32", BPF_ADD | BPF_FETCH, 5, 15010),
    ATOMIC32("fetch add32 zero-extends", BPF_ADD | BPF_FETCH, 0xffffffff00000005ull, 15010),
    ATOMIC32("or32", BPF_OR, 5, 15005),
    ATOMIC32("fetch or32", BPF_OR | BPF_FETCH, 5, 15010),
    ATOMIC32("and32", BPF_AND, 6, 2006),
    ATOMIC32("fetch and32", BPF_AND | BPF_FETCH, 6, 2010),
    ATOMIC32("xor32", BPF_XOR, 6, 12006),
    ATOMIC32("fetch xor32", BPF_XOR | BPF_FETCH, 0xff00000006ull, 12010),
    ATOMIC32("xchg32", BPF_XCHG, 0x500000007ull, 7010),
    ATOMIC64("add64", BPF_ADD, 5, 0x100000000full * 1000 + 5),
    ATOMIC64("fetch add64", BPF_ADD | BPF_FETCH, 0x1000000000ull,
             0x200000000aull * 1000 + 0x100000000aull),
    ATOMIC64("or64", BPF_OR, 0x8000000000000000ull,
             0x800000100000000aull * 1000 + 0x8000000000000000ull),
    ATOMIC64("fetch or64", BPF_OR | BPF_FETCH, 5, 0x100000000full * 1000 + 0x100000000aull),
    ATOMIC64("and64", BPF_AND, 0x1000000002ull, 0x1000000002ull * 1000 + 0x1000000002ull),
    ATOMIC64("fetch and64", BPF_AND | BPF_FETCH, 0xf, 10 * 1000 + 0x100000000aull),
    ATOMIC64("xor64", BPF_XOR, 0x100000000aull, 0x100000000aull),
    ATOMIC64("fetch xor64", BPF_XOR | BPF_FETCH, 3, 0x1000000009ull * 1000 + 0x100000000aull),
    ATOMIC64("xchg64", BPF_XCHG, 99, 99 * 1000 + 0x100000000aull),
    {"cmpxchg64 success",
     7 * 1000 + 0x100000000aull,
     {LDDW(R4, 0x100000000aull), STX(BPF_DW, R1, R4, 8), MOV64_IMM(R2, 7), MOV64_REG(R0, R4),
      ATOMIC(BPF_DW, R1, R2, 8, BPF_CMPXCHG), LDX(BPF_DW, R4, R1, 8), ALU64_IMM(BPF_MUL, R4, 1000),
      ALU64_REG(BPF_ADD, R0, R4), EXIT()}},
    {"cmpxchg64 failure",
     0x100000000aull * 1000 + 0x100000000aull,
     {LDDW(R4, 0x100000000aull), STX(BPF_DW, R1, R4, 8), MOV64_IMM(R2, 7), MOV64_IMM(R0, 10),
      ATOMIC(BPF_DW, R1, R2, 8, BPF_CMPXCHG), LDX(BPF_DW, R4, R1, 8), ALU64_IMM(BPF_MUL, R4, 1000),
      ALU64_REG(BPF_ADD, R0, R4), EXIT()}},
    {"cmpxchg32 compares the low half and zero-extends r0",
     7 * 1000 + 10,
     {ST(BPF_W, R1, 0, 10), MOV64_IMM(R2, 7), LDDW(R0, 0xffffffff0000000aull),
      ATOMIC(BPF_W, R1, R2, 0, BPF_CMPXCHG), LDX(BPF_W, R4, R1, 0), ALU64_IMM(BPF_MUL, R4, 1000),
      ALU64_REG(BPF_ADD, R0, R4), EXIT()}},
    {"cmpxchg32 failure",
     10 * 1000 + 10,
     {ST(BPF_W, R1, 0, 10), MOV64_IMM(R2, 7), LDDW(R0, 0xffffffff0000000bull),
      ATOMIC(BPF_W, R1, R2, 0, BPF_CMPXCHG), LDX(BPF_W, R4, R1, 0), ALU64_IMM(BPF_MUL, R4, 1000),
      ALU64_REG(BPF_ADD, R0, R4), EXIT()}},
    {"atomic on the stack",
     12,
     {ST(BPF_DW, R10, -8, 5), MOV64_IMM(R2, 7), ATOMIC(BPF_DW, R10, R2, -8, BPF_ADD),
      LDX(BPF_DW, R0, R10, -8), EXIT()}},
    {"fetch atomic into r0",
     10 * 1000 + 10,
     {ST(BPF_W, R1, 0, 10), MOV64_IMM(R0, 0), ATOMIC(BPF_W, R1, R0, 0, BPF_ADD | BPF_FETCH),
      MOV64_REG(R2, R0), LDX(BPF_W, R0, R1, 0), ALU64_IMM(BPF_MUL, R0, 1000),
      ALU64_REG(BPF_ADD, R0, R2), EXIT()}},
    {"fetch or into r0 uses r0's value",
     0xf * 1000 + 10,
     {ST(BPF_W, R1, 0, 10), MOV64_IMM(R0, 5), ATOMIC(BPF_W, R1, R0, 0, BPF_OR | BPF_FETCH),
      MOV64_REG(R2, R0), LDX(BPF_W, R0, R1, 0), ALU64_IMM(BPF_MUL, R0, 1000),
      ALU64_REG(BPF_ADD, R0, R2), EXIT()}},
};

static void test_loads(void **state) {
  (void)state;
  pt_run_table(load_cases, sizeof(load_cases) / sizeof(load_cases[0]), g_mem);
}

static void test_stores(void **state) {
  (void)state;
  pt_run_table(store_cases, sizeof(store_cases) / sizeof(store_cases[0]), g_mem);
}

static void test_atomics(void **state) {
  (void)state;
  pt_run_table(atomic_cases, sizeof(atomic_cases) / sizeof(atomic_cases[0]), g_mem);
}

/* A store is visible in the lent memory after the run, on every engine. */
static void test_store_visible_after_run(void **state) {
  (void)state;
  pq_bpf_insn prog[] = {
      LDDW(R2, 0xa1a2a3a4a5a6a7a8ull), STX(BPF_DW, R1, R2, 16), ST(BPF_B, R1, 63, 0x5a),
      ST(BPF_DW, R3, 0, -1),           MOV64_IMM(R0, 0),        EXIT()};
  pt_result res;
  uint64_t zero = 0;
  pt_expect_run("visible", prog, sizeof(prog) / sizeof(prog[0]), g_mem, PT_BUDGET, 0, &zero, &res);
  assert_int_equal(res.mem[16], 0xa8);
  assert_int_equal(res.mem[23], 0xa1);
  assert_int_equal(res.mem[63], 0x5a);
  assert_int_equal(res.mem[0], 0x80);
  for (int i = 0; i < 8; i++)
    assert_int_equal(res.heap[i], 0xff);
}

/* Misaligned atomics fault (the hardware would split the lock). */
static void test_misaligned_atomic(void **state) {
  (void)state;
  pq_bpf_insn prog[] = {MOV64_IMM(R2, 1), ATOMIC(BPF_W, R1, R2, 2, BPF_ADD), MOV64_IMM(R0, 0),
                        EXIT()};
  pt_result res;
  pt_expect_run("misaligned", prog, 4, g_mem, PT_BUDGET, PQUIC_ERR_ALIGN, NULL, &res);
  assert_int_equal(res.fault.insn, 1);
  assert_int_equal(res.fault.width, 4);
  assert_true(res.fault.addr == (uint64_t)(uintptr_t)res.mem + 2 || res.fault.addr != 0);
  assert_memory_equal(res.mem, g_mem, PT_MEM);
}

static int setup(void **state) {
  (void)state;
  for (int i = 0; i < PT_MEM; i++)
    g_mem[i] = (uint8_t)(0x80 + i);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_loads),
      cmocka_unit_test(test_stores),
      cmocka_unit_test(test_atomics),
      cmocka_unit_test(test_store_visible_after_run),
      cmocka_unit_test(test_misaligned_atomic),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
