/* The options the server and the client share. */
#include "app_opts.h"

#include "cli.h"

int app_opts_option(const char *cmd, app_opts *o, int c, char **argv, void (*usage)(FILE *)) {
  switch (c) {
  case 'A':
    o->alpn = optarg;
    return 0;
  case 'q':
    o->qlog = optarg;
    return 0;
  case 'v':
    o->verbose++;
    return 0;
  case 'V':
    if (parse_version(optarg, &o->version))
      return usage_fail(cmd, "bad --version '%s': give v1 or v2", optarg);
    return 0;
  case 'C':
    if (check_ciphers(cmd, optarg))
      return EXIT_USAGE;
    o->ciphers = optarg;
    return 0;
  case 'K':
    if (parse_uint(optarg, 1, UINT32_MAX, &o->key_update))
      return usage_fail(cmd, "bad --key-update '%s': give a number of packets", optarg);
    return 0;
  case 'P':
    return app_plugins_add(cmd, &o->plugins, optarg);
  case APP_MONITOR_OPT_TARGET:
  case APP_MONITOR_OPT_PLUGIN:
  case APP_MONITOR_OPT_INTERVAL:
    return app_monitor_option(cmd, &o->monitor, c, optarg);
  case 'h':
    usage(stdout);
    return -1;
  default:
    return option_error(cmd, c, argv);
  }
}

void app_opts_start_log(const app_opts *o) {
  if (o->verbose)
    enable_verbose_log(o->verbose > 1 ? 3 : 2);
}

void app_opts_configure(const app_opts *o, pquic_config *cfg) {
  cfg->alpn = o->alpn;
  cfg->qlog_dir = o->qlog;
  cfg->ciphers = o->ciphers;
  cfg->settings.key_update_interval = (uint32_t)o->key_update;
  if (o->version) {
    cfg->settings.version = o->version;
    cfg->settings.version_strict = 1;
  }
}

int app_opts_load_plugins(pquic_endpoint *ep, app_opts *o) {
  if (app_plugins_load(ep, &o->plugins, o->verbose) ||
      app_monitor_start(ep, &o->monitor, o->verbose))
    return EXIT_FAIL;
  return 0;
}
