/* pquic command: the options the server and the client share (--alpn,
 * --qlog-dir, --version, --ciphers, --key-update, --plugin, --monitor...,
 * -v/--verbose, -h/--help): their getopt_long entries, their parsing, and
 * what they set up in the endpoint. Each subcommand keeps its own help text
 * and defaults (--alpn's differs). */
#ifndef PQ_APP_OPTS_H
#define PQ_APP_OPTS_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "app_monitor.h"
#include "app_plugins.h"
#include "pquic/pquic.h"

typedef struct app_opts {
  const char *alpn, *qlog, *ciphers; /* --alpn, --qlog-dir, --ciphers */
  int verbose;                       /* -v, --verbose: how many */
  uint32_t version;                  /* --version: 0 for none */
  uint64_t key_update;               /* --key-update N: 0 for none */
  app_plugins plugins;               /* --plugin */
  app_monitor monitor;               /* --monitor... */
} app_opts;

/* getopt_long's short options (-h, -v; ':' for missing values), and its
 * long entries for the options above, for the subcommand's table. Set
 * opterr to 0: app_opts_option reports the errors. */
#define APP_OPTS_SHORT ":hv"
#define APP_OPTS_LONG_OPTIONS                                                                      \
  {"alpn", required_argument, NULL, 'A'}, {"qlog-dir", required_argument, NULL, 'q'},              \
      {"verbose", no_argument, NULL, 'v'}, {"version", required_argument, NULL, 'V'},              \
      {"ciphers", required_argument, NULL, 'C'}, {"key-update", required_argument, NULL, 'K'},     \
      {"plugin", required_argument, NULL, 'P'}, {"help", no_argument, NULL, 'h'},                  \
      APP_MONITOR_LONG_OPTIONS

/* What getopt_long returned (c, with optarg) for an option that subcommand
 * `cmd` does not handle itself: a shared option is recorded in o; --help
 * prints usage(stdout) and returns -1; anything else (an unknown option, a
 * missing value) is a usage error. 0, -1 or EXIT_USAGE. */
int app_opts_option(const char *cmd, app_opts *o, int c, char **argv, void (*usage)(FILE *));

/* With --verbose, library log lines on stderr (twice: debug too). */
void app_opts_start_log(const app_opts *o);

/* Sets what the options choose in an endpoint's configuration: ALPN, qlog
 * directory, cipher suites, key update interval, and with --version that
 * version only. */
void app_opts_configure(const app_opts *o, pquic_config *cfg);

/* Loads the --plugin bundles, then with --monitor the monitoring plugin,
 * into a new endpoint. 0, or EXIT_FAIL after printing why. */
int app_opts_load_plugins(pquic_endpoint *ep, app_opts *o);

#endif
