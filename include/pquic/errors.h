/*
 * pquic/errors.h - library error codes and QUIC wire error codes.
 *
 * Library functions return 0 (or a non-negative count) on success and a
 * negative PQUIC_ERR_* code on failure. QUIC error codes carried on the wire
 * (RFC 9000 section 20) are a separate type, pquic_wire_error_t, never mixed
 * with library codes.
 */
#ifndef PQUIC_ERRORS_H
#define PQUIC_ERRORS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * X(name, value, description). Values are grouped by module so each module
 * appends in its own block: common -1..-49, wire -50..-99, crypto -100..-149,
 * ops -150..-199, conn -200..-299, pre -300..-349, plugin -350..-399,
 * io and apps -400..-449, exchange and trust -450..-499.
 */
#define PQUIC_ERRNO_MAP(X)                                                     \
  /* common */                                                                 \
  X(NOMEM, -1, "out of memory")                                                \
  X(INVAL, -2, "invalid argument")                                             \
  X(BUFFER_TOO_SMALL, -3, "output buffer too small")                           \
  X(NOT_FOUND, -4, "not found")                                                \
  X(EXISTS, -5, "already exists")                                              \
  X(STATE, -6, "operation not allowed in the current state")                   \
  X(LIMIT, -7, "resource limit reached")                                       \
  X(UNSUPPORTED, -8, "not supported")                                          \
  X(AGAIN, -9, "nothing to do now, try again later")                           \
  X(IO, -10, "input/output error")                                             \
  X(INTERNAL, -11, "internal error")                                           \
  /* wire */                                                                   \
  X(TRUNCATED, -50, "input ends inside an encoded value")                      \
  X(FRAME_ENCODING, -51, "malformed frame")                                    \
  X(TRANSPORT_PARAMETER, -52, "invalid transport parameters")                  \
  X(HEADER, -53, "malformed packet header")                                    \
  X(VERSION, -54, "unsupported QUIC version")                                  \
  X(PROTOCOL_VIOLATION, -55, "protocol violation")                             \
  X(FRAME_NOT_ALLOWED, -56, "frame not allowed in this packet type")           \
  X(VARINT_RANGE, -57, "value does not fit in a variable-length integer")      \
  X(FRAME_UNKNOWN, -58, "unknown frame type")                                  \
  /* crypto */                                                                 \
  X(CRYPTO, -100, "cryptographic library error")                               \
  X(DECRYPT, -101, "packet failed authentication")                             \
  X(TLS, -102, "TLS handshake failure")                                        \
  X(CERTIFICATE, -103, "certificate or key could not be loaded or verified")   \
  X(KEY_UNAVAILABLE, -104, "keys for this encryption level are not available") \
  /* ops */                                                                    \
  X(OP_UNKNOWN, -150, "unknown protocol operation")                            \
  X(OP_LOOP, -151, "protocol operation already running on this connection")    \
  X(OP_DEPTH, -152, "protocol operation call depth exceeded")                  \
  X(OP_REPLACED, -153, "protocol operation already replaced")                  \
  X(OP_READONLY, -154, "observers may not modify connection state")            \
  /* conn */                                                                   \
  X(CLOSED, -200, "connection closed")                                         \
  X(DRAINING, -201, "connection is closing or draining")                       \
  X(FLOW_CONTROL, -202, "flow control limit exceeded")                         \
  X(STREAM_LIMIT, -203, "stream limit exceeded")                               \
  X(STREAM_STATE, -204, "stream is not in a state that allows this")           \
  X(STREAM_NOT_FOUND, -205, "no such stream")                                  \
  X(FINAL_SIZE, -206, "final size changed or exceeded")                        \
  X(IDLE_TIMEOUT, -207, "idle timeout")                                        \
  X(HANDSHAKE_TIMEOUT, -208, "handshake timeout")                              \
  X(STATELESS_RESET, -209, "connection reset by the peer (stateless reset)")   \
  X(PEER_CLOSED, -210, "the peer closed the connection")                       \
  /* pre */                                                                    \
  X(ELF, -300, "malformed or unsupported ELF object")                          \
  X(VERIFY, -301, "bytecode rejected by the verifier")                         \
  X(FAULT, -302, "pluglet memory access fault")                                \
  X(BUDGET, -303, "pluglet instruction budget exhausted")                      \
  X(HELPER, -304, "pluglet helper called with bad arguments")                  \
  X(JIT, -305, "JIT compilation failed")                                       \
  X(ALIGN, -306, "pluglet atomic access misaligned")                           \
  X(STACK, -307, "not enough pluglet stack space in the instance region")      \
  /* plugin */                                                                 \
  X(MANIFEST, -350, "malformed plugin manifest")                               \
  X(BUNDLE, -351, "malformed plugin bundle")                                   \
  X(PLUGIN, -352, "plugin fault")                                              \
  X(FIELD_DENIED, -353, "plugin field access denied by the host")              \
  X(PLUGIN_HANDLE, -354, "invalid object handle passed by a plugin")           \
  X(PLUGIN_FIELD, -355, "unknown or read-only plugin field")                   \
  X(PLUGIN_MEMORY, -356, "plugin memory argument outside its region")

typedef enum {
  PQUIC_OK = 0,
#define PQUIC_ERR_ENUM_(name, value, desc) PQUIC_ERR_##name = (value),
  PQUIC_ERRNO_MAP(PQUIC_ERR_ENUM_)
#undef PQUIC_ERR_ENUM_
} pquic_err_t;

/* "PQUIC_ERR_NOMEM" for -1; "unknown error" for codes not in the list. */
const char *pquic_errname(int err);
/* A human-readable description: "out of memory". */
const char *pquic_strerror(int err);

/* QUIC transport error codes, RFC 9000 section 20.1. */
typedef uint64_t pquic_wire_error_t;

#define PQUIC_WIRE_ERROR_MAP(X)                                                \
  X(NO_ERROR, 0x00)                                                            \
  X(INTERNAL_ERROR, 0x01)                                                      \
  X(CONNECTION_REFUSED, 0x02)                                                  \
  X(FLOW_CONTROL_ERROR, 0x03)                                                  \
  X(STREAM_LIMIT_ERROR, 0x04)                                                  \
  X(STREAM_STATE_ERROR, 0x05)                                                  \
  X(FINAL_SIZE_ERROR, 0x06)                                                    \
  X(FRAME_ENCODING_ERROR, 0x07)                                                \
  X(TRANSPORT_PARAMETER_ERROR, 0x08)                                           \
  X(CONNECTION_ID_LIMIT_ERROR, 0x09)                                           \
  X(PROTOCOL_VIOLATION, 0x0a)                                                  \
  X(INVALID_TOKEN, 0x0b)                                                       \
  X(APPLICATION_ERROR, 0x0c)                                                   \
  X(CRYPTO_BUFFER_EXCEEDED, 0x0d)                                              \
  X(KEY_UPDATE_ERROR, 0x0e)                                                    \
  X(AEAD_LIMIT_REACHED, 0x0f)                                                  \
  X(NO_VIABLE_PATH, 0x10)                                                      \
  X(VERSION_NEGOTIATION_ERROR, 0x11)

enum {
#define PQUIC_WIRE_ENUM_(name, value) PQUIC_WIRE_##name = (value),
  PQUIC_WIRE_ERROR_MAP(PQUIC_WIRE_ENUM_)
#undef PQUIC_WIRE_ENUM_
};

/* CRYPTO_ERROR: 0x0100 + TLS alert. */
#define PQUIC_WIRE_CRYPTO_ERROR(alert) (0x0100u + (uint8_t)(alert))

/* "FRAME_ENCODING_ERROR", "CRYPTO_ERROR", or NULL if unknown. */
const char *pquic_wire_error_name(pquic_wire_error_t code);

#ifdef __cplusplus
}
#endif
#endif
