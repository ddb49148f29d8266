/* ELF objects: not yet. */
#include "pre/prog.h"

int pq_bpf_load_elf(const uint8_t *data, size_t len, const pq_bpf_load_opts *opts,
                    pq_bpf_prog **out) {
  (void)data;
  (void)len;
  (void)opts;
  if (out)
    *out = NULL;
  return PQUIC_ERR_UNSUPPORTED;
}
