/*
 * TEST SUPPORT ONLY: a packet forger for tests of the connection core.
 *
 * It lets a test make one side of a live connection emit a packet whose
 * payload it wrote byte by byte (malformed frames, unusual frame orders),
 * protected exactly as the connection would protect it, so the peer's
 * handling of bad input can be exercised end to end. Applications have no
 * use for it; it is not part of the public API.
 */
#ifndef PQ_CONN_TEST_FORGE_H
#define PQ_CONN_TEST_FORGE_H

#include <stddef.h>
#include <stdint.h>

#include "pquic/pquic.h"

/* Builds into out[0..cap) one datagram holding a single 1-RTT packet sent
 * by cnx's side of the connection to its peer, on its first path: the
 * peer's current connection ID, our key phase, the next packet number of
 * the application space (consumed, so the connection never reuses it) and
 * the current 1-RTT write keys. The plaintext payload is exactly `payload`;
 * it must be at least 3 bytes (with the packet number, 4 bytes to sample
 * for header protection). Returns the datagram length.
 * Errors: PQUIC_ERR_INVAL (NULL arguments, payload too short),
 * PQUIC_ERR_STATE (no 1-RTT write keys, or the connection is closing),
 * PQUIC_ERR_BUFFER_TOO_SMALL, PQUIC_ERR_CRYPTO. */
int pq_test_forge_1rtt(pquic_cnx *cnx, const uint8_t *payload, size_t len, uint8_t *out,
                       size_t cap);

#endif
