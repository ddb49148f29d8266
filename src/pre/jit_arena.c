/*
 * Executable memory for JIT code. Mapping, first-touch faults and unmapping
 * cost more than compiling a small program, so pages come from 256 KiB
 * chunks mapped once per process (prefaulted) and are reused: a program gets
 * whole pages, written while read+write, then made read+execute; freeing
 * makes them read+write again for the next program. A page is never
 * writable and executable at once (W^X). Programs larger than a chunk get
 * their own mapping.
 */
#include "pre/jit_arena.h"

#if defined(__x86_64__)

#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#include "common/alloc.h"

#define PAGE 4096u
#define CHUNK_PAGES 64u
#define CHUNK_BYTES ((size_t)CHUNK_PAGES * PAGE)

typedef struct chunk {
  uint8_t *base;
  uint64_t used; /* bit i: page i is handed out */
} chunk;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static chunk *g_chunks;
static size_t g_nchunks, g_capchunks;

/* First run of n free pages in c, or -1. */
static int find_run(const chunk *c, unsigned n) {
  uint64_t want = n == 64 ? UINT64_MAX : (1ull << n) - 1;
  for (unsigned i = 0; i + n <= CHUNK_PAGES; i++)
    if (!(c->used & (want << i)))
      return (int)i;
  return -1;
}

static chunk *new_chunk(void) {
  if (g_nchunks == g_capchunks) {
    size_t cap = g_capchunks ? g_capchunks * 2 : 8;
    chunk *n = pq_realloc(g_chunks, cap * sizeof(*n));
    if (!n)
      return NULL;
    g_chunks = n;
    g_capchunks = cap;
  }
  void *m = mmap(NULL, CHUNK_BYTES, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (m == MAP_FAILED)
    return NULL;
  g_chunks[g_nchunks] = (chunk){m, 0};
  return &g_chunks[g_nchunks++];
}

void *pq_jit_arena_alloc(size_t len, size_t *size) {
  size_t pages = (len + PAGE - 1) / PAGE;
  if (pages == 0)
    pages = 1;
  *size = pages * PAGE;
  if (pages > CHUNK_PAGES) {
    void *m = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return m == MAP_FAILED ? NULL : m;
  }
  void *out = NULL;
  pthread_mutex_lock(&g_lock);
  for (size_t i = 0; i <= g_nchunks && !out; i++) {
    chunk *c = i < g_nchunks ? &g_chunks[i] : new_chunk();
    if (!c)
      break;
    int at = find_run(c, (unsigned)pages);
    if (at < 0)
      continue;
    uint64_t bits = pages == 64 ? UINT64_MAX : ((1ull << pages) - 1) << at;
    c->used |= bits;
    out = c->base + (size_t)at * PAGE;
  }
  pthread_mutex_unlock(&g_lock);
  return out;
}

size_t pq_jit_arena_trim(void *p, size_t size, size_t len) {
  size_t keep = len ? (len + PAGE - 1) / PAGE * PAGE : PAGE;
  if (!p || keep >= size)
    return size;
  uint8_t *q = (uint8_t *)p + keep;
  if (size > CHUNK_BYTES) { /* its own mapping: freeing tells them apart by size */
    if (keep <= CHUNK_BYTES)
      return size;
    munmap(q, size - keep);
    return keep;
  }
  pthread_mutex_lock(&g_lock);
  for (size_t i = 0; i < g_nchunks; i++) {
    chunk *c = &g_chunks[i];
    if (q < c->base || q >= c->base + CHUNK_BYTES)
      continue;
    size_t at = (size_t)(q - c->base) / PAGE, pages = (size - keep) / PAGE;
    c->used &= ~(pages == 64 ? UINT64_MAX : ((1ull << pages) - 1) << at);
    break;
  }
  pthread_mutex_unlock(&g_lock);
  return keep;
}

int pq_jit_arena_seal(void *p, size_t size) {
  return mprotect(p, size, PROT_READ | PROT_EXEC) == 0 ? 0 : -1;
}

void pq_jit_arena_free(void *p, size_t size) {
  if (!p)
    return;
  if (size > CHUNK_BYTES) {
    munmap(p, size);
    return;
  }
  pthread_mutex_lock(&g_lock);
  for (size_t i = 0; i < g_nchunks; i++) {
    chunk *c = &g_chunks[i];
    uint8_t *q = p;
    if (q < c->base || q >= c->base + CHUNK_BYTES)
      continue;
    /* writable again (and no longer executable) before anyone reuses it */
    if (mprotect(p, size, PROT_READ | PROT_WRITE) == 0) {
      size_t at = (size_t)(q - c->base) / PAGE, pages = size / PAGE;
      uint64_t bits = pages == 64 ? UINT64_MAX : ((1ull << pages) - 1) << at;
      c->used &= ~bits;
    }
    break;
  }
  pthread_mutex_unlock(&g_lock);
}

#endif
