/* The test application: GET/PUT requests on bidirectional streams with
 * deterministic, self-checking content. */
#include "app.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content.h"
#include "sim_pquic.h"

#define SCRATCH_SIZE (64 * 1024)

sim_app *sim_app_new(sim *s, int is_server, uint64_t salt) {
  sim_app *app = calloc(1, sizeof *app);
  if (app == NULL) {
    return NULL;
  }
  app->sim = s;
  app->is_server = is_server;
  app->salt = salt;
  app->scratch = malloc(SCRATCH_SIZE);
  if (app->scratch == NULL) {
    free(app);
    return NULL;
  }
  return app;
}

void sim_app_free(sim_app *app) {
  if (app == NULL) {
    return;
  }
  for (size_t i = 0; i < app->nconns; i++) {
    free(app->conns[i]->streams);
    free(app->conns[i]);
  }
  free(app->scratch);
  free(app);
}

static uint64_t now_of(const sim_app_conn *c) {
  return sim_now(c->app->sim);
}

static sim_app_conn *conn_new(sim_app *app, pquic_cnx *cnx) {
  if (app->nconns == SIM_APP_MAX_CONNS) {
    return NULL;
  }
  sim_app_conn *c = calloc(1, sizeof *c);
  if (c == NULL) {
    return NULL;
  }
  c->app = app;
  c->cnx = cnx;
  c->is_server = app->is_server;
  c->tag = sim_mix64(app->salt, app->nconns + 1) >> 12; /* fits a short decimal */
  c->start_us = sim_now(app->sim);
  app->conns[app->nconns++] = c;
  pquic_cnx_set_user(cnx, c);
  return c;
}

/* Streams are client-initiated bidirectional ones (ID % 4 == 0), kept in
 * an array indexed by ID / 4. Returns NULL for any other ID, or when a new
 * slot is needed and create is 0 or memory runs out. */
static sim_app_stream *stream_get(sim_app_conn *c, uint64_t id, int create) {
  if ((id & 3) != 0) {
    return NULL;
  }
  uint64_t idx = id >> 2;
  if (idx < c->nstreams && c->streams[idx].used) {
    return &c->streams[idx];
  }
  if (!create || idx > 1000000) {
    return NULL;
  }
  if (idx >= c->cap) {
    size_t cap = c->cap ? c->cap : 16;
    while (cap <= idx) {
      cap *= 2;
    }
    sim_app_stream *s = realloc(c->streams, cap * sizeof *s);
    if (s == NULL) {
      return NULL;
    }
    memset(s + c->cap, 0, (cap - c->cap) * sizeof *s);
    c->streams = s;
    c->cap = cap;
  }
  if (idx >= c->nstreams) {
    c->nstreams = (size_t)idx + 1;
  }
  sim_app_stream *st = &c->streams[idx];
  memset(st, 0, sizeof *st);
  st->used = 1;
  st->id = id;
  st->is_server = c->is_server;
  st->start_us = now_of(c);
  return st;
}

static void check_finished(sim_app_conn *c);

static void stream_fail(sim_app_conn *c, sim_app_stream *st, uint64_t bad_offset) {
  if (st->failed || st->done) {
    return;
  }
  st->failed = 1;
  st->bad_offset = bad_offset;
  c->streams_failed++;
  check_finished(c);
}

static void stream_done(sim_app_conn *c, sim_app_stream *st) {
  if (st->failed || st->done) {
    return;
  }
  st->done = 1;
  st->done_us = now_of(c);
  c->streams_done++;
  check_finished(c);
}

/* --- sending --- */

/* Server side: a request is over once its FIN came and the answer's FIN
 * was queued. */
static void maybe_server_done(sim_app_conn *c, sim_app_stream *st) {
  if (st->is_server && st->fin_sent && st->fin_received) {
    stream_done(c, st);
  }
}

/* Writes what the stream still has to send, as far as the library takes it. */
static void pump(sim_app_conn *c, sim_app_stream *st) {
  sim_app *app = c->app;
  if (!st->out_ready) {
    return;
  }
  while (c->cnx != NULL && !st->fin_sent && !st->failed && st->hdr_out_sent < st->hdr_out_len) {
    int fin = st->body_to_send == 0;
    size_t left = st->hdr_out_len - st->hdr_out_sent;
    int64_t k = pquic_stream_write(c->cnx, st->id, (const uint8_t *)st->hdr_out + st->hdr_out_sent,
                                   left, fin);
    if (k < 0) {
      stream_fail(c, st, 0);
      return;
    }
    st->hdr_out_sent += (size_t)k;
    if ((size_t)k < left) {
      return;
    }
    st->fin_sent = fin;
  }
  while (c->cnx != NULL && !st->fin_sent && !st->failed && st->body_sent < st->body_to_send) {
    uint64_t n = pquic_stream_writable(c->cnx, st->id);
    if (n == 0) {
      return;
    }
    uint64_t left = st->body_to_send - st->body_sent;
    n = n < left ? n : left;
    n = n < SCRATCH_SIZE ? n : SCRATCH_SIZE;
    int fin = st->body_sent + n == st->body_to_send;
    sim_content_fill(st->key_send, st->body_sent, app->scratch, (size_t)n);
    int64_t k = pquic_stream_write(c->cnx, st->id, app->scratch, (size_t)n, fin);
    if (k < 0) {
      stream_fail(c, st, st->body_sent);
      return;
    }
    st->body_sent += (uint64_t)k;
    if ((uint64_t)k < n) {
      return;
    }
    st->fin_sent = fin;
  }
  if (c->cnx != NULL && !st->fin_sent && !st->failed) {
    /* Nothing at all to send (a GET of 0 bytes): a bare FIN. */
    if (pquic_stream_write(c->cnx, st->id, app->scratch, 0, 1) < 0) {
      stream_fail(c, st, 0);
      return;
    }
    st->fin_sent = 1;
  }
  maybe_server_done(c, st);
}

static void set_header_out(sim_app_stream *st, const char *text) {
  snprintf(st->hdr_out, sizeof st->hdr_out, "%s", text);
  st->hdr_out_len = strlen(st->hdr_out);
  st->hdr_out_sent = 0;
}

static void open_requests(sim_app_conn *c) {
  const sim_app_plan *p = &c->plan;
  while (c->cnx != NULL && c->opened < p->streams &&
         (p->parallel == 0 || c->opened - c->streams_done - c->streams_failed < p->parallel)) {
    uint64_t id;
    if (pquic_stream_open(c->cnx, 1, &id) != 0) {
      return; /* stream limit (or closing): retried at the next poll */
    }
    sim_app_stream *st = stream_get(c, id, 1);
    if (st == NULL) {
      c->unexpected_streams++;
      return;
    }
    c->opened++;
    st->size = p->size;
    st->upload = p->upload;
    st->key_send = sim_content_key(c->tag, id, 0);
    st->key_recv = sim_content_key(c->tag, id, 1);
    char hdr[48];
    snprintf(hdr, sizeof hdr, "%s %" PRIu64 " %" PRIu64 "\n", p->upload ? "PUT" : "GET", p->size,
             c->tag);
    set_header_out(st, hdr);
    st->body_to_send = p->upload ? p->size : 0;
    st->hdr_in_done = !p->upload; /* a GET answer is the bare body */
    st->out_ready = 1;
    pump(c, st);
  }
}

/* --- receiving --- */

/* Parses "<word> <n>[ <tag>]"; returns the number of numbers read. */
static int parse_header(const char *h, char *word, size_t wlen, uint64_t *n, uint64_t *tag) {
  size_t i = 0;
  while (h[i] != '\0' && h[i] != ' ' && i + 1 < wlen) {
    word[i] = h[i];
    i++;
  }
  word[i] = '\0';
  const char *p = h + i;
  int got = 0;
  uint64_t *out[2] = {n, tag};
  while (got < 2 && *p == ' ') {
    p++;
    if (*p < '0' || *p > '9') {
      return got;
    }
    char *end;
    *out[got++] = strtoull(p, &end, 10);
    p = end;
  }
  return *p == '\0' ? got : -1;
}

static void on_header(sim_app_conn *c, sim_app_stream *st) {
  char word[8];
  uint64_t n = 0, tag = 0;
  int got = parse_header(st->hdr_in, word, sizeof word, &n, &tag);
  if (!st->is_server) {
    /* The answer to a PUT. */
    if (got != 1 || strcmp(word, "OK") != 0 || n != st->size) {
      stream_fail(c, st, 0);
    }
    return;
  }
  if (got != 2 || (strcmp(word, "GET") != 0 && strcmp(word, "PUT") != 0)) {
    stream_fail(c, st, 0);
    return;
  }
  st->size = n;
  st->upload = word[0] == 'P';
  st->key_recv = sim_content_key(tag, st->id, 0);
  st->key_send = sim_content_key(tag, st->id, 1);
  if (!st->upload) {
    st->body_to_send = n; /* answered right away, request FIN or not */
    st->out_ready = 1;
  }
}

static uint64_t body_expected(const sim_app_stream *st) {
  return st->upload == st->is_server ? st->size : 0;
}

static void on_fin(sim_app_conn *c, sim_app_stream *st) {
  if (!st->hdr_in_done || st->body_received != body_expected(st)) {
    stream_fail(c, st, st->body_received);
    return;
  }
  if (!st->is_server) {
    stream_done(c, st);
    return;
  }
  if (st->upload) {
    char hdr[48];
    snprintf(hdr, sizeof hdr, "OK %" PRIu64 "\n", st->size);
    set_header_out(st, hdr);
    st->out_ready = 1;
  }
  maybe_server_done(c, st);
}

/* Consumes bytes read from a stream: header first, then checked body. */
static void consume(sim_app_conn *c, sim_app_stream *st, const uint8_t *p, size_t len) {
  while (len > 0 && !st->hdr_in_done && !st->failed) {
    if (*p == '\n') {
      st->hdr_in[st->hdr_in_len] = '\0';
      st->hdr_in_done = 1;
      on_header(c, st);
    } else if (st->hdr_in_len + 1 < sizeof st->hdr_in) {
      st->hdr_in[st->hdr_in_len++] = (char)*p;
    } else {
      stream_fail(c, st, 0); /* header too long */
    }
    p++;
    len--;
  }
  if (len == 0 || st->failed) {
    return;
  }
  if (st->body_received + len > body_expected(st)) {
    stream_fail(c, st, st->body_received);
    return;
  }
  size_t ok = sim_content_check(st->key_recv, st->body_received, p, len);
  if (ok < len) {
    stream_fail(c, st, st->body_received + ok);
    return;
  }
  st->body_received += len;
}

static void drain_stream(sim_app_conn *c, uint64_t stream_id, sim_app_stream *st) {
  sim_app *app = c->app;
  for (;;) {
    int fin = 0;
    int64_t k = pquic_stream_read(c->cnx, stream_id, app->scratch, SCRATCH_SIZE, &fin);
    if (k < 0) {
      if (st != NULL) {
        stream_fail(c, st, st->body_received);
      }
      return;
    }
    if (st != NULL) {
      if (st->fin_received && (k > 0 || fin)) {
        stream_fail(c, st, st->body_received); /* data after the FIN */
      }
      consume(c, st, app->scratch, (size_t)k);
      if (fin && !st->fin_received) {
        st->fin_received = 1;
        on_fin(c, st);
      }
    }
    if (k == 0 || fin) {
      return;
    }
  }
}

static void on_stream_data(pquic_cnx *cnx, uint64_t stream_id, void *user) {
  (void)user;
  sim_app_conn *c = pquic_cnx_get_user(cnx);
  if (c == NULL) {
    return;
  }
  sim_app_stream *st = stream_get(c, stream_id, c->is_server);
  if (st == NULL) {
    c->unexpected_streams++;
  }
  drain_stream(c, stream_id, st);
}

static void on_event(pquic_cnx *cnx, const pquic_event *ev, void *user) {
  (void)user;
  sim_app_conn *c = pquic_cnx_get_user(cnx);
  if (c == NULL) {
    return;
  }
  if ((unsigned)ev->type < sizeof c->events / sizeof c->events[0]) {
    c->events[ev->type]++;
  }
  sim_app_stream *st = NULL;
  switch (ev->type) {
  case PQUIC_EVENT_HANDSHAKE_DONE:
    if (!c->handshake_done) {
      c->handshake_done = 1;
      c->handshake_us = now_of(c);
    }
    break;
  case PQUIC_EVENT_CLOSED:
    c->closed = 1;
    c->closed_us = now_of(c);
    c->close_ev = *ev;
    c->close_ev.reason = NULL;
    snprintf(c->close_reason, sizeof c->close_reason, "%s", ev->reason ? ev->reason : "");
    pquic_cnx_get_stats(cnx, &c->final_stats);
    pquic_cnx_set_user(cnx, NULL);
    c->cnx = NULL;
    check_finished(c);
    break;
  case PQUIC_EVENT_STREAM_OPENED:
    if (c->is_server && stream_get(c, ev->stream_id, 1) == NULL) {
      c->unexpected_streams++;
    }
    break;
  case PQUIC_EVENT_STREAM_RESET:
  case PQUIC_EVENT_STREAM_STOP:
    st = stream_get(c, ev->stream_id, 0);
    if (st != NULL) {
      stream_fail(c, st, st->body_received);
    }
    break;
  default:
    break; /* WRITABLE: the next poll writes */
  }
}

static int on_new_connection(pquic_cnx *cnx, void *user) {
  sim_app *app = user;
  if (conn_new(app, cnx) == NULL) {
    app->refused++;
    return 1;
  }
  return 0;
}

/* --- driving --- */

static void check_finished(sim_app_conn *c) {
  if (c->is_server || c->done_us != 0 || !sim_app_conn_finished(c)) {
    return;
  }
  c->done_us = now_of(c);
  if (c->plan.close_when_done && !c->close_requested) {
    sim_app_close(c, c->plan.close_app_error);
  }
}

static void poll_app(void *user, uint64_t now) {
  sim_app *app = user;
  for (size_t i = 0; i < app->nconns; i++) {
    sim_app_conn *c = app->conns[i];
    if (c->cnx == NULL) {
      continue;
    }
    if (!c->is_server && (c->handshake_done || c->early)) {
      open_requests(c);
    }
    for (size_t j = 0; j < c->nstreams && c->cnx != NULL; j++) {
      sim_app_stream *st = &c->streams[j];
      if (st->used && st->out_ready && !st->fin_sent && !st->failed) {
        pump(c, st);
      }
    }
    if (c->close_requested == 1 && c->cnx != NULL) {
      c->close_requested = 2;
      (void)pquic_cnx_close(c->cnx, c->close_app_error, "sim app close", now);
    }
  }
}

void sim_app_configure(sim_app *app, pquic_config *cfg) {
  cfg->callbacks.on_stream_data = on_stream_data;
  cfg->callbacks.on_event = on_event;
  cfg->callbacks.on_new_connection = on_new_connection;
  cfg->user = app;
}

void sim_app_attach(sim_app *app, sim_node *node) {
  app->node = node;
  sim_node_set_poll(node, poll_app, app);
}

sim_app_conn *sim_app_connect(sim_app *app, const struct sockaddr *server, const char *sni,
                              const sim_app_plan *plan, int *err) {
  return sim_app_connect_session(app, server, sni, plan, NULL, 0, err);
}

sim_app_conn *sim_app_connect_session(sim_app *app, const struct sockaddr *server, const char *sni,
                                      const sim_app_plan *plan, const uint8_t *session,
                                      size_t session_len, int *err) {
  pquic_cnx *cnx = NULL;
  pquic_endpoint *ep = sim_pquic_endpoint(app->node);
  int rc = session ? pquic_connect_session(ep, sim_node_addr(app->node), server, sni, session,
                                           session_len, sim_now(app->sim), &cnx)
                   : pquic_connect(ep, sim_node_addr(app->node), server, sni, sim_now(app->sim),
                                   &cnx);
  if (rc == 0 && app->nconns == SIM_APP_MAX_CONNS) {
    rc = PQUIC_ERR_LIMIT;
  }
  sim_app_conn *c = rc == 0 ? conn_new(app, cnx) : NULL;
  if (rc == 0 && c == NULL) {
    rc = PQUIC_ERR_NOMEM;
  }
  if (err != NULL) {
    *err = rc;
  }
  if (c != NULL) {
    c->plan = *plan;
    c->early = session != NULL;
  }
  return c;
}

void sim_app_close(sim_app_conn *c, uint64_t app_error) {
  if (c->close_requested == 0) {
    c->close_requested = 1;
    c->close_app_error = app_error;
  }
}

int sim_app_conn_finished(const sim_app_conn *c) {
  return c->streams_done + c->streams_failed >= c->plan.streams &&
         (c->plan.streams == 0 ? c->handshake_done : 1);
}

int sim_app_all_finished(void *user) {
  const sim_app *app = user;
  for (size_t i = 0; i < app->nconns; i++) {
    const sim_app_conn *c = app->conns[i];
    if (!c->is_server && c->done_us == 0 && !c->closed) {
      return 0;
    }
  }
  return app->nconns > 0;
}

int sim_app_all_closed(void *user) {
  const sim_app *app = user;
  for (size_t i = 0; i < app->nconns; i++) {
    if (!app->conns[i]->closed) {
      return 0;
    }
  }
  return app->nconns > 0;
}

uint64_t sim_app_failed_streams(const sim_app *app) {
  uint64_t n = 0;
  for (size_t i = 0; i < app->nconns; i++) {
    n += app->conns[i]->streams_failed;
  }
  return n;
}

void sim_app_dump(const sim_app *app, const char *name) {
  for (size_t i = 0; i < app->nconns; i++) {
    const sim_app_conn *c = app->conns[i];
    pquic_stats st;
    if (c->cnx != NULL) {
      pquic_cnx_get_stats(c->cnx, &st);
    } else {
      st = c->final_stats;
    }
    fprintf(stderr,
            "%s conn %zu (%s, tag %" PRIu64 "): handshake %s at %" PRIu64 " us; streams %zu/%zu "
            "done, %zu failed, done at %" PRIu64 " us; ",
            name, i, c->is_server ? "server" : "client", c->tag, c->handshake_done ? "done" : "NOT",
            c->handshake_us, c->streams_done, c->is_server ? c->nstreams : c->plan.streams,
            c->streams_failed, c->done_us);
    if (c->closed) {
      fprintf(stderr, "closed at %" PRIu64 " us (%s, %s 0x%" PRIx64 "%s, \"%s\"); ", c->closed_us,
              pquic_errname(c->close_ev.err), c->close_ev.wire_error_is_app ? "app" : "wire",
              (uint64_t)c->close_ev.wire_error, c->close_ev.closed_by_peer ? ", by peer" : "",
              c->close_reason);
    }
    fprintf(stderr,
            "pkts sent %" PRIu64 " recv %" PRIu64 " lost %" PRIu64 " dropped %" PRIu64
            ", srtt %" PRIu64 " us, cwnd %" PRIu64 "\n",
            st.packets_sent, st.packets_received, st.packets_lost, st.packets_dropped,
            st.rtt_smoothed_us, st.cwnd);
    for (size_t j = 0; j < c->nstreams; j++) {
      const sim_app_stream *s = &c->streams[j];
      if (s->used && s->failed) {
        fprintf(stderr,
                "  stream %" PRIu64 " FAILED at body offset %" PRIu64 " (received %" PRIu64
                ", sent %" PRIu64 "/%" PRIu64 ")\n",
                s->id, s->bad_offset, s->body_received, s->body_sent, s->body_to_send);
      }
    }
  }
}
