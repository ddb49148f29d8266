/* pquic client: downloads over HTTP/3 or hq-interop, a summary per connection. */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "app_endpoint.h"
#include "client.h"
#include "common/alloc.h"
#include "paths.h"
#include "report.h"

#define PROGRESS_INTERVAL_US 200000u

static void usage(FILE *f) {
  fputs("usage: pquic client [OPTIONS] URL...\n"
        "\n"
        "Downloads each https://host[:port]/path URL over QUIC, one connection per\n"
        "server, then prints one summary line per connection:\n"
        "  bytes= seconds= goodput_mbps= rtt_min_ms= rtt_ms= lost= version= cipher=\n"
        "  resumed= 0rtt= key_updates= migrations= retry=\n"
        "(on standard output; on standard error when the body goes to standard\n"
        "output). Exit status 0 only if every download completed.\n"
        "\n"
        "  --alpn P        h3 (default) or hq-interop\n"
        "  --output DIR    save each body as DIR/<last path segment> (repeats get .1, .2...)\n"
        "  --discard       count the bytes, keep nothing\n"
        "                  (neither: the body goes to standard output; one URL only)\n"
        "  --ca FILE       PEM trust anchors (default: the system's)\n"
        "  --insecure      do not verify the server's certificate\n"
        "  --qlog-dir D    write a qlog file per connection into D\n"
        "  --streams N     N requests in flight per connection; the URLs of a server are\n"
        "                  repeated in turn until N requests are made (default: all\n"
        "                  URLs at once, each once)\n"
        "  --timeout S     give up on a silent server after S seconds (default 10)\n"
        "  --version V     speak only QUIC version V: v1 or v2 (default: start in v1,\n"
        "                  move to v2 when the server prefers it)\n"
        "  --ciphers LIST  TLS cipher suites: aes128gcm, aes256gcm, chacha20\n"
        "                  (comma-separated, by preference; default all three)\n"
        "  --key-update N  start a key update every N packets sent\n"
        "  --session-file F  resume the session saved in F if it exists; save the\n"
        "                  server's latest session ticket there at the end (one server)\n"
        "  --0rtt          with a saved session, send the requests in 0-RTT\n"
        "  --migrate       move to a new local port once response bytes flow\n"
        "  --plugin FILE   load a plugin bundle (.pqp) into every connection "
        "(repeatable)\n" APP_MONITOR_USAGE
        "  --quiet         no progress bar (drawn only on a terminal anyway)\n"
        "  -v, --verbose   library log on stderr (twice: debug)\n"
        "  -h, --help      this help\n",
        f);
}

static int parse(int argc, char **argv, client_opts *o) {
  static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                       {"discard", no_argument, NULL, 'd'},
                                       {"ca", required_argument, NULL, 'c'},
                                       {"insecure", no_argument, NULL, 'k'},
                                       {"streams", required_argument, NULL, 's'},
                                       {"timeout", required_argument, NULL, 't'},
                                       {"quiet", no_argument, NULL, 'Q'},
                                       {"session-file", required_argument, NULL, 'S'},
                                       {"0rtt", no_argument, NULL, '0'},
                                       {"migrate", no_argument, NULL, 'M'},
                                       APP_OPTS_LONG_OPTIONS,
                                       {NULL, 0, NULL, 0}};
  memset(o, 0, sizeof *o);
  o->shared.alpn = "h3";
  o->timeout_s = 10;
  int c, rc;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, APP_OPTS_SHORT, opts, NULL)) != -1) {
    switch (c) {
    case 'o':
      o->output = optarg;
      break;
    case 'd':
      o->discard = 1;
      break;
    case 'c':
      o->ca = optarg;
      break;
    case 'k':
      o->insecure = 1;
      break;
    case 's':
      if (parse_uint(optarg, 1, 1000000, &o->streams))
        return usage_fail("client", "bad --streams '%s': give 1 to 1000000", optarg);
      break;
    case 't':
      if (parse_uint(optarg, 1, 86400, &o->timeout_s))
        return usage_fail("client", "bad --timeout '%s': give 1 to 86400 seconds", optarg);
      break;
    case 'Q':
      o->quiet = 1;
      break;
    case 'S':
      o->session_file = optarg;
      break;
    case '0':
      o->zero_rtt = 1;
      break;
    case 'M':
      o->migrate = 1;
      break;
    default:
      rc = app_opts_option("client", &o->shared, c, argv, usage);
      if (rc)
        return rc;
      break;
    }
  }
  if (strcmp(o->shared.alpn, "h3") != 0 && strcmp(o->shared.alpn, "hq-interop") != 0)
    return usage_fail("client", "bad --alpn '%s': give h3 or hq-interop", o->shared.alpn);
  if (o->output && o->discard)
    return usage_fail("client", "--output and --discard exclude each other");
  if (o->ca && o->insecure)
    return usage_fail("client", "--ca and --insecure exclude each other");
  if (o->zero_rtt && !o->session_file)
    return usage_fail("client", "--0rtt needs --session-file");
  if (optind >= argc)
    return usage_fail("client", "no URL given");
  return app_monitor_check("client", &o->shared.monitor);
}

/* --- setup --- */

static int same_server(const url *a, const url *b) {
  return a->port == b->port && strcmp(a->host, b->host) == 0;
}

static int resolve(cconn *c) {
  char port[8];
  snprintf(port, sizeof port, "%u", (unsigned)c->u->port);
  struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_ADDRCONFIG};
  if (c->u->ipv6)
    hints.ai_flags |= AI_NUMERICHOST;
  struct addrinfo *ai = NULL;
  int gai = getaddrinfo(c->u->host, port, &hints, &ai);
  if (gai == EAI_NONAME || gai == EAI_NODATA || gai == EAI_ADDRFAMILY)
    return fail("cannot resolve host '%s': no such host", c->u->host);
  if (gai != 0)
    return fail("cannot resolve host '%s': %s", c->u->host,
                gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
  memset(&c->remote, 0, sizeof c->remote);
  memcpy(&c->remote, ai->ai_addr, ai->ai_addrlen);
  freeaddrinfo(ai);
  /* Name the address used in messages when the URL gave a name. */
  char addr[80];
  pq_io_addr_format((const struct sockaddr *)&c->remote, addr, sizeof addr);
  if (strcmp(addr, c->where) != 0 && !c->u->ipv6)
    snprintf(c->where, sizeof c->where, "%.180s:%u (%s)", c->u->host, (unsigned)c->u->port, addr);
  return 0;
}

static int open_socket(cconn *c) {
  struct sockaddr_storage any;
  memset(&any, 0, sizeof any);
  any.ss_family = c->remote.ss_family;
  pq_udp_opts uo = {.rcvbuf = 4 << 20, .sndbuf = 4 << 20, .tx_slots = 32};
  if (pq_udp_open(&c->sock, (struct sockaddr *)&any, &uo) != 0)
    return fail("cannot open a UDP socket: %s", strerror(errno));
  if (pq_udp_connect(&c->sock, (struct sockaddr *)&c->remote) != 0)
    return fail("server %s unreachable: %s", c->where, strerror(errno));
  return 0;
}

/* Requests of one connection: its URLs, repeated in turn up to --streams,
 * each with a unique output file name. */
static int plan_requests(client *cl, cconn *c, const size_t *idx, size_t n) {
  size_t total = n;
  if (cl->o.streams > total)
    total = (size_t)cl->o.streams;
  c->reqs = pq_calloc(total, sizeof *c->reqs);
  if (!c->reqs)
    return fail("out of memory");
  c->n_reqs = total;
  for (size_t i = 0; i < total; i++) {
    request *r = &c->reqs[i];
    r->u = &cl->urls[idx[i % n]];
    r->fd = -1;
    r->content_length = -1;
    r->sid = -1;
  }
  return 0;
}

static int name_outputs(client *cl) {
  if (!cl->o.output)
    return 0;
  for (size_t k = 0; k < cl->n_conns; k++) {
    for (size_t i = 0; i < cl->conns[k].n_reqs; i++) {
      request *r = &cl->conns[k].reqs[i];
      char base[256];
      output_name(r->u->path, base, sizeof base);
      snprintf(r->name, sizeof r->name, "%s", base);
      /* Repeats: name.1, name.2... (quadratic, but only over this run's files). */
      for (unsigned dup = 1;; dup++) {
        int clash = 0;
        for (size_t kk = 0; kk <= k && !clash; kk++)
          for (size_t j = 0; j < (kk == k ? i : cl->conns[kk].n_reqs) && !clash; j++)
            clash = strcmp(cl->conns[kk].reqs[j].name, r->name) == 0;
        if (!clash)
          break;
        snprintf(r->name, sizeof r->name, "%s.%u", base, dup);
      }
    }
  }
  return 0;
}

static int group(client *cl) {
  cl->conns = pq_calloc(cl->n_urls, sizeof *cl->conns);
  size_t *idx = pq_calloc(cl->n_urls, sizeof *idx);
  int *taken = pq_calloc(cl->n_urls, sizeof *taken);
  int rc = 0;
  if (!cl->conns || !idx || !taken) {
    pq_free(idx);
    pq_free(taken);
    return fail("out of memory");
  }
  for (size_t i = 0; rc == 0 && i < cl->n_urls; i++) {
    if (taken[i])
      continue;
    size_t n = 0;
    for (size_t j = i; j < cl->n_urls; j++)
      if (!taken[j] && same_server(&cl->urls[i], &cl->urls[j])) {
        taken[j] = 1;
        idx[n++] = j;
      }
    cconn *c = &cl->conns[cl->n_conns++];
    c->cl = cl;
    c->u = &cl->urls[i];
    c->sock.fd = -1;
    c->msock.fd = -1;
    pq_u64map_init(&c->byid, (uint64_t)(uintptr_t)c * UINT64_C(0x9E3779B97F4A7C15));
    snprintf(c->where, sizeof c->where, c->u->ipv6 ? "[%s]:%u" : "%s:%u", c->u->host,
             (unsigned)c->u->port);
    rc = plan_requests(cl, c, idx, n);
  }
  pq_free(idx);
  pq_free(taken);
  return rc;
}

/* --- callbacks --- */

static void on_stream_data(pquic_cnx *cnx, uint64_t sid, void *user) {
  (void)user;
  cconn *c = pquic_cnx_get_user(cnx);
  if (c)
    cconn_on_data(c, (int64_t)sid);
}

static void on_event(pquic_cnx *cnx, const pquic_event *ev, void *user) {
  (void)user;
  cconn *c = pquic_cnx_get_user(cnx);
  if (!c)
    return;
  switch (ev->type) {
  case PQUIC_EVENT_HANDSHAKE_DONE:
    cconn_handshake_done(c);
    break;
  case PQUIC_EVENT_CLOSING:
    cconn_closing(c, ev);
    break;
  case PQUIC_EVENT_CLOSED:
    cconn_closed(c, ev);
    break;
  case PQUIC_EVENT_STREAM_RESET:
    cconn_stream_reset(c, (int64_t)ev->stream_id, ev->wire_error);
    break;
  case PQUIC_EVENT_STREAM_STOP:
    pquic_stream_reset(cnx, ev->stream_id, ev->wire_error);
    break;
  case PQUIC_EVENT_STREAM_WRITABLE:
    cconn_writable(c, (int64_t)ev->stream_id);
    break;
  default:
    if (!app_endpoint_event(ev, &c->closed, &c->dirty))
      c->dirty = 1;
    break;
  }
}

static void on_datagrams(void *user, pq_udp *u, const pq_datagram *d, size_t n, uint64_t now) {
  (void)u;
  app_endpoint_input(((client *)user)->ep, d, n, now);
}

static void on_error(void *user, pq_udp *u, int err) {
  client *cl = user;
  for (size_t i = 0; i < cl->n_conns; i++) {
    cconn *c = &cl->conns[i];
    if (&c->sock == u || &c->msock == u)
      cconn_abort(c, "server %s unreachable: %s", c->where, strerror(err));
    /* The server's other address does not answer: path validation fails
     * and the connection stays on the path it has. */
    if (cconn_is_route(c, u) && cl->o.shared.verbose) {
      char where[80];
      pq_io_addr_format((const struct sockaddr *)&u->peer, where, sizeof where);
      fprintf(stderr, "pquic: %s: other server address %s unreachable: %s\n", c->where, where,
              strerror(err));
    }
  }
}

static void draw_progress(client *cl, uint64_t now, int last) {
  uint64_t bytes = 0, total = 0;
  unsigned done = 0, count = 0;
  int total_known = 1;
  for (size_t k = 0; k < cl->n_conns; k++)
    for (size_t i = 0; i < cl->conns[k].n_reqs; i++) {
      const request *r = &cl->conns[k].reqs[i];
      bytes += r->bytes;
      count++;
      done += r->state == REQ_DONE || r->state == REQ_FAILED;
      if (r->content_length >= 0)
        total += (uint64_t)r->content_length;
      else
        total_known = 0;
    }
  struct winsize ws;
  size_t width = ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10 ? ws.ws_col : 80;
  char line[512];
  if (width >= sizeof line)
    width = sizeof line - 1;
  progress_format(line, width, bytes, total_known ? total : 0, (double)(now - cl->start_us) / 1e6,
                  done, count);
  fprintf(stderr, "\r%s\033[K", line);
  if (last)
    fputs("\r\033[K", stderr);
  fflush(stderr);
}

static void on_service(void *user, uint64_t now) {
  client *cl = user;
  for (size_t i = 0; i < cl->n_conns; i++) {
    cconn *c = &cl->conns[i];
    /* Our own handshake deadline: a silent server must not hang us for the
     * idle timeout. */
    if (!c->handshake_done && !c->finished && now >= c->start_us + cl->o.timeout_s * 1000000u)
      cconn_abort(c, "server %s unreachable: no QUIC answer within %llu s", c->where,
                  (unsigned long long)cl->o.timeout_s);
    if (cl->o.migrate)
      cconn_maybe_migrate(c, now);
    if (cl->o.session_file)
      cconn_capture_session(c);
    if (c->dirty || (c->started && !c->finished))
      cconn_service(c, now);
  }
  /* Output also runs timers, which may end connections: check after it. */
  pump_output(cl->ep, now, &cl->socks);
  int all = 1;
  for (size_t i = 0; i < cl->n_conns; i++)
    all &= cl->conns[i].finished;
  /* --monitor: the final report goes out when the connection is closed. */
  for (size_t i = 0; i < cl->n_conns && cl->o.shared.monitor.target; i++)
    all &= cl->conns[i].cnx == NULL;
  if (cl->progress && (now >= cl->next_progress || all)) {
    draw_progress(cl, now, all);
    cl->next_progress = now + PROGRESS_INTERVAL_US;
  }
  if (all)
    pq_loop_stop(cl->loop);
}

static uint64_t next_wake(void *user) {
  client *cl = user;
  uint64_t w = pquic_endpoint_next_wake(cl->ep);
  if (cl->progress && cl->next_progress < w)
    w = cl->next_progress;
  for (size_t i = 0; i < cl->n_conns; i++) {
    const cconn *c = &cl->conns[i];
    uint64_t deadline = c->start_us + cl->o.timeout_s * 1000000u;
    if (!c->handshake_done && !c->finished && deadline < w)
      w = deadline;
  }
  return w;
}

/* --- run --- */

/* Connects c, resuming the session of --session-file when there is one
 * (and starting the requests at once with --0rtt). */
static int connect_one(client *cl, cconn *c, uint64_t now) {
  uint8_t *blob = NULL;
  size_t len = 0;
  if (cl->o.session_file && session_load(cl->o.session_file, &blob, &len))
    return EXIT_FAIL;
  int rc;
  if (blob) {
    rc = pquic_connect_session(cl->ep, (const struct sockaddr *)&c->sock.local,
                               (const struct sockaddr *)&c->remote, c->u->host, blob, len, now,
                               &c->cnx);
    pq_free(blob);
    if (rc == PQUIC_ERR_INVAL) {
      /* A damaged or foreign file only costs the resumption. */
      fprintf(stderr, "pquic: ignoring --session-file '%s': not a usable session\n",
              cl->o.session_file);
      blob = NULL;
    }
  }
  if (!blob)
    rc = pquic_connect(cl->ep, (const struct sockaddr *)&c->sock.local,
                       (const struct sockaddr *)&c->remote, c->u->host, now, &c->cnx);
  if (rc)
    return fail("cannot connect to %s: %s", c->where, pquic_strerror(rc));
  pquic_cnx_set_user(c->cnx, c);
  app_monitor_configure(&cl->o.shared.monitor, c->cnx);
  if (blob && cl->o.zero_rtt)
    cconn_start_early(c);
  return 0;
}

static int start(client *cl) {
  pquic_config cfg;
  pquic_config_init(&cfg);
  app_opts_configure(&cl->o.shared, &cfg);
  cfg.ca_file = cl->o.ca;
  cfg.insecure = cl->o.insecure;
  cfg.settings.handshake_timeout_us = cl->o.timeout_s * 1000000u;
  cfg.settings.enable_0rtt = cl->o.zero_rtt;
  cfg.callbacks.on_stream_data = on_stream_data;
  cfg.callbacks.on_event = on_event;
  cfg.user = cl;
  int rc = pquic_endpoint_new(&cfg, &cl->ep);
  if (rc == PQUIC_ERR_CERTIFICATE)
    return fail("bad --ca file '%s': %s", cl->o.ca ? cl->o.ca : "(system)", pquic_strerror(rc));
  if (rc)
    return fail("cannot start the client: %s", pquic_strerror(rc));
  if (app_opts_load_plugins(cl->ep, &cl->o.shared))
    return EXIT_FAIL;
  const pq_loop_cbs cbs = {on_datagrams, on_service, next_wake, on_error};
  if (pq_loop_new(&cl->loop, &cbs, cl))
    return fail("cannot start the event loop: %s", strerror(errno));
  /* One socket per connection, one more each for --migrate, and its route
   * sockets. */
  cl->socks.cap = cl->n_conns * ((cl->o.migrate ? 2 : 1) + CCONN_MAX_ROUTES);
  cl->socks.v = pq_calloc(cl->socks.cap, sizeof(pq_udp *));
  if (!cl->socks.v)
    return fail("out of memory");
  cl->socks.route_miss = client_route_miss;
  cl->socks.user = cl;
  uint64_t now = pq_now_us();
  cl->start_us = now;
  for (size_t i = 0; i < cl->n_conns; i++) {
    cconn *c = &cl->conns[i];
    if (open_socket(c))
      return EXIT_FAIL;
    sockset_add(&cl->socks, &c->sock);
    if (pq_loop_add_udp(cl->loop, &c->sock))
      return fail("too many servers for one run (at most %d)", PQ_LOOP_MAX_SOURCES);
    c->start_us = now;
    if (connect_one(cl, c, now))
      return EXIT_FAIL;
  }
  if (pq_loop_run(cl->loop))
    return fail("event loop failed: %s", strerror(errno));
  return 0;
}

/* Summary lines, then one error line per failure; the exit status. */
static int report(client *cl) {
  FILE *out = cl->o.output || cl->o.discard ? stdout : stderr;
  int status = 0;
  for (size_t k = 0; k < cl->n_conns; k++) {
    cconn *c = &cl->conns[k];
    summary s = {0};
    for (size_t i = 0; i < c->n_reqs; i++)
      s.bytes += c->reqs[i].bytes;
    uint64_t end = c->end_us ? c->end_us : pq_now_us();
    s.seconds = (double)(end - c->start_us) / 1e6;
    s.rtt_min_us = c->stats.rtt_min_us;
    s.rtt_us = c->stats.rtt_smoothed_us;
    s.lost = c->stats.packets_lost;
    s.version = c->version;
    s.cipher = c->cipher;
    s.resumed = c->stats.resumed;
    s.early_data = c->stats.early_data;
    s.key_updates = c->stats.key_updates;
    s.migrations = c->stats.migrations;
    s.retry = c->stats.retry;
    char line[512];
    summary_format(line, sizeof line, &s);
    fprintf(out, "%s\n", line);
  }
  fflush(out);
  for (size_t k = 0; k < cl->n_conns; k++) {
    cconn *c = &cl->conns[k];
    if (c->err[0]) {
      fail("%s", c->err);
      status = EXIT_FAIL;
    }
    if (cl->o.session_file && session_save(c, cl->o.session_file))
      status = EXIT_FAIL;
    if (cl->o.migrate && c->migrated != 1 && !c->err[0])
      fail("%s: did not migrate: %s", c->where,
           c->migrate_rc ? pquic_strerror(c->migrate_rc) : "the transfer ended first");
    for (size_t i = 0; i < c->n_reqs; i++) {
      const request *r = &c->reqs[i];
      if (r->state == REQ_DONE)
        continue;
      status = EXIT_FAIL;
      if (r->err[0])
        fail("%s", r->err);
    }
  }
  return status;
}

int cmd_client(int argc, char **argv) {
  client cl;
  memset(&cl, 0, sizeof cl);
  int rc = parse(argc, argv, &cl.o);
  if (rc)
    return rc < 0 ? 0 : rc;
  if ((cl.o.ca && check_readable("--ca file", cl.o.ca)) ||
      (cl.o.shared.qlog && prepare_dir("--qlog-dir", cl.o.shared.qlog)) ||
      (cl.o.output && prepare_dir("--output", cl.o.output)))
    return EXIT_FAIL;
  cl.n_urls = (size_t)(argc - optind);
  cl.urls = pq_calloc(cl.n_urls, sizeof *cl.urls);
  if (!cl.urls)
    return fail("out of memory");
  for (size_t i = 0; i < cl.n_urls; i++) {
    char err[256];
    if (url_parse(argv[optind + (int)i], &cl.urls[i], err, sizeof err)) {
      pq_free(cl.urls);
      return usage_fail("client", "%s", err);
    }
  }
  rc = group(&cl);
  size_t total = 0;
  for (size_t i = 0; i < cl.n_conns; i++)
    total += cl.conns[i].n_reqs;
  if (rc == 0 && !cl.o.output && !cl.o.discard && total > 1)
    rc = usage_fail("client",
                    "%zu downloads would mix on standard output: use --output DIR "
                    "or --discard",
                    total);
  if (rc == 0 && cl.o.session_file && cl.n_conns > 1)
    rc = usage_fail("client", "--session-file holds the session of one server; the URLs name %zu",
                    cl.n_conns);
  if (rc == 0 && cl.n_conns * (cl.o.migrate ? 2 : 1) > PQ_LOOP_MAX_SOURCES)
    rc = fail("too many servers for one run (at most %d)",
              PQ_LOOP_MAX_SOURCES / (cl.o.migrate ? 2 : 1));
  for (size_t i = 0; rc == 0 && i < cl.n_conns; i++)
    rc = resolve(&cl.conns[i]);
  if (rc == 0)
    rc = name_outputs(&cl);
  app_opts_start_log(&cl.o.shared);
  cl.progress = !cl.o.quiet && isatty(2) && !cl.o.shared.verbose;
  if (rc == 0)
    rc = start(&cl);
  if (rc == 0)
    rc = report(&cl);
  pq_loop_free(cl.loop);
  pquic_endpoint_free(cl.ep);
  app_monitor_stop(&cl.o.shared.monitor);
  for (size_t i = 0; i < cl.n_conns; i++)
    cconn_free(&cl.conns[i]);
  pq_free(cl.conns);
  pq_free(cl.socks.v);
  pq_free(cl.urls);
  return rc;
}
