/* Endpoint input the server and the client handle alike. */
#include "app_endpoint.h"

#include "app_plugins.h"

void app_endpoint_input(pquic_endpoint *ep, const pq_datagram *d, size_t n, uint64_t now) {
  for (size_t i = 0; i < n; i++)
    pquic_endpoint_input(ep, d[i].data, d[i].len, d[i].local, d[i].remote, d[i].ecn, now);
}

int app_endpoint_event(const pquic_event *ev, sidvec *closed, int *dirty) {
  switch (ev->type) {
  case PQUIC_EVENT_STREAM_CLOSED:
    if (sidvec_push(closed, (int64_t)ev->stream_id) == 0)
      *dirty = 1;
    return 1;
  case PQUIC_EVENT_OP_FAULT:
    app_plugins_report_fault(ev);
    return 1;
  default:
    return 0;
  }
}
