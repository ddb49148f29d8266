/*
 * QUIC transport parameters (RFC 9000 sections 7.4 and 18): every RFC 9000
 * parameter, version_information (RFC 9368 section 3), max_datagram_frame_size
 * (RFC 9221) and grease_quic_bit (RFC 9287).
 *
 * pq_tp holds known parameters by value (CIDs are copied), a presence bit per
 * parameter, and the defaults for absent ones. Unknown parameters (including
 * the reserved 31 * N + 27 ones) are kept as (id, pointer, length) entries
 * pointing into the decoded input, so extensions and plugins can read them;
 * those entries are valid only while the input lives. The same entries let a
 * caller add extension parameters when encoding.
 *
 * Every decoding failure is PQUIC_ERR_TRANSPORT_PARAMETER (a
 * TRANSPORT_PARAMETER_ERROR) with the rule named through `rule`.
 */
#ifndef PQ_WIRE_TP_H
#define PQ_WIRE_TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "pquic/errors.h"
#include "wire/cid.h"

enum {
  PQ_TP_ORIGINAL_DCID = 0x00, /* original_destination_connection_id */
  PQ_TP_MAX_IDLE_TIMEOUT = 0x01,
  PQ_TP_STATELESS_RESET_TOKEN = 0x02,
  PQ_TP_MAX_UDP_PAYLOAD_SIZE = 0x03,
  PQ_TP_INITIAL_MAX_DATA = 0x04,
  PQ_TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL = 0x05,
  PQ_TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE = 0x06,
  PQ_TP_INITIAL_MAX_STREAM_DATA_UNI = 0x07,
  PQ_TP_INITIAL_MAX_STREAMS_BIDI = 0x08,
  PQ_TP_INITIAL_MAX_STREAMS_UNI = 0x09,
  PQ_TP_ACK_DELAY_EXPONENT = 0x0a,
  PQ_TP_MAX_ACK_DELAY = 0x0b,
  PQ_TP_DISABLE_ACTIVE_MIGRATION = 0x0c,
  PQ_TP_PREFERRED_ADDRESS = 0x0d,
  PQ_TP_ACTIVE_CONNECTION_ID_LIMIT = 0x0e,
  PQ_TP_INITIAL_SCID = 0x0f, /* initial_source_connection_id */
  PQ_TP_RETRY_SCID = 0x10,   /* retry_source_connection_id */
  PQ_TP_VERSION_INFORMATION = 0x11,
  PQ_TP_MAX_DATAGRAM_FRAME_SIZE = 0x20,
  PQ_TP_GREASE_QUIC_BIT = 0x2ab2,
};

/* Defaults of absent parameters (0 for the others). */
#define PQ_TP_DEFAULT_MAX_UDP_PAYLOAD_SIZE 65527
#define PQ_TP_DEFAULT_ACK_DELAY_EXPONENT 3
#define PQ_TP_DEFAULT_MAX_ACK_DELAY 25 /* ms */
#define PQ_TP_DEFAULT_ACTIVE_CID_LIMIT 2

#define PQ_TP_MAX_VERSIONS 32 /* available versions kept from version_information */
#define PQ_TP_MAX_EXT 16      /* unknown / extension parameters kept */

typedef struct pq_preferred_address {
  uint8_t ipv4[4];
  uint16_t ipv4_port;
  uint8_t ipv6[16];
  uint16_t ipv6_port;
  pq_cid cid; /* 1..20 bytes */
  uint8_t reset_token[PQ_RESET_TOKEN_LEN];
} pq_preferred_address;

/* A parameter this struct does not model: id and value bytes. */
typedef struct pq_tp_ext {
  uint64_t id;
  const uint8_t *value;
  size_t len;
} pq_tp_ext;

typedef struct pq_tp {
  uint32_t present; /* bit pq_tp_bit(id) per parameter present */
  pq_cid original_dcid;
  uint64_t max_idle_timeout; /* ms */
  uint8_t stateless_reset_token[PQ_RESET_TOKEN_LEN];
  uint64_t max_udp_payload_size;
  uint64_t initial_max_data;
  uint64_t initial_max_stream_data_bidi_local;
  uint64_t initial_max_stream_data_bidi_remote;
  uint64_t initial_max_stream_data_uni;
  uint64_t initial_max_streams_bidi;
  uint64_t initial_max_streams_uni;
  uint64_t ack_delay_exponent;
  uint64_t max_ack_delay; /* ms */
  pq_preferred_address preferred_address;
  uint64_t active_connection_id_limit;
  pq_cid initial_scid;
  pq_cid retry_scid;
  uint32_t chosen_version; /* version_information */
  uint32_t available_versions[PQ_TP_MAX_VERSIONS];
  size_t n_available_versions;
  uint64_t max_datagram_frame_size;
  pq_tp_ext ext[PQ_TP_MAX_EXT]; /* unknown parameters, in input order */
  size_t n_ext;
  size_t n_ext_dropped; /* unknown parameters beyond PQ_TP_MAX_EXT, not kept */
} pq_tp;

/* Presence bit index of a known parameter id, -1 for others. */
static inline int pq_tp_bit(uint64_t id) {
  if (id <= PQ_TP_VERSION_INFORMATION)
    return (int)id;
  if (id == PQ_TP_MAX_DATAGRAM_FRAME_SIZE)
    return 18;
  if (id == PQ_TP_GREASE_QUIC_BIT)
    return 19;
  return -1;
}

static inline bool pq_tp_has(const pq_tp *tp, uint64_t id) {
  int b = pq_tp_bit(id);
  return b >= 0 && (tp->present >> b) & 1;
}

/* Marks a known parameter present (after setting its field), so that the
 * encoder sends it. No effect for unknown ids. */
static inline void pq_tp_mark(pq_tp *tp, uint64_t id) {
  int b = pq_tp_bit(id);
  if (b >= 0)
    tp->present |= UINT32_C(1) << b;
}

/* True for ids of the form 31 * N + 27, reserved for greasing. */
static inline bool pq_tp_is_grease(uint64_t id) {
  return id % 31 == 27;
}

/* Empties tp: nothing present, every field at its default. */
void pq_tp_init(pq_tp *tp);

/* Adds an extension parameter to be encoded after the known ones; value is
 * not copied. Errors: PQUIC_ERR_INVAL (a known id, an id already added, id
 * over 2^62-1, NULL value with len > 0), PQUIC_ERR_LIMIT (PQ_TP_MAX_EXT). */
int pq_tp_add_ext(pq_tp *tp, uint64_t id, const void *value, size_t len);

/* The extension parameter with this id, or NULL. */
const pq_tp_ext *pq_tp_find_ext(const pq_tp *tp, uint64_t id);

/* Checks the parameters a peer sent (sender_is_server: who sent them):
 * value ranges, server-only parameters from a client, preferred_address and
 * version_information consistency, and the parameters RFC 9000 section 7.3
 * requires (initial_source_connection_id from both, original_destination_
 * connection_id from a server). pq_tp_decode() calls it; encoders too.
 * Errors: PQUIC_ERR_TRANSPORT_PARAMETER. */
int pq_tp_validate(const pq_tp *tp, bool sender_is_server, const char **rule);

/* Decodes the transport parameters extension sent by a client or a server
 * into tp (initialized here). Besides pq_tp_validate()'s rules: truncated
 * parameter, duplicate parameter, value length not matching its type (an
 * integer must fill its length exactly, stateless_reset_token is 16 bytes,
 * disable_active_migration and grease_quic_bit are empty, CIDs <= 20 bytes),
 * version_information not a non-empty multiple of 4 or with more than
 * PQ_TP_MAX_VERSIONS versions. Duplicates of unknown ids are detected among
 * the PQ_TP_MAX_EXT kept. Errors: PQUIC_ERR_TRANSPORT_PARAMETER. */
int pq_tp_decode(const uint8_t *data, size_t len, bool sender_is_server, pq_tp *tp,
                 const char **rule);

/* Encodes the present parameters of tp, in id order, then tp->ext, for a
 * sender of the given role. Errors (nothing written to w):
 * PQUIC_ERR_TRANSPORT_PARAMETER (tp breaks a pq_tp_validate() rule, e.g. a
 * server-only parameter on the client side; *rule names it),
 * PQUIC_ERR_INVAL (an extension entry with a known id),
 * PQUIC_ERR_BUFFER_TOO_SMALL. */
int pq_tp_encode(pq_wbuf *w, const pq_tp *tp, bool sender_is_server, const char **rule);

/* True if a and b hold the same parameters: presence, values of the present
 * ones, extension entries by content. For round-trip tests and fuzzers. */
bool pq_tp_equal(const pq_tp *a, const pq_tp *b);

#endif
