/* ADDR:PORT on the command line: 192.0.2.1:4434 or [2001:db8::1]:4434. */
#ifndef PQ_APP_ADDRPORT_H
#define PQ_APP_ADDRPORT_H

#include <stddef.h>
#include <sys/socket.h>

/*
 * Parses a numeric IPv4 address, or an IPv6 address in brackets, then ':'
 * and a decimal port from 0 to 65535, into *out (AF_INET or AF_INET6, the
 * rest zeroed). Returns 0, or -1 with a one-line reason in err: no port, a
 * bad port, an IPv6 address without brackets, an address that is not
 * numeric.
 */
int addrport_parse(const char *s, struct sockaddr_storage *out, char *err, size_t errlen);

#endif
