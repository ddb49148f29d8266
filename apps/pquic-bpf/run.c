/* pquic-bpf run: a program as hex on stdin, memory as a hex argument. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_BUDGET 10000000ull

static void run_help(void) {
  fputs("usage: pquic-bpf run [--interp|--jit] [--elf] [--entry NAME] [--budget N] [MEMORY_HEX]\n"
        "\n"
        "Reads a program from stdin as whitespace-separated hex bytes ('#' starts a\n"
        "comment): raw little-endian instructions, or with --elf an eBPF ELF object.\n"
        "MEMORY_HEX, when given, is the initial memory: it is lent to the program as\n"
        "a read-write region of exactly that length, r1 = its address, r2 = its\n"
        "length (otherwise r1 = r2 = 0). Prints r0 in hex and exits with status 0.\n"
        "Any load, verification or run-time error: one line on stderr, status 1.\n"
        "\n"
        "  --interp       use the interpreter\n"
        "  --jit          use the x86-64 JIT (the default where available)\n"
        "  --elf          stdin holds an ELF object\n"
        "  --entry NAME   ELF entry function (default: 'entry' if present, else the\n"
        "                 first global function)\n"
        "  --budget N     instruction budget (interpreter: instructions; JIT:\n"
        "                 back-edges and calls), default 10000000\n"
        "\n"
        "Helpers: 1 sum5(a,b,c,d,e) = a+b+c+d+e; 2 fault(x) stops with a helper\n"
        "fault; 3 memsum(ptr,len) = sum of the bytes of a readable buffer.\n",
        stdout);
}

typedef struct run_opts {
  int engine;
  int elf;
  const char *entry;
  uint64_t budget;
  const char *mem_hex;
} run_opts;

static int parse_opts(int argc, char **argv, run_opts *o) {
  memset(o, 0, sizeof(*o));
  o->budget = DEFAULT_BUDGET;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      run_help();
      return 0;
    } else if (strcmp(a, "--interp") == 0) {
      o->engine = PQ_BPF_ENGINE_INTERP;
    } else if (strcmp(a, "--jit") == 0) {
      o->engine = PQ_BPF_ENGINE_JIT;
    } else if (strcmp(a, "--elf") == 0) {
      o->elf = 1;
    } else if (strcmp(a, "--entry") == 0 && i + 1 < argc) {
      o->entry = argv[++i];
    } else if (strcmp(a, "--budget") == 0 && i + 1 < argc) {
      char *end;
      o->budget = strtoull(argv[++i], &end, 0);
      if (*end)
        return cli_fail("run", "bad budget '%s'", argv[i]);
    } else if (a[0] == '-' && a[1] == '-') {
      return cli_fail("run", "unknown option '%s' (see --help)", a);
    } else if (!o->mem_hex) {
      o->mem_hex = a;
    } else {
      return cli_fail("run", "unexpected argument '%s' (see --help)", a);
    }
  }
  return -1; /* go on */
}

/* The ELF entry: --entry, else "entry", else the first global function. */
static int pick_entry(const pq_bpf_prog *p, const char *name) {
  if (name)
    return pq_bpf_prog_entry(p, name);
  int e = pq_bpf_prog_entry(p, "entry");
  if (e >= 0)
    return e;
  for (size_t i = 0; i < pq_bpf_prog_entry_count(p); i++)
    if (pq_bpf_prog_entry_global(p, i))
      return (int)i;
  return PQUIC_ERR_NOT_FOUND;
}

static int load(const run_opts *o, const uint8_t *code, size_t len, pq_bpf_helpers *h,
                pq_bpf_prog **p) {
  pq_bpf_diag diag = {-1, ""};
  pq_bpf_load_opts lo = {.helpers = h, .globals_offset = 0, .diag = &diag};
  if (o->engine != PQ_BPF_ENGINE_INTERP)
    lo.flags |= PQ_BPF_LOAD_JIT;
  int rc = o->elf ? pq_bpf_load_elf(code, len, &lo, p) : pq_bpf_load_raw(code, len, &lo, p);
  if (rc)
    return cli_fail(rc == PQUIC_ERR_VERIFY ? "verify" : "load", "%s",
                    diag.msg[0] ? diag.msg : pquic_strerror(rc));
  if (o->engine == PQ_BPF_ENGINE_JIT && !pq_bpf_prog_has_jit(*p))
    return cli_fail("load", "the JIT is not available on this machine");
  return 0;
}

/* Runs the loaded program with the context memory; prints r0. */
static int execute(const run_opts *o, const pq_bpf_prog *p, uint8_t *mem, size_t mem_len) {
  int entry = pick_entry(p, o->entry);
  if (entry < 0)
    return cli_fail("run", "no entry function '%s'", o->entry ? o->entry : "entry");
  size_t gsz = pq_bpf_prog_globals_size(p);
  size_t gend = (gsz + 15) & ~(size_t)15;
  size_t stack = (size_t)PQ_BPF_MAX_FRAMES * PQ_BPF_STACK_FRAME;
  pq_bpf_instance inst = {.mem = calloc(1, gend + stack), .len = gend + stack};
  if (!inst.mem)
    return cli_fail("run", "out of memory");
  inst.stack_lo = gend;
  inst.stack_top = gend + stack;
  pq_bpf_prog_globals_init(p, inst.mem, inst.len);
  pq_bpf_region ctx = {mem, mem_len, PQ_BPF_REGION_RW};
  pq_bpf_run_args a = {.budget = o->budget, .engine = o->engine};
  if (mem) {
    a.lent = &ctx;
    a.nlent = 1;
    a.args[0] = (uint64_t)(uintptr_t)mem;
    a.args[1] = mem_len;
  }
  uint64_t r0 = 0;
  pq_bpf_fault f;
  int rc = pq_bpf_run(p, (size_t)entry, &inst, &a, &r0, &f);
  free(inst.mem);
  if (rc) {
    char msg[256];
    if (f.err)
      pq_bpf_fault_describe(&f, msg, sizeof(msg));
    else
      snprintf(msg, sizeof(msg), "%s", pquic_strerror(rc));
    return cli_fail("run", "%s", msg);
  }
  printf("0x%" PRIx64 "\n", r0);
  return 0;
}

int cmd_run(int argc, char **argv) {
  run_opts o;
  int rc = parse_opts(argc, argv, &o);
  if (rc >= 0)
    return rc;
  char err[160];
  uint8_t *mem = NULL, *code = NULL;
  size_t mem_len = 0, code_len = 0, text_len;
  if (o.mem_hex && hex_parse(o.mem_hex, &mem, &mem_len, err, sizeof(err)))
    return cli_fail("run", "memory: %s", err);
  if (mem && mem_len == 0) { /* an empty region still gets an address */
    free(mem);
    mem = malloc(1);
  }
  char *text = read_all_stdin(&text_len);
  if (!text) {
    free(mem);
    return cli_fail("run", "cannot read stdin");
  }
  if (hex_parse(text, &code, &code_len, err, sizeof(err))) {
    free(text);
    free(mem);
    return cli_fail("run", "program: %s", err);
  }
  free(text);
  pq_bpf_helpers *h = pq_bpf_helpers_new();
  pq_bpf_prog *p = NULL;
  rc = (!h || cli_helpers_add(h)) ? cli_fail("run", "out of memory")
                                  : load(&o, code, code_len, h, &p);
  if (!rc)
    rc = execute(&o, p, mem, mem_len);
  pq_bpf_prog_del(p);
  pq_bpf_helpers_del(h);
  free(code);
  free(mem);
  return rc;
}
