/*
 * monitoring_report.h - the report datagram of org.pquic.monitoring,
 * version 1: what the plugin pushes (push_message), what `pquic --monitor`
 * forwards unchanged over UDP and what pquic-monitor parses. Only
 * constants, so that the eBPF plugin and the host code share them.
 * docs/monitoring.md describes the format in prose.
 *
 * All integers are big-endian.
 *
 *   off  len  field
 *     0    4  magic "PQMR"
 *     4    1  version (1)
 *     5    1  kind: MON_KIND_*
 *     6    1  flags: MON_FLAG_*
 *     7    1  cid length, 0..20
 *     8   20  cid: the client's initial source connection ID, the one
 *             both ends see first (zero bytes after its length)
 *    28    4  seq: reports the connection pushed before this one
 *    32    8  created_us: the connection's creation time on the
 *             reporting host's clock (with cid and role, tells apart
 *             connections without a cid)
 *    40    2  number of indicators (MON_FIELDS in version 1)
 *    42    2  reserved, 0
 *    44  8*n  indicators, MON_F_* order
 */
#ifndef PQUIC_MONITORING_REPORT_H
#define PQUIC_MONITORING_REPORT_H

#define MON_MAGIC0 'P'
#define MON_MAGIC1 'Q'
#define MON_MAGIC2 'M'
#define MON_MAGIC3 'R'
#define MON_VERSION 1

#define MON_CID_MAX 20
#define MON_OFF_VERSION 4
#define MON_OFF_KIND 5
#define MON_OFF_FLAGS 6
#define MON_OFF_CID_LEN 7
#define MON_OFF_CID 8
#define MON_OFF_SEQ 28
#define MON_OFF_CREATED 32
#define MON_OFF_NFIELDS 40
#define MON_OFF_RESERVED 42
#define MON_HEADER_LEN 44

/* Report kinds. */
#define MON_KIND_HANDSHAKE 1 /* the handshake completed */
#define MON_KIND_PERIODIC 2  /* every configured interval (monitoring_configure) */
#define MON_KIND_CLOSE 3     /* the connection is over: final figures */
#define MON_KIND_REQUEST 4   /* the application asked (monitoring_report) */
#define MON_KIND_MAX 4

/* Flags. */
#define MON_FLAG_SERVER 0x01         /* reported by the server side */
#define MON_FLAG_HANDSHAKE_DONE 0x02 /* handshake complete */
#define MON_FLAG_CLOSED_BY_PEER 0x04 /* close report: the peer closed (or reset) first */
#define MON_FLAG_CID 0x08            /* the cid is known (not zero-length) */
#define MON_FLAGS_ALL 0x0f

/* Close kinds (MON_F_CLOSE_KIND), from the first step of the closing. */
#define MON_CLOSE_NONE 0        /* not closed (reports other than MON_KIND_CLOSE) */
#define MON_CLOSE_APPLICATION 1 /* this side's application closed */
#define MON_CLOSE_TRANSPORT 2   /* this side detected a transport error */
#define MON_CLOSE_PEER 3        /* the peer sent CONNECTION_CLOSE */
#define MON_CLOSE_RESET 4       /* the peer sent a stateless reset */
#define MON_CLOSE_IDLE 5        /* idle timeout after the handshake */
#define MON_CLOSE_HANDSHAKE 6   /* gave up before the handshake completed */
#define MON_CLOSE_MAX 6

/* Indicators (u64 each, in this order). Times in microseconds. */
#define MON_F_UPTIME_US 0       /* now - created */
#define MON_F_HANDSHAKE_US 1    /* handshake duration, 0 until complete */
#define MON_F_RTT_MIN_US 2      /* path in use: minimum RTT */
#define MON_F_RTT_SMOOTHED_US 3 /* smoothed RTT */
#define MON_F_RTT_VAR_US 4      /* RTT variation */
#define MON_F_RTT_LATEST_US 5   /* latest sample */
#define MON_F_BYTES_SENT 6      /* UDP payload bytes */
#define MON_F_PACKETS_SENT 7
#define MON_F_BYTES_RECEIVED 8   /* UDP payload bytes of datagrams given to the connection */
#define MON_F_PACKETS_RECEIVED 9 /* decrypted, not duplicates */
#define MON_F_LOST 10            /* packets declared lost */
#define MON_F_RETRANSMITTED 11   /* lost packets whose frames went again */
#define MON_F_OUT_OF_ORDER 12    /* received below the largest number of their space */
#define MON_F_SPURIOUS 13        /* declared lost, then acknowledged */
#define MON_F_CWND 14            /* path in use: congestion window now */
#define MON_F_CWND_MIN 15        /* smallest window sampled (0 without samples) */
#define MON_F_CWND_MAX 16        /* largest window sampled */
#define MON_F_CWND_UPDATES 17    /* window samples (cwnd_updated) */
#define MON_F_SSTHRESH 18        /* 2^64-1 until the first reduction */
#define MON_F_BYTES_IN_FLIGHT 19
#define MON_F_STREAMS_OPENED 20
#define MON_F_STREAM_BYTES_SENT 21 /* unique application bytes */
#define MON_F_STREAM_BYTES_RECEIVED 22
#define MON_F_VERSION 23    /* QUIC version */
#define MON_F_CLOSE_KIND 24 /* MON_CLOSE_* */
#define MON_F_ERROR_CODE 25 /* close report: the wire error code */
#define MON_F_FRAME_TYPE 26 /* close report, MON_CLOSE_TRANSPORT: the offending frame type */
#define MON_F_DROPPED 27    /* received packets dropped (undecryptable, duplicate...) */
#define MON_FIELDS 28

#define MON_REPORT_LEN (MON_HEADER_LEN + 8 * MON_FIELDS)

#endif
