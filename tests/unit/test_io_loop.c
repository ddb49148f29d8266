/* The event loop: the timer follows next_wake, datagrams are delivered,
 * blocked output is retried (EPOLLOUT for EAGAIN, the timer for ENOBUFS),
 * other descriptors and socket errors reach their callbacks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <cmocka.h>

#include "io/loop.h"
#include "io_test.h"
#include "pquic/errors.h"

typedef struct ctx {
  pq_loop *loop;
  uint64_t deadline;    /* what next_wake answers */
  uint64_t serviced_at; /* first service at or after the deadline */
  size_t services;
  size_t datagrams;
  uint8_t first[16];
  int errors, last_error;
  int fd_calls;
  size_t stop_after_datagrams;
  pq_udp *out; /* socket on_service queues `out_msg` on, once */
  struct sockaddr_storage out_to;
  int out_queued;
} ctx;

static void on_datagrams(void *user, pq_udp *u, const pq_datagram *d, size_t n, uint64_t now) {
  ctx *c = user;
  (void)u;
  (void)now;
  for (size_t i = 0; i < n; i++) {
    if (c->datagrams < sizeof c->first)
      c->first[c->datagrams] = d[i].len ? d[i].data[0] : 0;
    c->datagrams++;
  }
  if (c->stop_after_datagrams && c->datagrams >= c->stop_after_datagrams)
    pq_loop_stop(c->loop);
}

static void on_service(void *user, uint64_t now) {
  ctx *c = user;
  c->services++;
  if (c->deadline != UINT64_MAX && now >= c->deadline && !c->serviced_at) {
    c->serviced_at = now;
    c->deadline = UINT64_MAX;
    if (!c->stop_after_datagrams)
      pq_loop_stop(c->loop);
  }
  if (c->out && !c->out_queued) {
    const uint8_t msg[] = {42, 1, 2, 3};
    assert_int_equal(
        pq_udp_tx_push(c->out, msg, sizeof msg, 0, (struct sockaddr *)&c->out_to, NULL, 0), 0);
    c->out_queued = 1;
    pq_udp_flush(c->out);
  }
}

static uint64_t next_wake(void *user) {
  return ((ctx *)user)->deadline;
}

static void on_error(void *user, pq_udp *u, int err) {
  ctx *c = user;
  (void)u;
  c->errors++;
  c->last_error = err;
  pq_loop_stop(c->loop);
}

static const pq_loop_cbs cbs = {on_datagrams, on_service, next_wake, on_error};

static void test_new_errors(void **state) {
  (void)state;
  pq_loop *l = NULL;
  pq_loop_cbs none = {0};
  assert_int_equal(pq_loop_new(&l, &none, NULL), PQUIC_ERR_INVAL);
  assert_int_equal(pq_loop_new(&l, NULL, NULL), PQUIC_ERR_INVAL);
  assert_int_equal(pq_loop_new(NULL, &cbs, NULL), PQUIC_ERR_INVAL);
  assert_int_equal(pq_loop_new(&l, &cbs, NULL), 0);
  pq_udp closed = {.fd = -1};
  assert_int_equal(pq_loop_add_udp(l, &closed), PQUIC_ERR_INVAL);
  assert_int_equal(pq_loop_add_fd(l, -1, NULL, NULL), PQUIC_ERR_INVAL);
  pq_loop_free(l);
  pq_loop_free(NULL);
}

static void test_timer_follows_next_wake(void **state) {
  (void)state;
  ctx c = {0};
  assert_int_equal(pq_loop_new(&c.loop, &cbs, &c), 0);
  uint64_t start = pq_now_us();
  c.deadline = start + 20000;
  uint64_t want = c.deadline;
  assert_int_equal(pq_loop_run(c.loop), 0);
  /* Serviced no earlier than asked, and woken by the timer to do it. */
  assert_true(c.serviced_at >= want);
  pq_loop_stats st;
  pq_loop_get_stats(c.loop, &st);
  assert_true(st.immediate_rounds >= 1); /* the first round does not wait */
  assert_true(st.timer_fires >= 1);      /* then the deadline */
  assert_int_equal(st.services, c.services);
  /* No other wake-ups: the deadline is the only reason to run. */
  assert_true(st.rounds <= 4);
  pq_loop_free(c.loop);
}

/* The timer moves only when it must: deadlines drifting later by
 * microseconds keep it, an earlier deadline or one more than a millisecond
 * later moves it, a deadline already reached needs no timer. Deadlines are
 * seconds ahead so that the timer never fires during the test. */
static void test_timer_rearmed_only_when_needed(void **state) {
  (void)state;
  ctx c = {.serviced_at = 1}; /* on_service leaves the deadline alone */
  assert_int_equal(pq_loop_new(&c.loop, &cbs, &c), 0);
  uint64_t base = pq_now_us() + 5000000;
  pq_loop_stats st;
  for (int i = 0; i < 20; i++) {
    c.deadline = base + (uint64_t)i * 10;
    assert_int_equal(pq_loop_run_once(c.loop, 0), 0);
  }
  pq_loop_get_stats(c.loop, &st);
  assert_int_equal(st.timer_arms, 1);
  c.deadline = base - 100; /* earlier */
  assert_int_equal(pq_loop_run_once(c.loop, 0), 0);
  pq_loop_get_stats(c.loop, &st);
  assert_int_equal(st.timer_arms, 2);
  c.deadline = base + 5000; /* 5 ms later */
  assert_int_equal(pq_loop_run_once(c.loop, 0), 0);
  pq_loop_get_stats(c.loop, &st);
  assert_int_equal(st.timer_arms, 3);
  c.deadline = UINT64_MAX; /* no deadline any more: disarmed */
  assert_int_equal(pq_loop_run_once(c.loop, 0), 0);
  pq_loop_get_stats(c.loop, &st);
  assert_int_equal(st.timer_arms, 4);
  /* A deadline already reached: the next round does not wait, even with
   * no timeout limit, and no timer is set for it. */
  c.deadline = 1;
  assert_int_equal(pq_loop_run_once(c.loop, 0), 0);
  c.deadline = UINT64_MAX;
  uint64_t before = st.immediate_rounds;
  assert_int_equal(pq_loop_run_once(c.loop, -1), 0);
  pq_loop_get_stats(c.loop, &st);
  assert_int_equal(st.timer_arms, 4);
  assert_int_equal(st.immediate_rounds, before + 1);
  pq_loop_free(c.loop);
}

static void test_deadline_in_the_past_runs_at_once(void **state) {
  (void)state;
  ctx c = {0};
  assert_int_equal(pq_loop_new(&c.loop, &cbs, &c), 0);
  c.deadline = 1; /* long gone */
  assert_int_equal(pq_loop_run(c.loop), 0);
  assert_true(c.serviced_at > 0);
  pq_loop_free(c.loop);
}

static void test_datagrams_delivered(void **state) {
  (void)state;
  ctx c = {.deadline = UINT64_MAX, .stop_after_datagrams = 3};
  pq_udp rx, tx;
  struct sockaddr_storage a = io_addr("127.0.0.1", 0);
  assert_int_equal(pq_udp_open(&rx, (struct sockaddr *)&a, NULL), 0);
  assert_int_equal(pq_udp_open(&tx, (struct sockaddr *)&a, NULL), 0);
  assert_int_equal(pq_loop_new(&c.loop, &cbs, &c), 0);
  assert_int_equal(pq_loop_add_udp(c.loop, &rx), 0);
  for (uint8_t i = 1; i <= 3; i++) {
    uint8_t d[64];
    memset(d, i, sizeof d);
    assert_int_equal(pq_udp_tx_push(&tx, d, sizeof d, 0, (struct sockaddr *)&rx.local, NULL, 0), 0);
  }
  assert_int_equal(pq_udp_flush(&tx), 0);
  assert_int_equal(pq_loop_run(c.loop), 0);
  assert_int_equal(c.datagrams, 3);
  assert_int_equal(c.first[0], 1);
  assert_int_equal(c.first[2], 3);
  pq_loop_stats st;
  pq_loop_get_stats(c.loop, &st);
  assert_true(st.rx_batches >= 1);
  /* Short batches end a round's reading: no recvmmsg came back empty. */
  assert_int_equal(rx.rx_calls, st.rx_batches);
  pq_loop_free(c.loop);
  pq_udp_close(&rx);
  pq_udp_close(&tx);
}

/* A scripted first answer from the kernel, then the real sendmmsg. */
static int fail_once(int fd, struct mmsghdr *msgs, unsigned n, int flags, void *user) {
  int *err = user;
  if (*err) {
    errno = *err;
    *err = 0;
    return -1;
  }
  return sendmmsg(fd, msgs, n, flags);
}

/* Output blocked in on_service goes out later without the application
 * doing anything: on EPOLLOUT after EAGAIN, on the timer after ENOBUFS. */
static void blocked_output(int err) {
  ctx c = {.deadline = UINT64_MAX, .stop_after_datagrams = 1};
  pq_udp rx, tx;
  struct sockaddr_storage a = io_addr("127.0.0.1", 0);
  assert_int_equal(pq_udp_open(&rx, (struct sockaddr *)&a, NULL), 0);
  assert_int_equal(pq_udp_open(&tx, (struct sockaddr *)&a, NULL), 0);
  int script = err;
  tx.send_hook = fail_once;
  tx.send_hook_user = &script;
  c.out = &tx;
  memcpy(&c.out_to, &rx.local, sizeof rx.local);
  assert_int_equal(pq_loop_new(&c.loop, &cbs, &c), 0);
  assert_int_equal(pq_loop_add_udp(c.loop, &rx), 0);
  assert_int_equal(pq_loop_add_udp(c.loop, &tx), 0);
  assert_int_equal(pq_loop_run(c.loop), 0);
  assert_int_equal(c.datagrams, 1);
  assert_int_equal(c.first[0], 42);
  assert_int_equal(script, 0);      /* the failure happened */
  assert_int_equal(tx.tx_calls, 2); /* and one retry sent it */
  assert_int_equal(pq_udp_tx_pending(&tx), 0);
  assert_int_equal(tx.tx_dropped, 0);
  pq_loop_free(c.loop);
  pq_udp_close(&rx);
  pq_udp_close(&tx);
}

static void test_eagain_retried_on_writable(void **state) {
  (void)state;
  blocked_output(EAGAIN);
}

static void test_enobufs_retried_on_timer(void **state) {
  (void)state;
  blocked_output(ENOBUFS);
}

static void on_fd(void *user, int fd, uint64_t now) {
  ctx *c = user;
  (void)now;
  uint64_t v;
  assert_int_equal(read(fd, &v, sizeof v), sizeof v);
  assert_int_equal(v, 5);
  c->fd_calls++;
  pq_loop_stop(c->loop);
}

static void test_other_fd(void **state) {
  (void)state;
  ctx c = {.deadline = UINT64_MAX};
  int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  assert_true(efd >= 0);
  assert_int_equal(pq_loop_new(&c.loop, &cbs, &c), 0);
  assert_int_equal(pq_loop_add_fd(c.loop, efd, on_fd, &c), 0);
  uint64_t v = 5;
  assert_int_equal(write(efd, &v, sizeof v), sizeof v);
  assert_int_equal(pq_loop_run(c.loop), 0);
  assert_int_equal(c.fd_calls, 1);
  pq_loop_free(c.loop);
  close(efd);
}

static void test_socket_error_reported(void **state) {
  (void)state;
  ctx c = {.deadline = UINT64_MAX};
  pq_udp dead, u;
  struct sockaddr_storage a = io_addr("127.0.0.1", 0);
  assert_int_equal(pq_udp_open(&dead, (struct sockaddr *)&a, NULL), 0);
  struct sockaddr_storage peer = io_addr("127.0.0.1", io_port(&dead.local));
  pq_udp_close(&dead);
  assert_int_equal(pq_udp_open(&u, (struct sockaddr *)&a, NULL), 0);
  assert_int_equal(pq_udp_connect(&u, (struct sockaddr *)&peer), 0);
  assert_int_equal(pq_loop_new(&c.loop, &cbs, &c), 0);
  assert_int_equal(pq_loop_add_udp(c.loop, &u), 0);
  uint8_t d[8] = {0};
  assert_int_equal(pq_udp_tx_push(&u, d, sizeof d, 0, (struct sockaddr *)&peer, NULL, 0), 0);
  assert_int_equal(pq_udp_flush(&u), 0);
  assert_int_equal(pq_loop_run(c.loop), 0);
  assert_int_equal(c.errors, 1);
  assert_int_equal(c.last_error, ECONNREFUSED);
  pq_loop_free(c.loop);
  pq_udp_close(&u);
}

static void test_source_limit(void **state) {
  (void)state;
  ctx c = {.deadline = UINT64_MAX};
  assert_int_equal(pq_loop_new(&c.loop, &cbs, &c), 0);
  int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  int fds[PQ_LOOP_MAX_SOURCES];
  for (int i = 0; i < PQ_LOOP_MAX_SOURCES; i++) {
    fds[i] = dup(efd);
    assert_int_equal(pq_loop_add_fd(c.loop, fds[i], on_fd, &c), 0);
  }
  assert_int_equal(pq_loop_add_fd(c.loop, efd, on_fd, &c), PQUIC_ERR_LIMIT);
  pq_loop_free(c.loop);
  for (int i = 0; i < PQ_LOOP_MAX_SOURCES; i++)
    close(fds[i]);
  close(efd);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_new_errors),
      cmocka_unit_test(test_timer_follows_next_wake),
      cmocka_unit_test(test_timer_rearmed_only_when_needed),
      cmocka_unit_test(test_deadline_in_the_past_runs_at_once),
      cmocka_unit_test(test_datagrams_delivered),
      cmocka_unit_test(test_eagain_retried_on_writable),
      cmocka_unit_test(test_enobufs_retried_on_timer),
      cmocka_unit_test(test_other_fd),
      cmocka_unit_test(test_socket_error_reported),
      cmocka_unit_test(test_source_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
