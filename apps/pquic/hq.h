/*
 * hq-interop (HTTP/0.9 over QUIC): the client sends "GET /path\r\n" and
 * closes its side; the server answers the bytes of the resource and closes
 * its side. There are no headers and no status: the pquic server resets the
 * stream with the status as application error code (404, 400...) when it
 * has no body to send.
 */
#ifndef PQ_APP_HQ_H
#define PQ_APP_HQ_H

#include <stddef.h>
#include <stdint.h>

#define HQ_MAX_REQUEST 8192

typedef struct hq_req {
  char line[HQ_MAX_REQUEST];
  size_t len;
  int state; /* 0 reading, 1 complete, -1 malformed */
} hq_req;

void hq_req_init(hq_req *r);
/*
 * Feeds request bytes; fin: the client closed its side. Returns 1 once the
 * request line is complete (CRLF, LF, or the end of the stream), 0 when
 * more is needed, -1 when it is malformed: not "GET <target>", a target not
 * starting with '/', a control character, longer than HQ_MAX_REQUEST, or
 * the stream ended before any target. Bytes after the line are ignored.
 */
int hq_req_feed(hq_req *r, const uint8_t *data, size_t len, int fin);
/* The target of a complete request ("/index.html"). */
const char *hq_req_target(const hq_req *r);

/* The request a client sends for path: "GET <path>\r\n". Returns its length,
 * or 0 if it does not fit. */
size_t hq_request_format(char *buf, size_t len, const char *path);

#endif
