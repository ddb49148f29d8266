/* pquic cert: a self-signed certificate and key for tests and demos. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "crypto/tls.h"

static void usage(FILE *f) {
  fputs("usage: pquic cert --cert FILE --key FILE [--host NAME]\n"
        "\n"
        "Writes a throwaway self-signed ECDSA P-256 certificate for NAME (a DNS\n"
        "name or an IP address; default localhost), valid for a year, and its\n"
        "private key (mode 0600), both PEM. For tests and demos only: clients\n"
        "must be given it with --ca, or run with --insecure.\n"
        "\n"
        "  --cert FILE   where to write the certificate\n"
        "  --key FILE    where to write the private key\n"
        "  --host NAME   subject alternative name (default localhost)\n",
        f);
}

int cmd_cert(int argc, char **argv) {
  static const struct option opts[] = {{"cert", required_argument, NULL, 'c'},
                                       {"key", required_argument, NULL, 'k'},
                                       {"host", required_argument, NULL, 'H'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *cert = NULL, *key = NULL, *host = "localhost";
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch (c) {
    case 'c':
      cert = optarg;
      break;
    case 'k':
      key = optarg;
      break;
    case 'H':
      host = optarg;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      return option_error("cert", c, argv);
    }
  }
  if (optind < argc)
    return usage_fail("cert", "unexpected argument '%s'", argv[optind]);
  if (!cert || !key)
    return usage_fail("cert", "--cert and --key are required");
  int rc = pq_tls_make_self_signed(cert, key, host);
  if (rc)
    return fail("cannot write certificate '%s' and key '%s': %s", cert, key, pquic_strerror(rc));
  return 0;
}
