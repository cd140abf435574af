// SPDX-License-Identifier: GPL-2.0
/*
 * An instance as a file: its descriptor is pollable (poll(), select(),
 * native epoll), an instance may watch another, loops are refused with
 * ELOOP and so are chains deeper than epoll allows (EP_MAX_NESTS, 4), at
 * the same depth.
 *
 * Native epoll and xepoll instances are not mixed in one chain: xepoll
 * refuses to watch an epoll instance by design (Documentation/
 * userspace-api.rst). Each variant builds its chains from its own
 * backend's instances; native epoll watching the instance works for both.
 *
 * Every case runs against native epoll and against xepoll (backend.h).
 * tests.list runs this file as root and as an unprivileged user.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "backend.h"
#include "kselftest_harness.h"

#define EV(x)		((uint32_t)(x))
#define LONG_MS		10000

/* Instances in the longest chain epoll allows: EP_MAX_NESTS + 1. */
#define MAX_CHAIN	5

FIXTURE(nest) {
	int ep[MAX_CHAIN + 2];
	int p[2];
};

FIXTURE_VARIANT(nest) {
	const struct backend *be;
};

BACKEND_VARIANTS(nest);

FIXTURE_SETUP(nest)
{
	unsigned int i;

	for (i = 0; i < MAX_CHAIN + 2; i++) {
		self->ep[i] = variant->be->create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, self->ep[i]) TH_LOG("%s create1: %s",
						 variant->be->name, strerror(errno));
	}
	ASSERT_EQ(0, pipe2(self->p, O_CLOEXEC | O_NONBLOCK));
}

FIXTURE_TEARDOWN(nest)
{
	unsigned int i;

	for (i = 0; i < MAX_CHAIN + 2; i++)
		if (self->ep[i] >= 0)
			close(self->ep[i]);
	close(self->p[0]);
	close(self->p[1]);
}

static int del(const struct backend *be, int epfd, int fd)
{
	return be->ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

static int wait1(const struct backend *be, int epfd, struct epoll_event *ev,
		 int timeout)
{
	memset(ev, 0, sizeof(*ev));
	return be->wait(epfd, ev, 1, timeout);
}

static short poll_in(int fd, int timeout)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };

	if (poll(&pfd, 1, timeout) < 0)
		return -1;
	return pfd.revents;
}

/* poll() on the instance: POLLIN when events are pending, never POLLOUT. */
TEST_F(nest, poll_instance)
{
	const struct backend *be = variant->be;
	int epfd = self->ep[0];
	char c;

	ASSERT_EQ(0, backend_add(be, epfd, self->p[0], EPOLLIN, 1));
	EXPECT_EQ(0, poll_in(epfd, 0));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	EXPECT_EQ(POLLIN, poll_in(epfd, LONG_MS));
	/* Polling does not consume the event. */
	EXPECT_EQ(POLLIN, poll_in(epfd, 0));
	ASSERT_EQ(1, read(self->p[0], &c, 1));
	/* A stale ready entry does not make it readable. */
	EXPECT_EQ(0, poll_in(epfd, 0));
}

/* A poll() sleeping on the instance is woken by an event. */
TEST_F(nest, poll_instance_wakes)
{
	const struct backend *be = variant->be;
	struct itimerspec its = { .it_value.tv_nsec = 100 * 1000 * 1000 };
	int tfd;

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	ASSERT_LE(0, tfd);
	ASSERT_EQ(0, backend_add(be, self->ep[0], tfd, EPOLLIN, 1));
	ASSERT_EQ(0, timerfd_settime(tfd, 0, &its, NULL));
	EXPECT_EQ(POLLIN, poll_in(self->ep[0], LONG_MS));
	close(tfd);
}

TEST_F(nest, select_instance)
{
	const struct backend *be = variant->be;
	int epfd = self->ep[0];
	struct timeval tv = { 0 };
	fd_set rfds, wfds;

	ASSERT_EQ(0, backend_add(be, epfd, self->p[0], EPOLLIN, 1));
	FD_ZERO(&rfds);
	FD_SET(epfd, &rfds);
	EXPECT_EQ(0, select(epfd + 1, &rfds, NULL, NULL, &tv));

	ASSERT_EQ(1, write(self->p[1], "x", 1));
	FD_ZERO(&rfds);
	FD_ZERO(&wfds);
	FD_SET(epfd, &rfds);
	FD_SET(epfd, &wfds);
	tv.tv_sec = LONG_MS / 1000;
	EXPECT_EQ(1, select(epfd + 1, &rfds, &wfds, NULL, &tv));
	EXPECT_TRUE(FD_ISSET(epfd, &rfds));
	EXPECT_FALSE(FD_ISSET(epfd, &wfds));
}

/* Native epoll watches the instance (epoll on epoll, epoll on xepoll). */
TEST_F(nest, native_epoll_watches_instance)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int outer;
	char c;

	outer = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, outer);
	ASSERT_EQ(0, backend_add(be, self->ep[0], self->p[0], EPOLLIN, 1));
	ASSERT_EQ(0, backend_add(&backend_epoll, outer, self->ep[0], EPOLLIN, 77));
	EXPECT_EQ(0, wait1(&backend_epoll, outer, &ev, 0));

	ASSERT_EQ(1, write(self->p[1], "x", 1));
	ASSERT_EQ(1, wait1(&backend_epoll, outer, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLIN), ev.events);
	EXPECT_EQ(77, ev.data.u64);
	/* The inner event is still there for the inner instance. */
	ASSERT_EQ(1, wait1(be, self->ep[0], &ev, 0));
	EXPECT_EQ(1, ev.data.u64);
	ASSERT_EQ(1, read(self->p[0], &c, 1));
	EXPECT_EQ(0, wait1(&backend_epoll, outer, &ev, 0));
	close(outer);
}

/* An instance watching another: level-triggered, through to the file. */
TEST_F(nest, instance_watches_instance)
{
	const struct backend *be = variant->be;
	int outer = self->ep[1], inner = self->ep[0];
	struct epoll_event ev;
	char c;

	ASSERT_EQ(0, backend_add(be, inner, self->p[0], EPOLLIN, 1));
	ASSERT_EQ(0, backend_add(be, outer, inner, EPOLLIN, 2));
	EXPECT_EQ(0, wait1(be, outer, &ev, 0));

	ASSERT_EQ(1, write(self->p[1], "x", 1));
	ASSERT_EQ(1, wait1(be, outer, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLIN), ev.events);
	EXPECT_EQ(2, ev.data.u64);
	ASSERT_EQ(1, wait1(be, outer, &ev, 0));
	ASSERT_EQ(1, wait1(be, inner, &ev, 0));
	EXPECT_EQ(1, ev.data.u64);

	ASSERT_EQ(1, read(self->p[0], &c, 1));
	EXPECT_EQ(0, wait1(be, outer, &ev, 0));
	EXPECT_EQ(0, wait1(be, inner, &ev, 0));

	/* An instance is never writable. */
	ASSERT_EQ(0, del(be, outer, inner));
	ASSERT_EQ(0, backend_add(be, outer, inner, EPOLLOUT, 3));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	EXPECT_EQ(0, wait1(be, outer, &ev, 0));
}

/* Edge-triggered on an instance: once per new inner event. */
TEST_F(nest, edge_triggered_on_instance)
{
	const struct backend *be = variant->be;
	int outer = self->ep[1], inner = self->ep[0];
	struct epoll_event ev;

	ASSERT_EQ(0, backend_add(be, inner, self->p[0], EPOLLIN, 1));
	ASSERT_EQ(0, backend_add(be, outer, inner, EPOLLIN | EPOLLET, 2));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	ASSERT_EQ(1, wait1(be, outer, &ev, LONG_MS));
	EXPECT_EQ(2, ev.data.u64);
	EXPECT_EQ(0, wait1(be, outer, &ev, 0));
	ASSERT_EQ(1, write(self->p[1], "y", 1));
	ASSERT_EQ(1, wait1(be, outer, &ev, LONG_MS));
	EXPECT_EQ(0, wait1(be, outer, &ev, 0));
}

/* An outer wait sleeping on an inner instance is woken. */
TEST_F(nest, nested_wait_wakes)
{
	const struct backend *be = variant->be;
	struct itimerspec its = { .it_value.tv_nsec = 100 * 1000 * 1000 };
	struct epoll_event ev;
	int tfd;

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	ASSERT_LE(0, tfd);
	ASSERT_EQ(0, backend_add(be, self->ep[0], tfd, EPOLLIN, 1));
	ASSERT_EQ(0, backend_add(be, self->ep[1], self->ep[0], EPOLLIN, 2));
	ASSERT_EQ(0, backend_add(be, self->ep[2], self->ep[1], EPOLLIN, 3));
	ASSERT_EQ(0, timerfd_settime(tfd, 0, &its, NULL));
	ASSERT_EQ(1, wait1(be, self->ep[2], &ev, LONG_MS));
	EXPECT_EQ(3, ev.data.u64);
	close(tfd);
}

TEST_F(nest, loop_refused)
{
	const struct backend *be = variant->be;
	int a = self->ep[0], b = self->ep[1], c = self->ep[2];

	/* a -> b, then b -> a. */
	ASSERT_EQ(0, backend_add(be, a, b, EPOLLIN, 1));
	EXPECT_ERRNO(ELOOP, backend_add(be, b, a, EPOLLIN, 2));
	/* a -> b -> c, then c -> a. */
	ASSERT_EQ(0, backend_add(be, b, c, EPOLLIN, 3));
	EXPECT_ERRNO(ELOOP, backend_add(be, c, a, EPOLLIN, 4));
	EXPECT_ERRNO(ELOOP, backend_add(be, c, b, EPOLLIN, 4));
	/* A shortcut is no loop: a -> c directly as well. */
	EXPECT_EQ(0, backend_add(be, a, c, EPOLLIN, 5));
	/* An existing link is EEXIST, not ELOOP. */
	EXPECT_ERRNO(EEXIST, backend_add(be, a, b, EPOLLIN, 6));
	/* Once the link goes, the other direction is fine. */
	ASSERT_EQ(0, del(be, a, b));
	ASSERT_EQ(0, del(be, a, c));
	EXPECT_EQ(0, backend_add(be, c, a, EPOLLIN, 7));
}

/* A loop through a dup of an instance is a loop too. */
TEST_F(nest, loop_through_dup_refused)
{
	const struct backend *be = variant->be;
	int a = self->ep[0], b = self->ep[1];
	int adup = dup(a);

	ASSERT_LE(0, adup);
	ASSERT_EQ(0, backend_add(be, a, b, EPOLLIN, 1));
	EXPECT_ERRNO(ELOOP, backend_add(be, b, adup, EPOLLIN, 2));
	close(adup);
}

/*
 * Chains built from the bottom up: each new instance watches the top of
 * the chain. EP_MAX_NESTS (4) links are allowed, the fifth is ELOOP.
 */
TEST_F(nest, depth_limit_bottom_up)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int i;

	ASSERT_EQ(0, backend_add(be, self->ep[0], self->p[0], EPOLLIN, 100));
	for (i = 1; i < MAX_CHAIN; i++)
		ASSERT_EQ(0, backend_add(be, self->ep[i], self->ep[i - 1], EPOLLIN, i))
			TH_LOG("link %d: %s", i, strerror(errno));
	EXPECT_ERRNO(ELOOP, backend_add(be, self->ep[MAX_CHAIN], self->ep[MAX_CHAIN - 1],
				EPOLLIN, MAX_CHAIN));

	/* Events travel the whole chain. */
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	ASSERT_EQ(1, wait1(be, self->ep[MAX_CHAIN - 1], &ev, LONG_MS));
	EXPECT_EQ(MAX_CHAIN - 1, ev.data.u64);
	EXPECT_EQ(POLLIN, poll_in(self->ep[MAX_CHAIN - 1], 0));
}

/* The same limit when the chain grows from the top down. */
TEST_F(nest, depth_limit_top_down)
{
	const struct backend *be = variant->be;
	int i;

	for (i = 1; i < MAX_CHAIN; i++)
		ASSERT_EQ(0, backend_add(be, self->ep[i - 1], self->ep[i], EPOLLIN, i))
			TH_LOG("link %d: %s", i, strerror(errno));
	EXPECT_ERRNO(ELOOP, backend_add(be, self->ep[MAX_CHAIN - 1], self->ep[MAX_CHAIN],
				EPOLLIN, MAX_CHAIN));
	/* A file at the bottom is no link between instances. */
	EXPECT_EQ(0, backend_add(be, self->ep[MAX_CHAIN - 1], self->p[0], EPOLLIN, 0));
}

/*
 * The depth below an instance counts its instances, whatever files it
 * watches besides: each instance of the chain also watches a few eventfds,
 * which its tree orders among the instance it watches, and the link above
 * the top is still one too many.
 */
TEST_F(nest, depth_limit_with_files)
{
	const struct backend *be = variant->be;
	int efd[MAX_CHAIN][8];
	int i, j;

	for (i = 0; i < MAX_CHAIN; i++) {
		for (j = 0; j < 8; j++) {
			efd[i][j] = eventfd(0, EFD_CLOEXEC);
			ASSERT_LE(0, efd[i][j]);
			ASSERT_EQ(0, backend_add(be, self->ep[i], efd[i][j], EPOLLIN, j));
		}
		if (i)
			ASSERT_EQ(0, backend_add(be, self->ep[i - 1], self->ep[i], EPOLLIN, i))
				TH_LOG("link %d: %s", i, strerror(errno));
	}
	EXPECT_ERRNO(ELOOP, backend_add(be, self->ep[MAX_CHAIN], self->ep[0],
				EPOLLIN, MAX_CHAIN));
	for (i = 0; i < MAX_CHAIN; i++)
		for (j = 0; j < 8; j++)
			close(efd[i][j]);
}

/* And when two chains are joined in the middle. */
TEST_F(nest, depth_limit_join)
{
	const struct backend *be = variant->be;
	int *ep = self->ep;

	/* ep0 -> ep1 -> ep2, and ep3 -> ep4 -> ep5. */
	ASSERT_EQ(0, backend_add(be, ep[0], ep[1], EPOLLIN, 1));
	ASSERT_EQ(0, backend_add(be, ep[1], ep[2], EPOLLIN, 2));
	ASSERT_EQ(0, backend_add(be, ep[3], ep[4], EPOLLIN, 3));
	ASSERT_EQ(0, backend_add(be, ep[4], ep[5], EPOLLIN, 4));
	/* ep2 -> ep3 would make 5 links. */
	EXPECT_ERRNO(ELOOP, backend_add(be, ep[2], ep[3], EPOLLIN, 5));
	/* ep2 -> ep4 makes 4. */
	EXPECT_EQ(0, backend_add(be, ep[2], ep[4], EPOLLIN, 6));
	/* Now ep3 -> ep4 -> ep5 sits at the bottom of a 4-link chain... */
	EXPECT_ERRNO(ELOOP, backend_add(be, ep[5], ep[6], EPOLLIN, 7));
	/* ... and ep0 heads it: nothing more above. */
	EXPECT_ERRNO(ELOOP, backend_add(be, ep[6], ep[0], EPOLLIN, 8));
	/* A branch of the same length is fine. */
	EXPECT_EQ(0, backend_add(be, ep[3], ep[6], EPOLLIN, 9));
}

/* A ready file added to (or re-armed in) the inner instance wakes the outer. */
TEST_F(nest, add_and_mod_wake_outer)
{
	const struct backend *be = variant->be;
	int outer = self->ep[1], inner = self->ep[0];
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLONESHOT };

	ASSERT_EQ(0, backend_add(be, outer, inner, EPOLLIN | EPOLLET, 2));
	EXPECT_EQ(0, wait1(be, outer, &ev, 0));
	ASSERT_EQ(0, backend_add(be, inner, self->p[1], EPOLLOUT | EPOLLONESHOT, 1));
	ASSERT_EQ(1, wait1(be, outer, &ev, LONG_MS));
	EXPECT_EQ(2, ev.data.u64);
	EXPECT_EQ(0, wait1(be, outer, &ev, 0));
	ASSERT_EQ(1, wait1(be, inner, &ev, 0));
	EXPECT_EQ(0, wait1(be, outer, &ev, 0));
	/* MOD re-arms the one-shot item: a new edge for the outer. */
	ev.events = EPOLLOUT | EPOLLONESHOT;
	ev.data.u64 = 1;
	ASSERT_EQ(0, be->ctl(inner, EPOLL_CTL_MOD, self->p[1], &ev));
	ASSERT_EQ(1, wait1(be, outer, &ev, LONG_MS));
	EXPECT_EQ(2, ev.data.u64);
}

/* An instance polls as EPOLLIN | EPOLLRDNORM. */
TEST_F(nest, instance_reports_in_rdnorm)
{
	const struct backend *be = variant->be;
	int outer = self->ep[1], inner = self->ep[0];
	struct epoll_event ev;

	ASSERT_EQ(1, write(self->p[1], "x", 1));
	ASSERT_EQ(0, backend_add(be, inner, self->p[0], EPOLLIN, 1));
	ASSERT_EQ(0, backend_add(be, outer, inner, EPOLLIN | EPOLLRDNORM | EPOLLPRI |
			 EPOLLOUT | EPOLLRDHUP, 2));
	ASSERT_EQ(1, wait1(be, outer, &ev, 0));
	EXPECT_EQ(EV(EPOLLIN | EPOLLRDNORM), ev.events);
}

/*
 * An instance wakes its pollers with EPOLLIN alone: an outer registration
 * that asked only for EPOLLRDNORM is filtered out by that key, so it sees
 * the inner events only when it polls again (ADD, MOD), as with epoll.
 */
TEST_F(nest, instance_wakes_with_epollin_key)
{
	const struct backend *be = variant->be;
	int outer = self->ep[1], inner = self->ep[0];
	struct epoll_event ev;

	ASSERT_EQ(0, backend_add(be, inner, self->p[0], EPOLLIN, 1));
	ASSERT_EQ(0, backend_add(be, outer, inner, EPOLLRDNORM, 2));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	/* The inner is ready, the outer was not told. */
	ASSERT_EQ(1, wait1(be, inner, &ev, LONG_MS));
	EXPECT_EQ(0, wait1(be, outer, &ev, 0));
	/* MOD polls it again. */
	ev.events = EPOLLRDNORM;
	ev.data.u64 = 3;
	ASSERT_EQ(0, be->ctl(outer, EPOLL_CTL_MOD, inner, &ev));
	ASSERT_EQ(1, wait1(be, outer, &ev, 0));
	EXPECT_EQ(EV(EPOLLRDNORM), ev.events);
	EXPECT_EQ(3, ev.data.u64);
}

/* Two instances watching the same inner one both see its events. */
TEST_F(nest, two_outers_one_inner)
{
	const struct backend *be = variant->be;
	int inner = self->ep[0];
	struct epoll_event ev;

	ASSERT_EQ(0, backend_add(be, inner, self->p[0], EPOLLIN, 1));
	ASSERT_EQ(0, backend_add(be, self->ep[1], inner, EPOLLIN | EPOLLET, 2));
	ASSERT_EQ(0, backend_add(be, self->ep[2], inner, EPOLLIN | EPOLLET, 3));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	ASSERT_EQ(1, wait1(be, self->ep[1], &ev, LONG_MS));
	EXPECT_EQ(2, ev.data.u64);
	ASSERT_EQ(1, wait1(be, self->ep[2], &ev, LONG_MS));
	EXPECT_EQ(3, ev.data.u64);
	/* A diamond is no loop. */
	EXPECT_EQ(0, backend_add(be, self->ep[3], self->ep[1], EPOLLIN, 4));
	EXPECT_EQ(0, backend_add(be, self->ep[3], self->ep[2], EPOLLIN, 5));
}

/* Closing the last descriptor of a watched instance removes it. */
TEST_F(nest, close_of_watched_instance)
{
	const struct backend *be = variant->be;
	int outer = self->ep[1], inner = self->ep[0];
	struct epoll_event ev;

	ASSERT_EQ(1, write(self->p[1], "x", 1));
	ASSERT_EQ(0, backend_add(be, inner, self->p[0], EPOLLIN, 1));
	ASSERT_EQ(0, backend_add(be, outer, inner, EPOLLIN, 2));
	ASSERT_EQ(1, wait1(be, outer, &ev, 0));
	ASSERT_EQ(0, close(inner));
	/* The teardown must not close the number again. */
	self->ep[0] = -1;
	EXPECT_EQ(0, wait1(be, outer, &ev, 0));
	EXPECT_EQ(0, poll_in(outer, 0));
}

TEST_HARNESS_MAIN
