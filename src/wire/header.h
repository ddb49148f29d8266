/*
 * QUIC packet headers (RFC 9000 section 17, RFC 8999, RFC 9369 for v2):
 * parsing in the two phases that header protection imposes, coalesced
 * packets, Version Negotiation and Retry packets, and header writing.
 *
 * Reading a packet:
 *   1. pq_header_parse() (or pq_dgram_next() over a datagram) reads what is
 *      not header-protected: form, version, connection IDs, token, Length,
 *      the packet number offset and where the packet ends in the datagram.
 *      Nothing is copied: CIDs and tokens point into the input.
 *   2. The caller removes header protection in place (pq_header_hp_sample()
 *      gives the sample, pq_header_hp_bits() the first-byte mask) and calls
 *      pq_header_read_pn() for the packet number length, truncated packet
 *      number and key phase.
 *   3. After the payload is decrypted, pq_header_check_reserved() enforces
 *      the reserved bits (checking them earlier would expose the endpoint to
 *      attacks, RFC 9001 section 9.5).
 *
 * Failure codes: PQUIC_ERR_HEADER means "discard the packet" (RFC 9000's
 * rules for malformed headers), PQUIC_ERR_VERSION a long header of a version
 * this library does not parse, PQUIC_ERR_PROTOCOL_VIOLATION (reserved bits
 * only) a connection error. See wire/wire_error.h for the `rule` argument.
 */
#ifndef PQ_WIRE_HEADER_H
#define PQ_WIRE_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "pquic/errors.h"
#include "wire/cid.h"
#include "wire/version.h"

#define PQ_HDR_FORM_LONG 0x80
#define PQ_HDR_FIXED_BIT 0x40
#define PQ_HDR_SPIN_BIT 0x20       /* short header */
#define PQ_HDR_KEY_PHASE_BIT 0x04  /* short header */
#define PQ_HDR_LONG_RESERVED 0x0c  /* long header reserved bits */
#define PQ_HDR_SHORT_RESERVED 0x18 /* short header reserved bits */
#define PQ_HDR_PN_LEN_MASK 0x03

#define PQ_HP_SAMPLE_OFFSET 4  /* sample starts 4 bytes after pn_offset */
#define PQ_HP_SAMPLE_LEN 16    /* for every cipher suite QUIC defines */
#define PQ_RETRY_TAG_LEN 16    /* Retry Integrity Tag */
#define PQ_MAX_CID_LEN_ANY 255 /* invariants (RFC 8999): CID length byte */

/* Parse flags. */
enum {
  /* We advertised grease_quic_bit (RFC 9287): accept a fixed bit of 0. */
  PQ_HDR_GREASE_QUIC_BIT = 1u << 0,
};

/* A parsed packet header. Pointers point into the parsed buffer. */
typedef struct pq_header {
  const uint8_t *pkt; /* first byte of the packet */
  size_t len;         /* bytes of this packet in the datagram */
  uint8_t type;       /* pq_pkt_type */
  uint8_t first;      /* byte 0 as parsed (still protected) */
  uint32_t version;   /* long headers; 0 for 1-RTT and VN */
  uint8_t dcid_len;   /* <= 20 for v1/v2, up to 255 for VN and unknown versions */
  uint8_t scid_len;   /* long headers only */
  const uint8_t *dcid;
  const uint8_t *scid;
  const uint8_t *token; /* Initial: token (may be empty); Retry: retry token */
  size_t token_len;
  size_t pn_offset;        /* Initial, 0-RTT, Handshake, 1-RTT; from pkt */
  const uint8_t *versions; /* VN: supported versions, 4 bytes each */
  size_t n_versions;
  const uint8_t *retry_tag; /* Retry: the 16-byte integrity tag */
  /* Set by pq_header_read_pn(), after header protection is removed: */
  uint8_t pn_len;        /* 1..4 */
  uint8_t reserved;      /* reserved bits of byte 0, unshifted */
  bool key_phase;        /* 1-RTT */
  bool spin;             /* 1-RTT (not header-protected: valid after parse) */
  uint32_t pn_truncated; /* decode with pq_pn_decode() */
} pq_header;

/* Parses the header of the packet starting at pkt, with avail bytes left in
 * the datagram. short_dcid_len is the length of the CIDs we issue (short
 * headers do not carry it). flags: PQ_HDR_*.
 *
 * On success h->len is where the packet ends: the next coalesced packet, if
 * any, starts at pkt + h->len. Long headers with a Length field (Initial,
 * 0-RTT, Handshake) end after Length bytes; 1-RTT, Retry and VN packets take
 * the rest of the datagram.
 *
 * Errors:
 *   PQUIC_ERR_HEADER   discard: empty or truncated header, fixed bit 0, CID
 *                      longer than 20 bytes in v1/v2, Length beyond the
 *                      datagram, Retry without token or tag, VN whose version
 *                      list is empty or not a multiple of 4 bytes
 *   PQUIC_ERR_VERSION  long header of an unsupported version: h->version,
 *                      dcid and scid (up to 255 bytes each) are set and
 *                      h->len = avail, enough to send Version Negotiation
 */
int pq_header_parse(const uint8_t *pkt, size_t avail, size_t short_dcid_len, unsigned flags,
                    pq_header *h, const char **rule);

/* Phase 2, after the caller removed header protection in place (h->pkt[0]
 * and the packet number bytes): reads pn_len, the truncated packet number,
 * reserved bits and key phase. Only for packets with a packet number.
 * Errors: PQUIC_ERR_HEADER if the packet number does not fit in the packet
 * or h is not such a packet. */
int pq_header_read_pn(pq_header *h, const char **rule);

/* The payload after the packet number (valid after pq_header_read_pn()). */
static inline const uint8_t *pq_header_payload(const pq_header *h) {
  return h->pkt + h->pn_offset + h->pn_len;
}
static inline size_t pq_header_payload_len(const pq_header *h) {
  return h->len - h->pn_offset - h->pn_len;
}

/* Phase 3, after packet protection is removed: reserved bits must be 0.
 * Errors: PQUIC_ERR_PROTOCOL_VIOLATION. */
static inline int pq_header_check_reserved(const pq_header *h, const char **rule) {
  if (h->reserved == 0)
    return 0;
  if (rule)
    *rule = "reserved header bits are not 0 after removing protection";
  return PQUIC_ERR_PROTOCOL_VIOLATION;
}

/* The header protection sample (PQ_HP_SAMPLE_LEN bytes at pn_offset + 4), or
 * NULL if the packet is too short to contain it: such packets are discarded
 * (RFC 9001 section 5.4.2). */
static inline const uint8_t *pq_header_hp_sample(const pq_header *h) {
  if (h->pn_offset + PQ_HP_SAMPLE_OFFSET + PQ_HP_SAMPLE_LEN > h->len)
    return NULL;
  return h->pkt + h->pn_offset + PQ_HP_SAMPLE_OFFSET;
}

/* Bits of byte 0 covered by header protection: 0x0f long, 0x1f short. */
static inline uint8_t pq_header_hp_bits(const pq_header *h) {
  return h->type == PQ_PKT_1RTT ? 0x1f : 0x0f;
}

/* ---- Datagrams: coalesced packets and demultiplexing ---- */

/* Iterates over the packets coalesced in one datagram (RFC 9000 section
 * 12.2). Packets after the first must carry the same DCID. */
typedef struct pq_dgram_iter {
  const uint8_t *p;
  const uint8_t *end;
  const uint8_t *dcid0; /* DCID of the first packet */
  size_t dcid0_len;
  size_t short_dcid_len;
  unsigned flags;
  unsigned count; /* packets returned so far */
} pq_dgram_iter;

void pq_dgram_iter_init(pq_dgram_iter *it, const uint8_t *dgram, size_t len, size_t short_dcid_len,
                        unsigned flags);

/* Parses the next packet into h: returns 1 (a packet), 0 (no more) or a
 * pq_header_parse() error, or PQUIC_ERR_HEADER for a packet whose DCID
 * differs from the first one's. After an error iteration stops (the rest of
 * the datagram cannot be delimited); packets returned before stay valid. */
int pq_dgram_next(pq_dgram_iter *it, pq_header *h, const char **rule);

/* Finds a datagram's DCID without parsing the rest, for endpoint
 * demultiplexing: version-independent for long headers (up to 255 bytes),
 * short_dcid_len for short headers. Errors: PQUIC_ERR_HEADER (too short). */
static inline int pq_peek_dcid(const uint8_t *d, size_t len, size_t short_dcid_len,
                               const uint8_t **dcid, size_t *dcid_len) {
  if (len == 0)
    return PQUIC_ERR_HEADER;
  if (d[0] & PQ_HDR_FORM_LONG) {
    if (len < 6 || len - 6 < d[5])
      return PQUIC_ERR_HEADER;
    *dcid = d + 6;
    *dcid_len = d[5];
    return 0;
  }
  if (len - 1 < short_dcid_len)
    return PQUIC_ERR_HEADER;
  *dcid = d + 1;
  *dcid_len = short_dcid_len;
  return 0;
}

/* The version of a long header datagram; false for short headers or fewer
 * than 5 bytes. */
static inline bool pq_peek_version(const uint8_t *d, size_t len, uint32_t *version) {
  if (len < 5 || !(d[0] & PQ_HDR_FORM_LONG))
    return false;
  *version = (uint32_t)d[1] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 8 | d[4];
  return true;
}

/* ---- Writing headers ---- */

/* What to write. For long headers (Initial, 0-RTT, Handshake) the Length
 * field is written either minimally from `length` now (length_len 0), or in
 * exactly length_len bytes (1, 2, 4 or 8) to be filled in after the payload
 * with pq_header_set_length(). */
typedef struct pq_header_spec {
  uint8_t type;     /* PQ_PKT_INITIAL, _0RTT, _HANDSHAKE or _1RTT */
  uint32_t version; /* long headers: PQ_VERSION_V1 or PQ_VERSION_V2 */
  const uint8_t *dcid;
  size_t dcid_len; /* <= 20 */
  const uint8_t *scid;
  size_t scid_len; /* <= 20, long headers */
  const uint8_t *token;
  size_t token_len; /* Initial only */
  uint64_t pn;
  uint8_t pn_len;       /* 1..4 */
  uint8_t length_len;   /* 0, 1, 2, 4 or 8 (long headers) */
  uint64_t length;      /* Length value when length_len == 0 */
  bool spin;            /* 1-RTT */
  bool key_phase;       /* 1-RTT */
  bool clear_fixed_bit; /* the peer advertised grease_quic_bit */
} pq_header_spec;

/* Where the written header's fields are, for the packet writer. */
typedef struct pq_header_out {
  uint8_t *start;        /* byte 0 */
  uint8_t *length_field; /* long headers: the Length field; NULL for 1-RTT */
  uint8_t length_len;
  size_t pn_offset; /* from start; the header ends at pn_offset + pn_len */
  size_t len;       /* header length including the packet number */
} pq_header_out;

/* Writes a header (with reserved bits 0 and the packet number unprotected).
 * Errors (w unchanged): PQUIC_ERR_INVAL for a bad spec (type, version, CID
 * length, pn_len, length_len, token outside Initial), PQUIC_ERR_BUFFER_TOO_SMALL. */
int pq_header_write(pq_wbuf *w, const pq_header_spec *s, pq_header_out *out);

/* Fills in the Length field reserved by pq_header_write(): length counts the
 * packet number, payload and AEAD tag. Errors: PQUIC_ERR_VARINT_RANGE if it
 * does not fit in the reserved bytes, PQUIC_ERR_INVAL for a 1-RTT header. */
int pq_header_set_length(const pq_header_out *o, uint64_t length);

/* Header length (including packet number) pq_header_write() would produce,
 * 0 for a bad spec. */
size_t pq_header_len(const pq_header_spec *s);

/* ---- Version Negotiation (RFC 9000 section 17.2.1, RFC 9368) ---- */

/* Writes a VN packet answering a client packet: dcid is the client's SCID,
 * scid the client's DCID (each up to 255 bytes), versions the n >= 1 versions
 * we support (reserved ones may be mixed in). unused supplies the 7 unused
 * bits of byte 0; the 0x40 bit is always set (RFC 9000 recommends it).
 * Errors (w unchanged): PQUIC_ERR_INVAL, PQUIC_ERR_BUFFER_TOO_SMALL. */
int pq_vn_write(pq_wbuf *w, uint8_t unused, const uint8_t *dcid, size_t dcid_len,
                const uint8_t *scid, size_t scid_len, const uint32_t *versions, size_t n);

/* The i-th version listed by a parsed VN packet (i < h->n_versions). */
static inline uint32_t pq_vn_version(const pq_header *h, size_t i) {
  const uint8_t *v = h->versions + 4 * i;
  return (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
}

/* True if the VN packet lists version v. */
bool pq_vn_lists(const pq_header *h, uint32_t v);

/* Client checks before acting on a parsed VN packet: it must echo our CIDs
 * (its DCID is our SCID, its SCID is the DCID we sent) and must not list the
 * version we attempted (RFC 9000 section 6.2, RFC 9368 section 4: such a VN
 * is ignored, which prevents downgrades). Returns 0 if the client may act on
 * it, PQUIC_ERR_HEADER (ignore the packet) otherwise. */
int pq_vn_validate(const pq_header *h, uint32_t attempted_version, const uint8_t *our_scid,
                   size_t our_scid_len, const uint8_t *our_dcid, size_t our_dcid_len,
                   const char **rule);

/* Picks the first of our versions (ours[0] preferred) that the VN lists,
 * skipping reserved versions. Returns 0 and *chosen, or PQUIC_ERR_NOT_FOUND
 * (the client abandons the attempt). */
int pq_vn_select(const pq_header *h, const uint32_t *ours, size_t n, uint32_t *chosen);

/* ---- Retry (RFC 9000 section 17.2.5, RFC 9001 section 5.8) ---- */

/* Writes a Retry packet: header, token (non-empty) and PQ_RETRY_TAG_LEN zero
 * bytes for the integrity tag, which the crypto module computes over the
 * pseudo-packet (pq_retry_pseudo_write()) and stores at *tag. unused supplies
 * the 4 unused bits of byte 0. Errors (w unchanged): PQUIC_ERR_INVAL,
 * PQUIC_ERR_BUFFER_TOO_SMALL. */
int pq_retry_write(pq_wbuf *w, uint32_t version, uint8_t unused, const uint8_t *dcid,
                   size_t dcid_len, const uint8_t *scid, size_t scid_len, const uint8_t *token,
                   size_t token_len, uint8_t **tag);

/* Length of the Retry pseudo-packet for an ODCID of odcid_len bytes and a
 * Retry packet of retry_len bytes (tag included). */
static inline size_t pq_retry_pseudo_len(size_t odcid_len, size_t retry_len) {
  return 1 + odcid_len + retry_len - PQ_RETRY_TAG_LEN;
}

/* Writes the Retry pseudo-packet, the AEAD associated data of the Retry
 * Integrity Tag: ODCID length, ODCID, then the Retry packet (retry_len bytes,
 * tag included) without its tag. odcid is the DCID of the client's first
 * Initial. Errors (w unchanged): PQUIC_ERR_INVAL (odcid longer than 20 bytes,
 * retry shorter than a tag), PQUIC_ERR_BUFFER_TOO_SMALL. */
int pq_retry_pseudo_write(pq_wbuf *w, const uint8_t *odcid, size_t odcid_len, const uint8_t *retry,
                          size_t retry_len);

#endif
