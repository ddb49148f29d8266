/* Glue between the simulation loop and the public pquic endpoint API. */
#include "sim_pquic.h"

#include <string.h>

static int ep_input(void *ctx, const uint8_t *data, size_t len, const struct sockaddr *local,
                    const struct sockaddr *remote, uint8_t ecn, uint64_t now) {
  return ctx != NULL ? pquic_endpoint_input(ctx, data, len, local, remote, ecn, now) : 0;
}

static int ep_output(void *ctx, uint64_t now, uint8_t *buf, size_t cap, sim_send_info *info) {
  if (ctx == NULL) {
    return 0;
  }
  pquic_send_info pi;
  memset(&pi, 0, sizeof pi);
  int rc = pquic_endpoint_output(ctx, now, buf, cap, &pi);
  if (rc > 0) {
    info->local = pi.local;
    info->remote = pi.remote;
    info->segment_size = pi.segment_size;
    info->count = pi.count;
    info->ecn = pi.ecn;
  }
  return rc;
}

static uint64_t ep_next_wake(void *ctx) {
  return ctx != NULL ? pquic_endpoint_next_wake(ctx) : UINT64_MAX;
}

static void ep_destroy(void *ctx) {
  pquic_endpoint_free(ctx);
}

static void node_rand(void *user, uint8_t *buf, size_t len) {
  sim_rng_fill(user, buf, len);
}

static const sim_node_ops pquic_node_ops = {ep_input, ep_output, ep_next_wake, ep_destroy,
                                            pquic_errname};

int sim_pquic_add(sim *s, const struct sockaddr *addr, const pquic_config *cfg, sim_node **node) {
  *node = NULL;
  /* The node exists first: its generator seeds the endpoint. Until the
   * endpoint is set, the ops see a NULL context and do nothing. */
  sim_node *n = sim_add_node(s, addr, &pquic_node_ops, NULL);
  if (n == NULL) {
    return PQUIC_ERR_LIMIT;
  }
  pquic_config c = *cfg;
  c.rand = node_rand;
  c.rand_user = sim_node_rng(n);
  pquic_endpoint *ep = NULL;
  int rc = pquic_endpoint_new(&c, &ep);
  if (rc != 0) {
    return rc;
  }
  sim_node_set_ctx(n, ep);
  *node = n;
  return 0;
}

pquic_endpoint *sim_pquic_endpoint(const sim_node *n) {
  return sim_node_ctx(n);
}
