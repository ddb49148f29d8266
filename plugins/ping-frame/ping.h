/* org.pquic.example.ping-frame: frame types, and what ping_stats returns
 * (out[0..6]) and each pushed message carries (two little-endian uint64:
 * sequence, round-trip time in microseconds). */
#ifndef PQUIC_PLUGIN_PING_H
#define PQUIC_PLUGIN_PING_H

#define PING_FRAME 0x3f50
#define PONG_FRAME 0x3f51
#define PING_FRAME_LEN 18 /* 2-byte type, sequence, timestamp */

typedef struct ping_stats {
  uint64_t pings_sent, pongs_received; /* as the pinging side */
  uint64_t pings_received, pongs_sent; /* as the answering side */
  uint64_t frames_lost, frames_acked, last_rtt;
} ping_stats;

typedef struct ping_message {
  uint64_t seq, rtt_us;
} ping_message;

#endif
