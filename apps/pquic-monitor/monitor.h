/* pquic-monitor internals: the program's state, shared by main.c (options,
 * sockets) and loop.c (the event loop). */
#ifndef PQM_MONITOR_H
#define PQM_MONITOR_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "http.h"

#define PQM_HTTP_CLIENTS 16
#define PQM_HTTP_DEADLINE_MS 5000 /* a metrics exchange must end within this */

typedef struct pqm_client {
  int fd; /* -1: free slot */
  char in[PQM_HTTP_MAX_REQUEST];
  size_t in_len;
  char *out; /* the response, once routed */
  size_t out_len, out_off;
  int draining; /* response sent: reading what is left until the client closes */
  uint64_t deadline_ms;
} pqm_client;

typedef struct pqm_monitor {
  int udp_fd, http_fd, sig_fd; /* http_fd -1 without --prometheus */
  int json;                    /* --json, else the table */
  uint64_t rows;               /* table rows printed (header every 40) */
  uint64_t http_requests;
  pqm_agg agg;
  pqm_client clients[PQM_HTTP_CLIENTS];
} pqm_monitor;

/* Runs until SIGINT or SIGTERM. Returns 0, or 1 after printing why the
 * loop failed. */
int pqm_loop_run(pqm_monitor *m);

/* "addr:port" of a socket address (IPv6 in brackets). */
void pqm_addr_format(const void *sa, unsigned salen, char *buf, size_t cap);

#endif
