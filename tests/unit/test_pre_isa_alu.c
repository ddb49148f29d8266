/* ISA suite, arithmetic: every ALU and ALU64 operation of RFC 9669 with its
 * edge cases (wrap, zero extension, division by zero, signed overflow, shift
 * masks, sign extension, byte swaps), each run on every engine. */
#include "pre_test.h"

#define R0 0
#define R2 2

static const pt_case alu64_cases[] = {
    {"add k", 12, {MOV64_IMM(R0, 5), ALU64_IMM(BPF_ADD, R0, 7), EXIT()}},
    {"add k sign-extends imm",
     0xffffffffffffffffull,
     {MOV64_IMM(R0, 0), ALU64_IMM(BPF_ADD, R0, -1), EXIT()}},
    {"add x", 15, {MOV64_IMM(R0, 5), MOV64_IMM(R2, 10), ALU64_REG(BPF_ADD, R0, R2), EXIT()}},
    {"sub k wraps", 0xfffffffffffffffeull, {MOV64_IMM(R0, 5), ALU64_IMM(BPF_SUB, R0, 7), EXIT()}},
    {"sub x", 3, {MOV64_IMM(R0, 10), MOV64_IMM(R2, 7), ALU64_REG(BPF_SUB, R0, R2), EXIT()}},
    {"mul k", 0x300000000ull, {LDDW(R0, 0x100000000ull), ALU64_IMM(BPF_MUL, R0, 3), EXIT()}},
    {"mul k negative", (uint64_t)-6, {MOV64_IMM(R0, 3), ALU64_IMM(BPF_MUL, R0, -2), EXIT()}},
    {"mul x overflow",
     2,
     {LDDW(R0, 0x8000000000000001ull), MOV64_IMM(R2, 2), ALU64_REG(BPF_MUL, R0, R2), EXIT()}},
    {"div k", 14, {MOV64_IMM(R0, 100), ALU64_IMM(BPF_DIV, R0, 7), EXIT()}},
    {"div k imm -1 is unsigned max", 0, {MOV64_IMM(R0, 100), ALU64_IMM(BPF_DIV, R0, -1), EXIT()}},
    {"div k max by -1", 1, {MOV64_IMM(R0, -1), ALU64_IMM(BPF_DIV, R0, -1), EXIT()}},
    {"div x",
     0x2000000000ull,
     {LDDW(R0, 0x8000000000ull), MOV64_IMM(R2, 4), ALU64_REG(BPF_DIV, R0, R2), EXIT()}},
    {"div x by zero is zero",
     0,
     {MOV64_IMM(R0, 100), MOV64_IMM(R2, 0), ALU64_REG(BPF_DIV, R0, R2), EXIT()}},
    {"mod k", 2, {MOV64_IMM(R0, 100), ALU64_IMM(BPF_MOD, R0, 7), EXIT()}},
    {"mod x",
     0x10,
     {LDDW(R0, 0x1000000010ull), LDDW(R2, 0x1000000000ull), ALU64_REG(BPF_MOD, R0, R2), EXIT()}},
    {"mod x by zero keeps dst",
     0x1234567800000064ull,
     {LDDW(R0, 0x1234567800000064ull), MOV64_IMM(R2, 0), ALU64_REG(BPF_MOD, R0, R2), EXIT()}},
    {"sdiv k", (uint64_t)-4, {MOV64_IMM(R0, -13), SALU64_IMM(BPF_DIV, R0, 3), EXIT()}},
    {"sdiv x", 4, {MOV64_IMM(R0, -13), MOV64_IMM(R2, -3), SALU64_REG(BPF_DIV, R0, R2), EXIT()}},
    {"sdiv x min by -1 wraps",
     0x8000000000000000ull,
     {LDDW(R0, 0x8000000000000000ull), MOV64_IMM(R2, -1), SALU64_REG(BPF_DIV, R0, R2), EXIT()}},
    {"sdiv k min by -1 wraps",
     0x8000000000000000ull,
     {LDDW(R0, 0x8000000000000000ull), SALU64_IMM(BPF_DIV, R0, -1), EXIT()}},
    {"sdiv k by -1 negates",
     (uint64_t)-77,
     {MOV64_IMM(R0, 77), SALU64_IMM(BPF_DIV, R0, -1), EXIT()}},
    {"sdiv x by zero is zero",
     0,
     {MOV64_IMM(R0, -13), MOV64_IMM(R2, 0), SALU64_REG(BPF_DIV, R0, R2), EXIT()}},
    {"smod k truncates", (uint64_t)-1, {MOV64_IMM(R0, -13), SALU64_IMM(BPF_MOD, R0, 3), EXIT()}},
    {"smod x", 1, {MOV64_IMM(R0, 13), MOV64_IMM(R2, -3), SALU64_REG(BPF_MOD, R0, R2), EXIT()}},
    {"smod x min by -1 is zero",
     0,
     {LDDW(R0, 0x8000000000000000ull), MOV64_IMM(R2, -1), SALU64_REG(BPF_MOD, R0, R2), EXIT()}},
    {"smod k min by -1 is zero",
     0,
     {LDDW(R0, 0x8000000000000000ull), SALU64_IMM(BPF_MOD, R0, -1), EXIT()}},
    {"smod x by zero keeps dst",
     (uint64_t)-13,
     {MOV64_IMM(R0, -13), MOV64_IMM(R2, 0), SALU64_REG(BPF_MOD, R0, R2), EXIT()}},
    {"or k", 0xff0f, {MOV64_IMM(R0, 0xff00), ALU64_IMM(BPF_OR, R0, 0x0f), EXIT()}},
    {"or x",
     0x300000001ull,
     {LDDW(R0, 0x100000000ull), LDDW(R2, 0x200000001ull), ALU64_REG(BPF_OR, R0, R2), EXIT()}},
    {"and k", 0x7fffffff, {MOV64_IMM(R0, -1), ALU64_IMM(BPF_AND, R0, 0x7fffffff), EXIT()}},
    {"and k sign-extends imm",
     0x1234567890ull,
     {LDDW(R0, 0x123456789full), ALU64_IMM(BPF_AND, R0, -16), EXIT()}},
    {"and x",
     0x100000000ull,
     {LDDW(R0, 0x300000000ull), LDDW(R2, 0x10000ffffull), ALU64_REG(BPF_AND, R0, R2), EXIT()}},
    {"xor k", 0xfffffffffffffff0ull, {MOV64_IMM(R0, 0xf), ALU64_IMM(BPF_XOR, R0, -1), EXIT()}},
    {"xor x", 0, {MOV64_IMM(R0, 77), MOV64_IMM(R2, 77), ALU64_REG(BPF_XOR, R0, R2), EXIT()}},
    {"lsh k 63", 0x8000000000000000ull, {MOV64_IMM(R0, 1), ALU64_IMM(BPF_LSH, R0, 63), EXIT()}},
    {"lsh x masked to 6 bits",
     2,
     {MOV64_IMM(R0, 1), MOV64_IMM(R2, 65), ALU64_REG(BPF_LSH, R0, R2), EXIT()}},
    {"rsh k", 1, {LDDW(R0, 0x8000000000000000ull), ALU64_IMM(BPF_RSH, R0, 63), EXIT()}},
    {"rsh x by 64 is by 0",
     0x8000000000000000ull,
     {LDDW(R0, 0x8000000000000000ull), MOV64_IMM(R2, 64), ALU64_REG(BPF_RSH, R0, R2), EXIT()}},
    {"arsh k",
     0xffffffffffffffffull,
     {LDDW(R0, 0x8000000000000000ull), ALU64_IMM(BPF_ARSH, R0, 63), EXIT()}},
    {"arsh x",
     (uint64_t)-4,
     {MOV64_IMM(R0, -16), MOV64_IMM(R2, 2), ALU64_REG(BPF_ARSH, R0, R2), EXIT()}},
    {"neg", (uint64_t)-5, {MOV64_IMM(R0, 5), NEG64(R0), EXIT()}},
    {"neg min", 0x8000000000000000ull, {LDDW(R0, 0x8000000000000000ull), NEG64(R0), EXIT()}},
    {"mov k sign-extends", 0xffffffffffffffffull, {MOV64_IMM(R0, -1), EXIT()}},
    {"mov x", 9, {MOV64_IMM(R2, 9), MOV64_REG(R0, R2), EXIT()}},
    {"movsx 8", 0xffffffffffffff80ull, {MOV64_IMM(R2, 0x80), MOVSX64(R0, R2, 8), EXIT()}},
    {"movsx 8 positive", 0x7f, {MOV64_IMM(R2, 0x17f), MOVSX64(R0, R2, 8), EXIT()}},
    {"movsx 16", 0xffffffffffff8000ull, {MOV64_IMM(R2, 0x8000), MOVSX64(R0, R2, 16), EXIT()}},
    {"movsx 32", 0xffffffff80000000ull, {LDDW(R2, 0x180000000ull), MOVSX64(R0, R2, 32), EXIT()}},
    {"lddw", 0x0123456789abcdefull, {LDDW(R0, 0x0123456789abcdefull), EXIT()}},
};

static const pt_case alu32_cases[] = {
    {"add32 wraps and zero-extends", 0, {MOV64_IMM(R0, -1), ALU32_IMM(BPF_ADD, R0, 1), EXIT()}},
    {"add32 x ignores upper halves",
     8,
     {LDDW(R0, 0x100000005ull), LDDW(R2, 0x200000003ull), ALU32_REG(BPF_ADD, R0, R2), EXIT()}},
    {"sub32", 0xffffffff, {MOV64_IMM(R0, 0), ALU32_IMM(BPF_SUB, R0, 1), EXIT()}},
    {"sub32 x",
     0xfffffffe,
     {MOV64_IMM(R0, 1), MOV64_IMM(R2, 3), ALU32_REG(BPF_SUB, R0, R2), EXIT()}},
    {"mul32", 0x20001, {MOV32_IMM(R0, 0x10001), ALU32_IMM(BPF_MUL, R0, 0x10001), EXIT()}},
    {"mul32 x",
     0xfffffffa,
     {MOV32_IMM(R0, 3), MOV64_IMM(R2, -2), ALU32_REG(BPF_MUL, R0, R2), EXIT()}},
    {"div32 k", 14, {LDDW(R0, 0x100000064ull), ALU32_IMM(BPF_DIV, R0, 7), EXIT()}},
    {"div32 k imm -1 is u32 max", 1, {MOV32_IMM(R0, -1), ALU32_IMM(BPF_DIV, R0, -1), EXIT()}},
    {"div32 x by zero low half",
     0,
     {LDDW(R0, 0x100000064ull), LDDW(R2, 0x100000000ull), ALU32_REG(BPF_DIV, R0, R2), EXIT()}},
    {"mod32 k", 2, {MOV32_IMM(R0, 100), ALU32_IMM(BPF_MOD, R0, 7), EXIT()}},
    {"mod32 x by zero zeroes upper half",
     0x64,
     {LDDW(R0, 0x500000064ull), MOV64_IMM(R2, 0), ALU32_REG(BPF_MOD, R0, R2), EXIT()}},
    {"sdiv32 k", 0xfffffffc, {MOV32_IMM(R0, -13), SALU32_IMM(BPF_DIV, R0, 3), EXIT()}},
    {"sdiv32 x min by -1 wraps",
     0x80000000,
     {MOV32_IMM(R0, INT32_MIN), MOV64_IMM(R2, -1), SALU32_REG(BPF_DIV, R0, R2), EXIT()}},
    {"sdiv32 k min by -1 wraps",
     0x80000000,
     {LDDW(R0, 0xffffffff80000000ull), SALU32_IMM(BPF_DIV, R0, -1), EXIT()}},
    {"sdiv32 x by zero",
     0,
     {MOV32_IMM(R0, -13), MOV64_IMM(R2, 0), SALU32_REG(BPF_DIV, R0, R2), EXIT()}},
    {"smod32 k", 0xffffffff, {MOV32_IMM(R0, -13), SALU32_IMM(BPF_MOD, R0, 3), EXIT()}},
    {"smod32 x min by -1",
     0,
     {MOV32_IMM(R0, INT32_MIN), MOV32_IMM(R2, -1), SALU32_REG(BPF_MOD, R0, R2), EXIT()}},
    {"smod32 x by zero keeps low half",
     0xfffffff3,
     {LDDW(R0, 0x1fffffff3ull), MOV64_IMM(R2, 0), SALU32_REG(BPF_MOD, R0, R2), EXIT()}},
    {"smod32 x negative divisor",
     1,
     {MOV32_IMM(R0, 13), MOV32_IMM(R2, -3), SALU32_REG(BPF_MOD, R0, R2), EXIT()}},
    {"or32 zeroes upper half",
     1,
     {LDDW(R0, 0xffffffff00000000ull), ALU32_IMM(BPF_OR, R0, 1), EXIT()}},
    {"and32 x",
     0x0f0f,
     {MOV64_IMM(R0, -1), MOV32_IMM(R2, 0x0f0f), ALU32_REG(BPF_AND, R0, R2), EXIT()}},
    {"xor32", 0xfffffff0, {MOV64_IMM(R0, 0xf), ALU32_IMM(BPF_XOR, R0, -1), EXIT()}},
    {"lsh32 k", 0x80000000, {MOV32_IMM(R0, 1), ALU32_IMM(BPF_LSH, R0, 31), EXIT()}},
    {"lsh32 x masked to 5 bits",
     2,
     {MOV32_IMM(R0, 1), MOV64_IMM(R2, 33), ALU32_REG(BPF_LSH, R0, R2), EXIT()}},
    {"rsh32 ignores upper half", 1, {LDDW(R0, 0x180000000ull), ALU32_IMM(BPF_RSH, R0, 31), EXIT()}},
    {"arsh32 k", 0xffffffff, {MOV32_IMM(R0, INT32_MIN), ALU32_IMM(BPF_ARSH, R0, 31), EXIT()}},
    {"arsh32 x masked",
     0xfffffffc,
     {MOV32_IMM(R0, -16), MOV64_IMM(R2, 34), ALU32_REG(BPF_ARSH, R0, R2), EXIT()}},
    {"neg32", 0xfffffffb, {LDDW(R0, 0x100000005ull), NEG32(R0), EXIT()}},
    {"mov32 k", 0xffffffff, {MOV32_IMM(R0, -1), EXIT()}},
    {"mov32 x truncates", 0x12345678, {LDDW(R2, 0xdeadbeef12345678ull), MOV32_REG(R0, R2), EXIT()}},
    {"movsx32 8", 0xffffff80, {MOV64_IMM(R2, 0x180), MOVSX32(R0, R2, 8), EXIT()}},
    {"movsx32 16", 0xffff8001, {MOV64_IMM(R2, 0x8001), MOVSX32(R0, R2, 16), EXIT()}},
};

static const pt_case end_cases[] = {
    {"le16", 0x7788, {LDDW(R0, 0x1122334455667788ull), LE(R0, 16), EXIT()}},
    {"le32", 0x55667788, {LDDW(R0, 0x1122334455667788ull), LE(R0, 32), EXIT()}},
    {"le64", 0x1122334455667788ull, {LDDW(R0, 0x1122334455667788ull), LE(R0, 64), EXIT()}},
    {"be16", 0x8877, {LDDW(R0, 0x1122334455667788ull), BE(R0, 16), EXIT()}},
    {"be32", 0x88776655, {LDDW(R0, 0x1122334455667788ull), BE(R0, 32), EXIT()}},
    {"be64", 0x8877665544332211ull, {LDDW(R0, 0x1122334455667788ull), BE(R0, 64), EXIT()}},
    {"bswap16", 0x8877, {LDDW(R0, 0x1122334455667788ull), BSWAP(R0, 16), EXIT()}},
    {"bswap32", 0x88776655, {LDDW(R0, 0x1122334455667788ull), BSWAP(R0, 32), EXIT()}},
    {"bswap64", 0x8877665544332211ull, {LDDW(R0, 0x1122334455667788ull), BSWAP(R0, 64), EXIT()}},
    {"be16 on another register",
     0x3412,
     {MOV64_IMM(7, 0x1234), BE(7, 16), MOV64_REG(R0, 7), EXIT()}},
};

static void test_alu64(void **state) {
  (void)state;
  pt_run_table(alu64_cases, sizeof(alu64_cases) / sizeof(alu64_cases[0]), NULL);
}

static void test_alu32(void **state) {
  (void)state;
  pt_run_table(alu32_cases, sizeof(alu32_cases) / sizeof(alu32_cases[0]), NULL);
}

static void test_byte_swaps(void **state) {
  (void)state;
  pt_run_table(end_cases, sizeof(end_cases) / sizeof(end_cases[0]), NULL);
}

/* Every register as destination and source of each operation, so the JIT's
 * register allocation (shifts through cl, division through rax:rdx) is
 * exercised for all pairs. */
static void test_all_register_pairs(void **state) {
  (void)state;
  static const uint8_t ops[] = {BPF_ADD, BPF_SUB,  BPF_MUL, BPF_DIV, BPF_MOD, BPF_LSH,
                                BPF_RSH, BPF_ARSH, BPF_OR,  BPF_AND, BPF_XOR};
  for (size_t o = 0; o < sizeof(ops); o++) {
    for (int cls64 = 0; cls64 < 2; cls64++) {
      for (int sgn = 0; sgn < 2; sgn++) {
        if (sgn && ops[o] != BPF_DIV && ops[o] != BPF_MOD)
          continue;
        for (uint8_t d = 0; d <= 9; d++) {
          for (uint8_t s = 0; s <= 10; s++) {
            /* r[i] = 0x1111 * (i + 3) ^ sign bits, then d op= s; r0 = checksum */
            pq_bpf_insn prog[48];
            size_t n = 0;
            for (uint8_t r = 0; r <= 9; r++) {
              pq_bpf_insn a[] = {
                  LDDW(r, (0x9e3779b97f4a7c15ull * (r + 3)) ^ (r & 1 ? 0 : 0x8000000000000000ull))};
              prog[n++] = a[0];
              prog[n++] = a[1];
            }
            uint8_t cls = cls64 ? BPF_ALU64 : BPF_ALU;
            pq_bpf_insn op = INSN(cls | BPF_X | ops[o], d, s, sgn, 0);
            prog[n++] = op;
            /* fold every register into r0 so all effects are observed */
            pq_bpf_insn fold[] = {MOV64_REG(0, d)};
            prog[n++] = fold[0];
            for (uint8_t r = 1; r <= 9; r++) {
              pq_bpf_insn x[] = {ALU64_IMM(BPF_MUL, 0, 31), ALU64_REG(BPF_XOR, 0, r)};
              prog[n++] = x[0];
              prog[n++] = x[1];
            }
            pq_bpf_insn e[] = {EXIT()};
            prog[n++] = e[0];
            if (s == 10) /* r10 is a stack address: differs per run, keep it out */
              continue;
            /* The harness compares the engines with each other. */
            char name[64];
            snprintf(name, sizeof(name), "op 0x%02x cls %d sgn %d r%u r%u", ops[o], cls, sgn, d, s);
            pt_expect_run(name, prog, n, NULL, PT_BUDGET, 0, NULL, NULL);
          }
        }
      }
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_alu64),
      cmocka_unit_test(test_alu32),
      cmocka_unit_test(test_byte_swaps),
      cmocka_unit_test(test_all_register_pairs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
