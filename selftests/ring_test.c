// SPDX-License-Identifier: GPL-2.0
/*
 * The shared ready ring (XEPOLL_IOC_RING_SETUP, libxepoll's xepoll_ring_*):
 * edge-triggered and one-shot events reaped from shared memory, coalescing,
 * MOD, DEL and close of a registration with an unconsumed cell, overflow
 * into the kernel, level-triggered registrations beside the ring, fork,
 * threads reaping together, poll of the instance, and garbage in the
 * shared pages.
 *
 * The semantic cases run against native epoll (epoll_wait() with a zero
 * timeout) and against an xepoll instance with a ring, reaped with
 * xepoll_ring_wait(); the cases that check that no system call was made,
 * or the ABI of the setup and the mapping, are xepoll's alone.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "kselftest_harness.h"

#define EV(x)		((uint32_t)(x))
#define NFDS		64

/* A backend whose reap is epoll_wait(0) on epoll, the ring on xepoll. */
struct ring_backend {
	const char *name;
	int ring;
};

static const struct ring_backend rb_epoll = { "epoll", 0 };
static const struct ring_backend rb_ring = { "xepoll-ring", 1 };

FIXTURE(ring) {
	int epfd;
	struct xepoll_ring *ring;
	int efd[NFDS];
};

FIXTURE_VARIANT(ring) {
	const struct ring_backend *be;
	unsigned int entries;
};

FIXTURE_VARIANT_ADD(ring, epoll) { .be = &rb_epoll, .entries = 256 };
FIXTURE_VARIANT_ADD(ring, xepoll) { .be = &rb_ring, .entries = 256 };
/* The smallest ring (1 asks for 2 cells): most events overflow. */
FIXTURE_VARIANT_ADD(ring, xepoll_small) { .be = &rb_ring, .entries = 1 };

FIXTURE_SETUP(ring)
{
	int i;

	if (variant->be->ring) {
		self->epfd = xepoll_create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, self->epfd) TH_LOG("xepoll_create1: %s", strerror(errno));
		self->ring = xepoll_ring_setup(self->epfd, variant->entries);
		ASSERT_NE(NULL, self->ring) TH_LOG("ring setup: %s", strerror(errno));
	} else {
		self->epfd = epoll_create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, self->epfd);
		self->ring = NULL;
	}
	for (i = 0; i < NFDS; i++) {
		self->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, self->efd[i]);
	}
}

FIXTURE_TEARDOWN(ring)
{
	int i;

	for (i = 0; i < NFDS; i++)
		close(self->efd[i]);
	xepoll_ring_free(self->ring);
	close(self->epfd);
}

static int ctl(FIXTURE_DATA(ring) *self, int op, int i, uint32_t events,
	       uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	if (self->ring)
		return xepoll_ctl(self->epfd, op, self->efd[i], &ev);
	return epoll_ctl(self->epfd, op, self->efd[i], &ev);
}

static int reap(FIXTURE_DATA(ring) *self, struct epoll_event *ev, int n)
{
	if (self->ring)
		return xepoll_ring_wait(self->ring, ev, n, 0);
	return epoll_wait(self->epfd, ev, n, 0);
}

static void poke(FIXTURE_DATA(ring) *self, int i)
{
	uint64_t one = 1;

	if (write(self->efd[i], &one, sizeof(one)) != sizeof(one))
		abort();
}

static void drain(FIXTURE_DATA(ring) *self, int i)
{
	uint64_t v;

	if (read(self->efd[i], &v, sizeof(v)) != sizeof(v))
		abort();
}

/* An edge is reported once, with its data, and coalesces until reaped. */
TEST_F(ring, edge_once_and_coalesced)
{
	struct epoll_event ev[4];

	ASSERT_EQ(0, ctl(self, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLET, 42));
	ASSERT_EQ(0, reap(self, ev, 4));
	poke(self, 0);
	poke(self, 0);
	poke(self, 0);
	ASSERT_EQ(1, reap(self, ev, 4));
	EXPECT_EQ(EV(EPOLLIN), ev[0].events);
	EXPECT_EQ(42, ev[0].data.u64);
	ASSERT_EQ(0, reap(self, ev, 4));
	/* A new edge after the reap is a new event. */
	poke(self, 0);
	ASSERT_EQ(1, reap(self, ev, 4));
	EXPECT_EQ(42, ev[0].data.u64);
	ASSERT_EQ(0, reap(self, ev, 4));
}

/* ADD of a ready file reports it at once, as ADD's poll found it. */
TEST_F(ring, add_ready)
{
	struct epoll_event ev[4];

	poke(self, 1);
	ASSERT_EQ(0, ctl(self, EPOLL_CTL_ADD, 1, EPOLLIN | EPOLLOUT | EPOLLET, 7));
	ASSERT_EQ(1, reap(self, ev, 4));
	EXPECT_EQ(EV(EPOLLIN | EPOLLOUT), ev[0].events);
	EXPECT_EQ(7, ev[0].data.u64);
	ASSERT_EQ(0, reap(self, ev, 4));
}

/* One-shot: one event, then nothing until MOD re-arms it. */
TEST_F(ring, oneshot_disarms)
{
	struct epoll_event ev[4];

	ASSERT_EQ(0, ctl(self, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLONESHOT, 1));
	poke(self, 0);
	ASSERT_EQ(1, reap(self, ev, 4));
	EXPECT_EQ(1, ev[0].data.u64);
	poke(self, 0);
	ASSERT_EQ(0, reap(self, ev, 4));
	ASSERT_EQ(0, ctl(self, EPOLL_CTL_MOD, 0, EPOLLIN | EPOLLONESHOT, 2));
	ASSERT_EQ(1, reap(self, ev, 4));
	EXPECT_EQ(2, ev[0].data.u64);
	ASSERT_EQ(0, reap(self, ev, 4));
}

/* MOD of a registration with an unconsumed event: the new data only. */
TEST_F(ring, mod_of_published)
{
	struct epoll_event ev[4];

	ASSERT_EQ(0, ctl(self, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLET, 1));
	poke(self, 0);
	ASSERT_EQ(0, ctl(self, EPOLL_CTL_MOD, 0, EPOLLIN | EPOLLET, 2));
	ASSERT_EQ(1, reap(self, ev, 4));
	EXPECT_EQ(2, ev[0].data.u64);
	ASSERT_EQ(0, reap(self, ev, 4));

	/* MOD to a mask the file does not meet drops the event. */
	poke(self, 0);
	ASSERT_EQ(0, ctl(self, EPOLL_CTL_MOD, 0, EPOLLPRI | EPOLLET, 3));
	ASSERT_EQ(0, reap(self, ev, 4));
}

/* DEL and close of a registration with an unconsumed event: none. */
TEST_F(ring, del_and_close_of_published)
{
	struct epoll_event ev[4];

	ASSERT_EQ(0, ctl(self, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLET, 1));
	ASSERT_EQ(0, ctl(self, EPOLL_CTL_ADD, 1, EPOLLIN | EPOLLET, 2));
	ASSERT_EQ(0, ctl(self, EPOLL_CTL_ADD, 2, EPOLLIN | EPOLLET, 3));
	poke(self, 0);
	poke(self, 1);
	poke(self, 2);
	ASSERT_EQ(0, ctl(self, EPOLL_CTL_DEL, 0, 0, 0));
	close(self->efd[1]);
	self->efd[1] = eventfd(0, EFD_CLOEXEC);
	ASSERT_EQ(1, reap(self, ev, 4));
	EXPECT_EQ(3, ev[0].data.u64);
	ASSERT_EQ(0, reap(self, ev, 4));
}

/* More ready files than cells: every one is reported, once. */
TEST_F(ring, overflow_loses_nothing)
{
	struct epoll_event ev[NFDS];
	uint64_t seen[NFDS] = { 0 };
	int i, n, total = 0;

	for (i = 0; i < NFDS; i++)
		ASSERT_EQ(0, ctl(self, EPOLL_CTL_ADD, i, EPOLLIN | EPOLLET, i));
	for (i = 0; i < NFDS; i++)
		poke(self, i);
	while ((n = reap(self, ev, 5)) > 0) {
		for (i = 0; i < n; i++) {
			ASSERT_GT(NFDS, ev[i].data.u64);
			seen[ev[i].data.u64]++;
		}
		total += n;
	}
	ASSERT_EQ(0, n);
	EXPECT_EQ(NFDS, total);
	for (i = 0; i < NFDS; i++)
		EXPECT_EQ(1, seen[i]) TH_LOG("fd %d", i);
}

/* Level-triggered registrations report while ready, beside the ring. */
TEST_F(ring, level_beside_edge)
{
	struct epoll_event ev[4];
	int i, n;

	ASSERT_EQ(0, ctl(self, EPOLL_CTL_ADD, 0, EPOLLIN, 100));
	ASSERT_EQ(0, ctl(self, EPOLL_CTL_ADD, 1, EPOLLIN | EPOLLET, 200));
	poke(self, 0);
	poke(self, 1);
	n = reap(self, ev, 4);
	ASSERT_EQ(2, n);
	for (i = 0; i < 2; i++)
		EXPECT_TRUE(ev[i].data.u64 == 100 || ev[i].data.u64 == 200);
	EXPECT_NE(ev[0].data.u64, ev[1].data.u64);
	for (i = 0; i < 3; i++) {
		n = reap(self, ev, 4);
		ASSERT_EQ(1, n);
		EXPECT_EQ(100, ev[0].data.u64);
	}
	drain(self, 0);
	ASSERT_EQ(0, reap(self, ev, 4));
}

/* A wait that sleeps is woken by an event published in the ring. */
TEST_F(ring, sleeping_wait_woken)
{
	struct epoll_event ev[4];
	pid_t pid;
	int status, n;

	ASSERT_EQ(0, ctl(self, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLET, 9));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		usleep(200 * 1000);
		poke(self, 0);
		_exit(0);
	}
	if (self->ring)
		n = xepoll_ring_wait(self->ring, ev, 4, 10000);
	else
		n = epoll_wait(self->epfd, ev, 4, 10000);
	ASSERT_EQ(1, n);
	EXPECT_EQ(9, ev[0].data.u64);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
}

/* The instance is readable to poll() while its ring holds an event. */
TEST_F(ring, poll_of_instance)
{
	struct pollfd pfd = { .fd = self->epfd, .events = POLLIN };
	struct epoll_event ev[4];

	ASSERT_EQ(0, ctl(self, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLET, 1));
	ASSERT_EQ(0, poll(&pfd, 1, 0));
	poke(self, 0);
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN, pfd.revents);
	ASSERT_EQ(1, reap(self, ev, 4));
	ASSERT_EQ(0, poll(&pfd, 1, 0));
}

/* A cancelled cell holds no event: the instance is not readable for it. */
TEST_F(ring, poll_after_cancel)
{
	struct pollfd pfd = { .fd = self->epfd, .events = POLLIN };
	struct epoll_event ev[4];

	ASSERT_EQ(0, ctl(self, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLET, 1));
	ASSERT_EQ(0, ctl(self, EPOLL_CTL_ADD, 1, EPOLLIN | EPOLLET, 2));
	poke(self, 0);
	ASSERT_EQ(0, ctl(self, EPOLL_CTL_DEL, 0, 0, 0));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	/* Behind the cancelled cell, a live one makes it readable. */
	poke(self, 1);
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(1, reap(self, ev, 4));
	EXPECT_EQ(2, ev[0].data.u64);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
}

/* A wait writes the events it reports and nothing past them. */
TEST_F(ring, wait_leaves_the_rest_of_the_array)
{
	struct epoll_event ev[4];
	int i;

	ASSERT_EQ(0, ctl(self, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLET, 1));
	poke(self, 0);
	memset(ev, 0xa5, sizeof(ev));
	/* The kernel's own reap of the ring, as a plain wait makes it. */
	ASSERT_EQ(1, self->ring ? xepoll_wait(self->epfd, ev, 4, 0) :
				  epoll_wait(self->epfd, ev, 4, 0));
	EXPECT_EQ(1, ev[0].data.u64);
	for (i = 1; i < 4; i++)
		EXPECT_EQ(0xa5a5a5a5U, ev[i].events) TH_LOG("ev[%d]", i);
}

/*
 * A socket announces data as EPOLLIN | EPOLLPRI | ...: a registration
 * that asks for EPOLLPRI too is told EPOLLIN alone, as epoll's poll says.
 */
TEST_F(ring, socket_data_is_not_urgent)
{
	struct epoll_event ev[4] = { { .events = EPOLLIN | EPOLLPRI | EPOLLET,
				       .data.u64 = 8 } };
	int sv[2], ret;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	ret = self->ring ? xepoll_ctl(self->epfd, EPOLL_CTL_ADD, sv[0], ev) :
			   epoll_ctl(self->epfd, EPOLL_CTL_ADD, sv[0], ev);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(1, write(sv[1], "x", 1));
	ASSERT_EQ(1, reap(self, ev, 4));
	EXPECT_EQ(EV(EPOLLIN), ev[0].events);
	EXPECT_EQ(8, ev[0].data.u64);
	ASSERT_EQ(0, reap(self, ev, 4));
	close(sv[0]);
	close(sv[1]);
}

/* A child reaps through the shared mapping: the parent sees it gone. */
TEST_F(ring, fork_shares_the_ring)
{
	struct epoll_event ev[4];
	int status;
	pid_t pid;

	ASSERT_EQ(0, ctl(self, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLET, 5));
	poke(self, 0);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(reap(self, ev, 4) == 1 && ev[0].data.u64 == 5 ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, reap(self, ev, 4));
}

struct reaper {
	FIXTURE_DATA(ring) *self;
	int counts[NFDS];
	int total;
};

static void *reaper_main(void *arg)
{
	struct reaper *r = arg;
	struct epoll_event ev[3];
	int i, n, idle = 0;

	while (idle < 200) {
		n = reap(r->self, ev, 3);
		if (n <= 0) {
			idle++;
			usleep(1000);
			continue;
		}
		idle = 0;
		for (i = 0; i < n; i++)
			if (ev[i].data.u64 < NFDS)
				r->counts[ev[i].data.u64]++;
		r->total += n;
	}
	return NULL;
}

/* Threads reaping one ring together: each event goes to one of them. */
TEST_F(ring, threads_reap_together)
{
	struct reaper r[4];
	pthread_t t[4];
	int i, j, round, sum;

	for (i = 0; i < NFDS; i++)
		ASSERT_EQ(0, ctl(self, EPOLL_CTL_ADD, i, EPOLLIN | EPOLLONESHOT, i));
	memset(r, 0, sizeof(r));
	for (j = 0; j < 4; j++) {
		r[j].self = self;
		ASSERT_EQ(0, pthread_create(&t[j], NULL, reaper_main, &r[j]));
	}
	for (round = 0; round < 3; round++) {
		for (i = 0; i < NFDS; i++) {
			poke(self, i);
			if (round)
				ASSERT_EQ(0, ctl(self, EPOLL_CTL_MOD, i,
						 EPOLLIN | EPOLLONESHOT, i));
		}
		usleep(50 * 1000);
	}
	for (j = 0; j < 4; j++)
		ASSERT_EQ(0, pthread_join(t[j], NULL));
	for (i = 0; i < NFDS; i++) {
		sum = 0;
		for (j = 0; j < 4; j++)
			sum += r[j].counts[i];
		/* Armed once by ADD and re-armed twice, each time ready. */
		EXPECT_EQ(3, sum) TH_LOG("fd %d", i);
	}
}

/* xepoll's alone: the ABI of the setup and of the mapping. */
TEST(setup_abi)
{
	struct xepoll_ring_setup s = { .entries = 100 };
	struct xepoll_ring_setup q = { 0 };
	int epfd = xepoll_create1(EPOLL_CLOEXEC);
	void *p;

	ASSERT_LE(0, epfd);
	/* No ring yet: a question, and mmap(), are refused. */
	EXPECT_EQ(-1, ioctl(epfd, XEPOLL_IOC_RING_SETUP, &q));
	EXPECT_EQ(ENODEV, errno);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, epfd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENODEV, errno);

	s.entries = XEPOLL_RING_MAX_ENTRIES + 1;
	EXPECT_EQ(-1, ioctl(epfd, XEPOLL_IOC_RING_SETUP, &s));
	EXPECT_EQ(EINVAL, errno);
	s = (struct xepoll_ring_setup){ .entries = 8, .flags = 1 };
	EXPECT_EQ(-1, ioctl(epfd, XEPOLL_IOC_RING_SETUP, &s));
	EXPECT_EQ(EINVAL, errno);

	s = (struct xepoll_ring_setup){ .entries = 100 };
	ASSERT_EQ(0, ioctl(epfd, XEPOLL_IOC_RING_SETUP, &s));
	EXPECT_EQ(128, s.entries);
	EXPECT_EQ(127, s.mask);
	EXPECT_LE(s.cells_off + 128 * sizeof(struct xepoll_ring_cell), s.size);
	EXPECT_EQ(0, s.size % 4096);
	{
		struct xepoll_ring_setup one = { .entries = 1 };
		int other = xepoll_create1(EPOLL_CLOEXEC);

		ASSERT_LE(0, other);
		ASSERT_EQ(0, ioctl(other, XEPOLL_IOC_RING_SETUP, &one));
		EXPECT_EQ(2, one.entries);
		close(other);
	}

	/* Again: EBUSY; a question gives the same geometry. */
	EXPECT_EQ(-1, ioctl(epfd, XEPOLL_IOC_RING_SETUP, &s));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, ioctl(epfd, XEPOLL_IOC_RING_SETUP, &q));
	EXPECT_EQ(0, memcmp(&s, &q, sizeof(s)));

	/* Private, too large, or at an offset: EINVAL. */
	p = mmap(NULL, s.size, PROT_READ | PROT_WRITE, MAP_PRIVATE, epfd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, s.size + 4096, PROT_READ, MAP_SHARED, epfd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, epfd, 4096);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);

	/* Not on other files: the device, or an eventfd. */
	close(epfd);
}

/*
 * xepoll's alone: the setup's versions. A first-version (32-byte) caller
 * gets its geometry and nothing written past its struct; the second
 * version adds the kernel's tail, which counts the cells filled; a
 * larger struct must be zero past what the module knows, and reads
 * back zeroed there.
 */
TEST(setup_versions)
{
	const unsigned long ver0 = _IOC(_IOC_READ | _IOC_WRITE, XEPOLL_IOC_MAGIC,
					_IOC_NR(XEPOLL_IOC_RING_SETUP),
					XEPOLL_RING_SETUP_SIZE_VER0);
	const unsigned long big = _IOC(_IOC_READ | _IOC_WRITE, XEPOLL_IOC_MAGIC,
				       _IOC_NR(XEPOLL_IOC_RING_SETUP), 48);
	struct xepoll_ring_setup s = { .entries = 8, .__reserved = 1 };
	struct xepoll_ring_setup q = { 0 };
	union {
		struct xepoll_ring_setup s;
		unsigned char b[64];
	} u, guard;
	struct epoll_event ev[8];
	int epfd, efd[3], i;
	uint32_t *tail;
	uint64_t one = 1;
	void *map;

	epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	ASSERT_EQ(40, sizeof(struct xepoll_ring_setup));

	/* A reserved word set: EINVAL, and no ring made. */
	EXPECT_EQ(-1, ioctl(epfd, XEPOLL_IOC_RING_SETUP, &s));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(epfd, XEPOLL_IOC_RING_SETUP, &q));
	EXPECT_EQ(ENODEV, errno);

	/* The first version: made, and not a byte written past 32. */
	memset(u.b, 0xa5, sizeof(u.b));
	memset(u.b, 0, XEPOLL_RING_SETUP_SIZE_VER0);
	u.s.entries = 8;
	guard = u;
	ASSERT_EQ(0, ioctl(epfd, ver0, &u));
	EXPECT_EQ(0, memcmp(u.b + XEPOLL_RING_SETUP_SIZE_VER0,
			    guard.b + XEPOLL_RING_SETUP_SIZE_VER0,
			    sizeof(u.b) - XEPOLL_RING_SETUP_SIZE_VER0));

	/* The second version's question: the same geometry, and the tail. */
	ASSERT_EQ(0, ioctl(epfd, XEPOLL_IOC_RING_SETUP, &q));
	EXPECT_EQ(0, memcmp(&u.s, &q, XEPOLL_RING_SETUP_SIZE_VER0));
	EXPECT_EQ(8, q.entries);
	EXPECT_NE(0, q.tail_off);
	EXPECT_EQ(0, q.tail_off % sizeof(uint32_t));
	EXPECT_LE(q.tail_off + sizeof(uint32_t), q.cells_off);
	EXPECT_NE(q.head_off, q.tail_off);
	EXPECT_NE(q.kready_off, q.tail_off);
	EXPECT_NE(q.flags_off, q.tail_off);
	EXPECT_EQ(0, q.__reserved);

	/* Larger: zero beyond, read back zeroed; not zero: E2BIG. */
	memset(u.b, 0, sizeof(u.b));
	u.b[44] = 1;
	EXPECT_EQ(-1, ioctl(epfd, big, &u));
	EXPECT_EQ(E2BIG, errno);
	memset(u.b, 0xa5, sizeof(u.b));
	memset(u.b, 0, 48);
	ASSERT_EQ(0, ioctl(epfd, big, &u));
	EXPECT_EQ(0, memcmp(&u.s, &q, sizeof(q)));
	for (i = (int)sizeof(q); i < 48; i++)
		EXPECT_EQ(0, u.b[i]);
	EXPECT_EQ(0xa5, u.b[48]);

	/* The tail counts the cells filled; reaping leaves it. */
	map = mmap(NULL, q.size, PROT_READ | PROT_WRITE, MAP_SHARED, epfd, 0);
	ASSERT_NE(MAP_FAILED, map);
	tail = (uint32_t *)((char *)map + q.tail_off);
	EXPECT_EQ(0, __atomic_load_n(tail, __ATOMIC_ACQUIRE));
	for (i = 0; i < 3; i++) {
		efd[i] = eventfd(0, EFD_NONBLOCK);
		ASSERT_LE(0, efd[i]);
		ev[0] = (struct epoll_event){ .events = EPOLLIN | EPOLLET };
		ASSERT_EQ(0, xepoll_ctl(epfd, EPOLL_CTL_ADD, efd[i], ev));
		ASSERT_EQ(sizeof(one), write(efd[i], &one, sizeof(one)));
	}
	/* A second edge of a cell not consumed joins it. */
	ASSERT_EQ(sizeof(one), write(efd[0], &one, sizeof(one)));
	EXPECT_EQ(3, __atomic_load_n(tail, __ATOMIC_ACQUIRE));
	EXPECT_EQ(3, xepoll_wait(epfd, ev, 8, 0));
	EXPECT_EQ(3, __atomic_load_n(tail, __ATOMIC_ACQUIRE));
	for (i = 0; i < 3; i++)
		close(efd[i]);
	munmap(map, q.size);
	close(epfd);
}

/* Events reaped from the ring cost no system call. */
TEST(reap_without_syscall)
{
	struct xepoll_ring_stats st;
	struct epoll_event ev[8];
	struct xepoll_ring *ring;
	int epfd, efd, i;
	uint64_t one = 1;

	epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	ring = xepoll_ring_setup(epfd, 64);
	ASSERT_NE(NULL, ring);
	efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ev[0] = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = 3 };
	ASSERT_EQ(0, xepoll_ctl(epfd, EPOLL_CTL_ADD, efd, ev));
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(sizeof(one), write(efd, &one, sizeof(one)));
		ASSERT_EQ(1, xepoll_ring_wait(ring, ev, 8, -1));
		EXPECT_EQ(3, ev[0].data.u64);
	}
	/* Empty, with nothing in the kernel: a zero timeout is no call either. */
	ASSERT_EQ(0, xepoll_ring_wait(ring, ev, 8, 0));
	xepoll_ring_stats(ring, &st);
	EXPECT_EQ(10, st.reaped);
	EXPECT_EQ(11, st.waits);
	EXPECT_EQ(0, st.syscalls);
	EXPECT_EQ(0, xepoll_ring_kready(ring));
	EXPECT_FALSE(xepoll_ring_dead(ring));

	/* The instance goes with its last descriptor; the mapping says so. */
	close(epfd);
	EXPECT_TRUE(xepoll_ring_dead(ring));
	xepoll_ring_free(ring);
	close(efd);
}

/*
 * Garbage in the shared pages hurts only its writer: the kernel goes on
 * (no splat, no spin), waits still end at their timeout, and the
 * instance still closes.
 */
TEST(garbage_in_the_ring)
{
	struct xepoll_ring_setup s = { .entries = 16 };
	struct epoll_event ev[32];
	int epfd, efd[8], i, round;
	unsigned char *map;
	uint64_t one = 1;

	epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	ASSERT_EQ(0, ioctl(epfd, XEPOLL_IOC_RING_SETUP, &s));
	map = mmap(NULL, s.size, PROT_READ | PROT_WRITE, MAP_SHARED, epfd, 0);
	ASSERT_NE(MAP_FAILED, map);
	for (i = 0; i < 8; i++) {
		efd[i] = eventfd(0, EFD_NONBLOCK);
		ASSERT_LE(0, efd[i]);
		ev[0] = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = i };
		ASSERT_EQ(0, xepoll_ctl(epfd, EPOLL_CTL_ADD, efd[i], ev));
	}
	srand(1);
	for (round = 0; round < 200; round++) {
		for (i = 0; i < (int)s.size; i += 1 + rand() % 64)
			map[i] = (unsigned char)rand();
		for (i = 0; i < 8; i++)
			ASSERT_EQ(sizeof(one), write(efd[i], &one, sizeof(one)));
		/* Any count, but it returns, and never more than asked. */
		EXPECT_GE(32, xepoll_wait(epfd, ev, 32, round % 10 ? 0 : 1));
	}
	for (i = 0; i < 8; i++)
		close(efd[i]);
	munmap(map, s.size);
	close(epfd);
}

/* The ring's pages are charged to RLIMIT_MEMLOCK (without CAP_IPC_LOCK). */
TEST(memlock_charged)
{
	struct rlimit rl = { 0, 0 };
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct xepoll_ring_setup s = { .entries = 1024 };
		int epfd, ret;

		if (geteuid() == 0 && setuid(65534))
			_exit(10);
		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(11);
		epfd = xepoll_create1(0);
		if (epfd < 0)
			_exit(12);
		ret = ioctl(epfd, XEPOLL_IOC_RING_SETUP, &s);
		_exit(ret == -1 && errno == ENOMEM ? 0 : 13);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
