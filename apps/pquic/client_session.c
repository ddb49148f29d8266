/* pquic client --session-file: the resumption blob kept between runs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "common/alloc.h"

/* A blob holds a TLS ticket, a token and a few parameters: far below this. */
#define SESSION_MAX 65536

int session_load(const char *path, uint8_t **blob, size_t *len) {
  *blob = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT)
      return 0; /* first run: a full handshake, then the file is written */
    return fail("cannot read --session-file '%s': %s", path, strerror(errno)), -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > SESSION_MAX) {
    close(fd);
    return fail("cannot use --session-file '%s': not a session file", path), -1;
  }
  uint8_t *b = pq_malloc((size_t)st.st_size);
  if (!b) {
    close(fd);
    return fail("out of memory"), -1;
  }
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  close(fd);
  if (got != (size_t)st.st_size) {
    pq_free(b);
    return fail("cannot read --session-file '%s': short read", path), -1;
  }
  *blob = b;
  *len = got;
  return 0;
}

void cconn_capture_session(cconn *c) {
  if (!c->cnx || !c->handshake_done)
    return;
  uint8_t buf[SESSION_MAX];
  size_t len = 0;
  if (pquic_cnx_get_session(c->cnx, buf, sizeof buf, &len) != 0 || len == 0)
    return; /* no ticket yet */
  if (len == c->session_len && memcmp(buf, c->session, len) == 0)
    return;
  uint8_t *copy = pq_malloc(len);
  if (!copy)
    return; /* keep the older blob */
  memcpy(copy, buf, len);
  pq_free(c->session);
  c->session = copy;
  c->session_len = len;
}

int session_save(const cconn *c, const char *path) {
  if (!c->session) {
    fprintf(stderr, "pquic: no session ticket from %s: --session-file '%s' not written\n", c->where,
            path);
    return 0;
  }
  char tmp[4200];
  if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp)
    return fail("cannot write --session-file '%s': name too long", path), -1;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return fail("cannot write --session-file '%s': %s", path, strerror(errno)), -1;
  size_t off = 0;
  errno = 0;
  while (off < c->session_len) {
    ssize_t w = write(fd, c->session + off, c->session_len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      break;
    off += (size_t)w;
  }
  int ok = off == c->session_len;
  int e = ok ? 0 : errno ? errno : EIO;
  if (close(fd) != 0 && ok) {
    ok = 0;
    e = errno;
  }
  if (ok && rename(tmp, path) != 0) {
    ok = 0;
    e = errno;
  }
  if (!ok) {
    unlink(tmp);
    return fail("cannot write --session-file '%s': %s", path, strerror(e)), -1;
  }
  return 0;
}
