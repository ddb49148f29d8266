/* Demonstration helpers available to `pquic-bpf run` programs. */
#include "cli.h"

/* sum5(a..e): a + b + c + d + e */
static uint64_t h_sum5(pq_bpf_env *env, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                       uint64_t e) {
  (void)env;
  return a + b + c + d + e;
}

/* fault(x): stops the program with a helper fault reporting address x */
static uint64_t h_fault(pq_bpf_env *env, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                        uint64_t e) {
  (void)b, (void)c, (void)d, (void)e;
  pq_bpf_env_fault(env, a);
  return 0;
}

/* memsum(ptr, len): sum of the bytes of a buffer the program may read */
static uint64_t h_memsum(pq_bpf_env *env, uint64_t ptr, uint64_t len, uint64_t c, uint64_t d,
                         uint64_t e) {
  (void)c, (void)d, (void)e;
  const uint8_t *p = pq_bpf_env_check(env, ptr, len, PQ_BPF_REGION_READ);
  if (!p) {
    pq_bpf_env_fault(env, ptr);
    return 0;
  }
  uint64_t s = 0;
  for (uint64_t i = 0; i < len; i++)
    s += p[i];
  return s;
}

int cli_helpers_add(pq_bpf_helpers *h) {
  int rc = pq_bpf_helpers_add(h, 1, "sum5", h_sum5);
  if (!rc)
    rc = pq_bpf_helpers_add(h, 2, "fault", h_fault);
  if (!rc)
    rc = pq_bpf_helpers_add(h, 3, "memsum", h_memsum);
  return rc;
}
