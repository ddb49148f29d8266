/* pquic client: sockets towards a server's other addresses. Each
 * connection's sockets are connected (ICMP errors surface), so a datagram
 * for another server address, the preferred address being validated
 * (RFC 9000 9.6), needs a socket of its own: opened beside the one bound to
 * the datagram's local address, so the server sees the same client address
 * on both paths. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "client.h"

int cconn_is_route(const cconn *c, const pq_udp *u) {
  for (size_t i = 0; i < c->n_routes; i++)
    if (&c->routes[i] == u)
      return 1;
  return 0;
}

static int bound_here(const pq_udp *u, const struct sockaddr *local) {
  return u->fd >= 0 && pq_io_addr_equal(local, (const struct sockaddr *)&u->local);
}

static pq_udp *open_route(cconn *c, pq_udp *beside, const struct sockaddr *to) {
  client *cl = c->cl;
  if (c->n_routes == CCONN_MAX_ROUTES || c->routes_failed)
    return NULL;
  pq_udp *u = &c->routes[c->n_routes];
  pq_udp_opts uo = {.rcvbuf = 4 << 20, .sndbuf = 4 << 20, .tx_slots = 32};
  int rc = pq_udp_open_beside(u, beside, &uo);
  if (rc == 0)
    rc = pq_udp_connect(u, to);
  if (rc == 0)
    rc = pq_loop_add_udp(cl->loop, u);
  if (rc == 0)
    rc = sockset_add(&cl->socks, u);
  if (rc) {
    int e = errno;
    pq_udp_close(u);
    if (cl->o.shared.verbose) {
      char where[80];
      pq_io_addr_format(to, where, sizeof where);
      fprintf(stderr, "pquic: %s: cannot open a socket towards %s: %s\n", c->where, where,
              rc == PQUIC_ERR_IO ? strerror(e) : pquic_strerror(rc));
    }
    /* Not retried: the datagrams for that address are lost from now on. */
    c->routes_failed = 1;
    return NULL;
  }
  c->n_routes++;
  return u;
}

pq_udp *client_route_miss(void *user, const pquic_send_info *info) {
  client *cl = user;
  const struct sockaddr *from = (const struct sockaddr *)&info->local;
  const struct sockaddr *to = (const struct sockaddr *)&info->remote;
  for (size_t i = 0; i < cl->n_conns; i++) {
    cconn *c = &cl->conns[i];
    pq_udp *beside = bound_here(&c->sock, from)    ? &c->sock
                     : bound_here(&c->msock, from) ? &c->msock
                                                   : NULL;
    if (!beside)
      continue;
    for (size_t k = 0; k < c->n_routes; k++)
      if (bound_here(&c->routes[k], from) &&
          pq_io_addr_equal(to, (const struct sockaddr *)&c->routes[k].peer))
        return &c->routes[k];
    return open_route(c, beside, to);
  }
  return NULL;
}
