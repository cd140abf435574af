// SPDX-License-Identifier: GPL-2.0
/*
 * The shared ready ring under the LD_PRELOAD interposer: an unmodified
 * edge-triggered epoll program gets epoll's events, and under the
 * interposer reaps them from the ring, without a system call.
 *
 * The program is written for plain epoll and knows nothing of xepoll but
 * the name of the ring's mapping ("[xepoll-ring]" in /proc/self/maps) and
 * the counters of /sys/kernel/xepoll. tests.list runs it natively (which
 * proves every assertion on events is epoll's), under
 * LD_PRELOAD=/lib/libxepoll-preload.so with the default ring, with the
 * smallest ring (XEPOLL_PRELOAD_RING=1, where most events overflow into
 * the kernel), and with no ring (XEPOLL_PRELOAD_RING=0). What differs
 * between the runs, whether a ring is mapped and whether a wait enters
 * the kernel, is asserted for each: a seccomp filter that fails every
 * wait system call and ioctl shows which waits made none, and xepoll's
 * counter of events delivered by the kernel's wait shows which events
 * came through the kernel.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "common.h"
#include "kselftest_harness.h"
#include "sysfs_util.h"

extern char **environ;

#define NFDS	8
#define TAG	0x7a9b00c0ffeeULL

/* Whether this run is under the interposer. */
static int interposed(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "libxepoll-preload");
}

/* The ring size this run asks the interposer for: 0 for none. */
static unsigned long ring_entries(void)
{
	const char *v = getenv("XEPOLL_PRELOAD_RING");

	if (!interposed())
		return 0;
	return v ? strtoul(v, NULL, 10) : 4096;
}

/* A run whose ring holds every event a case has pending at once. */
static int big_ring(void)
{
	return ring_entries() >= 4 * NFDS;
}

static const char *expected_kind(void)
{
	return interposed() ? "anon_inode:[xepoll]" : "anon_inode:[eventpoll]";
}

static const char *fd_kind(int fd, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, size - 1);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

/* How many ring mappings the process has. */
static int ring_maps(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[xepoll-ring]"))
			n++;
	fclose(f);
	return n;
}

/* A counter of /sys/kernel/xepoll, or -1 where there is none. */
static long counter(const char *name)
{
	char path[128];
	long v;

	snprintf(path, sizeof(path), XEP_SYSFS "/%s", name);
	v = read_long(path);
	return v < 0 ? -1 : v;
}

static void poke(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		abort();
}

static void drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		abort();
}

static int add(int epfd, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int epfd, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

/*
 * A zero-timeout wait for up to @max events: their data as a bit mask in
 * *@mask (bit i for data i, each data below 64), or -1 in it if an event
 * was not EPOLLIN or came twice. Returns the epoll_wait() result.
 */
static int reap(int epfd, int max, uint64_t *mask)
{
	struct epoll_event ev[4 * NFDS];
	int n, i;

	n = epoll_wait(epfd, ev, max, 0);
	*mask = 0;
	for (i = 0; i < n; i++) {
		if (ev[i].events != EPOLLIN || ev[i].data.u64 >= 64 ||
		    (*mask & (1ULL << ev[i].data.u64))) {
			*mask = UINT64_MAX;
			break;
		}
		*mask |= 1ULL << ev[i].data.u64;
	}
	return n;
}

FIXTURE(efds) {
	int epfd;
	int efd[NFDS];
};

FIXTURE_SETUP(efds)
{
	char buf[PATH_MAX];
	int i;

	self->epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
	ASSERT_STREQ(expected_kind(), fd_kind(self->epfd, buf, sizeof(buf)));
	for (i = 0; i < NFDS; i++) {
		self->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, self->efd[i]);
	}
}

FIXTURE_TEARDOWN(efds)
{
	int i;

	for (i = 0; i < NFDS; i++)
		close(self->efd[i]);
	close(self->epfd);
}

/* How far counter @name moved since it read @before; -1 if there is none. */
static long moved(const char *name, long before)
{
	long now = counter(name);

	return before < 0 || now < 0 ? -1 : now - before;
}

/*
 * The kernel's wait delivered @events of the @n events of a case, and
 * @cells ring cells were filled (xepoll's counters; -1 for one this
 * kernel lacks): none natively, all of them without a ring, none with a
 * ring that holds them all.
 */
static void expect_path(struct __test_metadata *_metadata, long events,
			long cells, long n)
{
	long want_events = 0, want_cells = 0;

	if (interposed() && !ring_entries())
		want_events = n;
	else if (interposed() && big_ring())
		want_cells = n;
	else if (interposed())
		return;		/* the small ring: some of each */
	if (events >= 0)
		EXPECT_EQ(want_events, events) TH_LOG("events the kernel's wait delivered");
	if (cells >= 0)
		EXPECT_EQ(want_cells, cells) TH_LOG("ring cells filled");
}

/* A ring is mapped at the first edge-triggered or one-shot registration. */
TEST(ring_at_first_edge_registration)
{
	int before = ring_maps(), on = ring_entries() != 0, epfd, epfd2, last, fd[3], i;

	ASSERT_LE(0, before);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	for (i = 0; i < 3; i++) {
		fd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, fd[i]);
	}
	ASSERT_EQ(0, add(epfd, fd[0], EPOLLIN, 0));
	EXPECT_EQ(before, ring_maps()) TH_LOG("a ring for a level-triggered registration");
	ASSERT_EQ(0, add(epfd, fd[1], EPOLLIN | EPOLLET, 1));
	EXPECT_EQ(before + on, ring_maps());
	ASSERT_EQ(0, add(epfd, fd[2], EPOLLIN | EPOLLET, 2));
	EXPECT_EQ(before + on, ring_maps()) TH_LOG("a second ring");
	/* One-shot registrations too, on a second instance. */
	epfd2 = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd2);
	ASSERT_EQ(0, add(epfd2, fd[0], EPOLLIN | EPOLLONESHOT, 0));
	EXPECT_EQ(before + 2 * on, ring_maps());
	/* The instances' close kills their rings; the next create unmaps them. */
	close(epfd);
	close(epfd2);
	last = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, last);
	EXPECT_EQ(before, ring_maps()) TH_LOG("dead rings still mapped");
	close(last);
	for (i = 0; i < 3; i++)
		close(fd[i]);
}

/* Edge-triggered: once per edge, coalesced, in any batch size. */
TEST_F(efds, edge_triggered)
{
	long events = counter("events"), cells = counter("ring_cells");
	uint64_t mask;
	int i;

	for (i = 0; i < NFDS; i++)
		ASSERT_EQ(0, add(self->epfd, self->efd[i], EPOLLIN | EPOLLET, i));
	ASSERT_EQ(0, reap(self->epfd, NFDS, &mask));
	poke(self->efd[0]);
	poke(self->efd[3]);
	poke(self->efd[5]);
	ASSERT_EQ(3, reap(self->epfd, NFDS, &mask));
	EXPECT_EQ(0x29, mask);
	ASSERT_EQ(0, reap(self->epfd, NFDS, &mask)) TH_LOG("an edge reported twice");
	/* Two writes before the wait: one event. */
	poke(self->efd[3]);
	poke(self->efd[3]);
	ASSERT_EQ(1, reap(self->epfd, NFDS, &mask));
	EXPECT_EQ(0x8, mask);
	ASSERT_EQ(0, reap(self->epfd, NFDS, &mask));
	/* Every one, three at a time then the rest. */
	for (i = 0; i < NFDS; i++)
		poke(self->efd[i]);
	ASSERT_EQ(3, reap(self->epfd, 3, &mask));
	ASSERT_NE(UINT64_MAX, mask);
	i = (int)mask;
	ASSERT_EQ(NFDS - 3, reap(self->epfd, NFDS, &mask));
	EXPECT_EQ(0, i & mask);
	EXPECT_EQ(0xff, i | mask);
	ASSERT_EQ(0, reap(self->epfd, NFDS, &mask));
	expect_path(_metadata, moved("events", events), moved("ring_cells", cells), 12);
}

/* One-shot: disarmed once reported, until MOD, which finds it ready. */
TEST_F(efds, one_shot)
{
	long events = counter("events"), cells = counter("ring_cells");
	uint64_t mask;

	ASSERT_EQ(0, add(self->epfd, self->efd[2], EPOLLIN | EPOLLONESHOT, 2));
	poke(self->efd[2]);
	ASSERT_EQ(1, reap(self->epfd, NFDS, &mask));
	EXPECT_EQ(0x4, mask);
	poke(self->efd[2]);
	ASSERT_EQ(0, reap(self->epfd, NFDS, &mask)) TH_LOG("not disarmed");
	ASSERT_EQ(0, mod(self->epfd, self->efd[2], EPOLLIN | EPOLLONESHOT, 2));
	ASSERT_EQ(1, reap(self->epfd, NFDS, &mask));
	EXPECT_EQ(0x4, mask);
	ASSERT_EQ(0, reap(self->epfd, NFDS, &mask));
	/* Re-armed while not ready: the next write reports. */
	drain(self->efd[2]);
	ASSERT_EQ(0, mod(self->epfd, self->efd[2], EPOLLIN | EPOLLONESHOT, 2));
	ASSERT_EQ(0, reap(self->epfd, NFDS, &mask));
	poke(self->efd[2]);
	ASSERT_EQ(1, reap(self->epfd, NFDS, &mask));
	EXPECT_EQ(0x4, mask);
	/* One-shot and edge-triggered at once. */
	ASSERT_EQ(0, add(self->epfd, self->efd[4], EPOLLIN | EPOLLONESHOT | EPOLLET, 4));
	poke(self->efd[4]);
	poke(self->efd[4]);
	ASSERT_EQ(1, reap(self->epfd, NFDS, &mask));
	EXPECT_EQ(0x10, mask);
	ASSERT_EQ(0, reap(self->epfd, NFDS, &mask));
	expect_path(_metadata, moved("events", events), moved("ring_cells", cells), 4);
}

/* Level-triggered beside edge-triggered in one instance. */
TEST_F(efds, level_beside_edge)
{
	uint64_t mask;

	ASSERT_EQ(0, add(self->epfd, self->efd[1], EPOLLIN, 1));
	ASSERT_EQ(0, add(self->epfd, self->efd[2], EPOLLIN | EPOLLET, 2));
	poke(self->efd[1]);
	poke(self->efd[2]);
	ASSERT_EQ(2, reap(self->epfd, NFDS, &mask));
	EXPECT_EQ(0x6, mask);
	/* The level-triggered one again, alone, however many are asked. */
	ASSERT_EQ(1, reap(self->epfd, NFDS, &mask));
	EXPECT_EQ(0x2, mask);
	ASSERT_EQ(1, reap(self->epfd, 1, &mask));
	EXPECT_EQ(0x2, mask);
	poke(self->efd[2]);
	ASSERT_EQ(2, reap(self->epfd, NFDS, &mask));
	EXPECT_EQ(0x6, mask);
	drain(self->efd[1]);
	ASSERT_EQ(0, reap(self->epfd, NFDS, &mask));
}

/*
 * Every wait call and form reaps the ring, and arguments epoll refuses
 * are refused with an event pending, which stays.
 */
TEST_F(efds, wait_forms_and_errors)
{
	struct timespec zero = { 0, 0 }, bad = { 0, 1000000000L }, neg = { -1, 0 };
	/* Out of the compiler's sight, which would refuse them. */
	struct epoll_event *volatile none = NULL;
	volatile int negative = -1, huge = INT_MAX;
	struct epoll_event ev[4];
	sigset_t set;

	sigemptyset(&set);
	ASSERT_EQ(0, add(self->epfd, self->efd[0], EPOLLIN | EPOLLET, TAG));
	poke(self->efd[0]);
	EXPECT_EQ(-1, epoll_wait(self->epfd, ev, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, epoll_wait(self->epfd, ev, negative, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, epoll_wait(self->epfd, ev, huge, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, epoll_wait(self->epfd, none, 4, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, epoll_pwait2(self->epfd, ev, 4, &bad, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, epoll_pwait2(self->epfd, ev, 4, &neg, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, syscall(SYS_epoll_pwait, self->epfd, ev, 4, 0, &set, 4));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(1, epoll_pwait(self->epfd, ev, 4, -1, &set));
	EXPECT_EQ(TAG, ev[0].data.u64);
	EXPECT_EQ(EPOLLIN, ev[0].events);
	ASSERT_EQ(0, epoll_pwait(self->epfd, ev, 4, 0, &set));

	poke(self->efd[0]);
	ASSERT_EQ(1, epoll_pwait2(self->epfd, ev, 4, NULL, &set));
	EXPECT_EQ(TAG, ev[0].data.u64);
	ASSERT_EQ(0, epoll_pwait2(self->epfd, ev, 4, &zero, NULL));
	poke(self->efd[0]);
	ASSERT_EQ(1, syscall(SYS_epoll_wait, self->epfd, ev, 4, -1));
	EXPECT_EQ(TAG, ev[0].data.u64);
	poke(self->efd[0]);
	ASSERT_EQ(1, syscall(SYS_epoll_pwait, self->epfd, ev, 4, -1, &set, 8));
	poke(self->efd[0]);
	ASSERT_EQ(1, syscall(SYS_epoll_pwait2, self->epfd, ev, 4, NULL, NULL, 0));
	ASSERT_EQ(0, syscall(SYS_epoll_pwait2, self->epfd, ev, 4, &zero, NULL, 0));
	ASSERT_EQ(0, epoll_wait(self->epfd, ev, 4, 0));
}

/* A wait that sleeps is woken by an edge (the kernel reaps the ring). */
struct sleeper {
	int epfd;
	int n;
	uint64_t data;
};

static void *sleep_wait(void *arg)
{
	struct sleeper *s = arg;
	struct epoll_event ev;

	s->n = epoll_wait(s->epfd, &ev, 1, 10000);
	s->data = ev.data.u64;
	return NULL;
}

TEST_F(efds, sleeping_wait_woken)
{
	struct sleeper s = { .epfd = self->epfd };
	long long t0 = now_ms();
	pthread_t t;

	ASSERT_EQ(0, add(self->epfd, self->efd[0], EPOLLIN | EPOLLET, TAG));
	ASSERT_EQ(0, pthread_create(&t, NULL, sleep_wait, &s));
	msleep(100);
	poke(self->efd[0]);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(1, s.n);
	EXPECT_EQ(TAG, s.data);
	EXPECT_GT(5000, now_ms() - t0);
}

/*
 * A closed instance's ring is not its number's any more: the wait fails
 * as epoll's does, and a new instance that takes the number has its own
 * events only, whether or not the old one is still open elsewhere.
 */
TEST(number_reused_by_new_instance)
{
	int epfd, epfd2, dup_fd, a, b;
	struct epoll_event ev[4];
	uint64_t mask;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	a = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	b = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);

	/* Closed with an event pending in its ring. */
	ASSERT_EQ(0, add(epfd, a, EPOLLIN | EPOLLET, 1));
	poke(a);
	ASSERT_EQ(0, close(epfd));
	EXPECT_EQ(-1, epoll_wait(epfd, ev, 4, 0));
	EXPECT_EQ(EBADF, errno);
	epfd2 = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_EQ(epfd, epfd2);
	ASSERT_EQ(0, add(epfd2, b, EPOLLIN | EPOLLET, 2));
	poke(a);
	poke(b);
	ASSERT_EQ(1, reap(epfd2, 4, &mask));
	EXPECT_EQ(0x4, mask);

	/* Closed while a dup keeps the instance, with an event in its ring. */
	dup_fd = fcntl(epfd2, F_DUPFD_CLOEXEC, 0);
	ASSERT_LT(epfd2, dup_fd);
	poke(b);
	ASSERT_EQ(0, close(epfd2));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_EQ(epfd2, epfd);
	ASSERT_EQ(0, add(epfd, a, EPOLLIN | EPOLLET, 1));
	poke(a);
	ASSERT_EQ(1, reap(epfd, 4, &mask)) TH_LOG("the old instance's events?");
	EXPECT_EQ(0x2, mask);
	ASSERT_EQ(0, reap(epfd, 4, &mask));
	/* The old instance's event is still there, for its other descriptor. */
	ASSERT_EQ(1, reap(dup_fd, 4, &mask));
	EXPECT_EQ(0x4, mask);
	close(dup_fd);
	close(epfd);
	close(a);
	close(b);
}

/*
 * Closed while a dup keeps the instance: a wait that enters the kernel
 * fails with EBADF, and the later ones do, with events in the old ring.
 */
TEST(closed_number_of_live_instance)
{
	struct epoll_event ev[4];
	int epfd, dup_fd, a;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	a = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, add(epfd, a, EPOLLIN | EPOLLET, 1));
	dup_fd = fcntl(epfd, F_DUPFD_CLOEXEC, 0);
	ASSERT_LE(0, dup_fd);
	ASSERT_EQ(0, close(epfd));
	EXPECT_EQ(-1, epoll_wait(epfd, ev, 4, 10));
	EXPECT_EQ(EBADF, errno);
	poke(a);
	EXPECT_EQ(-1, epoll_wait(epfd, ev, 4, 0));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(1, epoll_wait(dup_fd, ev, 4, 0));
	close(dup_fd);
	close(a);
}

/* A forked child reaps the instance (and the ring) it shares. */
TEST_F(efds, fork_child_reaps)
{
	int i, status, maps = ring_maps();
	uint64_t mask;
	pid_t pid;

	for (i = 0; i < NFDS; i++)
		ASSERT_EQ(0, add(self->epfd, self->efd[i], EPOLLIN | EPOLLET, i));
	EXPECT_EQ(!!ring_entries(), ring_maps() - maps);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct epoll_event ev[NFDS];
		int n = 0, got;

		for (i = 0; i < 4; i++)
			poke(self->efd[i]);
		while (n < 4) {
			got = epoll_wait(self->epfd, ev, NFDS, 5000);
			if (got <= 0)
				_exit(10);
			n += got;
		}
		_exit(n == 4 && epoll_wait(self->epfd, ev, NFDS, 0) == 0 ? 0 : 11);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* Consumed by the child. */
	ASSERT_EQ(0, reap(self->epfd, NFDS, &mask));
	poke(self->efd[6]);
	ASSERT_EQ(1, reap(self->epfd, NFDS, &mask));
	EXPECT_EQ(0x40, mask);
}

/*
 * Threads reaping one instance together: each edge is reported to exactly
 * one of them. A level-triggered descriptor, ready at the end, stops them
 * all.
 */
#define THREADS		4
#define ROUNDS		50
#define STOP		63

struct shared {
	int epfd;
	atomic_int total;
	atomic_int seen[NFDS];
	atomic_int bad;
};

static void *reaper(void *arg)
{
	struct shared *sh = arg;
	struct epoll_event ev[3];
	int n, i, stop = 0;

	while (!stop) {
		n = epoll_wait(sh->epfd, ev, 3, 10000);
		if (n <= 0) {
			atomic_fetch_add(&sh->bad, 1);
			return NULL;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.u64 == STOP) {
				stop = 1;
			} else if (ev[i].data.u64 < NFDS && ev[i].events == EPOLLIN) {
				atomic_fetch_add(&sh->seen[ev[i].data.u64], 1);
				atomic_fetch_add(&sh->total, 1);
			} else {
				atomic_fetch_add(&sh->bad, 1);
			}
		}
	}
	return NULL;
}

TEST_F(efds, threads_reap_together)
{
	struct shared sh = { .epfd = self->epfd };
	int i, r, stop = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_t t[THREADS];
	long long deadline;

	ASSERT_LE(0, stop);
	for (i = 0; i < NFDS; i++)
		ASSERT_EQ(0, add(self->epfd, self->efd[i], EPOLLIN | EPOLLET, i));
	ASSERT_EQ(0, add(self->epfd, stop, EPOLLIN, STOP));
	for (i = 0; i < THREADS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, reaper, &sh));
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < NFDS; i++)
			poke(self->efd[i]);
		/* Each write of the next round comes after its last event. */
		deadline = now_ms() + 10000;
		while (atomic_load(&sh.total) < (r + 1) * NFDS && now_ms() < deadline &&
		       !atomic_load(&sh.bad))
			usleep(100);
		if (atomic_load(&sh.total) < (r + 1) * NFDS)
			break;
	}
	poke(stop);
	for (i = 0; i < THREADS; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	EXPECT_EQ(0, atomic_load(&sh.bad));
	EXPECT_EQ(ROUNDS * NFDS, atomic_load(&sh.total));
	for (i = 0; i < NFDS; i++)
		EXPECT_EQ(ROUNDS, atomic_load(&sh.seen[i])) TH_LOG("descriptor %d", i);
	close(stop);
}

/*
 * Under a seccomp filter that fails every wait system call and every
 * ioctl with EXDEV, in a forked child: with a ring, edge-triggered events
 * and empty zero-timeout checks need none; without (native epoll, or no
 * ring), the same waits fail, which shows the filter catches them.
 */
struct no_syscall_result {
	int seccomp;	/* 0, or the errno of the filter's installation */
	int ret[6];
	int err[6];
	uint64_t data[6];
};

static int forbid_waits(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_epoll_wait, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_epoll_pwait, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_epoll_pwait2, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EXDEV),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static void no_syscall_child(FIXTURE_DATA(efds) *self, struct no_syscall_result *r)
{
	struct epoll_event ev[NFDS];
	sigset_t set;
	int k = 0;

	sigemptyset(&set);
	if (forbid_waits()) {
		r->seccomp = errno;
		return;
	}
#define RECORD(call) do {						\
		ev[0].data.u64 = 0;					\
		r->ret[k] = (call);					\
		r->err[k] = r->ret[k] < 0 ? errno : 0;			\
		r->data[k] = ev[0].data.u64;				\
		k++;							\
	} while (0)
	poke(self->efd[1]);
	poke(self->efd[2]);
	RECORD(epoll_wait(self->epfd, ev, NFDS, 0));
	RECORD(epoll_wait(self->epfd, ev, NFDS, 0));
	poke(self->efd[3]);
	RECORD(epoll_pwait(self->epfd, ev, NFDS, -1, &set));
	poke(self->efd[4]);
	RECORD(epoll_pwait2(self->epfd, ev, NFDS, NULL, &set));
	poke(self->efd[5]);
	RECORD((int)syscall(SYS_epoll_wait, self->epfd, ev, NFDS, -1));
	RECORD(epoll_pwait2(self->epfd, ev, NFDS, &(struct timespec){ 0, 0 }, NULL));
#undef RECORD
}

TEST_F(efds, ring_events_without_syscall)
{
	static const int expect_ret[6] = { 2, 0, 1, 1, 1, 0 };
	static const uint64_t expect_data[6] = { 0, 0, 3, 4, 5, 0 };
	struct no_syscall_result *r;
	int i, status, ring = ring_entries() != 0;
	pid_t pid;

#ifndef __x86_64__
	SKIP(return, "the filter is written for x86-64");
#endif
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	for (i = 0; i < NFDS; i++)
		ASSERT_EQ(0, add(self->epfd, self->efd[i], EPOLLIN | EPOLLET, i));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		no_syscall_child(self, r);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	if (r->seccomp) {
		/* Without CONFIG_SECCOMP_FILTER: ENOSYS, or EINVAL for the mode. */
		ASSERT_TRUE(r->seccomp == ENOSYS || r->seccomp == EINVAL)
			TH_LOG("seccomp: %s", strerror(r->seccomp));
		SKIP(return, "no seccomp filters in this kernel");
	}
	for (i = 0; i < 6; i++) {
		if (ring) {
			EXPECT_EQ(expect_ret[i], r->ret[i])
				TH_LOG("wait %d: %s", i, strerror(r->err[i]));
			if (expect_data[i])
				EXPECT_EQ(expect_data[i], r->data[i]);
		} else {
			EXPECT_EQ(-1, r->ret[i]) TH_LOG("wait %d made no system call", i);
			EXPECT_EQ(EXDEV, r->err[i]);
		}
	}
	munmap(r, sizeof(*r));
}

/*
 * A program execve()d with an instance it inherited: its waits reach the
 * instance (and under the interposer map its ring) and reap its events,
 * old and new.
 */
#define CHILD_ROLE	"PRELOAD_RING_TEST_ROLE"
#define CHILD_FDS	"PRELOAD_RING_TEST_FDS"

static int inherited_child(int epfd, int efd)
{
	struct epoll_event ev[4];
	char buf[PATH_MAX];

	if (strcmp(expected_kind(), fd_kind(epfd, buf, sizeof(buf))))
		return 20;
	if (ring_maps() != 0)
		return 21;
	/* The event the parent left in the ring. */
	if (epoll_wait(epfd, ev, 4, 5000) != 1 || ev[0].data.u64 != TAG)
		return 22;
	if (ring_maps() != (ring_entries() != 0))
		return 23;
	if (epoll_wait(epfd, ev, 4, 0) != 0)
		return 24;
	poke(efd);
	if (epoll_wait(epfd, ev, 4, 0) != 1 || ev[0].data.u64 != TAG)
		return 25;
	if (epoll_wait(epfd, ev, 4, 0) != 0)
		return 26;
	return 0;
}

__attribute__((constructor))
static void exec_child(void)
{
	const char *role = getenv(CHILD_ROLE), *fds = getenv(CHILD_FDS);
	int a = -1, b = -1;

	if (!role)
		return;
	if (!fds || sscanf(fds, "%d,%d", &a, &b) != 2)
		_exit(98);
	_exit(inherited_child(a, b));
}

TEST(exec_with_inherited_instance)
{
	int epfd, inh, efd, status;
	char fds[32];
	pid_t pid;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, add(epfd, efd, EPOLLIN | EPOLLET, TAG));
	poke(efd);
	inh = fcntl(epfd, F_DUPFD, 0);	/* without close-on-exec */
	ASSERT_LE(0, inh);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *argv[] = { "preload_ring_test", NULL };

		snprintf(fds, sizeof(fds), "%d,%d", inh, efd);
		setenv(CHILD_ROLE, "inherited", 1);
		setenv(CHILD_FDS, fds, 1);
		execve("/proc/self/exe", argv, environ);
		_exit(2);
	}
	close(inh);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The child's waits consumed both events of the shared instance. */
	EXPECT_EQ(0, epoll_wait(epfd, &(struct epoll_event){ 0 }, 1, 0));
	close(efd);
	close(epfd);
}

TEST_HARNESS_MAIN
