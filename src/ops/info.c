/* Descriptions of the core operations, from core_ops.def. */
#include "ops/ops.h"

#define PQ_ISPARAM_NP 0
#define PQ_ISPARAM_P 1
#define PQ_ISEVENT_DEFAULT 0
#define PQ_ISEVENT_EVENT 1

static const pquic_op_info core_info[PQ_OP_CORE_COUNT] = {
#define PQ_OP(name, kind, dflt, cat, args, outs, outdoc, contract)                                 \
  {#name, PQ_ISPARAM_##kind, PQ_ISEVENT_##dflt, #cat, PQ_DOC_##args, outdoc, contract},
#include "ops/core_ops.def"
#undef PQ_OP
};

const pquic_op_info *pq_op_core_info(uint32_t id) {
  return id < PQ_OP_CORE_COUNT ? &core_info[id] : NULL;
}

size_t pquic_ops_list(const pquic_op_info **ops) {
  if (ops)
    *ops = core_info;
  return PQ_OP_CORE_COUNT;
}
