/*
 * QUIC frames: RFC 9000 types 0x00-0x1e and DATAGRAM 0x30/0x31 (RFC 9221).
 *
 * A decoded frame is a pq_frame: the wire type and a union of per-type
 * structs. Decoding never allocates or copies payload: stream and crypto
 * data, tokens, connection IDs and reason phrases point into the input,
 * which must outlive the frame. ACK ranges stay in their wire form, validated
 * once by the decoder and walked with pq_ack_iter.
 *
 * The type field carries the flag bits of the wire type: STREAM's OFF/LEN/
 * FIN (0x08..0x0f), ACK with ECN counts (0x03), MAX_STREAMS and
 * STREAMS_BLOCKED for unidirectional streams (0x13, 0x17), application
 * CONNECTION_CLOSE (0x1d), DATAGRAM with Length (0x31).
 *
 * Input to pq_frame_decode() is a packet payload: frames whose data runs to
 * the end of the packet (STREAM without LEN, DATAGRAM 0x30) take the rest of
 * the pq_rbuf.
 */
#ifndef PQ_WIRE_FRAME_H
#define PQ_WIRE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/ranges.h"
#include "pquic/errors.h"
#include "wire/version.h"

enum {
  PQ_FT_PADDING = 0x00,
  PQ_FT_PING = 0x01,
  PQ_FT_ACK = 0x02,
  PQ_FT_ACK_ECN = 0x03,
  PQ_FT_RESET_STREAM = 0x04,
  PQ_FT_STOP_SENDING = 0x05,
  PQ_FT_CRYPTO = 0x06,
  PQ_FT_NEW_TOKEN = 0x07,
  PQ_FT_STREAM = 0x08, /* 0x08..0x0f, with the PQ_STREAM_BIT_* flags */
  PQ_FT_MAX_DATA = 0x10,
  PQ_FT_MAX_STREAM_DATA = 0x11,
  PQ_FT_MAX_STREAMS_BIDI = 0x12,
  PQ_FT_MAX_STREAMS_UNI = 0x13,
  PQ_FT_DATA_BLOCKED = 0x14,
  PQ_FT_STREAM_DATA_BLOCKED = 0x15,
  PQ_FT_STREAMS_BLOCKED_BIDI = 0x16,
  PQ_FT_STREAMS_BLOCKED_UNI = 0x17,
  PQ_FT_NEW_CONNECTION_ID = 0x18,
  PQ_FT_RETIRE_CONNECTION_ID = 0x19,
  PQ_FT_PATH_CHALLENGE = 0x1a,
  PQ_FT_PATH_RESPONSE = 0x1b,
  PQ_FT_CONNECTION_CLOSE = 0x1c,     /* transport error */
  PQ_FT_CONNECTION_CLOSE_APP = 0x1d, /* application error */
  PQ_FT_HANDSHAKE_DONE = 0x1e,
  PQ_FT_DATAGRAM = 0x30,     /* data to the end of the packet */
  PQ_FT_DATAGRAM_LEN = 0x31, /* with a Length field */
};

#define PQ_STREAM_BIT_OFF 0x04
#define PQ_STREAM_BIT_LEN 0x02
#define PQ_STREAM_BIT_FIN 0x01

#define PQ_MAX_STREAMS_LIMIT (UINT64_C(1) << 60)       /* MAX_STREAMS, STREAMS_BLOCKED */
#define PQ_MAX_STREAM_OFFSET ((UINT64_C(1) << 62) - 1) /* offset + length */

static inline bool pq_frame_is_stream(uint64_t type) {
  return type >= 0x08 && type <= 0x0f;
}

/* ACK and ACK_ECN. Ranges stay encoded; see pq_ack_iter. */
typedef struct pq_ack_frame {
  uint64_t largest;      /* Largest Acknowledged */
  uint64_t ack_delay;    /* as encoded: scale by 2^ack_delay_exponent for µs */
  uint64_t range_count;  /* ACK Range Count: (Gap, Length) pairs after the first */
  uint64_t first_range;  /* First ACK Range */
  const uint8_t *ranges; /* range_count (Gap, ACK Range Length) varint pairs */
  size_t ranges_len;     /* their size in bytes */
  uint64_t smallest;     /* smallest acknowledged number; set by the decoder */
  uint64_t ecn[3];       /* ECT(0), ECT(1), ECN-CE counts (type 0x03 only) */
} pq_ack_frame;

enum { PQ_ECN_ECT0 = 0, PQ_ECN_ECT1 = 1, PQ_ECN_CE = 2 };

typedef struct pq_stream_frame {
  uint64_t stream_id;
  uint64_t offset;
  const uint8_t *data;
  size_t len;
  bool fin;
} pq_stream_frame;

typedef struct pq_crypto_frame {
  uint64_t offset;
  const uint8_t *data;
  size_t len;
} pq_crypto_frame;

typedef struct pq_new_cid_frame {
  uint64_t seq;
  uint64_t retire_prior_to;
  const uint8_t *cid; /* 1..20 bytes */
  uint8_t cid_len;
  const uint8_t *reset_token; /* 16 bytes */
} pq_new_cid_frame;

typedef struct pq_close_frame {
  uint64_t error_code;
  uint64_t frame_type; /* 0x1c only: the frame that triggered the error */
  const uint8_t *reason;
  size_t reason_len;
} pq_close_frame;

typedef struct pq_frame {
  uint64_t type; /* wire type, including flag bits */
  union {
    struct {
      size_t len; /* a run of consecutive PADDING bytes, >= 1 */
    } padding;
    pq_ack_frame ack;
    struct {
      uint64_t stream_id, app_error, final_size;
    } reset_stream;
    struct {
      uint64_t stream_id, app_error;
    } stop_sending;
    pq_crypto_frame crypto;
    struct {
      const uint8_t *token; /* non-empty */
      size_t len;
    } new_token;
    pq_stream_frame stream;
    struct {
      uint64_t max;
    } max_data;
    struct {
      uint64_t stream_id, max;
    } max_stream_data;
    struct {
      uint64_t max; /* <= 2^60 */
    } max_streams;
    struct {
      uint64_t limit;
    } data_blocked;
    struct {
      uint64_t stream_id, limit;
    } stream_data_blocked;
    struct {
      uint64_t limit; /* <= 2^60 */
    } streams_blocked;
    pq_new_cid_frame new_cid;
    struct {
      uint64_t seq;
    } retire_cid;
    struct {
      uint8_t data[8];
    } path; /* PATH_CHALLENGE and PATH_RESPONSE */
    pq_close_frame close;
    struct {
      const uint8_t *data;
      size_t len;
    } datagram;
  } u;
} pq_frame;

/* ---- Decoding ---- */

/* Decodes one frame at r->p and advances r past it. PADDING bytes in a row
 * decode as one frame (u.padding.len of them).
 * On error r is unchanged; f->type holds the frame type when it could be
 * read (for CONNECTION_CLOSE's Frame Type field), and:
 *   PQUIC_ERR_FRAME_ENCODING      truncated or invalid field: STREAM or
 *                                 CRYPTO offset + length over 2^62-1, ACK
 *                                 range below 0, MAX_STREAMS or
 *                                 STREAMS_BLOCKED over 2^60, NEW_TOKEN empty,
 *                                 NEW_CONNECTION_ID length not 1..20 or
 *                                 Retire Prior To above Sequence Number, ...
 *   PQUIC_ERR_PROTOCOL_VIOLATION  frame type not in its shortest encoding
 *                                 (RFC 9000 section 12.4)
 *   PQUIC_ERR_FRAME_UNKNOWN       type not built in (r still at the type
 *                                 byte, so an extension can parse it) */
int pq_frame_decode(pq_rbuf *r, pq_frame *f, const char **rule);

/* ---- Encoding ---- */

/* Encoded size of f, or 0 if f cannot be encoded (unknown type or a field
 * that breaks a rule the decoder enforces). */
size_t pq_frame_size(const pq_frame *f);

/* Encodes f, the inverse of pq_frame_decode(): the same struct decodes back
 * (integers re-encoded minimally, ACK ranges copied as they are). STREAM
 * frames get the OFF bit if offset != 0 or the type has it, LEN from the
 * type, FIN from u.stream.fin; without LEN the frame must end the packet.
 * Errors (w unchanged): PQUIC_ERR_INVAL (pq_frame_size() is 0),
 * PQUIC_ERR_BUFFER_TOO_SMALL. */
int pq_frame_encode(pq_wbuf *w, const pq_frame *f);

/* True if a and b are the same frame: same type and fields, data, tokens,
 * CIDs and reason phrases equal by content (pointers may differ). For tests
 * and fuzzers checking that encoding round-trips. */
bool pq_frame_equal(const pq_frame *a, const pq_frame *b);

/* ---- ACK ---- */

/* Walks the acknowledged ranges of a decoded ACK frame, highest first. */
typedef struct pq_ack_iter {
  pq_rbuf r;
  uint64_t smallest; /* of the range last returned */
  uint64_t left;     /* ranges still to return */
  uint64_t largest0; /* first range, before it is returned */
  bool started;
} pq_ack_iter;

void pq_ack_iter_init(pq_ack_iter *it, const pq_ack_frame *a);

/* Next range [*smallest, *largest]; false when done (or, for a frame that
 * did not come from pq_frame_decode(), at the first invalid range). */
bool pq_ack_iter_next(pq_ack_iter *it, uint64_t *smallest, uint64_t *largest);

/* Writes an ACK frame (ACK_ECN when ecn is not NULL) for `ranges`, given in
 * ascending order, disjoint and non-adjacent (at least one missing number
 * between two ranges), as a pq_ranges set keeps them: pass
 * pq_ranges_at(set, 0) and pq_ranges_count(set). The frame takes at most
 * `budget` bytes (and what w has left): when all ranges do not fit, the
 * highest ones are kept and the oldest dropped. *n_written (optional) gets
 * how many ranges were written, counted from the top.
 * Errors (w unchanged): PQUIC_ERR_INVAL (n == 0, ranges not ascending,
 * overlapping or adjacent, values over 2^62-1, ack_delay or an ECN count over
 * 2^62-1), PQUIC_ERR_BUFFER_TOO_SMALL (not even the highest range fits). */
int pq_ack_frame_write(pq_wbuf *w, const pq_range *ranges, size_t n, uint64_t ack_delay,
                       const uint64_t ecn[3], size_t budget, size_t *n_written);

/* ---- STREAM and CRYPTO, written in place ---- */

/* Size of a STREAM frame header (type, stream ID, offset when non-zero,
 * Length when with_len) for data_len bytes of data. */
static inline size_t pq_stream_header_len(uint64_t stream_id, uint64_t offset, size_t data_len,
                                          bool with_len) {
  return 1 + pq_varint_len(stream_id) + (offset ? pq_varint_len(offset) : 0) +
         (with_len ? pq_varint_len(data_len) : 0);
}

/* How much of `avail` bytes of stream data fits in a STREAM frame of at
 * most `budget` bytes, with a Length field or without (the last frame of a
 * packet). Returns false when not even the header with no data fits; else
 * *data_len (possibly 0) gets the bytes that fit, never making offset +
 * length exceed 2^62-1. */
bool pq_stream_frame_fit(uint64_t stream_id, uint64_t offset, size_t avail, size_t budget,
                         bool with_len, size_t *data_len);

/* Writes a STREAM frame header for data_len bytes; the caller writes the
 * data right after it (no copy through this layer). Errors (w unchanged):
 * PQUIC_ERR_INVAL (stream_id over 2^62-1, offset + data_len over 2^62-1),
 * PQUIC_ERR_BUFFER_TOO_SMALL (header and data do not both fit). */
int pq_stream_header_write(pq_wbuf *w, uint64_t stream_id, uint64_t offset, size_t data_len,
                           bool fin, bool with_len);

/* pq_stream_header_write() followed by the data. */
int pq_stream_frame_write(pq_wbuf *w, uint64_t stream_id, uint64_t offset, const uint8_t *data,
                          size_t data_len, bool fin, bool with_len);

/* CRYPTO frames always carry a Length. Same contracts as for STREAM. */
bool pq_crypto_frame_fit(uint64_t offset, size_t avail, size_t budget, size_t *data_len);
int pq_crypto_header_write(pq_wbuf *w, uint64_t offset, size_t data_len);

/* ---- Frame type properties (RFC 9000 section 12.4, RFC 9221) ---- */

enum {
  PQ_FRAME_ACK_ELICITING = 1u << 0,   /* not "N" in Table 3 */
  PQ_FRAME_IN_FLIGHT = 1u << 1,       /* counts in bytes in flight (RFC 9002 2) */
  PQ_FRAME_PROBING = 1u << 2,         /* "P": probing frame */
  PQ_FRAME_FLOW_CONTROLLED = 1u << 3, /* "F" */
  PQ_FRAME_IN_INITIAL = 1u << 4,      /* allowed in packet types ("Pkts") */
  PQ_FRAME_IN_0RTT = 1u << 5,
  PQ_FRAME_IN_HANDSHAKE = 1u << 6,
  PQ_FRAME_IN_1RTT = 1u << 7,
};

typedef struct pq_frame_info {
  const char *name; /* "STREAM" for all eight STREAM types, etc. */
  uint8_t flags;    /* PQ_FRAME_* */
} pq_frame_info;

/* Types 0x00..0x1e, then 0x30 and 0x31. */
extern const pq_frame_info pq_frame_table[0x1f + 2];

/* Properties of a built-in frame type, NULL for others (extension types
 * are described by whoever registers them). */
static inline const pq_frame_info *pq_frame_info_get(uint64_t type) {
  if (type <= 0x1e)
    return &pq_frame_table[type];
  if (type == PQ_FT_DATAGRAM || type == PQ_FT_DATAGRAM_LEN)
    return &pq_frame_table[0x1f + (type - PQ_FT_DATAGRAM)];
  return NULL;
}

/* The PQ_FRAME_IN_* bit for a packet type (0 for Retry and VN). */
static inline uint8_t pq_frame_pkt_bit(pq_pkt_type pkt) {
  switch (pkt) {
  case PQ_PKT_INITIAL:
    return PQ_FRAME_IN_INITIAL;
  case PQ_PKT_0RTT:
    return PQ_FRAME_IN_0RTT;
  case PQ_PKT_HANDSHAKE:
    return PQ_FRAME_IN_HANDSHAKE;
  case PQ_PKT_1RTT:
    return PQ_FRAME_IN_1RTT;
  default:
    return 0;
  }
}

/* Checks that a built-in frame type may appear in a packet of type pkt
 * (Table 3 of RFC 9000 section 12.4; DATAGRAM in 0-RTT and 1-RTT).
 * Errors: PQUIC_ERR_FRAME_NOT_ALLOWED (a PROTOCOL_VIOLATION),
 * PQUIC_ERR_FRAME_UNKNOWN (not built in: ask the extension's table). */
int pq_frame_check_allowed(uint64_t type, pq_pkt_type pkt, const char **rule);

#endif
