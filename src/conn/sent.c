/* Sent-packet records. */
#include <string.h>

#include "common/alloc.h"
#include "conn/sent.h"

pq_sent_pkt *pq_sent_new(void) {
  pq_sent_pkt *sp = pq_malloc(sizeof *sp);
  if (!sp)
    return NULL;
  memset(sp, 0, offsetof(pq_sent_pkt, inline_frames));
  sp->frames = sp->inline_frames;
  sp->cap_frames = PQ_SENT_INLINE_FRAMES;
  return sp;
}

void pq_sent_free(pq_sent_pkt *sp) {
  if (!sp)
    return;
  if (sp->frames != sp->inline_frames)
    pq_free(sp->frames);
  pq_free(sp);
}

pq_sent_frame *pq_sent_add_frame(pq_sent_pkt *sp, uint64_t type) {
  if (sp->n_frames == sp->cap_frames) {
    if (sp->cap_frames >= 1024)
      return NULL;
    uint16_t cap = (uint16_t)(sp->cap_frames * 2);
    pq_sent_frame *f;
    if (sp->frames == sp->inline_frames) {
      f = pq_malloc(cap * sizeof *f);
      if (f)
        memcpy(f, sp->frames, sp->n_frames * sizeof *f);
    } else {
      f = pq_realloc(sp->frames, cap * sizeof *f);
    }
    if (!f)
      return NULL;
    sp->frames = f;
    sp->cap_frames = cap;
  }
  pq_sent_frame *f = &sp->frames[sp->n_frames++];
  memset(f, 0, sizeof *f);
  f->type = type;
  return f;
}
