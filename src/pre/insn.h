/*
 * pre/insn.h - eBPF instruction encoding (RFC 9669 section 3-5): opcode
 * fields, decoded instruction form, small predicates shared by the verifier,
 * the engines and the disassembler.
 */
#ifndef PQ_PRE_INSN_H
#define PQ_PRE_INSN_H

#include <stdint.h>
#include <string.h>

/* Instruction classes (3 low bits). */
enum {
  BPF_LD = 0x00,
  BPF_LDX = 0x01,
  BPF_ST = 0x02,
  BPF_STX = 0x03,
  BPF_ALU = 0x04,
  BPF_JMP = 0x05,
  BPF_JMP32 = 0x06,
  BPF_ALU64 = 0x07,
};

/* Arithmetic and jump: source bit and operation code (4 high bits). */
enum { BPF_K = 0x00, BPF_X = 0x08 };
enum {
  BPF_ADD = 0x00,
  BPF_SUB = 0x10,
  BPF_MUL = 0x20,
  BPF_DIV = 0x30,
  BPF_OR = 0x40,
  BPF_AND = 0x50,
  BPF_LSH = 0x60,
  BPF_RSH = 0x70,
  BPF_NEG = 0x80,
  BPF_MOD = 0x90,
  BPF_XOR = 0xa0,
  BPF_MOV = 0xb0,
  BPF_ARSH = 0xc0,
  BPF_END = 0xd0,
};
enum {
  BPF_JA = 0x00,
  BPF_JEQ = 0x10,
  BPF_JGT = 0x20,
  BPF_JGE = 0x30,
  BPF_JSET = 0x40,
  BPF_JNE = 0x50,
  BPF_JSGT = 0x60,
  BPF_JSGE = 0x70,
  BPF_CALL = 0x80,
  BPF_EXIT = 0x90,
  BPF_JLT = 0xa0,
  BPF_JLE = 0xb0,
  BPF_JSLT = 0xc0,
  BPF_JSLE = 0xd0,
};
/* Byte swap direction (ALU class source bit). */
enum { BPF_TO_LE = 0x00, BPF_TO_BE = 0x08 };

/* Load and store: mode (3 high bits) and size (bits 3-4). */
enum {
  BPF_IMM = 0x00,
  BPF_ABS = 0x20,
  BPF_IND = 0x40,
  BPF_MEM = 0x60,
  BPF_MEMSX = 0x80,
  BPF_ATOMIC = 0xc0
};
enum { BPF_W = 0x00, BPF_H = 0x08, BPF_B = 0x10, BPF_DW = 0x18 };

/* Atomic operations (imm of {ATOMIC, W|DW, STX}). */
enum {
  BPF_FETCH = 0x01,
  BPF_XCHG = 0xe0 | BPF_FETCH,
  BPF_CMPXCHG = 0xf0 | BPF_FETCH,
};

/* Call source values. */
enum { BPF_PSEUDO_HELPER = 0, BPF_PSEUDO_CALL = 1, BPF_PSEUDO_KFUNC = 2 };

#define BPF_CLASS(code) ((code)&0x07)
#define BPF_OP(code) ((code)&0xf0)
#define BPF_SRC(code) ((code)&0x08)
#define BPF_MODE(code) ((code)&0xe0)
#define BPF_SIZE(code) ((code)&0x18)

/* The LDDW opcode: {IMM, DW, LD}. */
#define BPF_LDDW (BPF_LD | BPF_IMM | BPF_DW)

/* A decoded instruction slot (host order). */
typedef struct pq_bpf_insn {
  uint8_t code;
  uint8_t dst; /* 0..15 as encoded; the verifier restricts to 0..10 */
  uint8_t src;
  uint8_t pad;
  int16_t off;
  int32_t imm;
} pq_bpf_insn;

/* Decodes slot `i` of little-endian bytes (RFC 9669 section 3.1). */
static inline pq_bpf_insn pq_bpf_decode(const uint8_t *b) {
  pq_bpf_insn in;
  in.code = b[0];
  in.dst = b[1] & 0x0f;
  in.src = b[1] >> 4;
  in.pad = 0;
  in.off = (int16_t)(uint16_t)(b[2] | (b[3] << 8));
  in.imm = (int32_t)((uint32_t)b[4] | ((uint32_t)b[5] << 8) | ((uint32_t)b[6] << 16) |
                     ((uint32_t)b[7] << 24));
  return in;
}

/* Encodes one slot back to little-endian bytes. */
static inline void pq_bpf_encode(const pq_bpf_insn *in, uint8_t *b) {
  uint16_t off = (uint16_t)in->off;
  uint32_t imm = (uint32_t)in->imm;
  b[0] = in->code;
  b[1] = (uint8_t)((in->src << 4) | (in->dst & 0x0f));
  b[2] = (uint8_t)off;
  b[3] = (uint8_t)(off >> 8);
  b[4] = (uint8_t)imm;
  b[5] = (uint8_t)(imm >> 8);
  b[6] = (uint8_t)(imm >> 16);
  b[7] = (uint8_t)(imm >> 24);
}

/* Access width in bytes of a load/store size field. */
static inline unsigned pq_bpf_size_bytes(uint8_t code) {
  switch (BPF_SIZE(code)) {
  case BPF_B:
    return 1;
  case BPF_H:
    return 2;
  case BPF_W:
    return 4;
  default:
    return 8;
  }
}

/* The 64-bit immediate of an LDDW pair. */
static inline uint64_t pq_bpf_lddw_imm(const pq_bpf_insn *lo) {
  return (uint64_t)(uint32_t)lo[0].imm | ((uint64_t)(uint32_t)lo[1].imm << 32);
}

/* 1 for a conditional or unconditional jump (not call/exit). */
static inline int pq_bpf_is_jump(const pq_bpf_insn *in) {
  uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
  return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT;
}

/* 1 for an unconditional jump: JA (offset) or JA32 (imm). */
static inline int pq_bpf_is_ja(const pq_bpf_insn *in) {
  return in->code == (BPF_JMP | BPF_JA) || in->code == (BPF_JMP32 | BPF_JA);
}

/* Target slot of a jump at slot `pc` (valid for pq_bpf_is_jump). */
static inline int64_t pq_bpf_jump_target(const pq_bpf_insn *in, uint32_t pc) {
  if (in->code == (BPF_JMP32 | BPF_JA))
    return (int64_t)pc + 1 + in->imm;
  return (int64_t)pc + 1 + in->off;
}

/* 1 for a bpf-to-bpf call; target pc + 1 + imm. */
static inline int pq_bpf_is_local_call(const pq_bpf_insn *in) {
  return in->code == (BPF_JMP | BPF_CALL) && in->src == BPF_PSEUDO_CALL;
}

static inline int pq_bpf_is_helper_call(const pq_bpf_insn *in) {
  return in->code == (BPF_JMP | BPF_CALL) && in->src == BPF_PSEUDO_HELPER;
}

#endif
