/*
 * JIT: arithmetic. 32-bit operations write 32-bit registers, which x86-64
 * zero-extends; shifts go through cl (x86 masks counts like RFC 9669);
 * division goes through rax:rdx with the RFC's answers for a zero divisor
 * and for MIN / -1 (which would raise #DE), never a trap.
 */
#if defined(__x86_64__)

#include "pre/jit_internal.h"

/* "op r/m, reg" opcodes and their group-1 /ext for immediates. */
static int alu_rr_op(uint8_t op, uint32_t *opc, int *ext) {
  switch (op) {
  case BPF_ADD:
    *opc = 0x01, *ext = 0;
    return 1;
  case BPF_OR:
    *opc = 0x09, *ext = 1;
    return 1;
  case BPF_AND:
    *opc = 0x21, *ext = 4;
    return 1;
  case BPF_SUB:
    *opc = 0x29, *ext = 5;
    return 1;
  case BPF_XOR:
    *opc = 0x31, *ext = 6;
    return 1;
  default:
    return 0;
  }
}

static void emit_shift(jit_comp *c, const pq_bpf_insn *in, unsigned w, int d) {
  int ext = BPF_OP(in->code) == BPF_LSH ? 4 : BPF_OP(in->code) == BPF_RSH ? 5 : 7;
  unsigned mask = (w & XW) ? 63 : 31;
  if (BPF_SRC(in->code) == BPF_K) {
    unsigned n = (unsigned)in->imm & mask;
    if (n) {
      x_rr(&c->b, w, 0xc1, ext, d);
      x_byte(&c->b, (uint8_t)n);
    } else if (!(w & XW)) {
      x_rr(&c->b, 0, 0x89, d, d); /* a shift by 0 still zero-extends */
    }
    return;
  }
  /* x86 takes a variable count in cl, and cl is BPF r3's: park r3 in the
   * scratch register around the shift. */
  xbuf *b = &c->b;
  int s = pq_jit_reg[in->src];
  if (s == RCX) {
    x_rr(b, w, 0xd3, ext, d);
  } else {
    x_rr(b, XW, 0x89, RCX, J_TMP);
    x_rr(b, XW, 0x89, s, RCX);
    x_rr(b, w, 0xd3, ext, d == RCX ? J_TMP : d);
    x_rr(b, XW, 0x89, J_TMP, RCX);
  }
  if (!(w & XW))
    x_rr(b, 0, 0x89, d, d); /* count 0 leaves the register untouched */
}

/* dst = dst / src or dst % src, unsigned or signed, 32 or 64 bits. */
static void emit_divmod(jit_comp *c, const pq_bpf_insn *in, unsigned w, int d) {
  xbuf *b = &c->b;
  int is_mod = BPF_OP(in->code) == BPF_MOD, is_signed = in->off == 1;
  int reg = BPF_SRC(in->code) == BPF_X;
  if (reg) {
    x_rr(b, XW, 0x89, pq_jit_reg[in->src], J_TMP);
  } else if (w & XW) {
    x_mov_imm(b, J_TMP, (uint64_t)(int64_t)in->imm); /* sign-extended */
  } else {
    x_mov_imm(b, J_TMP, (uint32_t)in->imm);
  }
  /* Special divisors: zero (only possible from a register), and -1 when
   * signed. Constant divisors are known here. */
  size_t j_zero = 0, j_m1 = 0;
  int const_m1 = !reg && is_signed && in->imm == -1;
  if (reg) {
    x_rr(b, w, 0x85, J_TMP, J_TMP); /* test */
    j_zero = x_jcc(b, CC_E);
  }
  if (reg && is_signed) {
    x_alu_ri(b, w, 7, J_TMP, -1); /* cmp tmp, -1 */
    j_m1 = x_jcc(b, CC_E);
  }
  size_t j_done1 = 0;
  if (!const_m1) {
    if (d != RAX)
      x_push(b, RAX);
    if (d != RDX)
      x_push(b, RDX);
    if (d != RAX)
      x_rr(b, w, 0x89, d, RAX); /* mov rax, dst */
    if (is_signed) {            /* cqo / cdq: sign-extend the dividend into rdx */
      if (w & XW)
        x_byte(b, 0x48);
      x_byte(b, 0x99);
    } else {
      x_rr(b, 0, 0x31, RDX, RDX);
    }
    x_rr(b, w, 0xf7, is_signed ? 7 : 6, J_TMP); /* idiv / div tmp */
    int res = is_mod ? RDX : RAX;
    if (d != res)
      x_rr(b, w, 0x89, res, d); /* 32-bit mov zero-extends */
    else if (!(w & XW))
      x_rr(b, 0, 0x89, d, d);
    if (d != RDX)
      x_pop(b, RDX);
    if (d != RAX)
      x_pop(b, RAX);
    if (reg || j_m1)
      j_done1 = x_jmp(b);
  }
  if (j_m1 || const_m1) { /* x / -1 = -x (wrapping), x % -1 = 0 */
    if (j_m1)
      x_patch_rel32(b, j_m1, b->len);
    if (is_mod)
      x_rr(b, 0, 0x31, d, d);
    else
      x_rr(b, w, 0xf7, 3, d); /* neg */
  }
  size_t j_done2 = 0;
  if (reg) {
    j_done2 = x_jmp(b);
    x_patch_rel32(b, j_zero, b->len); /* x / 0 = 0, x % 0 = x */
    if (!is_mod)
      x_rr(b, 0, 0x31, d, d);
    else if (!(w & XW))
      x_rr(b, 0, 0x89, d, d);
  }
  if (j_done1)
    x_patch_rel32(b, j_done1, b->len);
  if (j_done2)
    x_patch_rel32(b, j_done2, b->len);
}

static void emit_end(jit_comp *c, const pq_bpf_insn *in, int d) {
  xbuf *b = &c->b;
  int swap = BPF_CLASS(in->code) == BPF_ALU64 || BPF_SRC(in->code) == BPF_TO_BE;
  switch (in->imm) {
  case 16:
    if (swap) { /* ror r16, 8 */
      x_rr(b, X66, 0xc1, 1, d);
      x_byte(b, 8);
    }
    x_rr(b, 0, 0x0fb7, d, d); /* movzx r32, r16 */
    break;
  case 32:
    if (swap) {
      x_prefix(b, 0, 0, d);
      x_byte(b, 0x0f);
      x_byte(b, (uint8_t)(0xc8 + (d & 7)));
    } else {
      x_rr(b, 0, 0x89, d, d);
    }
    break;
  default:
    if (swap) {
      x_prefix(b, XW, 0, d);
      x_byte(b, 0x0f);
      x_byte(b, (uint8_t)(0xc8 + (d & 7)));
    }
    break;
  }
}

static void emit_mov(jit_comp *c, const pq_bpf_insn *in, unsigned w, int d) {
  xbuf *b = &c->b;
  if (BPF_SRC(in->code) == BPF_K && in->imm == 0) {
    x_rr(b, 0, 0x31, d, d); /* xor: flags are never live across instructions */
    return;
  }
  if (BPF_SRC(in->code) == BPF_K) {
    if (w & XW)
      x_mov_imm(b, d, (uint64_t)(int64_t)in->imm);
    else
      x_mov_imm(b, d, (uint32_t)in->imm);
    return;
  }
  int s = pq_jit_reg[in->src];
  switch (in->off) {
  case 8:
    x_rr(b, w | XBRM, 0x0fbe, d, s); /* movsx r, r/m8 */
    break;
  case 16:
    x_rr(b, w, 0x0fbf, d, s);
    break;
  case 32:
    x_rr(b, XW, 0x63, d, s); /* movsxd */
    break;
  default:
    if (d != s || !(w & XW))
      x_rr(b, w, 0x89, s, d);
    break;
  }
}

void pq_jit_alu(jit_comp *c, const pq_bpf_insn *in) {
  xbuf *b = &c->b;
  unsigned w = BPF_CLASS(in->code) == BPF_ALU64 ? XW : 0;
  int d = pq_jit_reg[in->dst];
  uint8_t op = BPF_OP(in->code);
  uint32_t opc;
  int ext;
  if (alu_rr_op(op, &opc, &ext)) {
    if (BPF_SRC(in->code) == BPF_X)
      x_rr(b, w, opc, pq_jit_reg[in->src], d);
    else
      x_alu_ri(b, w, ext, d, in->imm);
    return;
  }
  switch (op) {
  case BPF_MUL:
    if (BPF_SRC(in->code) == BPF_X) {
      x_rr(b, w, 0x0faf, d, pq_jit_reg[in->src]);
    } else {
      x_rr(b, w, 0x69, d, d);
      x_u32(b, (uint32_t)in->imm);
    }
    break;
  case BPF_DIV:
  case BPF_MOD:
    emit_divmod(c, in, w, d);
    break;
  case BPF_LSH:
  case BPF_RSH:
  case BPF_ARSH:
    emit_shift(c, in, w, d);
    break;
  case BPF_NEG:
    x_rr(b, w, 0xf7, 3, d);
    break;
  case BPF_MOV:
    emit_mov(c, in, w, d);
    break;
  default: /* BPF_END */
    emit_end(c, in, d);
    break;
  }
}

#endif
