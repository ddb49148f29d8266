/* org.pquic.example.hostile.op-loop: two new operations that call each
 * other. The dispatcher refuses the second call of an operation already
 * running (PQUIC_ERR_OP_LOOP). */
#include "pquic_plugin.h"

static uint64_t call(const char *op) {
  return run_protoop(pl_op_id(op), 0, NULL, 0, NULL, 0);
}

PLUGLET(loop_on_received) {
  return call("hostile_ping");
}
PLUGLET(hostile_ping) {
  return call("hostile_pong");
}
PLUGLET(hostile_pong) {
  return call("hostile_ping");
}
