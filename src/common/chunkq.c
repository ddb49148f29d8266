#include "common/chunkq.h"

#include <string.h>

#include "common/alloc.h"
#include "pquic/errors.h"

#define CS ((uint64_t)PQ_CHUNK_SIZE)
#define MIN_CHUNK0 64u
/* Bound on descriptors (16 bytes each): 2^26 chunks = 1 TiB of offsets. */
#define MAX_ENTRIES (1u << 26)

static pq_chunk *entry(const pq_chunkq *q, uint64_t k) {
  return &q->v[q->head + (uint32_t)(k - q->base)];
}

/* Memory for chunk k to hold `need` bytes, growing from `cur`. */
static uint32_t chunk_bytes(uint64_t k, uint32_t need, uint32_t cur) {
  if (k > 0)
    return PQ_CHUNK_SIZE;
  uint32_t c = MIN_CHUNK0;
  while (c < need || c < 2 * cur)
    c *= 2;
  return c > PQ_CHUNK_SIZE ? PQ_CHUNK_SIZE : c;
}

void pq_chunkq_init(pq_chunkq *q) {
  memset(q, 0, sizeof(*q));
}

void pq_chunkq_clear(pq_chunkq *q) {
  for (uint32_t i = 0; i < q->n; i++)
    pq_free(q->v[q->head + i].mem);
  q->head = 0;
  q->n = 0;
  q->allocated = 0;
}

void pq_chunkq_free(pq_chunkq *q) {
  pq_chunkq_clear(q);
  pq_free(q->v);
  pq_chunkq_init(q);
}

/* Makes the descriptors cover chunk numbers [nb, nb + new_n) ⊇ the current
 * ones, `front` = base - nb new ones before them; new descriptors are empty. */
static int cover(pq_chunkq *q, uint64_t nb, uint64_t new_n) {
  uint32_t front = (uint32_t)(q->base - nb);
  if (q->head >= front && q->head - front + new_n <= q->cap) {
    q->head -= front;
  } else if (new_n <= q->cap - q->cap / 4) {
    /* Fits once the released front is reclaimed: amortised O(1) because a
     * quarter of the array is then free. */
    memmove(q->v + front, q->v + q->head, (size_t)q->n * sizeof(pq_chunk));
    q->head = 0;
  } else {
    uint64_t cap = q->cap * 2ull;
    if (cap < new_n)
      cap = new_n;
    if (cap < 8)
      cap = 8;
    pq_chunk *v = pq_malloc((size_t)cap * sizeof(pq_chunk));
    if (!v)
      return PQUIC_ERR_NOMEM;
    if (q->n)
      memcpy(v + front, q->v + q->head, (size_t)q->n * sizeof(pq_chunk));
    pq_free(q->v);
    q->v = v;
    q->cap = (uint32_t)cap;
    q->head = 0;
  }
  memset(q->v + q->head, 0, (size_t)front * sizeof(pq_chunk));
  memset(q->v + q->head + front + q->n, 0, (size_t)(new_n - front - q->n) * sizeof(pq_chunk));
  q->base = nb;
  q->n = (uint32_t)new_n;
  return 0;
}

int pq_chunkq_reserve(pq_chunkq *q, uint64_t off, uint64_t len) {
  if (len == 0)
    return 0;
  if (off > UINT64_MAX - len)
    return PQUIC_ERR_INVAL;
  uint64_t end = off + len;
  uint64_t k0 = off >> PQ_CHUNK_SHIFT, k1 = (end - 1) >> PQ_CHUNK_SHIFT;
  if (q->n == 0)
    q->base = k0;
  uint64_t nb = k0 < q->base ? k0 : q->base;
  uint64_t ne = k1 + 1 > q->base + q->n ? k1 + 1 : q->base + q->n;
  if (ne - nb > MAX_ENTRIES)
    return PQUIC_ERR_LIMIT;
  int err = cover(q, nb, ne - nb);
  if (err)
    return err;
  for (uint64_t k = k0; k <= k1; k++) {
    uint32_t need = k == k1 ? (uint32_t)(((end - 1) & (CS - 1)) + 1) : PQ_CHUNK_SIZE;
    pq_chunk *e = entry(q, k);
    if (e->cap >= need)
      continue;
    uint32_t sz = chunk_bytes(k, need, e->cap);
    uint8_t *mem = e->mem ? pq_realloc(e->mem, sz) : pq_malloc(sz);
    if (!mem) {
      err = PQUIC_ERR_NOMEM;
      break;
    }
    e->fresh = e->mem == NULL;
    q->allocated += sz - e->cap;
    e->mem = mem;
    e->cap = sz;
  }
  /* On failure free what this call allocated (a grown chunk may stay grown,
   * and the descriptors stay: empty ones are harmless). */
  for (uint64_t k = k0; k <= k1; k++) {
    pq_chunk *e = entry(q, k);
    if (err && e->fresh) {
      pq_free(e->mem);
      q->allocated -= e->cap;
      e->mem = NULL;
      e->cap = 0;
    }
    e->fresh = 0;
  }
  return err;
}

void pq_chunkq_write(pq_chunkq *q, uint64_t off, const void *data, size_t len) {
  const uint8_t *src = data;
  while (len > 0) {
    uint32_t in = (uint32_t)(off & (CS - 1));
    size_t n = PQ_CHUNK_SIZE - in;
    if (n > len)
      n = len;
    memcpy(entry(q, off >> PQ_CHUNK_SHIFT)->mem + in, src, n);
    src += n;
    off += n;
    len -= n;
  }
}

void pq_chunkq_read(const pq_chunkq *q, uint64_t off, void *dst, size_t len) {
  uint8_t *out = dst;
  while (len > 0) {
    uint32_t in = (uint32_t)(off & (CS - 1));
    size_t n = PQ_CHUNK_SIZE - in;
    if (n > len)
      n = len;
    memcpy(out, entry(q, off >> PQ_CHUNK_SHIFT)->mem + in, n);
    out += n;
    off += n;
    len -= n;
  }
}

size_t pq_chunkq_peek(const pq_chunkq *q, uint64_t off, const uint8_t **p) {
  *p = NULL;
  uint64_t k = off >> PQ_CHUNK_SHIFT;
  if (q->n == 0 || k < q->base || k - q->base >= q->n)
    return 0;
  const pq_chunk *e = entry(q, k);
  uint32_t in = (uint32_t)(off & (CS - 1));
  if (!e->mem || in >= e->cap)
    return 0;
  *p = e->mem + in;
  return e->cap - in;
}

void pq_chunkq_release_below(pq_chunkq *q, uint64_t off) {
  uint64_t k = off >> PQ_CHUNK_SHIFT;
  while (q->n > 0 && q->base < k) {
    pq_chunk *e = &q->v[q->head];
    pq_free(e->mem);
    q->allocated -= e->cap;
    q->head++;
    q->base++;
    q->n--;
  }
  if (q->n == 0)
    q->head = 0;
}
