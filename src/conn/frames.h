/* Handlers of the built-in frames, called by the default process_frame and
 * notify_frame operations (frames.c) and implemented by the file of the
 * concern each frame belongs to. */
#ifndef PQ_CONN_FRAMES_H
#define PQ_CONN_FRAMES_H

#include "conn/cnx.h"
#include "conn/packet.h"
#include "wire/frame.h"

/* Properties (PQ_FRAME_* of wire/frame.h) of a frame type, built-in or
 * registered by a plugin; 0 if the type is unknown. */
int pq_cnx_frame_props(pq_cnx *cnx, uint64_t type, uint8_t *props);

/* ack.c */
void pq_ack_on_frame(pq_cnx *cnx, pq_pkt *pkt, const pq_ack_frame *ack, int with_ecn);
void pq_ack_on_our_ack_acked(pq_cnx *cnx, int epoch, uint64_t largest);

/* streams.c */
void pq_stream_on_stream(pq_cnx *cnx, pq_pkt *pkt, const pq_stream_frame *f);
void pq_stream_on_reset(pq_cnx *cnx, uint64_t id, uint64_t code, uint64_t final_size);
void pq_stream_on_stop(pq_cnx *cnx, uint64_t id, uint64_t code);
void pq_stream_on_max_stream_data(pq_cnx *cnx, uint64_t id, uint64_t max);
void pq_stream_on_stream_data_blocked(pq_cnx *cnx, uint64_t id, uint64_t limit);
void pq_stream_on_max_streams(pq_cnx *cnx, int uni, uint64_t max);
void pq_stream_on_streams_blocked(pq_cnx *cnx, int uni, uint64_t limit);
void pq_stream_on_sent_fate(pq_cnx *cnx, const pq_sent_frame *sf, int fate);

/* flow.c */
void pq_flow_on_max_data(pq_cnx *cnx, uint64_t max);
void pq_flow_on_data_blocked(pq_cnx *cnx, uint64_t limit);

/* cid.c */
void pq_cid_on_new(pq_cnx *cnx, const pq_new_cid_frame *f);
void pq_cid_on_retire(pq_cnx *cnx, pq_pkt *pkt, uint64_t seq);

/* control.c */
void pq_control_write_path_frames(pq_cnx *cnx, pq_opkt *o);

/* path.c */
void pq_path_on_challenge(pq_cnx *cnx, pq_pkt *pkt, const uint8_t data[8]);
void pq_path_on_response(pq_cnx *cnx, pq_pkt *pkt, const uint8_t data[8]);

/* close.c */
void pq_close_on_frame(pq_cnx *cnx, const pq_close_frame *f, int app);

#endif
