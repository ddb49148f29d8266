/* An llvm-objdump -dr style listing of the code sections of an object. */
#include <inttypes.h>
#include <string.h>

#include "pre/disasm.h"
#include "pre/elf.h"
#include "pre/prog.h"

/* Labels (functions, local labels) at byte offset `off` of section `sec`. */
static void print_labels(const pq_elf *e, uint32_t sec, uint64_t off, FILE *out) {
  for (uint32_t i = 1; i < e->nsyms; i++) {
    const pq_elf_sym *y = &e->syms[i];
    if (y->shndx != sec || y->value != off || !y->name[0] || y->type == PQ_STT_SECTION)
      continue;
    if (y->type != PQ_STT_FUNC && y->type != PQ_STT_NOTYPE)
      continue;
    fprintf(out, "\n%016" PRIx64 " <%s>:\n", off, y->name);
  }
}

/* " <label>" for a jump target at byte offset `off`, or "". */
static const char *target_label(const pq_elf *e, uint32_t sec, int64_t off, char *buf, size_t len) {
  buf[0] = 0;
  for (uint32_t i = 1; i < e->nsyms && off >= 0; i++) {
    const pq_elf_sym *y = &e->syms[i];
    if (y->shndx == sec && y->value == (uint64_t)off && y->name[0] &&
        (y->type == PQ_STT_FUNC || y->type == PQ_STT_NOTYPE)) {
      snprintf(buf, len, " <%s>", y->name);
      break;
    }
  }
  return buf;
}

/* Relocation lines for the slot at `off` of section `sec`. */
static void print_relocs(const pq_elf *e, uint32_t sec, uint64_t off, FILE *out) {
  for (uint32_t i = 1; i < e->nsecs; i++) {
    const pq_elf_sec *rs = &e->secs[i];
    if (rs->type != PQ_SHT_REL || rs->info != sec || rs->size % 16)
      continue;
    for (uint64_t k = 0; k < rs->size / 16; k++) {
      pq_elf_rel r = pq_elf_rel_at(rs, k);
      if (r.offset != off)
        continue;
      const char *name = r.sym < e->nsyms ? e->syms[r.sym].name : "?";
      if (r.sym < e->nsyms && e->syms[r.sym].type == PQ_STT_SECTION &&
          e->syms[r.sym].shndx < e->nsecs)
        name = e->secs[e->syms[r.sym].shndx].name;
      fprintf(out, "\t\t%016" PRIx64 ":  %s\t%s\n", off, pq_elf_rel_name(r.type), name);
    }
  }
}

static void print_section(const pq_elf *e, uint32_t sec, FILE *out) {
  const pq_elf_sec *s = &e->secs[sec];
  fprintf(out, "\nDisassembly of section %s:\n", s->name);
  uint64_t n = s->size / 8;
  for (uint64_t k = 0; k < n; k++) {
    print_labels(e, sec, k * 8, out);
    pq_bpf_insn in = pq_bpf_decode(s->data + 8 * k);
    int wide = in.code == BPF_LDDW && k + 1 < n;
    pq_bpf_insn next = wide ? pq_bpf_decode(s->data + 8 * (k + 1)) : in;
    char text[128], label[80];
    pq_bpf_disasm_insn(&in, wide ? &next : NULL, text, sizeof(text));
    if (pq_bpf_is_jump(&in))
      target_label(e, sec, pq_bpf_jump_target(&in, (uint32_t)k) * 8, label, sizeof(label));
    else
      label[0] = 0;
    fprintf(out, "%8" PRIu64 ":\t", k);
    for (unsigned b = 0; b < (wide ? 16u : 8u); b++)
      fprintf(out, b ? " %02x" : "%02x", s->data[8 * k + b]);
    fprintf(out, "\t%s%s\n", text, label);
    print_relocs(e, sec, k * 8, out);
    k += (uint64_t)wide;
  }
}

int pq_bpf_disasm_elf(const uint8_t *data, size_t len, const char *name, FILE *out,
                      pq_bpf_diag *diag) {
  if (!data || !out)
    return PQUIC_ERR_INVAL;
  pq_elf e;
  int rc = pq_elf_parse(data, len, &e, diag);
  if (rc)
    return rc;
  fprintf(out, "\n%s:\tfile format elf64-bpf\n", name ? name : "object");
  for (uint32_t i = 1; i < e.nsecs; i++) {
    const pq_elf_sec *s = &e.secs[i];
    if ((s->flags & PQ_SHF_EXECINSTR) && s->type == PQ_SHT_PROGBITS && s->size >= 8)
      print_section(&e, i, out);
  }
  pq_elf_free(&e);
  return 0;
}
