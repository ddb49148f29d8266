/* x86-64 JIT: not yet. */
#include "pre/jit.h"

int pq_jit_supported(void) {
  return 0;
}
int pq_jit_compile(const pq_bpf_prog *p, pq_jit **out) {
  (void)p;
  *out = NULL;
  return PQUIC_ERR_UNSUPPORTED;
}
void pq_jit_free(pq_jit *j) {
  (void)j;
}
int pq_jit_run(const pq_bpf_prog *p, uint32_t func, pq_run *r) {
  (void)p;
  (void)func;
  (void)r;
  return PQUIC_ERR_UNSUPPORTED;
}
size_t pq_jit_code_size(const pq_jit *j) {
  (void)j;
  return 0;
}
