/* org.pquic.example.fixed-cwnd: the window, and what fixed_cwnd_events
 * returns (out[0] acks seen, out[1] congestion events ignored). */
#ifndef PQUIC_PLUGIN_FIXED_CWND_H
#define PQUIC_PLUGIN_FIXED_CWND_H

#define FIXED_CWND 24000

#endif
