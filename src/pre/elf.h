/*
 * pre/elf.h - a bounds-checked reader of relocatable eBPF ELF objects
 * (ELF64, little-endian, ET_REL, EM_BPF). Only what the loader and the
 * disassembler need: sections, symbols, REL entries.
 */
#ifndef PQ_PRE_ELF_H
#define PQ_PRE_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "pre/bpf.h"

enum {
  PQ_SHT_PROGBITS = 1,
  PQ_SHT_SYMTAB = 2,
  PQ_SHT_STRTAB = 3,
  PQ_SHT_RELA = 4,
  PQ_SHT_NOBITS = 8,
  PQ_SHT_REL = 9,
};
enum { PQ_SHF_WRITE = 1, PQ_SHF_ALLOC = 2, PQ_SHF_EXECINSTR = 4 };
enum { PQ_STT_NOTYPE = 0, PQ_STT_OBJECT = 1, PQ_STT_FUNC = 2, PQ_STT_SECTION = 3 };
enum { PQ_SHN_UNDEF = 0, PQ_SHN_LORESERVE = 0xff00 };
enum {
  PQ_R_BPF_NONE = 0,
  PQ_R_BPF_64_64 = 1,
  PQ_R_BPF_64_ABS64 = 2,
  PQ_R_BPF_64_ABS32 = 3,
  PQ_R_BPF_64_NODYLD32 = 4,
  PQ_R_BPF_64_32 = 10,
};

typedef struct pq_elf_sec {
  const char *name;
  uint32_t type;
  uint64_t flags;
  uint64_t size;
  uint64_t align;
  uint32_t link;
  uint32_t info;
  const uint8_t *data; /* size bytes inside the object; NULL for NOBITS */
} pq_elf_sec;

typedef struct pq_elf_sym {
  const char *name; /* "" when unnamed */
  uint64_t value;
  uint64_t size;
  uint16_t shndx;
  uint8_t type;
  uint8_t bind;
} pq_elf_sym;

typedef struct pq_elf_rel {
  uint64_t offset;
  uint32_t sym;
  uint32_t type;
} pq_elf_rel;

typedef struct pq_elf {
  pq_elf_sec *secs;
  uint32_t nsecs;
  pq_elf_sym *syms;
  uint32_t nsyms;
  uint32_t symtab; /* section index of the symbol table, 0 if none */
} pq_elf;

/* Parses and checks an object: header, every section inside the file, names
 * NUL-terminated inside their string table, one symbol table. Errors: ELF
 * (diag says what), NOMEM. The result points into `data`. */
int pq_elf_parse(const uint8_t *data, size_t len, pq_elf *e, pq_bpf_diag *d);
void pq_elf_free(pq_elf *e);

/* Entry i of REL section `sec` (i < size / 16). */
pq_elf_rel pq_elf_rel_at(const pq_elf_sec *sec, uint64_t i);

/* "R_BPF_64_64" or "unknown". */
const char *pq_elf_rel_name(uint32_t type);

#endif
