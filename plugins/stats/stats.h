/* org.pquic.example.stats: the counters, as stats_get returns them
 * (out[0..6]) and as the push_message payload carries them (seven
 * little-endian uint64, in this order). */
#ifndef PQUIC_PLUGIN_STATS_H
#define PQUIC_PLUGIN_STATS_H

#define STATS_COUNTERS 7

typedef struct stats_counters {
  uint64_t sent_packets, sent_bytes;         /* bytes on the wire */
  uint64_t received_packets, received_bytes; /* payload bytes after decryption */
  uint64_t lost_packets, lost_bytes;
  uint64_t reports; /* messages pushed before this one */
} stats_counters;

#endif
