/* --plugin for the server and the client; fault reports. */
#include "app_plugins.h"

#include <stdio.h>

#include "cli.h"
#include "pquic/plugin.h"

int app_plugins_add(const char *cmd, app_plugins *p, const char *path) {
  if (p->n == APP_MAX_PLUGINS)
    return usage_fail(cmd, "at most %d --plugin options", APP_MAX_PLUGINS);
  p->path[p->n++] = path;
  return 0;
}

void app_plugins_print_message(pquic_cnx *cnx, const char *plugin, const uint8_t *data, size_t len,
                               void *user) {
  (void)cnx;
  (void)user;
  fprintf(stderr, "pquic: plugin %s: message of %zu bytes:", plugin, len);
  for (size_t i = 0; i < len && i < 32; i++)
    fprintf(stderr, " %02x", data[i]);
  fprintf(stderr, "%s\n", len > 32 ? " ..." : "");
}

int app_plugins_load(pquic_endpoint *ep, const app_plugins *p, int verbose) {
  for (size_t i = 0; i < p->n; i++) {
    pquic_plugin *pl;
    char err[256] = "";
    int rc = pquic_plugin_load_file(ep, p->path[i], &pl, err, sizeof err);
    if (rc)
      return fail("plugin %s: %s (%s)", p->path[i], err[0] ? err : pquic_strerror(rc),
                  pquic_errname(rc));
    rc = pquic_plugin_inject(ep, pl);
    if (rc)
      return fail("plugin %s: cannot inject: %s (%s)", p->path[i], pquic_strerror(rc),
                  pquic_errname(rc));
    if (verbose) {
      pquic_plugin_info info;
      pquic_plugin_get_info(pl, &info);
      fprintf(stderr, "pquic: plugin %s loaded: %zu pluglets, %u bytes per connection, %s\n",
              info.name, info.n_pluglets, info.memory, info.jit ? "JIT" : "interpreter");
    }
  }
  if (p->n && verbose)
    (void)pquic_endpoint_plugin_messages(ep, app_plugins_print_message, NULL);
  return 0;
}

void app_plugins_report_fault(const pquic_event *ev) {
  fprintf(stderr, "pquic: plugin fault: %s (%s)%s%s\n", pquic_errname(ev->err),
          pquic_strerror(ev->err), ev->reason ? ": " : "", ev->reason ? ev->reason : "");
}
