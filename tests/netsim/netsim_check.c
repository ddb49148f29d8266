/*
 * Checks pquic-netsim on loopback. Starts pquic-netsim (--realtime) in front
 * of its own UDP echo/sink socket, measures through it, stops it with
 * SIGTERM and compares what it measured (and netsim's statistics) with what
 * was configured.
 *
 *   netsim_check --netsim PATH rtt WANT_MS LINKOPTS   min and median RTT within
 *                                                     +-1 ms of WANT_MS
 *   netsim_check --netsim PATH rate MBIT              received rate within +-5 %
 *   netsim_check --netsim PATH loss PERCENT           loss within +-0.5 % absolute
 *                                                     over 10,000 datagrams
 *   netsim_check --netsim PATH flows                  two clients on one link each
 *                                                     get their own replies only
 *   netsim_check --netsim PATH paths                  two links are two paths with
 *                                                     their own delay
 *
 * Exit 0 when every bound holds, 1 otherwise (each figure printed).
 * Loopback only; every port is chosen by the kernel.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEED "7"

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "netsim_check: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* A non-blocking UDP socket on 127.0.0.1, kernel-chosen port. */
static int udp_socket(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    die("socket");
  int size = 8 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0)
    die("bind");
  *port = ntohs(a.sin_port);
  return fd;
}

static void connect_port(int fd, uint16_t port) {
  struct sockaddr_in a = {
      .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(port)};
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
    die("connect");
}

/* --- the netsim child --- */

typedef struct child {
  pid_t pid;
  int out; /* its stdout */
  char buf[16384];
  size_t len;
} child;

/* Reads what the child printed until `marker` appears or timeout_ms passes;
 * returns 0 when it appeared. */
static int read_until(child *c, const char *marker, int timeout_ms) {
  uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;
  for (;;) {
    c->buf[c->len] = '\0';
    if (strstr(c->buf, marker))
      return 0;
    uint64_t now = now_ns();
    if (now >= end || c->len + 1 >= sizeof c->buf)
      return -1;
    struct pollfd p = {.fd = c->out, .events = POLLIN};
    if (poll(&p, 1, (int)((end - now) / 1000000ull) + 1) <= 0)
      continue;
    ssize_t r = read(c->out, c->buf + c->len, sizeof c->buf - 1 - c->len);
    if (r <= 0)
      return -1;
    c->len += (size_t)r;
  }
}

/* Starts netsim with one link per entry of opts, each in front of port
 * `target`; fills ports[] with the listen ports it printed. */
static void start_links(child *c, const char *path, uint16_t target, size_t n,
                        const char *const *opts, uint16_t *ports) {
  char link[4][512];
  char *argv[16];
  size_t a = 0;
  argv[a++] = (char *)path;
  argv[a++] = "--realtime";
  for (size_t i = 0; i < n && i < 4; i++) {
    snprintf(link[i], sizeof link[i], "127.0.0.1:0=127.0.0.1:%u,%s,seed=" SEED, target, opts[i]);
    argv[a++] = "--link";
    argv[a++] = link[i];
    printf("netsim_check: --link %s\n", link[i]);
  }
  argv[a] = NULL;
  fflush(stdout);
  int p[2];
  if (pipe(p) != 0)
    die("pipe");
  c->pid = fork();
  if (c->pid < 0)
    die("fork");
  if (c->pid == 0) {
    dup2(p[1], 1);
    close(p[0]);
    close(p[1]);
    execv(path, argv);
    _exit(127);
  }
  close(p[1]);
  c->out = p[0];
  c->len = 0;
  if (read_until(c, "netsim: ready", 5000) != 0) {
    fprintf(stderr, "netsim_check: netsim did not start; it printed:\n%s\n", c->buf);
    exit(1);
  }
  for (size_t i = 0; i < n; i++) {
    char tag[64];
    snprintf(tag, sizeof tag, "link %zu listen 127.0.0.1:", i);
    const char *l = strstr(c->buf, tag);
    if (!l) {
      fprintf(stderr, "netsim_check: no listen address for link %zu in:\n%s\n", i, c->buf);
      exit(1);
    }
    ports[i] = (uint16_t)strtoul(l + strlen(tag), NULL, 10);
  }
}

static uint16_t start_netsim(child *c, const char *path, uint16_t target, const char *opts) {
  uint16_t port;
  start_links(c, path, target, 1, &opts, &port);
  return port;
}

/* Stops netsim and keeps its statistics in c->buf. */
static void stop_netsim(child *c) {
  kill(c->pid, SIGTERM);
  (void)read_until(c, "netsim: loop", 5000);
  int st;
  waitpid(c->pid, &st, 0);
  close(c->out);
  const char *s = strstr(c->buf, "netsim: stats");
  printf("%s", s ? s : "netsim_check: netsim printed no statistics\n");
}

/* A counter from netsim's "stats link=0 dir=DIR ..." line; -1 if absent. */
static double stat_of(const child *c, const char *dir, const char *key) {
  char tag[32], k[64];
  snprintf(tag, sizeof tag, "dir=%s ", dir);
  const char *line = strstr(c->buf, tag);
  if (!line)
    return -1;
  snprintf(k, sizeof k, " %s=", key);
  const char *eol = strchr(line, '\n');
  const char *v = strstr(line, k);
  if (!v || (eol && v > eol))
    return -1;
  return strtod(v + strlen(k), NULL);
}

/* --- measurements --- */

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Echoes everything waiting on `fd` back to its sender. */
static void echo_all(int fd) {
  uint8_t buf[2048];
  struct sockaddr_storage from;
  for (;;) {
    socklen_t fl = sizeof from;
    ssize_t r = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    if (r < 0)
      return;
    (void)sendto(fd, buf, (size_t)r, 0, (struct sockaddr *)&from, fl);
  }
}

/* Sends `count` probes, one every interval_us, on each socket of cli[]
 * (each connected to its own path), echoes them at `echo`, and records each
 * path's RTTs (sorted) in rtt[path][...]; got[path] counts them. A probe
 * that comes back on another path's socket is counted in *crossed. */
enum { MAX_PROBES = 400 };
static void probe(int echo, const int *cli, size_t n, size_t count, unsigned interval_us,
                  uint64_t drain_ns, uint64_t rtt[][MAX_PROBES], size_t *got, size_t *crossed) {
  size_t sent = 0;
  uint64_t start = now_ns();
  uint64_t end = start + (uint64_t)count * interval_us * 1000ull + drain_ns;
  for (size_t i = 0; i < n; i++)
    got[i] = 0;
  *crossed = 0;
  while (now_ns() < end) {
    uint64_t now = now_ns();
    if (sent < count && now >= start + (uint64_t)sent * interval_us * 1000ull) {
      for (size_t i = 0; i < n; i++) {
        uint64_t msg[3] = {i, sent, now_ns()};
        (void)send(cli[i], msg, sizeof msg, 0);
      }
      sent++;
    }
    struct pollfd p[5];
    p[0].fd = echo;
    p[0].events = POLLIN;
    for (size_t i = 0; i < n; i++) {
      p[i + 1].fd = cli[i];
      p[i + 1].events = POLLIN;
    }
    if (poll(p, (nfds_t)n + 1, 1) <= 0)
      continue;
    if (p[0].revents & POLLIN)
      echo_all(echo);
    for (size_t i = 0; i < n; i++) {
      uint64_t msg[3];
      while (recv(cli[i], msg, sizeof msg, 0) == (ssize_t)sizeof msg) {
        if (msg[0] != i)
          (*crossed)++;
        else if (got[i] < MAX_PROBES)
          rtt[i][got[i]++] = now_ns() - msg[2];
      }
    }
  }
  for (size_t i = 0; i < n; i++)
    qsort(rtt[i], got[i], sizeof rtt[i][0], cmp_u64);
}

/* Prints one path's RTT figures; 1 if min and median are within 1 ms of
 * want_ms and at least 90 % of `count` probes came back. */
static int report_rtt(const char *what, const uint64_t *rtt, size_t got, size_t count,
                      double want_ms) {
  if (got < count * 9 / 10) {
    printf("netsim_check: %s FAIL: only %zu of %zu probes came back\n", what, got, count);
    return 0;
  }
  size_t mid = got / 2, i99 = got * 99 / 100;
  double min = (double)rtt[0] / 1e6, med = (double)rtt[mid] / 1e6;
  double p99 = (double)rtt[i99] / 1e6, max = (double)rtt[got - 1] / 1e6;
  int ok = fabs(min - want_ms) <= 1.0 && fabs(med - want_ms) <= 1.0;
  printf("netsim_check: %s configured=%.3fms probes=%zu min=%.3fms median=%.3fms "
         "p99=%.3fms max=%.3fms bound=+-1ms %s\n",
         what, want_ms, got, min, med, p99, max, ok ? "PASS" : "FAIL");
  return ok;
}

static int check_rtt(const char *netsim, double want_ms, const char *opts) {
  enum { COUNT = 200, INTERVAL_US = 5000 };
  uint16_t eport, cport;
  int echo = udp_socket(&eport), cli = udp_socket(&cport);
  child c;
  uint16_t nport = start_netsim(&c, netsim, eport, opts);
  connect_port(cli, nport);
  static uint64_t rtt[1][MAX_PROBES];
  size_t got, crossed;
  probe(echo, &cli, 1, COUNT, INTERVAL_US, (uint64_t)(2 * want_ms * 1e6) + 200000000ull, rtt, &got,
        &crossed);
  stop_netsim(&c);
  close(echo);
  close(cli);
  return !report_rtt("rtt", rtt[0], got, COUNT, want_ms);
}

/* Two links to one echo server: each path keeps its own delay and its
 * replies come back on it only; the server sees two netsim addresses. */
static int check_paths(const char *netsim) {
  enum { COUNT = 100, INTERVAL_US = 5000 };
  uint16_t eport, p0, p1, ports[2];
  int echo = udp_socket(&eport);
  int cli[2] = {udp_socket(&p0), udp_socket(&p1)};
  const char *opts[2] = {"delay=5ms", "delay=10ms,up.delay=20ms"};
  child c;
  start_links(&c, netsim, eport, 2, opts, ports);
  connect_port(cli[0], ports[0]);
  connect_port(cli[1], ports[1]);
  static uint64_t rtt[2][MAX_PROBES];
  size_t got[2], crossed;
  probe(echo, cli, 2, COUNT, INTERVAL_US, 300000000ull, rtt, got, &crossed);
  stop_netsim(&c);
  int ok = report_rtt("path0", rtt[0], got[0], COUNT, 10.0);
  ok &= report_rtt("path1 (up 20ms, down 10ms)", rtt[1], got[1], COUNT, 30.0);
  double d0 = stat_of(&c, "down", "tx_pkts");
  printf("netsim_check: paths crossed=%zu %s\n", crossed, crossed == 0 ? "PASS" : "FAIL");
  ok &= crossed == 0 && d0 > 0;
  close(echo);
  close(cli[0]);
  close(cli[1]);
  return !ok;
}

/* Two clients on one link: each gets exactly its own echoes back, and the
 * echo server sees two distinct netsim addresses, never a client's. */
static int check_flows(const char *netsim) {
  enum { COUNT = 50 };
  uint16_t eport, pa, pb;
  int echo = udp_socket(&eport);
  int cli[2] = {udp_socket(&pa), udp_socket(&pb)};
  child c;
  uint16_t nport = start_netsim(&c, netsim, eport, "delay=2ms");
  connect_port(cli[0], nport);
  connect_port(cli[1], nport);
  size_t got[2] = {0, 0}, wrong = 0, seen = 0, from_client = 0;
  uint16_t sources[2] = {0, 0};
  uint64_t end = now_ns() + 1500000000ull;
  for (size_t k = 0; k < COUNT; k++)
    for (size_t i = 0; i < 2; i++) {
      uint64_t tag = i;
      (void)send(cli[i], &tag, sizeof tag, 0);
    }
  while (now_ns() < end && got[0] + got[1] < 2 * COUNT) {
    struct pollfd p[3] = {{.fd = echo, .events = POLLIN},
                          {.fd = cli[0], .events = POLLIN},
                          {.fd = cli[1], .events = POLLIN}};
    if (poll(p, 3, 10) <= 0)
      continue;
    uint8_t buf[64];
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t r;
    while ((r = recvfrom(echo, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl)) > 0) {
      uint16_t port = ntohs(from.sin_port);
      if (port == pa || port == pb)
        from_client++;
      if (port != sources[0] && port != sources[1] && seen < 2)
        sources[seen++] = port;
      (void)sendto(echo, buf, (size_t)r, 0, (struct sockaddr *)&from, fl);
      fl = sizeof from;
    }
    for (size_t i = 0; i < 2; i++) {
      uint64_t tag;
      while (recv(cli[i], &tag, sizeof tag, 0) == (ssize_t)sizeof tag) {
        if (tag == i)
          got[i]++;
        else
          wrong++;
      }
    }
  }
  stop_netsim(&c);
  const char *fl = strstr(c.buf, "netsim: flows link=0 opened=");
  int opened = fl ? (int)strtol(fl + strlen("netsim: flows link=0 opened="), NULL, 10) : -1;
  int ok = got[0] == COUNT && got[1] == COUNT && wrong == 0 && seen == 2 && from_client == 0 &&
           opened == 2;
  printf("netsim_check: flows client0=%zu client1=%zu wrong=%zu server_saw=%zu netsim_addresses "
         "client_addresses=%zu flows_opened=%d %s\n",
         got[0], got[1], wrong, seen, from_client, opened, ok ? "PASS" : "FAIL");
  close(echo);
  close(cli[0]);
  close(cli[1]);
  return !ok;
}

static int check_rate(const char *netsim, double mbit) {
  enum { SIZE = 1200 };
  const double seconds = 2.0, overload = 1.25;
  uint16_t sport, cport;
  int sink = udp_socket(&sport), cli = udp_socket(&cport);
  char opts[96];
  snprintf(opts, sizeof opts, "delay=5ms,rate=%gmbit,queue=64kb", mbit);
  child c;
  uint16_t nport = start_netsim(&c, netsim, sport, opts);
  connect_port(cli, nport);

  uint8_t buf[SIZE];
  memset(buf, 0xa5, sizeof buf);
  uint64_t sent = 0, bytes = 0, pkts = 0, first = 0, last = 0, first_len = 0;
  uint64_t start = now_ns();
  uint64_t send_end = start + (uint64_t)(seconds * 1e9);
  uint64_t end = send_end + 200000000ull;
  double bytes_per_ns = overload * mbit * 1e6 / 8 / 1e9;
  while (now_ns() < end) {
    uint64_t now = now_ns();
    if (now < send_end) {
      /* Keep the sender ahead of the link: everything owed by now. */
      uint64_t owed = (uint64_t)((double)(now - start) * bytes_per_ns);
      while (sent * SIZE < owed && send(cli, buf, SIZE, 0) == SIZE)
        sent++;
    }
    struct pollfd p = {.fd = sink, .events = POLLIN};
    if (poll(&p, 1, 1) <= 0)
      continue;
    ssize_t r;
    while ((r = recv(sink, buf, sizeof buf, 0)) > 0) {
      uint64_t t = now_ns();
      if (pkts == 0) {
        first = t;
        first_len = (uint64_t)r;
      }
      last = t;
      pkts++;
      bytes += (uint64_t)r;
    }
  }
  stop_netsim(&c);
  if (pkts < 100 || last <= first) {
    printf("netsim_check: rate FAIL: %llu datagrams received\n", (unsigned long long)pkts);
    return 1;
  }
  double got = (double)(bytes - first_len) * 8 / ((double)(last - first) / 1e9) / 1e6;
  double err = (got - mbit) / mbit * 100;
  double qdrops = stat_of(&c, "up", "drop_queue");
  int ok = fabs(err) <= 5.0 && qdrops > 0;
  printf("netsim_check: rate configured=%gmbit offered=%gmbit received=%.3fmbit "
         "error=%+.2f%% datagrams=%llu queue_drops=%.0f bound=+-5%% %s\n",
         mbit, mbit * overload, got, err, (unsigned long long)pkts, qdrops, ok ? "PASS" : "FAIL");
  if (qdrops <= 0)
    printf("netsim_check: the link was never saturated (no queue drops)\n");
  close(sink);
  close(cli);
  return !ok;
}

static int check_loss(const char *netsim, double pct) {
  enum { COUNT = 10000, SIZE = 200, PER_MS = 20 };
  uint16_t sport, cport;
  int sink = udp_socket(&sport), cli = udp_socket(&cport);
  char opts[64];
  snprintf(opts, sizeof opts, "delay=1ms,loss=%g%%", pct);
  child c;
  uint16_t nport = start_netsim(&c, netsim, sport, opts);
  connect_port(cli, nport);

  uint8_t buf[SIZE];
  memset(buf, 0x5a, sizeof buf);
  uint64_t sent = 0, got = 0;
  uint64_t start = now_ns();
  uint64_t end = start + (uint64_t)(COUNT / PER_MS) * 1000000ull + 300000000ull;
  while (now_ns() < end) {
    uint64_t ms = (now_ns() - start) / 1000000ull;
    while (sent < COUNT && sent < (ms + 1) * PER_MS && send(cli, buf, SIZE, 0) == SIZE)
      sent++;
    struct pollfd p = {.fd = sink, .events = POLLIN};
    if (poll(&p, 1, 1) <= 0)
      continue;
    while (recv(sink, buf, sizeof buf, 0) > 0)
      got++;
  }
  stop_netsim(&c);
  double measured = 100.0 * (double)(sent - got) / (double)sent;
  double model = stat_of(&c, "up", "drop_loss");
  int ok = sent == COUNT && fabs(measured - pct) <= 0.5 && model == (double)(sent - got);
  printf("netsim_check: loss configured=%g%% sent=%llu received=%llu measured=%.3f%% "
         "netsim_drop_loss=%.0f bound=+-0.5%% %s\n",
         pct, (unsigned long long)sent, (unsigned long long)got, measured, model,
         ok ? "PASS" : "FAIL");
  if (model != (double)(sent - got))
    printf("netsim_check: datagrams lost outside the loss model\n");
  close(sink);
  close(cli);
  return !ok;
}

int main(int argc, char **argv) {
  if (argc < 4 || strcmp(argv[1], "--netsim") != 0) {
    fprintf(stderr, "usage: netsim_check --netsim PATH rtt WANT_MS LINKOPTS | rate MBIT |\n"
                    "       loss PERCENT | flows | paths\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const char *netsim = argv[2], *mode = argv[3];
  if (strcmp(mode, "rtt") == 0 && argc == 6)
    return check_rtt(netsim, strtod(argv[4], NULL), argv[5]);
  if (strcmp(mode, "rate") == 0 && argc == 5)
    return check_rate(netsim, strtod(argv[4], NULL));
  if (strcmp(mode, "loss") == 0 && argc == 5)
    return check_loss(netsim, strtod(argv[4], NULL));
  if (strcmp(mode, "flows") == 0 && argc == 4)
    return check_flows(netsim);
  if (strcmp(mode, "paths") == 0 && argc == 4)
    return check_paths(netsim);
  fprintf(stderr, "netsim_check: bad mode or arguments\n");
  return 2;
}
