/* pquic plugin build|info|verify|fields: plugin bundles from the command
 * line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pquic/plugin.h"

static void usage(FILE *f) {
  fputs("usage: pquic plugin SUBCOMMAND ...\n"
        "\n"
        "  build MANIFEST OUT.pqp OBJECT.o...  write a bundle (manifest and eBPF objects,\n"
        "                                      deterministic, zstd) and print its SHA-256\n"
        "  info FILE.pqp                       name, identity, manifest, objects, and what\n"
        "                                      loading it gives (pluglets, memory, code)\n"
        "  verify FILE.pqp...                  parse, verify and compile each bundle;\n"
        "                                      exit 1 naming the first problem of each\n"
        "  fields                              the field reference (docs/fields.md)\n"
        "\n"
        "Use a bundle with `pquic server|client --plugin FILE.pqp`.\n",
        f);
}

static void hex(const uint8_t *h, size_t n, char *out) {
  for (size_t i = 0; i < n; i++)
    sprintf(out + 2 * i, "%02x", h[i]);
}

static uint8_t *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap || cap >= (64u << 20))
      break;
    uint8_t *nb = realloc(buf, cap * 2);
    if (!nb) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = nb;
    cap *= 2;
  }
  if (ferror(f)) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = n;
  return buf;
}

static int build(int argc, char **argv) {
  if (argc < 2)
    return usage_fail("plugin", "build needs MANIFEST OUT.pqp OBJECT.o...");
  uint8_t *out;
  size_t len;
  char err[256] = "";
  int rc = pquic_plugin_bundle_files(argv[0], (const char *const *)(argv + 2), (size_t)(argc - 2),
                                     &out, &len, err, sizeof err);
  if (rc)
    return fail("plugin build: %s (%s)", err, pquic_errname(rc));
  FILE *f = fopen(argv[1], "wb");
  int ok = f && fwrite(out, 1, len, f) == len;
  if (f && fclose(f))
    ok = 0;
  pquic_plugin_info info;
  char h[65] = "";
  if (ok && pquic_plugin_verify(out, len, &info, err, sizeof err) == 0)
    hex(info.hash, 32, h);
  pquic_plugin_free_buffer(out);
  if (!ok)
    return fail("plugin build: cannot write '%s'", argv[1]);
  printf("%s: %zu bytes, sha256 %s\n", argv[1], len, h[0] ? h : "(does not load: run verify)");
  return 0;
}

static void print_object(const char *name, size_t size, void *user) {
  (void)user;
  printf("  %-24s %zu bytes\n", name, size);
}

static int info_cmd(int argc, char **argv) {
  if (argc != 1)
    return usage_fail("plugin", "info needs one FILE.pqp");
  size_t len;
  uint8_t *data = read_all(argv[0], &len);
  if (!data)
    return fail("plugin info: cannot read '%s'", argv[0]);
  static char manifest[65536];
  int rc = pquic_plugin_bundle_contents(data, len, manifest, sizeof manifest, NULL, NULL);
  if (rc) {
    free(data);
    return fail("plugin info: %s: not a plugin bundle (%s)", argv[0], pquic_errname(rc));
  }
  pquic_plugin_info info;
  char err[256] = "", h[65];
  rc = pquic_plugin_verify(data, len, &info, err, sizeof err);
  printf("file:      %s (%zu bytes)\n", argv[0], len);
  if (rc == 0) {
    hex(info.hash, 32, h);
    printf("plugin:    %s\nsha256:    %s\npluglets:  %zu\nframes:    %zu\n"
           "memory:    %u bytes per connection (%u of globals)\ncode:      %zu eBPF "
           "instructions, %s\n",
           info.name, h, info.n_pluglets, info.n_frames, info.memory, info.globals,
           info.instructions, info.jit ? "JIT-compiled" : "interpreted");
  } else {
    printf("loads:     no: %s (%s)\n", err, pquic_errname(rc));
  }
  printf("objects:\n");
  (void)pquic_plugin_bundle_contents(data, len, NULL, 0, print_object, NULL);
  printf("manifest:\n%s%s", manifest,
         manifest[0] && manifest[strlen(manifest) - 1] != '\n' ? "\n" : "");
  free(data);
  return rc ? EXIT_FAIL : 0;
}

static int verify(int argc, char **argv) {
  if (argc < 1)
    return usage_fail("plugin", "verify needs FILE.pqp...");
  int status = 0;
  for (int i = 0; i < argc; i++) {
    size_t len;
    uint8_t *data = read_all(argv[i], &len);
    if (!data) {
      status = fail("plugin verify: cannot read '%s'", argv[i]);
      continue;
    }
    pquic_plugin_info info;
    char err[256] = "", h[65];
    int rc = pquic_plugin_verify(data, len, &info, err, sizeof err);
    free(data);
    if (rc) {
      status = fail("plugin verify: %s: %s (%s)", argv[i], err, pquic_errname(rc));
      continue;
    }
    hex(info.hash, 32, h);
    printf("%s: ok %s sha256 %s\n", argv[i], info.name, h);
  }
  return status;
}

int cmd_plugin(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_USAGE : 0;
  }
  const char *sub = argv[1];
  if (strcmp(sub, "build") == 0)
    return build(argc - 2, argv + 2);
  if (strcmp(sub, "info") == 0)
    return info_cmd(argc - 2, argv + 2);
  if (strcmp(sub, "verify") == 0)
    return verify(argc - 2, argv + 2);
  if (strcmp(sub, "fields") == 0) {
    static char md[1 << 16];
    size_t n = pquic_plugin_fields_markdown(md, sizeof md);
    fwrite(md, 1, n < sizeof md ? n : sizeof md - 1, stdout);
    return 0;
  }
  return usage_fail("plugin", "unknown subcommand '%s'", sub);
}
