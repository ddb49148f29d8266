/* JIT peepholes (src/pre/jit_peep.c) against the interpreter: fields
 * assembled from byte loads (one wide load when the temporaries die, the
 * byte loads again when the field straddles the end of the memory: the
 * fault names the first byte outside, with the stores before it done),
 * conditional moves, and loads through addresses built just before them. */
#include "pre_test.h"

#define R0 0
#define R1 1
#define R2 2
#define R3 3
#define R4 4
#define R5 5

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static void expect(const char *name, const pq_bpf_insn *p, size_t n, int rc, uint64_t r0) {
  uint8_t mem[PT_MEM];
  for (int i = 0; i < PT_MEM; i++)
    mem[i] = (uint8_t)(0x10 + i);
  pt_expect_run(name, p, n, mem, PT_BUDGET, rc, rc ? NULL : &r0, NULL);
}

/* r0 = le32(mem + off) as clang writes it for an unaligned field, then r2
 * (the temporary) dies. */
static void le32(pq_bpf_insn *p, int16_t off) {
  pq_bpf_insn prog[] = {
      ST(BPF_B, R1, 0, 0x77), /* a store before: must be kept when the field faults */
      LDX(BPF_B, R2, R1, off + 1),
      ALU32_IMM(BPF_LSH, R2, 8),
      LDX(BPF_B, R0, R1, off),
      ALU32_REG(BPF_OR, R0, R2),
      LDX(BPF_B, R2, R1, off + 2),
      ALU32_IMM(BPF_LSH, R2, 16),
      ALU32_REG(BPF_OR, R0, R2),
      LDX(BPF_B, R2, R1, off + 3),
      ALU32_IMM(BPF_LSH, R2, 24),
      ALU32_REG(BPF_OR, R0, R2),
      MOV64_IMM(R2, 0),
      EXIT(),
  };
  memcpy(p, prog, sizeof(prog));
}

static void test_fields(void **state) {
  (void)state;
  pq_bpf_insn p[13];
  le32(p, 8);
  expect("le32", p, 13, 0, 0x1b1a1918);
  le32(p, 60);
  expect("le32 at the end", p, 13, 0, 0x4f4e4d4c);
  le32(p, 62); /* bytes 64 and 65 are outside: the load of byte 64 faults */
  pt_result r;
  uint8_t mem[PT_MEM];
  memset(mem, 1, sizeof(mem));
  pt_expect_run("le32 past the end", p, 13, mem, PT_BUDGET, PQUIC_ERR_FAULT, NULL, &r);
  assert_int_equal(r.fault.insn, 5);
  assert_int_equal(r.fault.width, 1);
  assert_int_equal(r.mem[0], 0x77);
  /* big-endian 16 bits, the temporary dies by a load into it */
  pq_bpf_insn q[] = {
      LDX(BPF_B, R3, R1, 5),
      LDX(BPF_B, R0, R1, 4),
      ALU64_IMM(BPF_LSH, R0, 8),
      ALU64_REG(BPF_OR, R0, R3),
      LDX(BPF_B, R3, R1, 0),
      ALU64_REG(BPF_ADD, R0, R3),
      EXIT(),
  };
  expect("be16", q, LEN(q), 0, 0x1415 + 0x10);
  /* the temporary is read later: no wide load, same result */
  pq_bpf_insn t[] = {
      LDX(BPF_B, R3, R1, 5),     LDX(BPF_B, R0, R1, 4),      ALU64_IMM(BPF_LSH, R0, 8),
      ALU64_REG(BPF_OR, R0, R3), ALU64_REG(BPF_ADD, R0, R3), EXIT(),
  };
  expect("be16 with a live temporary", t, LEN(t), 0, 0x1415 + 0x15);
}

static void test_conditional_moves(void **state) {
  (void)state;
  pq_bpf_insn p[] = {
      LDX(BPF_B, R2, R1, 0), /* 0x10 */
      MOV64_IMM(R3, -1),
      JMP_IMM(BPF_JGT, R2, 0x0f, 1),
      MOV32_IMM(R3, 7),
      MOV64_REG(R0, R3),
      MOV32_IMM(R4, -2),
      JMP_IMM(BPF_JEQ, R2, 0x11, 1),
      MOV64_IMM(R4, 9),
      ALU64_REG(BPF_ADD, R0, R4),
      EXIT(),
  };
  expect("conditional moves", p, LEN(p), 0, (uint64_t)-1 + 9);
}

static void test_folded_addresses(void **state) {
  (void)state;
  pq_bpf_insn p[] = {
      MOV64_IMM(R2, 0), /* loop: r0 += *(u8 *)(r1 + r2 + 1) */
      MOV64_IMM(R0, 0),
      MOV64_REG(R4, R1),
      ALU64_REG(BPF_ADD, R4, R2),
      LDX(BPF_B, R4, R4, 1),
      ALU64_REG(BPF_ADD, R0, R4),
      ALU64_IMM(BPF_ADD, R2, 1),
      JMP_IMM(BPF_JLT, R2, 63, -6),
      EXIT(),
  };
  uint64_t sum = 0;
  for (int i = 1; i < 64; i++)
    sum += (uint64_t)(0x10 + i);
  expect("folded", p, LEN(p), 0, sum);
  p[7] = (pq_bpf_insn)JMP_IMM(BPF_JLT, R2, 64, -6); /* reads byte 64 last */
  expect("folded past the end", p, LEN(p), PQUIC_ERR_FAULT, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fields),
      cmocka_unit_test(test_conditional_moves),
      cmocka_unit_test(test_folded_addresses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
