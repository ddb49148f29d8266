/*
 * tests/sim/sim_pquic.h - pquic endpoints as simulation nodes.
 */
#ifndef SIM_PQUIC_H
#define SIM_PQUIC_H

#include "pquic/pquic.h"
#include "sim.h"

/* Creates an endpoint from cfg and adds it to s as a node owning addr. The
 * endpoint's randomness (cfg->rand) is replaced by the node's seeded
 * generator, so connection IDs, packet-number skips and the like repeat
 * from run to run. (GnuTLS draws the TLS secrets itself; they differ, but
 * with the fixed-size Ed25519 test certificates no size or time does.)
 * The endpoint is freed with the simulation. Returns 0, PQUIC_ERR_LIMIT
 * when the simulation refuses the node, or pquic_endpoint_new's error. */
int sim_pquic_add(sim *s, const struct sockaddr *addr, const pquic_config *cfg, sim_node **node);

/* The endpoint of a node made by sim_pquic_add. */
pquic_endpoint *sim_pquic_endpoint(const sim_node *n);

#endif
