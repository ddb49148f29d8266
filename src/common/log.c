#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>

static pq_log_sink g_sink;
static void *g_user;
static int g_max_level = -1;

void pq_log_set_sink(pq_log_sink sink, void *user, int max_level) {
  g_sink = sink;
  g_user = user;
  g_max_level = sink ? max_level : -1;
}

int pq_log_enabled(int level) { return level <= g_max_level; }

void pq_log(int level, const char *fmt, ...) {
  if (!g_sink || level > g_max_level)
    return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  g_sink(g_user, level, msg);
}
