/* One instruction to text, in llvm-objdump's BPF syntax. */
#include <inttypes.h>
#include <stdio.h>

#include "pre/disasm.h"

static const char *alu_sym(uint8_t op) {
  switch (op) {
  case BPF_ADD:
    return "+=";
  case BPF_SUB:
    return "-=";
  case BPF_MUL:
    return "*=";
  case BPF_DIV:
    return "/=";
  case BPF_OR:
    return "|=";
  case BPF_AND:
    return "&=";
  case BPF_LSH:
    return "<<=";
  case BPF_RSH:
    return ">>=";
  case BPF_MOD:
    return "%=";
  case BPF_XOR:
    return "^=";
  case BPF_MOV:
    return "=";
  case BPF_ARSH:
    return "s>>=";
  default:
    return NULL;
  }
}

static const char *jmp_sym(uint8_t op) {
  switch (op) {
  case BPF_JEQ:
    return "==";
  case BPF_JGT:
    return ">";
  case BPF_JGE:
    return ">=";
  case BPF_JSET:
    return "&";
  case BPF_JNE:
    return "!=";
  case BPF_JSGT:
    return "s>";
  case BPF_JSGE:
    return "s>=";
  case BPF_JLT:
    return "<";
  case BPF_JLE:
    return "<=";
  case BPF_JSLT:
    return "s<";
  case BPF_JSLE:
    return "s<=";
  default:
    return NULL;
  }
}

static const char *size_name(uint8_t code, int sx) {
  static const char *u[] = {"u32", "u16", "u8", "u64"};
  static const char *s[] = {"s32", "s16", "s8", "s64"};
  return (sx ? s : u)[BPF_SIZE(code) >> 3];
}

/* "(r1 + 8)" / "(r10 - 8)" */
static void mem_operand(char *b, size_t n, unsigned reg, int off) {
  snprintf(b, n, "(r%u %c %d)", reg, off < 0 ? '-' : '+', off < 0 ? -off : off);
}

static int fmt_alu(const pq_bpf_insn *in, char *buf, size_t len) {
  int is64 = BPF_CLASS(in->code) == BPF_ALU64;
  char r = is64 ? 'r' : 'w';
  uint8_t op = BPF_OP(in->code);
  if (op == BPF_NEG)
    return snprintf(buf, len, "%c%u = -%c%u", r, in->dst, r, in->dst);
  if (op == BPF_END) {
    const char *kind = is64 ? "bswap" : BPF_SRC(in->code) == BPF_TO_BE ? "be" : "le";
    return snprintf(buf, len, "r%u = %s%d r%u", in->dst, kind, in->imm, in->dst);
  }
  const char *sym = alu_sym(op);
  if (!sym)
    return snprintf(buf, len, "<invalid 0x%02x>", in->code);
  const char *sign = (op == BPF_DIV || op == BPF_MOD) && in->off == 1 ? "s" : "";
  if (op == BPF_MOV && in->off)
    return snprintf(buf, len, "%c%u = (s%d)%c%u", r, in->dst, in->off, r, in->src);
  if (BPF_SRC(in->code) == BPF_X)
    return snprintf(buf, len, "%c%u %s%s %c%u", r, in->dst, sign, sym, r, in->src);
  return snprintf(buf, len, "%c%u %s%s %d", r, in->dst, sign, sym, in->imm);
}

static int fmt_jmp(const pq_bpf_insn *in, char *buf, size_t len) {
  int is32 = BPF_CLASS(in->code) == BPF_JMP32;
  uint8_t op = BPF_OP(in->code);
  if (op == BPF_EXIT)
    return snprintf(buf, len, "exit");
  if (op == BPF_CALL) {
    if (BPF_SRC(in->code) == BPF_X)
      return snprintf(buf, len, "callx r%d", in->imm); /* clang 14 puts it in imm */
    return snprintf(buf, len, "call %d", in->imm);
  }
  if (op == BPF_JA)
    return is32 ? snprintf(buf, len, "gotol %+d", in->imm)
                : snprintf(buf, len, "goto %+d", in->off);
  const char *sym = jmp_sym(op);
  if (!sym)
    return snprintf(buf, len, "<invalid 0x%02x>", in->code);
  char r = is32 ? 'w' : 'r';
  if (BPF_SRC(in->code) == BPF_X)
    return snprintf(buf, len, "if %c%u %s %c%u goto %+d", r, in->dst, sym, r, in->src, in->off);
  return snprintf(buf, len, "if %c%u %s %d goto %+d", r, in->dst, sym, in->imm, in->off);
}

static int fmt_atomic(const pq_bpf_insn *in, const char *m, char *buf, size_t len) {
  int is64 = BPF_SIZE(in->code) == BPF_DW;
  char r = is64 ? 'r' : 'w';
  const char *sz = is64 ? "u64" : "u32";
  const char *name;
  switch (in->imm & ~BPF_FETCH) {
  case BPF_ADD:
    name = "add";
    break;
  case BPF_OR:
    name = "or";
    break;
  case BPF_AND:
    name = "and";
    break;
  case BPF_XOR:
    name = "xor";
    break;
  case BPF_XCHG & ~BPF_FETCH:
    return snprintf(buf, len, "%c%u = xchg%s(%s, %c%u)", r, in->src, is64 ? "_64" : "32_32", m, r,
                    in->src);
  case BPF_CMPXCHG & ~BPF_FETCH:
    return snprintf(buf, len, "%c0 = cmpxchg%s(%s, %c0, %c%u)", r, is64 ? "_64" : "32_32", m, r, r,
                    in->src);
  default:
    return snprintf(buf, len, "<invalid atomic 0x%x>", (unsigned)in->imm);
  }
  if (in->imm & BPF_FETCH)
    return snprintf(buf, len, "%c%u = atomic_fetch_%s((%s *)%s, %c%u)", r, in->src, name, sz, m, r,
                    in->src);
  static const char *ops[] = {"+=", "|=", "&=", "^="};
  int k = (in->imm & ~BPF_FETCH) == BPF_ADD   ? 0
          : (in->imm & ~BPF_FETCH) == BPF_OR  ? 1
          : (in->imm & ~BPF_FETCH) == BPF_AND ? 2
                                              : 3;
  return snprintf(buf, len, "lock *(%s *)%s %s %c%u", sz, m, ops[k], r, in->src);
}

int pq_bpf_disasm_insn(const pq_bpf_insn *in, const pq_bpf_insn *next, char *buf, size_t len) {
  char m[32];
  switch (BPF_CLASS(in->code)) {
  case BPF_ALU:
  case BPF_ALU64:
    return fmt_alu(in, buf, len);
  case BPF_JMP:
  case BPF_JMP32:
    return fmt_jmp(in, buf, len);
  case BPF_LD:
    if (in->code == BPF_LDDW && next) {
      uint64_t v = (uint64_t)(uint32_t)in->imm | ((uint64_t)(uint32_t)next->imm << 32);
      if (in->src == PQ_BPF_PSEUDO_REGION)
        return snprintf(buf, len, "r%u = region + %" PRIu64 " ll", in->dst, v);
      return snprintf(buf, len, "r%u = %" PRId64 " ll", in->dst, (int64_t)v);
    }
    return snprintf(buf, len, "<invalid 0x%02x>", in->code);
  case BPF_LDX:
    mem_operand(m, sizeof(m), in->src, in->off);
    return snprintf(buf, len, "r%u = *(%s *)%s", in->dst,
                    size_name(in->code, BPF_MODE(in->code) == BPF_MEMSX), m);
  case BPF_ST:
    mem_operand(m, sizeof(m), in->dst, in->off);
    return snprintf(buf, len, "*(%s *)%s = %d", size_name(in->code, 0), m, in->imm);
  default:
    mem_operand(m, sizeof(m), in->dst, in->off);
    if (BPF_MODE(in->code) == BPF_ATOMIC)
      return fmt_atomic(in, m, buf, len);
    return snprintf(buf, len, "*(%s *)%s = r%u", size_name(in->code, 0), m, in->src);
  }
}
