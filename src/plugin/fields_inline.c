/* The JIT's inline reads of connection and path fields: for pl_get_cnx(F)
 * and pl_get_path(h, F) with a constant F naming a plain member
 * (PQ_PL_CNX_MEMBERS, PQ_PL_PATH_MEMBERS), the PRE loads the member
 * straight from the run's connection or the path h (checked to be one of
 * the connection's), guarded by F's bit in the plugin's deny bitmap; a
 * denied field or a bad handle takes the ordinary call, which faults as
 * always. */
#include "plugin/fields_get.h"
#include "plugin/helpers.h"

/* Where a member lies and how it widens to 64 bits. */
typedef struct member {
  uint32_t off;
  uint8_t width; /* 0: not a plain member */
  uint8_t sign;
} member;

#define MEMBER_TYPE(T, m) __typeof__(((T *)0)->m)
/* Integers only (a float would convert, not load; a pointer does not
 * compile); bool counts as an unsigned byte, as C converts it. */
#define IS_INTEGER(T, m) ((MEMBER_TYPE(T, m))1.5 == 1)
#define IS_SIGNED(T, m) ((MEMBER_TYPE(T, m))(-1) < (MEMBER_TYPE(T, m))1)

/* Members of type T loaded as they are: integers of 1, 2, 4 or 8 bytes
 * with a deny bit. */
#define CHECK(T, OBJ, NAME, m)                                                                     \
  _Static_assert(IS_INTEGER(T, m), #m " is an integer");                                           \
  _Static_assert(sizeof(MEMBER_TYPE(T, m)) == 1 || sizeof(MEMBER_TYPE(T, m)) == 2 ||               \
                     sizeof(MEMBER_TYPE(T, m)) == 4 || sizeof(MEMBER_TYPE(T, m)) == 8,             \
                 #m " has a width the JIT loads");                                                 \
  _Static_assert((F_##OBJ##_##NAME & 0xff) < 64, #NAME " has a deny bit");
#define ENTRY(T, OBJ, NAME, m)                                                                     \
  [F_##OBJ##_##NAME & 0xff] = {offsetof(T, m), sizeof(MEMBER_TYPE(T, m)), IS_SIGNED(T, m)},

#define X(NAME, m) CHECK(pq_cnx, CNX, NAME, m)
PQ_PL_CNX_MEMBERS(X)
#undef X
#define X(NAME, m) CHECK(pq_path, PATH, NAME, m)
PQ_PL_PATH_MEMBERS(X)
#undef X

static const member cnx_members[64] = {
#define X(NAME, m) ENTRY(pq_cnx, CNX, NAME, m)
    PQ_PL_CNX_MEMBERS(X)
#undef X
};

static const member path_members[64] = {
#define X(NAME, m) ENTRY(pq_path, PATH, NAME, m)
    PQ_PL_PATH_MEMBERS(X)
#undef X
};

/* The part common to both: the member and the field's deny bit. */
static int member_read(const struct pquic_plugin *p, const member *table, int obj, uint64_t field,
                       pq_bpf_inline *out) {
  /* the guard is a byte of deny[obj]: bit i of a uint64_t is bit i % 8 of
   * byte i / 8 only in little-endian order */
  if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ || !p || (field >> 8) != (uint64_t)obj ||
      (field & 0xff) >= 64 || !table[field & 0xff].width)
    return 0;
  const member *m = &table[field & 0xff];
  out->user_off = (int32_t)offsetof(pq_pl_run, cnx);
  out->off = (int32_t)m->off;
  out->width = m->width;
  out->sign = m->sign;
  out->guard = (const volatile uint8_t *)&p->deny[obj] + (field & 63) / 8;
  out->guard_mask = (uint8_t)(1u << (field & 7));
  return 1;
}

int pq_pl_inline_get_cnx(void *user, const uint64_t r[2], unsigned known, pq_bpf_inline *out) {
  return (known & 1) && member_read(user, cnx_members, PQ_OBJ_CNX, r[0], out);
}

/* The handle check is pq_pl_path_inline's: an element of the embedded
 * array below n_paths. */
_Static_assert(sizeof(((pq_cnx *)0)->n_paths) == 4, "the count the JIT compares is 32 bits");
_Static_assert((uint64_t)sizeof(pq_path) * PQ_MAX_PATHS < (1u << 31), "paths span under 2^31");

int pq_pl_inline_get_path(void *user, const uint64_t r[2], unsigned known, pq_bpf_inline *out) {
  if (!(known & 2) || !member_read(user, path_members, PQ_OBJ_PATH, r[1], out))
    return 0;
  out->elem_size = sizeof(pq_path);
  out->max_count = PQ_MAX_PATHS;
  out->array_off = (int32_t)offsetof(pq_cnx, paths);
  out->count_off = (int32_t)offsetof(pq_cnx, n_paths);
  return 1;
}
