/* pquic command: --monitor HOST:PORT for the server and the client. The
 * monitoring plugin (org.pquic.monitoring) is loaded into the endpoint and
 * injected into every connection; the reports it pushes are forwarded,
 * unchanged, in one UDP datagram each to the collector (pquic-monitor).
 *
 * Which plugin build: --monitor-plugin FILE.pqp, or `native` for the
 * build linked into this program (trusted, no sandbox: for measurements);
 * by default the bundle org.pquic.monitoring.pqp in ../plugins/ next to
 * this program's directory (the build tree's layout: bin/pquic and
 * plugins/NAME.pqp), else in the build directory this program was compiled
 * for. */
#ifndef PQ_APP_MONITOR_H
#define PQ_APP_MONITOR_H

#include <getopt.h>
#include <stdint.h>

#include "pquic/pquic.h"

#define APP_MONITOR_PLUGIN "org.pquic.monitoring"

typedef struct app_monitor {
  const char *target;   /* --monitor HOST:PORT, NULL: no monitoring */
  const char *plugin;   /* --monitor-plugin FILE.pqp | native, NULL: the default bundle */
  uint64_t interval_ms; /* --monitor-interval MS: periodic reports, 0: none */
  int fd;               /* UDP socket connected to the collector */
  int verbose;
  uint64_t forwarded, failed; /* reports sent, reports the socket refused */
} app_monitor;

/* getopt_long entries and help lines shared by the server and the client. */
enum {
  APP_MONITOR_OPT_TARGET = 0x1000, /* --monitor HOST:PORT */
  APP_MONITOR_OPT_PLUGIN,          /* --monitor-plugin FILE.pqp|native */
  APP_MONITOR_OPT_INTERVAL,        /* --monitor-interval MS */
};
#define APP_MONITOR_LONG_OPTIONS                                                                   \
  {"monitor", required_argument, NULL, APP_MONITOR_OPT_TARGET},                                    \
      {"monitor-plugin", required_argument, NULL, APP_MONITOR_OPT_PLUGIN}, {                       \
    "monitor-interval", required_argument, NULL, APP_MONITOR_OPT_INTERVAL                          \
  }
#define APP_MONITOR_USAGE                                                                          \
  "  --monitor H:P   send connection reports (plugin org.pquic.monitoring) over\n"                 \
  "                  UDP to the collector at H:P (pquic-monitor)\n"                                \
  "  --monitor-plugin FILE.pqp|native  the plugin build for --monitor (default:\n"                 \
  "                  ../plugins/org.pquic.monitoring.pqp from this program's folder)\n"            \
  "  --monitor-interval MS  also report every MS milliseconds (1 to 3600000)\n"

/* Handles one of the options above for `cmd` (server or client). 0, or
 * EXIT_USAGE after a usage error (bad HOST:PORT or interval). */
int app_monitor_option(const char *cmd, app_monitor *m, int opt, const char *arg);
/* Checks the combination once options are parsed (--monitor-plugin and
 * --monitor-interval need --monitor). 0 or EXIT_USAGE. */
int app_monitor_check(const char *cmd, const app_monitor *m);

/* With --monitor: resolves the collector, opens the socket, loads and
 * injects the plugin and forwards its messages (with verbose, also prints
 * every plugin message as --plugin -v does). Call after app_plugins_load.
 * 0, or EXIT_FAIL after printing "pquic: ..." (bad address, bundle not
 * found or invalid). Without --monitor: 0, nothing done. */
int app_monitor_start(pquic_endpoint *ep, app_monitor *m, int verbose);

/* Gives a new connection its periodic interval (no-op without one). */
void app_monitor_configure(const app_monitor *m, pquic_cnx *cnx);

/* Closes the socket; with verbose prints the reports forwarded. */
void app_monitor_stop(app_monitor *m);

#endif
