/* Parsing of --link values and their units. */
#include "spec.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pquic/errors.h"

#define SPEC_MAX 1024

typedef struct unit {
  const char *name;
  double scale;
} unit;

static const unit time_units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {NULL, 0}};
static const unit rate_units[] = {
    {"bit", 1}, {"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9}, {NULL, 0}};
static const unit size_units[] = {{"b", 1},       {"k", 1024},     {"kb", 1024},     {"kib", 1024},
                                  {"m", 1048576}, {"mb", 1048576}, {"mib", 1048576}, {NULL, 0}};

/* A non-negative decimal number followed by a unit from the table (the unit
 * may be omitted only for zero). The result is value * scale, rounded, and
 * must not exceed max. */
static int parse_scaled(const char *s, const unit *units, double max, uint64_t *out) {
  if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.'))
    return PQUIC_ERR_INVAL;
  char *end;
  double v = strtod(s, &end);
  if (end == s || !isfinite(v) || v < 0)
    return PQUIC_ERR_INVAL;
  double scale = 0;
  if (*end == '\0') {
    if (v != 0)
      return PQUIC_ERR_INVAL;
    scale = 1;
  } else {
    for (const unit *u = units; u->name; u++)
      if (strcasecmp(end, u->name) == 0)
        scale = u->scale;
    if (scale == 0)
      return PQUIC_ERR_INVAL;
  }
  double r = v * scale;
  if (r > max)
    return PQUIC_ERR_INVAL;
  *out = (uint64_t)llround(r);
  return 0;
}

int ns_parse_time(const char *s, uint64_t *ns) {
  return parse_scaled(s, time_units, 3600e9, ns); /* at most an hour */
}

int ns_parse_rate(const char *s, uint64_t *bps) {
  return parse_scaled(s, rate_units, 1e12, bps);
}

int ns_parse_size(const char *s, uint64_t *bytes) {
  return parse_scaled(s, size_units, 1073741824.0, bytes);
}

int ns_parse_percent(const char *s, double *fraction) {
  if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.'))
    return PQUIC_ERR_INVAL;
  char *end;
  double v = strtod(s, &end);
  if (end == s || strcmp(end, "%") != 0 || !isfinite(v) || v < 0 || v > 100)
    return PQUIC_ERR_INVAL;
  *fraction = v / 100.0;
  return 0;
}

int ns_parse_addr(const char *s, struct sockaddr_storage *out) {
  char host[INET6_ADDRSTRLEN + 2];
  const char *port;
  size_t hl;
  if (!s)
    return PQUIC_ERR_INVAL;
  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    if (!close || close[1] != ':')
      return PQUIC_ERR_INVAL;
    hl = (size_t)(close - s - 1);
    if (hl == 0 || hl >= sizeof host)
      return PQUIC_ERR_INVAL;
    memcpy(host, s + 1, hl);
    port = close + 2;
  } else {
    const char *colon = strrchr(s, ':');
    if (!colon || strchr(s, ':') != colon)
      return PQUIC_ERR_INVAL;
    hl = (size_t)(colon - s);
    if (hl == 0 || hl >= sizeof host)
      return PQUIC_ERR_INVAL;
    memcpy(host, s, hl);
    port = colon + 1;
  }
  host[hl] = '\0';
  if (!isdigit((unsigned char)port[0]))
    return PQUIC_ERR_INVAL;
  char *end;
  unsigned long p = strtoul(port, &end, 10);
  if (*end != '\0' || p > 65535)
    return PQUIC_ERR_INVAL;
  memset(out, 0, sizeof *out);
  struct sockaddr_in *in4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
  if (s[0] != '[' && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)p);
    return 0;
  }
  if (s[0] == '[' && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)p);
    return 0;
  }
  return PQUIC_ERR_INVAL;
}

static uint16_t addr_port(const struct sockaddr_storage *ss) {
  if (ss->ss_family == AF_INET)
    return ntohs(((const struct sockaddr_in *)ss)->sin_port);
  return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

void ns_dir_params_default(ns_dir_params *p) {
  memset(p, 0, sizeof *p);
  p->queue_bytes = NS_DEFAULT_QUEUE;
  p->reorder_delay_ns = NS_DEFAULT_REORDER_DELAY_NS;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return PQUIC_ERR_INVAL;
}

/* Applies key=value to one direction. */
static int set_param(ns_dir_params *p, const char *key, const char *val, char *err, size_t errlen) {
  int rc = PQUIC_ERR_INVAL;
  const char *what = "";
  if (strcmp(key, "delay") == 0) {
    rc = ns_parse_time(val, &p->delay_ns);
    what = "a time such as 10ms";
  } else if (strcmp(key, "jitter") == 0) {
    rc = ns_parse_time(val, &p->jitter_ns);
    what = "a time such as 2ms";
  } else if (strcmp(key, "reorder_delay") == 0) {
    rc = ns_parse_time(val, &p->reorder_delay_ns);
    what = "a time such as 1ms";
  } else if (strcmp(key, "rate") == 0) {
    rc = ns_parse_rate(val, &p->rate_bps);
    what = "a rate such as 20mbit (bit, kbit, mbit, gbit)";
  } else if (strcmp(key, "queue") == 0) {
    rc = ns_parse_size(val, &p->queue_bytes);
    what = "a size such as 64kb (b, kb, mb)";
  } else if (strcmp(key, "overhead") == 0) {
    char *end = NULL;
    unsigned long v = val && isdigit((unsigned char)val[0]) ? strtoul(val, &end, 10) : 70000;
    if (v <= 65535 && end && (*end == '\0' || strcasecmp(end, "b") == 0)) {
      p->overhead = v;
      rc = 0;
    }
    what = "a number of bytes up to 65535";
  } else if (strcmp(key, "loss") == 0) {
    rc = ns_parse_percent(val, &p->loss);
    if (rc == 0 && p->loss >= 1.0)
      rc = PQUIC_ERR_INVAL;
    what = "a percentage below 100%, such as 1%";
  } else if (strcmp(key, "reorder") == 0) {
    rc = ns_parse_percent(val, &p->reorder);
    what = "a percentage such as 1%";
  } else if (strcmp(key, "burst") == 0) {
    char *end = NULL;
    double b = val && isdigit((unsigned char)val[0]) ? strtod(val, &end) : -1;
    if (b >= 1 && b <= 1e6 && end && *end == '\0') {
      p->burst = b;
      rc = 0;
    }
    what = "a mean burst length in packets, >= 1";
  } else {
    return fail(err, errlen, "unknown key '%s'", key);
  }
  if (rc != 0)
    return fail(err, errlen, "bad %s '%s': give %s", key, val, what);
  return 0;
}

static int parse_seed(const char *val, uint64_t *seed) {
  if (!val || !isdigit((unsigned char)val[0]))
    return PQUIC_ERR_INVAL;
  char *end;
  unsigned long long v = strtoull(val, &end, 10);
  if (*end != '\0')
    return PQUIC_ERR_INVAL;
  *seed = v;
  return 0;
}

/* One pass over the key=value tokens: plain keys (both directions) when
 * `pass` is 0, direction-prefixed keys when it is 1. */
static int apply_keys(char *keys, int pass, ns_link_spec *out, char *err, size_t errlen) {
  char *save = NULL;
  for (char *tok = strtok_r(keys, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(tok, '=');
    if (!eq || eq == tok || eq[1] == '\0')
      return fail(err, errlen, "'%s' is not key=value", tok);
    *eq = '\0';
    const char *key = tok, *val = eq + 1;
    int dir = -1;
    if (strncmp(key, "up.", 3) == 0) {
      dir = NS_UP;
      key += 3;
    } else if (strncmp(key, "down.", 5) == 0) {
      dir = NS_DOWN;
      key += 5;
    }
    int rc = 0;
    if (strcmp(key, "seed") == 0) {
      if (dir >= 0)
        return fail(err, errlen, "seed applies to the whole link, not one direction");
      if (pass == 0 && parse_seed(val, &out->seed) != 0)
        return fail(err, errlen, "bad seed '%s': give a decimal integer", val);
    } else if (pass == 0 && dir < 0) {
      rc = set_param(&out->dir[NS_UP], key, val, err, errlen);
      if (rc == 0)
        rc = set_param(&out->dir[NS_DOWN], key, val, err, errlen);
    } else if (pass == 1 && dir >= 0) {
      rc = set_param(&out->dir[dir], key, val, err, errlen);
    } else if (pass == 0) {
      /* Validate prefixed keys in the first pass too, so an error names the
       * first bad token whatever its kind. */
      ns_dir_params scratch;
      ns_dir_params_default(&scratch);
      rc = set_param(&scratch, key, val, err, errlen);
    }
    if (rc != 0)
      return rc;
  }
  return 0;
}

int ns_link_spec_parse(const char *text, ns_link_spec *out, char *err, size_t errlen) {
  if (err && errlen)
    err[0] = '\0';
  if (!text || !out)
    return fail(err, errlen, "missing link description");
  size_t n = strlen(text);
  if (n >= SPEC_MAX)
    return fail(err, errlen, "link description longer than %d characters", SPEC_MAX - 1);
  char buf[SPEC_MAX], keys0[SPEC_MAX], keys1[SPEC_MAX];
  memcpy(buf, text, n + 1);
  memset(out, 0, sizeof *out);
  out->seed = 1;
  ns_dir_params_default(&out->dir[NS_UP]);
  ns_dir_params_default(&out->dir[NS_DOWN]);

  char *comma = strchr(buf, ',');
  keys0[0] = '\0';
  if (comma) {
    *comma = '\0';
    memcpy(keys0, comma + 1, strlen(comma + 1) + 1);
  }
  char *eq = strchr(buf, '=');
  if (!eq)
    return fail(err, errlen, "'%s' is not LISTEN=FORWARD", buf);
  *eq = '\0';
  if (ns_parse_addr(buf, &out->listen) != 0)
    return fail(err, errlen, "bad listen address '%s': give IP:PORT or [IPv6]:PORT", buf);
  if (ns_parse_addr(eq + 1, &out->forward) != 0)
    return fail(err, errlen, "bad forward address '%s': give IP:PORT or [IPv6]:PORT", eq + 1);
  if (addr_port(&out->forward) == 0)
    return fail(err, errlen, "forward address '%s' needs a port", eq + 1);

  memcpy(keys1, keys0, sizeof keys1);
  int rc = apply_keys(keys0, 0, out, err, errlen);
  if (rc == 0)
    rc = apply_keys(keys1, 1, out, err, errlen);
  return rc;
}

static void fmt_time(uint64_t ns, char *b, size_t n) {
  if (ns % 1000000 == 0)
    snprintf(b, n, "%llums", (unsigned long long)(ns / 1000000));
  else if (ns % 1000 == 0)
    snprintf(b, n, "%lluus", (unsigned long long)(ns / 1000));
  else
    snprintf(b, n, "%lluns", (unsigned long long)ns);
}

void ns_dir_params_format(const ns_dir_params *p, char *buf, size_t len) {
  char d[32], j[32], rate[32];
  fmt_time(p->delay_ns, d, sizeof d);
  fmt_time(p->jitter_ns, j, sizeof j);
  if (p->rate_bps == 0)
    snprintf(rate, sizeof rate, "unlimited");
  else if (p->rate_bps % 1000000 == 0)
    snprintf(rate, sizeof rate, "%llumbit", (unsigned long long)(p->rate_bps / 1000000));
  else if (p->rate_bps % 1000 == 0)
    snprintf(rate, sizeof rate, "%llukbit", (unsigned long long)(p->rate_bps / 1000));
  else
    snprintf(rate, sizeof rate, "%llubit", (unsigned long long)p->rate_bps);
  snprintf(buf, len, "delay=%s jitter=%s rate=%s queue=%llub loss=%g%% burst=%g reorder=%g%%", d, j,
           rate, (unsigned long long)p->queue_bytes, p->loss * 100.0, p->burst > 1 ? p->burst : 1.0,
           p->reorder * 100.0);
}
