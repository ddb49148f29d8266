/* pre/jit_arena.h - pages for JIT code, reused across programs (W^X). */
#ifndef PQ_PRE_JIT_ARENA_H
#define PQ_PRE_JIT_ARENA_H

#include <stddef.h>

/* Read+write pages for `len` bytes of code; *size is what was reserved.
 * NULL when out of memory. Thread-safe. */
void *pq_jit_arena_alloc(size_t len, size_t *size);

/* Keeps the pages holding the first len bytes of an allocation of size
 * bytes not sealed yet and gives back the others (they stay read+write).
 * Returns the size kept (a program's own mapping stays whole). */
size_t pq_jit_arena_trim(void *p, size_t size, size_t len);

/* Makes the pages read+execute (no longer writable). Returns 0 or -1. */
int pq_jit_arena_seal(void *p, size_t size);

/* Gives the pages back (made read+write again, not executable). */
void pq_jit_arena_free(void *p, size_t size);

#endif
