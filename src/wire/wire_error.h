/*
 * Error reporting shared by the wire codecs.
 *
 * Every decoder returns 0 or a negative PQUIC_ERR_* code and, through an
 * optional `const char **rule` out-parameter (NULL when not wanted), a static
 * string naming the rule the input broke ("ACK range underflows below packet
 * number 0"). The string is set only on failure and lives forever; it is meant
 * for logs, qlog and the reason phrase of CONNECTION_CLOSE.
 *
 * Codes the wire decoders return, and what the connection does with them:
 *   PQUIC_ERR_HEADER              drop the packet (malformed header, RFC 9000
 *                                 says "discard"); no connection error
 *   PQUIC_ERR_VERSION             long header of a version we do not parse; a
 *                                 server may answer with Version Negotiation
 *   PQUIC_ERR_FRAME_ENCODING      FRAME_ENCODING_ERROR
 *   PQUIC_ERR_FRAME_UNKNOWN       frame type not built in: the core asks the
 *                                 plugins, else FRAME_ENCODING_ERROR
 *   PQUIC_ERR_PROTOCOL_VIOLATION  PROTOCOL_VIOLATION
 *   PQUIC_ERR_FRAME_NOT_ALLOWED   PROTOCOL_VIOLATION (frame in a packet type
 *                                 that may not carry it)
 *   PQUIC_ERR_TRANSPORT_PARAMETER TRANSPORT_PARAMETER_ERROR
 */
#ifndef PQ_WIRE_WIRE_ERROR_H
#define PQ_WIRE_WIRE_ERROR_H

#include <stddef.h>

#include "pquic/errors.h"

/* Sets *rule (if rule is not NULL) and returns err. */
static inline int pq_wire_fail(const char **rule, int err, const char *text) {
  if (rule)
    *rule = text;
  return err;
}

/* The QUIC transport error code (RFC 9000 section 20.1) to close a connection
 * with when a library call failed with `err`. Wire decoder codes map as listed
 * above; connection codes map to their namesakes (PQUIC_ERR_FLOW_CONTROL to
 * FLOW_CONTROL_ERROR, ...); PQUIC_ERR_HEADER and PQUIC_ERR_TRUNCATED, which
 * normally mean "drop the packet", map to PROTOCOL_VIOLATION; anything else,
 * including 0 and out-of-memory, to INTERNAL_ERROR. */
pquic_wire_error_t pq_wire_error_code(int err);

#endif
