/*
 * The connection. Each concern keeps its state in its own struct and file
 * (path.h, space.h, stream.h, sent.h); this struct gathers them. Behaviour
 * lives in the operations (opcalls.h), one source file per concern.
 */
#ifndef PQ_CONN_CNX_H
#define PQ_CONN_CNX_H

#include "common/u64map.h"
#include "conn/path.h"
#include "conn/plugin_link.h"
#include "conn/qlog.h"
#include "conn/space.h"
#include "conn/stream.h"
#include "crypto/keys.h"
#include "crypto/tls.h"
#include "ops/ops.h"
#include "pquic/pquic.h"
#include "wire/cid.h"

#define PQ_MAX_PATHS 4
#define PQ_MAX_LOCAL_CIDS 8
#define PQ_MAX_PEER_CIDS 8
#define PQ_MAX_RETIRED_CIDS 4
#define PQ_LEVELS 4
#define PQ_MAX_PLUGINS 16

enum pq_cnx_state {
  PQ_CNX_HANDSHAKE = 0, /* keys being established */
  PQ_CNX_ACTIVE,        /* handshake complete (1-RTT usable) */
  PQ_CNX_CLOSING,       /* we sent CONNECTION_CLOSE */
  PQ_CNX_DRAINING,      /* the peer closed */
  PQ_CNX_CLOSED,        /* over; freed by the endpoint */
};

typedef struct pq_local_cid {
  uint64_t seq;
  pq_cid cid;
  uint8_t token[16]; /* stateless reset token */
  uint8_t used;
  uint8_t announce; /* NEW_CONNECTION_ID to send */
} pq_local_cid;

/* A connection ID the peer retired, still routed to the connection for a
 * while: packets the peer sent to it before switching can arrive after the
 * RETIRE_CONNECTION_ID (another path, reordering), and a stateless reset
 * for them would end the connection. */
typedef struct pq_retired_cid {
  pq_cid cid; /* len 0: free */
  uint64_t until;
} pq_retired_cid;

typedef struct pq_peer_cid {
  uint64_t seq;
  pq_cid cid;
  uint8_t token[16];
  uint8_t has_token;
  uint8_t used;     /* slot holds a CID */
  uint8_t retire;   /* RETIRE_CONNECTION_ID to send */
  uint8_t retiring; /* RETIRE_CONNECTION_ID sent, not yet acknowledged */
} pq_peer_cid;

/* Accumulated while one ACK frame is processed (process_ack_range calls). */
typedef struct pq_ack_state {
  pq_sent_pkt *cursor; /* next unacked packet to look at, ascending */
  uint64_t largest;    /* Largest Acknowledged of the frame */
  int largest_newly;   /* that packet was newly acknowledged */
  uint64_t largest_time_sent;
  pq_path *largest_path;
  int eliciting_newly;       /* some newly acked packet was ack-eliciting */
  uint64_t newly_acked_ect0; /* newly acknowledged packets sent with ECT(0) */
  uint64_t newly_acked;
} pq_ack_state;

/* Limits and values the peer announced, copied from its transport
 * parameters (defaults until they arrive). */
typedef struct pq_peer_params {
  uint64_t max_idle_timeout, max_udp_payload, max_ack_delay, ack_delay_exponent;
  uint64_t active_cid_limit, max_datagram_frame;
  int disable_migration, grease_quic_bit;
} pq_peer_params;

struct pquic_cnx {
  pq_op_state op; /* dispatch state (plugins, call stack) */
  pq_endpoint *ep;
  pq_cnx *ep_next, *ep_prev;
  uint32_t ep_heap_index; /* position in the endpoint's wake-up heap */

  int is_server;
  uint32_t version;
  int state;    /* enum pq_cnx_state */
  uint64_t now; /* time of the call being processed */
  uint64_t created;

  /* connection ids */
  pq_cid odcid;             /* client's first DCID: Initial keys, TP checks */
  pq_cid client_dcid;       /* server: the DCID of the Initial that created us */
  pq_cid initial_scid;      /* SCID of our first Initial (client), ours (server) */
  pq_cid retry_scid;        /* client: SCID of the Retry we followed */
  pq_cid peer_initial_scid; /* SCID of the peer's first Initial (len 0: not yet) */
  uint8_t peer_cid_learned; /* client: the server's SCID replaced our random DCID */
  pq_local_cid local_cids[PQ_MAX_LOCAL_CIDS];
  pq_retired_cid retired_cids[PQ_MAX_RETIRED_CIDS];
  uint64_t next_local_seq;
  pq_peer_cid peer_cids[PQ_MAX_PEER_CIDS];
  uint64_t peer_retire_prior_to;
  uint8_t token[256]; /* client: Retry or NEW_TOKEN token to send */
  size_t token_len;
  uint8_t new_token_pending;         /* server: send a NEW_TOKEN */
  uint8_t has_preferred;             /* client: the server announced a preferred address */
  struct sockaddr_storage preferred; /* client: where to move (our address family) */
  int preferred_path;                /* client: index of the path to it, -1 if none */
  uint64_t preferred_cid_seq;        /* server: CID announced with the preferred address */
  uint8_t retried;                   /* server: created after a valid Retry token */

  /* paths */
  pq_path paths[PQ_MAX_PATHS];
  uint32_t n_paths;
  uint32_t active_path;   /* index of the path in use */
  uint32_t fallback_path; /* validated path to return to if migration fails */
  uint8_t probe_only;     /* building a path-probing datagram */
  uint8_t batch_ecn;      /* ECN codepoint of the datagrams being built */
  uint8_t mtu_probe;      /* building a PMTU probe */

  /* packet-number spaces and keys */
  pq_space spaces[PQ_EPOCH_COUNT];
  pq_dir_keys rkeys[PQ_LEVELS], wkeys[PQ_LEVELS];
  pq_dir_keys rkeys_orig; /* Initial read keys of the version we started with */
  uint8_t rkeys_orig_ok;
  uint32_t orig_version;     /* version before compatible negotiation, 0 if none */
  uint8_t version_restarted; /* client: restarted once after Version Negotiation */
  uint8_t rkeys_ok[PQ_LEVELS], wkeys_ok[PQ_LEVELS];
  /* 1-RTT key phases (RFC 9001 6): rkeys[3]/wkeys[3] hold the current
   * ones; reordered packets of the previous read phase open with rprev
   * until rprev_until, the peer's next phase with rnext. */
  pq_phase_keys rnext, rprev;
  uint8_t rnext_ok, rprev_ok;
  uint64_t rprev_until;
  uint8_t key_phase;            /* write phase bit (in our short headers) */
  uint8_t read_phase;           /* phase bit of rkeys[3] */
  uint64_t key_phase_start_pn;  /* first packet number sent in the write phase */
  uint64_t read_phase_start_pn; /* first packet number received in the read phase */
  uint64_t key_phase_time;      /* when either phase last changed */
  int suite;                    /* negotiated pq_cipher_suite */

  /* TLS */
  pq_tls_session *tls;
  int handshake_complete, handshake_confirmed, handshake_done_pending;
  uint64_t handshake_done_time;
  char alpn[256];
  char sni[256];

  /* transport parameters */
  pq_peer_params peer;
  uint8_t peer_tp_received;
  uint64_t peer_initial_max_data;         /* as the peer announced them, */
  uint64_t peer_initial_max_streams_bidi; /* for the resumption blob */
  uint64_t peer_initial_max_streams_uni;

  /* resumption and 0-RTT (session.c) */
  uint8_t *ticket; /* client: latest TLS resumption blob */
  size_t ticket_len;
  uint64_t remembered[10]; /* client: limits 0-RTT was sent under */
  uint8_t has_remembered;
  uint8_t early_data_offered, early_data_accepted, resumed;

  /* streams */
  pq_u64map streams;
  pq_stream *send_list;                           /* round-robin cursor */
  pq_stream *ctl_list;                            /* streams with control frames pending */
  uint64_t next_bidi, next_uni;                   /* our next stream ids */
  uint64_t max_bidi_local, max_uni_local;         /* peer's limits on our streams (counts) */
  uint64_t max_bidi_remote, max_uni_remote;       /* our limits on the peer's streams */
  uint64_t opened_bidi_remote, opened_uni_remote; /* peer streams opened (counts) */
  uint64_t closed_bidi_remote, closed_uni_remote;
  uint64_t peer_max_stream_data_bidi_local; /* peer's initial limits for our sending */
  uint64_t peer_max_stream_data_bidi_remote;
  uint64_t peer_max_stream_data_uni;
  uint64_t max_streams_sent[2];   /* MAX_STREAMS values advertised, bidi/uni */
  uint8_t max_streams_pending[2]; /* MAX_STREAMS bidi/uni to send */
  uint8_t streams_blocked_pending[2];

  /* connection flow control */
  uint64_t max_data_send; /* peer's limit */
  uint64_t data_sent;     /* sum of highest offsets sent */
  uint64_t max_data_recv; /* limit we advertised */
  uint64_t data_recv;     /* sum of highest offsets received */
  uint64_t data_consumed; /* bytes read by the application */
  uint64_t recv_window;
  uint64_t window_epoch_start;
  uint8_t max_data_pending;
  uint8_t data_blocked_pending;
  uint64_t data_blocked_at;

  /* recovery (connection-wide part) */
  pq_ack_state ack;
  uint32_t pto_count;
  /* Loss thresholds, widened when losses prove spurious (reordering):
   * packet threshold (RFC 9002: 3) and time threshold rtt + rtt >> shift
   * (RFC 9002: 9/8, shift 3). */
  uint32_t packet_threshold;
  uint32_t time_threshold_shift;
  uint64_t loss_timer;

  /* timers */
  uint64_t idle_deadline;
  uint64_t idle_timeout;      /* negotiated */
  uint8_t idle_armed_by_send; /* restarted by a send since the last receipt */
  uint64_t close_deadline;
  uint64_t last_wake;       /* value last reported to the endpoint */
  uint64_t send_not_before; /* output produced nothing: sending waits (pq_cnx_output) */
  uint64_t send_backoff;    /* its current delay, 0 after a datagram went out */

  /* closing */
  uint64_t close_error;
  uint64_t close_frame_type;
  int close_is_app;
  int close_by_peer;
  int close_err; /* library code for the event */
  char close_reason[256];
  uint8_t close_reason_private;     /* the reason is not sent to the peer */
  uint8_t close_pending;            /* CONNECTION_CLOSE to (re)send */
  uint32_t close_rx, close_rx_next; /* packets received while closing, next answer */
  uint64_t close_sent_time;

  /* plugins attached (names for duplicate checks, owner ids for removal) */
  struct {
    char name[64];
    uint32_t owner;
  } plugins[PQ_MAX_PLUGINS];
  size_t n_plugins;
  pq_plugin_link *pl; /* bytecode plugin state (src/plugin), NULL without */

  pq_qlog *qlog;

  pquic_stats stats;
  void *user;
};

/* The path in use (the one the connection started on, until migration). */
static inline pq_path *pq_cnx_active_path(pq_cnx *cnx) {
  return &cnx->paths[cnx->active_path];
}

/* Encryption level of a space's long-header packets; 1-RTT for APP. */
static inline int pq_epoch_level(int epoch) {
  return epoch == PQ_EPOCH_INITIAL     ? PQ_CRYPTO_LEVEL_INITIAL
         : epoch == PQ_EPOCH_HANDSHAKE ? PQ_CRYPTO_LEVEL_HANDSHAKE
                                       : PQ_CRYPTO_LEVEL_1RTT;
}

static inline int pq_level_epoch(int level) {
  return level == PQ_CRYPTO_LEVEL_INITIAL     ? PQ_EPOCH_INITIAL
         : level == PQ_CRYPTO_LEVEL_HANDSHAKE ? PQ_EPOCH_HANDSHAKE
                                              : PQ_EPOCH_APP;
}

static inline int pq_cnx_closing(const pq_cnx *cnx) {
  return cnx->state >= PQ_CNX_CLOSING;
}

#endif
