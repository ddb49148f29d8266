/*
 * A stand-in for the pquic library, for testing the test application, the
 * pquic binding and the scenario helpers before (and independently of) the
 * real core. It implements the public API of pquic.h over the simulator
 * with a trivial protocol and NO reliability, congestion or flow control:
 * use it on loss-free links with unlimited queues only.
 *
 * Datagram: type (1 byte), connection number (8 bytes), then
 *   HELLO (client -> server), HELLO_ACK: nothing;
 *   STREAM: stream ID (8), offset (8), FIN (1), length (2), data;
 *   CLOSE: application error code (8).
 * Each side reports HANDSHAKE_DONE when HELLO (server) or HELLO_ACK (client)
 * arrives. The closer reports CLOSED at once, the peer on CLOSE.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "pquic/pquic.h"

enum { T_HELLO = 1, T_HELLO_ACK, T_STREAM, T_CLOSE };
#define HDR 9
#define FRAME_HDR 19
#define DGRAM 1200
#define MAX_FAKE_CNX 32
#define MAX_FAKE_STREAMS 256

typedef struct fake_stream {
  int used;
  uint8_t *out; /* queued, unsent: out[out_head .. out_head + out_len) */
  size_t out_head, out_len, out_cap;
  uint64_t out_off; /* offset of out[0] */
  int fin_queued, fin_sent, was_full;
  uint8_t *in; /* received, unread */
  size_t in_len, in_cap;
  uint64_t in_off; /* next expected offset */
  int fin_in, fin_read;
} fake_stream;

struct pquic_cnx {
  pquic_endpoint *ep;
  void *user;
  int server, established, hello_pending, ack_pending, close_pending, dead;
  uint64_t num, close_code, next_bidi;
  struct sockaddr_storage local, remote;
  fake_stream streams[MAX_FAKE_STREAMS];
  size_t rr; /* round-robin position */
  pquic_stats st;
};

struct pquic_endpoint {
  pquic_config cfg;
  pquic_cnx *cnx[MAX_FAKE_CNX];
  uint64_t next_num;
};

void pquic_settings_init(pquic_settings *s) {
  memset(s, 0, sizeof *s);
  s->initial_max_streams_bidi = 100;
  s->max_idle_timeout_us = 30000000;
  s->max_stream_send_buffer = 1 << 20;
  s->max_udp_payload_size = 1472;
  s->initial_udp_payload_size = 1252;
  s->max_gso_segments = 4;
  s->version = PQUIC_VERSION_1;
}

void pquic_config_init(pquic_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->struct_version = PQUIC_CONFIG_VERSION;
  cfg->struct_size = sizeof *cfg;
  pquic_settings_init(&cfg->settings);
}

int pquic_endpoint_new(const pquic_config *cfg, pquic_endpoint **out) {
  pquic_endpoint *ep = calloc(1, sizeof *ep);
  if (ep == NULL) {
    return PQUIC_ERR_NOMEM;
  }
  ep->cfg = *cfg;
  uint8_t b[8];
  cfg->rand(cfg->rand_user, b, sizeof b); /* the seeded source is wired in */
  memcpy(&ep->next_num, b, sizeof b);
  ep->next_num >>= 8;
  *out = ep;
  return 0;
}

static void free_cnx(pquic_cnx *c) {
  for (size_t i = 0; i < MAX_FAKE_STREAMS; i++) {
    free(c->streams[i].out);
    free(c->streams[i].in);
  }
  free(c);
}

void pquic_endpoint_free(pquic_endpoint *ep) {
  for (size_t i = 0; i < MAX_FAKE_CNX; i++) {
    if (ep->cnx[i] != NULL) {
      free_cnx(ep->cnx[i]);
    }
  }
  free(ep);
}

size_t pquic_endpoint_connection_count(const pquic_endpoint *ep) {
  size_t n = 0;
  for (size_t i = 0; i < MAX_FAKE_CNX; i++) {
    n += ep->cnx[i] != NULL;
  }
  return n;
}

static void copy_addr(struct sockaddr_storage *d, const struct sockaddr *s) {
  memset(d, 0, sizeof *d);
  memcpy(d, s, s->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
}

static pquic_cnx *new_cnx(pquic_endpoint *ep, int server, uint64_t num) {
  for (size_t i = 0; i < MAX_FAKE_CNX; i++) {
    if (ep->cnx[i] == NULL) {
      pquic_cnx *c = calloc(1, sizeof *c);
      if (c == NULL) {
        return NULL;
      }
      c->ep = ep;
      c->server = server;
      c->num = num;
      ep->cnx[i] = c;
      return c;
    }
  }
  return NULL;
}

static void emit(pquic_cnx *c, pquic_event_type type, uint64_t stream, uint64_t code, int by_peer) {
  pquic_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = type;
  ev.stream_id = stream;
  ev.wire_error = code;
  ev.wire_error_is_app = type == PQUIC_EVENT_CLOSED;
  ev.closed_by_peer = by_peer;
  ev.err = type == PQUIC_EVENT_CLOSED && by_peer ? PQUIC_ERR_PEER_CLOSED : 0;
  if (c->ep->cfg.callbacks.on_event != NULL) {
    c->ep->cfg.callbacks.on_event(c, &ev, c->ep->cfg.user);
  }
}

/* Reports CLOSED, then forgets the connection. */
static void finish(pquic_cnx *c, uint64_t code, int by_peer) {
  c->dead = 1;
  emit(c, PQUIC_EVENT_CLOSED, 0, code, by_peer);
  pquic_endpoint *ep = c->ep;
  for (size_t i = 0; i < MAX_FAKE_CNX; i++) {
    if (ep->cnx[i] == c) {
      ep->cnx[i] = NULL;
    }
  }
  free_cnx(c);
}

int pquic_connect(pquic_endpoint *ep, const struct sockaddr *local, const struct sockaddr *remote,
                  const char *server_name, uint64_t now, pquic_cnx **out) {
  pquic_cnx *c = new_cnx(ep, 0, ep->next_num++);
  if (c == NULL) {
    return PQUIC_ERR_LIMIT;
  }
  copy_addr(&c->local, local);
  copy_addr(&c->remote, remote);
  c->hello_pending = 1;
  *out = c;
  return 0;
}

static int grow(uint8_t **buf, size_t *cap, size_t need) {
  if (need <= *cap) {
    return 0;
  }
  size_t n = *cap ? *cap : 4096;
  while (n < need) {
    n *= 2;
  }
  uint8_t *b = realloc(*buf, n);
  if (b == NULL) {
    return -1;
  }
  *buf = b;
  *cap = n;
  return 0;
}

static fake_stream *stream_of(pquic_cnx *c, uint64_t id) {
  return id / 4 < MAX_FAKE_STREAMS && (id & 3) == 0 ? &c->streams[id / 4] : NULL;
}

static uint64_t get64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) {
    v = v << 8 | p[i];
  }
  return v;
}

static void put64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--) {
    p[i] = (uint8_t)v;
    v >>= 8;
  }
}

static void on_stream(pquic_cnx *c, const uint8_t *p, size_t len) {
  if (len < FRAME_HDR) {
    return;
  }
  uint64_t id = get64(p), off = get64(p + 8);
  int fin = p[16];
  size_t n = (size_t)p[17] << 8 | p[18];
  fake_stream *s = stream_of(c, id);
  if (s == NULL || n > len - FRAME_HDR || off != s->in_off) {
    return; /* the fake has no reordering or loss repair */
  }
  if (!s->used) {
    s->used = 1;
    emit(c, PQUIC_EVENT_STREAM_OPENED, id, 0, 0);
  }
  if (n > 0) {
    if (grow(&s->in, &s->in_cap, s->in_len + n) != 0) {
      return;
    }
    memcpy(s->in + s->in_len, p + FRAME_HDR, n);
  }
  s->in_len += n;
  s->in_off += n;
  s->fin_in |= fin;
  c->st.stream_bytes_received += n;
  if (c->ep->cfg.callbacks.on_stream_data != NULL) {
    c->ep->cfg.callbacks.on_stream_data(c, id, c->ep->cfg.user);
  }
}

int pquic_endpoint_input(pquic_endpoint *ep, const uint8_t *data, size_t len,
                         const struct sockaddr *local, const struct sockaddr *remote, uint8_t ecn,
                         uint64_t now) {
  if (len < HDR) {
    return 0;
  }
  uint64_t num = get64(data + 1);
  pquic_cnx *c = NULL;
  for (size_t i = 0; i < MAX_FAKE_CNX && c == NULL; i++) {
    if (ep->cnx[i] != NULL && ep->cnx[i]->num == num) {
      c = ep->cnx[i];
    }
  }
  if (c == NULL && data[0] == T_HELLO && ep->cfg.accept_incoming) {
    c = new_cnx(ep, 1, num);
    if (c == NULL) {
      return 0;
    }
    copy_addr(&c->local, local);
    copy_addr(&c->remote, remote);
    if (ep->cfg.callbacks.on_new_connection != NULL &&
        ep->cfg.callbacks.on_new_connection(c, ep->cfg.user) != 0) {
      finish(c, 0, 0);
      return 0;
    }
  }
  if (c == NULL) {
    return 0;
  }
  c->st.packets_received++;
  c->st.bytes_received += len;
  switch (data[0]) {
  case T_HELLO:
    c->ack_pending = 1;
    if (!c->established) {
      c->established = 1;
      emit(c, PQUIC_EVENT_HANDSHAKE_DONE, 0, 0, 0);
    }
    break;
  case T_HELLO_ACK:
    if (!c->established) {
      c->established = 1;
      emit(c, PQUIC_EVENT_HANDSHAKE_DONE, 0, 0, 0);
    }
    break;
  case T_STREAM:
    on_stream(c, data + HDR, len - HDR);
    break;
  case T_CLOSE:
    if (len >= HDR + 8) {
      finish(c, get64(data + HDR), 1);
    }
    break;
  default:
    break;
  }
  return 0;
}

/* One STREAM datagram of at most DGRAM bytes from stream s into p. */
static size_t write_stream(pquic_cnx *c, uint64_t id, fake_stream *s, uint8_t *p) {
  size_t n = s->out_len < DGRAM - HDR - FRAME_HDR ? s->out_len : DGRAM - HDR - FRAME_HDR;
  int fin = s->fin_queued && n == s->out_len;
  p[0] = T_STREAM;
  put64(p + 1, c->num);
  put64(p + HDR, id);
  put64(p + HDR + 8, s->out_off);
  p[HDR + 16] = (uint8_t)fin;
  p[HDR + 17] = (uint8_t)(n >> 8);
  p[HDR + 18] = (uint8_t)n;
  if (n > 0) {
    memcpy(p + HDR + FRAME_HDR, s->out + s->out_head, n);
  }
  s->out_head += n;
  s->out_len -= n;
  s->out_off += n;
  s->fin_sent |= fin;
  c->st.stream_bytes_sent += n;
  if (s->was_full && s->out_len < c->ep->cfg.settings.max_stream_send_buffer / 2) {
    s->was_full = 0;
    emit(c, PQUIC_EVENT_STREAM_WRITABLE, id, 0, 0);
  }
  return HDR + FRAME_HDR + n;
}

static fake_stream *next_sender(pquic_cnx *c, uint64_t *id) {
  for (size_t k = 0; k < MAX_FAKE_STREAMS; k++) {
    size_t i = (c->rr + k) % MAX_FAKE_STREAMS;
    fake_stream *s = &c->streams[i];
    if (s->used && (s->out_len > 0 || (s->fin_queued && !s->fin_sent))) {
      c->rr = i + 1;
      *id = (uint64_t)i * 4;
      return s;
    }
  }
  return NULL;
}

/* A GSO batch: full-size datagrams from one stream, the last maybe short. */
static int output_cnx(pquic_cnx *c, uint8_t *buf, size_t cap, pquic_send_info *info) {
  info->local = c->local;
  info->remote = c->remote;
  info->count = 1;
  if (c->hello_pending || c->ack_pending || c->close_pending) {
    buf[0] = c->close_pending ? T_CLOSE : c->hello_pending ? T_HELLO : T_HELLO_ACK;
    put64(buf + 1, c->num);
    size_t len = HDR;
    if (c->close_pending) {
      put64(buf + HDR, c->close_code);
      len += 8;
    }
    c->hello_pending = c->ack_pending = 0;
    info->segment_size = len;
    return (int)len;
  }
  uint64_t id;
  fake_stream *s = next_sender(c, &id);
  if (s == NULL || !c->established) {
    return 0;
  }
  size_t total = 0, count = 0;
  do {
    size_t n = write_stream(c, id, s, buf + total);
    total += n;
    count++;
    if (n < DGRAM) {
      break;
    }
  } while (count < c->ep->cfg.settings.max_gso_segments && total + DGRAM <= cap &&
           (s->out_len > 0 || (s->fin_queued && !s->fin_sent)));
  info->segment_size = count > 1 ? DGRAM : total;
  info->count = count;
  c->st.packets_sent += count;
  c->st.bytes_sent += total;
  return (int)total;
}

int pquic_endpoint_output(pquic_endpoint *ep, uint64_t now, uint8_t *buf, size_t cap,
                          pquic_send_info *info) {
  for (size_t i = 0; i < MAX_FAKE_CNX; i++) {
    pquic_cnx *c = ep->cnx[i];
    if (c == NULL) {
      continue;
    }
    int was_closing = c->close_pending;
    int n = output_cnx(c, buf, cap, info);
    if (was_closing) {
      finish(c, c->close_code, 0);
    }
    if (n > 0) {
      return n;
    }
  }
  return 0;
}

uint64_t pquic_endpoint_next_wake(const pquic_endpoint *ep) {
  return UINT64_MAX;
}

void pquic_cnx_set_user(pquic_cnx *cnx, void *user) {
  cnx->user = user;
}
void *pquic_cnx_get_user(const pquic_cnx *cnx) {
  return cnx->user;
}
int pquic_cnx_is_server(const pquic_cnx *cnx) {
  return cnx->server;
}
int pquic_cnx_handshake_done(const pquic_cnx *cnx) {
  return cnx->established;
}
const char *pquic_cnx_alpn(const pquic_cnx *cnx) {
  return cnx->established ? "fake" : "";
}
const char *pquic_cnx_cipher(const pquic_cnx *cnx) {
  return "none";
}
uint32_t pquic_cnx_version(const pquic_cnx *cnx) {
  return PQUIC_VERSION_1;
}

int pquic_cnx_close(pquic_cnx *cnx, uint64_t app_error, const char *reason, uint64_t now) {
  cnx->close_pending = 1;
  cnx->close_code = app_error;
  return 0;
}

void pquic_cnx_get_stats(const pquic_cnx *cnx, pquic_stats *st) {
  *st = cnx->st;
}

int pquic_stream_open(pquic_cnx *cnx, int bidi, uint64_t *stream_id) {
  if (!cnx->established || cnx->close_pending) {
    return PQUIC_ERR_STATE;
  }
  uint64_t id = cnx->next_bidi * 4 + (cnx->server ? 1 : 0);
  fake_stream *s = stream_of(cnx, id);
  if (!bidi || s == NULL || cnx->next_bidi >= cnx->ep->cfg.settings.initial_max_streams_bidi) {
    return PQUIC_ERR_STREAM_LIMIT;
  }
  cnx->next_bidi++;
  s->used = 1;
  *stream_id = id;
  return 0;
}

uint64_t pquic_stream_writable(const pquic_cnx *cnx, uint64_t stream_id) {
  const fake_stream *s = stream_id / 4 < MAX_FAKE_STREAMS && (stream_id & 3) == 0
                             ? &cnx->streams[stream_id / 4]
                             : NULL;
  size_t cap = cnx->ep->cfg.settings.max_stream_send_buffer;
  if (s == NULL || !s->used || s->fin_queued || s->out_len >= cap) {
    return 0;
  }
  return cap - s->out_len;
}

int64_t pquic_stream_write(pquic_cnx *cnx, uint64_t stream_id, const uint8_t *data, size_t len,
                           int fin) {
  fake_stream *s = stream_of(cnx, stream_id);
  if (s == NULL || !s->used || s->fin_queued) {
    return PQUIC_ERR_STREAM_STATE;
  }
  size_t room = pquic_stream_writable(cnx, stream_id);
  size_t n = len < room ? len : room;
  if (n < len || n == room) {
    s->was_full = 1; /* full now: STREAM_WRITABLE once it drains */
  }
  if (s->out_head > 0) {
    memmove(s->out, s->out + s->out_head, s->out_len);
    s->out_head = 0;
  }
  if (n > 0) {
    if (grow(&s->out, &s->out_cap, s->out_len + n) != 0) {
      return PQUIC_ERR_NOMEM;
    }
    memcpy(s->out + s->out_len, data, n);
    s->out_len += n;
  }
  s->fin_queued = fin && n == len;
  return (int64_t)n;
}

int64_t pquic_stream_read(pquic_cnx *cnx, uint64_t stream_id, uint8_t *buf, size_t len, int *fin) {
  fake_stream *s = stream_of(cnx, stream_id);
  *fin = 0;
  if (s == NULL || !s->used) {
    return PQUIC_ERR_STREAM_NOT_FOUND;
  }
  size_t n = len < s->in_len ? len : s->in_len;
  if (n > 0) {
    memcpy(buf, s->in, n);
    memmove(s->in, s->in + n, s->in_len - n);
    s->in_len -= n;
  }
  if (s->in_len == 0 && s->fin_in && !s->fin_read) {
    s->fin_read = 1;
    *fin = 1;
  }
  return (int64_t)n;
}

int pquic_stream_reset(pquic_cnx *cnx, uint64_t stream_id, uint64_t app_error) {
  return PQUIC_ERR_UNSUPPORTED;
}

int pquic_stream_stop(pquic_cnx *cnx, uint64_t stream_id, uint64_t app_error) {
  return PQUIC_ERR_UNSUPPORTED;
}

/* The fake library keeps no TLS state: nothing to resume. */
int pquic_connect_session(pquic_endpoint *ep, const struct sockaddr *local,
                          const struct sockaddr *remote, const char *server_name,
                          const uint8_t *session, size_t session_len, uint64_t now,
                          pquic_cnx **out) {
  (void)ep;
  (void)local;
  (void)remote;
  (void)server_name;
  (void)session;
  (void)session_len;
  (void)now;
  *out = NULL;
  return PQUIC_ERR_UNSUPPORTED;
}
