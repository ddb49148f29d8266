/* pquic command: --plugin FILE.pqp for the server and the client (loaded
 * into the endpoint, attached to every connection) and the report of
 * plugin faults and messages. */
#ifndef PQ_APP_PLUGINS_H
#define PQ_APP_PLUGINS_H

#include <stddef.h>

#include "pquic/pquic.h"

#define APP_MAX_PLUGINS 16

typedef struct app_plugins {
  const char *path[APP_MAX_PLUGINS];
  size_t n;
} app_plugins;

/* Records --plugin PATH of subcommand `cmd`; 0, or EXIT_USAGE after a
 * usage error (too many). */
int app_plugins_add(const char *cmd, app_plugins *p, const char *path);

/* Loads (parses, verifies, compiles) every bundle into the endpoint and
 * injects it into the connections it will create. 0, or EXIT_FAIL after
 * printing "pquic: plugin PATH: reason (PQUIC_ERR_...)". With verbose,
 * prints one line per plugin loaded and every message plugins push. */
int app_plugins_load(pquic_endpoint *ep, const app_plugins *p, int verbose);

/* The message callback of verbose runs: "pquic: plugin NAME: message of N
 * bytes: xx xx ..." on stderr (the first 32 bytes). */
void app_plugins_print_message(pquic_cnx *cnx, const char *plugin, const uint8_t *data, size_t len,
                               void *user);

/* Prints a PQUIC_EVENT_OP_FAULT by name: "pquic: plugin fault:
 * PQUIC_ERR_BUDGET (instruction budget exhausted): <reason>". */
void app_plugins_report_fault(const pquic_event *ev);

#endif
