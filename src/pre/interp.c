/*
 * The reference interpreter: RFC 9669 semantics, one instruction at a time,
 * one unit of budget per instruction. Every load and store not relative to
 * r10 (verified statically) is checked with its width.
 */
#include <string.h>

#include "pre/run.h"

typedef struct frame {
  uint32_t ret;
  uint64_t saved[5]; /* r6..r10 */
} frame;

/* Byte order conversions of END; the host may be either endianness. */
static uint64_t bswap_n(uint64_t v, int32_t width) {
  switch (width) {
  case 16:
    return __builtin_bswap16((uint16_t)v);
  case 32:
    return __builtin_bswap32((uint32_t)v);
  default:
    return __builtin_bswap64(v);
  }
}

static uint64_t trunc_n(uint64_t v, int32_t width) {
  return width == 16 ? (uint16_t)v : width == 32 ? (uint32_t)v : v;
}

static uint64_t end_op(uint8_t code, uint64_t v, int32_t width) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  int swap_le = 0;
#else
  int swap_le = 1;
#endif
  if (BPF_CLASS(code) == BPF_ALU64)
    return bswap_n(v, width);
  int swap = BPF_SRC(code) == BPF_TO_BE ? !swap_le : swap_le;
  return swap ? bswap_n(v, width) : trunc_n(v, width);
}

/* Division and modulo, RFC 9669 section 4.1: x/0 = 0, x%0 = x; the signed
 * overflow case (MIN / -1) wraps: quotient MIN, remainder 0. */
static uint64_t divmod64(int is_mod, int is_signed, uint64_t a, uint64_t b) {
  if (b == 0)
    return is_mod ? a : 0;
  if (!is_signed)
    return is_mod ? a % b : a / b;
  if ((int64_t)b == -1)
    return is_mod ? 0 : (uint64_t)0 - a;
  return is_mod ? (uint64_t)((int64_t)a % (int64_t)b) : (uint64_t)((int64_t)a / (int64_t)b);
}

static uint32_t divmod32(int is_mod, int is_signed, uint32_t a, uint32_t b) {
  if (b == 0)
    return is_mod ? a : 0;
  if (!is_signed)
    return is_mod ? a % b : a / b;
  if ((int32_t)b == -1)
    return is_mod ? 0 : (uint32_t)0 - a;
  return is_mod ? (uint32_t)((int32_t)a % (int32_t)b) : (uint32_t)((int32_t)a / (int32_t)b);
}

static uint64_t alu64(const pq_bpf_insn *in, uint64_t a, uint64_t b) {
  switch (BPF_OP(in->code)) {
  case BPF_ADD:
    return a + b;
  case BPF_SUB:
    return a - b;
  case BPF_MUL:
    return a * b;
  case BPF_DIV:
    return divmod64(0, in->off == 1, a, b);
  case BPF_OR:
    return a | b;
  case BPF_AND:
    return a & b;
  case BPF_LSH:
    return a << (b & 63);
  case BPF_RSH:
    return a >> (b & 63);
  case BPF_NEG:
    return (uint64_t)0 - a;
  case BPF_MOD:
    return divmod64(1, in->off == 1, a, b);
  case BPF_XOR:
    return a ^ b;
  case BPF_MOV:
    if (in->off == 8)
      return (uint64_t)(int64_t)(int8_t)b;
    if (in->off == 16)
      return (uint64_t)(int64_t)(int16_t)b;
    if (in->off == 32)
      return (uint64_t)(int64_t)(int32_t)b;
    return b;
  default: /* BPF_ARSH */
    return (uint64_t)((int64_t)a >> (b & 63));
  }
}

static uint32_t alu32(const pq_bpf_insn *in, uint32_t a, uint32_t b) {
  switch (BPF_OP(in->code)) {
  case BPF_ADD:
    return a + b;
  case BPF_SUB:
    return a - b;
  case BPF_MUL:
    return a * b;
  case BPF_DIV:
    return divmod32(0, in->off == 1, a, b);
  case BPF_OR:
    return a | b;
  case BPF_AND:
    return a & b;
  case BPF_LSH:
    return a << (b & 31);
  case BPF_RSH:
    return a >> (b & 31);
  case BPF_NEG:
    return (uint32_t)0 - a;
  case BPF_MOD:
    return divmod32(1, in->off == 1, a, b);
  case BPF_XOR:
    return a ^ b;
  case BPF_MOV:
    if (in->off == 8)
      return (uint32_t)(int32_t)(int8_t)b;
    if (in->off == 16)
      return (uint32_t)(int32_t)(int16_t)b;
    return b;
  default: /* BPF_ARSH */
    return (uint32_t)((int32_t)a >> (b & 31));
  }
}

static int jump_taken(const pq_bpf_insn *in, uint64_t a, uint64_t b) {
  if (BPF_CLASS(in->code) == BPF_JMP32) {
    a = (uint32_t)a;
    b = (uint32_t)b;
    int64_t sa = (int32_t)a, sb = (int32_t)b;
    switch (BPF_OP(in->code)) {
    case BPF_JSGT:
      return sa > sb;
    case BPF_JSGE:
      return sa >= sb;
    case BPF_JSLT:
      return sa < sb;
    case BPF_JSLE:
      return sa <= sb;
    default:
      break;
    }
  }
  switch (BPF_OP(in->code)) {
  case BPF_JA:
    return 1;
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
    return (int64_t)a > (int64_t)b;
  case BPF_JSGE:
    return (int64_t)a >= (int64_t)b;
  case BPF_JLT:
    return a < b;
  case BPF_JLE:
    return a <= b;
  case BPF_JSLT:
    return (int64_t)a < (int64_t)b;
  default:
    return (int64_t)a <= (int64_t)b;
  }
}

static uint64_t load_n(const void *p, unsigned w, int sx) {
  switch (w) {
  case 1: {
    uint8_t v;
    memcpy(&v, p, 1);
    return sx ? (uint64_t)(int64_t)(int8_t)v : v;
  }
  case 2: {
    uint16_t v;
    memcpy(&v, p, 2);
    return sx ? (uint64_t)(int64_t)(int16_t)v : v;
  }
  case 4: {
    uint32_t v;
    memcpy(&v, p, 4);
    return sx ? (uint64_t)(int64_t)(int32_t)v : v;
  }
  default: {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
  }
  }
}

static void store_n(void *p, unsigned w, uint64_t v) {
  uint8_t b1 = (uint8_t)v;
  uint16_t b2 = (uint16_t)v;
  uint32_t b4 = (uint32_t)v;
  switch (w) {
  case 1:
    memcpy(p, &b1, 1);
    break;
  case 2:
    memcpy(p, &b2, 2);
    break;
  case 4:
    memcpy(p, &b4, 4);
    break;
  default:
    memcpy(p, &v, 8);
    break;
  }
}

static void atomic32(const pq_bpf_insn *in, uint32_t *m, uint64_t *src, uint64_t *r0) {
  uint32_t v = (uint32_t)*src, old;
  switch (in->imm & ~BPF_FETCH) {
  case BPF_ADD:
    old = __atomic_fetch_add(m, v, __ATOMIC_SEQ_CST);
    break;
  case BPF_OR:
    old = __atomic_fetch_or(m, v, __ATOMIC_SEQ_CST);
    break;
  case BPF_AND:
    old = __atomic_fetch_and(m, v, __ATOMIC_SEQ_CST);
    break;
  case BPF_XOR:
    old = __atomic_fetch_xor(m, v, __ATOMIC_SEQ_CST);
    break;
  case BPF_XCHG & ~BPF_FETCH:
    old = __atomic_exchange_n(m, v, __ATOMIC_SEQ_CST);
    break;
  default: { /* cmpxchg: compare with (u32)r0, r0 gets the old value */
    uint32_t expected = (uint32_t)*r0;
    __atomic_compare_exchange_n(m, &expected, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    *r0 = expected;
    return;
  }
  }
  if (in->imm & BPF_FETCH)
    *src = old;
}

static void atomic64(const pq_bpf_insn *in, uint64_t *m, uint64_t *src, uint64_t *r0) {
  uint64_t v = *src, old;
  switch (in->imm & ~BPF_FETCH) {
  case BPF_ADD:
    old = __atomic_fetch_add(m, v, __ATOMIC_SEQ_CST);
    break;
  case BPF_OR:
    old = __atomic_fetch_or(m, v, __ATOMIC_SEQ_CST);
    break;
  case BPF_AND:
    old = __atomic_fetch_and(m, v, __ATOMIC_SEQ_CST);
    break;
  case BPF_XOR:
    old = __atomic_fetch_xor(m, v, __ATOMIC_SEQ_CST);
    break;
  case BPF_XCHG & ~BPF_FETCH:
    old = __atomic_exchange_n(m, v, __ATOMIC_SEQ_CST);
    break;
  default: {
    uint64_t expected = *r0;
    __atomic_compare_exchange_n(m, &expected, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    *r0 = expected;
    return;
  }
  }
  if (in->imm & BPF_FETCH)
    *src = old;
}

/* Checked host pointer for an access, or a recorded fault. */
static int access(pq_run *r, uint32_t pc, unsigned base_reg, uint64_t addr, unsigned w, int write,
                  void **host) {
  /* Program pointers are host addresses, checked before use. */
  *host = (void *)(uintptr_t)addr; // NOLINT(performance-no-int-to-ptr)
  if (base_reg == 10)
    return 0; /* proven by the verifier */
  if (pq_run_mem_ok(&r->env, addr, w, write ? PQ_BPF_REGION_WRITE : PQ_BPF_REGION_READ))
    return 0;
  return pq_run_fault(r, PQUIC_ERR_FAULT, pc, addr, w, write);
}

static int do_mem(pq_run *r, const pq_bpf_insn *in, uint32_t pc, uint64_t *reg) {
  unsigned w = pq_bpf_size_bytes(in->code), cls = BPF_CLASS(in->code);
  void *host;
  int rc;
  if (cls == BPF_LDX) {
    rc = access(r, pc, in->src, reg[in->src] + (uint64_t)(int64_t)in->off, w, 0, &host);
    if (!rc)
      reg[in->dst] = load_n(host, w, BPF_MODE(in->code) == BPF_MEMSX);
    return rc;
  }
  uint64_t addr = reg[in->dst] + (uint64_t)(int64_t)in->off;
  rc = access(r, pc, in->dst, addr, w, 1, &host);
  if (rc)
    return rc;
  if (cls == BPF_ST) {
    store_n(host, w, (uint64_t)(int64_t)in->imm);
  } else if (BPF_MODE(in->code) == BPF_MEM) {
    store_n(host, w, reg[in->src]);
  } else {
    if (addr & (w - 1))
      return pq_run_fault(r, PQUIC_ERR_ALIGN, pc, addr, w, 1);
    if (w == 4)
      atomic32(in, host, &reg[in->src], &reg[0]);
    else
      atomic64(in, host, &reg[in->src], &reg[0]);
  }
  return 0;
}

static int call_helper(const pq_bpf_prog *p, pq_run *r, uint32_t pc, uint64_t *reg) {
  uint32_t id = (uint32_t)p->insns[pc].imm;
  r->env.site = PQ_RUN_SITE(pc, id);
  reg[0] = p->helper_fn[id](&r->env, reg[1], reg[2], reg[3], reg[4], reg[5]);
  memset(&reg[1], 0, 5 * sizeof(uint64_t));
  if (r->env.faulted) {
    int rc = pq_run_fault(r, PQUIC_ERR_HELPER, pc, r->env.fault_addr, 0, 0);
    r->fault.helper = id;
    return rc;
  }
  return 0;
}

int pq_interp_run(const pq_bpf_prog *p, uint32_t func, pq_run *r) {
  uint64_t reg[11] = {0};
  frame frames[PQ_BPF_MAX_FRAMES];
  unsigned depth = 0;
  memcpy(&reg[1], r->args, sizeof(r->args));
  reg[10] = r->fp;
  uint32_t pc = p->funcs[func].start;
  uint64_t budget = r->budget;
  int rc = 0;
  for (;;) {
    if (budget == 0) {
      rc = pq_run_fault(r, PQUIC_ERR_BUDGET, pc, 0, 0, 0);
      break;
    }
    budget--;
    const pq_bpf_insn *in = &p->insns[pc];
    uint8_t cls = BPF_CLASS(in->code);
    if (cls == BPF_ALU64 || cls == BPF_ALU) {
      uint64_t b = BPF_SRC(in->code) == BPF_X ? reg[in->src] : (uint64_t)(int64_t)in->imm;
      if (BPF_OP(in->code) == BPF_END) /* all 64 bits, even in the ALU class */
        reg[in->dst] = end_op(in->code, reg[in->dst], in->imm);
      else if (cls == BPF_ALU64)
        reg[in->dst] = alu64(in, reg[in->dst], b);
      else
        reg[in->dst] = alu32(in, (uint32_t)reg[in->dst], (uint32_t)b);
      pc++;
      continue;
    }
    if (cls == BPF_JMP || cls == BPF_JMP32) {
      uint8_t op = BPF_OP(in->code);
      if (op == BPF_EXIT) {
        if (depth == 0)
          break;
        depth--;
        memcpy(&reg[6], frames[depth].saved, sizeof(frames[depth].saved));
        pc = frames[depth].ret;
        continue;
      }
      if (op == BPF_CALL) {
        if (in->src == BPF_PSEUDO_HELPER) {
          rc = call_helper(p, r, pc, reg);
          if (rc)
            break;
          pc++;
          continue;
        }
        if (depth + 1 >= PQ_BPF_MAX_FRAMES) { /* excluded by the verifier */
          rc = PQUIC_ERR_INTERNAL;
          break;
        }
        frames[depth].ret = pc + 1;
        memcpy(frames[depth].saved, &reg[6], sizeof(frames[depth].saved));
        depth++;
        reg[10] -= PQ_BPF_STACK_FRAME;
        pc = (uint32_t)((int64_t)pc + 1 + in->imm);
        continue;
      }
      uint64_t b = BPF_SRC(in->code) == BPF_X ? reg[in->src] : (uint64_t)(int64_t)in->imm;
      if (jump_taken(in, reg[in->dst], b))
        pc = (uint32_t)pq_bpf_jump_target(in, pc);
      else
        pc++;
      continue;
    }
    if (in->code == BPF_LDDW) {
      uint64_t v = pq_bpf_lddw_imm(in);
      if (in->src == PQ_BPF_PSEUDO_REGION)
        v += (uint64_t)(uintptr_t)r->env.inst->mem;
      reg[in->dst] = v;
      pc += 2;
      continue;
    }
    rc = do_mem(r, in, pc, reg);
    if (rc)
      break;
    pc++;
  }
  r->budget = budget;
  r->r0 = reg[0];
  return rc;
}
