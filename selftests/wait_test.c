// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting: epoll_wait(), epoll_pwait() and epoll_pwait2()'s argument
 * checks, timeouts, signal masks and interruptions, and how ready events
 * are handed out across waits.
 *
 * Timing is asserted loosely: a timed-out wait must not end before its
 * timeout, and must end within a generous bound, so that the tests hold
 * under slow emulation.
 *
 * Every case runs against native epoll and against xepoll (backend.h),
 * but those of the xwait fixture at the end: struct xepoll_wait's own
 * fields, which epoll has no call to express.
 * tests.list runs this file as root and as an unprivileged user.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/time_types.h>
#include <linux/xepoll.h>

#include "backend.h"
#include "kselftest_harness.h"

#define EV(x)		((uint32_t)(x))

/* Longer than anything should take, even emulated; waits end earlier. */
#define LONG_MS		10000
/* A loose upper bound for a wait that should end after a short timeout. */
#define SLOW_NS		(20LL * 1000 * 1000 * 1000)

/* An address beyond user space: access_ok() refuses it. */
#define KERNEL_PTR	((struct epoll_event *)(~0UL - 4095))

FIXTURE(wait) {
	int epfd;
	int p[2];
};

FIXTURE_VARIANT(wait) {
	const struct backend *be;
};

BACKEND_VARIANTS(wait);

FIXTURE_SETUP(wait)
{
	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd) TH_LOG("%s create1: %s", variant->be->name,
					 strerror(errno));
	ASSERT_EQ(0, pipe2(self->p, O_CLOEXEC));
}

FIXTURE_TEARDOWN(wait)
{
	close(self->epfd);
	close(self->p[0]);
	close(self->p[1]);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static volatile sig_atomic_t handled;

static void on_signal(int sig)
{
	(void)sig;
	handled++;
}

static void install_handler(int sig, int flags)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	handled = 0;
}

static void block(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static int is_blocked(int sig)
{
	sigset_t cur;

	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, sig);
}

static int is_pending(int sig)
{
	sigset_t set;

	sigpending(&set);
	return sigismember(&set, sig);
}

/* A process timer sending @sig after @ms, then every @ms. */
static int arm_signal_timer(timer_t *t, int sig, long ms)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_SIGNAL,
		.sigev_signo = sig,
	};
	struct itimerspec its = {
		.it_value.tv_sec = ms / 1000,
		.it_value.tv_nsec = (ms % 1000) * 1000000L,
		.it_interval.tv_sec = ms / 1000,
		.it_interval.tv_nsec = (ms % 1000) * 1000000L,
	};

	if (timer_create(CLOCK_MONOTONIC, &sev, t))
		return -1;
	return timer_settime(*t, 0, &its, NULL);
}

TEST_F(wait, maxevents_invalid)
{
	const struct backend *be = variant->be;
	struct timespec zero = { 0 };
	struct epoll_event ev;
	int too_many = (int)(INT_MAX / sizeof(struct epoll_event)) + 1;

	EXPECT_ERRNO(EINVAL, be->wait(self->epfd, &ev, 0, 0));
	EXPECT_ERRNO(EINVAL, be->wait(self->epfd, &ev, -1, 0));
	EXPECT_ERRNO(EINVAL, be->wait(self->epfd, &ev, INT_MIN, 0));
	EXPECT_ERRNO(EINVAL, be->wait(self->epfd, &ev, too_many, 0));
	EXPECT_ERRNO(EINVAL, be->wait(self->epfd, &ev, INT_MAX, 0));
	EXPECT_ERRNO(EINVAL, be->pwait(self->epfd, &ev, 0, 0, NULL));
	EXPECT_ERRNO(EINVAL, be->pwait2(self->epfd, &ev, 0, &zero, NULL));
	EXPECT_ERRNO(EINVAL, be->pwait2(self->epfd, &ev, too_many, &zero, NULL));
	/* maxevents is checked before the events pointer. */
	EXPECT_ERRNO(EINVAL, be->wait(self->epfd, KERNEL_PTR, 0, 0));
}

/* The largest maxevents is accepted (the buffer is only written as needed). */
TEST_F(wait, maxevents_largest_ok)
{
	const struct backend *be = variant->be;
	int most = (int)(INT_MAX / sizeof(struct epoll_event));
	struct epoll_event *evs;

	/* A mapping of that size is not needed: nothing is written. */
	evs = malloc(sizeof(*evs));
	ASSERT_NE(NULL, evs);
	EXPECT_EQ(0, be->wait(self->epfd, evs, most, 0));
	free(evs);
}

TEST_F(wait, efault_events)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;

	/* Outside user space: EFAULT even with nothing ready. */
	EXPECT_ERRNO(EFAULT, be->wait(self->epfd, KERNEL_PTR, 1, 0));
	EXPECT_ERRNO(EFAULT, be->wait(self->epfd, KERNEL_PTR, 1, LONG_MS));

	/* Unmapped: EFAULT when an event is to be written... */
	ASSERT_EQ(0, backend_add(be, self->epfd, self->p[1], EPOLLOUT | EPOLLET, 7));
	EXPECT_ERRNO(EFAULT, be->wait(self->epfd, (struct epoll_event *)1, 1, 0));
	EXPECT_ERRNO(EFAULT, be->wait(self->epfd, NULL, 4, LONG_MS));
	/* ... and the event is not lost, even edge-triggered. */
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, be->wait(self->epfd, &ev, 1, 0));
	EXPECT_EQ(EV(EPOLLOUT), ev.events);
	EXPECT_EQ(7, ev.data.u64);
	EXPECT_EQ(0, be->wait(self->epfd, &ev, 1, 0));
}

TEST_F(wait, ebadf_einval_epfd)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;

	EXPECT_ERRNO(EBADF, be->wait(-1, &ev, 1, 0));
	EXPECT_ERRNO(EINVAL, be->wait(self->p[0], &ev, 1, 0));
	EXPECT_ERRNO(EINVAL, be->pwait(self->p[0], &ev, 1, 0, NULL));
	EXPECT_ERRNO(EINVAL, be->pwait2(self->p[0], &ev, 1, NULL, NULL));
}

TEST_F(wait, timeout_zero_returns_at_once)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int64_t t0 = now_ns();

	ASSERT_EQ(0, backend_add(be, self->epfd, self->p[0], EPOLLIN, 1));
	EXPECT_EQ(0, be->wait(self->epfd, &ev, 1, 0));
	EXPECT_EQ(0, be->pwait(self->epfd, &ev, 1, 0, NULL));
	EXPECT_GT(SLOW_NS, now_ns() - t0);
}

TEST_F(wait, timeout_positive)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int64_t t0, dt;

	ASSERT_EQ(0, backend_add(be, self->epfd, self->p[0], EPOLLIN, 1));
	t0 = now_ns();
	EXPECT_EQ(0, be->wait(self->epfd, &ev, 1, 150));
	dt = now_ns() - t0;
	EXPECT_LE(150LL * 1000000, dt);
	EXPECT_GT(SLOW_NS, dt);
}

/* A positive timeout with an event ready returns the event at once. */
TEST_F(wait, timeout_ready_returns_at_once)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int64_t t0 = now_ns();

	ASSERT_EQ(0, backend_add(be, self->epfd, self->p[1], EPOLLOUT, 1));
	EXPECT_EQ(1, be->wait(self->epfd, &ev, 1, INT_MAX));
	EXPECT_EQ(1, be->wait(self->epfd, &ev, 1, -1));
	EXPECT_GT(SLOW_NS, now_ns() - t0);
}

/* -1 waits for as long as it takes, here until a timer expires. */
TEST_F(wait, timeout_infinite)
{
	const struct backend *be = variant->be;
	struct itimerspec its = { .it_value.tv_nsec = 100 * 1000 * 1000 };
	struct epoll_event ev;
	int64_t t0, dt;
	int tfd;

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	ASSERT_LE(0, tfd);
	ASSERT_EQ(0, backend_add(be, self->epfd, tfd, EPOLLIN, 5));
	t0 = now_ns();
	ASSERT_EQ(0, timerfd_settime(tfd, 0, &its, NULL));
	ASSERT_EQ(1, be->wait(self->epfd, &ev, 1, -1));
	dt = now_ns() - t0;
	EXPECT_EQ(5, ev.data.u64);
	EXPECT_LE(100LL * 1000000, dt);
	close(tfd);
}

TEST_F(wait, pwait2_timespec)
{
	const struct backend *be = variant->be;
	struct itimerspec its = { .it_value.tv_nsec = 100 * 1000 * 1000 };
	struct timespec zero = { 0 };
	struct timespec t150 = { .tv_nsec = 150 * 1000 * 1000 };
	struct epoll_event ev;
	int64_t t0, dt;
	int tfd;

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	ASSERT_LE(0, tfd);
	ASSERT_EQ(0, backend_add(be, self->epfd, tfd, EPOLLIN, 5));

	/* Zero: a poll. */
	t0 = now_ns();
	EXPECT_EQ(0, be->pwait2(self->epfd, &ev, 1, &zero, NULL));
	EXPECT_GT(SLOW_NS, now_ns() - t0);

	/* Positive: returns 0 no earlier than the timeout. */
	t0 = now_ns();
	EXPECT_EQ(0, be->pwait2(self->epfd, &ev, 1, &t150, NULL));
	dt = now_ns() - t0;
	EXPECT_LE(150LL * 1000000, dt);
	EXPECT_GT(SLOW_NS, dt);

	/* NULL: for ever, until the timer. */
	t0 = now_ns();
	ASSERT_EQ(0, timerfd_settime(tfd, 0, &its, NULL));
	ASSERT_EQ(1, be->pwait2(self->epfd, &ev, 1, NULL, NULL));
	EXPECT_LE(100LL * 1000000, now_ns() - t0);
	EXPECT_EQ(5, ev.data.u64);
	close(tfd);
}

TEST_F(wait, pwait2_invalid_timespec)
{
	const struct backend *be = variant->be;
	struct timespec big = { .tv_nsec = 1000000000L };
	struct timespec neg_nsec = { .tv_nsec = -1 };
	struct timespec neg_sec = { .tv_sec = -1 };
	struct epoll_event ev;

	EXPECT_ERRNO(EINVAL, be->pwait2(self->epfd, &ev, 1, &big, NULL));
	EXPECT_ERRNO(EINVAL, be->pwait2(self->epfd, &ev, 1, &neg_nsec, NULL));
	EXPECT_ERRNO(EINVAL, be->pwait2(self->epfd, &ev, 1, &neg_sec, NULL));
	EXPECT_ERRNO(EFAULT, be->pwait2(self->epfd, &ev, 1,
					(struct timespec *)1, NULL));
	/* The timeout is checked before maxevents. */
	EXPECT_ERRNO(EINVAL, be->pwait2(self->epfd, &ev, 0, &big, NULL));
	EXPECT_ERRNO(EFAULT, be->pwait2(self->epfd, &ev, 0,
					(struct timespec *)1, NULL));
	/* Even with an event ready. */
	ASSERT_EQ(0, backend_add(be, self->epfd, self->p[1], EPOLLOUT, 1));
	EXPECT_ERRNO(EINVAL, be->pwait2(self->epfd, &ev, 1, &big, NULL));
}

/* A bad signal mask address is EFAULT, checked before maxevents. */
TEST_F(wait, pwait_bad_sigmask)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;

	EXPECT_ERRNO(EFAULT, be->pwait(self->epfd, &ev, 1, 0, (sigset_t *)1));
	EXPECT_ERRNO(EFAULT, be->pwait(self->epfd, &ev, 0, 0, (sigset_t *)1));
	EXPECT_ERRNO(EFAULT, be->pwait2(self->epfd, &ev, 1, NULL, (sigset_t *)1));
}

/*
 * epoll_pwait()'s mask is installed for the wait only: a signal blocked
 * outside and pending is delivered during the wait, which it interrupts,
 * and the caller's mask is back afterwards.
 */
TEST_F(wait, pwait_sigmask_pending_interrupts)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	sigset_t empty;

	install_handler(SIGUSR1, 0);
	block(SIGUSR1);
	raise(SIGUSR1);
	ASSERT_TRUE(is_pending(SIGUSR1));
	ASSERT_EQ(0, handled);

	sigemptyset(&empty);
	EXPECT_ERRNO(EINTR, be->pwait(self->epfd, &ev, 1, LONG_MS, &empty));
	EXPECT_EQ(1, handled);
	EXPECT_TRUE(is_blocked(SIGUSR1));
	EXPECT_FALSE(is_pending(SIGUSR1));
}

TEST_F(wait, pwait2_sigmask_pending_interrupts)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	sigset_t empty;

	install_handler(SIGUSR1, 0);
	block(SIGUSR1);
	raise(SIGUSR1);
	sigemptyset(&empty);
	EXPECT_ERRNO(EINTR, be->pwait2(self->epfd, &ev, 1, NULL, &empty));
	EXPECT_EQ(1, handled);
	EXPECT_TRUE(is_blocked(SIGUSR1));
}

/* A signal that arrives during the wait, blocked outside it. */
TEST_F(wait, pwait_sigmask_signal_during_wait)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	sigset_t empty;
	timer_t t;

	install_handler(SIGUSR2, 0);
	block(SIGUSR2);
	ASSERT_EQ(0, arm_signal_timer(&t, SIGUSR2, 100));
	sigemptyset(&empty);
	EXPECT_ERRNO(EINTR, be->pwait(self->epfd, &ev, 1, -1, &empty));
	timer_delete(t);
	EXPECT_LE(1, handled);
	EXPECT_TRUE(is_blocked(SIGUSR2));
}

/* A mask that blocks the signal keeps it pending through the wait. */
TEST_F(wait, pwait_sigmask_blocks)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	sigset_t mask;

	install_handler(SIGUSR1, 0);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	/* Unblocked outside, blocked during the wait. */
	raise(SIGUSR1);
	ASSERT_EQ(1, handled);
	block(SIGUSR1);
	raise(SIGUSR1);
	EXPECT_EQ(0, be->pwait(self->epfd, &ev, 1, 50, &mask));
	EXPECT_EQ(1, handled);
	EXPECT_TRUE(is_pending(SIGUSR1));
	EXPECT_TRUE(is_blocked(SIGUSR1));
}

/* The mask is restored after a wait that returns events, too. */
TEST_F(wait, pwait_sigmask_restored_after_events)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	sigset_t empty;

	ASSERT_EQ(0, backend_add(be, self->epfd, self->p[1], EPOLLOUT, 1));
	install_handler(SIGUSR1, 0);
	block(SIGUSR1);
	sigemptyset(&empty);
	EXPECT_EQ(1, be->pwait(self->epfd, &ev, 1, LONG_MS, &empty));
	EXPECT_TRUE(is_blocked(SIGUSR1));
	EXPECT_EQ(1, be->pwait(self->epfd, &ev, 1, 0, &empty));
	EXPECT_TRUE(is_blocked(SIGUSR1));
	EXPECT_EQ(0, handled);
}

/*
 * Events ready and a signal pending that the wait's mask unblocks: the
 * events are returned, and the signal stays pending (blocked again).
 */
TEST_F(wait, pwait_events_before_signal)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	sigset_t empty;

	ASSERT_EQ(0, backend_add(be, self->epfd, self->p[1], EPOLLOUT, 1));
	install_handler(SIGUSR1, 0);
	block(SIGUSR1);
	raise(SIGUSR1);
	sigemptyset(&empty);
	EXPECT_EQ(1, be->pwait(self->epfd, &ev, 1, LONG_MS, &empty));
	EXPECT_EQ(0, handled);
	EXPECT_TRUE(is_pending(SIGUSR1));
	EXPECT_TRUE(is_blocked(SIGUSR1));
}

/* A handled signal interrupts a wait with EINTR, SA_RESTART or not. */
TEST_F(wait, eintr_with_handler)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int flags[] = { 0, SA_RESTART };
	unsigned int i;
	timer_t t;

	for (i = 0; i < 2; i++) {
		install_handler(SIGUSR1, flags[i]);
		/* Repeating, in case the first goes off before the wait. */
		ASSERT_EQ(0, arm_signal_timer(&t, SIGUSR1, 100));
		EXPECT_ERRNO(EINTR, be->wait(self->epfd, &ev, 1, -1));
		timer_delete(t);
		EXPECT_LE(1, handled);
	}
}

/* A signal that is ignored does not interrupt the wait. */
TEST_F(wait, ignored_signal_no_eintr)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int64_t t0;

	signal(SIGUSR1, SIG_IGN);
	raise(SIGUSR1);
	t0 = now_ns();
	EXPECT_EQ(0, be->wait(self->epfd, &ev, 1, 100));
	EXPECT_LE(100LL * 1000000, now_ns() - t0);
}

/* After an interrupted wait, no event is lost. */
TEST_F(wait, no_event_lost_after_eintr)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	sigset_t empty;

	ASSERT_EQ(0, backend_add(be, self->epfd, self->p[0], EPOLLIN | EPOLLET, 3));
	install_handler(SIGUSR1, 0);
	block(SIGUSR1);
	raise(SIGUSR1);
	sigemptyset(&empty);
	EXPECT_ERRNO(EINTR, be->pwait(self->epfd, &ev, 1, LONG_MS, &empty));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	raise(SIGUSR1);
	/* With the signal pending, the ready event still comes first. */
	memset(&ev, 0, sizeof(ev));
	EXPECT_EQ(1, be->pwait(self->epfd, &ev, 1, LONG_MS, &empty));
	EXPECT_EQ(EV(EPOLLIN), ev.events);
	EXPECT_EQ(3, ev.data.u64);
	EXPECT_ERRNO(EINTR, be->pwait(self->epfd, &ev, 1, LONG_MS, &empty));
	EXPECT_EQ(2, handled);
}

/* More ready than maxevents: the rest come with the next waits. */
TEST_F(wait, maxevents_smaller_than_ready)
{
	const struct backend *be = variant->be;
	struct epoll_event evs[4];
	uint64_t one = 1;
	int efd[5], i, n, total = 0;
	unsigned int seen = 0;

	for (i = 0; i < 5; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC);
		ASSERT_LE(0, efd[i]);
		ASSERT_EQ(0, backend_add(be, self->epfd, efd[i], EPOLLIN | EPOLLET, i));
		ASSERT_EQ(8, write(efd[i], &one, 8));
	}
	for (i = 0; i < 3; i++) {
		memset(evs, 0, sizeof(evs));
		n = be->wait(self->epfd, evs, 2, 0);
		EXPECT_EQ(i < 2 ? 2 : 1, n);
		for (int j = 0; j < n; j++) {
			ASSERT_GT(5, evs[j].data.u64);
			EXPECT_EQ(0, seen & (1u << evs[j].data.u64));
			seen |= 1u << evs[j].data.u64;
			total++;
		}
	}
	EXPECT_EQ(5, total);
	EXPECT_EQ(0x1f, seen);
	EXPECT_EQ(0, be->wait(self->epfd, evs, 4, 0));
	for (i = 0; i < 5; i++)
		close(efd[i]);
}

/* Waits write only as many events as they return. */
TEST_F(wait, writes_only_returned_events)
{
	const struct backend *be = variant->be;
	struct epoll_event evs[4];

	ASSERT_EQ(0, backend_add(be, self->epfd, self->p[1], EPOLLOUT, 1));
	memset(evs, 0xa5, sizeof(evs));
	ASSERT_EQ(1, be->wait(self->epfd, evs, 4, 0));
	EXPECT_EQ(1, evs[0].data.u64);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, evs[1].data.u64);
	EXPECT_EQ(0xa5a5a5a5U, evs[1].events);
}

/*
 * A buffer that ends in the middle: the events written before the fault
 * are returned, and the rest stay ready.
 */
TEST_F(wait, efault_after_some_events)
{
	const struct backend *be = variant->be;
	long pg = sysconf(_SC_PAGESIZE);
	struct epoll_event *evs, ev;
	uint64_t one = 1;
	int efd[2], i;
	char *map;

	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + pg, pg));
	/* Room for exactly one event before the hole. */
	evs = (struct epoll_event *)(map + pg - sizeof(*evs));

	for (i = 0; i < 2; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC);
		ASSERT_LE(0, efd[i]);
		ASSERT_EQ(0, backend_add(be, self->epfd, efd[i], EPOLLIN | EPOLLET, 20 + i));
		ASSERT_EQ(8, write(efd[i], &one, 8));
	}
	EXPECT_EQ(1, be->wait(self->epfd, evs, 2, 0));
	EXPECT_EQ(20, evs[0].data.u64);
	memset(&ev, 0, sizeof(ev));
	EXPECT_EQ(1, be->wait(self->epfd, &ev, 1, 0));
	EXPECT_EQ(21, ev.data.u64);
	EXPECT_EQ(0, be->wait(self->epfd, &ev, 1, 0));
	for (i = 0; i < 2; i++)
		close(efd[i]);
	munmap(map, pg);
}

/*
 * Level-triggered with more ready than maxevents: what was not handed out
 * goes first next time, what was goes to the back.
 */
TEST_F(wait, maxevents_smaller_level_triggered_rotates)
{
	static const uint64_t order[3][2] = { { 0, 1 }, { 2, 0 }, { 1, 2 } };
	const struct backend *be = variant->be;
	struct epoll_event evs[2];
	int pipes[3][2], i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, pipe2(pipes[i], O_CLOEXEC));
		ASSERT_EQ(0, backend_add(be, self->epfd, pipes[i][1], EPOLLOUT, i));
	}
	for (i = 0; i < 3; i++) {
		memset(evs, 0, sizeof(evs));
		ASSERT_EQ(2, be->wait(self->epfd, evs, 2, 0));
		EXPECT_EQ(order[i][0], evs[0].data.u64);
		EXPECT_EQ(order[i][1], evs[1].data.u64);
	}
	for (i = 0; i < 3; i++) {
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
}

/* Any negative timeout waits for ever, not just -1. */
TEST_F(wait, timeout_any_negative_is_infinite)
{
	const struct backend *be = variant->be;
	struct itimerspec its = { .it_value.tv_nsec = 50 * 1000 * 1000 };
	struct epoll_event ev;
	int tfd;

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	ASSERT_LE(0, tfd);
	ASSERT_EQ(0, backend_add(be, self->epfd, tfd, EPOLLIN, 5));
	ASSERT_EQ(0, timerfd_settime(tfd, 0, &its, NULL));
	EXPECT_EQ(1, be->wait(self->epfd, &ev, 1, -1000));
	EXPECT_EQ(8, read(tfd, &its, 8));
	ASSERT_EQ(0, timerfd_settime(tfd, 0, &its, NULL));
	EXPECT_EQ(1, be->wait(self->epfd, &ev, 1, INT_MIN));
	close(tfd);
}

/* The largest timespec is valid; with an event ready it returns at once. */
TEST_F(wait, pwait2_huge_timespec)
{
	const struct backend *be = variant->be;
	struct timespec huge = { .tv_sec = LONG_MAX, .tv_nsec = 999999999L };
	struct epoll_event ev;

	ASSERT_EQ(0, backend_add(be, self->epfd, self->p[1], EPOLLOUT, 1));
	EXPECT_EQ(1, be->pwait2(self->epfd, &ev, 1, &huge, NULL));
}

/* A wait refused for its arguments leaves the caller's mask alone. */
TEST_F(wait, pwait_einval_keeps_mask)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	sigset_t empty;

	block(SIGUSR1);
	sigemptyset(&empty);
	EXPECT_ERRNO(EINVAL, be->pwait(self->epfd, &ev, 0, 0, &empty));
	EXPECT_TRUE(is_blocked(SIGUSR1));
	EXPECT_ERRNO(EFAULT, be->pwait(self->epfd, KERNEL_PTR, 1, 0, &empty));
	EXPECT_TRUE(is_blocked(SIGUSR1));
}

/*
 * epoll_wait() and epoll_pwait() check the signal mask, maxevents and the
 * buffer's range before epfd; epoll_pwait2() checks its timeout first of
 * all.
 */
TEST_F(wait, error_order_bad_epfd)
{
	const struct backend *be = variant->be;
	struct timespec big = { .tv_nsec = 1000000000L };
	struct epoll_event ev;
	sigset_t empty;
	int closed, e;

	closed = dup(self->p[0]);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));
	sigemptyset(&empty);
	for (e = 0; e < 3; e++) {
		/* -1, a number that was open, then a file that is no instance. */
		int epfd = e == 2 ? self->p[0] : e ? closed : -1;

		EXPECT_ERRNO(EINVAL, be->wait(epfd, &ev, 0, 0));
		EXPECT_ERRNO(EINVAL, be->wait(epfd, &ev, -1, -1));
		EXPECT_ERRNO(EFAULT, be->wait(epfd, KERNEL_PTR, 1, 0));
		EXPECT_ERRNO(EFAULT, be->pwait(epfd, &ev, 1, 0, (sigset_t *)1));
		EXPECT_ERRNO(EFAULT, be->pwait(epfd, &ev, 0, 0, (sigset_t *)1));
		EXPECT_ERRNO(EINVAL, be->pwait(epfd, &ev, 0, -1, &empty));
		EXPECT_ERRNO(EINVAL, be->pwait2(epfd, &ev, 1, &big, NULL));
		EXPECT_ERRNO(EFAULT, be->pwait2(epfd, &ev, 0, (struct timespec *)1, NULL));
		EXPECT_ERRNO(EINVAL, be->pwait2(epfd, &ev, 0, NULL, NULL));
		EXPECT_ERRNO(EFAULT, be->pwait2(epfd, KERNEL_PTR, 1, NULL, &empty));
		/* Nothing else wrong: the descriptor's own error. */
		EXPECT_ERRNO(e == 2 ? EINVAL : EBADF, be->wait(epfd, &ev, 1, 0));
		EXPECT_ERRNO(e == 2 ? EINVAL : EBADF, be->wait(epfd, &ev, 1, -1));
		EXPECT_ERRNO(e == 2 ? EINVAL : EBADF, be->pwait(epfd, &ev, 1, -1, &empty));
		EXPECT_ERRNO(e == 2 ? EINVAL : EBADF, be->pwait2(epfd, &ev, 1, NULL, &empty));
	}
}

/*
 * A wait refused for its epfd or its arguments installs its mask only
 * for the call: a pending signal that the mask would let through stays
 * pending, and is not delivered, whatever epfd is.
 */
TEST_F(wait, refused_wait_delivers_no_signal)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	sigset_t empty;
	int closed, ep, i;

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	closed = dup(self->p[0]);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));
	install_handler(SIGUSR1, 0);
	block(SIGUSR1);
	raise(SIGUSR1);
	sigemptyset(&empty);
	for (i = 0; i < 3; i++) {
		/* -1, a number that was open, a file that is no instance. */
		int epfd = i == 2 ? self->p[0] : i ? closed : -1;

		EXPECT_ERRNO(i == 2 ? EINVAL : EBADF,
			     be->pwait(epfd, &ev, 1, LONG_MS, &empty));
		EXPECT_ERRNO(i == 2 ? EINVAL : EBADF,
			     be->pwait2(epfd, &ev, 1, NULL, &empty));
	}
	/* A native epoll instance, and the backend's own. */
	for (i = 0; i < 2; i++) {
		int epfd = i ? self->epfd : ep;

		EXPECT_ERRNO(EINVAL, be->pwait(epfd, &ev, 0, LONG_MS, &empty));
		EXPECT_ERRNO(EFAULT, be->pwait2(epfd, KERNEL_PTR, 1, NULL, &empty));
	}
	EXPECT_EQ(0, handled);
	EXPECT_TRUE(is_pending(SIGUSR1));
	EXPECT_TRUE(is_blocked(SIGUSR1));
	close(ep);
}

/*
 * A native epoll instance as epfd: the backend's waits wait on it, as
 * epoll's do (on xepoll's backend too: libxepoll hands the call to the
 * kernel's epoll), for as long as they are asked to, with its signal
 * mask, and with epoll's errors.
 */
TEST_F(wait, native_epoll_epfd)
{
	const struct backend *be = variant->be;
	struct epoll_event add = { .events = EPOLLIN, .data.u64 = 9 }, ev[2];
	struct timespec zero = { 0 }, ms50 = { .tv_nsec = 50000000L };
	struct timespec big = { .tv_nsec = 1000000000L };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	sigset_t empty;
	int64_t t0;

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->p[0], &add));
	sigemptyset(&empty);

	/* Nothing ready: at once, or after the timeout, and not before. */
	EXPECT_EQ(0, be->wait(ep, ev, 2, 0));
	EXPECT_EQ(0, be->pwait2(ep, ev, 2, &zero, NULL));
	t0 = now_ns();
	EXPECT_EQ(0, be->wait(ep, ev, 2, 50));
	EXPECT_LE(50000000LL, now_ns() - t0);
	t0 = now_ns();
	EXPECT_EQ(0, be->pwait2(ep, ev, 2, &ms50, &empty));
	EXPECT_LE(50000000LL, now_ns() - t0);
	EXPECT_GT(SLOW_NS, now_ns() - t0);

	/* Ready: the event, with its data. */
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	memset(ev, 0, sizeof(ev));
	ASSERT_EQ(1, be->wait(ep, ev, 2, -1));
	EXPECT_EQ(EV(EPOLLIN), ev[0].events);
	EXPECT_EQ(9, ev[0].data.u64);
	ASSERT_EQ(1, be->pwait(ep, ev, 2, LONG_MS, &empty));
	ASSERT_EQ(1, be->pwait2(ep, ev, 2, NULL, NULL));
	EXPECT_EQ(9, ev[0].data.u64);

	/* epoll's argument checks. */
	EXPECT_ERRNO(EINVAL, be->wait(ep, ev, 0, 0));
	EXPECT_ERRNO(EFAULT, be->wait(ep, KERNEL_PTR, 1, 0));
	EXPECT_ERRNO(EFAULT, be->pwait(ep, ev, 1, 0, (sigset_t *)1));
	EXPECT_ERRNO(EINVAL, be->pwait2(ep, ev, 1, &big, NULL));
	EXPECT_ERRNO(EFAULT, be->pwait2(ep, ev, 1, (struct timespec *)1, NULL));

	/* The mask, for the wait only: a pending signal interrupts it. */
	{
		char c;

		ASSERT_EQ(1, read(self->p[0], &c, 1));
	}
	install_handler(SIGUSR1, 0);
	block(SIGUSR1);
	raise(SIGUSR1);
	t0 = now_ns();
	EXPECT_ERRNO(EINTR, be->pwait(ep, ev, 2, LONG_MS, &empty));
	EXPECT_GT(SLOW_NS / 4, now_ns() - t0);
	EXPECT_EQ(1, handled);
	EXPECT_TRUE(is_blocked(SIGUSR1));
	close(ep);
}

/* ---- xepoll alone: the fields of struct xepoll_wait ---- */

/*
 * An instance with one ready edge-triggered eventfd: a wait that runs
 * takes its edge, so the next wait that does not sleep finds it only if
 * the first was refused before it touched anything.
 */
FIXTURE(xwait) {
	int epfd;
	int efd;
	struct epoll_event ev[4];
	struct xepoll_wait w;
	struct __kernel_timespec ts;
	sigset_t empty;
};

FIXTURE_SETUP(xwait)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = 7 };
	uint64_t one = 1;

	self->epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd) TH_LOG("xepoll_create1: %s", strerror(errno));
	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
	ASSERT_EQ(0, xepoll_ctl(self->epfd, EPOLL_CTL_ADD, self->efd, &ev));
	ASSERT_EQ(sizeof(one), write(self->efd, &one, sizeof(one)));
	memset(&self->w, 0, sizeof(self->w));
	self->w.events = (uintptr_t)self->ev;
	self->w.maxevents = 4;
	self->w.event_size = sizeof(self->ev[0]);
	self->ts.tv_sec = 0;
	self->ts.tv_nsec = 0;
	sigemptyset(&self->empty);
}

FIXTURE_TEARDOWN(xwait)
{
	close(self->epfd);
	close(self->efd);
}

static long xwait_raw(int epfd, unsigned long cmd, const struct xepoll_wait *w)
{
	long ret = ioctl(epfd, cmd, w);

	return ret < 0 ? -errno : ret;
}

/* The edge is still there, and SIGUSR1 still blocked: nothing changed. */
static void xwait_unchanged(struct __test_metadata *_metadata,
			    FIXTURE_DATA(xwait) *self)
{
	EXPECT_TRUE(is_blocked(SIGUSR1));
	EXPECT_EQ(1, xepoll_wait(self->epfd, self->ev, 4, 0));
	EXPECT_EQ(7, self->ev[0].data.u64);
	EXPECT_EQ(0, xepoll_wait(self->epfd, self->ev, 4, 0));
}

/*
 * Without XEPOLL_WAIT_TIMESPEC, @timeout is unused and must be zero,
 * whatever it holds: an address of a valid timespec too, with or without
 * a signal mask, at either size of the struct.
 */
TEST_F(xwait, timeout_must_be_zero_without_timespec)
{
	static const unsigned long cmds[] = {
		XEPOLL_IOC_WAIT,
		_IOC(_IOC_WRITE, XEPOLL_IOC_MAGIC, 0x11, XEPOLL_WAIT_SIZE_VER0),
	};
	static const int64_t ms[] = { 0, 1 };
	struct xepoll_wait w;
	unsigned int c, i;

	block(SIGUSR1);
	for (c = 0; c < 2; c++) {
		for (i = 0; i < 2; i++) {
			w = self->w;
			w.timeout_ms = ms[i];
			w.timeout = (uintptr_t)&self->ts;
			EXPECT_EQ(-EINVAL, xwait_raw(self->epfd, cmds[c], &w))
				TH_LOG("size %u timeout_ms %lld", _IOC_SIZE(cmds[c]),
				       (long long)ms[i]);
			w.timeout = 1;
			w.sigmask = (uintptr_t)&self->empty;
			w.sigmask_size = 8;
			EXPECT_EQ(-EINVAL, xwait_raw(self->epfd, cmds[c], &w))
				TH_LOG("size %u timeout_ms %lld, with a mask",
				       _IOC_SIZE(cmds[c]), (long long)ms[i]);
		}
	}
	xwait_unchanged(_metadata, self);
}

/* Without a signal mask, @sigmask_size is unused and must be zero. */
TEST_F(xwait, sigmask_size_must_be_zero_without_sigmask)
{
	static const uint32_t sizes[] = { 8, 1, 128, 0xffffffff };
	struct xepoll_wait w;
	unsigned int i;

	block(SIGUSR1);
	for (i = 0; i < 4; i++) {
		w = self->w;
		w.sigmask_size = sizes[i];
		EXPECT_EQ(-EINVAL, xwait_raw(self->epfd, XEPOLL_IOC_WAIT, &w))
			TH_LOG("sigmask 0, sigmask_size %u", sizes[i]);
		w.flags = XEPOLL_WAIT_TIMESPEC;
		w.timeout = (uintptr_t)&self->ts;
		EXPECT_EQ(-EINVAL, xwait_raw(self->epfd, XEPOLL_IOC_WAIT, &w))
			TH_LOG("sigmask 0, sigmask_size %u, timespec", sizes[i]);
	}
	xwait_unchanged(_metadata, self);
}

/* What each flag leaves unused may be zero; then the wait runs. */
TEST_F(xwait, unused_fields_zero_run)
{
	struct xepoll_wait w = self->w;

	EXPECT_EQ(1, xwait_raw(self->epfd, XEPOLL_IOC_WAIT, &w));
	EXPECT_EQ(0, xwait_raw(self->epfd, XEPOLL_IOC_WAIT, &w));
	w.flags = XEPOLL_WAIT_TIMESPEC;
	w.timeout = (uintptr_t)&self->ts;
	EXPECT_EQ(0, xwait_raw(self->epfd, XEPOLL_IOC_WAIT, &w));
	w.sigmask = (uintptr_t)&self->empty;
	w.sigmask_size = 8;
	EXPECT_EQ(0, xwait_raw(self->epfd, XEPOLL_IOC_WAIT, &w));
}

TEST_HARNESS_MAIN
