/* Fuzz target: plugin manifest parser. Any text either fails with
 * PQUIC_ERR_MANIFEST and a "line N: " message, or yields a manifest whose
 * invariants hold. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/manifest.h"
#include "pquic/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pq_manifest mf;
  char err[160];
  int rc = pq_manifest_parse((const char *)data, size, &mf, err, sizeof err);
  if (rc) {
    if (rc != PQUIC_ERR_MANIFEST && rc != PQUIC_ERR_NOMEM)
      abort();
    if (rc == PQUIC_ERR_MANIFEST && strncmp(err, "line ", 5) != 0)
      abort();
    if (mf.pluglets || mf.n_pluglets)
      abort();
    return 0;
  }
  if (!pq_manifest_name_ok(mf.name) || mf.n_pluglets == 0 || mf.n_pluglets > PQ_MF_MAX_PLUGLETS ||
      mf.n_objects == 0 || mf.n_objects > PQ_MF_MAX_OBJECTS || mf.memory < PQ_MF_MIN_MEMORY ||
      mf.memory > PQ_MF_MAX_MEMORY || mf.memory % 16 || mf.n_frames > PQ_MF_MAX_FRAMES)
    abort();
  for (size_t i = 0; i < mf.n_pluglets; i++) {
    const pq_mf_pluglet *p = &mf.pluglets[i];
    if (p->obj >= mf.n_objects || p->anchor < 0 || p->anchor > 3 || !p->op[0] || !p->fn[0] ||
        strlen(p->op) > PQ_MF_NAME_MAX || (p->anchor == PQ_MF_EXTERNAL && p->has_param))
      abort();
  }
  pq_manifest_free(&mf);
  return 0;
}
