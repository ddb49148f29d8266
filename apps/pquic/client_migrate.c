/* pquic client --migrate: active migration to a new local port (RFC 9000
 * 9.2) through a second socket connected to the same server. */
#include <errno.h>
#include <string.h>

#include "client.h"

static int any_body(const cconn *c) {
  for (size_t i = 0; i < c->n_reqs; i++)
    if (c->reqs[i].bytes > 0)
      return 1;
  return 0;
}

/* Opens the new socket (same family as the first, kernel-chosen port),
 * connects it and watches it. The old socket stays open and watched too:
 * datagrams already on their way still arrive there. */
static int open_msock(cconn *c) {
  client *cl = c->cl;
  if (cl->socks.n == cl->socks.cap)
    return PQUIC_ERR_LIMIT;
  struct sockaddr_storage any;
  memset(&any, 0, sizeof any);
  any.ss_family = c->remote.ss_family;
  pq_udp_opts uo = {.rcvbuf = 4 << 20, .sndbuf = 4 << 20, .tx_slots = 32};
  int rc = pq_udp_open(&c->msock, (struct sockaddr *)&any, &uo);
  if (rc == 0)
    rc = pq_udp_connect(&c->msock, (struct sockaddr *)&c->remote);
  if (rc == 0)
    rc = pq_loop_add_udp(cl->loop, &c->msock);
  if (rc) {
    int e = errno;
    pq_udp_close(&c->msock);
    errno = e;
    return rc;
  }
  sockset_add(&cl->socks, &c->msock);
  return 0;
}

void cconn_maybe_migrate(cconn *c, uint64_t now) {
  if (!c->cl->o.migrate || c->migrated || c->finished || !c->cnx || !c->handshake_done ||
      !any_body(c))
    return;
  if (c->msock.fd < 0) {
    int rc = open_msock(c);
    if (rc) {
      c->migrate_rc = rc;
      c->migrated = -1; /* give up: reported at the end */
      return;
    }
  }
  int rc = pquic_cnx_migrate(c->cnx, (const struct sockaddr *)&c->msock.local, now);
  if (rc == 0) {
    c->migrated = 1;
  } else {
    c->migrate_rc = rc;
    /* Not confirmed yet or no spare connection ID: the next service tries
     * again. Anything else will not get better. */
    if (rc != PQUIC_ERR_STATE)
      c->migrated = -1;
  }
  c->dirty = 1;
}
