/* pquic command: what the server and the client do alike with their
 * endpoint's input: the datagrams received, and the connection events both
 * handle the same way. */
#ifndef PQ_APP_ENDPOINT_H
#define PQ_APP_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "io/udp.h"
#include "pquic/pquic.h"

/* Hands n datagrams received (pq_loop_cbs.on_datagrams) to the endpoint. */
void app_endpoint_input(pquic_endpoint *ep, const pq_datagram *d, size_t n, uint64_t now);

/* A connection event both handle alike: a stream closed is added to
 * `closed` and *dirty set, for the connection's next service; a protocol
 * operation fault is reported (app_plugins_report_fault). 1 if ev was one
 * of them, else 0 (the caller's to handle). */
int app_endpoint_event(const pquic_event *ev, sidvec *closed, int *dirty);

#endif
