/* Properties of the built-in frame types: RFC 9000 section 12.4 Table 3,
 * RFC 9002 section 2 (in flight), RFC 9221 section 4 (DATAGRAM). */
#include "wire/frame.h"
#include "wire/wire_error.h"

#define I PQ_FRAME_IN_INITIAL
#define Z PQ_FRAME_IN_0RTT
#define H PQ_FRAME_IN_HANDSHAKE
#define O PQ_FRAME_IN_1RTT
/* Ack-eliciting frames count in flight; so does PADDING, which is not
 * ack-eliciting (RFC 9002 section 2). ACK and CONNECTION_CLOSE do neither. */
#define AE (PQ_FRAME_ACK_ELICITING | PQ_FRAME_IN_FLIGHT)
#define P PQ_FRAME_PROBING
#define F PQ_FRAME_FLOW_CONTROLLED

const pq_frame_info pq_frame_table[0x1f + 2] = {
    [0x00] = {"PADDING", I | Z | H | O | PQ_FRAME_IN_FLIGHT | P},
    [0x01] = {"PING", I | Z | H | O | AE},
    [0x02] = {"ACK", I | H | O},
    [0x03] = {"ACK_ECN", I | H | O},
    [0x04] = {"RESET_STREAM", Z | O | AE},
    [0x05] = {"STOP_SENDING", Z | O | AE},
    [0x06] = {"CRYPTO", I | H | O | AE},
    [0x07] = {"NEW_TOKEN", O | AE},
    [0x08] = {"STREAM", Z | O | AE | F},
    [0x09] = {"STREAM", Z | O | AE | F},
    [0x0a] = {"STREAM", Z | O | AE | F},
    [0x0b] = {"STREAM", Z | O | AE | F},
    [0x0c] = {"STREAM", Z | O | AE | F},
    [0x0d] = {"STREAM", Z | O | AE | F},
    [0x0e] = {"STREAM", Z | O | AE | F},
    [0x0f] = {"STREAM", Z | O | AE | F},
    [0x10] = {"MAX_DATA", Z | O | AE},
    [0x11] = {"MAX_STREAM_DATA", Z | O | AE},
    [0x12] = {"MAX_STREAMS", Z | O | AE},
    [0x13] = {"MAX_STREAMS", Z | O | AE},
    [0x14] = {"DATA_BLOCKED", Z | O | AE},
    [0x15] = {"STREAM_DATA_BLOCKED", Z | O | AE},
    [0x16] = {"STREAMS_BLOCKED", Z | O | AE},
    [0x17] = {"STREAMS_BLOCKED", Z | O | AE},
    [0x18] = {"NEW_CONNECTION_ID", Z | O | AE | P},
    [0x19] = {"RETIRE_CONNECTION_ID", Z | O | AE},
    [0x1a] = {"PATH_CHALLENGE", Z | O | AE | P},
    [0x1b] = {"PATH_RESPONSE", O | AE | P},
    [0x1c] = {"CONNECTION_CLOSE", I | Z | H | O},
    [0x1d] = {"CONNECTION_CLOSE", Z | O},
    [0x1e] = {"HANDSHAKE_DONE", O | AE},
    [0x1f] = {"DATAGRAM", Z | O | AE}, /* 0x30 */
    [0x20] = {"DATAGRAM", Z | O | AE}, /* 0x31 */
};

int pq_frame_check_allowed(uint64_t type, pq_pkt_type pkt, const char **rule) {
  const pq_frame_info *fi = pq_frame_info_get(type);
  if (!fi)
    return pq_wire_fail(rule, PQUIC_ERR_FRAME_UNKNOWN, "unknown frame type");
  if (fi->flags & pq_frame_pkt_bit(pkt))
    return 0;
  switch (pkt) {
  case PQ_PKT_INITIAL:
    return pq_wire_fail(rule, PQUIC_ERR_FRAME_NOT_ALLOWED,
                        "frame type not allowed in Initial packets");
  case PQ_PKT_0RTT:
    return pq_wire_fail(rule, PQUIC_ERR_FRAME_NOT_ALLOWED,
                        "frame type not allowed in 0-RTT packets");
  case PQ_PKT_HANDSHAKE:
    return pq_wire_fail(rule, PQUIC_ERR_FRAME_NOT_ALLOWED,
                        "frame type not allowed in Handshake packets");
  default:
    return pq_wire_fail(rule, PQUIC_ERR_FRAME_NOT_ALLOWED, "packet type carries no frames");
  }
}
