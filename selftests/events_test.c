// SPDX-License-Identifier: GPL-2.0
/*
 * Which events a registration reports, and when: every event bit, the bits
 * reported unasked (EPOLLERR, EPOLLHUP), level- and edge-triggered and
 * one-shot registrations, the caller's data, fairness between ready files,
 * and events on the common kinds of file (pipes, socketpairs, eventfd,
 * timerfd, TCP on loopback).
 *
 * Every case runs against native epoll and against xepoll (backend.h).
 * tests.list runs this file as root and as an unprivileged user.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "backend.h"
#include "kselftest_harness.h"

/* Event masks as epoll_event.events holds them, for the harness' compares. */
#define EV(x)		((uint32_t)(x))

/* Long enough for any wake-up under slow emulation; waits end earlier. */
#define LONG_MS		10000

FIXTURE(events) {
	int epfd;
};

FIXTURE_VARIANT(events) {
	const struct backend *be;
};

BACKEND_VARIANTS(events);

FIXTURE_SETUP(events)
{
	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd) TH_LOG("%s create1: %s", variant->be->name,
					 strerror(errno));
}

FIXTURE_TEARDOWN(events)
{
	close(self->epfd);
}

static int mod(const struct backend *be, int epfd, int fd, uint32_t events,
	       uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return be->ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

/* Wait for at most one event; the event is cleared first. */
static int wait1(const struct backend *be, int epfd, struct epoll_event *ev,
		 int timeout)
{
	memset(ev, 0, sizeof(*ev));
	return be->wait(epfd, ev, 1, timeout);
}

/* A connected TCP pair on loopback: *client and the accepted *server. */
static int tcp_pair(int *client, int *server, int *listener)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(sin);
	int one = 1;
	int l, c, s;

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return -1;
	if (bind(l, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(l, 4) ||
	    getsockname(l, (struct sockaddr *)&sin, &len))
		goto err_l;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		goto err_l;
	if (connect(c, (struct sockaddr *)&sin, sizeof(sin)))
		goto err_c;
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		goto err_c;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*client = c;
	*server = s;
	if (listener)
		*listener = l;
	else
		close(l);
	return 0;
err_c:
	close(c);
err_l:
	close(l);
	return -1;
}

/* Nothing ready: nothing reported, and wait(0) returns at once. */
TEST_F(events, nothing_ready_reports_nothing)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, backend_add(be, self->epfd, p[0], EPOLLIN, 1));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	close(p[0]);
	close(p[1]);
}

TEST_F(events, pipe_in)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, backend_add(be, self->epfd, p[0], EPOLLIN, 7));
	ASSERT_EQ(1, write(p[1], "x", 1));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLIN), ev.events);
	EXPECT_EQ(7, ev.data.u64);
	close(p[0]);
	close(p[1]);
}

TEST_F(events, pipe_out)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, backend_add(be, self->epfd, p[1], EPOLLOUT, 3));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ(EV(EPOLLOUT), ev.events);
	EXPECT_EQ(3, ev.data.u64);
	close(p[0]);
	close(p[1]);
}

/* Events the file has but the registration did not ask for stay silent. */
TEST_F(events, unasked_events_not_reported)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	/* The write end is writable, never readable. */
	ASSERT_EQ(0, backend_add(be, self->epfd, p[1], EPOLLIN | EPOLLPRI, 1));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	/* The read end with data, asked only for EPOLLOUT. */
	ASSERT_EQ(1, write(p[1], "x", 1));
	ASSERT_EQ(0, backend_add(be, self->epfd, p[0], EPOLLOUT, 2));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	close(p[0]);
	close(p[1]);
}

/* EPOLLHUP is reported even to a registration that asked for nothing. */
TEST_F(events, hup_reported_unasked)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, backend_add(be, self->epfd, p[0], 0, 5));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	ASSERT_EQ(0, close(p[1]));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLHUP), ev.events);
	EXPECT_EQ(5, ev.data.u64);
	/* And it is level-triggered: still there. */
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ(EV(EPOLLHUP), ev.events);
	close(p[0]);
}

/* A hang-up with data left: both EPOLLIN and EPOLLHUP. */
TEST_F(events, hup_with_data)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, backend_add(be, self->epfd, p[0], EPOLLIN, 5));
	ASSERT_EQ(1, write(p[1], "x", 1));
	ASSERT_EQ(0, close(p[1]));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLIN | EPOLLHUP), ev.events);
	close(p[0]);
}

/* EPOLLERR is reported even to a registration that asked for nothing. */
TEST_F(events, err_reported_unasked)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, backend_add(be, self->epfd, p[1], 0, 9));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	ASSERT_EQ(0, close(p[0]));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLERR), ev.events);
	EXPECT_EQ(9, ev.data.u64);
	close(p[1]);
}

/* With EPOLLOUT asked, a write end whose reader went: EPOLLOUT|EPOLLERR. */
TEST_F(events, err_with_out)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, close(p[0]));
	ASSERT_EQ(0, backend_add(be, self->epfd, p[1], EPOLLOUT, 9));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ(EV(EPOLLOUT | EPOLLERR), ev.events);
	close(p[1]);
}

/* EPOLLRDHUP: only when asked, on the peer's shutdown of its writing. */
TEST_F(events, rdhup)
{
	const struct backend *be = variant->be;
	struct epoll_event ev, evs[4];
	int sv[2], sw[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sw));
	ASSERT_EQ(0, backend_add(be, self->epfd, sv[0], EPOLLRDHUP, 1));
	ASSERT_EQ(0, backend_add(be, self->epfd, sw[0], EPOLLOUT, 2));
	/* sw[0] is writable; take that out of the way with MOD. */
	ASSERT_EQ(0, mod(be, self->epfd, sw[0], EPOLLPRI, 2));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));

	ASSERT_EQ(0, shutdown(sv[1], SHUT_WR));
	ASSERT_EQ(0, shutdown(sw[1], SHUT_WR));
	/* sw[0] did not ask for EPOLLRDHUP (nor EPOLLIN): only sv[0]. */
	memset(evs, 0, sizeof(evs));
	ASSERT_EQ(1, be->wait(self->epfd, evs, 4, LONG_MS));
	EXPECT_EQ(EV(EPOLLRDHUP), evs[0].events);
	EXPECT_EQ(1, evs[0].data.u64);

	/* Asking for EPOLLIN as well reports both. */
	ASSERT_EQ(0, mod(be, self->epfd, sv[0], EPOLLIN | EPOLLRDHUP, 1));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ(EV(EPOLLIN | EPOLLRDHUP), ev.events);
	close(sv[0]);
	close(sv[1]);
	close(sw[0]);
	close(sw[1]);
}

/* EPOLLRDNORM and EPOLLWRNORM alone report just themselves. */
TEST_F(events, rdnorm_wrnorm)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, backend_add(be, self->epfd, sv[0], EPOLLRDNORM, 1));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	ASSERT_EQ(1, write(sv[1], "x", 1));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLRDNORM), ev.events);

	ASSERT_EQ(0, mod(be, self->epfd, sv[0], EPOLLWRNORM, 2));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ(EV(EPOLLWRNORM), ev.events);
	EXPECT_EQ(2, ev.data.u64);
	close(sv[0]);
	close(sv[1]);
}

/* EPOLLWRBAND: sockets report it with EPOLLOUT when writable. */
TEST_F(events, wrband)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, backend_add(be, self->epfd, sv[0], EPOLLWRBAND, 1));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ(EV(EPOLLWRBAND), ev.events);
	ASSERT_EQ(0, mod(be, self->epfd, sv[0], EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND, 2));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ(EV(EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND), ev.events);
	close(sv[0]);
	close(sv[1]);
}

/*
 * EPOLLPRI from TCP urgent data; EPOLLRDBAND, which TCP never reports, is
 * not invented.
 */
TEST_F(events, pri_tcp_urgent)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int c, s;

	ASSERT_EQ(0, tcp_pair(&c, &s, NULL)) TH_LOG("tcp_pair: %s", strerror(errno));
	ASSERT_EQ(0, backend_add(be, self->epfd, s, EPOLLPRI | EPOLLRDBAND, 4));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	ASSERT_EQ(1, send(c, "!", 1, MSG_OOB));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLPRI), ev.events);
	EXPECT_EQ(4, ev.data.u64);
	close(c);
	close(s);
}

/* EPOLLMSG is accepted, and no file reports it. */
TEST_F(events, msg_never_reported)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(1, write(p[1], "x", 1));
	ASSERT_EQ(0, backend_add(be, self->epfd, p[0], EPOLLMSG, 1));
	ASSERT_EQ(0, backend_add(be, self->epfd, p[1], EPOLLMSG, 2));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	close(p[0]);
	close(p[1]);
}

/* Level-triggered: reported at every wait while ready, not after. */
TEST_F(events, level_triggered_rereports)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	char buf[4];
	int p[2], i;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, backend_add(be, self->epfd, p[0], EPOLLIN, 1));
	ASSERT_EQ(2, write(p[1], "xy", 2));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
		EXPECT_EQ(EV(EPOLLIN), ev.events);
	}
	/* Half read: still ready. */
	ASSERT_EQ(1, read(p[0], buf, 1));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	ASSERT_EQ(1, read(p[0], buf, 1));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	close(p[0]);
	close(p[1]);
}

/* Edge-triggered: once per edge, even with the data still unread. */
TEST_F(events, edge_triggered_once_per_edge)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	uint64_t one = 1;
	int efd;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, backend_add(be, self->epfd, efd, EPOLLIN | EPOLLET, 1));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));

	ASSERT_EQ(8, write(efd, &one, 8));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLIN), ev.events);
	/* Still readable, but no new edge. */
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));

	/* A new write is a new edge. */
	ASSERT_EQ(8, write(efd, &one, 8));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLIN), ev.events);
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	close(efd);
}

/* Edge-triggered on a file already ready at ADD: reported once. */
TEST_F(events, edge_triggered_ready_at_add)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, backend_add(be, self->epfd, p[1], EPOLLOUT | EPOLLET, 1));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ(EV(EPOLLOUT), ev.events);
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	/* MOD re-polls: ready again means reported again, once. */
	ASSERT_EQ(0, mod(be, self->epfd, p[1], EPOLLOUT | EPOLLET, 2));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ(2, ev.data.u64);
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	close(p[0]);
	close(p[1]);
}

/* One-shot: disarmed after one report, whatever happens, until MOD. */
TEST_F(events, oneshot_until_mod)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, backend_add(be, self->epfd, p[0], EPOLLIN | EPOLLONESHOT, 1));
	ASSERT_EQ(1, write(p[1], "x", 1));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLIN), ev.events);
	/* Still readable, more data, even a hang-up: nothing. */
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	ASSERT_EQ(1, write(p[1], "y", 1));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	ASSERT_EQ(0, close(p[1]));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));

	/* A disarmed registration is still registered. */
	EXPECT_EQ(-1, backend_add(be, self->epfd, p[0], EPOLLIN, 1));
	EXPECT_EQ(EEXIST, errno);

	/* MOD re-arms, once more. */
	ASSERT_EQ(0, mod(be, self->epfd, p[0], EPOLLIN | EPOLLONESHOT, 2));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ(EV(EPOLLIN | EPOLLHUP), ev.events);
	EXPECT_EQ(2, ev.data.u64);
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	close(p[0]);
}

/* One-shot and edge-triggered: one report, then disarmed. */
TEST_F(events, oneshot_edge_triggered)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	uint64_t one = 1;
	int efd;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, backend_add(be, self->epfd, efd, EPOLLIN | EPOLLET | EPOLLONESHOT, 1));
	ASSERT_EQ(8, write(efd, &one, 8));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	ASSERT_EQ(8, write(efd, &one, 8));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	ASSERT_EQ(0, mod(be, self->epfd, efd, EPOLLIN | EPOLLET | EPOLLONESHOT, 1));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	close(efd);
}

/* The 64-bit data comes back unchanged, every bit, and MOD replaces it. */
TEST_F(events, data_returned_unchanged)
{
	static const uint64_t values[] = {
		0, 1, 0xffffffffffffffffULL, 0x8000000000000001ULL,
		0xdeadbeefcafebabeULL, 0x00000000ffffffffULL,
		0xffffffff00000000ULL,
	};
	const struct backend *be = variant->be;
	struct epoll_event ev;
	unsigned int i;
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, backend_add(be, self->epfd, p[1], EPOLLOUT, values[0]));
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		ASSERT_EQ(0, mod(be, self->epfd, p[1], EPOLLOUT, values[i]));
		ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
		EXPECT_EQ(values[i], ev.data.u64);
	}
	/* A pointer goes through as a pointer. */
	ev.events = EPOLLOUT;
	ev.data.ptr = &ev;
	ASSERT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_MOD, p[1], &ev));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ((uintptr_t)&ev, (uintptr_t)ev.data.ptr);
	close(p[0]);
	close(p[1]);
}

/*
 * Fairness: a reported level-triggered file goes to the back of the
 * queue, so with one event per wait two always-ready files alternate.
 */
TEST_F(events, fairness_round_robin)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	uint64_t prev = 0;
	int a[2], b[2], c[2], i;
	int seen[4] = { 0 };

	ASSERT_EQ(0, pipe2(a, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(b, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(c, O_CLOEXEC));
	ASSERT_EQ(0, backend_add(be, self->epfd, a[1], EPOLLOUT, 1));
	ASSERT_EQ(0, backend_add(be, self->epfd, b[1], EPOLLOUT, 2));
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
		ASSERT_TRUE(ev.data.u64 == 1 || ev.data.u64 == 2);
		if (i)
			EXPECT_NE(prev, ev.data.u64);
		prev = ev.data.u64;
		seen[ev.data.u64]++;
	}
	EXPECT_EQ(5, seen[1]);
	EXPECT_EQ(5, seen[2]);

	/* A third joins at the back and takes its turn. */
	ASSERT_EQ(0, backend_add(be, self->epfd, c[1], EPOLLOUT, 3));
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 9; i++) {
		ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
		ASSERT_TRUE(ev.data.u64 >= 1 && ev.data.u64 <= 3);
		seen[ev.data.u64]++;
	}
	EXPECT_EQ(3, seen[1]);
	EXPECT_EQ(3, seen[2]);
	EXPECT_EQ(3, seen[3]);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	close(c[0]);
	close(c[1]);
}

/* Ready files are reported in the order they became ready. */
TEST_F(events, ready_order_fifo)
{
	const struct backend *be = variant->be;
	struct epoll_event evs[4];
	uint64_t one = 1;
	int efd[3], i;

	for (i = 0; i < 3; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC);
		ASSERT_LE(0, efd[i]);
		ASSERT_EQ(0, backend_add(be, self->epfd, efd[i], EPOLLIN | EPOLLET, 10 + i));
	}
	ASSERT_EQ(8, write(efd[2], &one, 8));
	ASSERT_EQ(8, write(efd[0], &one, 8));
	ASSERT_EQ(8, write(efd[1], &one, 8));
	memset(evs, 0, sizeof(evs));
	ASSERT_EQ(3, be->wait(self->epfd, evs, 4, LONG_MS));
	EXPECT_EQ(12, evs[0].data.u64);
	EXPECT_EQ(10, evs[1].data.u64);
	EXPECT_EQ(11, evs[2].data.u64);
	for (i = 0; i < 3; i++)
		close(efd[i]);
}

TEST_F(events, eventfd_in_out)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	uint64_t v = 1;
	int efd;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, backend_add(be, self->epfd, efd, EPOLLIN | EPOLLOUT, 1));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ(EV(EPOLLOUT), ev.events);
	ASSERT_EQ(8, write(efd, &v, 8));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ(EV(EPOLLIN | EPOLLOUT), ev.events);
	ASSERT_EQ(8, read(efd, &v, 8));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ(EV(EPOLLOUT), ev.events);
	/* Counter at its maximum: no longer writable. */
	v = 0xfffffffffffffffeULL;
	ASSERT_EQ(8, write(efd, &v, 8));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ(EV(EPOLLIN), ev.events);
	close(efd);
}

/* A wait with no timeout ends when a timer expires. */
TEST_F(events, timerfd_expiry)
{
	const struct backend *be = variant->be;
	struct itimerspec its = { .it_value.tv_nsec = 20 * 1000 * 1000 };
	struct epoll_event ev;
	uint64_t ticks;
	int tfd;

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ASSERT_LE(0, tfd);
	ASSERT_EQ(0, backend_add(be, self->epfd, tfd, EPOLLIN, 42));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	ASSERT_EQ(0, timerfd_settime(tfd, 0, &its, NULL));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLIN), ev.events);
	EXPECT_EQ(42, ev.data.u64);
	ASSERT_EQ(8, read(tfd, &ticks, 8));
	EXPECT_EQ(1, ticks);
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	close(tfd);
}

/* TCP on loopback: a pending connection, writability, data, the peer's end. */
TEST_F(events, tcp_loopback)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	char buf[8];
	int c, s, l, c2;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	ASSERT_EQ(0, tcp_pair(&c, &s, &l)) TH_LOG("tcp_pair: %s", strerror(errno));

	/* The listener is readable when a connection waits to be accepted. */
	ASSERT_EQ(0, backend_add(be, self->epfd, l, EPOLLIN, 1));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	ASSERT_EQ(0, getsockname(l, (struct sockaddr *)&sin, &len));
	c2 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, c2);
	ASSERT_EQ(0, connect(c2, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLIN), ev.events);
	EXPECT_EQ(1, ev.data.u64);
	ASSERT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_DEL, l, NULL));

	/* A connected socket is writable, readable once data arrives. */
	ASSERT_EQ(0, backend_add(be, self->epfd, s, EPOLLIN | EPOLLOUT | EPOLLRDHUP, 2));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, 0));
	EXPECT_EQ(EV(EPOLLOUT), ev.events);
	ASSERT_EQ(0, mod(be, self->epfd, s, EPOLLIN | EPOLLRDHUP, 2));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	ASSERT_EQ(3, write(c, "abc", 3));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLIN), ev.events);
	ASSERT_EQ(3, read(s, buf, sizeof(buf)));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));

	/* The peer shuts its writing down: EPOLLIN | EPOLLRDHUP. */
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLIN | EPOLLRDHUP), ev.events);

	/* Both directions shut: EPOLLHUP as well. */
	ASSERT_EQ(0, shutdown(s, SHUT_WR));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLIN | EPOLLRDHUP | EPOLLHUP), ev.events);
	close(c);
	close(c2);
	close(s);
	close(l);
}

/* A reset connection reports EPOLLERR, asked or not. */
TEST_F(events, tcp_reset_err)
{
	const struct backend *be = variant->be;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct epoll_event ev;
	int c, s;

	ASSERT_EQ(0, tcp_pair(&c, &s, NULL)) TH_LOG("tcp_pair: %s", strerror(errno));
	ASSERT_EQ(0, backend_add(be, self->epfd, s, EPOLLPRI, 6));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	/* close() with a zero linger time sends a reset. */
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	ASSERT_EQ(0, close(c));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLERR | EPOLLHUP), ev.events);
	EXPECT_EQ(6, ev.data.u64);
	close(s);
}

/* signalfd: readable while a signal it watches is pending. */
TEST_F(events, signalfd_pending)
{
	const struct backend *be = variant->be;
	struct signalfd_siginfo si;
	struct epoll_event ev;
	sigset_t set;
	int sfd;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, backend_add(be, self->epfd, sfd, EPOLLIN, 8));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	ASSERT_EQ(0, raise(SIGUSR1));
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	EXPECT_EQ(EV(EPOLLIN), ev.events);
	EXPECT_EQ(8, ev.data.u64);
	ASSERT_EQ(sizeof(si), read(sfd, &si, sizeof(si)));
	EXPECT_EQ(SIGUSR1, si.ssi_signo);
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	ASSERT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_DEL, sfd, NULL));
	close(sfd);
}

/* A pidfd becomes readable when its process exits. */
TEST_F(events, pidfd_exit)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int pfd, pipefd[2];
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Exit when the parent says so. */
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(pipefd[0]);
	pfd = syscall(SYS_pidfd_open, pid, 0);
	ASSERT_LE(0, pfd) TH_LOG("pidfd_open: %s", strerror(errno));
	ASSERT_EQ(0, backend_add(be, self->epfd, pfd, EPOLLIN, 12));
	EXPECT_EQ(0, wait1(be, self->epfd, &ev, 0));
	close(pipefd[1]);
	ASSERT_EQ(1, wait1(be, self->epfd, &ev, LONG_MS));
	EXPECT_EQ(12, ev.data.u64);
	EXPECT_TRUE(ev.events & EPOLLIN);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	close(pfd);
}

TEST_HARNESS_MAIN
