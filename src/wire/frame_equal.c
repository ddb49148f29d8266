/* Frame comparison by content, for round-trip checks. */
#include <string.h>

#include "wire/frame.h"

static bool same_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static bool ack_equal(const pq_ack_frame *a, const pq_ack_frame *b) {
  return a->largest == b->largest && a->ack_delay == b->ack_delay &&
         a->range_count == b->range_count && a->first_range == b->first_range &&
         a->smallest == b->smallest &&
         same_bytes(a->ranges, a->ranges_len, b->ranges, b->ranges_len) &&
         memcmp(a->ecn, b->ecn, sizeof a->ecn) == 0;
}

bool pq_frame_equal(const pq_frame *a, const pq_frame *b) {
  if (a->type != b->type)
    return false;
  if (pq_frame_is_stream(a->type))
    return a->u.stream.stream_id == b->u.stream.stream_id &&
           a->u.stream.offset == b->u.stream.offset && a->u.stream.fin == b->u.stream.fin &&
           same_bytes(a->u.stream.data, a->u.stream.len, b->u.stream.data, b->u.stream.len);
  switch (a->type) {
  case PQ_FT_PADDING:
    return a->u.padding.len == b->u.padding.len;
  case PQ_FT_PING:
  case PQ_FT_HANDSHAKE_DONE:
    return true;
  case PQ_FT_ACK:
  case PQ_FT_ACK_ECN:
    return ack_equal(&a->u.ack, &b->u.ack);
  case PQ_FT_RESET_STREAM:
    return memcmp(&a->u.reset_stream, &b->u.reset_stream, sizeof a->u.reset_stream) == 0;
  case PQ_FT_STOP_SENDING:
    return memcmp(&a->u.stop_sending, &b->u.stop_sending, sizeof a->u.stop_sending) == 0;
  case PQ_FT_CRYPTO:
    return a->u.crypto.offset == b->u.crypto.offset &&
           same_bytes(a->u.crypto.data, a->u.crypto.len, b->u.crypto.data, b->u.crypto.len);
  case PQ_FT_NEW_TOKEN:
    return same_bytes(a->u.new_token.token, a->u.new_token.len, b->u.new_token.token,
                      b->u.new_token.len);
  case PQ_FT_MAX_DATA:
    return a->u.max_data.max == b->u.max_data.max;
  case PQ_FT_MAX_STREAM_DATA:
    return a->u.max_stream_data.stream_id == b->u.max_stream_data.stream_id &&
           a->u.max_stream_data.max == b->u.max_stream_data.max;
  case PQ_FT_MAX_STREAMS_BIDI:
  case PQ_FT_MAX_STREAMS_UNI:
    return a->u.max_streams.max == b->u.max_streams.max;
  case PQ_FT_DATA_BLOCKED:
    return a->u.data_blocked.limit == b->u.data_blocked.limit;
  case PQ_FT_STREAM_DATA_BLOCKED:
    return a->u.stream_data_blocked.stream_id == b->u.stream_data_blocked.stream_id &&
           a->u.stream_data_blocked.limit == b->u.stream_data_blocked.limit;
  case PQ_FT_STREAMS_BLOCKED_BIDI:
  case PQ_FT_STREAMS_BLOCKED_UNI:
    return a->u.streams_blocked.limit == b->u.streams_blocked.limit;
  case PQ_FT_NEW_CONNECTION_ID:
    return a->u.new_cid.seq == b->u.new_cid.seq &&
           a->u.new_cid.retire_prior_to == b->u.new_cid.retire_prior_to &&
           same_bytes(a->u.new_cid.cid, a->u.new_cid.cid_len, b->u.new_cid.cid,
                      b->u.new_cid.cid_len) &&
           same_bytes(a->u.new_cid.reset_token, 16, b->u.new_cid.reset_token, 16);
  case PQ_FT_RETIRE_CONNECTION_ID:
    return a->u.retire_cid.seq == b->u.retire_cid.seq;
  case PQ_FT_PATH_CHALLENGE:
  case PQ_FT_PATH_RESPONSE:
    return memcmp(a->u.path.data, b->u.path.data, 8) == 0;
  case PQ_FT_CONNECTION_CLOSE:
  case PQ_FT_CONNECTION_CLOSE_APP:
    return a->u.close.error_code == b->u.close.error_code &&
           a->u.close.frame_type == b->u.close.frame_type &&
           same_bytes(a->u.close.reason, a->u.close.reason_len, b->u.close.reason,
                      b->u.close.reason_len);
  case PQ_FT_DATAGRAM:
  case PQ_FT_DATAGRAM_LEN:
    return same_bytes(a->u.datagram.data, a->u.datagram.len, b->u.datagram.data, b->u.datagram.len);
  default:
    return false;
  }
}
