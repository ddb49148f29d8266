/* pquic-monitor: the smallest HTTP/1.1 that serves GET /metrics. */
#ifndef PQM_HTTP_H
#define PQM_HTTP_H

#include <stddef.h>

#define PQM_HTTP_MAX_REQUEST 4096 /* bytes of request head we accept */

/*
 * Looks at the bytes of a request received so far. Returns 0 while the
 * head is incomplete (no empty line yet) and shorter than max, else the
 * status to answer: 200 for GET or HEAD of /metrics (a query string is
 * ignored), 404 for any other path, 405 for another method, 400 for a
 * malformed request line or a version other than HTTP/1.0 or 1.1, 431
 * when max bytes came without the end of the head. *head_only is set
 * for HEAD. Reads nothing past buf[len - 1]; buf need not be
 * NUL-terminated.
 */
int pqm_http_route(const char *buf, size_t len, size_t max, int *head_only);

/* The status line and headers of a response with a body of body_len
 * bytes (Content-Type text/plain for the metrics, Connection: close).
 * Returns the length needed (truncated to cap - 1, NUL-terminated). */
size_t pqm_http_head(int status, size_t body_len, char *buf, size_t cap);

/* The reason phrase of a status ("OK", "Not Found"...). */
const char *pqm_http_reason(int status);

#endif
