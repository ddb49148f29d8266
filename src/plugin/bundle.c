/* Deterministic plugin bundles: build, parse, hash. */
#include "plugin/bundle.h"

#include <gnutls/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zstd.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "pquic/errors.h"

#define MAGIC "PQPB"
#define FORMAT_VERSION 1

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int code, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return code;
}

int pq_sha256(const void *data, size_t len, uint8_t out[32]) {
  return gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, out) < 0 ? PQUIC_ERR_CRYPTO : 0;
}

/* The manifest uses exactly the objects given, each once. */
static int check_objects(const pq_manifest *mf, const pq_bundle_object *objs, size_t n, char *err,
                         size_t errlen) {
  if (n > PQ_MF_MAX_OBJECTS)
    return fail(err, errlen, PQUIC_ERR_BUNDLE, "more than %d objects", PQ_MF_MAX_OBJECTS);
  for (size_t i = 0; i < n; i++) {
    size_t nl = strnlen(objs[i].name, sizeof objs[i].name);
    if (nl == 0 || nl > PQ_MF_NAME_MAX || !objs[i].data || objs[i].len == 0)
      return fail(err, errlen, PQUIC_ERR_BUNDLE, "object %zu: empty name or data", i);
    if (objs[i].len > PQ_BUNDLE_MAX_OBJECT)
      return fail(err, errlen, PQUIC_ERR_BUNDLE, "object %s larger than %u bytes", objs[i].name,
                  PQ_BUNDLE_MAX_OBJECT);
    for (size_t j = 0; j < i; j++) {
      if (strcmp(objs[i].name, objs[j].name) == 0)
        return fail(err, errlen, PQUIC_ERR_BUNDLE, "object %s given twice", objs[i].name);
    }
    int used = 0;
    for (size_t k = 0; k < mf->n_objects && !used; k++)
      used = strcmp(mf->objects[k], objs[i].name) == 0;
    if (!used)
      return fail(err, errlen, PQUIC_ERR_BUNDLE, "object %s is not used by the manifest",
                  objs[i].name);
  }
  for (size_t k = 0; k < mf->n_objects; k++) {
    int given = 0;
    for (size_t i = 0; i < n && !given; i++)
      given = strcmp(mf->objects[k], objs[i].name) == 0;
    if (!given)
      return fail(err, errlen, PQUIC_ERR_BUNDLE, "object %s named by the manifest is missing",
                  mf->objects[k]);
  }
  return 0;
}

/* The uncompressed payload, objects sorted by name. */
static int write_payload(const char *manifest, size_t mlen, const pq_bundle_object *objs, size_t n,
                         uint8_t **out, size_t *out_len) {
  size_t order[PQ_MF_MAX_OBJECTS];
  size_t total = 4 + 1 + 1 + 4 + mlen;
  for (size_t i = 0; i < n; i++) {
    total += 1 + strlen(objs[i].name) + 4 + objs[i].len;
    size_t j = i; /* insertion sort by name: at most 16 objects */
    while (j > 0 && strcmp(objs[order[j - 1]].name, objs[i].name) > 0) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = i;
  }
  uint8_t *buf = pq_malloc(total);
  if (!buf)
    return PQUIC_ERR_NOMEM;
  pq_wbuf w = pq_wbuf_make(buf, total);
  (void)pq_put_bytes(&w, MAGIC, 4);
  (void)pq_put_u8(&w, FORMAT_VERSION);
  (void)pq_put_u8(&w, (uint8_t)n);
  (void)pq_put_uint(&w, 4, mlen);
  (void)pq_put_bytes(&w, manifest, mlen);
  for (size_t i = 0; i < n; i++) {
    const pq_bundle_object *o = &objs[order[i]];
    size_t nl = strlen(o->name);
    (void)pq_put_u8(&w, (uint8_t)nl);
    (void)pq_put_bytes(&w, o->name, nl);
    (void)pq_put_uint(&w, 4, o->len);
    (void)pq_put_bytes(&w, o->data, o->len);
  }
  *out = buf;
  *out_len = total;
  return 0;
}

static int compress_payload(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len) {
  size_t cap = ZSTD_compressBound(len);
  uint8_t *buf = pq_malloc(cap);
  ZSTD_CCtx *cctx = ZSTD_createCCtx();
  int rc = PQUIC_ERR_NOMEM;
  if (buf && cctx) {
    /* Every parameter that shapes the output is pinned. */
    size_t r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, PQ_BUNDLE_ZSTD_LEVEL);
    if (!ZSTD_isError(r))
      r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    if (!ZSTD_isError(r))
      r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
    if (!ZSTD_isError(r))
      r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_dictIDFlag, 0);
    if (!ZSTD_isError(r))
      r = ZSTD_compress2(cctx, buf, cap, in, len);
    if (ZSTD_isError(r)) {
      rc = PQUIC_ERR_BUNDLE;
    } else {
      *out = buf;
      *out_len = r;
      buf = NULL;
      rc = 0;
    }
  }
  ZSTD_freeCCtx(cctx);
  pq_free(buf);
  return rc;
}

int pq_bundle_build(const char *manifest, size_t manifest_len, const pq_bundle_object *objs,
                    size_t n, uint8_t **out, size_t *out_len, char *err, size_t errlen) {
  if (!manifest || !out || !out_len || (n && !objs))
    return fail(err, errlen, PQUIC_ERR_INVAL, "invalid arguments");
  pq_manifest mf;
  char merr[160];
  int rc = pq_manifest_parse(manifest, manifest_len, &mf, merr, sizeof merr);
  if (rc)
    return fail(err, errlen, rc, "manifest %s", merr);
  rc = check_objects(&mf, objs, n, err, errlen);
  pq_manifest_free(&mf);
  if (rc)
    return rc;
  uint8_t *payload;
  size_t plen;
  rc = write_payload(manifest, manifest_len, objs, n, &payload, &plen);
  if (rc)
    return fail(err, errlen, rc, "out of memory");
  if (plen > PQ_BUNDLE_MAX_PAYLOAD) {
    pq_free(payload);
    return fail(err, errlen, PQUIC_ERR_BUNDLE, "bundle larger than %u bytes",
                PQ_BUNDLE_MAX_PAYLOAD);
  }
  rc = compress_payload(payload, plen, out, out_len);
  pq_free(payload);
  if (rc)
    return fail(err, errlen, rc, "compression failed");
  return 0;
}

void pq_bundle_free(pq_bundle *b) {
  if (!b)
    return;
  pq_free(b->payload);
  memset(b, 0, sizeof *b);
}

const pq_bundle_object *pq_bundle_find(const pq_bundle *b, const char *name) {
  for (size_t i = 0; i < b->n_objects; i++) {
    if (strcmp(b->objects[i].name, name) == 0)
      return &b->objects[i];
  }
  return NULL;
}

static int split_payload(pq_bundle *b, char *err, size_t errlen) {
  pq_rbuf r = pq_rbuf_make(b->payload, b->payload_len);
  uint8_t magic[4], version, n;
  uint32_t mlen;
  if (!pq_get_bytes(&r, magic, 4) || memcmp(magic, MAGIC, 4) != 0 || !pq_get_u8(&r, &version) ||
      !pq_get_u8(&r, &n) || !pq_get_u32(&r, &mlen))
    return fail(err, errlen, PQUIC_ERR_BUNDLE, "not a pquic plugin bundle");
  if (version != FORMAT_VERSION)
    return fail(err, errlen, PQUIC_ERR_BUNDLE, "bundle format version %u (expected %u)", version,
                FORMAT_VERSION);
  if (n > PQ_MF_MAX_OBJECTS)
    return fail(err, errlen, PQUIC_ERR_BUNDLE, "more than %d objects", PQ_MF_MAX_OBJECTS);
  const uint8_t *m;
  if (mlen > PQ_MF_MAX_TEXT || !pq_get_span(&r, mlen, &m))
    return fail(err, errlen, PQUIC_ERR_BUNDLE, "truncated manifest");
  b->manifest = (const char *)m;
  b->manifest_len = mlen;
  for (uint8_t i = 0; i < n; i++) {
    pq_bundle_object *o = &b->objects[i];
    uint8_t nl;
    uint32_t dl;
    const uint8_t *name, *data;
    if (!pq_get_u8(&r, &nl) || nl == 0 || nl > PQ_MF_NAME_MAX || !pq_get_span(&r, nl, &name) ||
        !pq_get_u32(&r, &dl) || dl == 0 || dl > PQ_BUNDLE_MAX_OBJECT || !pq_get_span(&r, dl, &data))
      return fail(err, errlen, PQUIC_ERR_BUNDLE, "object %u: truncated or too large", i);
    if (memchr(name, 0, nl))
      return fail(err, errlen, PQUIC_ERR_BUNDLE, "object %u: NUL in its name", i);
    memcpy(o->name, name, nl);
    o->name[nl] = 0;
    o->data = data;
    o->len = dl;
    if (i > 0 && strcmp(b->objects[i - 1].name, o->name) >= 0)
      return fail(err, errlen, PQUIC_ERR_BUNDLE, "objects not in name order (%s)", o->name);
    b->n_objects = (size_t)i + 1;
  }
  if (pq_rbuf_left(&r))
    return fail(err, errlen, PQUIC_ERR_BUNDLE, "trailing bytes after the last object");
  return 0;
}

int pq_bundle_parse(const uint8_t *data, size_t len, pq_bundle *b, char *err, size_t errlen) {
  memset(b, 0, sizeof *b);
  if (!data || len == 0)
    return fail(err, errlen, PQUIC_ERR_BUNDLE, "empty bundle");
  size_t flen = ZSTD_findFrameCompressedSize(data, len);
  if (ZSTD_isError(flen) || flen != len)
    return fail(err, errlen, PQUIC_ERR_BUNDLE, "not exactly one zstd frame");
  unsigned long long size = ZSTD_getFrameContentSize(data, len);
  if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR ||
      size > PQ_BUNDLE_MAX_PAYLOAD || size < 10)
    return fail(err, errlen, PQUIC_ERR_BUNDLE, "missing or excessive content size");
  int rc = pq_sha256(data, len, b->hash);
  if (rc)
    return fail(err, errlen, rc, "hashing failed");
  b->payload = pq_malloc((size_t)size);
  if (!b->payload)
    return fail(err, errlen, PQUIC_ERR_NOMEM, "out of memory");
  size_t got = ZSTD_decompress(b->payload, (size_t)size, data, len);
  if (ZSTD_isError(got) || got != size) {
    pq_bundle_free(b);
    return fail(err, errlen, PQUIC_ERR_BUNDLE, "corrupt zstd data");
  }
  b->payload_len = (size_t)size;
  rc = split_payload(b, err, errlen);
  if (rc) {
    uint8_t keep[32];
    memcpy(keep, b->hash, sizeof keep);
    pq_bundle_free(b);
    memcpy(b->hash, keep, sizeof keep);
  }
  return rc;
}
