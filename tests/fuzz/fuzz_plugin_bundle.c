/* Fuzz target: plugin bundles. Any input either fails cleanly or splits
 * into a manifest and objects that, when the manifest parses and names
 * exactly those objects, build back into a bundle that parses to the same
 * contents. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "plugin/bundle.h"
#include "pquic/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pq_bundle b;
  char err[160];
  int rc = pq_bundle_parse(data, size, &b, err, sizeof err);
  if (rc) {
    if (rc != PQUIC_ERR_BUNDLE && rc != PQUIC_ERR_NOMEM && rc != PQUIC_ERR_CRYPTO)
      abort();
    return 0;
  }
  if (b.n_objects > PQ_MF_MAX_OBJECTS || b.manifest_len > PQ_MF_MAX_TEXT)
    abort();
  uint8_t *again = NULL;
  size_t len = 0;
  rc = pq_bundle_build(b.manifest, b.manifest_len, b.objects, b.n_objects, &again, &len, err,
                       sizeof err);
  if (rc == 0) {
    pq_bundle c;
    if (pq_bundle_parse(again, len, &c, err, sizeof err) != 0)
      abort();
    if (c.n_objects != b.n_objects || c.manifest_len != b.manifest_len ||
        memcmp(c.manifest, b.manifest, b.manifest_len) != 0)
      abort();
    for (size_t i = 0; i < b.n_objects; i++) {
      if (strcmp(c.objects[i].name, b.objects[i].name) != 0 ||
          c.objects[i].len != b.objects[i].len ||
          memcmp(c.objects[i].data, b.objects[i].data, b.objects[i].len) != 0)
        abort();
    }
    pq_bundle_free(&c);
    pq_free(again);
  }
  pq_bundle_free(&b);
  return 0;
}
