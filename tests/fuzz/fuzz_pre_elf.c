/*
 * The ELF loader and the disassembler on arbitrary bytes: never a crash, an
 * out-of-bounds read or a leak; an object that loads runs on both engines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pre/bpf.h"
#include "pre/disasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t h_any(pq_bpf_env *env, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e) {
  (void)env;
  return a + b + c + d + e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t region[1 << 16] __attribute__((aligned(16)));
  pq_bpf_helpers *h = pq_bpf_helpers_new();
  if (!h || pq_bpf_helpers_add(h, 1, "sum", h_any) || pq_bpf_helpers_add(h, 2, "fill", h_any))
    abort();
  pq_bpf_prog *p = NULL;
  pq_bpf_diag d = {-1, ""};
  pq_bpf_load_opts o = {.helpers = h, .globals_offset = 64, .flags = PQ_BPF_LOAD_JIT, .diag = &d};
  int rc = pq_bpf_load_elf(data, size, &o, &p);
  if (rc == 0) {
    size_t need = pq_bpf_prog_globals_offset(p) + pq_bpf_prog_globals_size(p);
    if (need + 4096 <= sizeof(region)) {
      for (size_t e = 0; e < pq_bpf_prog_entry_count(p); e++) {
        memset(region, 0, sizeof(region));
        if (pq_bpf_prog_globals_init(p, region, sizeof(region)))
          abort();
        pq_bpf_instance inst = {region, sizeof(region), sizeof(region) - 4096, sizeof(region)};
        pq_bpf_run_args a = {.budget = 20000, .engine = PQ_BPF_ENGINE_INTERP};
        pq_bpf_run(p, e, &inst, &a, NULL, NULL);
        a.engine = PQ_BPF_ENGINE_JIT;
        pq_bpf_run(p, e, &inst, &a, NULL, NULL);
      }
    }
  } else if (rc != PQUIC_ERR_ELF && rc != PQUIC_ERR_VERIFY && rc != PQUIC_ERR_NOMEM) {
    abort();
  }
  pq_bpf_prog_del(p);
  pq_bpf_helpers_del(h);
  FILE *f = fopen("/dev/null", "w");
  if (f) {
    pq_bpf_disasm_elf(data, size, "fuzz", f, NULL);
    fclose(f);
  }
  return 0;
}
