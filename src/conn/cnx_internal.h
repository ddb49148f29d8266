/* Functions the connection's source files share that are not protocol
 * operations: plumbing (events, state, addresses), never protocol
 * behaviour a plugin could want to replace. */
#ifndef PQ_CONN_CNX_INTERNAL_H
#define PQ_CONN_CNX_INTERNAL_H

#include <sys/socket.h>

#include "conn/cnx.h"
#include "conn/endpoint.h"
#include "wire/header.h"

/* --- addresses --- */
socklen_t pq_sockaddr_len(const struct sockaddr *sa);
int pq_sockaddr_eq(const struct sockaddr *a, const struct sockaddr *b);

/* --- lifecycle (cnx_lifecycle.c) --- */
/* Server: sets a connection up from the client's first Initial header;
 * `token` describes a valid address-validation token it carried, if any. */
struct pq_token_info;
int pq_cnx_accept(pq_cnx *cnx, const pq_header *h, const struct pq_token_info *token);
/* Handles what a call into the connection left behind: an operation fault
 * closes the connection, a closed connection is freed. Returns 1 if the
 * connection was freed. */
int pq_cnx_after_call(pq_cnx *cnx);
/* The fault part of pq_cnx_after_call: never frees the connection. */
void pq_cnx_check_fault(pq_cnx *cnx);
void pq_cnx_set_state(pq_cnx *cnx, int state);
void pq_cnx_emit(pq_cnx *cnx, const pquic_event *ev);
/* Local CIDs: a fresh one with its reset token, registered at the endpoint. */
int pq_cnx_new_local_cid(pq_cnx *cnx, pq_local_cid **out);
/* The peer CID used on a path. */
const pq_cid *pq_cnx_peer_cid(pq_cnx *cnx, const pq_path *path);

/* --- paths (path.c) --- */
void pq_path_init(pq_cnx *cnx, pq_path *p, const struct sockaddr *local,
                  const struct sockaddr *remote);
/* The path of a datagram from `remote`; a server creates one for a new
 * address (migration, NAT rebinding). NULL if the datagram must be dropped. */
pq_path *pq_cnx_path_for(pq_cnx *cnx, const struct sockaddr *local, const struct sockaddr *remote);
/* After a packet was processed: a non-probing packet of the highest number
 * on another path moves the connection there (RFC 9000 9.3). */
void pq_path_after_packet(pq_cnx *cnx, pq_pkt *pkt);
/* A non-active path with PATH_CHALLENGE or PATH_RESPONSE to send. */
pq_path *pq_path_probe_pending(pq_cnx *cnx);
void pq_path_validation_failed(pq_cnx *cnx, pq_path *p);
/* Client, handshake confirmed: probe the server's preferred address. */
void pq_path_start_preferred(pq_cnx *cnx, uint64_t now);

/* --- PMTU discovery (pmtud.c) --- */
void pq_pmtud_on_sent(pq_path *path, uint32_t size);
void pq_pmtud_on_acked(pq_cnx *cnx, const pq_sent_pkt *sp);
void pq_pmtud_on_lost(pq_cnx *cnx, const pq_sent_pkt *sp);

/* --- ECN (ecn.c) --- */
/* Whether the next batch on `path` is marked ECT(0). */
int pq_ecn_mark(pq_cnx *cnx, pq_path *path, uint64_t now);
void pq_ecn_on_sent(pq_path *path, int marked);
void pq_ecn_check_testing(pq_cnx *cnx, pq_path *path, uint64_t now);

/* --- stateless reset (cid.c) --- */
void pq_cnx_stateless_reset(pq_endpoint *ep, const uint8_t *data, size_t len,
                            const struct sockaddr *local, const struct sockaddr *remote);
void pq_reset_token(const pq_endpoint *ep, const uint8_t *cid, size_t len, uint8_t token[16]);

/* After the handshake: issue the CIDs the peer accepts (cid.c). */
void pq_cid_issue_initial(pq_cnx *cnx);
/* Stops routing the CIDs the peer retired whose grace period is over at
 * `now` (UINT64_MAX: all of them). */
void pq_cid_expire_retired(pq_cnx *cnx, uint64_t now);

/* --- output (packet_out.c) --- */
int pq_cnx_output(pq_cnx *cnx, uint64_t now, uint8_t *buf, size_t cap, pquic_send_info *info);
/* Something other than timers may need sending (new data, control frames). */
int pq_cnx_has_pending(pq_cnx *cnx);

/* --- TLS (handshake.c) --- */
int pq_cnx_tls_start(pq_cnx *cnx, const char *server_name, const uint8_t *resumption,
                     size_t resumption_len);

/* --- transport parameters (transport_params.c) --- */
int pq_cnx_encode_tp(pq_cnx *cnx, uint8_t *buf, size_t cap, size_t *len);
int pq_cnx_decode_tp(pq_cnx *cnx, const uint8_t *data, size_t len);

/* --- versions (version.c) --- */
/* Versions we speak, preferred first; returns how many. */
size_t pq_ep_versions(const pq_endpoint *ep, uint32_t out[2]);
int pq_ep_version_ok(const pq_endpoint *ep, uint32_t version);
/* Server, from the client's transport parameters: switch to our preferred
 * compatible version if the client offers it. */
int pq_cnx_server_negotiate(pq_cnx *cnx, const struct pq_tp *tp);
/* Client: the server's first Initial uses `version`; follow it if it is a
 * compatible version we offered. Returns 1 if switched. */
int pq_cnx_client_follow(pq_cnx *cnx, uint32_t version);

/* --- errors --- */
/* Starts closing with a transport error (CONNECTION_CLOSE 0x1c). */
void pq_cnx_error(pq_cnx *cnx, uint64_t wire_error, uint64_t frame_type, const char *reason);

/* --- streams (streams.c) --- */
void pq_cnx_free_streams(pq_cnx *cnx);
void pq_stream_schedule(pq_cnx *cnx, pq_stream *s);
void pq_stream_unschedule(pq_cnx *cnx, pq_stream *s);
void pq_stream_ctl(pq_cnx *cnx, pq_stream *s, uint8_t flags);
void pq_stream_maybe_close(pq_cnx *cnx, pq_stream *s);
pq_stream *pq_cnx_stream(pq_cnx *cnx, uint64_t id);
pq_stream *pq_cnx_stream_new_local(pq_cnx *cnx, uint64_t id);
int pq_streams_have_pending(pq_cnx *cnx);
/* New peer limits (transport parameters) for streams already open. */
void pq_streams_apply_peer_limits(pq_cnx *cnx);
/* The level application data is written at: 1-RTT, or 0-RTT before it. */
int pq_cnx_app_write_level(const pq_cnx *cnx);
int pq_stream_do_reset(pq_cnx *cnx, pq_stream *s, uint64_t code);
/* Runs expired timers (timers.c). */
void pq_cnx_run_timers(pq_cnx *cnx, uint64_t now);
/* The peer moved to the next 1-RTT key phase with packet `pn` (keyupdate.c). */
void pq_cnx_peer_key_update(pq_cnx *cnx, uint64_t pn);
/* The AEAD for a 1-RTT packet's phase bit; *next set if it is the peer's
 * next phase (then call pq_cnx_peer_key_update once it opened). NULL if
 * no keys fit. */
pq_aead *pq_cnx_read_aead(pq_cnx *cnx, int bit, uint64_t pn, int *next);
/* Key-phase housekeeping (keyupdate.c), from the timers. */
void pq_cnx_key_timers(pq_cnx *cnx, uint64_t now);
int pq_cnx_reset_initial_keys(pq_cnx *cnx);
int pq_cnx_restart(pq_cnx *cnx, uint32_t version);

/* --- recovery (recovery.c) --- */
void pq_recovery_drop_space(pq_cnx *cnx, int epoch);
void pq_recovery_requeue_space(pq_cnx *cnx, int epoch);
uint64_t pq_cnx_pto_base(pq_cnx *cnx, const pq_path *path);
/* A sent packet the peer refused unread (rejected 0-RTT): out of flight,
 * frames sent again, not counted or signalled as a loss (recovery.c). */
void pq_recovery_refused(pq_cnx *cnx, pq_sent_pkt *p, uint64_t now);

#endif
