/*
 * tests/sim/content.h - deterministic stream content.
 *
 * Byte i of the content with key k is byte (i % 8), least significant
 * first, of sim_mix64(k, i / 8). Any range can be generated or checked on
 * its own, so a receiver verifies data byte-exact without storing it, at
 * the cost of one 64-bit hash per 8 bytes.
 */
#ifndef SIM_CONTENT_H
#define SIM_CONTENT_H

#include <stddef.h>
#include <stdint.h>

/* The key for one direction of one stream of one connection. */
uint64_t sim_content_key(uint64_t conn_seed, uint64_t stream_id, int from_server);

/* Writes content bytes offset..offset+len-1 into buf. */
void sim_content_fill(uint64_t key, uint64_t offset, uint8_t *buf, size_t len);

/* Index in buf of the first byte that is not content byte offset+index;
 * len when all match. */
size_t sim_content_check(uint64_t key, uint64_t offset, const uint8_t *buf, size_t len);

#endif
