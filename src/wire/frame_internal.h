/* Internal to the frame codec: shared by decoding, encoding and iteration. */
#ifndef PQ_WIRE_FRAME_INTERNAL_H
#define PQ_WIRE_FRAME_INTERNAL_H

#include <stdint.h>

#include "common/buf.h"

/* Reads `count` (Gap, ACK Range Length) pairs from r, starting below a range
 * whose smallest packet number is `smallest`, and checks that no computed
 * packet number goes below 0. *out gets the smallest acknowledged number.
 * Errors: PQUIC_ERR_FRAME_ENCODING (truncated, underflow). */
int pq_ack_ranges_walk(pq_rbuf *r, uint64_t count, uint64_t smallest, uint64_t *out,
                       const char **rule);

#endif
