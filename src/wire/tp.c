/* Transport parameters: defaults, extension entries, validation, equality. */
#include <string.h>

#include "wire/tp.h"
#include "wire/wire_error.h"

#define TP_FAIL(text) pq_wire_fail(rule, PQUIC_ERR_TRANSPORT_PARAMETER, text)

void pq_tp_init(pq_tp *tp) {
  memset(tp, 0, sizeof *tp);
  tp->max_udp_payload_size = PQ_TP_DEFAULT_MAX_UDP_PAYLOAD_SIZE;
  tp->ack_delay_exponent = PQ_TP_DEFAULT_ACK_DELAY_EXPONENT;
  tp->max_ack_delay = PQ_TP_DEFAULT_MAX_ACK_DELAY;
  tp->active_connection_id_limit = PQ_TP_DEFAULT_ACTIVE_CID_LIMIT;
}

const pq_tp_ext *pq_tp_find_ext(const pq_tp *tp, uint64_t id) {
  for (size_t i = 0; i < tp->n_ext && i < PQ_TP_MAX_EXT; i++)
    if (tp->ext[i].id == id)
      return &tp->ext[i];
  return NULL;
}

int pq_tp_add_ext(pq_tp *tp, uint64_t id, const void *value, size_t len) {
  if (pq_tp_bit(id) >= 0 || id > PQ_VARINT_MAX || (len && !value) || pq_tp_find_ext(tp, id))
    return PQUIC_ERR_INVAL;
  if (tp->n_ext >= PQ_TP_MAX_EXT)
    return PQUIC_ERR_LIMIT;
  tp->ext[tp->n_ext++] = (pq_tp_ext){id, (const uint8_t *)value, len};
  return 0;
}

/* Parameter values a hand-filled struct could get wrong, besides the
 * RFC's ranges: they must be encodable. */
static int check_encodable(const pq_tp *tp, const char **rule) {
  static const uint64_t ints[] = {PQ_TP_MAX_IDLE_TIMEOUT,
                                  PQ_TP_INITIAL_MAX_DATA,
                                  PQ_TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL,
                                  PQ_TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE,
                                  PQ_TP_INITIAL_MAX_STREAM_DATA_UNI,
                                  PQ_TP_MAX_DATAGRAM_FRAME_SIZE,
                                  PQ_TP_MAX_UDP_PAYLOAD_SIZE,
                                  PQ_TP_ACTIVE_CONNECTION_ID_LIMIT};
  const uint64_t vals[] = {tp->max_idle_timeout,
                           tp->initial_max_data,
                           tp->initial_max_stream_data_bidi_local,
                           tp->initial_max_stream_data_bidi_remote,
                           tp->initial_max_stream_data_uni,
                           tp->max_datagram_frame_size,
                           tp->max_udp_payload_size,
                           tp->active_connection_id_limit};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
    if (pq_tp_has(tp, ints[i]) && vals[i] > PQ_VARINT_MAX)
      return TP_FAIL("transport parameter value over 2^62-1");
  const pq_cid *cids[4] = {&tp->original_dcid, &tp->initial_scid, &tp->retry_scid,
                           &tp->preferred_address.cid};
  for (int i = 0; i < 4; i++)
    if (cids[i]->len > PQ_MAX_CID_LEN)
      return TP_FAIL("connection ID transport parameter longer than 20 bytes");
  if (tp->n_available_versions > PQ_TP_MAX_VERSIONS)
    return TP_FAIL("version_information lists more versions than supported");
  return 0;
}

static int check_ranges(const pq_tp *tp, const char **rule) {
  if (pq_tp_has(tp, PQ_TP_MAX_UDP_PAYLOAD_SIZE) && tp->max_udp_payload_size < 1200)
    return TP_FAIL("max_udp_payload_size below 1200");
  if (pq_tp_has(tp, PQ_TP_ACK_DELAY_EXPONENT) && tp->ack_delay_exponent > 20)
    return TP_FAIL("ack_delay_exponent above 20");
  if (pq_tp_has(tp, PQ_TP_MAX_ACK_DELAY) && tp->max_ack_delay >= (1u << 14))
    return TP_FAIL("max_ack_delay of 2^14 ms or more");
  if (pq_tp_has(tp, PQ_TP_ACTIVE_CONNECTION_ID_LIMIT) && tp->active_connection_id_limit < 2)
    return TP_FAIL("active_connection_id_limit below 2");
  if (pq_tp_has(tp, PQ_TP_INITIAL_MAX_STREAMS_BIDI) &&
      tp->initial_max_streams_bidi > (UINT64_C(1) << 60))
    return TP_FAIL("initial_max_streams_bidi above 2^60");
  if (pq_tp_has(tp, PQ_TP_INITIAL_MAX_STREAMS_UNI) &&
      tp->initial_max_streams_uni > (UINT64_C(1) << 60))
    return TP_FAIL("initial_max_streams_uni above 2^60");
  return 0;
}

static int check_versions(const pq_tp *tp, bool sender_is_server, const char **rule) {
  if (!pq_tp_has(tp, PQ_TP_VERSION_INFORMATION))
    return 0;
  if (tp->chosen_version == 0)
    return TP_FAIL("version_information chosen version is 0");
  bool listed = false;
  for (size_t i = 0; i < tp->n_available_versions; i++) {
    if (tp->available_versions[i] == 0)
      return TP_FAIL("version_information lists version 0");
    listed |= tp->available_versions[i] == tp->chosen_version;
  }
  /* RFC 9368 section 4: a client lists its chosen version. */
  if (!sender_is_server && !listed)
    return TP_FAIL("client version_information does not list its chosen version");
  return 0;
}

int pq_tp_validate(const pq_tp *tp, bool sender_is_server, const char **rule) {
  int rc = check_encodable(tp, rule);
  if (rc == 0)
    rc = check_ranges(tp, rule);
  if (rc == 0)
    rc = check_versions(tp, sender_is_server, rule);
  if (rc)
    return rc;
  if (!sender_is_server &&
      (pq_tp_has(tp, PQ_TP_ORIGINAL_DCID) || pq_tp_has(tp, PQ_TP_STATELESS_RESET_TOKEN) ||
       pq_tp_has(tp, PQ_TP_PREFERRED_ADDRESS) || pq_tp_has(tp, PQ_TP_RETRY_SCID)))
    return TP_FAIL("server-only transport parameter sent by a client");
  if (pq_tp_has(tp, PQ_TP_PREFERRED_ADDRESS)) {
    if (tp->preferred_address.cid.len == 0)
      return TP_FAIL("preferred_address with a zero-length connection ID");
    if (pq_tp_has(tp, PQ_TP_INITIAL_SCID) && tp->initial_scid.len == 0)
      return TP_FAIL("preferred_address from a server using a zero-length connection ID");
  }
  if (!pq_tp_has(tp, PQ_TP_INITIAL_SCID))
    return TP_FAIL("initial_source_connection_id missing");
  if (sender_is_server && !pq_tp_has(tp, PQ_TP_ORIGINAL_DCID))
    return TP_FAIL("original_destination_connection_id missing from a server");
  return 0;
}

static bool same_ext(const pq_tp_ext *a, const pq_tp_ext *b) {
  return a->id == b->id && a->len == b->len &&
         (a->len == 0 || memcmp(a->value, b->value, a->len) == 0);
}

bool pq_tp_equal(const pq_tp *a, const pq_tp *b) {
  if (a->present != b->present || a->n_ext != b->n_ext || a->n_ext_dropped != b->n_ext_dropped)
    return false;
  /* Compare every field; absent ones hold their defaults in both when both
   * came from pq_tp_init() (decoder) or a copy of it. */
  if (!pq_cid_eq(&a->original_dcid, &b->original_dcid) ||
      !pq_cid_eq(&a->initial_scid, &b->initial_scid) || !pq_cid_eq(&a->retry_scid, &b->retry_scid))
    return false;
  if (a->max_idle_timeout != b->max_idle_timeout ||
      a->max_udp_payload_size != b->max_udp_payload_size ||
      a->initial_max_data != b->initial_max_data ||
      a->initial_max_stream_data_bidi_local != b->initial_max_stream_data_bidi_local ||
      a->initial_max_stream_data_bidi_remote != b->initial_max_stream_data_bidi_remote ||
      a->initial_max_stream_data_uni != b->initial_max_stream_data_uni ||
      a->initial_max_streams_bidi != b->initial_max_streams_bidi ||
      a->initial_max_streams_uni != b->initial_max_streams_uni ||
      a->ack_delay_exponent != b->ack_delay_exponent || a->max_ack_delay != b->max_ack_delay ||
      a->active_connection_id_limit != b->active_connection_id_limit ||
      a->max_datagram_frame_size != b->max_datagram_frame_size ||
      memcmp(a->stateless_reset_token, b->stateless_reset_token, PQ_RESET_TOKEN_LEN) != 0)
    return false;
  const pq_preferred_address *pa = &a->preferred_address, *pb = &b->preferred_address;
  if (memcmp(pa->ipv4, pb->ipv4, 4) != 0 || pa->ipv4_port != pb->ipv4_port ||
      memcmp(pa->ipv6, pb->ipv6, 16) != 0 || pa->ipv6_port != pb->ipv6_port ||
      !pq_cid_eq(&pa->cid, &pb->cid) ||
      memcmp(pa->reset_token, pb->reset_token, PQ_RESET_TOKEN_LEN) != 0)
    return false;
  if (a->chosen_version != b->chosen_version ||
      a->n_available_versions != b->n_available_versions ||
      a->n_available_versions > PQ_TP_MAX_VERSIONS ||
      memcmp(a->available_versions, b->available_versions, 4 * a->n_available_versions) != 0)
    return false;
  for (size_t i = 0; i < a->n_ext && i < PQ_TP_MAX_EXT; i++)
    if (!same_ext(&a->ext[i], &b->ext[i]))
      return false;
  return true;
}
