/* pquic-pack MANIFEST OUTPUT.pqp OBJECT...: writes a plugin bundle (the
 * build step of pquic_add_plugin). Exit 0 on success, 1 with one line on
 * stderr otherwise. */
#include <stdio.h>

#include "pquic/plugin.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: pquic-pack MANIFEST OUTPUT.pqp OBJECT...\n");
    return 1;
  }
  uint8_t *out = NULL;
  size_t len = 0;
  char err[256];
  int rc = pquic_plugin_bundle_files(argv[1], (const char *const *)(argv + 3), (size_t)(argc - 3),
                                     &out, &len, err, sizeof err);
  if (rc) {
    fprintf(stderr, "pquic-pack: %s: %s (%s)\n", argv[1], err, pquic_errname(rc));
    return 1;
  }
  FILE *f = fopen(argv[2], "wb");
  int ok = f && fwrite(out, 1, len, f) == len;
  if (f && fclose(f) != 0)
    ok = 0;
  pquic_plugin_free_buffer(out);
  if (!ok) {
    fprintf(stderr, "pquic-pack: cannot write %s\n", argv[2]);
    remove(argv[2]);
    return 1;
  }
  return 0;
}
