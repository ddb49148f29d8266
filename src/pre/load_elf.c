/*
 * ELF objects from clang -target bpf: executable sections concatenated into
 * one program, .rodata*, .data*, .bss* laid out as the globals image,
 * relocations applied, function symbols as entry points. Anything else is a
 * load error that names it.
 */
#include <string.h>

#include "common/alloc.h"
#include "pre/elf.h"
#include "pre/prog.h"
#include "pre/scratch.h"

#define NONE32 UINT32_MAX
#define NONE64 UINT64_MAX
#define MAX_ALIGN 4096u

typedef struct loader {
  pq_scratch tmp; /* code_base, data_off, relocated, starts */
  const pq_elf *e;
  const pq_bpf_load_opts *o;
  pq_bpf_diag *d;
  uint32_t *code_base; /* per section: first slot, or NONE32 */
  uint64_t *data_off;  /* per section: offset in the image, or NONE64 */
  pq_bpf_insn *insns;  /* owned by the program once it exists */
  int insns_owned;
  uint32_t n;
  uint8_t *relocated; /* per slot: a relocation set this call */
  uint8_t *image;
  size_t image_size;
  uint32_t *fixups;
  size_t nfixups;
  uint32_t *starts;
  size_t nstarts;
} loader;

#define BAD(...) pq_bpf_diag_set(L->d, -1, PQUIC_ERR_ELF, "ELF: " __VA_ARGS__)

static int has_prefix(const char *s, const char *prefix) {
  size_t n = strlen(prefix);
  return strncmp(s, prefix, n) == 0 && (s[n] == 0 || s[n] == '.');
}

/* Which sections hold code, which globals; sizes and layout. */
static int classify(loader *L) {
  const pq_elf *e = L->e;
  uint64_t slots = 0, off = 0;
  for (uint32_t i = 0; i < e->nsecs; i++) {
    const pq_elf_sec *s = &e->secs[i];
    L->code_base[i] = NONE32;
    L->data_off[i] = NONE64;
    if (!(s->flags & PQ_SHF_ALLOC) || s->size == 0)
      continue;
    if (s->flags & PQ_SHF_EXECINSTR) {
      if (s->type != PQ_SHT_PROGBITS || s->size % 8)
        return BAD("code section '%s' is not a whole number of instructions", s->name);
      L->code_base[i] = (uint32_t)slots;
      slots += s->size / 8;
      if (slots > PQ_BPF_MAX_INSNS)
        return pq_bpf_diag_set(L->d, -1, PQUIC_ERR_VERIFY, "more than %u instructions (rule: size)",
                               PQ_BPF_MAX_INSNS);
      continue;
    }
    if (!has_prefix(s->name, ".rodata") && !has_prefix(s->name, ".data") &&
        !has_prefix(s->name, ".bss"))
      return BAD("unsupported section '%s'", s->name);
    if (s->type != PQ_SHT_PROGBITS && s->type != PQ_SHT_NOBITS)
      return BAD("section '%s' has unsupported type %u", s->name, s->type);
    uint64_t a = s->align ? s->align : 1;
    if (a > MAX_ALIGN || (a & (a - 1)))
      return BAD("section '%s' alignment %llu unsupported", s->name, (unsigned long long)a);
    off = (off + a - 1) & ~(a - 1);
    if (s->size > PQ_BPF_MAX_GLOBALS - off)
      return BAD("globals larger than %u bytes at section '%s'", PQ_BPF_MAX_GLOBALS, s->name);
    L->data_off[i] = off;
    off += s->size;
  }
  L->n = (uint32_t)slots;
  L->image_size = (size_t)off;
  return 0;
}

static int copy_contents(loader *L) {
  const pq_elf *e = L->e;
  /* not zeroed: every slot of every code section is decoded below */
  L->insns = pq_malloc((L->n ? L->n : 1) * sizeof(pq_bpf_insn));
  L->relocated = pq_scratch_calloc(&L->tmp, L->n, 1);
  L->image = pq_calloc(L->image_size ? L->image_size : 1, 1);
  if (!L->insns || !L->relocated || !L->image)
    return PQUIC_ERR_NOMEM;
  for (uint32_t i = 0; i < e->nsecs; i++) {
    const pq_elf_sec *s = &e->secs[i];
    if (L->code_base[i] != NONE32)
      for (uint64_t k = 0; k < s->size / 8; k++)
        L->insns[L->code_base[i] + k] = pq_bpf_decode(s->data + 8 * k);
    if (L->data_off[i] != NONE64 && s->type == PQ_SHT_PROGBITS)
      memcpy(L->image + L->data_off[i], s->data, (size_t)s->size);
  }
  return 0;
}

/* Function symbols: entry points and function starts. */
static int collect_functions(loader *L, pq_bpf_prog *p) {
  const pq_elf *e = L->e;
  L->starts = pq_scratch_calloc(&L->tmp, e->nsyms, sizeof(uint32_t));
  if (!L->starts)
    return PQUIC_ERR_NOMEM;
  for (uint32_t i = 0; i < e->nsyms; i++) {
    const pq_elf_sym *y = &e->syms[i];
    if (y->type != PQ_STT_FUNC)
      continue;
    if (y->shndx == PQ_SHN_UNDEF || y->shndx >= e->nsecs || L->code_base[y->shndx] == NONE32)
      return BAD("function '%s' is not in a code section", y->name);
    const pq_elf_sec *s = &e->secs[y->shndx];
    if (y->value % 8 || y->value >= s->size)
      return BAD("function '%s' at %s+0x%llx is not an instruction", y->name, s->name,
                 (unsigned long long)y->value);
    uint32_t pc = L->code_base[y->shndx] + (uint32_t)(y->value / 8);
    int rc = pq_bpf_prog_add_entry(p, y->name, pc, y->bind != 0); /* not STB_LOCAL */
    if (rc == PQUIC_ERR_EXISTS)
      return BAD("two functions named '%s'", y->name);
    if (rc)
      return rc;
    L->starts[L->nstarts++] = pc;
  }
  return 0;
}

/* The symbol's kind for error messages and checks. */
static const pq_elf_sym *rel_symbol(loader *L, const pq_elf_rel *r, const char *sec, int *err) {
  if (r->sym == 0 || r->sym >= L->e->nsyms) {
    *err = BAD("relocation at %s+0x%llx has bad symbol index %u", sec,
               (unsigned long long)r->offset, r->sym);
    return NULL;
  }
  const pq_elf_sym *y = &L->e->syms[r->sym];
  if (y->shndx >= PQ_SHN_LORESERVE) {
    *err = BAD("symbol '%s' (section 0x%x) unsupported", y->name, y->shndx);
    return NULL;
  }
  return y;
}

/* Offset in the instance region of a global: section + symbol + addend. */
static int global_address(loader *L, const pq_elf_sym *y, const char *where, uint64_t offset,
                          uint64_t addend, uint64_t *out) {
  if (y->shndx == PQ_SHN_UNDEF)
    return BAD("unknown symbol '%s' referenced at %s+0x%llx", y->name, where,
               (unsigned long long)offset);
  if (L->code_base[y->shndx] != NONE32)
    return BAD("address of code '%s' taken at %s+0x%llx (indirect calls unsupported)",
               y->name[0] ? y->name : L->e->secs[y->shndx].name, where, (unsigned long long)offset);
  if (L->data_off[y->shndx] == NONE64)
    return BAD("symbol '%s' in unloaded section '%s' referenced at %s+0x%llx", y->name,
               L->e->secs[y->shndx].name, where, (unsigned long long)offset);
  *out = L->o->globals_offset + L->data_off[y->shndx] + y->value + addend;
  return 0;
}

static int reloc_call(loader *L, const pq_elf_sym *y, uint32_t pc, const char *sec,
                      uint64_t offset) {
  pq_bpf_insn *in = &L->insns[pc];
  if (in->code != (BPF_JMP | BPF_CALL))
    return BAD("R_BPF_64_32 at %s+0x%llx is not on a call", sec, (unsigned long long)offset);
  L->relocated[pc] = 1;
  if (y->shndx == PQ_SHN_UNDEF) {
    int id = pq_bpf_helpers_find(L->o->helpers, y->name);
    if (id < 0)
      return BAD("unknown helper '%s' called at %s+0x%llx", y->name, sec,
                 (unsigned long long)offset);
    in->src = BPF_PSEUDO_HELPER;
    in->imm = id;
    return 0;
  }
  if (L->code_base[y->shndx] == NONE32)
    return BAD("call to non-function '%s' at %s+0x%llx", y->name, sec, (unsigned long long)offset);
  const pq_elf_sec *ts = &L->e->secs[y->shndx];
  int64_t target = (int64_t)L->code_base[y->shndx] + (int64_t)(y->value / 8) + in->imm + 1;
  int64_t lo = L->code_base[y->shndx], hi = lo + (int64_t)(ts->size / 8);
  if (y->value % 8 || target < lo || target >= hi)
    return BAD("call to '%s' at %s+0x%llx lands outside '%s'", y->name, sec,
               (unsigned long long)offset, ts->name);
  in->src = BPF_PSEUDO_CALL;
  in->imm = (int32_t)(target - (int64_t)pc - 1);
  return 0;
}

static int reloc_code(loader *L, uint32_t sidx, const pq_elf_rel *r) {
  const pq_elf_sec *s = &L->e->secs[sidx];
  if (r->offset % 8 || r->offset >= s->size)
    return BAD("relocation offset %s+0x%llx is not an instruction", s->name,
               (unsigned long long)r->offset);
  int err = 0;
  const pq_elf_sym *y = rel_symbol(L, r, s->name, &err);
  if (!y)
    return err;
  uint32_t pc = L->code_base[sidx] + (uint32_t)(r->offset / 8);
  pq_bpf_insn *in = &L->insns[pc];
  if (r->type == PQ_R_BPF_64_32)
    return reloc_call(L, y, pc, s->name, r->offset);
  if (r->type != PQ_R_BPF_64_64)
    return BAD("unsupported relocation %s (type %u) at %s+0x%llx", pq_elf_rel_name(r->type),
               r->type, s->name, (unsigned long long)r->offset);
  if (in->code != BPF_LDDW || in->src != 0 || r->offset + 16 > s->size)
    return BAD("R_BPF_64_64 at %s+0x%llx is not on an lddw", s->name,
               (unsigned long long)r->offset);
  uint64_t v = 0;
  err = global_address(L, y, s->name, r->offset, pq_bpf_lddw_imm(in), &v);
  if (err)
    return err;
  in->src = PQ_BPF_PSEUDO_REGION;
  in[0].imm = (int32_t)(uint32_t)v;
  in[1].imm = (int32_t)(uint32_t)(v >> 32);
  return 0;
}

static int reloc_data(loader *L, uint32_t sidx, const pq_elf_rel *r) {
  const pq_elf_sec *s = &L->e->secs[sidx];
  if (r->type != PQ_R_BPF_64_ABS64)
    return BAD("unsupported relocation %s (type %u) at %s+0x%llx", pq_elf_rel_name(r->type),
               r->type, s->name, (unsigned long long)r->offset);
  if (s->type == PQ_SHT_NOBITS || r->offset > s->size || s->size - r->offset < 8)
    return BAD("relocation outside '%s' at 0x%llx", s->name, (unsigned long long)r->offset);
  int err = 0;
  const pq_elf_sym *y = rel_symbol(L, r, s->name, &err);
  if (!y)
    return err;
  uint8_t *field = L->image + L->data_off[sidx] + r->offset;
  uint64_t addend, v = 0;
  memcpy(&addend, field, 8);
  err = global_address(L, y, s->name, r->offset, addend, &v);
  if (err)
    return err;
  memcpy(field, &v, 8); /* rebased on the region by pq_bpf_prog_globals_init */
  L->fixups[L->nfixups++] = (uint32_t)(L->data_off[sidx] + r->offset);
  return 0;
}

static int apply_relocations(loader *L) {
  const pq_elf *e = L->e;
  size_t total = 0;
  for (uint32_t i = 0; i < e->nsecs; i++)
    if (e->secs[i].type == PQ_SHT_REL)
      total += (size_t)(e->secs[i].size / 16);
  L->fixups = pq_calloc(total ? total : 1, sizeof(uint32_t));
  if (!L->fixups)
    return PQUIC_ERR_NOMEM;
  for (uint32_t i = 0; i < e->nsecs; i++) {
    const pq_elf_sec *rs = &e->secs[i];
    if (rs->type != PQ_SHT_REL && rs->type != PQ_SHT_RELA)
      continue;
    uint32_t t = rs->info;
    int code = t < e->nsecs && L->code_base[t] != NONE32;
    int data = t < e->nsecs && L->data_off[t] != NONE64;
    if (!code && !data)
      continue; /* debug information and BTF: not loaded */
    if (rs->type == PQ_SHT_RELA)
      return BAD("RELA section '%s' unsupported", rs->name);
    if (rs->link != e->symtab || rs->size % 16)
      return BAD("malformed relocation section '%s'", rs->name);
    for (uint64_t k = 0; k < rs->size / 16; k++) {
      pq_elf_rel r = pq_elf_rel_at(rs, k);
      int rc = code ? reloc_code(L, t, &r) : reloc_data(L, t, &r);
      if (rc)
        return rc;
    }
  }
  return 0;
}

/* Calls not relocated were resolved by the assembler inside their section. */
static int check_local_calls(loader *L) {
  const pq_elf *e = L->e;
  for (uint32_t i = 0; i < e->nsecs; i++) {
    if (L->code_base[i] == NONE32)
      continue;
    int64_t lo = L->code_base[i], hi = lo + (int64_t)(e->secs[i].size / 8);
    for (int64_t pc = lo; pc < hi; pc++) {
      const pq_bpf_insn *in = &L->insns[pc];
      if (L->relocated[pc] || !pq_bpf_is_local_call(in))
        continue;
      int64_t t = pc + 1 + in->imm;
      if (t < lo || t >= hi)
        return BAD("call at %s+0x%llx leaves its section", e->secs[i].name,
                   (unsigned long long)((pc - lo) * 8));
    }
  }
  return 0;
}

static int load(loader *L, pq_bpf_prog **out) {
  int rc = classify(L);
  if (!rc)
    rc = copy_contents(L);
  if (rc)
    return rc;
  if (L->n == 0)
    return BAD("no code");
  pq_bpf_prog *p = pq_bpf_prog_new(L->insns, L->n);
  if (!p)
    return PQUIC_ERR_NOMEM;
  L->insns_owned = 1;
  rc = collect_functions(L, p);
  if (!rc)
    rc = apply_relocations(L);
  if (!rc)
    rc = check_local_calls(L);
  if (rc) {
    pq_bpf_prog_del(p);
    return rc;
  }
  p->globals = L->image;
  p->globals_size = L->image_size;
  p->globals_off = L->o->globals_offset;
  p->ptr_fixups = L->fixups;
  p->nptr_fixups = L->nfixups;
  L->image = NULL;
  L->fixups = NULL;
  return pq_bpf_prog_finish(p, L->starts, L->nstarts, L->o, out);
}

int pq_bpf_load_elf(const uint8_t *data, size_t len, const pq_bpf_load_opts *opts,
                    pq_bpf_prog **out) {
  static const pq_bpf_load_opts none;
  const pq_bpf_load_opts *o = opts ? opts : &none;
  if (!out || !data)
    return PQUIC_ERR_INVAL;
  *out = NULL;
  if (o->globals_offset % 8)
    return pq_bpf_diag_set(o->diag, -1, PQUIC_ERR_INVAL, "globals offset not 8-byte aligned");
  pq_elf e;
  int rc = pq_elf_parse(data, len, &e, o->diag);
  if (rc)
    return rc;
  loader L;
  memset(&L, 0, sizeof(L));
  L.e = &e;
  L.o = o;
  L.d = o->diag;
  pq_scratch_init(&L.tmp);
  L.code_base = pq_scratch_calloc(&L.tmp, e.nsecs, sizeof(uint32_t));
  L.data_off = pq_scratch_calloc(&L.tmp, e.nsecs, sizeof(uint64_t));
  rc = L.code_base && L.data_off ? load(&L, out) : PQUIC_ERR_NOMEM;
  pq_scratch_free(&L.tmp);
  if (!L.insns_owned)
    pq_free(L.insns);
  pq_free(L.image);
  pq_free(L.fixups);
  pq_elf_free(&e);
  return rc;
}
