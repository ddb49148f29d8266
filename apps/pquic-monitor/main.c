/* pquic-monitor: collects the reports of org.pquic.monitoring that pquic
 * server|client --monitor send over UDP, prints them and serves their
 * aggregate to Prometheus. */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor.h"

#define DEFAULT_MAX_CONNECTIONS 4096

static void usage(FILE *f) {
  fputs("usage: pquic-monitor --listen ADDR:PORT [--json] [--prometheus ADDR:PORT]\n"
        "\n"
        "Receives the connection reports that `pquic server|client --monitor ADDR:PORT`\n"
        "send (plugin org.pquic.monitoring), prints one line per report on standard\n"
        "output and, with --prometheus, serves their aggregate at /metrics. Datagrams\n"
        "that are not valid reports are dropped and counted. Runs until SIGINT or\n"
        "SIGTERM; the listening addresses are printed on standard error at start.\n"
        "\n"
        "  --listen A:P           UDP address for reports (port 0: any; [::1]:P for IPv6)\n"
        "  --json                 one JSON object per report instead of a table\n"
        "  --prometheus A:P       serve GET /metrics over HTTP/1.1 at this TCP address\n"
        "  --max-connections N    connections remembered for the aggregate (default 4096)\n"
        "  -h, --help             this help\n",
        f);
}

static int usage_error(const char *fmt, const char *arg) __attribute__((format(printf, 1, 0)));
static int usage_error(const char *fmt, const char *arg) {
  fputs("pquic-monitor: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs(" (see 'pquic-monitor --help')\n", stderr);
  return 2;
}

/* Splits "host:port" or "[v6]:port" into its parts (in buf). */
static int split_addr(const char *s, char *buf, size_t cap, const char **host, const char **port) {
  if (strlen(s) >= cap)
    return -1;
  strcpy(buf, s);
  char *colon;
  if (buf[0] == '[') {
    char *end = strchr(buf, ']');
    if (!end || end[1] != ':')
      return -1;
    *end = '\0';
    *host = buf + 1;
    colon = end + 1;
  } else {
    colon = strrchr(buf, ':');
    if (!colon)
      return -1;
    *colon = '\0';
    *host = buf;
  }
  *port = colon + 1;
  if (!**host || !**port || strspn(*port, "0123456789") != strlen(*port) || strlen(*port) > 5 ||
      strtoul(*port, NULL, 10) > 65535)
    return -1;
  return 0;
}

/* A bound socket of `type` at addr; -1 after printing why. */
static int open_bound(const char *what, const char *addr, int type) {
  char buf[300];
  const char *host, *port;
  if (split_addr(addr, buf, sizeof buf, &host, &port)) {
    fprintf(stderr, "pquic-monitor: bad %s address '%s': give ADDR:PORT\n", what, addr);
    return -1;
  }
  struct addrinfo hints = {.ai_socktype = type, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *ai = NULL;
  int gai = getaddrinfo(host, port, &hints, &ai);
  if (gai) {
    fprintf(stderr, "pquic-monitor: cannot resolve %s address '%s': %s\n", what, addr,
            gai_strerror(gai));
    return -1;
  }
  int fd = socket(ai->ai_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd >= 0 && type == SOCK_STREAM)
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd >= 0 && type == SOCK_DGRAM) {
    int rcvbuf = 4 << 20; /* bursts of reports from many connections */
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
      (type == SOCK_STREAM && listen(fd, 16) != 0)) {
    fprintf(stderr, "pquic-monitor: cannot listen for %s on %s: %s\n", what, addr, strerror(errno));
    if (fd >= 0)
      close(fd);
    freeaddrinfo(ai);
    return -1;
  }
  freeaddrinfo(ai);
  return fd;
}

static void print_bound(int fd, const char *fmt) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  char where[80] = "?";
  if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
    pqm_addr_format(&ss, len, where, sizeof where);
  fprintf(stderr, fmt, where);
}

static int watch_signals(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
    return -1;
  return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void summary(const pqm_monitor *m) {
  uint64_t reports = 0, dropped = 0;
  for (int r = 0; r < PQM_ROLES; r++)
    for (int k = 0; k <= MON_KIND_MAX; k++)
      reports += m->agg.reports[r][k];
  for (int d = 1; d < PQM_DROP_COUNT; d++)
    dropped += m->agg.dropped[d];
  fprintf(stderr, "pquic-monitor: %llu datagrams, %llu reports, %llu dropped (",
          (unsigned long long)m->agg.datagrams, (unsigned long long)reports,
          (unsigned long long)dropped);
  for (int d = 1; d < PQM_DROP_COUNT; d++)
    fprintf(stderr, "%s%s=%llu", d > 1 ? " " : "", pqm_drop_name((pqm_drop)d),
            (unsigned long long)m->agg.dropped[d]);
  fprintf(stderr, "), %llu metrics requests\n", (unsigned long long)m->http_requests);
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"prometheus", required_argument, NULL, 'p'},
                                       {"max-connections", required_argument, NULL, 'm'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *listen_addr = NULL, *prom_addr = NULL;
  unsigned long max_conns = DEFAULT_MAX_CONNECTIONS;
  int json = 0, c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch (c) {
    case 'l':
      listen_addr = optarg;
      break;
    case 'j':
      json = 1;
      break;
    case 'p':
      prom_addr = optarg;
      break;
    case 'm': {
      char *end;
      errno = 0;
      max_conns = strtoul(optarg, &end, 10);
      if (errno || *end || optarg[0] == '-' || max_conns < 1 || max_conns > 1000000)
        return usage_error("bad --max-connections '%s': give 1 to 1000000", optarg);
      break;
    }
    case 'h':
      usage(stdout);
      return 0;
    case ':':
      return usage_error("option '%s' needs a value", argv[optind - 1]);
    default:
      return usage_error("unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc)
    return usage_error("unexpected argument '%s'", argv[optind]);
  if (!listen_addr)
    return usage_error("%s is required", "--listen ADDR:PORT");

  static pqm_monitor m; /* large (client buffers): not on the stack */
  m.json = json;
  m.udp_fd = m.http_fd = m.sig_fd = -1;
  for (int i = 0; i < PQM_HTTP_CLIENTS; i++)
    m.clients[i].fd = -1;
  if (pqm_agg_init(&m.agg, max_conns)) {
    fputs("pquic-monitor: out of memory\n", stderr);
    return 1;
  }
  int rc = 1;
  m.udp_fd = open_bound("reports", listen_addr, SOCK_DGRAM);
  if (m.udp_fd < 0)
    goto out;
  if (prom_addr && (m.http_fd = open_bound("metrics", prom_addr, SOCK_STREAM)) < 0)
    goto out;
  m.sig_fd = watch_signals();
  if (m.sig_fd < 0) {
    fprintf(stderr, "pquic-monitor: cannot watch signals: %s\n", strerror(errno));
    goto out;
  }
  setvbuf(stdout, NULL, _IOLBF, 0); /* one report, one line, at once */
  print_bound(m.udp_fd, "pquic-monitor: listening for reports on udp %s\n");
  if (m.http_fd >= 0)
    print_bound(m.http_fd, "pquic-monitor: metrics on http://%s/metrics\n");
  fflush(stderr);
  rc = pqm_loop_run(&m);
  summary(&m);
out:
  for (int i = 0; i < PQM_HTTP_CLIENTS; i++)
    if (m.clients[i].fd >= 0) {
      close(m.clients[i].fd);
      free(m.clients[i].out);
    }
  if (m.udp_fd >= 0)
    close(m.udp_fd);
  if (m.http_fd >= 0)
    close(m.http_fd);
  if (m.sig_fd >= 0)
    close(m.sig_fd);
  pqm_agg_free(&m.agg);
  return rc;
}
