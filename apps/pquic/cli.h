/* pquic command internals: subcommands and what they share. */
#ifndef PQ_APP_CLI_H
#define PQ_APP_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "h3.h"
#include "io/udp.h"
#include "pquic/pquic.h"

/* Exit statuses: 0 success, 1 failure, 2 bad usage. */
enum { EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Subcommands: argv[0] is the subcommand name. Return the exit status. */
int cmd_server(int argc, char **argv);
int cmd_client(int argc, char **argv);
int cmd_ops(int argc, char **argv);
int cmd_cert(int argc, char **argv);
int cmd_plugin(int argc, char **argv); /* cmd_plugin.c */

/* Prints "pquic: MESSAGE" as one line on stderr; returns EXIT_FAIL. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same for usage errors, pointing at `pquic CMD --help`; returns
 * EXIT_USAGE. */
int usage_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* getopt_long's error for the option at argv[optind - 1]: an unknown option
 * or a missing value (getopt returned '?' or ':'). Returns EXIT_USAGE. */
int option_error(const char *cmd, int c, char **argv);

/* Parses a decimal integer in [min, max]; 0 or -1. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Checks that a file can be opened for reading; 0, or -1 after printing
 * "pquic: cannot read WHAT 'path': reason". */
int check_readable(const char *what, const char *path);
/* Makes sure dir exists (creating one level) and is a writable directory;
 * 0, or -1 after printing why. */
int prepare_dir(const char *what, const char *dir);
/* Checks a comma-separated ALPN list holds only h3 and hq-interop; 0 or -1
 * after printing why. */
int check_alpn(const char *list);

/* Parses "v1" or "v2" into a QUIC version; 0 or -1. */
int parse_version(const char *s, uint32_t *out);
/* Checks a comma-separated cipher suite list (aes128gcm, aes256gcm,
 * chacha20, or the TLS_* names), at most three; 0, or -1 after printing
 * why as a usage error of `cmd`. */
int check_ciphers(const char *cmd, const char *list);

/* Library log lines to stderr (--verbose). */
void enable_verbose_log(int level);

/* h3_io over pquic streams; ctx is the pquic_cnx. */
extern const h3_io quic_h3_io;

/* The sockets pump_output sends from. */
typedef struct sockset {
  pq_udp **v;
  size_t n, cap;
  /* A batch that no socket in v can send (none bound to its local address
   * reaches its remote one): returns the socket to send it from, opening
   * and adding one if it can, or NULL to drop the batch (QUIC sees a loss).
   * NULL: such batches are dropped. */
  pq_udp *(*route_miss)(void *user, const pquic_send_info *info);
  void *user;
  size_t last; /* index of the socket the last batch went out of */
} sockset;

/* Appends u; PQUIC_ERR_LIMIT when the set is full (its array is never
 * reallocated, so pointers into it stay valid). */
int sockset_add(sockset *s, pq_udp *u);

/*
 * Moves the endpoint's output into the sockets' send queues and flushes
 * them. A batch goes out of the socket bound to its local address
 * (pquic_send_info.local) and connected to its remote one or not connected
 * at all; else out of the connected socket whose peer it is, or an
 * unconnected one of its family; else where route_miss says. Stops
 * producing while a socket is blocked (EAGAIN): the event loop retries when
 * it can write again.
 */
void pump_output(pquic_endpoint *ep, uint64_t now, sockset *s);

/* A growable list of stream ids (streams closed during a callback, handled
 * once it has returned). */
typedef struct sidvec {
  int64_t *v;
  size_t n, cap;
} sidvec;
int sidvec_push(sidvec *s, int64_t sid);
void sidvec_free(sidvec *s);

#endif
