// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures injected into create and ctl with failslab
 * (Documentation/fault-injection/fault-injection.rst), on a kernel built
 * with CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS (the debug
 * kernel); elsewhere every case is skipped, with the reason.
 *
 * Each case asserts that the call fails with ENOMEM or succeeds, that a
 * failed call leaves nothing behind (no registration, the user's counts of
 * instances and watches in /sys/kernel/xepoll/users unchanged), and that
 * the instance works afterwards (ADD, then wait reports the event).
 * kmemleak, at the end of the debug run, finds what leaked anyway.
 *
 * - fail-nth (/proc/thread-self/fail-nth) fails the 1st, 2nd, ... fault
 *   point the task reaches in one call, until the call gets through
 *   without reaching the one armed: every allocation on the path fails
 *   once, systematically;
 * - make-it-fail with task-filter fails a random share of this task's
 *   allocations in a loop of creates, ADDs, waits, DELs and closes;
 * - cache-filter fails only xep_item allocations, when the kernel lets
 *   failslab single that cache out (it refuses for a cache merged with
 *   others, which SLAB_ACCOUNT caches of the same size may be).
 *
 * ignore-gfp-wait is turned off, else GFP_KERNEL allocations (all of
 * xepoll's) would never fail; verbose is 0, since failslab's stack dumps
 * would read as splats. Every knob is restored afterwards. Root only.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/xepoll.h>

#include "kselftest_harness.h"
#include "xepoll.h"
#include "xstats.h"

#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define ITEM_FAILSLAB	"/sys/kernel/slab/xep_item/failslab"
#define MAX_NTH		400

static const char *const knobs[] = {
	"probability", "interval", "times", "space", "verbose",
	"task-filter", "ignore-gfp-wait", "cache-filter",
};
#define NKNOBS (sizeof(knobs) / sizeof(knobs[0]))

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

static int knob(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), FAILSLAB "%s", name);
	return write_file(path, val);
}

FIXTURE(failslab) {
	bool armed;
	char saved[NKNOBS][32];
	int nth_fd, mif_fd, dev;
	struct xep_counts base;
};

FIXTURE_SETUP(failslab)
{
	char path[128];
	unsigned int i;
	ssize_t n;
	int fd;

	self->armed = false;
	if (access(FAILSLAB, F_OK))
		SKIP(return, "no " FAILSLAB ": the kernel lacks CONFIG_FAILSLAB or CONFIG_FAULT_INJECTION_DEBUG_FS");
	if (geteuid())
		SKIP(return, "failslab's knobs and make-it-fail need root");

	for (i = 0; i < NKNOBS; i++) {
		snprintf(path, sizeof(path), FAILSLAB "%s", knobs[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, fd) TH_LOG("%s: %m", path);
		n = read(fd, self->saved[i], sizeof(self->saved[i]) - 1);
		close(fd);
		ASSERT_LT(0, n);
		self->saved[i][n] = 0;
	}
	self->armed = true;
	ASSERT_EQ(0, knob("verbose", "0"));
	ASSERT_EQ(0, knob("probability", "0"));
	ASSERT_EQ(0, knob("interval", "1"));
	ASSERT_EQ(0, knob("times", "-1"));
	ASSERT_EQ(0, knob("space", "0"));
	ASSERT_EQ(0, knob("task-filter", "Y"));
	ASSERT_EQ(0, knob("ignore-gfp-wait", "N"));
	ASSERT_EQ(0, knob("cache-filter", "N"));

	self->nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth_fd);
	self->mif_fd = open("/proc/thread-self/make-it-fail", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->mif_fd);
	self->dev = open("/dev/xepoll", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, xep_counts_read(getuid(), &self->base));
}

FIXTURE_TEARDOWN(failslab)
{
	unsigned int i;

	if (!self->armed)
		return;
	/* Before anything else can fail: this task's injection off. */
	EXPECT_EQ(1, write(self->mif_fd, "0", 1));
	EXPECT_EQ(1, write(self->nth_fd, "0", 1));
	write_file(ITEM_FAILSLAB, "0");
	for (i = 0; i < NKNOBS; i++)
		EXPECT_EQ(0, knob(knobs[i], self->saved[i])) TH_LOG("restoring %s", knobs[i]);
	close(self->dev);
	close(self->nth_fd);
	close(self->mif_fd);
}

/* Arm fail-nth for the n-th fault point; all memory touched beforehand. */
struct nth {
	char arm[16], disarm[2], left[16];
	int len;
};

static void nth_prepare(struct nth *nth, int n)
{
	memset(nth, 0, sizeof(*nth));
	nth->len = snprintf(nth->arm, sizeof(nth->arm), "%d", n);
	nth->disarm[0] = '0';
}

/* After the call: was the armed fault injected? Disarms in any case. */
static bool nth_injected(int fd, struct nth *nth)
{
	ssize_t n = pread(fd, nth->left, sizeof(nth->left) - 1, 0);

	if (write(fd, nth->disarm, 1) != 1)
		return false;
	return n > 0 && atoi(nth->left) == 0;
}

/* The instance works: a fresh readable eventfd is reported, once. */
static void check_usable(struct __test_metadata *_metadata, int ep)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1234 };
	int efd = eventfd(1, EFD_CLOEXEC);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, xepoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, xepoll_wait(ep, &ev, 1, 1000));
	ASSERT_EQ(0x1234, ev.data.u64);
	ASSERT_EQ(0, xepoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL));
	close(efd);
}

static void check_counts(struct __test_metadata *_metadata,
			 const struct xep_counts *base, const char *what, int n)
{
	struct xep_counts now;

	ASSERT_EQ(0, xep_counts_settle(getuid(), base, &now, 5))
		TH_LOG("%s, fault %d: instances %ld -> %ld, watches %ld -> %ld", what, n,
		       base->instances, now.instances, base->watches, now.watches);
}

TEST_F_TIMEOUT(failslab, create_nth, 300)
{
	struct xepoll_create args = { 0 };
	int n, fd, err, enomem = 0;
	bool injected = true;
	struct nth nth;

	for (n = 1; n <= MAX_NTH && injected; n++) {
		nth_prepare(&nth, n);
		ASSERT_EQ(nth.len, write(self->nth_fd, nth.arm, nth.len));
		fd = ioctl(self->dev, XEPOLL_IOC_CREATE, &args);
		err = errno;
		injected = nth_injected(self->nth_fd, &nth);
		if (fd < 0) {
			ASSERT_EQ(ENOMEM, err) TH_LOG("fault %d: %s", n, strerror(err));
			ASSERT_TRUE(injected);
			enomem++;
		} else {
			check_usable(_metadata, fd);
			close(fd);
		}
		check_counts(_metadata, &self->base, "create", n);
	}
	TH_LOG("create: %d fault points, %d calls failed with ENOMEM", n - 2, enomem);
	ASSERT_FALSE(injected) TH_LOG("still failing at fault %d", MAX_NTH);
	ASSERT_LT(0, enomem);
}

enum target { T_EVENTFD, T_PIPE, T_SOCKET, T_NESTED, T_NR };

static const char *const target_names[] = { "eventfd", "read-write pipe", "socket", "instance" };

TEST_F_TIMEOUT(failslab, ctl_add_nth, 300)
{
	int ep, t, n, ret, err, fds[2], tfd, other, inner_efd;
	struct epoll_event ev;
	char path[64];
	struct xep_counts base;
	bool injected;
	struct nth nth;

	ep = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	for (t = 0; t < T_NR; t++) {
		other = inner_efd = -1;
		switch (t) {
		case T_EVENTFD:
			tfd = eventfd(1, EFD_CLOEXEC);
			break;
		case T_PIPE:
			/*
			 * Reopened read-write, a pipe end has two wait
			 * queues: the second hook is allocated.
			 */
			ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
			ASSERT_EQ(1, write(fds[1], "x", 1));
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
			tfd = open(path, O_RDWR | O_CLOEXEC);
			close(fds[0]);
			other = fds[1];
			break;
		case T_SOCKET:
			ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
			tfd = fds[0];
			other = fds[1];
			break;
		default:	/* nesting: the loop and path checks allocate */
			tfd = xepoll_create1(EPOLL_CLOEXEC);
			inner_efd = eventfd(1, EFD_CLOEXEC);
			ASSERT_LE(0, inner_efd);
			ev = (struct epoll_event){ .events = EPOLLIN };
			ASSERT_EQ(0, xepoll_ctl(tfd, EPOLL_CTL_ADD, inner_efd, &ev));
		}
		ASSERT_LE(0, tfd);
		ASSERT_EQ(0, xep_counts_read(getuid(), &base));

		injected = true;
		for (n = 1; n <= MAX_NTH && injected; n++) {
			ev = (struct epoll_event){ .events = EPOLLIN | EPOLLOUT, .data.u64 = 7 + n };
			nth_prepare(&nth, n);
			ASSERT_EQ(nth.len, write(self->nth_fd, nth.arm, nth.len));
			ret = xepoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
			err = errno;
			injected = nth_injected(self->nth_fd, &nth);
			if (ret) {
				ASSERT_EQ(ENOMEM, err) TH_LOG("%s, fault %d: %s", target_names[t], n,
							      strerror(err));
				ASSERT_TRUE(injected);
				/* Nothing registered, nothing charged. */
				ASSERT_EQ(-1, xepoll_ctl(ep, EPOLL_CTL_DEL, tfd, NULL));
				ASSERT_EQ(ENOENT, errno);
				check_counts(_metadata, &base, target_names[t], n);
				ASSERT_EQ(0, xepoll_wait(ep, &ev, 1, 0));
			} else {
				memset(&ev, 0, sizeof(ev));
				ASSERT_EQ(1, xepoll_wait(ep, &ev, 1, 1000));
				ASSERT_EQ(7 + n, ev.data.u64);
				ASSERT_EQ(0, xepoll_ctl(ep, EPOLL_CTL_DEL, tfd, NULL));
			}
			check_usable(_metadata, ep);
		}
		TH_LOG("ADD of %s: %d fault points", target_names[t], n - 2);
		ASSERT_FALSE(injected) TH_LOG("%s: still failing at fault %d", target_names[t], MAX_NTH);
		close(tfd);
		if (other >= 0)
			close(other);
		if (inner_efd >= 0)
			close(inner_efd);
	}
	close(ep);
	check_counts(_metadata, &self->base, "end", 0);
}

/* Random failures of this task's allocations during a mixed workload. */
#define ROUNDS 300

TEST_F_TIMEOUT(failslab, make_it_fail, 300)
{
	static int create_ret[ROUNDS], create_err[ROUNDS], add_ret[ROUNDS], add_err[ROUNDS],
		   wait_ret[ROUNDS], wait_err[ROUNDS], del_ret[ROUNDS], del_err[ROUNDS];
	struct xepoll_create args = { 0 };
	struct epoll_event ev[4];
	int i, fds[2], enomem = 0, ep;

	ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
	ASSERT_EQ(1, write(fds[1], "x", 1));
	/* Touch what the loop uses while allocations may fail. */
	memset(create_ret, 0, sizeof(create_ret));
	memset(create_err, 0, sizeof(create_err));
	memset(add_ret, 0, sizeof(add_ret));
	memset(add_err, 0, sizeof(add_err));
	memset(wait_ret, 0, sizeof(wait_ret));
	memset(wait_err, 0, sizeof(wait_err));
	memset(del_ret, 0, sizeof(del_ret));
	memset(del_err, 0, sizeof(del_err));
	memset(ev, 0, sizeof(ev));

	ASSERT_EQ(0, knob("probability", "20"));
	ASSERT_EQ(1, write(self->mif_fd, "1", 1));
	for (i = 0; i < ROUNDS; i++) {
		ep = ioctl(self->dev, XEPOLL_IOC_CREATE, &args);
		create_ret[i] = ep;
		create_err[i] = errno;
		if (ep < 0)
			continue;
		ev[0].events = EPOLLIN;
		ev[0].data.u64 = i;
		add_ret[i] = xepoll_ctl(ep, EPOLL_CTL_ADD, fds[0], ev);
		add_err[i] = errno;
		wait_ret[i] = xepoll_wait(ep, ev, 4, 0);
		wait_err[i] = errno;
		if (!add_ret[i]) {
			del_ret[i] = xepoll_ctl(ep, EPOLL_CTL_DEL, fds[0], NULL);
			del_err[i] = errno;
		}
		close(ep);
	}
	ASSERT_EQ(1, write(self->mif_fd, "0", 1));
	ASSERT_EQ(0, knob("probability", "0"));

	for (i = 0; i < ROUNDS; i++) {
		if (create_ret[i] < 0) {
			ASSERT_EQ(ENOMEM, create_err[i]) TH_LOG("round %d: create", i);
			enomem++;
			continue;
		}
		if (add_ret[i]) {
			ASSERT_EQ(ENOMEM, add_err[i]) TH_LOG("round %d: ADD", i);
			enomem++;
			ASSERT_EQ(0, wait_ret[i]) TH_LOG("round %d: an event after a failed ADD", i);
		} else {
			ASSERT_EQ(1, wait_ret[i]) TH_LOG("round %d: wait: %s", i,
							 strerror(wait_err[i]));
			ASSERT_EQ(0, del_ret[i]) TH_LOG("round %d: DEL: %s", i, strerror(del_err[i]));
		}
	}
	TH_LOG("%d rounds, %d calls failed with ENOMEM", ROUNDS, enomem);
	ASSERT_LT(0, enomem);
	close(fds[0]);
	close(fds[1]);
	check_counts(_metadata, &self->base, "make-it-fail", 0);
	ep = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	check_usable(_metadata, ep);
	close(ep);
}

/* Only xep_item allocations fail: ADD fails, everything else works. */
TEST_F_TIMEOUT(failslab, cache_filter, 120)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep, efd, ret, err;

	if (write_file(ITEM_FAILSLAB, "1")) {
		if (errno == EINVAL)
			SKIP(return, "xep_item is merged with other caches, so failslab cannot single it out");
		SKIP(return, ITEM_FAILSLAB ": %s", strerror(errno));
	}
	ep = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	efd = eventfd(1, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, knob("cache-filter", "Y"));
	ASSERT_EQ(0, knob("probability", "100"));
	ASSERT_EQ(1, write(self->mif_fd, "1", 1));
	ret = xepoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
	err = errno;
	ASSERT_EQ(1, write(self->mif_fd, "0", 1));
	ASSERT_EQ(0, knob("probability", "0"));
	ASSERT_EQ(0, knob("cache-filter", "N"));
	ASSERT_EQ(0, write_file(ITEM_FAILSLAB, "0"));

	ASSERT_EQ(-1, ret);
	ASSERT_EQ(ENOMEM, err);
	ASSERT_EQ(-1, xepoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL));
	ASSERT_EQ(ENOENT, errno);
	check_usable(_metadata, ep);
	close(efd);
	close(ep);
	check_counts(_metadata, &self->base, "cache-filter", 0);
}

TEST_HARNESS_MAIN
