/* ELF64 little-endian reader, every offset checked against the file size. */
#include <string.h>

#include "common/alloc.h"
#include "pre/elf.h"
#include "pre/prog.h"

#define EM_BPF 247
#define ET_REL 1
#define SHDR_SIZE 64
#define SYM_SIZE 24

static uint16_t rd16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}
static uint64_t rd64(const uint8_t *p) {
  return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

#define BAD(...) pq_bpf_diag_set(d, -1, PQUIC_ERR_ELF, "ELF: " __VA_ARGS__)

/* A NUL-terminated name at `off` in string section `strsec`, or NULL. */
static const char *name_at(const pq_elf *e, uint32_t strsec, uint64_t off) {
  if (strsec >= e->nsecs || e->secs[strsec].type != PQ_SHT_STRTAB || !e->secs[strsec].data)
    return NULL;
  const pq_elf_sec *s = &e->secs[strsec];
  if (off >= s->size || !memchr(s->data + off, 0, s->size - off))
    return NULL;
  return (const char *)s->data + off;
}

static int parse_header(const uint8_t *b, size_t len, uint64_t *shoff, uint32_t *shnum,
                        uint32_t *shstrndx, pq_bpf_diag *d) {
  if (len < 64 || memcmp(b, "\177ELF", 4) != 0)
    return BAD("not an ELF file");
  if (b[4] != 2 || b[5] != 1)
    return BAD("not a 64-bit little-endian object");
  if (b[6] != 1)
    return BAD("ELF version %u unsupported", b[6]);
  if (rd16(b + 16) != ET_REL)
    return BAD("type %u is not a relocatable object", rd16(b + 16));
  if (rd16(b + 18) != EM_BPF)
    return BAD("machine %u is not eBPF", rd16(b + 18));
  *shoff = rd64(b + 40);
  *shnum = rd16(b + 60);
  *shstrndx = rd16(b + 62);
  if (rd16(b + 58) != SHDR_SIZE)
    return BAD("section header size %u, expected 64", rd16(b + 58));
  if (*shnum == 0 || *shoff > len || (uint64_t)*shnum * SHDR_SIZE > len - *shoff)
    return BAD("section headers outside the file");
  if (*shstrndx >= *shnum)
    return BAD("section name table index %u out of range", *shstrndx);
  return 0;
}

static int parse_sections(const uint8_t *b, size_t len, uint64_t shoff, uint32_t shstrndx,
                          pq_elf *e, pq_bpf_diag *d) {
  for (uint32_t i = 0; i < e->nsecs; i++) {
    const uint8_t *h = b + shoff + (uint64_t)i * SHDR_SIZE;
    pq_elf_sec *s = &e->secs[i];
    s->type = rd32(h + 4);
    s->flags = rd64(h + 8);
    uint64_t off = rd64(h + 24);
    s->size = rd64(h + 32);
    s->link = rd32(h + 40);
    s->info = rd32(h + 44);
    s->align = rd64(h + 48);
    if (i == 0 && s->type != 0) /* SHT_NULL: nothing refers to its (absent) contents */
      return BAD("section 0 is not the null section");
    if (s->type != PQ_SHT_NOBITS && i != 0) {
      if (off > len || s->size > len - off)
        return BAD("section %u lies outside the file", i);
      s->data = b + off;
    }
  }
  for (uint32_t i = 0; i < e->nsecs; i++) {
    const uint8_t *h = b + shoff + (uint64_t)i * SHDR_SIZE;
    e->secs[i].name = name_at(e, shstrndx, rd32(h));
    if (!e->secs[i].name)
      return BAD("section %u has no valid name", i);
  }
  return 0;
}

static int parse_symbols(pq_elf *e, pq_bpf_diag *d) {
  for (uint32_t i = 1; i < e->nsecs; i++) {
    if (e->secs[i].type != PQ_SHT_SYMTAB)
      continue;
    if (e->symtab)
      return BAD("more than one symbol table");
    e->symtab = i;
  }
  if (!e->symtab)
    return 0;
  const pq_elf_sec *st = &e->secs[e->symtab];
  if (st->size % SYM_SIZE)
    return BAD("symbol table size %llu not a multiple of 24", (unsigned long long)st->size);
  e->nsyms = (uint32_t)(st->size / SYM_SIZE);
  if (st->size / SYM_SIZE > UINT32_MAX)
    return BAD("too many symbols");
  e->syms = pq_calloc(e->nsyms ? e->nsyms : 1, sizeof(pq_elf_sym));
  if (!e->syms)
    return PQUIC_ERR_NOMEM;
  for (uint32_t i = 0; i < e->nsyms; i++) {
    const uint8_t *p = st->data + (uint64_t)i * SYM_SIZE;
    pq_elf_sym *y = &e->syms[i];
    y->name = name_at(e, st->link, rd32(p));
    if (!y->name)
      return BAD("symbol %u has no valid name", i);
    y->type = p[4] & 0xf;
    y->bind = p[4] >> 4;
    y->shndx = rd16(p + 6);
    y->value = rd64(p + 8);
    y->size = rd64(p + 16);
    if (y->shndx && y->shndx < PQ_SHN_LORESERVE && y->shndx >= e->nsecs)
      return BAD("symbol '%s' in section %u out of range", y->name, y->shndx);
  }
  return 0;
}

int pq_elf_parse(const uint8_t *data, size_t len, pq_elf *e, pq_bpf_diag *d) {
  memset(e, 0, sizeof(*e));
  uint64_t shoff = 0;
  uint32_t shnum = 0, shstrndx = 0;
  if (!data)
    return BAD("no data");
  int rc = parse_header(data, len, &shoff, &shnum, &shstrndx, d);
  if (rc)
    return rc;
  e->secs = pq_calloc(shnum, sizeof(pq_elf_sec));
  if (!e->secs)
    return PQUIC_ERR_NOMEM;
  e->nsecs = shnum;
  rc = parse_sections(data, len, shoff, shstrndx, e, d);
  if (!rc)
    rc = parse_symbols(e, d);
  if (rc)
    pq_elf_free(e);
  return rc;
}

void pq_elf_free(pq_elf *e) {
  pq_free(e->secs);
  pq_free(e->syms);
  memset(e, 0, sizeof(*e));
}

pq_elf_rel pq_elf_rel_at(const pq_elf_sec *sec, uint64_t i) {
  const uint8_t *p = sec->data + i * 16;
  uint64_t info = rd64(p + 8);
  pq_elf_rel r = {rd64(p), (uint32_t)(info >> 32), (uint32_t)info};
  return r;
}

const char *pq_elf_rel_name(uint32_t type) {
  switch (type) {
  case PQ_R_BPF_NONE:
    return "R_BPF_NONE";
  case PQ_R_BPF_64_64:
    return "R_BPF_64_64";
  case PQ_R_BPF_64_ABS64:
    return "R_BPF_64_ABS64";
  case PQ_R_BPF_64_ABS32:
    return "R_BPF_64_ABS32";
  case PQ_R_BPF_64_NODYLD32:
    return "R_BPF_64_NODYLD32";
  case PQ_R_BPF_64_32:
    return "R_BPF_64_32";
  default:
    return "unknown";
  }
}
