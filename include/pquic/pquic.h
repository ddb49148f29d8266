/*
 * pquic/pquic.h - endpoints, connections and streams.
 *
 * pquic is sans-I/O: it never touches a socket or a clock. The application
 * feeds received datagrams with their addresses, ECN bits and the current
 * time (microseconds, any monotonic origin), asks for datagrams to send, and
 * calls back at or after the next wake-up time. An endpoint and its
 * connections belong to one thread at a time.
 *
 * Every function returning int returns 0 (or a non-negative count) on success
 * and a negative PQUIC_ERR_* code (pquic/errors.h) on failure.
 *
 * Structs an application fills in are versioned: set them up with the
 * matching *_init() function, which writes the version and defaults, then
 * change the fields you need. Newer library versions only append fields.
 */
#ifndef PQUIC_PQUIC_H
#define PQUIC_PQUIC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "pquic/errors.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pquic_endpoint pquic_endpoint;
typedef struct pquic_cnx pquic_cnx;

#define PQUIC_VERSION_1 UINT32_C(0x00000001)
#define PQUIC_VERSION_2 UINT32_C(0x6b3343cf)

/* ECN codepoints as carried in the IP header. */
enum { PQUIC_ECN_NOT_ECT = 0, PQUIC_ECN_ECT1 = 1, PQUIC_ECN_ECT0 = 2, PQUIC_ECN_CE = 3 };

enum pquic_cc_algorithm { PQUIC_CC_NEWRENO = 0, PQUIC_CC_CUBIC = 1 };

/* Transport settings of one endpoint (our transport parameters and local
 * policy). Sizes in bytes, times in microseconds. */
typedef struct pquic_settings {
  uint64_t initial_max_data;
  uint64_t initial_max_stream_data_bidi_local;
  uint64_t initial_max_stream_data_bidi_remote;
  uint64_t initial_max_stream_data_uni;
  uint64_t initial_max_streams_bidi;
  uint64_t initial_max_streams_uni;
  uint64_t max_idle_timeout_us;     /* 0: no idle timeout */
  uint64_t max_ack_delay_us;        /* our max_ack_delay */
  uint64_t initial_rtt_us;          /* RFC 9002: 333 ms */
  uint64_t handshake_timeout_us;    /* 0: only the idle timeout */
  uint64_t max_window_data;         /* auto-tuning ceiling, connection */
  uint64_t max_window_stream_data;  /* auto-tuning ceiling, per stream */
  uint64_t max_stream_send_buffer;  /* bytes buffered per stream before writes are refused */
  uint32_t max_udp_payload_size;    /* our max_udp_payload_size parameter */
  uint32_t initial_udp_payload_size;/* datagram size before PMTU discovery */
  uint32_t active_connection_id_limit;
  uint32_t ack_delay_exponent;
  uint32_t ack_eliciting_threshold; /* ack after this many ack-eliciting packets */
  uint32_t cid_length;              /* length of the connection IDs we issue, 4..20 */
  int cc_algorithm;                 /* enum pquic_cc_algorithm */
  int disable_pacing;
  uint32_t max_gso_segments;        /* datagrams of one batch from pquic_endpoint_output */
  uint32_t key_update_interval;     /* initiate a key update every N packets (0: never; tests) */
  int retry;                        /* server: validate every new client address with Retry */
  uint32_t version;                 /* client: version to start with; server: version it
                                       prefers when the client supports it (RFC 9368).
                                       0: client v1, server v2 */
  int version_strict;               /* support only `version` (no negotiation) */
  int enable_0rtt;                  /* client: send 0-RTT when resuming; server: accept it */
} pquic_settings;

/* Connection events, delivered through pquic_callbacks.on_event. */
typedef enum pquic_event_type {
  PQUIC_EVENT_HANDSHAKE_DONE = 1, /* 1-RTT keys usable, peer authenticated */
  PQUIC_EVENT_CLOSED,             /* connection over: err/wire_error say why; the
                                     pquic_cnx stays valid until the callback returns */
  PQUIC_EVENT_STREAM_OPENED,      /* the peer opened stream_id */
  PQUIC_EVENT_STREAM_RESET,       /* the peer reset stream_id (wire_error = app code) */
  PQUIC_EVENT_STREAM_STOP,        /* the peer sent STOP_SENDING on stream_id */
  PQUIC_EVENT_STREAM_WRITABLE,    /* send buffer of stream_id has room again */
  PQUIC_EVENT_STREAM_CLOSED,      /* stream_id is fully closed and forgotten */
  PQUIC_EVENT_OP_FAULT,           /* a protocol operation failed (loop, plugin fault);
                                     the connection is being closed */
  PQUIC_EVENT_PLUGIN_MESSAGE,     /* a plugin pushed a message (data, len) */
  PQUIC_EVENT_CLOSING,            /* the connection started closing (either side, or an
                                     error): same fields as CLOSED, which follows after the
                                     closing/draining period; nothing more can be sent */
} pquic_event_type;

typedef struct pquic_event {
  pquic_event_type type;
  uint64_t stream_id;
  int err;                       /* library code, 0 if none */
  pquic_wire_error_t wire_error; /* QUIC or application error code */
  int wire_error_is_app;         /* wire_error is an application code */
  int closed_by_peer;            /* CLOSED: the peer closed (or reset) first */
  const char *reason;            /* CLOSED/OP_FAULT: human-readable, may be NULL */
  const uint8_t *data;           /* PLUGIN_MESSAGE payload */
  size_t len;
} pquic_event;

typedef struct pquic_callbacks {
  /* Data became readable on a stream (call pquic_stream_read) or its FIN
   * arrived. */
  void (*on_stream_data)(pquic_cnx *cnx, uint64_t stream_id, void *user);
  void (*on_event)(pquic_cnx *cnx, const pquic_event *ev, void *user);
  /* Server side: a new connection was accepted. Return non-zero to refuse. */
  int (*on_new_connection)(pquic_cnx *cnx, void *user);
} pquic_callbacks;

/* Fills buf with len random bytes. Must not fail. */
typedef void (*pquic_rand_fn)(void *user, uint8_t *buf, size_t len);

#define PQUIC_CONFIG_VERSION 1

typedef struct pquic_config {
  uint32_t struct_version;
  uint32_t struct_size;
  int accept_incoming;         /* act as a server */
  const char *cert_file;       /* server: PEM certificate chain */
  const char *key_file;        /* server: PEM private key */
  const char *ca_file;         /* client: PEM trust anchors; NULL: system store */
  int insecure;                /* client: do not verify the server certificate */
  const char *alpn;            /* comma-separated, preference order, e.g. "h3,hq-interop" */
  const char *ciphers;         /* NULL or e.g. "aes128gcm,chacha20" */
  pquic_settings settings;
  pquic_callbacks callbacks;
  void *user;                  /* passed to callbacks */
  pquic_rand_fn rand;          /* NULL: GnuTLS's random generator */
  void *rand_user;
  const char *qlog_dir;        /* NULL: no qlog */
  /* 32 bytes keying stateless reset tokens; servers that must recognise
   * each other's connections (or survive a restart) share it. NULL: random. */
  const uint8_t *stateless_reset_key;
  /* Server: addresses (IPv4 and/or IPv6, NULL for none) announced as the
   * preferred_address transport parameter (RFC 9000 9.6); the application
   * must also receive datagrams on them. Clients move there after the
   * handshake, once the new path is validated. */
  const struct sockaddr *preferred_v4, *preferred_v6;
} pquic_config;

/* Defaults: QUIC v1, NewReno... see pquic_settings_init. */
void pquic_config_init(pquic_config *cfg);
void pquic_settings_init(pquic_settings *s);

/* Errors: PQUIC_ERR_INVAL (bad config), PQUIC_ERR_CERTIFICATE, PQUIC_ERR_TLS,
 * PQUIC_ERR_NOMEM. */
int pquic_endpoint_new(const pquic_config *cfg, pquic_endpoint **out);
/* Frees the endpoint and every connection without sending anything. */
void pquic_endpoint_free(pquic_endpoint *ep);

/* Starts a client connection. server_name is sent as SNI and checked
 * against the certificate. The first datagrams come from
 * pquic_endpoint_output. */
int pquic_connect(pquic_endpoint *ep, const struct sockaddr *local, const struct sockaddr *remote,
                  const char *server_name, uint64_t now, pquic_cnx **out);

/* Client: the state a later connection to the same server needs to resume
 * (TLS ticket, the server's limits for 0-RTT, version, ALPN, address token),
 * once the server sent a ticket. Store it and pass it to
 * pquic_connect_session. Errors: PQUIC_ERR_AGAIN (no ticket yet),
 * PQUIC_ERR_BUFFER_TOO_SMALL, PQUIC_ERR_INVAL. */
int pquic_cnx_get_session(const pquic_cnx *cnx, uint8_t *buf, size_t cap, size_t *len);

/* pquic_connect resuming a session from pquic_cnx_get_session: abbreviated
 * handshake, 0-RTT if settings.enable_0rtt and the ticket allows it
 * (streams opened and written before the handshake completes go in 0-RTT
 * packets). A session the server does not accept falls back to a full
 * handshake. Errors: as pquic_connect; PQUIC_ERR_INVAL for a damaged or
 * foreign session blob. */
int pquic_connect_session(pquic_endpoint *ep, const struct sockaddr *local,
                          const struct sockaddr *remote, const char *server_name,
                          const uint8_t *session, size_t session_len, uint64_t now,
                          pquic_cnx **out);

/* Feeds one received UDP datagram. Bad or foreign datagrams are dropped and
 * counted, never reported as an error: the return value is negative only
 * for misuse (PQUIC_ERR_INVAL) or out of memory. */
int pquic_endpoint_input(pquic_endpoint *ep, const uint8_t *data, size_t len,
                         const struct sockaddr *local, const struct sockaddr *remote,
                         uint8_t ecn, uint64_t now);

/* Where and how a batch of datagrams produced by pquic_endpoint_output goes. */
typedef struct pquic_send_info {
  struct sockaddr_storage local;
  struct sockaddr_storage remote;
  size_t segment_size; /* every datagram but the last has this size */
  size_t count;        /* datagrams in the batch */
  uint8_t ecn;         /* ECN codepoint to set on the batch */
} pquic_send_info;

/* Writes up to `cap` bytes of datagrams for one destination into buf, all of
 * info->segment_size bytes except possibly the last (so the batch can be
 * sent with UDP GSO). Returns the total number of bytes (0: nothing to send
 * now) or a negative error. Call repeatedly until it returns 0. */
int pquic_endpoint_output(pquic_endpoint *ep, uint64_t now, uint8_t *buf, size_t cap,
                          pquic_send_info *info);

/* Earliest time at which pquic_endpoint_output must be called again even if
 * nothing is received; UINT64_MAX if none. */
uint64_t pquic_endpoint_next_wake(const pquic_endpoint *ep);

/* Connections that ended are freed by the endpoint after their CLOSED event;
 * this returns how many connections are alive. */
size_t pquic_endpoint_connection_count(const pquic_endpoint *ep);

/* --- connections --- */

void pquic_cnx_set_user(pquic_cnx *cnx, void *user);
void *pquic_cnx_get_user(const pquic_cnx *cnx);
int pquic_cnx_is_server(const pquic_cnx *cnx);
int pquic_cnx_handshake_done(const pquic_cnx *cnx);
/* The negotiated ALPN ("" before the handshake) and cipher suite name. */
const char *pquic_cnx_alpn(const pquic_cnx *cnx);
const char *pquic_cnx_cipher(const pquic_cnx *cnx);
uint32_t pquic_cnx_version(const pquic_cnx *cnx);

/* Client: moves the connection to a new local address (active migration,
 * RFC 9000 9.2), with a fresh connection ID; the new path is validated as
 * it is used. Datagrams for it come out of pquic_endpoint_output with that
 * local address in pquic_send_info. Errors: PQUIC_ERR_STATE (handshake not
 * confirmed, peer disabled migration, no spare connection ID),
 * PQUIC_ERR_LIMIT, PQUIC_ERR_INVAL. */
int pquic_cnx_migrate(pquic_cnx *cnx, const struct sockaddr *local, uint64_t now);

/* Closes the connection with an application error code (CONNECTION_CLOSE
 * 0x1d), or a transport NO_ERROR when app is 0 and code is 0. */
int pquic_cnx_close(pquic_cnx *cnx, uint64_t app_error, const char *reason, uint64_t now);

typedef struct pquic_stats {
  uint64_t bytes_sent, bytes_received;          /* UDP payload bytes */
  uint64_t packets_sent, packets_received;
  uint64_t packets_lost, packets_retransmitted; /* retransmitted: lost packets whose
                                                   frames were sent again (0-RTT packets
                                                   the server refused are neither) */
  uint64_t packets_spurious_lost;               /* declared lost, then acked */
  uint64_t packets_dropped;                     /* undecryptable or invalid */
  uint64_t stream_bytes_sent, stream_bytes_received; /* unique application bytes */
  uint64_t rtt_min_us, rtt_smoothed_us, rtt_var_us, rtt_latest_us;
  uint64_t cwnd, bytes_in_flight, ssthresh;
  uint64_t handshake_duration_us;
  uint64_t key_updates;
  uint64_t streams_opened;
  uint64_t migrations;                          /* changes of the path in use */
  uint64_t max_udp_payload;                     /* datagram size in use (PMTU discovery) */
  int resumed;                                  /* TLS resumed a previous session */
  int early_data; /* 0-RTT: 0 not offered, 1 accepted, 2 rejected, 3 offered, no answer yet */
  int retry;                                    /* client: the server validated us with Retry */
} pquic_stats;

void pquic_cnx_get_stats(const pquic_cnx *cnx, pquic_stats *st);

/* --- streams --- */

/* Opens a locally initiated stream. Errors: PQUIC_ERR_STREAM_LIMIT when the
 * peer's limit is reached (retry after a STREAM event), PQUIC_ERR_STATE. */
int pquic_stream_open(pquic_cnx *cnx, int bidi, uint64_t *stream_id);
/* Queues data (copied) and optionally the FIN. Returns the number of bytes
 * accepted, which is less than len when the stream's send buffer is full
 * (wait for PQUIC_EVENT_STREAM_WRITABLE). */
int64_t pquic_stream_write(pquic_cnx *cnx, uint64_t stream_id, const uint8_t *data, size_t len,
                           int fin);
/* Reads in-order data. Returns the byte count (0 when nothing is ready);
 * *fin is set when the stream's final byte has been read. Reading the final
 * byte of a stream whose sending side is also done closes the stream:
 * PQUIC_EVENT_STREAM_CLOSED is delivered from inside this call. */
int64_t pquic_stream_read(pquic_cnx *cnx, uint64_t stream_id, uint8_t *buf, size_t len, int *fin);
/* Abruptly ends sending (RESET_STREAM) / asks the peer to stop (STOP_SENDING). */
int pquic_stream_reset(pquic_cnx *cnx, uint64_t stream_id, uint64_t app_error);
int pquic_stream_stop(pquic_cnx *cnx, uint64_t stream_id, uint64_t app_error);
/* Bytes the stream can accept now without being refused. */
uint64_t pquic_stream_writable(const pquic_cnx *cnx, uint64_t stream_id);

#ifdef __cplusplus
}
#endif
#endif
