/* pquic-netsim: a user-space UDP link emulator (see netsim.h, spec.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netsim.h"
#include "spec.h"

static void usage(FILE *f) {
  fputs("usage: pquic-netsim --link LISTEN=FORWARD[,key=value...] [--link ...] [OPTIONS]\n"
        "\n"
        "Relays UDP datagrams from clients at LISTEN to the server at FORWARD and\n"
        "back, through an emulated link: drop-tail queue, rate, delay, jitter,\n"
        "seeded loss. Each --link is an independent path. Addresses are numeric\n"
        "(127.0.0.1:4433, [::1]:0; listen port 0: the kernel picks, printed).\n"
        "\n"
        "Link keys (both directions; prefix up. or down. for one direction):\n"
        "  delay=TIME     one-way delay                  (10ms; default 0)\n"
        "  jitter=TIME    uniform +-jitter, order kept   (2ms; default 0)\n"
        "  rate=RATE      serialization rate             (20mbit; default unlimited)\n"
        "  queue=SIZE     drop-tail queue limit          (100kb; default 64kb)\n"
        "  overhead=N     bytes added per datagram for the rate (default 0)\n"
        "  loss=PCT       average loss                   (1%; default 0%)\n"
        "  burst=N        mean loss burst (Gilbert model when > 1; default 1)\n"
        "  reorder=PCT    datagrams held back reorder_delay (default 0%, 1ms)\n"
        "  seed=N         seed of the link's loss and jitter (default 1)\n"
        "Units: TIME ns|us|ms|s, RATE bit|kbit|mbit|gbit, SIZE b|kb|mb (1024).\n"
        "\n"
        "Options:\n"
        "  --duration S     stop after S seconds (default: run until SIGINT/SIGTERM)\n"
        "  --max-flows N    client flows per link (default 64; the least recently\n"
        "                   active is evicted when full)\n"
        "  --flow-idle S    close flows idle for S seconds (default 60)\n"
        "  --max-mem SIZE   datagram bytes held in flight (default 64mb)\n"
        "  --max-pkts N     datagrams held in flight (default 65536)\n"
        "  --spin-us US     busy-poll this long before each delivery (default 100)\n"
        "  -h, --help       this help\n"
        "\n"
        "Prints 'netsim: link N listen ADDR ...' lines and 'netsim: ready' once\n"
        "listening; on exit (and on SIGUSR1) one 'netsim: stats ...' line per link\n"
        "direction.\n",
        f);
}

static int bad(const char *opt, const char *val, const char *want) {
  fprintf(stderr, "pquic-netsim: bad %s '%s': %s\n", opt, val, want);
  return 2;
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out) {
  if (!s || s[0] < '0' || s[0] > '9')
    return -1;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end != '\0' || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  static ns_opts o;
  ns_opts_default(&o);
  static const struct option opts[] = {{"link", required_argument, NULL, 'l'},
                                       {"duration", required_argument, NULL, 'd'},
                                       {"max-flows", required_argument, NULL, 'f'},
                                       {"flow-idle", required_argument, NULL, 'i'},
                                       {"max-mem", required_argument, NULL, 'm'},
                                       {"max-pkts", required_argument, NULL, 'p'},
                                       {"spin-us", required_argument, NULL, 's'},
                                       {"realtime", no_argument, NULL, 'r'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int c;
  uint64_t v;
  char err[256];
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch (c) {
    case 'l':
      if (o.n_links == NS_MAX_LINKS) {
        fprintf(stderr, "pquic-netsim: at most %d --link options\n", NS_MAX_LINKS);
        return 2;
      }
      if (ns_link_spec_parse(optarg, &o.links[o.n_links], err, sizeof err) != 0) {
        fprintf(stderr, "pquic-netsim: --link '%s': %s\n", optarg, err);
        return 2;
      }
      o.n_links++;
      break;
    case 'd':
      if (parse_u64(optarg, 1, 86400 * 7, &v))
        return bad("--duration", optarg, "give whole seconds, 1 to 604800");
      o.duration_ns = v * 1000000000ull;
      break;
    case 'f':
      if (parse_u64(optarg, 1, 65536, &v))
        return bad("--max-flows", optarg, "give 1 to 65536");
      o.max_flows = (size_t)v;
      break;
    case 'i':
      if (parse_u64(optarg, 1, 86400, &v))
        return bad("--flow-idle", optarg, "give whole seconds, 1 to 86400");
      o.flow_idle_ns = v * 1000000000ull;
      break;
    case 'm':
      if (ns_parse_size(optarg, &v) || v < 65536)
        return bad("--max-mem", optarg, "give a size of at least 64kb, such as 256mb");
      o.max_mem = v;
      break;
    case 'p':
      if (parse_u64(optarg, 16, 1u << 24, &v))
        return bad("--max-pkts", optarg, "give 16 to 16777216");
      o.max_pkts = (size_t)v;
      break;
    case 's':
      if (parse_u64(optarg, 0, 100000, &v))
        return bad("--spin-us", optarg, "give 0 to 100000 microseconds");
      o.spin_ns = v * 1000u;
      break;
    case 'r':
      o.realtime = 1;
      break;
    case 'h':
      usage(stdout);
      return 0;
    case ':':
      fprintf(stderr, "pquic-netsim: option '%s' needs a value\n", argv[optind - 1]);
      return 2;
    default:
      fprintf(stderr, "pquic-netsim: unknown option '%s' (see --help)\n", argv[optind - 1]);
      return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "pquic-netsim: unexpected argument '%s' (see --help)\n", argv[optind]);
    return 2;
  }
  if (o.n_links == 0) {
    fprintf(stderr, "pquic-netsim: give at least one --link LISTEN=FORWARD (see --help)\n");
    return 2;
  }
  return ns_run(&o);
}
