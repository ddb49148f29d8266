/* pquic-bpf verify and disasm (ELF objects). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pre/disasm.h"
#include "pre/elf.h"

/* A stand-in for helpers `verify` does not know: never called. */
static uint64_t h_placeholder(pq_bpf_env *env, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                              uint64_t e) {
  (void)a, (void)b, (void)c, (void)d, (void)e;
  pq_bpf_env_fault(env, 0);
  return 0;
}

/* Registers the undefined function symbols of the object (or only those in
 * the comma-separated `allow` list) as helpers with ids from 1. */
static int register_helpers(const uint8_t *data, size_t len, const char *allow, pq_bpf_helpers *h) {
  pq_elf e;
  if (pq_elf_parse(data, len, &e, NULL))
    return 0; /* the loader reports it */
  uint32_t id = 1;
  for (uint32_t i = 1; i < e.nsyms; i++) {
    const pq_elf_sym *y = &e.syms[i];
    if (y->shndx != PQ_SHN_UNDEF || !y->name[0] || pq_bpf_helpers_find(h, y->name) >= 0)
      continue;
    if (allow) {
      size_t n = strlen(y->name);
      const char *p = allow;
      int found = 0;
      while (*p && !found) {
        const char *comma = strchr(p, ',');
        size_t len_tok = comma ? (size_t)(comma - p) : strlen(p);
        found = len_tok == n && strncmp(p, y->name, n) == 0;
        p += len_tok + (comma ? 1 : 0);
      }
      if (!found)
        continue;
    }
    if (pq_bpf_helpers_add(h, id++, y->name, h_placeholder)) {
      pq_elf_free(&e);
      return -1;
    }
  }
  pq_elf_free(&e);
  return 0;
}

static void print_summary(const char *path, const pq_bpf_prog *p, const pq_bpf_helpers *h) {
  printf("%s: ok: %zu instructions, %zu bytes of globals\n", path, pq_bpf_prog_insn_count(p),
         pq_bpf_prog_globals_size(p));
  for (size_t i = 0; i < pq_bpf_prog_entry_count(p); i++)
    printf("  function %s (stack %zu bytes)\n", pq_bpf_prog_entry_name(p, i),
           pq_bpf_prog_stack_size(p, i));
  const uint32_t *ids;
  size_t n = pq_bpf_prog_helpers_used(p, &ids);
  for (size_t i = 0; i < n; i++)
    printf("  helper %s\n", pq_bpf_helpers_name(h, ids[i]));
}

int cmd_verify(int argc, char **argv) {
  const char *path = NULL, *allow = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs("usage: pquic-bpf verify [--helpers NAME,NAME...] FILE.o\n"
            "\n"
            "Loads an eBPF ELF object (clang -target bpf -O2 -c), applies its\n"
            "relocations, runs the verifier and compiles it, then lists its functions\n"
            "and the helpers it calls. Every undefined function is accepted as a helper\n"
            "unless --helpers lists the allowed ones. Any error: one line on stderr\n"
            "naming the instruction or ELF item and the rule, exit status 1.\n",
            stdout);
      return 0;
    }
    if (strcmp(argv[i], "--helpers") == 0 && i + 1 < argc)
      allow = argv[++i];
    else if (argv[i][0] == '-')
      return cli_fail("verify", "unknown option '%s' (see --help)", argv[i]);
    else if (!path)
      path = argv[i];
    else
      return cli_fail("verify", "unexpected argument '%s'", argv[i]);
  }
  if (!path)
    return cli_fail("verify", "no file (see --help)");
  size_t len;
  uint8_t *data = read_file(path, &len);
  if (!data)
    return cli_fail("verify", "cannot read '%s'", path);
  pq_bpf_helpers *h = pq_bpf_helpers_new();
  int rc = (!h || register_helpers(data, len, allow, h)) ? cli_fail("verify", "out of memory") : 0;
  if (!rc) {
    pq_bpf_diag diag = {-1, ""};
    pq_bpf_load_opts o = {.helpers = h, .flags = PQ_BPF_LOAD_JIT, .diag = &diag};
    pq_bpf_prog *p = NULL;
    int lrc = pq_bpf_load_elf(data, len, &o, &p);
    if (lrc)
      rc = cli_fail("verify", "%s: %s", path, diag.msg[0] ? diag.msg : pquic_strerror(lrc));
    else
      print_summary(path, p, h);
    pq_bpf_prog_del(p);
  }
  pq_bpf_helpers_del(h);
  free(data);
  return rc;
}

int cmd_disasm(int argc, char **argv) {
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs("usage: pquic-bpf disasm FILE.o\n"
            "\n"
            "Lists the code sections of an eBPF ELF object like llvm-objdump -dr:\n"
            "function labels, instruction numbers, bytes, instructions in clang's\n"
            "syntax and relocations.\n",
            stdout);
      return 0;
    }
    if (argv[i][0] == '-')
      return cli_fail("disasm", "unknown option '%s' (see --help)", argv[i]);
    if (path)
      return cli_fail("disasm", "unexpected argument '%s'", argv[i]);
    path = argv[i];
  }
  if (!path)
    return cli_fail("disasm", "no file (see --help)");
  size_t len;
  uint8_t *data = read_file(path, &len);
  if (!data)
    return cli_fail("disasm", "cannot read '%s'", path);
  pq_bpf_diag diag = {-1, ""};
  int rc = pq_bpf_disasm_elf(data, len, path, stdout, &diag);
  free(data);
  if (rc)
    return cli_fail("disasm", "%s: %s", path, diag.msg[0] ? diag.msg : pquic_strerror(rc));
  return 0;
}
