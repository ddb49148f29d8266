/* A pluglet calling a helper the host does not have: loading fails. */
#include "pquic_plugin.h"

extern uint64_t pl_open_socket(uint64_t port);

PLUGLET(sneaky) {
  return pl_open_socket(80);
}
