/* Helpers shared by the pquic subcommands. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "common/alloc.h"
#include "common/log.h"

int option_error(const char *cmd, int c, char **argv) {
  const char *opt = argv[optind - 1];
  if (c == ':')
    return usage_fail(cmd, "option '%s' needs a value", opt);
  if (optopt && !(opt[0] == '-' && opt[1] == '-'))
    return usage_fail(cmd, "unknown option '-%c'", optopt);
  return usage_fail(cmd, "unknown option '%s'", opt);
}

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out) {
  if (!s || !*s)
    return -1;
  uint64_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
      return -1;
    v = v * 10 + (uint64_t)(*p - '0');
  }
  if (v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

int check_readable(const char *what, const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return fail("cannot read %s '%s': %s", what, path, strerror(errno)), -1;
  struct stat st;
  int dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
  close(fd);
  if (dir)
    return fail("cannot read %s '%s': it is a directory", what, path), -1;
  return 0;
}

int prepare_dir(const char *what, const char *dir) {
  struct stat st;
  if (stat(dir, &st) != 0) {
    if (errno != ENOENT || mkdir(dir, 0755) != 0)
      return fail("cannot use %s '%s': %s", what, dir, strerror(errno)), -1;
    return 0;
  }
  if (!S_ISDIR(st.st_mode))
    return fail("cannot use %s '%s': not a directory", what, dir), -1;
  if (access(dir, W_OK | X_OK) != 0)
    return fail("cannot use %s '%s': %s", what, dir, strerror(errno)), -1;
  return 0;
}

int check_alpn(const char *list) {
  char buf[256];
  if (!*list || strlen(list) >= sizeof buf)
    return fail("bad --alpn '%s': give h3, hq-interop or both, comma-separated", list), -1;
  strcpy(buf, list);
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
    if (strcmp(t, "h3") != 0 && strcmp(t, "hq-interop") != 0)
      return fail("unsupported ALPN '%s' in --alpn (pquic speaks h3 and hq-interop)", t), -1;
  if (list[strlen(list) - 1] == ',' || list[0] == ',' || strstr(list, ",,"))
    return fail("bad --alpn '%s': empty name", list), -1;
  return 0;
}

int parse_version(const char *s, uint32_t *out) {
  if (strcmp(s, "v1") == 0)
    *out = PQUIC_VERSION_1;
  else if (strcmp(s, "v2") == 0)
    *out = PQUIC_VERSION_2;
  else
    return -1;
  return 0;
}

int check_ciphers(const char *cmd, const char *list) {
  static const char *const known[] = {"aes128gcm",
                                      "aes256gcm",
                                      "chacha20",
                                      "TLS_AES_128_GCM_SHA256",
                                      "TLS_AES_256_GCM_SHA384",
                                      "TLS_CHACHA20_POLY1305_SHA256"};
  char buf[128];
  size_t len = strlen(list);
  if (len == 0 || len >= sizeof buf || list[0] == ',' || list[len - 1] == ',' || strstr(list, ",,"))
    return usage_fail(cmd,
                      "bad --ciphers '%s': give aes128gcm, aes256gcm or chacha20, "
                      "comma-separated",
                      list),
           -1;
  memcpy(buf, list, len + 1);
  int n = 0;
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    int ok = 0;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
      ok |= strcmp(t, known[i]) == 0;
    if (!ok)
      return usage_fail(cmd,
                        "unknown cipher suite '%s' in --ciphers (aes128gcm, aes256gcm, "
                        "chacha20)",
                        t),
             -1;
    if (++n > 3)
      return usage_fail(cmd, "bad --ciphers '%s': at most three suites", list), -1;
  }
  return 0;
}

static void log_sink(void *user, int level, const char *msg) {
  static const char *const names[] = {"error", "warn", "info", "debug"};
  (void)user;
  fprintf(stderr, "pquic: [%s] %s\n", level >= 0 && level <= 3 ? names[level] : "?", msg);
}

void enable_verbose_log(int level) {
  pq_log_set_sink(log_sink, NULL, level);
}

/* --- h3_io over pquic streams --- */

static int q_open_uni(void *ctx, int64_t *sid) {
  uint64_t id;
  int rc = pquic_stream_open(ctx, 0, &id);
  if (rc == 0)
    *sid = (int64_t)id;
  return rc;
}

static int64_t q_write(void *ctx, int64_t sid, const uint8_t *data, size_t len, int fin) {
  return pquic_stream_write(ctx, (uint64_t)sid, data, len, fin);
}

static int q_reset(void *ctx, int64_t sid, uint64_t code) {
  return pquic_stream_reset(ctx, (uint64_t)sid, code);
}

static int q_stop(void *ctx, int64_t sid, uint64_t code) {
  return pquic_stream_stop(ctx, (uint64_t)sid, code);
}

const h3_io quic_h3_io = {q_open_uni, q_write, q_reset, q_stop};

/* --- output --- */

int sockset_add(sockset *s, pq_udp *u) {
  if (s->n == s->cap)
    return PQUIC_ERR_LIMIT;
  s->v[s->n++] = u;
  return 0;
}

/* A socket bound to `from`: the same address, or the wildcard address of
 * its family (or a dual-stack one) with the same port. */
static int bound_to(const pq_udp *u, const struct sockaddr *from) {
  const struct sockaddr *l = (const struct sockaddr *)&u->local;
  if (pq_io_addr_equal(from, l))
    return 1;
  if (!pq_io_addr_is_wildcard(l))
    return 0;
  uint16_t p1 = from->sa_family == AF_INET ? ((const struct sockaddr_in *)from)->sin_port
                                           : ((const struct sockaddr_in6 *)from)->sin6_port;
  uint16_t p2 = l->sa_family == AF_INET ? ((const struct sockaddr_in *)l)->sin_port
                                        : ((const struct sockaddr_in6 *)l)->sin6_port;
  return p1 == p2 && (from->sa_family == u->family || (from->sa_family == AF_INET && u->dual));
}

static pq_udp *route(const pquic_send_info *info, const sockset *s) {
  const struct sockaddr *to = (const struct sockaddr *)&info->remote;
  const struct sockaddr *from = (const struct sockaddr *)&info->local;
  pq_udp *fallback = NULL;
  /* A socket bound to the batch's own local address first: after a
   * migration two sockets reach the same peer from different ports, and a
   * server's preferred address has a socket of its own. */
  if (from->sa_family != 0 && !pq_io_addr_is_wildcard(from)) {
    for (size_t i = 0; i < s->n; i++) {
      pq_udp *u = s->v[i];
      if (bound_to(u, from) &&
          (!u->connected || pq_io_addr_equal(to, (const struct sockaddr *)&u->peer)))
        return u;
    }
    /* Bound there but connected elsewhere: only a new socket can send it. */
    for (size_t i = 0; i < s->n; i++)
      if (s->v[i]->connected && bound_to(s->v[i], from))
        return NULL;
  }
  for (size_t i = 0; i < s->n; i++) {
    pq_udp *u = s->v[i];
    if (u->connected) {
      if (pq_io_addr_equal(to, (const struct sockaddr *)&u->peer))
        return u;
      continue;
    }
    if (!fallback && (to->sa_family == u->family || (to->sa_family == AF_INET && u->dual)))
      fallback = u;
  }
  return fallback;
}

static int any_blocked(const sockset *s) {
  for (size_t i = 0; i < s->n; i++)
    if (pq_udp_tx_pending(s->v[i]) && pq_udp_flush(s->v[i]) == PQUIC_ERR_AGAIN)
      return 1;
  return 0;
}

void pump_output(pquic_endpoint *ep, uint64_t now, sockset *s) {
  static uint8_t scratch[PQ_UDP_MAX_BATCH];
  for (int batches = 0; batches < 1024; batches++) {
    if (any_blocked(s))
      return;
    pquic_send_info info;
    size_t cap = sizeof scratch;
    /* The endpoint writes straight into the queue of the socket the last
     * batch went to, where the next one nearly always goes too; a batch
     * for another socket is copied there. */
    pq_udp *hint = s->last < s->n ? s->v[s->last] : NULL;
    uint8_t *buf = hint ? pq_udp_tx_buf(hint, &cap) : NULL;
    if (!buf)
      buf = scratch;
    int len = pquic_endpoint_output(ep, now, buf, cap, &info);
    if (len <= 0)
      break;
    pq_udp *u = route(&info, s);
    if (!u && s->route_miss)
      u = s->route_miss(s->user, &info);
    if (!u)
      continue; /* no socket reaches it: the datagrams are lost */
    const struct sockaddr *to = (const struct sockaddr *)&info.remote;
    const struct sockaddr *from = (const struct sockaddr *)&info.local;
    if (u == hint && buf != scratch) {
      pq_udp_tx_commit(u, (size_t)len, info.segment_size, to, from, info.ecn);
      continue;
    }
    if (pq_udp_tx_push(u, buf, (size_t)len, info.segment_size, to, from, info.ecn) ==
        PQUIC_ERR_LIMIT) {
      pq_udp_flush(u);
      pq_udp_tx_push(u, buf, (size_t)len, info.segment_size, to, from, info.ecn);
    }
    for (size_t i = 0; i < s->n; i++)
      if (s->v[i] == u)
        s->last = i;
  }
  for (size_t i = 0; i < s->n; i++)
    pq_udp_flush(s->v[i]);
}

/* --- sidvec --- */

int sidvec_push(sidvec *s, int64_t sid) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    int64_t *v = pq_realloc(s->v, cap * sizeof *v);
    if (!v)
      return PQUIC_ERR_NOMEM;
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n++] = sid;
  return 0;
}

void sidvec_free(sidvec *s) {
  pq_free(s->v);
  memset(s, 0, sizeof *s);
}
