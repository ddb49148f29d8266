/* Pluglets for the plugin layer's unit tests; each test writes a manifest
 * naming the ones it needs. */
#include "pquic_plugin.h"

PLUGLET(nop) {
  return 0;
}
