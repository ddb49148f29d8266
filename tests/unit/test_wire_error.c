/* Library error codes map to the QUIC transport error codes the connection
 * closes with; the codes wire decoders return map as wire_error.h says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wire/frame.h"
#include "wire/tp.h"
#include "wire/wire_error.h"

static void test_mapping(void **state) {
  (void)state;
  const struct {
    int err;
    pquic_wire_error_t code;
  } map[] = {
      {PQUIC_ERR_FRAME_ENCODING, PQUIC_WIRE_FRAME_ENCODING_ERROR},
      {PQUIC_ERR_FRAME_UNKNOWN, PQUIC_WIRE_FRAME_ENCODING_ERROR},
      {PQUIC_ERR_TRANSPORT_PARAMETER, PQUIC_WIRE_TRANSPORT_PARAMETER_ERROR},
      {PQUIC_ERR_PROTOCOL_VIOLATION, PQUIC_WIRE_PROTOCOL_VIOLATION},
      {PQUIC_ERR_FRAME_NOT_ALLOWED, PQUIC_WIRE_PROTOCOL_VIOLATION},
      {PQUIC_ERR_HEADER, PQUIC_WIRE_PROTOCOL_VIOLATION},
      {PQUIC_ERR_TRUNCATED, PQUIC_WIRE_PROTOCOL_VIOLATION},
      {PQUIC_ERR_VERSION, PQUIC_WIRE_VERSION_NEGOTIATION_ERROR},
      {PQUIC_ERR_FLOW_CONTROL, PQUIC_WIRE_FLOW_CONTROL_ERROR},
      {PQUIC_ERR_STREAM_LIMIT, PQUIC_WIRE_STREAM_LIMIT_ERROR},
      {PQUIC_ERR_STREAM_STATE, PQUIC_WIRE_STREAM_STATE_ERROR},
      {PQUIC_ERR_FINAL_SIZE, PQUIC_WIRE_FINAL_SIZE_ERROR},
      {PQUIC_ERR_NOMEM, PQUIC_WIRE_INTERNAL_ERROR},
      {PQUIC_ERR_INVAL, PQUIC_WIRE_INTERNAL_ERROR},
      {0, PQUIC_WIRE_INTERNAL_ERROR},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    assert_int_equal(pq_wire_error_code(map[i].err), map[i].code);
}

/* What decoders actually return goes through the mapping as expected. */
static void test_decoder_codes(void **state) {
  (void)state;
  const uint8_t empty_token[2] = {0x07, 0x00};
  pq_rbuf r = pq_rbuf_make(empty_token, 2);
  pq_frame f;
  const char *rule = NULL;
  int rc = pq_frame_decode(&r, &f, &rule);
  assert_int_equal(pq_wire_error_code(rc), PQUIC_WIRE_FRAME_ENCODING_ERROR);
  assert_string_equal(pquic_wire_error_name(pq_wire_error_code(rc)), "FRAME_ENCODING_ERROR");
  pq_tp tp;
  rc = pq_tp_decode(NULL, 0, true, &tp, &rule);
  assert_int_equal(pq_wire_error_code(rc), PQUIC_WIRE_TRANSPORT_PARAMETER_ERROR);
  rc = pq_frame_check_allowed(PQ_FT_HANDSHAKE_DONE, PQ_PKT_HANDSHAKE, &rule);
  assert_int_equal(pq_wire_error_code(rc), PQUIC_WIRE_PROTOCOL_VIOLATION);
  /* pq_wire_fail leaves a NULL rule pointer alone. */
  assert_int_equal(pq_wire_fail(NULL, PQUIC_ERR_HEADER, "x"), PQUIC_ERR_HEADER);
  rule = NULL;
  assert_int_equal(pq_wire_fail(&rule, PQUIC_ERR_HEADER, "x"), PQUIC_ERR_HEADER);
  assert_string_equal(rule, "x");
  assert_string_equal(pquic_errname(PQUIC_ERR_FRAME_UNKNOWN), "PQUIC_ERR_FRAME_UNKNOWN");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mapping),
      cmocka_unit_test(test_decoder_codes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
