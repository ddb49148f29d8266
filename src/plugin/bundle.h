/*
 * Plugin bundles (NAME.pqp): the manifest and the eBPF objects of one
 * plugin in one deterministic, zstd-compressed file whose SHA-256 is the
 * plugin's identity.
 *
 * The compressed payload (one zstd frame, content size and checksum
 * recorded, no dictionary) is
 *
 *   "PQPB" | version (1 byte, 1) | object count (1 byte)
 *   | manifest length (u32) | manifest bytes
 *   | for each object, sorted by name (bytewise):
 *       name length (1 byte) | name | data length (u32) | data
 *
 * with big-endian lengths. The same manifest and objects always give the
 * same bytes, whatever order the objects were listed in.
 */
#ifndef PQ_PLUGIN_BUNDLE_H
#define PQ_PLUGIN_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/manifest.h"

#define PQ_BUNDLE_MAX_OBJECT (8u << 20)   /* bytes of one ELF object */
#define PQ_BUNDLE_MAX_PAYLOAD (32u << 20) /* decompressed bytes */
#define PQ_BUNDLE_ZSTD_LEVEL 19

typedef struct pq_bundle_object {
  char name[PQ_MF_NAME_MAX + 1];
  const uint8_t *data;
  size_t len;
} pq_bundle_object;

/* A parsed bundle; objects point into `payload`. */
typedef struct pq_bundle {
  uint8_t *payload; /* decompressed bytes, owned */
  size_t payload_len;
  const char *manifest;
  size_t manifest_len;
  size_t n_objects;
  pq_bundle_object objects[PQ_MF_MAX_OBJECTS];
  uint8_t hash[32]; /* SHA-256 of the compressed file */
} pq_bundle;

/* Builds a bundle from a manifest and its objects (any order). Checks that
 * the manifest parses, names are valid and unique, every object the
 * manifest names is given and every object given is used. On success
 * *out (pq_malloc'd) holds *out_len bytes. Errors: MANIFEST, BUNDLE (with
 * `err` saying why), NOMEM. */
int pq_bundle_build(const char *manifest, size_t manifest_len, const pq_bundle_object *objs,
                    size_t n, uint8_t **out, size_t *out_len, char *err, size_t errlen);

/* Decompresses and splits a bundle, computing its hash. Errors: BUNDLE
 * (not one zstd frame, too large, bad layout, duplicate or unsorted
 * names), NOMEM, CRYPTO (hashing). The manifest is not parsed here. */
int pq_bundle_parse(const uint8_t *data, size_t len, pq_bundle *b, char *err, size_t errlen);
void pq_bundle_free(pq_bundle *b);

/* The object called `name`, or NULL. */
const pq_bundle_object *pq_bundle_find(const pq_bundle *b, const char *name);

/* SHA-256 through GnuTLS. Errors: CRYPTO. */
int pq_sha256(const void *data, size_t len, uint8_t out[32]);

#endif
