// SPDX-License-Identifier: GPL-2.0
/*
 * Minimum-batch waits (struct xepoll_wait's min_events and min_wait_ns,
 * xepoll_wait_min()): the wait returns when min_events are ready, or
 * min_wait_ns after it first found an event, or at the timeout, whichever
 * comes first.
 *
 * epoll has no such wait. The `emulated` cases run on both backends,
 * comparing xepoll's wait with the same wait built from epoll_pwait2()
 * calls (gather, then wait again for the time left), on one-shot items,
 * where that emulation is exact; the other cases assert the documented
 * semantics on xepoll: timing, each item at most once per call, signals,
 * threads, edge-triggered items and the argument checks.
 *
 * Timing is asserted loosely, as in wait_test.c: never early, and late
 * only within a generous bound.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "common.h"
#include "kselftest_harness.h"

#define NFD	4
#define SLOW_MS	5000	/* a loose upper bound under emulation */

static const uint64_t one = 1;

/* Make eventfd @fd readable after @ms, from another thread. */
struct later {
	int fd[NFD];
	long ms[NFD];
	int n;
};

static void *later_thread(void *arg)
{
	struct later *l = arg;
	long slept = 0;
	int i;

	for (i = 0; i < l->n; i++) {
		msleep(l->ms[i] - slept);
		slept = l->ms[i];
		if (write(l->fd[i], &one, sizeof(one)) != sizeof(one))
			break;
	}
	return NULL;
}

/*
 * The minimum-batch wait, on either backend: xepoll's own, or on epoll
 * gathered from epoll_pwait2() calls, each for the time left.
 */
static int wait_min(const struct backend *be, int epfd, struct epoll_event *ev,
		    int maxevents, int min_events, long long min_wait_ms,
		    long timeout_ms)
{
	struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };
	long long end = now_ms() + timeout_ms, min_end = -1, left;
	int n = 0, r;

	if (be == &backend_xepoll)
		return xepoll_wait_min(epfd, ev, maxevents, min_events,
				       min_wait_ms * 1000000ULL, &ts, NULL);
	for (;;) {
		left = (min_end >= 0 && min_end < end ? min_end : end) - now_ms();
		if (left < 0)
			left = 0;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000L;
		r = epoll_pwait2(epfd, ev + n, maxevents - n, &ts, NULL);
		if (r < 0)
			return n ? n : -1;
		n += r;
		if (n >= min_events || n == maxevents || !left)
			return n;
		if (n && min_wait_ms && min_end < 0)
			min_end = now_ms() + min_wait_ms;
	}
}

FIXTURE(emulated) {
	int epfd;
	int efd[NFD];
};

FIXTURE_VARIANT(emulated) {
	const struct backend *be;
};

BACKEND_VARIANTS(emulated);

FIXTURE_SETUP(emulated)
{
	int i;

	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
	for (i = 0; i < NFD; i++) {
		self->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, self->efd[i]);
		ASSERT_EQ(0, backend_add(variant->be, self->epfd, self->efd[i],
					 EPOLLIN | EPOLLONESHOT, i));
	}
}

FIXTURE_TEARDOWN(emulated)
{
	int i;

	close(self->epfd);
	for (i = 0; i < NFD; i++)
		close(self->efd[i]);
}

/* Events arriving one by one: all min_events of them, in one call. */
TEST_F(emulated, gathers_min_events)
{
	struct later l = { .n = NFD };
	struct epoll_event ev[NFD + 2];
	unsigned int seen = 0;
	long long t0 = now_ms();
	pthread_t t;
	int i, n;

	for (i = 0; i < NFD; i++) {
		l.fd[i] = self->efd[i];
		l.ms[i] = 30 * (i + 1);
	}
	ASSERT_EQ(0, pthread_create(&t, NULL, later_thread, &l));
	n = wait_min(variant->be, self->epfd, ev, NFD + 2, NFD, 0, SLOW_MS);
	pthread_join(t, NULL);
	ASSERT_EQ(NFD, n);
	EXPECT_LE(30 * NFD, now_ms() - t0);
	for (i = 0; i < n; i++)
		seen |= 1U << ev[i].data.u64;
	EXPECT_EQ((1U << NFD) - 1, seen);
}

/* Fewer than min_events: min_wait after the first ends the wait. */
TEST_F(emulated, min_wait_after_first)
{
	struct epoll_event ev[NFD];
	long long t0, dt;
	int n;

	ASSERT_EQ(sizeof(one), write(self->efd[2], &one, sizeof(one)));
	t0 = now_ms();
	n = wait_min(variant->be, self->epfd, ev, NFD, 3, 100, SLOW_MS);
	dt = now_ms() - t0;
	ASSERT_EQ(1, n);
	EXPECT_EQ(2, ev[0].data.u64);
	EXPECT_LE(100, dt);
	EXPECT_GT(SLOW_MS, dt);
}

/* Fewer than min_events and no min_wait: the timeout ends the wait. */
TEST_F(emulated, timeout_with_fewer)
{
	struct epoll_event ev[NFD];
	long long t0 = now_ms();
	int n;

	ASSERT_EQ(sizeof(one), write(self->efd[1], &one, sizeof(one)));
	n = wait_min(variant->be, self->epfd, ev, NFD, 3, 0, 150);
	ASSERT_EQ(1, n);
	EXPECT_EQ(1, ev[0].data.u64);
	EXPECT_LE(150, now_ms() - t0);
	/* Nothing at all: 0 at the timeout. */
	t0 = now_ms();
	EXPECT_EQ(0, wait_min(variant->be, self->epfd, ev, NFD, 3, 50, 100));
	EXPECT_LE(100, now_ms() - t0);
}

/* ---- xepoll alone ---- */

FIXTURE(minwait) {
	int epfd;
	int efd[NFD];
};

FIXTURE_SETUP(minwait)
{
	int i;

	self->epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
	for (i = 0; i < NFD; i++) {
		self->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, self->efd[i]);
	}
}

FIXTURE_TEARDOWN(minwait)
{
	int i;

	close(self->epfd);
	for (i = 0; i < NFD; i++)
		close(self->efd[i]);
}

static int add(int epfd, int fd, uint32_t events, uint64_t data)
{
	return backend_add(&backend_xepoll, epfd, fd, events, data);
}

static struct timespec ms_ts(long ms)
{
	return (struct timespec){ ms / 1000, (ms % 1000) * 1000000L };
}

/*
 * A level-triggered item stays ready, yet one call reports it once; the
 * next call reports it again, as epoll would.
 */
TEST_F(minwait, level_triggered_once_per_call)
{
	struct timespec ts = ms_ts(100);
	struct epoll_event ev[NFD];

	ASSERT_EQ(0, add(self->epfd, self->efd[0], EPOLLOUT, 1));
	ASSERT_EQ(1, xepoll_wait_min(self->epfd, ev, NFD, 3, 0, &ts, NULL));
	EXPECT_EQ(1, ev[0].data.u64);
	/* Back on the ready list when the call ended. */
	ASSERT_EQ(1, xepoll_wait(self->epfd, ev, NFD, 0));
	EXPECT_EQ(1, ev[0].data.u64);
}

/* An edge-triggered item's new edge during the wait is a new event. */
TEST_F(minwait, edge_triggered_new_edge)
{
	struct later l = { .n = 1, .ms = { 50 } };
	struct timespec ts = ms_ts(SLOW_MS);
	struct epoll_event ev[NFD];
	pthread_t t;

	ASSERT_EQ(0, add(self->epfd, self->efd[0], EPOLLIN | EPOLLET, 1));
	ASSERT_EQ(sizeof(one), write(self->efd[0], &one, sizeof(one)));
	l.fd[0] = self->efd[0];
	ASSERT_EQ(0, pthread_create(&t, NULL, later_thread, &l));
	ASSERT_EQ(2, xepoll_wait_min(self->epfd, ev, NFD, 2, 0, &ts, NULL));
	pthread_join(t, NULL);
	EXPECT_EQ(1, ev[0].data.u64);
	EXPECT_EQ(1, ev[1].data.u64);
	EXPECT_EQ(0, xepoll_wait(self->epfd, ev, NFD, 0));
}

/* min_events 0 or 1: an ordinary wait, returning at the first event. */
TEST_F(minwait, one_is_plain)
{
	struct timespec ts = ms_ts(SLOW_MS);
	struct epoll_event ev[NFD];
	long long t0 = now_ms();

	ASSERT_EQ(0, add(self->epfd, self->efd[0], EPOLLOUT, 1));
	EXPECT_EQ(1, xepoll_wait_min(self->epfd, ev, NFD, 1, 1000000000ULL, &ts, NULL));
	EXPECT_EQ(1, xepoll_wait_min(self->epfd, ev, NFD, 0, 0, &ts, NULL));
	EXPECT_GT(1000, now_ms() - t0);
}

/* A full array ends the wait, whatever min_events would want. */
TEST_F(minwait, full_array_ends_wait)
{
	struct timespec ts = ms_ts(SLOW_MS);
	struct epoll_event ev[2];
	long long t0 = now_ms();
	int i;

	for (i = 0; i < NFD; i++)
		ASSERT_EQ(0, add(self->epfd, self->efd[i], EPOLLOUT, i));
	EXPECT_EQ(2, xepoll_wait_min(self->epfd, ev, 2, 2, 0, &ts, NULL));
	EXPECT_GT(1000, now_ms() - t0);
}

TEST_F(minwait, argument_checks)
{
	struct timespec ts = ms_ts(0);
	struct epoll_event ev[NFD];
	struct xepoll_wait w = {
		.events = (uintptr_t)ev, .maxevents = 2,
		.event_size = sizeof(ev[0]), .min_events = 3,
	};

	EXPECT_ERRNO(EINVAL, xepoll_wait_min(self->epfd, ev, 2, 3, 0, &ts, NULL));
	EXPECT_ERRNO(EINVAL, xepoll_wait_min(self->epfd, ev, 2, -1, 0, &ts, NULL));
	EXPECT_ERRNO(EINVAL, ioctl(self->epfd, XEPOLL_IOC_WAIT, &w));
	w.min_events = 2;
	EXPECT_EQ(0, ioctl(self->epfd, XEPOLL_IOC_WAIT, &w));
}

static volatile sig_atomic_t caught;

static void on_alarm(int sig)
{
	(void)sig;
	caught++;
}

/* A signal ends the wait with what it has; EINTR only with nothing. */
TEST_F(minwait, signal_returns_what_it_has)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value.tv_usec = 100000 };
	struct timespec ts = ms_ts(SLOW_MS);
	struct epoll_event ev[NFD];

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	caught = 0;
	ASSERT_EQ(0, add(self->epfd, self->efd[0], EPOLLIN, 1));
	ASSERT_EQ(0, add(self->epfd, self->efd[1], EPOLLIN | EPOLLONESHOT, 2));
	ASSERT_EQ(sizeof(one), write(self->efd[1], &one, sizeof(one)));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	/* The one-shot event is the caller's now: it must be returned. */
	ASSERT_EQ(1, xepoll_wait_min(self->epfd, ev, NFD, 3, 0, &ts, NULL));
	EXPECT_EQ(2, ev[0].data.u64);
	EXPECT_EQ(1, caught);

	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_ERRNO(EINTR, xepoll_wait_min(self->epfd, ev, NFD, 3, 0, &ts, NULL));
	EXPECT_EQ(2, caught);
	signal(SIGALRM, SIG_DFL);
}

struct mw_waiter {
	int epfd;
	int n;
	uint64_t data[NFD];
};

static void *mw_thread(void *arg)
{
	struct mw_waiter *w = arg;
	struct timespec ts = ms_ts(SLOW_MS);
	struct epoll_event ev[NFD];
	int i;

	w->n = xepoll_wait_min(w->epfd, ev, NFD, 2, 0, &ts, NULL);
	for (i = 0; i < w->n && i < NFD; i++)
		w->data[i] = ev[i].data.u64;
	return NULL;
}

/* Two threads in minimum-batch waits share the events, none twice. */
TEST_F(minwait, two_waiters_share)
{
	struct mw_waiter w[2] = { { .epfd = self->epfd }, { .epfd = self->epfd } };
	unsigned int seen = 0;
	pthread_t t[2];
	int i, j;

	for (i = 0; i < NFD; i++)
		ASSERT_EQ(0, add(self->epfd, self->efd[i], EPOLLIN | EPOLLONESHOT, i));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, mw_thread, &w[i]));
	msleep(100);
	for (i = 0; i < NFD; i++) {
		ASSERT_EQ(sizeof(one), write(self->efd[i], &one, sizeof(one)));
		msleep(20);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(2, w[i].n);
		for (j = 0; j < w[i].n; j++) {
			EXPECT_FALSE(seen & (1U << w[i].data[j]));
			seen |= 1U << w[i].data[j];
		}
	}
	EXPECT_EQ((1U << NFD) - 1, seen);
}

/* While a batch is held, a poller of the instance still sees it ready. */
TEST_F(minwait, ready_again_after_call)
{
	struct timespec ts = ms_ts(50);
	struct epoll_event ev[NFD];
	int outer = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, outer);
	ASSERT_EQ(0, add(self->epfd, self->efd[0], EPOLLOUT, 1));
	ASSERT_EQ(0, backend_add(&backend_epoll, outer, self->epfd, EPOLLIN, 0));
	ASSERT_EQ(1, xepoll_wait_min(self->epfd, ev, NFD, 2, 0, &ts, NULL));
	/* The level-triggered item went back: the instance is readable. */
	EXPECT_EQ(1, epoll_wait(outer, ev, NFD, 1000));
	close(outer);
}

struct mw_batch {
	int epfd;
	uint64_t min_wait_ns;
	int n;
	uint64_t data[NFD];
	long switches;	/* the waiter's voluntary context switches in the call */
};

/* A minimum-batch wait for NFD events, with the batch's min_wait. */
static void *mw_batch_thread(void *arg)
{
	struct mw_batch *b = arg;
	struct timespec ts = ms_ts(SLOW_MS);
	struct epoll_event ev[NFD];
	struct rusage r0, r1;
	int i;

	getrusage(RUSAGE_THREAD, &r0);
	b->n = xepoll_wait_min(b->epfd, ev, NFD, NFD, b->min_wait_ns, &ts, NULL);
	getrusage(RUSAGE_THREAD, &r1);
	b->switches = r1.ru_nvcsw - r0.ru_nvcsw;
	for (i = 0; i < b->n && i < NFD; i++)
		b->data[i] = ev[i].data.u64;
	return NULL;
}

/*
 * A minimum batch sleeps through the events it does not need yet: with
 * NFD events arriving one at a time, the waiter wakes for the first, which
 * starts min_wait, and for the last, not for each of them.
 */
TEST_F(minwait, sleeps_through_the_batch)
{
	struct mw_batch b = { .epfd = self->epfd };
	pthread_t t;
	int i;

	for (i = 0; i < NFD; i++)
		ASSERT_EQ(0, add(self->epfd, self->efd[i], EPOLLIN, i + 1));
	ASSERT_EQ(0, pthread_create(&t, NULL, mw_batch_thread, &b));
	for (i = 0; i < NFD; i++) {
		usleep(50000);
		ASSERT_EQ(sizeof(one), write(self->efd[i], &one, sizeof(one)));
	}
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(NFD, b.n);
	/* Asleep until the first event, then until the last: not NFD times. */
	EXPECT_LE(b.switches, 2);
}

/*
 * The events whose wake-ups a batch slept through are still its own: when
 * min_wait ends the wait, it returns them with the first.
 */
TEST_F(minwait, min_wait_returns_what_came_meanwhile)
{
	struct mw_batch b = { .epfd = self->epfd, .min_wait_ns = 600000000ULL };
	unsigned int seen = 0, sent = 0;
	pthread_t t;
	int i;

	for (i = 0; i < NFD; i++)
		ASSERT_EQ(0, add(self->epfd, self->efd[i], EPOLLIN, i + 1));
	ASSERT_EQ(0, pthread_create(&t, NULL, mw_batch_thread, &b));
	/* NFD - 1 events, 50 ms apart, well within min_wait of the first. */
	for (i = 0; i < NFD - 1; i++) {
		usleep(50000);
		ASSERT_EQ(sizeof(one), write(self->efd[i], &one, sizeof(one)));
		sent |= 1U << (i + 1);
	}
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(NFD - 1, b.n);
	for (i = 0; i < b.n; i++)
		seen |= 1U << b.data[i];
	EXPECT_EQ(sent, seen);
}

/*
 * One timed wait in a thread: xepoll's minimum-batch wait, or with @be
 * set, that backend's plain wait (for @maxevents, @timeout_ms).
 */
struct mw_timed {
	const struct backend *be;
	int epfd;
	int maxevents;
	int min_events;
	long timeout_ms;
	int n;
	long long took_ms;
	pid_t tid;
};

/* @tid tells the test whom to watch sleep. */
static void *mw_timed_thread(void *arg)
{
	struct mw_timed *w = arg;
	struct timespec ts = ms_ts(w->timeout_ms);
	struct epoll_event ev[2 * NFD];
	long long t0;

	__atomic_store_n(&w->tid, gettid(), __ATOMIC_RELAXED);
	t0 = now_ms();
	if (w->be)
		w->n = w->be->wait(w->epfd, ev, w->maxevents, w->timeout_ms);
	else
		w->n = xepoll_wait_min(w->epfd, ev, w->maxevents, w->min_events,
				       0, &ts, NULL);
	w->took_ms = now_ms() - t0;
	return NULL;
}

static pid_t mw_timed_start(pthread_t *t, struct mw_timed *w)
{
	__atomic_store_n(&w->tid, 0, __ATOMIC_RELAXED);
	if (pthread_create(t, NULL, mw_timed_thread, w))
		return 0;
	while (!__atomic_load_n(&w->tid, __ATOMIC_RELAXED))
		msleep(1);
	return w->tid;
}

/*
 * A batch waits for events, not for wake-ups. W1 holds three
 * level-triggered events and wants five; W2 holds one and wants three.
 * When W1's timeout ends its wait, its three events go back to the ready
 * list in one go, and W2, with four events ready now, must return at
 * once, not at its own timeout.
 */
TEST_F(minwait, batch_counts_events_not_wakeups)
{
	struct mw_timed w1 = { .epfd = self->epfd, .maxevents = 2 * NFD,
			       .min_events = 5, .timeout_ms = 400 };
	struct mw_timed w2 = { .epfd = self->epfd, .maxevents = 2 * NFD,
			       .min_events = 3, .timeout_ms = 8000 };
	pthread_t t1, t2;
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, add(self->epfd, self->efd[i], EPOLLIN, i + 1));
		ASSERT_EQ(sizeof(one), write(self->efd[i], &one, sizeof(one)));
	}
	ASSERT_EQ(0, add(self->epfd, self->efd[3], EPOLLIN | EPOLLET, 4));

	/* W1 takes the three and sleeps for two more. */
	ASSERT_NE(0, mw_timed_start(&t1, &w1));
	ASSERT_TRUE(wait_task_sleeping(w1.tid, 2000));
	/* W2 finds nothing and sleeps. */
	ASSERT_NE(0, mw_timed_start(&t2, &w2));
	ASSERT_TRUE(wait_task_sleeping(w2.tid, 2000));
	/* One edge: too few to wake W1, so it goes on to W2, which takes it. */
	ASSERT_EQ(sizeof(one), write(self->efd[3], &one, sizeof(one)));

	ASSERT_EQ(0, pthread_join(t1, NULL));
	EXPECT_EQ(3, w1.n);
	ASSERT_EQ(0, pthread_join(t2, NULL));
	EXPECT_EQ(4, w2.n);
	/* W2 returned with W1, not at its own timeout. */
	EXPECT_GT(3000, w2.took_ms);
}

/* ---- both backends: exclusive wake-ups and minimum batches ---- */

FIXTURE(exclusive) {
	int ep[2];
	int shared;	/* the file both instances watch exclusively */
	int own;	/* another file of ep[0]'s, ready from the start */
};

FIXTURE_VARIANT(exclusive) {
	const struct backend *be;
};

BACKEND_VARIANTS(exclusive);

FIXTURE_SETUP(exclusive)
{
	int i;

	self->shared = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->shared);
	self->own = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->own);
	for (i = 0; i < 2; i++) {
		self->ep[i] = variant->be->create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, self->ep[i]);
		/* ep[0] first: its entry is the one the wake-up meets first. */
		ASSERT_EQ(0, backend_add(variant->be, self->ep[i], self->shared,
					 EPOLLIN | EPOLLEXCLUSIVE, 10 + i));
	}
	ASSERT_EQ(0, backend_add(variant->be, self->ep[0], self->own, EPOLLIN, 1));
}

FIXTURE_TEARDOWN(exclusive)
{
	close(self->ep[0]);
	close(self->ep[1]);
	close(self->shared);
	close(self->own);
}

/*
 * An exclusive wake-up that no waiter of the first instance takes goes
 * on to the next instance. On epoll the first instance has no waiter; on
 * xepoll it has a minimum-batch waiter that holds one event and needs two
 * more, so one event is too few for it: the wake-up must not stop there.
 */
TEST_F(exclusive, declined_wakeup_goes_on)
{
	struct mw_timed batch = { .epfd = self->ep[0], .maxevents = NFD,
				  .min_events = 3, .timeout_ms = 1500 };
	struct mw_timed plain = { .be = variant->be, .epfd = self->ep[1],
				  .maxevents = NFD, .timeout_ms = 8000 };
	bool batching = variant->be == &backend_xepoll;
	pthread_t tb, tp;

	if (batching) {
		ASSERT_NE(0, mw_timed_start(&tb, &batch));
		ASSERT_TRUE(wait_task_sleeping(batch.tid, 2000));
	}
	ASSERT_NE(0, mw_timed_start(&tp, &plain));
	ASSERT_TRUE(wait_task_sleeping(plain.tid, 2000));

	ASSERT_EQ(sizeof(one), write(self->shared, &one, sizeof(one)));
	ASSERT_EQ(0, pthread_join(tp, NULL));
	EXPECT_EQ(1, plain.n);
	EXPECT_GT(1000, plain.took_ms);
	if (batching) {
		ASSERT_EQ(0, pthread_join(tb, NULL));
		/* Its own event and the shared one, at its timeout. */
		EXPECT_EQ(2, batch.n);
	}
}

TEST_HARNESS_MAIN
