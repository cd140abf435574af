// SPDX-License-Identifier: GPL-2.0
/*
 * Absolute deadlines (XEPOLL_WAIT_ABSOLUTE, xepoll_wait_until()) on
 * CLOCK_MONOTONIC, CLOCK_REALTIME and CLOCK_BOOTTIME.
 *
 * The `deadline` cases run on both backends: on epoll a deadline is
 * emulated with epoll_pwait2() and the time left (backend.h), so the same
 * assertions hold xepoll's deadlines to what a careful epoll program gets.
 * The other cases are xepoll's alone: argument checks, the first-version
 * struct, and a deadline with a minimum batch.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "common.h"
#include "kselftest_harness.h"

#define SLOW_MS	5000

static const uint64_t one = 1;

static struct timespec at_ms(clockid_t clk, long ms)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	if (ts.tv_nsec < 0) {
		ts.tv_sec--;
		ts.tv_nsec += 1000000000L;
	}
	return ts;
}

/* Whether @clk has reached @ts. */
static int reached(clockid_t clk, const struct timespec *ts)
{
	struct timespec now;

	clock_gettime(clk, &now);
	return now.tv_sec > ts->tv_sec ||
	       (now.tv_sec == ts->tv_sec && now.tv_nsec >= ts->tv_nsec);
}

FIXTURE(deadline) {
	int epfd;
	int efd;
};

FIXTURE_VARIANT(deadline) {
	const struct backend *be;
};

BACKEND_VARIANTS(deadline);

FIXTURE_SETUP(deadline)
{
	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
	ASSERT_EQ(0, backend_add(variant->be, self->epfd, self->efd, EPOLLIN, 5));
}

FIXTURE_TEARDOWN(deadline)
{
	close(self->epfd);
	close(self->efd);
}

static const clockid_t clocks[] = { CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME };

/* A deadline ahead, on each clock, with nothing ready: 0, not before it. */
TEST_F(deadline, expires_not_early)
{
	struct epoll_event ev[2];
	unsigned int i;

	for (i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		struct timespec dl = at_ms(clocks[i], 80);
		long long t0 = now_ms();

		EXPECT_EQ(0, variant->be->wait_until(self->epfd, ev, 2, clocks[i], &dl, NULL))
			TH_LOG("clock %d: %s", clocks[i], strerror(errno));
		EXPECT_TRUE(reached(clocks[i], &dl)) TH_LOG("clock %d early", clocks[i]);
		EXPECT_GT(SLOW_MS, now_ms() - t0);
	}
}

/* A deadline already past polls: events if ready, else 0 at once. */
TEST_F(deadline, past_deadline_polls)
{
	struct epoll_event ev[2];
	unsigned int i;

	for (i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		struct timespec dl = at_ms(clocks[i], -1000);
		long long t0 = now_ms();

		EXPECT_EQ(0, variant->be->wait_until(self->epfd, ev, 2, clocks[i], &dl, NULL));
		EXPECT_GT(1000, now_ms() - t0);
	}
	ASSERT_EQ(sizeof(one), write(self->efd, &one, sizeof(one)));
	for (i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		struct timespec dl = { 0, 0 };

		ASSERT_EQ(1, variant->be->wait_until(self->epfd, ev, 2, clocks[i], &dl, NULL));
		EXPECT_EQ(5, ev[0].data.u64);
	}
}

/* An event before the deadline ends the wait at once. */
TEST_F(deadline, event_before_deadline)
{
	struct timespec dl = at_ms(CLOCK_MONOTONIC, 60000);
	struct epoll_event ev[2];
	long long t0 = now_ms();

	ASSERT_EQ(sizeof(one), write(self->efd, &one, sizeof(one)));
	ASSERT_EQ(1, variant->be->wait_until(self->epfd, ev, 2, CLOCK_MONOTONIC, &dl, NULL));
	EXPECT_GT(SLOW_MS, now_ms() - t0);
}

static volatile sig_atomic_t caught;

static void on_usr1(int sig)
{
	(void)sig;
	caught++;
}

/* The signal mask is installed for the wait; a signal it lets in: EINTR. */
TEST_F(deadline, sigmask_and_eintr)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct timespec dl = at_ms(CLOCK_REALTIME, 60000);
	struct itimerval it = { .it_value.tv_usec = 100000 };
	struct epoll_event ev[2];
	sigset_t block, open_mask;

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &block, &open_mask));
	sigdelset(&open_mask, SIGALRM);
	caught = 0;
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_ERRNO(EINTR, variant->be->wait_until(self->epfd, ev, 2, CLOCK_REALTIME,
						   &dl, &open_mask));
	EXPECT_EQ(1, caught);
	ASSERT_EQ(0, sigprocmask(SIG_UNBLOCK, &block, NULL));
	signal(SIGALRM, SIG_DFL);
}

/* ---- xepoll alone ---- */

FIXTURE(xdeadline) {
	int epfd;
	int efd;
	struct epoll_event ev[4];
	struct timespec dl;
	struct xepoll_wait w;
};

FIXTURE_SETUP(xdeadline)
{
	self->epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
	ASSERT_EQ(0, backend_add(&backend_xepoll, self->epfd, self->efd, EPOLLIN, 5));
	self->dl = at_ms(CLOCK_MONOTONIC, 50);
	memset(&self->w, 0, sizeof(self->w));
	self->w.events = (uintptr_t)self->ev;
	self->w.maxevents = 4;
	self->w.event_size = sizeof(self->ev[0]);
	self->w.timeout = (uintptr_t)&self->dl;
	self->w.flags = XEPOLL_WAIT_TIMESPEC | XEPOLL_WAIT_ABSOLUTE;
	self->w.clockid = CLOCK_MONOTONIC;
}

FIXTURE_TEARDOWN(xdeadline)
{
	close(self->epfd);
	close(self->efd);
}

TEST_F(xdeadline, argument_checks)
{
	struct xepoll_wait w;

	/* The base is valid: it times out. */
	w = self->w;
	EXPECT_EQ(0, ioctl(self->epfd, XEPOLL_IOC_WAIT, &w));

	w = self->w;
	w.clockid = CLOCK_PROCESS_CPUTIME_ID;
	EXPECT_ERRNO(EINVAL, ioctl(self->epfd, XEPOLL_IOC_WAIT, &w));
	w.clockid = 99;
	EXPECT_ERRNO(EINVAL, ioctl(self->epfd, XEPOLL_IOC_WAIT, &w));
	w.clockid = -1;
	EXPECT_ERRNO(EINVAL, ioctl(self->epfd, XEPOLL_IOC_WAIT, &w));
	w = self->w;
	w.flags = XEPOLL_WAIT_ABSOLUTE;				/* no TIMESPEC */
	w.timeout = 0;
	EXPECT_ERRNO(EINVAL, ioctl(self->epfd, XEPOLL_IOC_WAIT, &w));
	w = self->w;
	w.timeout = 0;						/* no deadline */
	EXPECT_ERRNO(EINVAL, ioctl(self->epfd, XEPOLL_IOC_WAIT, &w));
	w = self->w;
	w.flags = XEPOLL_WAIT_TIMESPEC;				/* clock, relative */
	EXPECT_ERRNO(EINVAL, ioctl(self->epfd, XEPOLL_IOC_WAIT, &w));
	w = self->w;
	w.timeout_ms = 5;
	EXPECT_ERRNO(EINVAL, ioctl(self->epfd, XEPOLL_IOC_WAIT, &w));
	w = self->w;
	self->dl.tv_nsec = 1000000000L;
	EXPECT_ERRNO(EINVAL, ioctl(self->epfd, XEPOLL_IOC_WAIT, &w));
	self->dl.tv_nsec = 0;
	self->dl.tv_sec = -1;
	EXPECT_ERRNO(EINVAL, ioctl(self->epfd, XEPOLL_IOC_WAIT, &w));
	w.timeout = 8;
	EXPECT_ERRNO(EFAULT, ioctl(self->epfd, XEPOLL_IOC_WAIT, &w));
	EXPECT_ERRNO(EINVAL, xepoll_wait_until(self->epfd, self->ev, 4,
					       CLOCK_MONOTONIC, NULL, NULL));
}

/* A program built against the 48-byte struct is unchanged. */
TEST_F(xdeadline, first_version_struct)
{
	struct xepoll_wait w = self->w;
	unsigned long cmd = _IOC(_IOC_WRITE, XEPOLL_IOC_MAGIC, 0x11, XEPOLL_WAIT_SIZE_VER0);

	w.flags = 0;
	w.timeout = 0;
	w.timeout_ms = 0;
	/* Beyond the first 48 bytes: not read at that size. */
	w.clockid = 99;
	w.min_events = 99;
	EXPECT_EQ(0, ioctl(self->epfd, cmd, &w));
	ASSERT_EQ(sizeof(one), write(self->efd, &one, sizeof(one)));
	EXPECT_EQ(1, ioctl(self->epfd, cmd, &w));
	/* At its full size, the same fields are read, and refused. */
	EXPECT_ERRNO(EINVAL, ioctl(self->epfd, XEPOLL_IOC_WAIT, &w));
}

/* A deadline ends a minimum-batch wait with what it gathered. */
TEST_F(xdeadline, with_min_events)
{
	struct xepoll_wait w = self->w;
	long long t0 = now_ms();

	self->dl = at_ms(CLOCK_BOOTTIME, 100);
	w.clockid = CLOCK_BOOTTIME;
	w.min_events = 3;
	ASSERT_EQ(sizeof(one), write(self->efd, &one, sizeof(one)));
	EXPECT_EQ(1, ioctl(self->epfd, XEPOLL_IOC_WAIT, &w));
	EXPECT_TRUE(reached(CLOCK_BOOTTIME, &self->dl));
	EXPECT_GT(SLOW_MS, now_ms() - t0);
}

TEST_HARNESS_MAIN
