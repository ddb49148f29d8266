/* The event loop of pquic-monitor: reports on UDP, metrics over HTTP,
 * signals; one thread, poll(2). */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

#define UDP_BATCH 256 /* datagrams read per wake-up before serving the rest */

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static double wall_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void pqm_addr_format(const void *sa, unsigned salen, char *buf, size_t cap) {
  char host[64], serv[8];
  const struct sockaddr *a = sa;
  if (getnameinfo(a, salen, host, sizeof host, serv, sizeof serv,
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    snprintf(buf, cap, "?");
    return;
  }
  if (a->sa_family == AF_INET6)
    snprintf(buf, cap, "[%s]:%s", host, serv);
  else
    snprintf(buf, cap, "%s:%s", host, serv);
}

/* ---- reports ---- */

static void print_report(pqm_monitor *m, const pqm_report *r, const char *from) {
  char line[2048];
  if (m->json) {
    pqm_report_json(r, from, wall_seconds(), line, sizeof line);
    puts(line);
    return;
  }
  if (m->rows++ % 40 == 0) {
    pqm_table_header(line, sizeof line);
    puts(line);
  }
  pqm_report_row(r, line, sizeof line);
  puts(line);
}

static void read_reports(pqm_monitor *m) {
  uint8_t buf[2048];
  for (int i = 0; i < UDP_BATCH; i++) {
    struct sockaddr_storage from;
    memset(&from, 0, sizeof from);
    socklen_t flen = sizeof from;
    /* MSG_TRUNC: the real length, so an oversized datagram is not taken
     * for a report of the right size. */
    ssize_t n = recvfrom(m->udp_fd, buf, sizeof buf, MSG_TRUNC, (struct sockaddr *)&from, &flen);
    if (n < 0)
      return; /* EAGAIN, or an ICMP error queued on the socket: nothing to read */
    pqm_report r;
    pqm_drop why = (size_t)n > sizeof buf ? PQM_DROP_LENGTH : pqm_report_parse(buf, (size_t)n, &r);
    pqm_agg_datagram(&m->agg, why);
    if (why != PQM_OK)
      continue;
    pqm_agg_report(&m->agg, &r);
    char addr[80];
    pqm_addr_format(&from, flen, addr, sizeof addr);
    print_report(m, &r, addr);
  }
}

/* ---- metrics over HTTP ---- */

static void client_close(pqm_client *c) {
  close(c->fd);
  free(c->out);
  memset(c, 0, sizeof *c);
  c->fd = -1;
}

static void accept_clients(pqm_monitor *m) {
  for (;;) {
    pqm_client *slot = NULL;
    for (int i = 0; i < PQM_HTTP_CLIENTS && !slot; i++)
      if (m->clients[i].fd < 0)
        slot = &m->clients[i];
    if (!slot)
      return; /* the rest wait in the backlog */
    int fd = accept4(m->http_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      return;
    memset(slot, 0, sizeof *slot);
    slot->fd = fd;
    slot->deadline_ms = now_ms() + PQM_HTTP_DEADLINE_MS;
  }
}

/* Builds the whole response of a routed request. */
static int respond(pqm_monitor *m, pqm_client *c, int status, int head_only) {
  char *body = NULL;
  size_t body_len = 0;
  char small[64];
  if (status == 200) {
    m->http_requests++;
    body_len = pqm_agg_prometheus(&m->agg, NULL, 0);
    body = malloc(body_len + 1);
    if (!body)
      return -1;
    pqm_agg_prometheus(&m->agg, body, body_len + 1);
  } else {
    body_len = (size_t)snprintf(small, sizeof small, "%d %s\n", status, pqm_http_reason(status));
    body = small;
  }
  char head[256];
  size_t hl = pqm_http_head(status, body_len, head, sizeof head);
  size_t total = hl + (head_only ? 0 : body_len);
  c->out = malloc(total);
  if (c->out) {
    memcpy(c->out, head, hl);
    if (!head_only)
      memcpy(c->out + hl, body, body_len);
  }
  if (body != small)
    free(body);
  if (!c->out)
    return -1;
  c->out_len = total;
  c->out_off = 0;
  return 0;
}

static void client_read(pqm_monitor *m, pqm_client *c) {
  ssize_t n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    client_close(c);
    return;
  }
  if (n < 0)
    return;
  c->in_len += (size_t)n;
  int head_only;
  int status = pqm_http_route(c->in, c->in_len, sizeof c->in, &head_only);
  if (status && respond(m, c, status, head_only))
    client_close(c);
}

static void client_write(pqm_client *c) {
  while (c->out_off < c->out_len) {
    ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR)
        client_close(c);
      return;
    }
    c->out_off += (size_t)n;
  }
  /* Connection: close. A lingering close: closing with unread request
   * bytes would reset the connection and could destroy the response
   * before the client reads it, so stop writing and drain until the
   * client closes (or the deadline). */
  (void)shutdown(c->fd, SHUT_WR);
  c->draining = 1;
}

static void client_drain(pqm_client *c) {
  char sink[4096];
  ssize_t n = recv(c->fd, sink, sizeof sink, 0);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
    client_close(c);
}

/* ---- the loop ---- */

static int signalled(int fd) {
  struct signalfd_siginfo si;
  return read(fd, &si, sizeof si) == (ssize_t)sizeof si;
}

int pqm_loop_run(pqm_monitor *m) {
  for (;;) {
    struct pollfd p[3 + PQM_HTTP_CLIENTS];
    pqm_client *who[3 + PQM_HTTP_CLIENTS];
    nfds_t n = 0;
    p[n++] = (struct pollfd){.fd = m->sig_fd, .events = POLLIN};
    p[n++] = (struct pollfd){.fd = m->udp_fd, .events = POLLIN};
    int free_slot = 0;
    uint64_t now = now_ms(), wake = UINT64_MAX;
    for (int i = 0; i < PQM_HTTP_CLIENTS; i++) {
      pqm_client *c = &m->clients[i];
      if (c->fd < 0) {
        free_slot = 1;
        continue;
      }
      if (now >= c->deadline_ms) {
        client_close(c); /* too slow: the slot goes to someone else */
        free_slot = 1;
        continue;
      }
      if (c->deadline_ms < wake)
        wake = c->deadline_ms;
      who[n] = c;
      short ev = c->out && !c->draining ? POLLOUT : POLLIN;
      p[n++] = (struct pollfd){.fd = c->fd, .events = ev};
    }
    nfds_t listen_at = n;
    if (m->http_fd >= 0 && free_slot)
      p[n++] = (struct pollfd){.fd = m->http_fd, .events = POLLIN};
    int timeout = wake == UINT64_MAX ? -1 : (int)(wake - now + 1);
    if (poll(p, n, timeout) < 0) {
      if (errno == EINTR)
        continue;
      fprintf(stderr, "pquic-monitor: poll: %s\n", strerror(errno));
      return 1;
    }
    if ((p[0].revents & POLLIN) && signalled(m->sig_fd))
      return 0;
    if (p[1].revents)
      read_reports(m);
    for (nfds_t i = 2; i < listen_at; i++) {
      if (!p[i].revents)
        continue;
      pqm_client *c = who[i];
      if (c->draining)
        client_drain(c);
      else if (c->out)
        client_write(c);
      else
        client_read(m, c);
      if (c->fd >= 0 && c->out && c->out_off == 0)
        client_write(c); /* answer at once: the socket is usually writable */
    }
    if (listen_at < n && p[listen_at].revents)
      accept_clients(m);
  }
}
