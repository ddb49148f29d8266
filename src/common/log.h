/*
 * Library logging: silent unless the application installs a sink. Messages
 * are for people debugging; machine-readable traces are qlog's job.
 */
#ifndef PQ_COMMON_LOG_H
#define PQ_COMMON_LOG_H

enum pq_log_level { PQ_LOG_ERROR = 0, PQ_LOG_WARN, PQ_LOG_INFO, PQ_LOG_DEBUG };

typedef void (*pq_log_sink)(void *user, int level, const char *msg);

void pq_log_set_sink(pq_log_sink sink, void *user, int max_level);
int pq_log_enabled(int level);
void pq_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define PQ_LOG(level, ...)                                                     \
  do {                                                                         \
    if (pq_log_enabled(level))                                                 \
      pq_log(level, __VA_ARGS__);                                              \
  } while (0)

#endif
