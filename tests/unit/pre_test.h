/*
 * Test support for the pluglet runtime: a small assembler (instruction
 * initializers) and a harness that loads a program once and runs it on every
 * engine, checking that they agree.
 */
#ifndef PQ_TESTS_PRE_TEST_H
#define PQ_TESTS_PRE_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pre/bpf.h"
#include "pre/insn.h"

/* ---- assembler ---------------------------------------------------------- */

#define INSN(c, d, s, o, i)                                                                        \
  { (uint8_t)(c), (uint8_t)(d), (uint8_t)(s), 0, (int16_t)(o), (int32_t)(i) }

#define ALU64_IMM(op, d, i) INSN(BPF_ALU64 | BPF_K | (op), d, 0, 0, i)
#define ALU64_REG(op, d, s) INSN(BPF_ALU64 | BPF_X | (op), d, s, 0, 0)
#define ALU32_IMM(op, d, i) INSN(BPF_ALU | BPF_K | (op), d, 0, 0, i)
#define ALU32_REG(op, d, s) INSN(BPF_ALU | BPF_X | (op), d, s, 0, 0)
/* Signed division and modulo: offset 1. */
#define SALU64_IMM(op, d, i) INSN(BPF_ALU64 | BPF_K | (op), d, 0, 1, i)
#define SALU64_REG(op, d, s) INSN(BPF_ALU64 | BPF_X | (op), d, s, 1, 0)
#define SALU32_IMM(op, d, i) INSN(BPF_ALU | BPF_K | (op), d, 0, 1, i)
#define SALU32_REG(op, d, s) INSN(BPF_ALU | BPF_X | (op), d, s, 1, 0)
#define MOV64_IMM(d, i) ALU64_IMM(BPF_MOV, d, i)
#define MOV64_REG(d, s) ALU64_REG(BPF_MOV, d, s)
#define MOV32_IMM(d, i) ALU32_IMM(BPF_MOV, d, i)
#define MOV32_REG(d, s) ALU32_REG(BPF_MOV, d, s)
#define MOVSX64(d, s, bits) INSN(BPF_ALU64 | BPF_X | BPF_MOV, d, s, bits, 0)
#define MOVSX32(d, s, bits) INSN(BPF_ALU | BPF_X | BPF_MOV, d, s, bits, 0)
#define NEG64(d) INSN(BPF_ALU64 | BPF_NEG, d, 0, 0, 0)
#define NEG32(d) INSN(BPF_ALU | BPF_NEG, d, 0, 0, 0)
#define LE(d, w) INSN(BPF_ALU | BPF_END | BPF_TO_LE, d, 0, 0, w)
#define BE(d, w) INSN(BPF_ALU | BPF_END | BPF_TO_BE, d, 0, 0, w)
#define BSWAP(d, w) INSN(BPF_ALU64 | BPF_END, d, 0, 0, w)

/* Two slots. */
#define LDDW(d, v)                                                                                 \
  INSN(BPF_LDDW, d, 0, 0, (uint32_t)((uint64_t)(v))),                                              \
      INSN(0, 0, 0, 0, (uint32_t)((uint64_t)(v) >> 32))
#define LDDW_REGION(d, v)                                                                          \
  INSN(BPF_LDDW, d, PQ_BPF_PSEUDO_REGION, 0, (uint32_t)((uint64_t)(v))),                           \
      INSN(0, 0, 0, 0, (uint32_t)((uint64_t)(v) >> 32))

#define LDX(sz, d, s, o) INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define LDXSX(sz, d, s, o) INSN(BPF_LDX | BPF_MEMSX | (sz), d, s, o, 0)
#define ST(sz, d, o, i) INSN(BPF_ST | BPF_MEM | (sz), d, 0, o, i)
#define STX(sz, d, s, o) INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ATOMIC(sz, d, s, o, op) INSN(BPF_STX | BPF_ATOMIC | (sz), d, s, o, op)

#define JMP_IMM(op, d, i, o) INSN(BPF_JMP | BPF_K | (op), d, 0, o, i)
#define JMP_REG(op, d, s, o) INSN(BPF_JMP | BPF_X | (op), d, s, o, 0)
#define JMP32_IMM(op, d, i, o) INSN(BPF_JMP32 | BPF_K | (op), d, 0, o, i)
#define JMP32_REG(op, d, s, o) INSN(BPF_JMP32 | BPF_X | (op), d, s, o, 0)
#define JA(o) INSN(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define JA32(i) INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, i)
#define CALL_HELPER(id) INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_HELPER, 0, id)
#define CALL_LOCAL(rel) INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, rel)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* ---- test helpers -------------------------------------------------------- */

enum { PT_H_SUM = 1, PT_H_FAULT = 2, PT_H_MEMSET = 3, PT_H_USER = 4 };

static inline uint64_t pt_h_sum(pq_bpf_env *env, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                                uint64_t e) {
  (void)env;
  return a + 2 * b + 3 * c + 4 * d + 5 * e;
}

static inline uint64_t pt_h_fault(pq_bpf_env *env, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                                  uint64_t e) {
  (void)b, (void)c, (void)d, (void)e;
  pq_bpf_env_fault(env, a);
  return 7;
}

/* memset(ptr, val, len): checked against the regions, faults otherwise. */
static inline uint64_t pt_h_memset(pq_bpf_env *env, uint64_t ptr, uint64_t val, uint64_t len,
                                   uint64_t d, uint64_t e) {
  (void)d, (void)e;
  uint8_t *p = pq_bpf_env_check(env, ptr, len, PQ_BPF_REGION_WRITE);
  if (!p) {
    pq_bpf_env_fault(env, ptr);
    return 0;
  }
  memset(p, (int)val, (size_t)len);
  return len;
}

/* The user pointer as an integer. */
static inline uint64_t pt_h_user(pq_bpf_env *env, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                                 uint64_t e) {
  (void)a, (void)b, (void)c, (void)d, (void)e;
  return (uint64_t)(uintptr_t)pq_bpf_env_user(env);
}

static inline pq_bpf_helpers *pt_helpers(void) {
  pq_bpf_helpers *h = pq_bpf_helpers_new();
  assert_non_null(h);
  assert_int_equal(pq_bpf_helpers_add(h, PT_H_SUM, "sum", pt_h_sum), 0);
  assert_int_equal(pq_bpf_helpers_add(h, PT_H_FAULT, "fault", pt_h_fault), 0);
  assert_int_equal(pq_bpf_helpers_add(h, PT_H_MEMSET, "fill", pt_h_memset), 0);
  assert_int_equal(pq_bpf_helpers_add(h, PT_H_USER, "user", pt_h_user), 0);
  return h;
}

/* ---- harness ------------------------------------------------------------- */

#define PT_MEM 64   /* bytes of lent context memory */
#define PT_HEAP 256 /* instance region bytes below the stack */
#define PT_STACK (PQ_BPF_MAX_FRAMES * PQ_BPF_STACK_FRAME)
#define PT_BUDGET 1000000 /* default budget */

/* Number of slots of a zero-padded program: through the last nonzero opcode
 * (programs end with exit or a jump). */
static inline size_t pt_len(const pq_bpf_insn *ins, size_t cap) {
  size_t n = cap;
  while (n && ins[n - 1].code == 0)
    n--;
  return n;
}

/* Loads a program (JIT requested); returns the load result. */
static inline int pt_load(const pq_bpf_insn *ins, size_t n, pq_bpf_prog **p, pq_bpf_diag *d) {
  uint8_t *bytes = malloc(n * 8 + 1);
  assert_non_null(bytes);
  for (size_t i = 0; i < n; i++)
    pq_bpf_encode(&ins[i], bytes + 8 * i);
  pq_bpf_helpers *h = pt_helpers();
  pq_bpf_load_opts o = {.helpers = h, .flags = PQ_BPF_LOAD_JIT, .diag = d};
  int rc = pq_bpf_load_raw(bytes, n * 8, &o, p);
  pq_bpf_helpers_del(h);
  free(bytes);
  return rc;
}

/* The engines every test runs: the interpreter, and the JIT on x86-64 (where
 * it must be there). */
static inline int pt_engines(const pq_bpf_prog *p, int *engines) {
  int n = 0;
  engines[n++] = PQ_BPF_ENGINE_INTERP;
#if defined(__x86_64__)
  assert_true(pq_bpf_prog_has_jit(p));
#endif
  if (pq_bpf_prog_has_jit(p))
    engines[n++] = PQ_BPF_ENGINE_JIT;
  return n;
}

/* A run's observable outcome. */
typedef struct pt_result {
  int rc;
  uint64_t r0;
  pq_bpf_fault fault;
  uint8_t mem[PT_MEM] __attribute__((aligned(16)));
  uint8_t heap[PT_HEAP];
} pt_result;

/* Runs entry 0 with a fresh instance and `mem` lent read-write at r1 (r2 =
 * PT_MEM, r3 = instance heap address). */
static inline void pt_run(const pq_bpf_prog *p, int engine, const uint8_t *mem, uint64_t budget,
                          pt_result *out) {
  static uint8_t region[PT_HEAP + PT_STACK] __attribute__((aligned(16)));
  memset(region, 0, sizeof(region));
  memset(out, 0, sizeof(*out));
  if (mem)
    memcpy(out->mem, mem, PT_MEM);
  pq_bpf_instance inst = {region, sizeof(region), PT_HEAP, sizeof(region)};
  assert_int_equal(pq_bpf_prog_globals_init(p, region, sizeof(region)), 0);
  pq_bpf_region lent = {out->mem, PT_MEM, PQ_BPF_REGION_RW};
  pq_bpf_run_args a = {.lent = &lent, .nlent = 1, .budget = budget, .engine = engine};
  a.args[0] = (uint64_t)(uintptr_t)out->mem;
  a.args[1] = PT_MEM;
  a.args[2] = (uint64_t)(uintptr_t)region;
  out->rc = pq_bpf_run(p, 0, &inst, &a, &out->r0, &out->fault);
  memcpy(out->heap, region, PT_HEAP);
  assert_int_equal(inst.stack_top, sizeof(region)); /* restored */
}

/* Loads `ins`, runs it on every engine, checks they agree and return rc (and
 * r0 when not NULL). The interpreter's result is stored in *res when given. */
static inline void pt_expect_run(const char *name, const pq_bpf_insn *ins, size_t n,
                                 const uint8_t *mem, uint64_t budget, int rc, const uint64_t *r0,
                                 pt_result *res) {
  pq_bpf_prog *p = NULL;
  pq_bpf_diag d = {-1, ""};
  int lrc = pt_load(ins, n, &p, &d);
  if (lrc)
    fail_msg("%s: load failed: %d %s", name, lrc, d.msg);
  int engines[2];
  int ne = pt_engines(p, engines);
  pt_result first;
  for (int e = 0; e < ne; e++) {
    pt_result r;
    pt_run(p, engines[e], mem, budget, &r);
    if (r.rc != rc)
      fail_msg("%s: engine %d returned %d, expected %d", name, engines[e], r.rc, rc);
    if (rc == 0 && r0 && r.r0 != *r0)
      fail_msg("%s: engine %d r0 = 0x%llx, expected 0x%llx", name, engines[e],
               (unsigned long long)r.r0, (unsigned long long)*r0);
    if (e == 0) {
      first = r;
      continue;
    }
    if (r.r0 != first.r0)
      fail_msg("%s: engines disagree on r0: 0x%llx / 0x%llx", name, (unsigned long long)first.r0,
               (unsigned long long)r.r0);
    if (memcmp(first.mem, r.mem, PT_MEM) != 0 || memcmp(first.heap, r.heap, PT_HEAP) != 0)
      fail_msg("%s: engines disagree on memory", name);
    if (rc && (first.fault.err != r.fault.err || first.fault.insn != r.fault.insn ||
               first.fault.addr != r.fault.addr || first.fault.width != r.fault.width))
      fail_msg("%s: engines disagree on the fault: insn %u/%u", name, first.fault.insn,
               r.fault.insn);
  }
  if (res)
    *res = first;
  pq_bpf_prog_del(p);
}

/* Expects loading to fail with VERIFY at instruction `insn` for `rule`. */
static inline void pt_expect_reject(const char *name, const pq_bpf_insn *ins, size_t n, int insn,
                                    const char *rule) {
  pq_bpf_prog *p = NULL;
  pq_bpf_diag d = {-1, ""};
  int rc = pt_load(ins, n, &p, &d);
  if (rc != PQUIC_ERR_VERIFY)
    fail_msg("%s: load returned %d, expected VERIFY", name, rc);
  if (d.insn != insn)
    fail_msg("%s: rejected at insn %d, expected %d (%s)", name, d.insn, insn, d.msg);
  if (!strstr(d.msg, rule))
    fail_msg("%s: message '%s' lacks rule '%s'", name, d.msg, rule);
  assert_null(p);
}

/* A table row: a program of up to 40 slots and its expected r0. */
typedef struct pt_case {
  const char *name;
  uint64_t expect;
  pq_bpf_insn prog[40];
} pt_case;

static inline void pt_run_table(const pt_case *cases, size_t n, const uint8_t *mem) {
  for (size_t i = 0; i < n; i++)
    pt_expect_run(cases[i].name, cases[i].prog, pt_len(cases[i].prog, 40), mem, PT_BUDGET, 0,
                  &cases[i].expect, NULL);
}

#endif
