/* HTTP/3 glue: nghttp3 callbacks onto an h3_io stream transport. */
#include "h3.h"

#include <nghttp3/nghttp3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/u64map.h"

#define RING_SIZE (64u * 1024u)
#define WRITE_VECS 16

/* One request stream. */
typedef struct h3s {
  int64_t sid;
  char method[16];
  char *path;
  int status;
  int64_t content_length;
  body b;
  uint8_t *ring;
  uint64_t head, tail; /* body bytes acknowledged / read into the ring */
  int read_blocked;    /* read_data said WOULDBLOCK: ring full */
  int failed;          /* the body source failed: reset the stream */
} h3s;

struct h3 {
  nghttp3_conn *conn;
  int server;
  const h3_io *io;
  void *ctx;
  h3_handlers h;
  void *user;
  pq_u64map streams; /* sid -> h3s */
  int64_t resume_sid;
  int any_failed;
};

static h3s *stream_new(h3 *h, int64_t sid) {
  h3s *s = pq_calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->sid = sid;
  s->content_length = -1;
  s->b.fd = -1;
  if (pq_u64map_insert(&h->streams, (uint64_t)sid, s) != 0) {
    pq_free(s);
    return NULL;
  }
  return s;
}

static void stream_free(h3s *s) {
  body_close(&s->b);
  pq_free(s->ring);
  pq_free(s->path);
  pq_free(s);
}

static void stream_drop(h3 *h, int64_t sid) {
  h3s *s = pq_u64map_remove(&h->streams, (uint64_t)sid);
  if (s)
    stream_free(s);
}

/* --- nghttp3 callbacks --- */

static int cb_acked(nghttp3_conn *conn, int64_t sid, uint64_t n, void *ud, void *sud) {
  (void)conn;
  h3 *h = ud;
  h3s *s = sud;
  if (!s)
    return 0;
  s->head += n;
  if (s->read_blocked && s->tail - s->head < RING_SIZE) {
    s->read_blocked = 0;
    h->resume_sid = sid;
  }
  return 0;
}

static int cb_stream_close(nghttp3_conn *conn, int64_t sid, uint64_t code, void *ud, void *sud) {
  (void)conn, (void)code, (void)sud;
  stream_drop(ud, sid);
  return 0;
}

static int cb_recv_data(nghttp3_conn *conn, int64_t sid, const uint8_t *data, size_t len, void *ud,
                        void *sud) {
  (void)conn, (void)sud;
  h3 *h = ud;
  if (h->h.on_body)
    h->h.on_body(h->user, sid, data, len);
  return 0;
}

static int cb_deferred_consume(nghttp3_conn *conn, int64_t sid, size_t n, void *ud, void *sud) {
  /* pquic extends flow control as the application reads: nothing to do. */
  (void)conn, (void)sid, (void)n, (void)ud, (void)sud;
  return 0;
}

static int cb_begin_headers(nghttp3_conn *conn, int64_t sid, void *ud, void *sud) {
  h3 *h = ud;
  if (!h->server || sud)
    return 0;
  h3s *s = stream_new(h, sid);
  if (!s)
    return NGHTTP3_ERR_CALLBACK_FAILURE;
  return nghttp3_conn_set_stream_user_data(conn, sid, s) ? NGHTTP3_ERR_CALLBACK_FAILURE : 0;
}

static int64_t parse_i64(const uint8_t *p, size_t n) {
  int64_t v = 0;
  if (n == 0 || n > 18)
    return -1;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

static int cb_recv_header(nghttp3_conn *conn, int64_t sid, int32_t token, nghttp3_rcbuf *name,
                          nghttp3_rcbuf *value, uint8_t flags, void *ud, void *sud) {
  (void)conn, (void)sid, (void)name, (void)flags;
  h3 *h = ud;
  h3s *s = sud;
  if (!s)
    return 0;
  nghttp3_vec v = nghttp3_rcbuf_get_buf(value);
  if (h->server && token == NGHTTP3_QPACK_TOKEN__METHOD) {
    size_t n = v.len < sizeof s->method - 1 ? v.len : sizeof s->method - 1;
    memcpy(s->method, v.base, n);
    s->method[n] = '\0';
  } else if (h->server && token == NGHTTP3_QPACK_TOKEN__PATH && !s->path) {
    s->path = pq_malloc(v.len + 1);
    if (!s->path)
      return NGHTTP3_ERR_CALLBACK_FAILURE;
    memcpy(s->path, v.base, v.len);
    s->path[v.len] = '\0';
  } else if (!h->server && token == NGHTTP3_QPACK_TOKEN__STATUS) {
    s->status = (int)parse_i64(v.base, v.len);
  } else if (!h->server && token == NGHTTP3_QPACK_TOKEN_CONTENT_LENGTH) {
    s->content_length = parse_i64(v.base, v.len);
  }
  return 0;
}

static int cb_end_headers(nghttp3_conn *conn, int64_t sid, int fin, void *ud, void *sud) {
  (void)conn, (void)fin;
  h3 *h = ud;
  h3s *s = sud;
  if (!h->server && s && h->h.on_response)
    h->h.on_response(h->user, sid, s->status, s->content_length);
  return 0;
}

static int cb_end_stream(nghttp3_conn *conn, int64_t sid, void *ud, void *sud) {
  (void)conn;
  h3 *h = ud;
  h3s *s = sud;
  if (h->server) {
    if (s && h->h.on_request)
      h->h.on_request(h->user, sid, s->method, s->path ? s->path : "");
  } else if (h->h.on_end) {
    h->h.on_end(h->user, sid);
  }
  return 0;
}

static int cb_stop_sending(nghttp3_conn *conn, int64_t sid, uint64_t code, void *ud, void *sud) {
  (void)conn, (void)sud;
  h3 *h = ud;
  h->io->stop(h->ctx, sid, code);
  return 0;
}

static int cb_reset_stream(nghttp3_conn *conn, int64_t sid, uint64_t code, void *ud, void *sud) {
  (void)conn, (void)sud;
  h3 *h = ud;
  h->io->reset(h->ctx, sid, code);
  return 0;
}

/* Response bodies: fill the ring from the source, hand nghttp3 a slice. */
static nghttp3_ssize cb_read_data(nghttp3_conn *conn, int64_t sid, nghttp3_vec *vec, size_t veccnt,
                                  uint32_t *pflags, void *ud, void *sud) {
  (void)conn, (void)sid, (void)veccnt;
  h3 *h = ud;
  h3s *s = sud;
  if (!s || body_left(&s->b) == 0) {
    *pflags |= NGHTTP3_DATA_FLAG_EOF;
    return 0;
  }
  if (s->failed)
    return NGHTTP3_ERR_WOULDBLOCK;
  uint64_t used = s->tail - s->head;
  if (used >= RING_SIZE) {
    s->read_blocked = 1;
    return NGHTTP3_ERR_WOULDBLOCK;
  }
  size_t pos = (size_t)(s->tail % RING_SIZE);
  size_t room = RING_SIZE - (size_t)used;
  if (room > RING_SIZE - pos)
    room = RING_SIZE - pos;
  long n = body_read(&s->b, s->ring + pos, room);
  if (n <= 0) {
    /* The file failed mid-body: reset this stream, not the connection. */
    s->failed = 1;
    h->any_failed = 1;
    return NGHTTP3_ERR_WOULDBLOCK;
  }
  s->tail += (uint64_t)n;
  vec[0].base = s->ring + pos;
  vec[0].len = (size_t)n;
  if (body_left(&s->b) == 0)
    *pflags |= NGHTTP3_DATA_FLAG_EOF;
  return 1;
}

/* --- public --- */

int h3_new(h3 **out, int server, const h3_io *io, void *io_ctx, const h3_handlers *hd, void *user) {
  nghttp3_callbacks cb;
  memset(&cb, 0, sizeof cb);
  cb.acked_stream_data = cb_acked;
  cb.stream_close = cb_stream_close;
  cb.recv_data = cb_recv_data;
  cb.deferred_consume = cb_deferred_consume;
  cb.begin_headers = cb_begin_headers;
  cb.recv_header = cb_recv_header;
  cb.end_headers = cb_end_headers;
  cb.end_stream = cb_end_stream;
  cb.stop_sending = cb_stop_sending;
  cb.reset_stream = cb_reset_stream;
  nghttp3_settings st;
  nghttp3_settings_default(&st);
  st.qpack_max_dtable_capacity = 4096;
  st.qpack_blocked_streams = 100;
  h3 *h = pq_calloc(1, sizeof *h);
  if (!h)
    return NGHTTP3_ERR_NOMEM;
  h->server = server;
  h->io = io;
  h->ctx = io_ctx;
  h->h = *hd;
  h->user = user;
  h->resume_sid = -1;
  pq_u64map_init(&h->streams, (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)h);
  int rv = server ? nghttp3_conn_server_new(&h->conn, &cb, &st, NULL, h)
                  : nghttp3_conn_client_new(&h->conn, &cb, &st, NULL, h);
  if (rv != 0) {
    pq_free(h);
    return rv;
  }
  /* pquic enforces the stream limits; nghttp3 only needs a bound that
   * never decreases for its own ID checks. */
  if (server)
    nghttp3_conn_set_max_client_streams_bidi(h->conn, UINT64_C(1) << 60);
  *out = h;
  return 0;
}

void h3_free(h3 *h) {
  if (!h)
    return;
  pq_u64map_iter it;
  uint64_t key;
  void *val;
  pq_u64map_iter_init(&h->streams, &it);
  while (pq_u64map_iter_next(&h->streams, &it, &key, &val)) {
    pq_u64map_remove(&h->streams, key);
    stream_free(val);
  }
  pq_u64map_free(&h->streams);
  nghttp3_conn_del(h->conn);
  pq_free(h);
}

int h3_start(h3 *h) {
  int64_t ctrl, enc, dec;
  if (h->io->open_uni(h->ctx, &ctrl) || h->io->open_uni(h->ctx, &enc) ||
      h->io->open_uni(h->ctx, &dec))
    return NGHTTP3_ERR_H3_STREAM_CREATION_ERROR;
  int rv = nghttp3_conn_bind_control_stream(h->conn, ctrl);
  if (rv == 0)
    rv = nghttp3_conn_bind_qpack_streams(h->conn, enc, dec);
  return rv;
}

int h3_recv(h3 *h, int64_t sid, const uint8_t *data, size_t len, int fin) {
  nghttp3_ssize n = nghttp3_conn_read_stream(h->conn, sid, data, len, fin);
  return n < 0 ? (int)n : 0;
}

/* Streams whose body failed are reset (RESET_STREAM, H3_INTERNAL_ERROR). */
static void reset_failed(h3 *h) {
  h->any_failed = 0;
  pq_u64map_iter it;
  void *val;
  pq_u64map_iter_init(&h->streams, &it);
  while (pq_u64map_iter_next(&h->streams, &it, NULL, &val)) {
    h3s *s = val;
    if (s->failed == 1) {
      s->failed = 2;
      nghttp3_conn_shutdown_stream_write(h->conn, s->sid);
      h->io->reset(h->ctx, s->sid, H3_INTERNAL_ERROR);
    }
  }
}

/* Writes one writev result; returns bytes accepted, sets *blocked. */
static int64_t write_vecs(h3 *h, int64_t sid, const nghttp3_vec *vec, size_t n, int fin,
                          int *blocked, int *dead) {
  int64_t total = 0;
  size_t last = n;
  for (size_t i = 0; i < n; i++)
    if (vec[i].len)
      last = i;
  if (last == n) { /* only the FIN */
    int64_t w = fin ? h->io->write(h->ctx, sid, NULL, 0, 1) : 0;
    *dead = w < 0;
    return 0;
  }
  for (size_t i = 0; i <= last; i++) {
    if (!vec[i].len)
      continue;
    int64_t w = h->io->write(h->ctx, sid, vec[i].base, vec[i].len, fin && i == last);
    if (w < 0) {
      *dead = 1;
      return total;
    }
    total += w;
    if ((size_t)w < vec[i].len) {
      *blocked = 1;
      break;
    }
  }
  return total;
}

int h3_flush(h3 *h) {
  for (;;) {
    nghttp3_vec vec[WRITE_VECS];
    int64_t sid = -1;
    int fin = 0;
    nghttp3_ssize n = nghttp3_conn_writev_stream(h->conn, &sid, &fin, vec, WRITE_VECS);
    if (n < 0)
      return (int)n;
    if (sid < 0)
      break;
    int blocked = 0, dead = 0;
    int64_t w = write_vecs(h, sid, vec, (size_t)n, fin, &blocked, &dead);
    if (dead) {
      /* Reset or stopped underneath us: nghttp3 must stop scheduling it. */
      nghttp3_conn_shutdown_stream_write(h->conn, sid);
      continue;
    }
    int rv = nghttp3_conn_add_write_offset(h->conn, sid, (size_t)w);
    if (rv == 0 && w > 0)
      rv = nghttp3_conn_add_ack_offset(h->conn, sid, (uint64_t)w);
    if (rv != 0)
      return rv;
    if (h->resume_sid >= 0) {
      int64_t r = h->resume_sid;
      h->resume_sid = -1;
      nghttp3_conn_resume_stream(h->conn, r);
    }
    if (blocked)
      nghttp3_conn_block_stream(h->conn, sid);
  }
  if (h->any_failed)
    reset_failed(h);
  return 0;
}

int h3_request(h3 *h, int64_t sid, const char *authority, const char *path) {
  h3s *s = stream_new(h, sid);
  if (!s)
    return NGHTTP3_ERR_NOMEM;
  const nghttp3_nv nva[] = {
      {(uint8_t *)":method", (uint8_t *)"GET", 7, 3, 0},
      {(uint8_t *)":scheme", (uint8_t *)"https", 7, 5, 0},
      {(uint8_t *)":authority", (uint8_t *)authority, 10, strlen(authority), 0},
      {(uint8_t *)":path", (uint8_t *)path, 5, strlen(path), 0},
      {(uint8_t *)"user-agent", (uint8_t *)"pquic", 10, 5, 0},
  };
  int rv = nghttp3_conn_submit_request(h->conn, sid, nva, sizeof nva / sizeof nva[0], NULL, s);
  if (rv != 0)
    stream_drop(h, sid);
  return rv;
}

int h3_respond(h3 *h, int64_t sid, int status, body *b, int head_only) {
  h3s *s = pq_u64map_get(&h->streams, (uint64_t)sid);
  if (!s) {
    body_close(b);
    return NGHTTP3_ERR_STREAM_NOT_FOUND;
  }
  char st[8], len[24];
  snprintf(st, sizeof st, "%d", status);
  snprintf(len, sizeof len, "%llu", (unsigned long long)b->size);
  const char *type = b->kind == BODY_FILE ? "application/octet-stream" : "text/plain";
  const nghttp3_nv nva[] = {
      {(uint8_t *)":status", (uint8_t *)st, 7, strlen(st), 0},
      {(uint8_t *)"server", (uint8_t *)"pquic", 6, 5, 0},
      {(uint8_t *)"content-length", (uint8_t *)len, 14, strlen(len), 0},
      {(uint8_t *)"content-type", (uint8_t *)type, 12, strlen(type), 0},
  };
  nghttp3_data_reader dr = {cb_read_data};
  int with_body = !head_only && b->size > 0;
  if (with_body) {
    s->ring = pq_malloc(RING_SIZE);
    if (!s->ring) {
      body_close(b);
      return NGHTTP3_ERR_NOMEM;
    }
    s->b = *b;
  } else {
    body_close(b);
  }
  b->kind = BODY_EMPTY;
  b->fd = -1;
  return nghttp3_conn_submit_response(h->conn, sid, nva, sizeof nva / sizeof nva[0],
                                      with_body ? &dr : NULL);
}

int h3_unblock(h3 *h, int64_t sid) {
  return nghttp3_conn_unblock_stream(h->conn, sid);
}

void h3_stream_closed(h3 *h, int64_t sid, uint64_t code) {
  /* Calls cb_stream_close, which frees our part; unknown streams (already
   * closed by nghttp3) are no error. */
  if (nghttp3_conn_close_stream(h->conn, sid, code) != 0)
    stream_drop(h, sid);
}

void h3_peer_reset(h3 *h, int64_t sid) {
  nghttp3_conn_shutdown_stream_read(h->conn, sid);
}

void h3_peer_stop(h3 *h, int64_t sid, uint64_t code) {
  nghttp3_conn_shutdown_stream_write(h->conn, sid);
  h->io->reset(h->ctx, sid, code);
}

uint64_t h3_app_error(int rc) {
  return nghttp3_err_infer_quic_app_error_code(rc);
}

const char *h3_strerror(int rc) {
  return nghttp3_strerror(rc);
}
