/* --monitor: the monitoring plugin and the forwarding of its reports. */
#include "app_monitor.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app_plugins.h"
#include "cli.h"
#include "pquic/ops.h"
#include "pquic/plugin.h"

/* The native build of the plugin (plugins/monitoring, linked in). */
extern const pquic_native_plugin org_pquic_monitoring_native;

#ifndef PQ_MONITOR_BUNDLE /* set by CMake: the bundle in the build tree */
#define PQ_MONITOR_BUNDLE ""
#endif

int app_monitor_option(const char *cmd, app_monitor *m, int opt, const char *arg) {
  switch (opt) {
  case APP_MONITOR_OPT_TARGET:
    if (!*arg || !strchr(arg, ':'))
      return usage_fail(cmd, "bad --monitor '%s': give HOST:PORT", arg);
    m->target = arg;
    m->fd = -1;
    return 0;
  case APP_MONITOR_OPT_PLUGIN:
    m->plugin = arg;
    return 0;
  case APP_MONITOR_OPT_INTERVAL:
    if (parse_uint(arg, 1, 3600000, &m->interval_ms))
      return usage_fail(cmd, "bad --monitor-interval '%s': give 1 to 3600000 ms", arg);
    return 0;
  default:
    return usage_fail(cmd, "internal: unknown monitoring option");
  }
}

int app_monitor_check(const char *cmd, const app_monitor *m) {
  if (!m->target && (m->plugin || m->interval_ms))
    return usage_fail(cmd, "--monitor-plugin and --monitor-interval need --monitor HOST:PORT");
  return 0;
}

/* A UDP socket connected to HOST:PORT ("[v6]:port" too); -1 after
 * printing why. */
static int open_target(const char *target) {
  char buf[300];
  if (strlen(target) >= sizeof buf)
    return fail("bad --monitor '%s': too long", target), -1;
  strcpy(buf, target);
  char *host = buf, *colon;
  if (buf[0] == '[') {
    char *end = strchr(buf, ']');
    if (!end || end[1] != ':')
      return fail("bad --monitor '%s': give HOST:PORT or [ADDR]:PORT", target), -1;
    *end = '\0';
    host = buf + 1;
    colon = end + 1;
  } else {
    colon = strrchr(buf, ':');
  }
  *colon = '\0';
  uint64_t port;
  if (!*host || parse_uint(colon + 1, 1, 65535, &port))
    return fail("bad --monitor '%s': give HOST:PORT with a port from 1 to 65535", target), -1;
  struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV};
  struct addrinfo *ai = NULL;
  int gai = getaddrinfo(host, colon + 1, &hints, &ai);
  if (gai)
    return fail("cannot resolve --monitor host '%s': %s", host, gai_strerror(gai)), -1;
  int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    freeaddrinfo(ai);
    return fail("cannot reach the collector %s: %s", target, strerror(e)), -1;
  }
  freeaddrinfo(ai);
  return fd;
}

/* The default bundle: ../plugins/ from this program's directory, else
 * the build tree's. Empty when neither exists. */
static void default_bundle(char *path, size_t cap) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = '\0';
      snprintf(path, cap, "%s/../plugins/%s.pqp", exe, APP_MONITOR_PLUGIN);
      if (access(path, R_OK) == 0)
        return;
    }
  }
  snprintf(path, cap, "%s", PQ_MONITOR_BUNDLE);
  if (!path[0] || access(path, R_OK) != 0)
    path[0] = '\0';
}

static int load_plugin(pquic_endpoint *ep, const app_monitor *m, pquic_plugin **p) {
  char err[256] = "";
  int rc;
  if (m->plugin && strcmp(m->plugin, "native") == 0) {
    rc = pquic_plugin_load_native(ep, &org_pquic_monitoring_native, p, err, sizeof err);
    if (rc)
      return fail("monitoring plugin (native): %s (%s)", err[0] ? err : pquic_strerror(rc),
                  pquic_errname(rc));
    return 0;
  }
  char path[PATH_MAX + 64];
  if (m->plugin)
    snprintf(path, sizeof path, "%s", m->plugin);
  else
    default_bundle(path, sizeof path);
  if (!path[0])
    return fail("--monitor: cannot find %s.pqp next to this program (../plugins/); "
                "give --monitor-plugin FILE.pqp",
                APP_MONITOR_PLUGIN);
  rc = pquic_plugin_load_file(ep, path, p, err, sizeof err);
  if (rc)
    return fail("monitoring plugin %s: %s (%s)", path, err[0] ? err : pquic_strerror(rc),
                pquic_errname(rc));
  pquic_plugin_info info;
  pquic_plugin_get_info(*p, &info);
  if (strcmp(info.name, APP_MONITOR_PLUGIN) != 0)
    return fail("monitoring plugin %s is %s, not %s", path, info.name, APP_MONITOR_PLUGIN);
  return 0;
}

static void on_message(pquic_cnx *cnx, const char *plugin, const uint8_t *data, size_t len,
                       void *user) {
  app_monitor *m = user;
  if (m->verbose)
    app_plugins_print_message(cnx, plugin, data, len, NULL);
  if (strcmp(plugin, APP_MONITOR_PLUGIN) != 0)
    return;
  /* Best effort: a missing or slow collector never holds the transfer. */
  if (send(m->fd, data, len, MSG_DONTWAIT) == (ssize_t)len)
    m->forwarded++;
  else
    m->failed++;
}

int app_monitor_start(pquic_endpoint *ep, app_monitor *m, int verbose) {
  m->fd = -1;
  if (!m->target)
    return 0;
  m->verbose = verbose;
  m->fd = open_target(m->target);
  if (m->fd < 0)
    return EXIT_FAIL;
  pquic_plugin *p = NULL;
  if (load_plugin(ep, m, &p))
    return EXIT_FAIL;
  int rc = pquic_plugin_inject(ep, p);
  if (rc && rc != PQUIC_ERR_EXISTS) /* EXISTS: also given with --plugin */
    return fail("monitoring plugin: cannot inject: %s (%s)", pquic_strerror(rc), pquic_errname(rc));
  (void)pquic_endpoint_plugin_messages(ep, on_message, m);
  if (verbose)
    fprintf(stderr, "pquic: monitoring to %s (%s plugin, %s)\n", m->target,
            m->plugin ? m->plugin : "default", m->interval_ms ? "periodic" : "handshake and close");
  return 0;
}

void app_monitor_configure(const app_monitor *m, pquic_cnx *cnx) {
  if (!m->target || !m->interval_ms)
    return;
  uint64_t in[1] = {m->interval_ms * 1000};
  (void)pquic_plugin_call(cnx, "monitoring_configure", in, 1, NULL, 0, NULL);
}

void app_monitor_stop(app_monitor *m) {
  if (!m->target)
    return;
  if (m->verbose)
    fprintf(stderr, "pquic: monitoring: %llu reports forwarded, %llu not sent\n",
            (unsigned long long)m->forwarded, (unsigned long long)m->failed);
  if (m->fd >= 0)
    close(m->fd);
  m->fd = -1;
}
