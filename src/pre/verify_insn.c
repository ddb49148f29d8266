/*
 * Verifier, part 1: the fields of each instruction on its own (RFC 9669
 * encodings; unused fields must be zero), r10 never written, LDDW pairs,
 * static stack bounds of r10-relative accesses, division by a constant zero,
 * helper ids. Control flow is verify_flow.c's job.
 */
#include "pre/verify.h"

#define BAD(...) pq_bpf_diag_set(d, (int)pc, PQUIC_ERR_VERIFY, __VA_ARGS__)

/* r10 is the frame pointer: readable, never written. */
static int check_dst_write(const pq_bpf_insn *in, uint32_t pc, pq_bpf_diag *d) {
  if (in->dst == 10)
    return BAD("r10 is read-only (rule: r10-write)");
  if (in->dst > 10)
    return BAD("invalid register r%u (rule: register)", in->dst);
  return 0;
}

static int check_reg(unsigned r, uint32_t pc, pq_bpf_diag *d) {
  if (r > 10)
    return BAD("invalid register r%u (rule: register)", r);
  return 0;
}

/* Accesses through r10 are checked here, with their width, so they need no
 * run-time check: [r10 + off, r10 + off + width) inside the 512-byte frame. */
static int check_stack(const pq_bpf_insn *in, unsigned base, uint32_t pc, pq_bpf_diag *d) {
  if (base != 10)
    return 0;
  int w = (int)pq_bpf_size_bytes(in->code);
  if (in->off < -(int)PQ_BPF_STACK_FRAME || in->off + w > 0)
    return BAD("%d-byte stack access at r10%+d outside the %u-byte frame (rule: stack)", w, in->off,
               PQ_BPF_STACK_FRAME);
  return 0;
}

static int check_alu(const pq_bpf_insn *in, uint32_t pc, pq_bpf_diag *d) {
  int is64 = BPF_CLASS(in->code) == BPF_ALU64;
  int x = BPF_SRC(in->code) == BPF_X;
  uint8_t op = BPF_OP(in->code);
  int rc = check_dst_write(in, pc, d);
  if (rc)
    return rc;
  switch (op) {
  case BPF_NEG:
    if (x || in->src || in->off || in->imm)
      return BAD("neg takes no operand: fields must be zero (rule: fields)");
    return 0;
  case BPF_END:
    if (is64 && x)
      return BAD("bswap: source bit is reserved (rule: fields)");
    if (in->imm != 16 && in->imm != 32 && in->imm != 64)
      return BAD("byte swap width %d, expected 16, 32 or 64 (rule: fields)", in->imm);
    if (in->src || in->off)
      return BAD("byte swap: unused fields must be zero (rule: fields)");
    return 0;
  case BPF_DIV:
  case BPF_MOD:
    if (in->off != 0 && in->off != 1)
      return BAD("division offset %d, expected 0 or 1 (signed) (rule: fields)", in->off);
    if (!x && in->imm == 0)
      return BAD("division or modulo by constant zero (rule: div-zero)");
    break;
  case BPF_MOV:
    if (in->off != 0) {
      int ok = x && (in->off == 8 || in->off == 16 || (is64 && in->off == 32));
      if (!ok)
        return BAD("mov offset %d not a valid sign extension (rule: fields)", in->off);
    }
    break;
  case BPF_ADD:
  case BPF_SUB:
  case BPF_MUL:
  case BPF_OR:
  case BPF_AND:
  case BPF_LSH:
  case BPF_RSH:
  case BPF_XOR:
  case BPF_ARSH:
    if (in->off)
      return BAD("arithmetic offset must be zero (rule: fields)");
    break;
  default:
    return BAD("invalid opcode 0x%02x (rule: opcode)", in->code);
  }
  if (x) {
    if (in->imm)
      return BAD("register operand: imm must be zero (rule: fields)");
    return check_reg(in->src, pc, d);
  }
  if (in->src)
    return BAD("immediate operand: src_reg must be zero (rule: fields)");
  return 0;
}

static int check_call(const pq_bpf_insn *in, uint32_t pc, const pq_bpf_prog *p,
                      const pq_bpf_helpers *h, pq_bpf_diag *d) {
  if (in->code == (BPF_JMP | BPF_CALL | BPF_X))
    return BAD("indirect call (callx) unsupported (rule: call)");
  if (in->code != (BPF_JMP | BPF_CALL))
    return BAD("invalid opcode 0x%02x (rule: opcode)", in->code);
  if (in->dst || in->off)
    return BAD("call: unused fields must be zero (rule: fields)");
  if (in->src == BPF_PSEUDO_HELPER) {
    if (in->imm < 0 || !pq_bpf_helpers_fn(h, (uint32_t)in->imm))
      return BAD("call to unregistered helper %d (rule: helper)", in->imm);
    return 0;
  }
  if (in->src == BPF_PSEUDO_CALL) {
    int64_t t = (int64_t)pc + 1 + in->imm;
    if (t < 0 || t >= (int64_t)p->ninsns)
      return BAD("call target %lld outside the program (rule: call)", (long long)t);
    return 0;
  }
  if (in->src == BPF_PSEUDO_KFUNC)
    return BAD("calls by BTF id unsupported (rule: call)");
  return BAD("invalid call source %u (rule: fields)", in->src);
}

static int check_jmp(const pq_bpf_insn *in, uint32_t pc, const pq_bpf_prog *p,
                     const pq_bpf_helpers *h, pq_bpf_diag *d) {
  int is32 = BPF_CLASS(in->code) == BPF_JMP32;
  int x = BPF_SRC(in->code) == BPF_X;
  uint8_t op = BPF_OP(in->code);
  switch (op) {
  case BPF_JA:
    if (x || in->dst || in->src)
      return BAD("ja: unused fields must be zero (rule: fields)");
    if (is32 ? in->off != 0 : in->imm != 0)
      return BAD("ja: unused fields must be zero (rule: fields)");
    return 0;
  case BPF_CALL:
    if (is32)
      return BAD("invalid opcode 0x%02x (rule: opcode)", in->code);
    return check_call(in, pc, p, h, d);
  case BPF_EXIT:
    if (in->code != (BPF_JMP | BPF_EXIT))
      return BAD("invalid opcode 0x%02x (rule: opcode)", in->code);
    if (in->dst || in->src || in->off || in->imm)
      return BAD("exit: unused fields must be zero (rule: fields)");
    return 0;
  case BPF_JEQ:
  case BPF_JGT:
  case BPF_JGE:
  case BPF_JSET:
  case BPF_JNE:
  case BPF_JSGT:
  case BPF_JSGE:
  case BPF_JLT:
  case BPF_JLE:
  case BPF_JSLT:
  case BPF_JSLE:
    break;
  default:
    return BAD("invalid opcode 0x%02x (rule: opcode)", in->code);
  }
  int rc = check_reg(in->dst, pc, d);
  if (rc)
    return rc;
  if (x) {
    if (in->imm)
      return BAD("register operand: imm must be zero (rule: fields)");
    return check_reg(in->src, pc, d);
  }
  if (in->src)
    return BAD("immediate operand: src_reg must be zero (rule: fields)");
  return 0;
}

static int check_lddw(const pq_bpf_prog *p, uint32_t pc, pq_bpf_diag *d) {
  const pq_bpf_insn *in = &p->insns[pc];
  if (pc + 1 >= p->ninsns)
    return BAD("lddw without its second half (rule: lddw)");
  const pq_bpf_insn *hi = in + 1;
  if (hi->code || hi->dst || hi->src || hi->off)
    return BAD("lddw second half must be zero but for imm (rule: lddw)");
  if (in->src != 0 && in->src != PQ_BPF_PSEUDO_REGION)
    return BAD("lddw source %u unsupported (rule: lddw)", in->src);
  if (in->off)
    return BAD("lddw: offset must be zero (rule: fields)");
  return check_dst_write(in, pc, d);
}

static int check_ldx(const pq_bpf_insn *in, uint32_t pc, pq_bpf_diag *d) {
  uint8_t mode = BPF_MODE(in->code);
  if (mode != BPF_MEM && !(mode == BPF_MEMSX && BPF_SIZE(in->code) != BPF_DW))
    return BAD("invalid opcode 0x%02x (rule: opcode)", in->code);
  if (in->imm)
    return BAD("load: imm must be zero (rule: fields)");
  int rc = check_dst_write(in, pc, d);
  if (!rc)
    rc = check_reg(in->src, pc, d);
  return rc ? rc : check_stack(in, in->src, pc, d);
}

static int check_st(const pq_bpf_insn *in, uint32_t pc, pq_bpf_diag *d) {
  if (BPF_MODE(in->code) != BPF_MEM)
    return BAD("invalid opcode 0x%02x (rule: opcode)", in->code);
  if (in->src)
    return BAD("store immediate: src_reg must be zero (rule: fields)");
  int rc = check_reg(in->dst, pc, d);
  return rc ? rc : check_stack(in, in->dst, pc, d);
}

static int valid_atomic(int32_t imm) {
  switch (imm) {
  case BPF_ADD:
  case BPF_OR:
  case BPF_AND:
  case BPF_XOR:
  case BPF_ADD | BPF_FETCH:
  case BPF_OR | BPF_FETCH:
  case BPF_AND | BPF_FETCH:
  case BPF_XOR | BPF_FETCH:
  case BPF_XCHG:
  case BPF_CMPXCHG:
    return 1;
  default:
    return 0;
  }
}

static int check_stx(const pq_bpf_insn *in, uint32_t pc, pq_bpf_diag *d) {
  uint8_t mode = BPF_MODE(in->code);
  int rc = check_reg(in->dst, pc, d);
  if (!rc)
    rc = check_reg(in->src, pc, d);
  if (rc)
    return rc;
  if (mode == BPF_MEM) {
    if (in->imm)
      return BAD("store: imm must be zero (rule: fields)");
  } else if (mode == BPF_ATOMIC) {
    uint8_t sz = BPF_SIZE(in->code);
    if (sz != BPF_W && sz != BPF_DW)
      return BAD("atomic operations are 32 or 64 bits (rule: opcode)");
    if (!valid_atomic(in->imm))
      return BAD("invalid atomic operation 0x%x (rule: fields)", (unsigned)in->imm);
    /* Fetching forms write the source register (cmpxchg writes r0). */
    if ((in->imm & BPF_FETCH) && in->imm != BPF_CMPXCHG && in->src == 10)
      return BAD("r10 is read-only (rule: r10-write)");
  } else {
    return BAD("invalid opcode 0x%02x (rule: opcode)", in->code);
  }
  return check_stack(in, in->dst, pc, d);
}

int pq_bpf_verify_insn(const pq_bpf_prog *p, uint32_t pc, const pq_bpf_helpers *h, pq_bpf_diag *d) {
  const pq_bpf_insn *in = &p->insns[pc];
  switch (BPF_CLASS(in->code)) {
  case BPF_ALU:
  case BPF_ALU64:
    return check_alu(in, pc, d);
  case BPF_JMP:
  case BPF_JMP32:
    return check_jmp(in, pc, p, h, d);
  case BPF_LD:
    if (in->code == BPF_LDDW)
      return check_lddw(p, pc, d);
    if (BPF_MODE(in->code) == BPF_ABS || BPF_MODE(in->code) == BPF_IND)
      return BAD("legacy packet access 0x%02x unsupported (rule: opcode)", in->code);
    return BAD("invalid opcode 0x%02x (rule: opcode)", in->code);
  case BPF_LDX:
    return check_ldx(in, pc, d);
  case BPF_ST:
    return check_st(in, pc, d);
  default:
    return check_stx(in, pc, d);
  }
}
