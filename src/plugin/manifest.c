/* Manifest parser: one directive or pluglet per line, first error wins. */
#include "plugin/manifest.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "pquic/errors.h"
#include "wire/frame.h"

#define MAX_TOKENS 12
#define MAX_LINE 512

typedef struct tok {
  const char *p;
  size_t n;
} tok;

typedef struct parser {
  pq_manifest *mf;
  char *err;
  size_t errlen;
  uint32_t line;
  size_t cap_pluglets;
  int seen_memory, seen_cc;
} parser;

static int fail(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(parser *ps, const char *fmt, ...) {
  if (ps->err && ps->errlen) {
    int n = snprintf(ps->err, ps->errlen, "line %u: ", ps->line);
    if (n >= 0 && (size_t)n < ps->errlen) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
      va_end(ap);
    }
  }
  return PQUIC_ERR_MANIFEST;
}

static int tok_is(const tok *t, const char *s) {
  size_t n = strlen(s);
  return t->n == n && memcmp(t->p, s, n) == 0;
}

/* Copies a token into a NUL-terminated name buffer (PQ_MF_NAME_MAX + 1). */
static void tok_copy(char *dst, const tok *t) {
  memcpy(dst, t->p, t->n);
  dst[t->n] = 0;
}

static int is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Characters allowed in a token of each kind. */
static int ident_ok(const tok *t) {
  if (t->n == 0 || t->n > PQ_MF_NAME_MAX || (t->p[0] >= '0' && t->p[0] <= '9'))
    return 0;
  for (size_t i = 0; i < t->n; i++) {
    if (!is_alnum(t->p[i]) && t->p[i] != '_')
      return 0;
  }
  return 1;
}

static int object_ok(const tok *t) {
  if (t->n == 0 || t->n > PQ_MF_NAME_MAX || t->p[0] == '.' || tok_is(t, "manifest"))
    return 0;
  for (size_t i = 0; i < t->n; i++) {
    char c = t->p[i];
    if (!is_alnum(c) && c != '_' && c != '.' && c != '-')
      return 0;
  }
  return 1;
}

int pq_manifest_name_ok(const char *name) {
  size_t n = strlen(name), label = 0, labels = 0;
  if (n < 3 || n > PQ_MF_NAME_MAX)
    return 0;
  for (size_t i = 0; i <= n; i++) {
    char c = name[i];
    if (c == '.' || c == 0) {
      if (label == 0)
        return 0; /* empty label, leading or trailing dot */
      labels++;
      label = 0;
      continue;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return 0;
    label++;
  }
  return labels >= 2;
}

/* Decimal or 0x-hexadecimal, up to UINT64_MAX. */
static int parse_u64(const tok *t, uint64_t *v) {
  size_t i = 0;
  unsigned base = 10;
  if (t->n > 2 && t->p[0] == '0' && (t->p[1] == 'x' || t->p[1] == 'X')) {
    base = 16;
    i = 2;
  }
  if (i >= t->n)
    return 0;
  uint64_t x = 0;
  for (; i < t->n; i++) {
    char c = t->p[i];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = (unsigned)(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = (unsigned)(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = (unsigned)(c - 'A' + 10);
    else
      return 0;
    if (x > (UINT64_MAX - d) / base)
      return 0;
    x = x * base + d;
  }
  *v = x;
  return 1;
}

/* A size with an optional k/K (KiB) or m/M (MiB) suffix. */
static int parse_size(const tok *t, uint64_t *v) {
  tok num = *t;
  uint64_t mul = 1;
  if (num.n > 1) {
    char c = num.p[num.n - 1];
    if (c == 'k' || c == 'K')
      mul = 1024;
    else if (c == 'm' || c == 'M')
      mul = 1024 * 1024;
    if (mul != 1)
      num.n--;
  }
  uint64_t x;
  if (!parse_u64(&num, &x) || x > UINT64_MAX / mul)
    return 0;
  *v = x * mul;
  return 1;
}

static int directive_plugin(parser *ps, const tok *t, size_t n) {
  if (n != 2)
    return fail(ps, "expected `plugin NAME`");
  if (ps->mf->name[0])
    return fail(ps, "second `plugin` line");
  char name[PQ_MF_NAME_MAX + 1];
  if (t[1].n > PQ_MF_NAME_MAX)
    return fail(ps, "plugin name longer than %d characters", PQ_MF_NAME_MAX);
  tok_copy(name, &t[1]);
  if (!pq_manifest_name_ok(name))
    return fail(ps,
                "plugin name `%s` is not reverse DNS (e.g. org.example.name: lower-case labels "
                "of letters, digits, '-' or '_', separated by dots)",
                name);
  memcpy(ps->mf->name, name, sizeof name);
  return 0;
}

static int directive_memory(parser *ps, const tok *t, size_t n) {
  uint64_t v;
  if (n != 2 || !parse_size(&t[1], &v))
    return fail(ps, "expected `memory BYTES` (a number, optionally with k or m)");
  if (ps->seen_memory)
    return fail(ps, "second `memory` line");
  if (v < PQ_MF_MIN_MEMORY || v > PQ_MF_MAX_MEMORY || v % 16)
    return fail(ps, "memory must be a multiple of 16 between %u and %u bytes", PQ_MF_MIN_MEMORY,
                PQ_MF_MAX_MEMORY);
  ps->mf->memory = (uint32_t)v;
  ps->seen_memory = 1;
  return 0;
}

static int directive_cc(parser *ps, const tok *t, size_t n) {
  if (n != 2 || !(tok_is(&t[1], "yes") || tok_is(&t[1], "no")))
    return fail(ps, "expected `congestion_controlled yes|no`");
  if (ps->seen_cc)
    return fail(ps, "second `congestion_controlled` line");
  ps->mf->cc = tok_is(&t[1], "yes");
  ps->seen_cc = 1;
  return 0;
}

/* packets=initial,0rtt,handshake,1rtt */
static int parse_packets(parser *ps, const tok *t, uint8_t *props) {
  const char *p = t->p + 8, *end = t->p + t->n;
  if (p >= end)
    return fail(ps, "empty packets= list");
  while (p < end) {
    const char *comma = memchr(p, ',', (size_t)(end - p));
    tok item = {p, (size_t)((comma ? comma : end) - p)};
    if (tok_is(&item, "initial"))
      *props |= PQ_FRAME_IN_INITIAL;
    else if (tok_is(&item, "0rtt"))
      *props |= PQ_FRAME_IN_0RTT;
    else if (tok_is(&item, "handshake"))
      *props |= PQ_FRAME_IN_HANDSHAKE;
    else if (tok_is(&item, "1rtt"))
      *props |= PQ_FRAME_IN_1RTT;
    else
      return fail(ps, "unknown packet type `%.*s` (initial, 0rtt, handshake, 1rtt)", (int)item.n,
                  item.p);
    p = comma ? comma + 1 : end;
  }
  return 0;
}

static int directive_frame(parser *ps, const tok *t, size_t n) {
  pq_manifest *mf = ps->mf;
  uint64_t type;
  if (n < 2 || !parse_u64(&t[1], &type))
    return fail(ps, "expected `frame TYPE [ack_eliciting] [in_flight] [probing] [packets=...]`");
  if (type > PQ_VARINT_MAX)
    return fail(ps, "frame type does not fit a QUIC varint");
  if (pq_frame_info_get(type) && type != PQ_FT_DATAGRAM && type != PQ_FT_DATAGRAM_LEN)
    return fail(ps, "frame type 0x%llx is a built-in frame", (unsigned long long)type);
  if (pq_manifest_frame(mf, type))
    return fail(ps, "frame type 0x%llx declared twice", (unsigned long long)type);
  if (mf->n_frames == PQ_MF_MAX_FRAMES)
    return fail(ps, "more than %d frame types", PQ_MF_MAX_FRAMES);
  uint8_t props = 0, packets = 0;
  for (size_t i = 2; i < n; i++) {
    if (tok_is(&t[i], "ack_eliciting"))
      props |= PQ_FRAME_ACK_ELICITING;
    else if (tok_is(&t[i], "in_flight"))
      props |= PQ_FRAME_IN_FLIGHT;
    else if (tok_is(&t[i], "probing"))
      props |= PQ_FRAME_PROBING;
    else if (t[i].n >= 8 && memcmp(t[i].p, "packets=", 8) == 0) {
      int rc = parse_packets(ps, &t[i], &packets);
      if (rc)
        return rc;
    } else
      return fail(ps, "unknown frame property `%.*s`", (int)t[i].n, t[i].p);
  }
  if (!packets)
    packets = PQ_FRAME_IN_1RTT;
  mf->frames[mf->n_frames].type = type;
  mf->frames[mf->n_frames].props = props | packets;
  mf->n_frames++;
  return 0;
}

static int anchor_of(const tok *t) {
  if (tok_is(t, "replace"))
    return PQ_MF_REPLACE;
  if (tok_is(t, "pre"))
    return PQ_MF_PRE;
  if (tok_is(t, "post"))
    return PQ_MF_POST;
  if (tok_is(t, "external"))
    return PQ_MF_EXTERNAL;
  return -1;
}

static int object_index(parser *ps, const tok *t, uint16_t *idx) {
  pq_manifest *mf = ps->mf;
  for (size_t i = 0; i < mf->n_objects; i++) {
    if (tok_is(t, mf->objects[i])) {
      *idx = (uint16_t)i;
      return 0;
    }
  }
  if (mf->n_objects == PQ_MF_MAX_OBJECTS)
    return fail(ps, "more than %d objects", PQ_MF_MAX_OBJECTS);
  tok_copy(mf->objects[mf->n_objects], t);
  *idx = (uint16_t)mf->n_objects++;
  return 0;
}

static int exclusive(int anchor) {
  return anchor == PQ_MF_REPLACE || anchor == PQ_MF_EXTERNAL;
}

static int pluglet_line(parser *ps, const tok *t, size_t n) {
  pq_manifest *mf = ps->mf;
  pq_mf_pluglet p;
  memset(&p, 0, sizeof p);
  size_t i = 1;
  if (!ident_ok(&t[0]))
    return fail(ps, "`%.*s` is not a directive nor an operation name", (int)t[0].n, t[0].p);
  if (n >= 2 && tok_is(&t[1], "param")) {
    if (n < 3 || !parse_u64(&t[2], &p.param))
      return fail(ps, "expected a number after `param`");
    p.has_param = 1;
    i = 3;
  }
  if (n != i + 3)
    return fail(ps, "expected `OP [param N] replace|pre|post|external OBJECT FUNCTION`");
  p.anchor = anchor_of(&t[i]);
  if (p.anchor < 0)
    return fail(ps, "unknown anchor `%.*s` (replace, pre, post, external)", (int)t[i].n, t[i].p);
  if (p.anchor == PQ_MF_EXTERNAL && p.has_param)
    return fail(ps, "external operations take no parameter");
  if (!object_ok(&t[i + 1]))
    return fail(ps, "bad object name `%.*s`", (int)t[i + 1].n, t[i + 1].p);
  if (!ident_ok(&t[i + 2]))
    return fail(ps, "bad function name `%.*s`", (int)t[i + 2].n, t[i + 2].p);
  tok_copy(p.op, &t[0]);
  tok_copy(p.fn, &t[i + 2]);
  p.line = ps->line;
  for (size_t k = 0; k < mf->n_pluglets; k++) {
    const pq_mf_pluglet *q = &mf->pluglets[k];
    if (strcmp(q->op, p.op) == 0 && q->has_param != p.has_param)
      return fail(ps, "`%s` used with and without a parameter (line %u)", p.op, q->line);
    if (exclusive(p.anchor) && exclusive(q->anchor) && strcmp(q->op, p.op) == 0 &&
        q->param == p.param)
      return fail(ps, "second replace/external of `%s` (line %u)", p.op, q->line);
  }
  if (mf->n_pluglets == PQ_MF_MAX_PLUGLETS)
    return fail(ps, "more than %d pluglets", PQ_MF_MAX_PLUGLETS);
  int rc = object_index(ps, &t[i + 1], &p.obj);
  if (rc)
    return rc;
  if (mf->n_pluglets == ps->cap_pluglets) {
    size_t cap = ps->cap_pluglets ? 2 * ps->cap_pluglets : 16;
    pq_mf_pluglet *np = pq_realloc(mf->pluglets, cap * sizeof *np);
    if (!np)
      return PQUIC_ERR_NOMEM;
    mf->pluglets = np;
    ps->cap_pluglets = cap;
  }
  mf->pluglets[mf->n_pluglets++] = p;
  return 0;
}

/* Splits a line into tokens separated by blanks; `#` ends it. */
static int tokenize(parser *ps, const char *p, size_t len, tok *t, size_t *n) {
  *n = 0;
  size_t i = 0;
  while (i < len) {
    char c = p[i];
    if (c == '#')
      break;
    if (c == ' ' || c == '\t' || c == '\r') {
      i++;
      continue;
    }
    if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
      return fail(ps, "unexpected byte 0x%02x", (unsigned char)c);
    size_t start = i;
    while (i < len && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '#' &&
           (unsigned char)p[i] >= 0x20 && (unsigned char)p[i] < 0x7f)
      i++;
    if (*n == MAX_TOKENS)
      return fail(ps, "too many words");
    t[*n].p = p + start;
    t[*n].n = i - start;
    (*n)++;
  }
  return 0;
}

static int parse_line(parser *ps, const char *p, size_t len) {
  tok t[MAX_TOKENS];
  size_t n;
  if (len > MAX_LINE)
    return fail(ps, "line longer than %d bytes", MAX_LINE);
  int rc = tokenize(ps, p, len, t, &n);
  if (rc || n == 0)
    return rc;
  for (size_t i = 0; i < n; i++) {
    if (t[i].n > PQ_MF_NAME_MAX && !(i == 0 && tok_is(&t[0], "frame")))
      return fail(ps, "word longer than %d characters", PQ_MF_NAME_MAX);
  }
  if (tok_is(&t[0], "plugin"))
    return directive_plugin(ps, t, n);
  if (tok_is(&t[0], "memory"))
    return directive_memory(ps, t, n);
  if (tok_is(&t[0], "congestion_controlled"))
    return directive_cc(ps, t, n);
  if (tok_is(&t[0], "frame"))
    return directive_frame(ps, t, n);
  return pluglet_line(ps, t, n);
}

void pq_manifest_free(pq_manifest *mf) {
  if (!mf)
    return;
  pq_free(mf->pluglets);
  memset(mf, 0, sizeof *mf);
}

const pq_mf_frame *pq_manifest_frame(const pq_manifest *mf, uint64_t type) {
  for (size_t i = 0; i < mf->n_frames; i++) {
    if (mf->frames[i].type == type)
      return &mf->frames[i];
  }
  return NULL;
}

int pq_manifest_parse(const char *text, size_t len, pq_manifest *mf, char *err, size_t errlen) {
  memset(mf, 0, sizeof *mf);
  parser ps = {mf, err, errlen, 0, 0, 0, 0};
  mf->memory = PQ_MF_DEFAULT_MEMORY;
  mf->cc = 1;
  if (err && errlen)
    err[0] = 0;
  if (!text || len > PQ_MF_MAX_TEXT) {
    ps.line = 0;
    return fail(&ps, "manifest missing or larger than %u bytes", PQ_MF_MAX_TEXT);
  }
  size_t i = 0;
  int rc = 0;
  while (i < len && !rc) {
    const char *nl = memchr(text + i, '\n', len - i);
    size_t end = nl ? (size_t)(nl - text) : len;
    ps.line++;
    rc = parse_line(&ps, text + i, end - i);
    i = end + 1;
  }
  if (!rc && !mf->name[0]) {
    ps.line = 1;
    rc = fail(&ps, "no `plugin NAME` line");
  }
  if (!rc && mf->n_pluglets == 0) {
    ps.line = ps.line ? ps.line : 1;
    rc = fail(&ps, "no pluglets (lines `OP [param N] ANCHOR OBJECT FUNCTION`)");
  }
  if (rc)
    pq_manifest_free(mf);
  return rc;
}
