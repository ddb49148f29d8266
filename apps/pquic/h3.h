/*
 * HTTP/3 for the client and server, over nghttp3, on any stream transport
 * given as h3_io (pquic's streams in the apps, memory in the tests).
 *
 * Acknowledgements: the transport copies what it accepts (pquic_stream_write
 * owns the bytes from then on and retransmits them itself), so bytes are
 * reported to nghttp3 as acknowledged as soon as they are written; nghttp3
 * then releases them. Response bodies are read from their source into a
 * 64 KiB ring per stream, filled as nghttp3 asks and emptied by those
 * acknowledgements, so a body of any size streams in constant memory.
 */
#ifndef PQ_APP_H3_H
#define PQ_APP_H3_H

#include <stddef.h>
#include <stdint.h>

#include "body.h"

typedef struct h3_io {
  /* Opens a local unidirectional stream. */
  int (*open_uni)(void *ctx, int64_t *sid);
  /* Queues data (and the FIN): returns the bytes accepted (fewer than len
   * when the stream is full: call h3_unblock when it has room again), or a
   * negative error for a stream that can no longer be written. */
  int64_t (*write)(void *ctx, int64_t sid, const uint8_t *data, size_t len, int fin);
  int (*reset)(void *ctx, int64_t sid, uint64_t code); /* RESET_STREAM */
  int (*stop)(void *ctx, int64_t sid, uint64_t code);  /* STOP_SENDING */
} h3_io;

typedef struct h3_handlers {
  /* Server: a complete request. Answer with h3_respond (now or later). */
  void (*on_request)(void *user, int64_t sid, const char *method, const char *path);
  /* Client: the response header block; content_length -1 when absent. */
  void (*on_response)(void *user, int64_t sid, int status, int64_t content_length);
  void (*on_body)(void *user, int64_t sid, const uint8_t *data, size_t len);
  /* The peer finished its side of the stream (response or request complete). */
  void (*on_end)(void *user, int64_t sid);
} h3_handlers;

typedef struct h3 h3;

/* Errors (here and below): negative nghttp3 codes; h3_strerror and
 * h3_app_error turn them into a message and the connection close code. */
int h3_new(h3 **out, int server, const h3_io *io, void *io_ctx, const h3_handlers *h, void *user);
void h3_free(h3 *h);
/* Opens and binds the control and QPACK streams. */
int h3_start(h3 *h);
/* Feeds bytes received on a stream (any stream, critical ones included). */
int h3_recv(h3 *h, int64_t sid, const uint8_t *data, size_t len, int fin);
/* Writes everything nghttp3 has ready into the transport. */
int h3_flush(h3 *h);

/* Client: a GET of path on the bidirectional stream sid. */
int h3_request(h3 *h, int64_t sid, const char *authority, const char *path);
/* Server: answers stream sid; takes the body (closed by h3 when done or on
 * error). head_only: headers only (HEAD). */
int h3_respond(h3 *h, int64_t sid, int status, body *b, int head_only);

/* The transport has room on sid again. */
int h3_unblock(h3 *h, int64_t sid);
/* The transport forgot sid (both directions closed), with the app code. */
void h3_stream_closed(h3 *h, int64_t sid, uint64_t code);
/* The peer reset sid (RESET_STREAM) / asked us to stop sending on it. */
void h3_peer_reset(h3 *h, int64_t sid);
void h3_peer_stop(h3 *h, int64_t sid, uint64_t code);

uint64_t h3_app_error(int rc);
const char *h3_strerror(int rc);

#define H3_NO_ERROR 0x100u
#define H3_INTERNAL_ERROR 0x102u
#define H3_REQUEST_REJECTED 0x10bu
#define H3_REQUEST_CANCELLED 0x10cu

#endif
