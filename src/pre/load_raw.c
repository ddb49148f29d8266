/* Raw programs: little-endian instruction slots, one entry "main" at 0. */
#include "common/alloc.h"
#include "pre/prog.h"

int pq_bpf_load_raw(const uint8_t *insns, size_t len, const pq_bpf_load_opts *opts,
                    pq_bpf_prog **out) {
  static const pq_bpf_load_opts none;
  const pq_bpf_load_opts *o = opts ? opts : &none;
  if (!out || (!insns && len))
    return PQUIC_ERR_INVAL;
  *out = NULL;
  if (len % 8)
    return pq_bpf_diag_set(o->diag, -1, PQUIC_ERR_INVAL,
                           "%zu bytes is not a whole number of instructions", len);
  if (len / 8 > PQ_BPF_MAX_INSNS)
    return pq_bpf_diag_set(o->diag, -1, PQUIC_ERR_VERIFY,
                           "%zu instructions, at most %u (rule: size)", len / 8, PQ_BPF_MAX_INSNS);
  size_t n = len / 8;
  pq_bpf_insn *in = pq_calloc(n ? n : 1, sizeof(pq_bpf_insn));
  if (!in)
    return PQUIC_ERR_NOMEM;
  for (size_t i = 0; i < n; i++)
    in[i] = pq_bpf_decode(insns + 8 * i);
  pq_bpf_prog *p = pq_bpf_prog_new(in, (uint32_t)n);
  if (!p) {
    pq_free(in);
    return PQUIC_ERR_NOMEM;
  }
  p->globals_off = o->globals_offset;
  int rc = n ? pq_bpf_prog_add_entry(p, "main", 0, 1) : 0;
  if (rc) {
    pq_bpf_prog_del(p);
    return rc;
  }
  return pq_bpf_prog_finish(p, NULL, 0, o, out);
}
