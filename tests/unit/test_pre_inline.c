/* Helper inlining in the JIT (pre/jit_inline.c) with a host-defined
 * helper: fields of a host object of every width and signedness, read at
 * call sites whose r1 the JIT knows, agree with the interpreter (which
 * calls the helper); a set guard bit takes the ordinary call, fault
 * included; sites whose r1 is not known stay calls; r1..r5 read as zero
 * afterwards (also when the helper declares it reads r1 only) and the
 * budget is what it was. */
#include "pre_test.h"

enum { H_GET = 7, H_ELEM = 8, NFIELDS = 8, F_NOINLINE = 7, NELEMS = 3 };

/* 24 bytes: 3 * 2^3, so the handle check's division is not a shift */
typedef struct elem {
  uint64_t a;
  uint32_t b;
  uint8_t pad[12];
} elem;

typedef struct obj {
  uint8_t u8;
  int8_t s8;
  uint16_t u16;
  int16_t s16;
  uint32_t u32;
  int32_t s32;
  uint64_t u64;
  elem elems[NELEMS];
  uint32_t count; /* elements in use, at most NELEMS */
} obj;

typedef struct host {
  uint64_t pad;
  obj *o;
} host;

static const struct {
  int32_t off;
  uint8_t width, sign;
} field[NFIELDS] = {
    {offsetof(obj, u8), 1, 0},  {offsetof(obj, s8), 1, 1},  {offsetof(obj, u16), 2, 0},
    {offsetof(obj, s16), 2, 1}, {offsetof(obj, u32), 4, 0}, {offsetof(obj, s32), 4, 1},
    {offsetof(obj, u64), 8, 0}, {offsetof(obj, u64), 8, 0}, /* F_NOINLINE: the inliner declines */
};

static obj the_obj = {0xf1,
                      -3,
                      0xf2f3,
                      -1234,
                      0xf4f5f6f7u,
                      -123456789,
                      0xf8f9fafbfcfdfeffull,
                      {{0x1111111111111111ull, 0x11110000u, {0}},
                       {0x2222222222222222ull, 0x22220000u, {0}},
                       {0x3333333333333333ull, 0x33330000u, {0}}},
                      2};
static host the_host = {0, &the_obj};
static uint8_t guard[2]; /* [0]: get's fields, [1]: elem's */
static unsigned calls;

static uint64_t value(const obj *o, uint64_t f) {
  switch (f) {
  case 0:
    return o->u8;
  case 1:
    return (uint64_t)(int64_t)o->s8;
  case 2:
    return o->u16;
  case 3:
    return (uint64_t)(int64_t)o->s16;
  case 4:
    return o->u32;
  case 5:
    return (uint64_t)(int64_t)o->s32;
  default:
    return o->u64;
  }
}

/* get(f): field f of the host object; faults for an unknown field or
 * when f's guard bit is set (but for field 6, whose reads have no guard). */
static uint64_t h_get(pq_bpf_env *env, uint64_t f, uint64_t b, uint64_t c, uint64_t d, uint64_t e) {
  (void)b, (void)c, (void)d, (void)e;
  calls++;
  const host *h = pq_bpf_env_user(env);
  if (f >= NFIELDS || (f != 6 && (guard[0] >> f & 1))) { /* field 6 has no guard */
    pq_bpf_env_fault(env, f);
    return 0;
  }
  return value(h->o, f);
}

/* elem(handle, f): field f (0: a, 1: b) of the element `handle` points
 * to, among the first count; faults for anything else or when f's bit of
 * guard[1] is set. */
static uint64_t h_elem(pq_bpf_env *env, uint64_t hd, uint64_t f, uint64_t c, uint64_t d,
                       uint64_t e) {
  (void)c, (void)d, (void)e;
  calls++;
  const host *h = pq_bpf_env_user(env);
  uint64_t base = (uint64_t)(uintptr_t)h->o->elems;
  if (hd < base || (hd - base) % sizeof(elem) || (hd - base) / sizeof(elem) >= h->o->count ||
      f > 1 || (guard[1] >> f & 1)) {
    pq_bpf_env_fault(env, hd);
    return 0;
  }
  const elem *el = (const elem *)(uintptr_t)hd;
  return f ? el->b : el->a;
}

static int inline_elem(void *user, const uint64_t r[2], unsigned known, pq_bpf_inline *out) {
  (void)user;
  if (!(known & 2) || r[1] > 1)
    return 0;
  out->user_off = offsetof(host, o);
  out->elem_size = sizeof(elem);
  out->max_count = NELEMS;
  out->array_off = offsetof(obj, elems);
  out->count_off = offsetof(obj, count);
  out->off = r[1] ? offsetof(elem, b) : offsetof(elem, a);
  out->width = r[1] ? 4 : 8;
  out->guard = &guard[1];
  out->guard_mask = (uint8_t)(1u << r[1]);
  return 1;
}

static int inline_get(void *user, const uint64_t r[2], unsigned known, pq_bpf_inline *out) {
  assert_ptr_equal(user, &the_host);
  uint64_t f = r[0];
  if (!(known & 1) || f >= NFIELDS || f == F_NOINLINE)
    return 0;
  out->user_off = offsetof(host, o);
  out->off = field[f].off;
  out->width = field[f].width;
  out->sign = field[f].sign;
  if (f != 6) { /* field 6 has no guard */
    out->guard = guard;
    out->guard_mask = (uint8_t)(1u << f);
  }
  return 1;
}

static pq_bpf_prog *load(const pq_bpf_insn *ins, size_t n, int with_inliner) {
  uint8_t *bytes = malloc(n * 8);
  assert_non_null(bytes);
  for (size_t i = 0; i < n; i++)
    pq_bpf_encode(&ins[i], bytes + 8 * i);
  pq_bpf_helpers *h = pq_bpf_helpers_new();
  assert_non_null(h);
  assert_int_equal(pq_bpf_helpers_add(h, H_GET, "get", h_get), 0);
  assert_int_equal(pq_bpf_helpers_add(h, H_ELEM, "elem", h_elem), 0);
  if (with_inliner) {
    assert_int_equal(pq_bpf_helpers_set_inliner(h, H_ELEM, inline_elem), 0);
    assert_int_equal(pq_bpf_helpers_set_args(h, H_ELEM, 2), 0);
    assert_int_equal(pq_bpf_helpers_set_inliner(h, H_GET, inline_get), 0);
    assert_int_equal(pq_bpf_helpers_set_args(h, H_GET, 1), 0); /* get reads r1 only */
  }
  pq_bpf_diag d = {-1, ""};
  pq_bpf_load_opts o = {
      .helpers = h, .flags = PQ_BPF_LOAD_JIT, .diag = &d, .inline_user = &the_host};
  pq_bpf_prog *p = NULL;
  int rc = pq_bpf_load_raw(bytes, n * 8, &o, &p);
  if (rc)
    fail_msg("load: %s", d.msg);
  pq_bpf_helpers_del(h); /* the program keeps what it needs */
  free(bytes);
  assert_true(pq_bpf_prog_has_jit(p));
  return p;
}

typedef struct outcome {
  int rc;
  uint64_t r0;
  pq_bpf_fault fault;
  unsigned calls;
} outcome;

static outcome run(const pq_bpf_prog *p, int engine, uint64_t r1, uint64_t budget) {
  static uint8_t region[PQ_BPF_MAX_FRAMES * PQ_BPF_STACK_FRAME] __attribute__((aligned(16)));
  pq_bpf_instance inst = {region, sizeof region, 0, sizeof region};
  pq_bpf_run_args a = {.budget = budget, .user = &the_host, .engine = engine};
  a.args[0] = r1;
  outcome o;
  memset(&o, 0, sizeof o);
  unsigned before = calls;
  o.rc = pq_bpf_run(p, 0, &inst, &a, &o.r0, &o.fault);
  o.calls = calls - before;
  return o;
}

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Both engines agree on rc, r0 and the fault; returns the JIT's outcome. */
static outcome both(const pq_bpf_prog *p, uint64_t r1, const char *what) {
  outcome i = run(p, PQ_BPF_ENGINE_INTERP, r1, PT_BUDGET);
  outcome j = run(p, PQ_BPF_ENGINE_JIT, r1, PT_BUDGET);
  if (i.rc != j.rc || i.r0 != j.r0)
    fail_msg("%s: interpreter %d/0x%llx, JIT %d/0x%llx", what, i.rc, (unsigned long long)i.r0, j.rc,
             (unsigned long long)j.r0);
  if (i.rc && (i.fault.err != j.fault.err || i.fault.insn != j.fault.insn ||
               i.fault.addr != j.fault.addr || i.fault.helper != j.fault.helper))
    fail_msg("%s: faults differ: insn %u/%u helper %u/%u", what, i.fault.insn, j.fault.insn,
             i.fault.helper, j.fault.helper);
  return j;
}

/* Every field through each way of setting r1 to a constant. */
static void fields_inline(void **state) {
  (void)state;
  for (uint64_t f = 0; f < F_NOINLINE; f++) {
    pq_bpf_insn progs[3][4] = {
        {MOV64_IMM(1, (int32_t)f), CALL_HELPER(H_GET), EXIT()},
        {MOV32_IMM(1, (int32_t)f), CALL_HELPER(H_GET), EXIT()},
        {LDDW(1, f), CALL_HELPER(H_GET), EXIT()},
    };
    size_t lens[3] = {3, 3, 4};
    for (int k = 0; k < 3; k++) {
      pq_bpf_prog *p = load(progs[k], lens[k], 1);
      assert_int_equal(pq_bpf_prog_helpers_inlined(p), 1);
      assert_int_equal(run(p, PQ_BPF_ENGINE_INTERP, 0, PT_BUDGET).calls, 1); /* always calls */
      outcome j = both(p, 0, "field");
      assert_int_equal(j.rc, 0);
      assert_int_equal(j.calls, 0);
      if (j.r0 != value(&the_obj, f))
        fail_msg("field %llu: 0x%llx", (unsigned long long)f, (unsigned long long)j.r0);
      pq_bpf_prog_del(p);
    }
  }
}

/* r1..r5 read as zero after an inlined call, r6..r9 keep their values. */
static void registers_after(void **state) {
  (void)state;
  const pq_bpf_insn prog[] = {
      MOV64_IMM(2, 2),          MOV64_IMM(3, 3),
      MOV64_IMM(4, 4),          MOV64_IMM(5, 5),
      MOV64_IMM(6, 6),          MOV64_IMM(7, 7),
      MOV64_IMM(8, 8),          MOV64_IMM(9, 9),
      MOV64_IMM(1, 0),          CALL_HELPER(H_GET), /* 0xf1 */
      ALU64_REG(BPF_ADD, 0, 1), ALU64_REG(BPF_ADD, 0, 2),
      ALU64_REG(BPF_ADD, 0, 3), ALU64_REG(BPF_ADD, 0, 4),
      ALU64_REG(BPF_ADD, 0, 5), ALU64_REG(BPF_ADD, 0, 6),
      ALU64_REG(BPF_ADD, 0, 7), ALU64_REG(BPF_ADD, 0, 8),
      ALU64_REG(BPF_ADD, 0, 9), EXIT(),
  };
  pq_bpf_prog *p = load(prog, LEN(prog), 1);
  assert_int_equal(pq_bpf_prog_helpers_inlined(p), 1);
  outcome j = both(p, 0, "registers");
  assert_int_equal(j.calls, 0);
  assert_int_equal(j.r0, 0xf1 + 6 + 7 + 8 + 9);
  /* the same through the slow path */
  guard[0] = 1;
  j = both(p, 0, "registers, guarded");
  assert_int_equal(j.rc, PQUIC_ERR_HELPER);
  guard[0] = 0;
  pq_bpf_prog_del(p);
}

/* A helper that reads r1 only: r2..r5 need no clearing for its next call,
 * but still read as zero where the program reads them. */
static void declared_args(void **state) {
  (void)state;
  const pq_bpf_insn prog[] = {
      MOV64_IMM(2, 7),    MOV64_IMM(1, F_NOINLINE), CALL_HELPER(H_GET),       MOV64_IMM(1, 0),
      CALL_HELPER(H_GET), ALU64_REG(BPF_ADD, 0, 2), MOV64_REG(6, 0),          MOV64_IMM(1, 0),
      CALL_HELPER(H_GET), ALU64_REG(BPF_ADD, 0, 6), ALU64_REG(BPF_ADD, 0, 3), EXIT(),
  };
  pq_bpf_prog *p = load(prog, LEN(prog), 1);
  assert_int_equal(pq_bpf_prog_helpers_inlined(p), 2);
  outcome j = both(p, 0, "declared args");
  assert_int_equal(j.calls, 1);
  assert_int_equal(j.r0, 2 * 0xf1);
  pq_bpf_prog_del(p);
}

/* A guard bit set at run time sends the compiled site to the call, which
 * faults as it would without inlining; cleared, the site reads inline
 * again (the same compiled code). */
static void guard_at_run_time(void **state) {
  (void)state;
  const pq_bpf_insn prog[] = {MOV64_IMM(0, 1), MOV64_IMM(1, 3), CALL_HELPER(H_GET), EXIT()};
  pq_bpf_prog *p = load(prog, LEN(prog), 1);
  assert_int_equal(pq_bpf_prog_helpers_inlined(p), 1);
  guard[0] = 1u << 3;
  outcome j = both(p, 0, "denied");
  assert_int_equal(j.rc, PQUIC_ERR_HELPER);
  assert_int_equal(j.fault.insn, 2);
  assert_int_equal(j.fault.helper, H_GET);
  assert_int_equal(j.fault.addr, 3);
  assert_int_equal(j.calls, 1);
  guard[0] = 1u << 2; /* another field's bit: no effect */
  j = both(p, 0, "other bit");
  assert_int_equal(j.rc, 0);
  assert_int_equal(j.calls, 0);
  guard[0] = 0;
  j = both(p, 0, "allowed again");
  assert_int_equal(j.rc, 0);
  assert_int_equal(j.calls, 0);
  assert_int_equal(j.r0, value(&the_obj, 3));
  pq_bpf_prog_del(p);
}

/* Sites the JIT cannot or may not inline stay calls. */
static void stays_a_call(void **state) {
  (void)state;
  static const struct {
    const char *name;
    pq_bpf_insn prog[8];
    size_t len;
    size_t inlined;
  } cases[] = {
      {"r1 from the caller", {CALL_HELPER(H_GET), EXIT()}, 2, 0},
      {"r1 computed", {ALU64_IMM(BPF_ADD, 1, 2), CALL_HELPER(H_GET), EXIT()}, 3, 0},
      {"inliner declines", {MOV64_IMM(1, F_NOINLINE), CALL_HELPER(H_GET), EXIT()}, 3, 0},
      {"unknown field", {MOV64_IMM(1, 99), CALL_HELPER(H_GET), EXIT()}, 3, 0},
      {"second call", /* r1 reads 0 after a call: not a constant the JIT tracks */
       {MOV64_IMM(1, 2), CALL_HELPER(H_GET), CALL_HELPER(H_GET), EXIT()},
       4,
       1},
      {"call is a jump target",
       {MOV64_IMM(1, 2), JMP_IMM(BPF_JEQ, 1, 0, 1), MOV64_IMM(1, 4), CALL_HELPER(H_GET), EXIT()},
       5,
       0},
      {"jump target between",
       {MOV64_IMM(1, 2), JMP_IMM(BPF_JEQ, 1, 0, 0), MOV64_IMM(3, 4), CALL_HELPER(H_GET), EXIT()},
       5,
       0},
      {"jump away between",
       {MOV64_IMM(1, 2), JMP_IMM(BPF_JEQ, 1, 0, 2), CALL_HELPER(H_GET), EXIT(), MOV64_IMM(0, 9),
        EXIT()},
       6,
       1},
      {"region address", {LDDW_REGION(1, 2), CALL_HELPER(H_GET), EXIT()}, 4, 0},
  };
  for (size_t i = 0; i < LEN(cases); i++) {
    pq_bpf_prog *p = load(cases[i].prog, cases[i].len, 1);
    if (pq_bpf_prog_helpers_inlined(p) != cases[i].inlined)
      fail_msg("%s: %zu sites inlined", cases[i].name, pq_bpf_prog_helpers_inlined(p));
    for (uint64_t r1 = 0; r1 < 3; r1++)
      (void)both(p, r1, cases[i].name);
    pq_bpf_prog_del(p);
  }
}

/* Reads through a handle: valid ones inline, anything else (past the
 * count, inside an element, before the array, far away) and a set guard
 * bit through the call, which faults as without inlining. */
static void handles(void **state) {
  (void)state;
  uint64_t base = (uint64_t)(uintptr_t)the_obj.elems;
  const uint64_t bad[] = {base + 2 * sizeof(elem),
                          base + 3 * sizeof(elem),
                          base + 8,
                          base + 25,
                          base - sizeof(elem),
                          base - 1,
                          0,
                          UINT64_MAX,
                          base + (1ull << 32)};
  for (uint64_t f = 0; f < 2; f++) {
    const pq_bpf_insn prog[] = {MOV64_IMM(2, (int32_t)f), CALL_HELPER(H_ELEM), EXIT()};
    pq_bpf_prog *p = load(prog, LEN(prog), 1);
    assert_int_equal(pq_bpf_prog_helpers_inlined(p), 1);
    for (uint64_t i = 0; i < 2; i++) {
      outcome j = both(p, base + i * sizeof(elem), "handle");
      assert_int_equal(j.rc, 0);
      assert_int_equal(j.calls, 0);
      assert_int_equal(j.r0, f ? the_obj.elems[i].b : the_obj.elems[i].a);
    }
    for (size_t i = 0; i < LEN(bad); i++) {
      outcome j = both(p, bad[i], "bad handle");
      assert_int_equal(j.rc, PQUIC_ERR_HELPER);
      assert_int_equal(j.fault.addr, bad[i]);
      assert_int_equal(j.calls, 1);
    }
    the_obj.count = 3; /* the count is read at run time */
    assert_int_equal(both(p, base + 2 * sizeof(elem), "third").calls, 0);
    the_obj.count = 2;
    guard[1] = (uint8_t)(1u << f);
    outcome j = both(p, base, "denied element field");
    assert_int_equal(j.rc, PQUIC_ERR_HELPER);
    assert_int_equal(j.calls, 1);
    guard[1] = 0;
    pq_bpf_prog_del(p);
  }
}

/* A loop of inlined reads: the same sum, no call; and with the same
 * budget the JIT stops where it stops without inlining. */
static void loop_and_budget(void **state) {
  (void)state;
  const pq_bpf_insn prog[] = {
      MOV64_REG(6, 1),
      MOV64_IMM(7, 0),
      MOV64_IMM(1, 5),
      CALL_HELPER(H_GET),
      ALU64_REG(BPF_ADD, 7, 0),
      ALU64_IMM(BPF_SUB, 6, 1),
      JMP_IMM(BPF_JNE, 6, 0, -5),
      MOV64_REG(0, 7),
      EXIT(),
  };
  pq_bpf_prog *p = load(prog, LEN(prog), 1), *q = load(prog, LEN(prog), 0);
  assert_true(pq_bpf_prog_helpers_inlined(p) >= 1);
  assert_int_equal(pq_bpf_prog_helpers_inlined(q), 0);
  outcome j = both(p, 100, "loop");
  assert_int_equal(j.calls, 0);
  assert_int_equal(j.r0, 100 * value(&the_obj, 5));
  for (uint64_t budget = 0; budget < 12; budget++) {
    outcome a = run(p, PQ_BPF_ENGINE_JIT, 10, budget), b = run(q, PQ_BPF_ENGINE_JIT, 10, budget);
    assert_int_equal(a.rc, b.rc);
    assert_int_equal(a.r0, b.r0);
    assert_int_equal(b.calls, a.rc ? b.calls : 10);
  }
  pq_bpf_prog_del(p);
  pq_bpf_prog_del(q);
}

/* Random straight-line programs with forward jumps mixing reads through
 * constant and computed r1, element reads through good and bad handles,
 * other registers' writes and uses, under random guard bits: both engines
 * agree (a small differential test of inlining, liveness and the declared
 * argument counts). */
static uint64_t rnd(uint64_t *seed) {
  *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
  return *seed >> 33;
}

static void random_programs(void **state) {
  (void)state;
  uint64_t seed = 0x2545f4914f6cdd1dull, base = (uint64_t)(uintptr_t)the_obj.elems;
  const uint64_t handle[] = {base, base + sizeof(elem), base + 2 * sizeof(elem), base + 8, 0};
  for (int n = 0; n < 400; n++) {
    pq_bpf_insn prog[48];
    size_t len = 0, body = 8 + rnd(&seed) % 20;
    while (len < body) {
      int reg = (int)(rnd(&seed) % 10), acc = rnd(&seed) % 2 ? 0 : 6 + (int)(rnd(&seed) % 4);
      int32_t imm = (int32_t)rnd(&seed);
      switch (rnd(&seed) % 7) {
      case 0:
      case 1:
        prog[len++] = (pq_bpf_insn)MOV64_IMM(1, (int32_t)((uint32_t)imm % (NFIELDS + 1)));
        prog[len++] = (pq_bpf_insn)CALL_HELPER(H_GET);
        break;
      case 2:
        prog[len++] = (pq_bpf_insn)MOV64_IMM(reg ? reg : 1, imm);
        break;
      case 3: /* r1 computed: stays a call */
        prog[len++] = (pq_bpf_insn)ALU64_IMM(BPF_AND, 1, 7);
        prog[len++] = (pq_bpf_insn)CALL_HELPER(H_GET);
        break;
      case 4:
        prog[len++] = (pq_bpf_insn)ALU64_REG(BPF_ADD, acc, reg);
        break;
      case 5: { /* an element's field, good or bad handle */
        const pq_bpf_insn ld[] = {LDDW(1, handle[(uint32_t)imm % 5])};
        prog[len++] = ld[0];
        prog[len++] = ld[1];
        prog[len++] = (pq_bpf_insn)MOV64_IMM(2, (int32_t)((uint32_t)imm % 3));
        prog[len++] = (pq_bpf_insn)CALL_HELPER(H_ELEM);
        break;
      }
      default: /* skip ahead at most 3 slots: into the tail at worst */
        prog[len++] = (pq_bpf_insn)JMP_IMM(BPF_JGT, reg, imm & 0xff, (int16_t)(rnd(&seed) % 4));
        break;
      }
    }
    for (int r = 1; r <= 9; r++) /* every register's value shows in r0 */
      prog[len++] = (pq_bpf_insn)ALU64_REG(BPF_ADD, 0, r);
    prog[len++] = (pq_bpf_insn)EXIT();
    for (size_t k = 0; k < len; k++) /* never into an LDDW's second half */
      if (pq_bpf_is_jump(&prog[k]) && prog[k + prog[k].off].code == BPF_LDDW)
        prog[k].off++;
    guard[0] = (uint8_t)rnd(&seed);
    uint64_t g1 = rnd(&seed), g2 = rnd(&seed);
    guard[1] = (uint8_t)(g1 & g2 & 3); /* each of the two bits set a quarter of the time */
    pq_bpf_prog *p = load(prog, len, 1);
    char what[32];
    snprintf(what, sizeof what, "random program %d", n);
    (void)both(p, rnd(&seed), what);
    pq_bpf_prog_del(p);
  }
  guard[0] = guard[1] = 0;
}

/* Registry errors. */
static void registry(void **state) {
  (void)state;
  pq_bpf_helpers *h = pq_bpf_helpers_new();
  assert_non_null(h);
  assert_int_equal(pq_bpf_helpers_set_inliner(h, H_GET, inline_get), PQUIC_ERR_INVAL);
  assert_int_equal(pq_bpf_helpers_add(h, H_GET, "get", h_get), 0);
  assert_int_equal(pq_bpf_helpers_set_inliner(h, H_GET + 1, inline_get), PQUIC_ERR_INVAL);
  assert_int_equal(pq_bpf_helpers_set_inliner(NULL, H_GET, inline_get), PQUIC_ERR_INVAL);
  assert_int_equal(pq_bpf_helpers_set_inliner(h, H_GET, inline_get), 0);
  assert_int_equal(pq_bpf_helpers_set_inliner(h, H_GET, NULL), 0);
  assert_int_equal(pq_bpf_helpers_set_args(h, H_GET, 6), PQUIC_ERR_INVAL);
  assert_int_equal(pq_bpf_helpers_set_args(h, H_GET + 1, 1), PQUIC_ERR_INVAL);
  assert_int_equal(pq_bpf_helpers_set_args(h, H_GET, 0), 0);
  pq_bpf_helpers_del(h);
  assert_int_equal(pq_bpf_prog_helpers_inlined(NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fields_inline),     cmocka_unit_test(registers_after),
      cmocka_unit_test(guard_at_run_time), cmocka_unit_test(stays_a_call),
      cmocka_unit_test(loop_and_budget),   cmocka_unit_test(registry),
      cmocka_unit_test(declared_args),     cmocka_unit_test(random_programs),
      cmocka_unit_test(handles),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
