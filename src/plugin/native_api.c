/* The SDK's helpers for native plugins (pquic_plugin.h built with
 * -DPQUIC_PLUGIN_NATIVE): the same implementations as for bytecode, on
 * the run of the native pluglet executing on this thread. Called outside
 * a pluglet they do nothing and return an error. */
#include "pquic_plugin.h"

#include "plugin/helpers.h"

#define NO_RUN ((uint64_t)(int64_t)PQUIC_ERR_STATE)
#define RUN_OR(fail)                                                                               \
  pq_pl_run *r = pq_pl_native_run();                                                               \
  if (!r)                                                                                          \
    return fail;

#define P(x) ((uint64_t)(uintptr_t)(x))

uint64_t pl_get_cnx(uint64_t field) {
  RUN_OR(NO_RUN)
  return pq_pl_h_get_cnx(r, field, 0, 0);
}
uint64_t pl_set_cnx(uint64_t field, uint64_t value) {
  RUN_OR(NO_RUN)
  return pq_pl_h_set_cnx(r, field, value, 0);
}
uint64_t pl_get_path(uint64_t path, uint64_t field) {
  RUN_OR(NO_RUN)
  return pq_pl_h_get_path(r, path, field, 0);
}
uint64_t pl_set_path(uint64_t path, uint64_t field, uint64_t value) {
  RUN_OR(NO_RUN)
  return pq_pl_h_set_path(r, path, field, value);
}
uint64_t pl_get_pkt(uint64_t pkt, uint64_t field) {
  RUN_OR(NO_RUN)
  return pq_pl_h_get_pkt(r, pkt, field, 0);
}
uint64_t pl_get_opkt(uint64_t opkt, uint64_t field) {
  RUN_OR(NO_RUN)
  return pq_pl_h_get_opkt(r, opkt, field, 0);
}
uint64_t pl_get_sent(uint64_t sent, uint64_t field) {
  RUN_OR(NO_RUN)
  return pq_pl_h_get_sent(r, sent, field, 0);
}
uint64_t pl_get_stream(uint64_t stream, uint64_t field) {
  RUN_OR(NO_RUN)
  return pq_pl_h_get_stream(r, stream, field, 0);
}
uint64_t pl_set_stream(uint64_t stream, uint64_t field, uint64_t value) {
  RUN_OR(NO_RUN)
  return pq_pl_h_set_stream(r, stream, field, value);
}
uint64_t pl_get_frame(uint64_t frame, uint64_t field) {
  RUN_OR(NO_RUN)
  return pq_pl_h_get_frame(r, frame, field, 0);
}

void *pl_malloc(uint64_t size) {
  RUN_OR(NULL)
  return (void *)(uintptr_t)pq_pl_h_malloc(r, size, 0, 0);
}
void pl_free(void *ptr) {
  pq_pl_run *r = pq_pl_native_run();
  if (r)
    (void)pq_pl_h_free(r, P(ptr), 0, 0);
}
void *pl_realloc(void *ptr, uint64_t size) {
  RUN_OR(NULL)
  return (void *)(uintptr_t)pq_pl_h_realloc(r, P(ptr), size, 0);
}
void *pl_get_opaque_data(uint64_t id, uint64_t size) {
  RUN_OR(NULL)
  return (void *)(uintptr_t)pq_pl_h_get_opaque_data(r, id, size, 0);
}

uint64_t pl_memcpy(void *dst, const void *src, uint64_t n) {
  RUN_OR(NO_RUN)
  return pq_pl_h_memcpy(r, P(dst), P(src), n);
}
uint64_t pl_memset(void *dst, uint64_t c, uint64_t n) {
  RUN_OR(NO_RUN)
  return pq_pl_h_memset(r, P(dst), c, n);
}
int64_t pl_memcmp(const void *a, const void *b, uint64_t n) {
  RUN_OR(0)
  return (int64_t)pq_pl_h_memcmp(r, P(a), P(b), n);
}

uint64_t pl_op_id(const char *name) {
  RUN_OR(NO_RUN)
  return pq_pl_h_op_id(r, P(name), 0, 0);
}
uint64_t pl_run_protoop(uint64_t op, uint64_t param, const uint64_t *in, uint64_t n_in_out,
                        uint64_t *out) {
  RUN_OR(NO_RUN)
  return pq_pl_h_run_protoop(r, op, param, P(in), n_in_out, P(out));
}

uint64_t pl_reserve_frame(uint64_t type, uint64_t bytes, uint64_t cookie) {
  RUN_OR(NO_RUN)
  return pq_pl_h_reserve_frame(r, type, bytes, cookie);
}
uint64_t pl_push_message(const void *data, uint64_t len) {
  RUN_OR(NO_RUN)
  return pq_pl_h_push_message(r, P(data), len, 0);
}
uint64_t pl_now(void) {
  RUN_OR(0)
  return pq_pl_h_now(r, 0, 0, 0);
}
uint64_t pl_random(void *buf, uint64_t len) {
  RUN_OR(NO_RUN)
  return pq_pl_h_random(r, P(buf), len, 0);
}
uint64_t pl_get_cid(uint64_t which, void *buf, uint64_t len) {
  RUN_OR(NO_RUN)
  return pq_pl_h_get_cid(r, which, P(buf), len);
}
uint64_t pl_log(const char *msg) {
  RUN_OR(NO_RUN)
  return pq_pl_h_log(r, P(msg), 0, 0);
}
