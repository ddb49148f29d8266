/* What the inputs of each core operation are (handles, buffers, spaces),
 * read once from the core list's argument strings, and which core
 * operations a pluglet may run itself. */
#include <pthread.h>
#include <string.h>

#include "ops/ops.h"
#include "plugin/plugin_int.h"

static pq_pl_opkinds kinds[PQ_OP_CORE_COUNT];
static pthread_once_t kinds_once = PTHREAD_ONCE_INIT;

/* Core operations a pluglet may call through pl_run_protoop: queries and
 * self-contained steps whose inputs are handles or values the host checks.
 * Everything that only makes sense inside the core's own sequence (packet
 * processing and building, frame handlers, acknowledgement processing,
 * key installation, closing) is not here. */
static const uint32_t callable[] = {
    PQ_OP_decode_packet_number,
    PQ_OP_should_send_ack,
    PQ_OP_predict_header_length,
    PQ_OP_compute_spin_bit,
    PQ_OP_select_sending_path,
    PQ_OP_check_amplification_limit,
    PQ_OP_update_rtt,
    PQ_OP_compute_pto,
    PQ_OP_set_loss_detection_timer,
    PQ_OP_cc_init,
    PQ_OP_cc_on_congestion_event,
    PQ_OP_cc_on_persistent_congestion,
    PQ_OP_cc_on_spurious_congestion,
    PQ_OP_cc_available,
    PQ_OP_pacing_next_send_time,
    PQ_OP_update_max_data,
    PQ_OP_update_max_stream_data,
    PQ_OP_check_blocked,
    PQ_OP_update_idle_timer,
    PQ_OP_next_wake_time,
    PQ_OP_validate_path,
    PQ_OP_pmtu_probe_size,
    PQ_OP_initiate_key_update,
    /* events: only observers run */
    PQ_OP_packet_received,
    PQ_OP_packet_sent,
    PQ_OP_packet_acked,
    PQ_OP_packet_lost,
    PQ_OP_spurious_loss,
    PQ_OP_rtt_updated,
    PQ_OP_cwnd_updated,
    PQ_OP_stream_opened,
    PQ_OP_stream_closed,
    PQ_OP_pmtu_updated,
    PQ_OP_path_validated,
};

static int kind_of(const char *type, size_t tn, const char *name, size_t nn) {
#define IS(s) (tn == sizeof(s) - 1 && memcmp(type, s, tn) == 0)
#define NAME(s) (nn == sizeof(s) - 1 && memcmp(name, s, nn) == 0)
  if (IS("pq_pkt *"))
    return PQ_PK_PKT;
  if (IS("pq_opkt *"))
    return PQ_PK_OPKT;
  if (IS("pq_path *"))
    return PQ_PK_PATH;
  if (IS("pq_sent_pkt *"))
    return PQ_PK_SENT;
  if (IS("pq_sent_frame *"))
    return PQ_PK_FRAME;
  if (IS("pq_stream *"))
    return PQ_PK_STREAM;
  if (IS("const uint8_t *"))
    return PQ_PK_RBUF;
  if (IS("uint8_t *"))
    return PQ_PK_WBUF;
  if (IS("uint64_t") && NAME("epoch"))
    return PQ_PK_EPOCH;
  if (IS("uint64_t") && NAME("level"))
    return PQ_PK_LEVEL;
  if (IS("uint64_t") || IS("size_t"))
    return PQ_PK_VAL;
  return PQ_PK_OTHER;
#undef IS
#undef NAME
}

/* "pq_pkt * pkt, const uint8_t * data, size_t len" */
static void parse_inputs(const char *s, pq_pl_opkinds *k) {
  k->n = 0;
  while (*s && k->n < PQUIC_OP_MAX_ARGS) {
    const char *end = strstr(s, ", ");
    size_t len = end ? (size_t)(end - s) : strlen(s);
    size_t sp = len;
    while (sp > 0 && s[sp - 1] != ' ')
      sp--;
    size_t tn = sp > 0 ? sp - 1 : 0;
    int kind = kind_of(s, tn, s + sp, len - sp);
    /* A buffer is a buffer only with its length right after it. */
    if (kind == PQ_PK_RBUF || kind == PQ_PK_WBUF) {
      const char *next = end ? end + 2 : "";
      if (strncmp(next, "size_t ", 7) != 0)
        kind = PQ_PK_OTHER;
    } else if (k->n > 0 && (k->kind[k->n - 1] == PQ_PK_RBUF || k->kind[k->n - 1] == PQ_PK_WBUF)) {
      kind = PQ_PK_LEN;
    }
    k->kind[k->n++] = (uint8_t)kind;
    if (!end)
      break;
    s = end + 2;
  }
}

static void init_kinds(void) {
  for (uint32_t id = 0; id < PQ_OP_CORE_COUNT; id++)
    parse_inputs(pq_op_core_info(id)->inputs, &kinds[id]);
  for (size_t i = 0; i < sizeof callable / sizeof callable[0]; i++) {
    pq_pl_opkinds *k = &kinds[callable[i]];
    int ok = 1;
    for (uint8_t j = 0; j < k->n; j++)
      ok &= k->kind[j] != PQ_PK_OTHER && k->kind[j] != PQ_PK_RBUF && k->kind[j] != PQ_PK_WBUF;
    k->callable = (uint8_t)ok;
  }
}

const pq_pl_opkinds *pq_pl_op_kinds(uint32_t op_id) {
  if (op_id >= PQ_OP_CORE_COUNT)
    return NULL;
  (void)pthread_once(&kinds_once, init_kinds);
  return &kinds[op_id];
}
