/* pquic client: the downloads of one connection, over HTTP/3 or hq-interop. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "common/alloc.h"
#include "hq.h"

#define READ_CHUNK 65536

static void snapshot(cconn *c) {
  if (!c->cnx)
    return;
  pquic_cnx_get_stats(c->cnx, &c->stats);
  c->version = pquic_cnx_version(c->cnx);
  /* Before the handshake the library has no negotiated suite to report. */
  snprintf(c->cipher, sizeof c->cipher, "%s", c->handshake_done ? pquic_cnx_cipher(c->cnx) : "");
}

static void req_end(cconn *c, request *r, int state) {
  if (r->state != REQ_ACTIVE)
    return;
  r->state = state;
  c->active--;
  c->end_us = pq_now_us();
  if (r->fd > 2)
    close(r->fd);
  r->fd = -1;
  c->dirty = 1;
}

static void req_fail(cconn *c, request *r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void req_fail(cconn *c, request *r, const char *fmt, ...) {
  if (r->state != REQ_ACTIVE)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->err, sizeof r->err, fmt, ap);
  va_end(ap);
  req_end(c, r, REQ_FAILED);
}

/* Marks every request not completed as failed (the connection is gone). */
static void fail_rest(cconn *c) {
  for (size_t i = 0; i < c->n_reqs; i++) {
    request *r = &c->reqs[i];
    if (r->state == REQ_ACTIVE)
      req_end(c, r, REQ_FAILED);
    else if (r->state == REQ_WAITING)
      r->state = REQ_FAILED;
  }
  c->next_req = c->n_reqs;
}

/* Ends the connection's downloads with `msg`, closing the connection with
 * `code` unless it is already closing (`close` 0). */
static void end_with(cconn *c, uint64_t code, const char *msg, int close) {
  if (c->finished)
    return;
  snprintf(c->err, sizeof c->err, "%s", msg);
  c->failed = 1;
  c->finished = 1;
  fail_rest(c);
  snapshot(c);
  if (!c->end_us)
    c->end_us = pq_now_us();
  if (c->cnx && close)
    pquic_cnx_close(c->cnx, code, msg, pq_now_us());
}

static void abort_with(cconn *c, uint64_t code, const char *msg) {
  end_with(c, code, msg, 1);
}

void cconn_abort(cconn *c, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  abort_with(c, 0, msg);
}

static void h3_failed(cconn *c, int rv) {
  char msg[640];
  snprintf(msg, sizeof msg, "HTTP/3 error with %s: %s", c->where, h3_strerror(rv));
  abort_with(c, h3_app_error(rv), msg);
}

/* Body bytes of a request: counted, and written unless --discard or an
 * error status. */
static void sink(cconn *c, request *r, const uint8_t *data, size_t len) {
  if (r->state != REQ_ACTIVE)
    return;
  r->bytes += len;
  if (r->fd < 0 || r->status < 200 || r->status > 299)
    return;
  while (len > 0) {
    ssize_t w = write(r->fd, data, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      req_fail(c, r, "cannot write '%s': %s", r->fd == 1 ? "standard output" : r->name,
               strerror(errno));
      /* Nothing more of this body is wanted: ask the server to stop. */
      if (c->cnx)
        pquic_stream_stop(c->cnx, (uint64_t)r->sid,
                          c->proto == CPROTO_H3 ? H3_REQUEST_CANCELLED : 0);
      return;
    }
    data += w;
    len -= (size_t)w;
  }
}

static void finish_ok(cconn *c, request *r) {
  if (r->state != REQ_ACTIVE)
    return;
  if (r->status < 200 || r->status > 299)
    req_fail(c, r, "HTTP status %d for %s", r->status, r->u->path);
  else if (r->content_length >= 0 && r->bytes != (uint64_t)r->content_length)
    req_fail(c, r, "response for %s truncated: %llu of %lld bytes", r->u->path,
             (unsigned long long)r->bytes, (long long)r->content_length);
  else
    req_end(c, r, REQ_DONE);
}

/* --- HTTP/3 handlers --- */

static request *by_sid(cconn *c, int64_t sid) {
  return pq_u64map_get(&c->byid, (uint64_t)sid);
}

static void on_response(void *user, int64_t sid, int status, int64_t clen) {
  request *r = by_sid(user, sid);
  if (r) {
    r->status = status;
    r->content_length = clen;
  }
}

static void on_body(void *user, int64_t sid, const uint8_t *data, size_t len) {
  request *r = by_sid(user, sid);
  if (r)
    sink(user, r, data, len);
}

static void on_end(void *user, int64_t sid) {
  request *r = by_sid(user, sid);
  if (r)
    finish_ok(user, r);
}

static const h3_handlers client_handlers = {NULL, on_response, on_body, on_end};

/* --- requests --- */

static int open_output(cconn *c, request *r) {
  if (c->cl->o.discard) {
    r->fd = -1;
    return 0;
  }
  if (!c->cl->o.output) {
    r->fd = 1;
    return 0;
  }
  char path[4096 + 320];
  snprintf(path, sizeof path, "%s/%s", c->cl->o.output, r->name);
  r->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (r->fd < 0) {
    snprintf(r->err, sizeof r->err, "cannot write '%.180s': %s", path, strerror(errno));
    return -1;
  }
  return 0;
}

static void start_one(cconn *c, request *r, uint64_t sid) {
  r->sid = (int64_t)sid;
  r->state = REQ_ACTIVE;
  c->active++;
  if (pq_u64map_insert(&c->byid, sid, r) != 0) {
    req_fail(c, r, "out of memory");
    return;
  }
  if (open_output(c, r) != 0) {
    char err[sizeof r->err];
    memcpy(err, r->err, sizeof err);
    req_fail(c, r, "%s", err);
    pquic_stream_reset(c->cnx, sid, H3_REQUEST_REJECTED);
    return;
  }
  if (c->proto == CPROTO_H3) {
    int rv = h3_request(c->h3, (int64_t)sid, r->u->authority, r->u->path);
    if (rv)
      h3_failed(c, rv);
    return;
  }
  char line[URL_MAX_PATH + 16];
  size_t n = hq_request_format(line, sizeof line, r->u->path);
  int64_t w = pquic_stream_write(c->cnx, sid, (const uint8_t *)line, n, 1);
  if (w != (int64_t)n)
    req_fail(c, r, "cannot send the request: %s",
             w < 0 ? pquic_strerror((int)w) : "stream buffer full");
  r->status = 200; /* hq-interop has no status: success unless reset */
}

static void start_requests(cconn *c) {
  uint64_t limit = c->cl->o.streams ? c->cl->o.streams : UINT64_MAX;
  while (!c->finished && c->next_req < c->n_reqs && c->active < limit) {
    uint64_t sid;
    int rc = pquic_stream_open(c->cnx, 1, &sid);
    if (rc == PQUIC_ERR_STREAM_LIMIT)
      return; /* retried on the next service, after the peer raises it */
    if (rc) {
      cconn_abort(c, "cannot open a stream to %s: %s", c->where, pquic_strerror(rc));
      return;
    }
    start_one(c, &c->reqs[c->next_req++], sid);
  }
}

/* The client offers one ALPN, so the protocol is known before the library
 * reports the handshake: stream data that races the event is not lost, and
 * 0-RTT requests can go before it. */
static void start_proto(cconn *c) {
  if (c->started || c->finished)
    return;
  c->started = 1;
  c->proto = strcmp(c->cl->o.shared.alpn, "hq-interop") == 0 ? CPROTO_HQ : CPROTO_H3;
  if (c->proto == CPROTO_H3) {
    int rv = h3_new(&c->h3, 0, &quic_h3_io, c->cnx, &client_handlers, c);
    if (rv == 0)
      rv = h3_start(c->h3);
    if (rv) {
      h3_failed(c, rv);
      return;
    }
  }
  c->dirty = 1;
}

void cconn_start_early(cconn *c) {
  start_proto(c);
}

void cconn_handshake_done(cconn *c) {
  if (c->handshake_done || c->finished)
    return;
  c->handshake_done = 1;
  start_proto(c);
  c->dirty = 1;
}

void cconn_on_data(cconn *c, int64_t sid) {
  static uint8_t buf[READ_CHUNK];
  if (!c->handshake_done)
    cconn_handshake_done(c);
  for (int i = 0; i < 1024 && c->cnx && !c->finished; i++) {
    int fin = 0;
    int64_t n = pquic_stream_read(c->cnx, (uint64_t)sid, buf, sizeof buf, &fin);
    if (n < 0 || (n == 0 && !fin))
      break;
    if (c->proto == CPROTO_H3) {
      int rv = h3_recv(c->h3, sid, buf, (size_t)n, fin);
      if (rv) {
        h3_failed(c, rv);
        break;
      }
    } else if (c->proto == CPROTO_HQ) {
      request *r = by_sid(c, sid);
      if (r) {
        sink(c, r, buf, (size_t)n);
        if (fin)
          finish_ok(c, r);
      }
    }
    if (fin)
      break;
  }
  c->dirty = 1;
}

void cconn_stream_reset(cconn *c, int64_t sid, uint64_t code) {
  request *r = by_sid(c, sid);
  if (c->proto == CPROTO_H3 && c->h3)
    h3_peer_reset(c->h3, sid);
  if (!r)
    return;
  if (c->proto == CPROTO_HQ && code >= 400 && code <= 599)
    req_fail(c, r, "HTTP error %llu for %s (hq-interop stream reset by the server)",
             (unsigned long long)code, r->u->path);
  else
    req_fail(c, r, "stream for %s reset by the server (code 0x%llx)", r->u->path,
             (unsigned long long)code);
}

void cconn_writable(cconn *c, int64_t sid) {
  if (c->proto == CPROTO_H3 && c->h3)
    h3_unblock(c->h3, sid);
  c->dirty = 1;
}

static void describe_close(cconn *c, const pquic_event *ev, char *buf, size_t len) {
  char detail[300];
  if (ev->reason && *ev->reason)
    snprintf(detail, sizeof detail, "%s", ev->reason);
  else if (ev->err && ev->err != PQUIC_ERR_PEER_CLOSED)
    snprintf(detail, sizeof detail, "%s", pquic_strerror(ev->err));
  else if (ev->wire_error_is_app)
    snprintf(detail, sizeof detail, "application error 0x%llx", (unsigned long long)ev->wire_error);
  else if (ev->wire_error >= 0x100 && ev->wire_error <= 0x1ff)
    snprintf(detail, sizeof detail, "TLS alert %u", (unsigned)(ev->wire_error - 0x100));
  else {
    const char *name = pquic_wire_error_name(ev->wire_error);
    snprintf(detail, sizeof detail, "%s", name ? name : "closed");
  }
  int timeout = ev->err == PQUIC_ERR_HANDSHAKE_TIMEOUT || ev->err == PQUIC_ERR_IDLE_TIMEOUT;
  if (!c->handshake_done && timeout)
    snprintf(buf, len, "server %s unreachable: no QUIC answer within %llu s", c->where,
             (unsigned long long)c->cl->o.timeout_s);
  else if (!c->handshake_done)
    snprintf(buf, len, "handshake with %s failed: %s", c->where, detail);
  else
    snprintf(buf, len, "connection to %s closed before the downloads completed: %s", c->where,
             detail);
}

void cconn_closing(cconn *c, const pquic_event *ev) {
  if (!c->finished && c->handshake_done && c->next_req == c->n_reqs && c->active == 0) {
    /* Every download ended before the close (in the same datagrams). */
    c->finished = 1;
    snapshot(c);
    for (size_t i = 0; i < c->n_reqs; i++)
      c->failed |= c->reqs[i].state != REQ_DONE;
  }
  if (!c->finished) {
    char msg[1024];
    describe_close(c, ev, msg, sizeof msg);
    end_with(c, 0, msg, 0);
  }
}

void cconn_closed(cconn *c, const pquic_event *ev) {
  cconn_closing(c, ev);
  c->cnx = NULL;
}

void cconn_service(cconn *c, uint64_t now) {
  c->dirty = 0;
  if (!c->cnx)
    return;
  if (c->started && !c->finished)
    start_requests(c);
  if (c->h3 && !c->finished) {
    int rv = h3_flush(c->h3);
    if (rv)
      h3_failed(c, rv);
  }
  for (size_t i = 0; i < c->closed.n; i++) {
    if (c->h3)
      h3_stream_closed(c->h3, c->closed.v[i], H3_NO_ERROR);
    pq_u64map_remove(&c->byid, (uint64_t)c->closed.v[i]);
  }
  c->closed.n = 0;
  if (!c->finished && c->handshake_done && c->next_req == c->n_reqs && c->active == 0) {
    c->finished = 1;
    snapshot(c);
    for (size_t i = 0; i < c->n_reqs; i++)
      c->failed |= c->reqs[i].state != REQ_DONE;
    pquic_cnx_close(c->cnx, c->proto == CPROTO_H3 ? H3_NO_ERROR : 0, "done", now);
  }
}

void cconn_free(cconn *c) {
  for (size_t i = 0; i < c->n_reqs; i++)
    if (c->reqs[i].fd > 2)
      close(c->reqs[i].fd);
  h3_free(c->h3);
  pq_u64map_free(&c->byid);
  sidvec_free(&c->closed);
  pq_udp_close(&c->sock);
  pq_udp_close(&c->msock);
  for (size_t i = 0; i < c->n_routes; i++)
    pq_udp_close(&c->routes[i]);
  pq_free(c->reqs);
  pq_free(c->session);
}
