/* pquic server: one connection's requests, over HTTP/3 or hq-interop. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "paths.h"
#include "server.h"

#define READ_CHUNK 65536
#define WRITE_CHUNK 65536

/* An hq-interop request stream. */
typedef struct hq_stream {
  hq_req req;
  body b;
  int state; /* 0 reading the request, 1 sending, 2 done */
} hq_stream;

int check_dir_readable(const char *dir) {
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, R_OK | X_OK) != 0)
    return -1;
  return 0;
}

static void conn_fail(sconn *c, uint64_t code, const char *why) {
  if (c->failed)
    return;
  c->failed = 1;
  pquic_cnx_close(c->cnx, code, why, pq_now_us());
}

/* --- HTTP/3 --- */

static void h3_on_request(void *user, int64_t sid, const char *method, const char *path) {
  sconn *c = user;
  body b;
  int status;
  int head = strcmp(method, "HEAD") == 0;
  if (!head && strcmp(method, "GET") != 0) {
    body_text(&b, "405 method not allowed\n");
    status = 405;
  } else {
    status = serve_resolve(c->srv->root, path, &b);
  }
  int rv = h3_respond(c->h3, sid, status, &b, head);
  if (rv)
    conn_fail(c, h3_app_error(rv), h3_strerror(rv));
  c->dirty = 1;
}

static const h3_handlers server_handlers = {h3_on_request, NULL, NULL, NULL};

void sconn_start(sconn *c) {
  if (c->proto != PROTO_NONE || c->failed)
    return;
  const char *alpn = pquic_cnx_alpn(c->cnx);
  if (strcmp(alpn, "hq-interop") == 0) {
    c->proto = PROTO_HQ;
  } else {
    c->proto = PROTO_H3;
    int rv = h3_new(&c->h3, 1, &quic_h3_io, c->cnx, &server_handlers, c);
    if (rv == 0)
      rv = h3_start(c->h3);
    if (rv)
      conn_fail(c, H3_INTERNAL_ERROR, h3_strerror(rv));
  }
  c->dirty = 1;
  /* Streams that spoke first (0-RTT) are read now; their bytes waited in
   * the library. */
  for (size_t i = 0; i < c->early.n; i++)
    sconn_on_data(c, c->early.v[i]);
  sidvec_free(&c->early);
}

/* --- hq-interop --- */

static void hq_drop(sconn *c, int64_t sid) {
  hq_stream *h = pq_u64map_remove(&c->hq, (uint64_t)sid);
  if (h) {
    body_close(&h->b);
    pq_free(h);
  }
}

void sconn_hq_free_all(sconn *c) {
  pq_u64map_iter it;
  uint64_t key;
  pq_u64map_iter_init(&c->hq, &it);
  while (pq_u64map_iter_next(&c->hq, &it, &key, NULL))
    hq_drop(c, (int64_t)key);
}

/* Sends as much of the body as the stream takes; a body is random access,
 * so what the stream refused is read again next time. */
static void hq_send(sconn *c, int64_t sid, hq_stream *h) {
  static uint8_t buf[WRITE_CHUNK];
  while (h->state == 1) {
    uint64_t before = h->b.off;
    /* Read no more than the stream takes (at least a byte, so that a full
     * stream asks for STREAM_WRITABLE). */
    uint64_t room = pquic_stream_writable(c->cnx, (uint64_t)sid);
    size_t want = room == 0 ? 1 : room < sizeof buf ? (size_t)room : sizeof buf;
    long n = body_read(&h->b, buf, want);
    if (n < 0) {
      pquic_stream_reset(c->cnx, (uint64_t)sid, 500);
      h->state = 2;
      break;
    }
    int fin = body_left(&h->b) == 0;
    int64_t w = pquic_stream_write(c->cnx, (uint64_t)sid, buf, (size_t)n, fin);
    if (w < 0) { /* stopped or reset meanwhile */
      h->state = 2;
      break;
    }
    h->b.off = before + (uint64_t)w;
    if (w < n)
      break; /* wait for STREAM_WRITABLE */
    if (fin)
      h->state = 2;
  }
  if (h->state == 2)
    body_close(&h->b);
}

static void hq_on_data(sconn *c, int64_t sid, const uint8_t *data, size_t len, int fin) {
  hq_stream *h = pq_u64map_get(&c->hq, (uint64_t)sid);
  if (!h) {
    if (sid % 4 != 0) /* only client bidirectional streams carry requests */
      return;
    h = pq_calloc(1, sizeof *h);
    if (!h || pq_u64map_insert(&c->hq, (uint64_t)sid, h) != 0) {
      pq_free(h);
      pquic_stream_reset(c->cnx, (uint64_t)sid, 500);
      return;
    }
    hq_req_init(&h->req);
    h->b.fd = -1;
  }
  if (h->state != 0)
    return;
  int r = hq_req_feed(&h->req, data, len, fin);
  if (r == 0)
    return;
  int status = r < 0 ? 400 : serve_resolve(c->srv->root, hq_req_target(&h->req), &h->b);
  if (status != 200) {
    /* No status line in HTTP/0.9: the status is the reset code. */
    body_close(&h->b);
    pquic_stream_reset(c->cnx, (uint64_t)sid, (uint64_t)status);
    h->state = 2;
    return;
  }
  h->state = 1;
  hq_send(c, sid, h);
}

/* --- events --- */

void sconn_on_data(sconn *c, int64_t sid) {
  static uint8_t buf[READ_CHUNK];
  if (c->proto == PROTO_NONE) {
    /* Early data before the handshake names the protocol: leave the bytes
     * in the library until it does. */
    if (pquic_cnx_alpn(c->cnx)[0] == '\0') {
      sidvec_push(&c->early, sid);
      return;
    }
    sconn_start(c);
  }
  for (int i = 0; i < 1024 && !c->failed; i++) {
    int fin = 0;
    int64_t n = pquic_stream_read(c->cnx, (uint64_t)sid, buf, sizeof buf, &fin);
    if (n < 0 || (n == 0 && !fin))
      break;
    if (c->proto == PROTO_H3) {
      int rv = h3_recv(c->h3, sid, buf, (size_t)n, fin);
      if (rv) {
        conn_fail(c, h3_app_error(rv), h3_strerror(rv));
        break;
      }
    } else {
      hq_on_data(c, sid, buf, (size_t)n, fin);
    }
    if (fin)
      break;
  }
  c->dirty = 1;
}

void sconn_writable(sconn *c, int64_t sid) {
  if (c->proto == PROTO_H3) {
    h3_unblock(c->h3, sid);
  } else if (c->proto == PROTO_HQ) {
    hq_stream *h = pq_u64map_get(&c->hq, (uint64_t)sid);
    if (h)
      hq_send(c, sid, h);
  }
  c->dirty = 1;
}

void sconn_reset(sconn *c, int64_t sid) {
  if (c->proto == PROTO_H3)
    h3_peer_reset(c->h3, sid);
  c->dirty = 1;
}

void sconn_stop(sconn *c, int64_t sid, uint64_t code) {
  if (c->proto == PROTO_H3) {
    h3_peer_stop(c->h3, sid, code);
  } else {
    hq_stream *h = pq_u64map_get(&c->hq, (uint64_t)sid);
    if (h && h->state == 1) {
      h->state = 2;
      body_close(&h->b);
    }
    pquic_stream_reset(c->cnx, (uint64_t)sid, code);
  }
  c->dirty = 1;
}

void sconn_service(sconn *c, uint64_t now) {
  (void)now;
  c->dirty = 0;
  if (c->proto == PROTO_H3 && !c->failed) {
    int rv = h3_flush(c->h3);
    if (rv)
      conn_fail(c, h3_app_error(rv), h3_strerror(rv));
  }
  for (size_t i = 0; i < c->closed.n; i++) {
    if (c->proto == PROTO_H3)
      h3_stream_closed(c->h3, c->closed.v[i], H3_NO_ERROR);
    else
      hq_drop(c, c->closed.v[i]);
  }
  c->closed.n = 0;
}
