/*
 * The connection core's only view of bytecode plugins (src/plugin): a
 * pointer to plugin state on the endpoint and on each connection, NULL
 * until a plugin is loaded or attached, whose first member is this table
 * of functions. The core calls them at a few points and pays one NULL
 * check elsewhere; connections without plugins never reach them.
 */
#ifndef PQ_CONN_PLUGIN_LINK_H
#define PQ_CONN_PLUGIN_LINK_H

#include <stdint.h>

#include "conn/types.h"

typedef struct pq_plugin_hooks {
  /* Endpoint: a connection was created (attach the endpoint's injected
   * plugins; an error fails the creation), the endpoint is being freed
   * (after all its connections). */
  int (*cnx_new)(pq_cnx *cnx);
  void (*ep_free)(pq_endpoint *ep);
  /* Connection: freed; or its plugins were dropped after an operation
   * fault (the operation table is already back to the built-in one). */
  void (*cnx_free)(pq_cnx *cnx);
  void (*cnx_drop)(pq_cnx *cnx);
  /* Properties (PQ_FRAME_*) of an extension frame type an attached plugin
   * declared; 0 if none did. */
  int (*frame_props)(pq_cnx *cnx, uint64_t type, uint8_t *props);
  /* Plugin frames are waiting to be sent. */
  int (*has_pending)(pq_cnx *cnx);
  /* The default write_plugin_frames: the frame scheduler. */
  uint64_t (*write_frames)(pq_cnx *cnx, pq_opkt *o);
  /* Details of the last plugin fault on the connection ("" if none), for
   * the OP_FAULT event and the close reason. */
  const char *(*fault_detail)(pq_cnx *cnx);
} pq_plugin_hooks;

typedef struct pq_plugin_link {
  const pq_plugin_hooks *hooks;
} pq_plugin_link;

#endif
