/*
 * Plugin manifests (docs/plugins.md): a line-oriented text naming the
 * plugin, its options, the frame types it adds and where each pluglet
 * attaches:
 *
 *   plugin org.pquic.example.stats
 *   memory 65536
 *   congestion_controlled yes
 *   frame 0x3f5e ack_eliciting in_flight packets=1rtt
 *   packet_sent post stats.o on_sent
 *   process_frame param 0x3f5e replace ping.o process_ping
 *
 * `#` starts a comment; blank lines are ignored. The parser never reads
 * past the text it is given and reports the first error with its line.
 */
#ifndef PQ_PLUGIN_MANIFEST_H
#define PQ_PLUGIN_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#define PQ_MF_NAME_MAX 63 /* plugin, object, function and op names */
#define PQ_MF_MAX_PLUGLETS 256
#define PQ_MF_MAX_OBJECTS 16
#define PQ_MF_MAX_FRAMES 16
#define PQ_MF_DEFAULT_MEMORY (64u * 1024u)
#define PQ_MF_MIN_MEMORY (16u * 1024u)
#define PQ_MF_MAX_MEMORY (16u * 1024u * 1024u)
#define PQ_MF_MAX_TEXT (64u * 1024u)

/* Anchors, numbered as pquic_anchor. */
enum { PQ_MF_REPLACE = 0, PQ_MF_PRE = 1, PQ_MF_POST = 2, PQ_MF_EXTERNAL = 3 };

/* Frame placement: every plugin frame goes after ACK, control and CRYPTO
 * frames and before STREAM data (the only position today). */
typedef struct pq_mf_frame {
  uint64_t type;
  uint8_t props; /* PQ_FRAME_* of wire/frame.h */
} pq_mf_frame;

typedef struct pq_mf_pluglet {
  char op[PQ_MF_NAME_MAX + 1];
  int has_param;
  uint64_t param;
  int anchor;   /* PQ_MF_* */
  uint16_t obj; /* index in pq_manifest.objects */
  char fn[PQ_MF_NAME_MAX + 1];
  uint32_t line;
} pq_mf_pluglet;

typedef struct pq_manifest {
  char name[PQ_MF_NAME_MAX + 1];
  uint32_t memory; /* bytes of the instance region */
  int cc;          /* reserved frames are congestion controlled */
  size_t n_objects;
  char objects[PQ_MF_MAX_OBJECTS][PQ_MF_NAME_MAX + 1]; /* first-use order */
  size_t n_frames;
  pq_mf_frame frames[PQ_MF_MAX_FRAMES];
  size_t n_pluglets;
  pq_mf_pluglet *pluglets; /* pq_malloc'd */
} pq_manifest;

/* Parses `text` (len bytes, no NUL needed) into *mf. On error fills `err`
 * with "line N: what is wrong" and returns PQUIC_ERR_MANIFEST (or NOMEM);
 * *mf is then empty. Free with pq_manifest_free. */
int pq_manifest_parse(const char *text, size_t len, pq_manifest *mf, char *err, size_t errlen);
void pq_manifest_free(pq_manifest *mf);

/* 1 if `name` is a valid reverse-DNS plugin name: at least two labels of
 * [a-z0-9-] (and '_'), separated by dots, 3..63 characters. */
int pq_manifest_name_ok(const char *name);

/* The properties declared for frame `type`, or NULL. */
const pq_mf_frame *pq_manifest_frame(const pq_manifest *mf, uint64_t type);

#endif
