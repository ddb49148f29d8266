/* The JIT's inline reads of connection fields: for pl_get_cnx(F) with a
 * constant F naming a plain member (PQ_PL_CNX_MEMBERS), the PRE loads the
 * member straight from the run's connection, guarded by F's bit in the
 * plugin's deny bitmap; a denied field takes the ordinary call, which
 * faults as always. */
#include "plugin/fields_get.h"
#include "plugin/helpers.h"

/* Where a member lies and how it widens to 64 bits. */
typedef struct member {
  uint32_t off;
  uint8_t width; /* 0: not a plain member */
  uint8_t sign;
} member;

#define MEMBER_TYPE(m) __typeof__(((pq_cnx *)0)->m)
/* Integers only (a float would convert, not load; a pointer does not
 * compile); bool counts as an unsigned byte, as C converts it. */
#define IS_INTEGER(m) ((MEMBER_TYPE(m))1.5 == 1)
#define IS_SIGNED(m) ((MEMBER_TYPE(m)) - 1 < (MEMBER_TYPE(m))1)

#define X(NAME, m)                                                                                 \
  _Static_assert(IS_INTEGER(m), #m " is an integer");                                              \
  _Static_assert(sizeof(MEMBER_TYPE(m)) == 1 || sizeof(MEMBER_TYPE(m)) == 2 ||                     \
                     sizeof(MEMBER_TYPE(m)) == 4 || sizeof(MEMBER_TYPE(m)) == 8,                   \
                 #m " has a width the JIT loads");                                                 \
  _Static_assert((F_CNX_##NAME & 0xff) < 64, #NAME " has a deny bit");
PQ_PL_CNX_MEMBERS(X)
#undef X

static const member cnx_members[64] = {
#define X(NAME, m)                                                                                 \
  [F_CNX_##NAME & 0xff] = {offsetof(pq_cnx, m), sizeof(MEMBER_TYPE(m)), IS_SIGNED(m)},
    PQ_PL_CNX_MEMBERS(X)
#undef X
};

int pq_pl_inline_get_cnx(void *user, uint64_t field, pq_bpf_inline *out) {
  const struct pquic_plugin *p = user;
  /* the guard is a byte of deny[PQ_OBJ_CNX]: bit i of a uint64_t is bit
   * i % 8 of byte i / 8 only in little-endian order */
  if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ || !p || (field >> 8) != PQ_OBJ_CNX ||
      (field & 0xff) >= 64 || !cnx_members[field & 0xff].width)
    return 0;
  const member *m = &cnx_members[field & 0xff];
  out->user_off = (int32_t)offsetof(pq_pl_run, cnx);
  out->off = (int32_t)m->off;
  out->width = m->width;
  out->sign = m->sign;
  out->guard = (const volatile uint8_t *)&p->deny[PQ_OBJ_CNX] + (field & 63) / 8;
  out->guard_mask = (uint8_t)(1u << (field & 7));
  return 1;
}
