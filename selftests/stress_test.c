// SPDX-License-Identifier: GPL-2.0
/*
 * A concurrency stress with invariants. Worker threads, and two forked
 * worker processes that share the instances through inherited
 * descriptors, hammer a few shared instances at random: ADD, MOD and DEL
 * with random masks (EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE included),
 * waits with random timeouts and maxevents, writes and reads on eventfds,
 * pipes and sockets, and instances watching instances. Watched files lose
 * their last reference while others use them, by every path the kernel
 * tells xepoll of: close(), close_range(), xepoll_close() (now a plain
 * close), dup2() over them, and forked children that exit with the last
 * copy (of files, and of instances other instances watch); the release
 * races ctl, waits, nesting and instance release. A thread interrupts the
 * workers' waits with signals. Some forked children leave a signalfd
 * watched by a shared instance behind, whose wait queue goes away with
 * them (POLLFREE), and whose file goes with their exit.
 *
 * What must hold throughout:
 * - every call returns success or an errno of the set that call may give
 *   in that situation (exact sets for the descriptors nobody closes, wider
 *   ones for the descriptors that are closed and reused under the call;
 *   in the second half of the run, churn instances also watch the stable
 *   descriptors and the shared instances, and an ADD may then meet
 *   epoll's limit on wake-up paths, EINVAL);
 * - every event carries data that was registered (each registration's
 *   data is a fresh tagged number), real event bits and nothing else, and
 *   the wait writes nothing past the events it returns;
 * - after a thread's DEL of its own descriptor from a shared instance
 *   returns, that thread's next wait there does not report it;
 * - on each thread's private instance, level, edge and one-shot
 *   registrations behave exactly, whatever the other threads are doing;
 *   and a registered eventfd reports while any reference to it lives (a
 *   dup, an SCM_RIGHTS message in flight, a forked child) and never once
 *   its last reference is gone (close, close_range, dup2 over it, the
 *   message dropped, the child's exit);
 * - after everything is closed, the user's instances and watches in
 *   /sys/kernel/xepoll/users are back to what they were.
 *
 * Two of the shared instances have rings (one small, often full), which
 * the workers also reap in user space with libxepoll, the forked workers
 * through their copy of the mapping; and every kernel wait must report a
 * registration once at most. A second test, ring_accounting, counts every
 * write and every event on a ring instance (see there).
 *
 * Bounded by XEPOLL_STRESS_SECONDS (default 20) and, per worker, by
 * XEPOLL_STRESS_ITERATIONS (default 200000); seeded by XEPOLL_STRESS_SEED,
 * else the clock, and the seed is printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <linux/xepoll.h>

#include "kselftest_harness.h"
#include "xepoll.h"
#include "xstats.h"
#include "common.h"

#define NINST		4	/* shared instances, open for the whole run (== 4) */
#define NCHURN		32	/* descriptors closed and replaced during the run */
#define NTHREADS	6
#define NPROCS		2	/* forked workers for the whole run */
#define MAX_LAST_FORKS	300	/* children forked to hold a last reference */
#define MAXEV		32
#define DATA_TAG	0x5eedULL
#define EXCL_OK		(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | \
			 EPOLLET | EPOLLEXCLUSIVE)
#define PRIVATE_BITS	(EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)

/* Shared by the threads and the forked processes (MAP_SHARED). */
struct shared {
	_Atomic uint64_t next_data;
	atomic_int stop;
	atomic_ulong failures;
	atomic_ulong ops, events, eintr, forks, last_forks, last_refs;
	/* ring mode: events reaped through libxepoll, calls with one twice */
	atomic_ulong ring_events, ring_twice;
	atomic_int workers_done;
	/* churn instances watch stable files: more wake-up paths (EINVAL) */
	atomic_bool churn_watches;
	/* [i][t]: stable[t] was ever added to inst[i] with EPOLLEXCLUSIVE */
	atomic_bool excl_ever[4][16];
};

enum kind { K_EFD, K_PIPE_R, K_PIPE_W, K_SOCK, K_INST };

/* The descriptors nobody closes during the run: exact errno sets. */
struct stable {
	int fd;
	enum kind kind;
	int inst;		/* index in inst[] for K_INST, else -1 */
};

static struct shared *sh;
/*
 * Taken for writing around every fork() of a thread, and for reading by
 * op_last_ref() (for writing when it forks itself), so that no child
 * copies another thread's descriptor whose last reference is being checked.
 */
static pthread_rwlock_t fork_lock;
/*
 * Taken for reading by the dups of churn numbers that may be stale (the
 * number closed, and reused for any new file, since it was read), and for
 * writing by op_last_ref() throughout: so that no stale dup takes another
 * reference to its eventfd, or to the socket or pipe it holds it through.
 */
static pthread_rwlock_t dup_lock;
static int inst[NINST];
/* The rings of the shared instances that have one (ring mode), or NULL. */
static struct xepoll_ring *rings[NINST];
static struct stable stable[NINST + 8];
static int nstable;
static atomic_int churn[NCHURN];
static double deadline, halfway;
static unsigned long long max_iters;
static pthread_t threads[NTHREADS];

/* Failures of this thread (or of a forked child, which copies it). */
static __thread unsigned long my_failures;

#define FAIL(fmt, ...) do {							\
	my_failures++;								\
	if (atomic_fetch_add(&sh->failures, 1) < 20)				\
		dprintf(2, "# FAIL [%d] %s:%d: " fmt "\n", getpid(),	\
			__func__, __LINE__, ##__VA_ARGS__);			\
} while (0)

struct worker {
	uint64_t rnd;
	int id;
	int slot;		/* a descriptor number no churn number reaches */
	bool in_child;		/* a forked process: no fork() from here */
	int pep, pefd;		/* private instance and eventfd */
	unsigned long long iters;
};

static uint64_t new_data(void)
{
	return DATA_TAG << 48 | atomic_fetch_add(&sh->next_data, 1);
}

static bool data_valid(uint64_t data)
{
	return data >> 48 == DATA_TAG &&
	       (data & ((1ULL << 48) - 1)) < atomic_load(&sh->next_data);
}

static bool errno_in(int e, const int *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == e)
			return true;
	return false;
}

#define ERRNO_IN(e, ...) errno_in((e), (const int[]){ __VA_ARGS__ },		\
				  sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int))

static uint32_t rand_mask(struct worker *w)
{
	uint32_t m = 0;

	if (xep_rand_below(&w->rnd, 4))
		m |= EPOLLIN;
	if (!xep_rand_below(&w->rnd, 3))
		m |= EPOLLOUT;
	if (!xep_rand_below(&w->rnd, 8))
		m |= EPOLLRDHUP;
	if (!xep_rand_below(&w->rnd, 4))
		m |= EPOLLET;
	if (!xep_rand_below(&w->rnd, 5))
		m |= EPOLLONESHOT;
	if (!xep_rand_below(&w->rnd, 8))
		m |= EPOLLEXCLUSIVE;
	return m;
}

/* Check what a wait wrote: @n events of @size bytes at @buf, then canary. */
static void check_events(const char *buf, int n, int maxevents, size_t size,
			 bool canary)
{
	int i;

	for (i = 0; i < n; i++) {
		uint32_t ev, pad = 0;
		uint64_t data;

		memcpy(&ev, buf + i * size, 4);
		if (size == 16) {
			memcpy(&pad, buf + i * size + 4, 4);
			memcpy(&data, buf + i * size + 8, 8);
		} else {
			memcpy(&data, buf + i * size + 4, 8);
		}
		if (!data_valid(data))
			FAIL("event %d of %d: data %#llx was never registered", i, n,
			     (unsigned long long)data);
		if (!ev || (ev & PRIVATE_BITS) || pad)
			FAIL("event %d of %d: events %#x pad %#x", i, n, ev, pad);
	}
	if (!canary)
		return;
	for (i = n * (int)size; i < maxevents * (int)size; i++) {
		if ((unsigned char)buf[i] != 0xa5) {
			FAIL("byte %d written after %d events", i, n);
			return;
		}
	}
}

/* Whether no two of the @n events of @size bytes at @buf have one data. */
static bool events_once(const char *buf, int n, size_t size)
{
	size_t off = size == 16 ? 8 : 4;
	uint64_t a, b;
	int i, j;

	for (i = 1; i < n; i++) {
		memcpy(&a, buf + i * size + off, 8);
		for (j = 0; j < i; j++) {
			memcpy(&b, buf + j * size + off, 8);
			if (a == b)
				return false;
		}
	}
	return true;
}

/*
 * Every registration has data of its own (new_data()), and one wait
 * reports a registration once at most, as epoll's does, ring or none.
 */
static void check_once(const char *buf, int n, size_t size)
{
	if (!events_once(buf, n, size))
		FAIL("a wait of %d events reported one data twice", n);
}

/*
 * The result @n of a wait (@what) for @max events with @timeout: counted,
 * and whether it returned events to check.
 */
static bool wait_done(int n, int max, int timeout, const char *what)
{
	if (n < 0) {
		if (errno == EINTR && timeout)
			atomic_fetch_add(&sh->eintr, 1);
		else
			FAIL("%s(max %d, timeout %d): %m", what, max, timeout);
		return false;
	}
	if (n > max) {
		FAIL("%s returned %d > maxevents %d", what, n, max);
		return false;
	}
	atomic_fetch_add(&sh->events, n);
	return true;
}

/* A wait on a shared instance, through libxepoll or the raw ioctl. */
static void op_wait(struct worker *w)
{
	static const int tmo[] = { 0, 0, 1, 3, 10 };
	char buf[MAXEV * 16];
	int ep = inst[xep_rand_below(&w->rnd, NINST)];
	int max = 1 + xep_rand_below(&w->rnd, MAXEV);
	int timeout = tmo[xep_rand_below(&w->rnd, 5)];
	size_t size = sizeof(struct epoll_event);
	int n;

	memset(buf, 0xa5, sizeof(buf));
	if (!w->in_child && !xep_rand_below(&w->rnd, 10)) {
		/* The private instance is empty here: nothing, or EINTR. */
		n = xepoll_wait(w->pep, (struct epoll_event *)buf, max, 5);
		if (n < 0 && errno == EINTR)
			atomic_fetch_add(&sh->eintr, 1);
		else if (n)
			FAIL("wait on an empty instance: %d %m", n);
		return;
	}
	if (xep_rand_below(&w->rnd, 2)) {
		struct xepoll_wait a = {
			.events = (uintptr_t)buf, .maxevents = max,
			.event_size = XEPOLL_EVENT_SIZE, .timeout_ms = timeout,
		};

		size = XEPOLL_EVENT_SIZE;
		n = ioctl(ep, XEPOLL_IOC_WAIT, &a);
	} else if (xep_rand_below(&w->rnd, 2)) {
		struct timespec ts = { 0, timeout * 1000000L };

		n = xepoll_pwait2(ep, (struct epoll_event *)buf, max, &ts, NULL);
	} else {
		n = xepoll_wait(ep, (struct epoll_event *)buf, max, timeout);
	}
	if (!wait_done(n, max, timeout, "wait"))
		return;
	check_events(buf, n, max, size, true);
	check_once(buf, n, size);
}

/*
 * A reap of a shared instance's ring in user space (libxepoll), or its
 * wait, which reaps the ring and then the kernel: the same data and
 * canary rules as a wait's. A registration may be reported twice here
 * (a new edge after libxepoll took its cell): counted, not failed.
 */
static void op_ring(struct worker *w)
{
	static const int tmo[] = { 0, 0, 1, 3 };
	char buf[MAXEV * sizeof(struct epoll_event)];
	int i = xep_rand_below(&w->rnd, 2);
	int max = 1 + xep_rand_below(&w->rnd, MAXEV);
	int timeout = tmo[xep_rand_below(&w->rnd, 4)];
	int n;

	memset(buf, 0xa5, sizeof(buf));
	if (xep_rand_below(&w->rnd, 2))
		n = xepoll_ring_reap(rings[i], (struct epoll_event *)buf, max);
	else
		n = xepoll_ring_wait(rings[i], (struct epoll_event *)buf, max, timeout);
	if (!wait_done(n, max, timeout, "ring reap or wait"))
		return;
	atomic_fetch_add(&sh->ring_events, n);
	check_events(buf, n, max, sizeof(struct epoll_event), true);
	if (!events_once(buf, n, sizeof(struct epoll_event)))
		atomic_fetch_add(&sh->ring_twice, 1);
}

/* ctl on a descriptor nobody closes: the errno sets are exact. */
static void op_ctl_stable(struct worker *w)
{
	int i = xep_rand_below(&w->rnd, NINST);
	struct stable *t = &stable[xep_rand_below(&w->rnd, nstable)];
	int op = 1 + xep_rand_below(&w->rnd, 3);
	struct epoll_event ev = { .events = rand_mask(w), .data.u64 = new_data() };
	bool excl = ev.events & EPOLLEXCLUSIVE;
	bool ok;
	int ret, e;

	if (op == EPOLL_CTL_ADD && excl && t->kind != K_INST && !(ev.events & ~EXCL_OK))
		atomic_store(&sh->excl_ever[i][t - stable], true);
	ret = xepoll_ctl(inst[i], op, t->fd, &ev);
	e = ret ? errno : 0;

	if (t->kind == K_INST && t->inst == i)
		ok = e == EINVAL;		/* an instance watching itself */
	else if (op == EPOLL_CTL_DEL)
		ok = ERRNO_IN(e, 0, ENOENT);
	else if (op == EPOLL_CTL_MOD && excl)
		ok = e == EINVAL;
	else if (op == EPOLL_CTL_MOD)
		ok = ERRNO_IN(e, 0, ENOENT) ||
		     (e == EINVAL && atomic_load(&sh->excl_ever[i][t - stable]));
	else if (excl && (t->kind == K_INST || (ev.events & ~EXCL_OK)))
		ok = e == EINVAL;
	else if (t->kind == K_INST)
		ok = ERRNO_IN(e, 0, EEXIST, ELOOP, EINVAL);	/* loops, depth, paths */
	else if (atomic_load(&sh->churn_watches))
		ok = ERRNO_IN(e, 0, EEXIST, EINVAL);	/* too many paths up */
	else
		ok = ERRNO_IN(e, 0, EEXIST);
	if (!ok)
		FAIL("ctl(inst %d, op %d, fd %d kind %d, events %#x): %s", i, op,
		     t->fd, t->kind, ev.events, e ? strerror(e) : "success");
}

/* ctl on a descriptor that may be closed, or replaced, under the call. */
static void op_ctl_churn(struct worker *w)
{
	int ep = inst[xep_rand_below(&w->rnd, NINST)];
	int fd = atomic_load(&churn[xep_rand_below(&w->rnd, NCHURN)]);
	int op = 1 + xep_rand_below(&w->rnd, 3);
	struct epoll_event ev = { .events = rand_mask(w), .data.u64 = new_data() };
	int ret, e;
	bool ok;

	/*
	 * Or the other way round: a churn descriptor, perhaps an instance,
	 * watches a stable one, perhaps a shared instance (loops, nesting,
	 * instances closed with registrations).
	 */
	if (xep_now() > halfway && !xep_rand_below(&w->rnd, 3)) {
		/* Said before the first such ADD can change what others see. */
		atomic_store(&sh->churn_watches, true);
		ep = fd;
		fd = stable[xep_rand_below(&w->rnd, nstable)].fd;
	}
	ret = xepoll_ctl(ep, op, fd, &ev);
	e = ret ? errno : 0;
	if (ep != inst[0] && ep != inst[1] && ep != inst[2] && ep != inst[3]) {
		ok = ERRNO_IN(e, 0, EEXIST, ENOENT, EBADF, EPERM, EINVAL, ELOOP);
	}
	else if (op == EPOLL_CTL_ADD)
		ok = ERRNO_IN(e, 0, EEXIST, EBADF, EPERM, EINVAL, ELOOP);
	else
		ok = ERRNO_IN(e, 0, ENOENT, EBADF, EPERM, EINVAL);
	if (!ok)
		FAIL("ctl(epfd %d, op %d, fd %d, events %#x): %s", ep, op, fd, ev.events,
		     e ? strerror(e) : "success");
}

/* Close a churn descriptor, which this thread owns once it took it. */
static void op_close(struct worker *w)
{
	int fd = atomic_exchange(&churn[xep_rand_below(&w->rnd, NCHURN)], -1);
	int ret;

	if (fd < 0)
		return;
	switch (xep_rand_below(&w->rnd, 3)) {
	case 0:
		ret = xepoll_close(inst[xep_rand_below(&w->rnd, NINST)], fd);
		break;
	case 1:
		ret = close_range(fd, fd, 0);
		break;
	default:
		ret = close(fd);
	}
	/*
	 * A child forked while another thread closed a churn descriptor may
	 * have copied the memory before, and the descriptor table after.
	 */
	if (ret && !(w->in_child && errno == EBADF))
		FAIL("close(%d): %m", fd);
}

static void churn_put(int fd)
{
	int i, empty;

	for (i = 0; i < NCHURN; i++) {
		empty = -1;
		if (atomic_compare_exchange_strong(&churn[i], &empty, fd))
			return;
	}
	close(fd);
}

/*
 * A forked worker process is single-threaded and has its own descriptor
 * table: it takes no lock (one copied while held would never be let go).
 */
static void dup_lock_read(struct worker *w, bool lock)
{
	if (w->in_child)
		return;
	if (lock)
		pthread_rwlock_rdlock(&dup_lock);
	else
		pthread_rwlock_unlock(&dup_lock);
}

/*
 * dup2() of one churn descriptor over another this thread took: the file
 * the number referred to loses a reference, perhaps its last, perhaps
 * watched by shared or churn instances.
 */
static void op_dup2(struct worker *w)
{
	int fd = atomic_exchange(&churn[xep_rand_below(&w->rnd, NCHURN)], -1);
	int src = atomic_load(&churn[xep_rand_below(&w->rnd, NCHURN)]);

	if (fd < 0)
		return;
	dup_lock_read(w, true);
	if (src >= 0 && dup2(src, fd) < 0 && !ERRNO_IN(errno, EBADF, EBUSY))
		FAIL("dup2(%d, %d): %m", src, fd);
	dup_lock_read(w, false);
	churn_put(fd);
}

/*
 * A forked child takes the last copies of a few churn descriptors, some
 * first registered in a shared instance, and exits with them a moment
 * later: its exit is their last close (of an instance, maybe, watched by
 * others), while the other threads go on.
 */
static void op_fork_last(struct worker *w)
{
	int fds[3], n = 1 + xep_rand_below(&w->rnd, 3), i, status;
	long us = xep_rand_below(&w->rnd, 3000);
	pid_t pid, ret;

	if (w->in_child || atomic_load(&sh->last_forks) >= MAX_LAST_FORKS)
		return;
	atomic_fetch_add(&sh->last_forks, 1);
	for (i = 0; i < n; i++) {
		fds[i] = atomic_exchange(&churn[xep_rand_below(&w->rnd, NCHURN)], -1);
		if (fds[i] >= 0 && xep_rand_below(&w->rnd, 2)) {
			struct epoll_event ev = { .events = rand_mask(w) & ~EPOLLEXCLUSIVE,
						  .data.u64 = new_data() };

			/* Any result: the churn descriptor may be anything. */
			(void)xepoll_ctl(inst[xep_rand_below(&w->rnd, NINST)],
					 EPOLL_CTL_ADD, fds[i], &ev);
		}
	}
	pthread_rwlock_wrlock(&fork_lock);
	pid = fork();
	if (pid)
		pthread_rwlock_unlock(&fork_lock);
	if (pid == 0) {
		struct timespec ts = { 0, us * 1000 };

		nanosleep(&ts, NULL);
		_exit(0);
	}
	if (pid < 0)
		FAIL("fork: %m");
	for (i = 0; i < n; i++)
		if (fds[i] >= 0 && close(fds[i]))
			FAIL("close(%d): %m", fds[i]);
	if (pid < 0)
		return;
	while ((ret = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (ret != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		FAIL("last-copy child %d: status %#x", pid, status);
}

/* A wait on a churn descriptor: perhaps an instance, perhaps gone. */
static void op_wait_churn(struct worker *w)
{
	char buf[MAXEV * 16];
	int fd = atomic_load(&churn[xep_rand_below(&w->rnd, NCHURN)]);
	int max = 1 + xep_rand_below(&w->rnd, MAXEV);
	int n;

	memset(buf, 0xa5, sizeof(buf));
	n = xepoll_wait(fd, (struct epoll_event *)buf, max, xep_rand_below(&w->rnd, 3));
	if (n < 0) {
		if (errno == EINTR)
			atomic_fetch_add(&sh->eintr, 1);
		else if (!ERRNO_IN(errno, EBADF, EINVAL))
			FAIL("wait on churn descriptor %d: %m", fd);
		return;
	}
	if (n > max) {
		FAIL("wait returned %d > maxevents %d", n, max);
		return;
	}
	atomic_fetch_add(&sh->events, n);
	check_events(buf, n, max, sizeof(struct epoll_event), true);
}

static void op_create(struct worker *w)
{
	int fds[2], fd, src;

	switch (xep_rand_below(&w->rnd, 5)) {
	case 0:
		fd = eventfd(xep_rand_below(&w->rnd, 2), EFD_NONBLOCK | EFD_CLOEXEC);
		if (fd >= 0)
			churn_put(fd);
		return;
	case 1:
		if (pipe2(fds, O_NONBLOCK | O_CLOEXEC))
			return;
		churn_put(fds[0]);
		churn_put(fds[1]);
		return;
	case 2:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds))
			return;
		churn_put(fds[0]);
		churn_put(fds[1]);
		return;
	case 3:
		fd = xepoll_create1(EPOLL_CLOEXEC);
		if (fd < 0) {
			FAIL("xepoll_create1: %m");
			return;
		}
		churn_put(fd);
		return;
	default:
		dup_lock_read(w, true);
		src = atomic_load(&churn[xep_rand_below(&w->rnd, NCHURN)]);
		fd = src >= 0 ? fcntl(src, F_DUPFD_CLOEXEC, 0) : -1;
		dup_lock_read(w, false);
		if (fd >= 0)
			churn_put(fd);
	}
}

/* Writes and reads that make the watched files ready and not ready. */
static void op_io(struct worker *w)
{
	char buf[64] = { 1 };
	uint64_t one = 1;
	struct stable *t;
	ssize_t r;
	int fd;

	if (xep_rand_below(&w->rnd, 3) == 0) {
		/* A churn descriptor: any type, maybe gone; no oracle. */
		fd = atomic_load(&churn[xep_rand_below(&w->rnd, NCHURN)]);
		if (xep_rand_below(&w->rnd, 2))
			r = write(fd, &one, sizeof(one));
		else
			r = read(fd, buf, sizeof(buf));
		(void)r;
		return;
	}
	t = &stable[xep_rand_below(&w->rnd, nstable)];
	switch (t->kind) {
	case K_EFD:
		if (xep_rand_below(&w->rnd, 2))
			r = write(t->fd, &one, sizeof(one));
		else
			r = read(t->fd, buf, sizeof(buf));
		if (r != 8 && !(r < 0 && errno == EAGAIN))
			FAIL("eventfd I/O: %zd %m", r);
		break;
	case K_PIPE_R:
		r = read(t->fd, buf, 1 + xep_rand_below(&w->rnd, sizeof(buf)));
		if (r <= 0 && !(r < 0 && errno == EAGAIN))
			FAIL("pipe read: %zd %m", r);
		break;
	case K_PIPE_W:
		r = write(t->fd, buf, 1 + xep_rand_below(&w->rnd, 8));
		if (r <= 0 && !(r < 0 && errno == EAGAIN))
			FAIL("pipe write: %zd %m", r);
		break;
	case K_SOCK:
		if (xep_rand_below(&w->rnd, 2))
			r = send(t->fd, buf, 1 + xep_rand_below(&w->rnd, 8), MSG_DONTWAIT);
		else
			r = recv(t->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r <= 0 && !(r < 0 && errno == EAGAIN))
			FAIL("socket I/O: %zd %m", r);
		break;
	case K_INST:
		break;
	}
}

/* Wait on the private instance with no timeout: the exact count and data. */
static void expect_private(struct worker *w, int want, uint64_t data, const char *what)
{
	struct epoll_event ev[4];
	int n = xepoll_wait(w->pep, ev, 4, 0);

	if (n != want || (n == 1 && (ev[0].data.u64 != data || ev[0].events != EPOLLIN)))
		FAIL("%s: %d events (%#x, %#llx), expected %d (%#llx)", what, n,
		     n > 0 ? ev[0].events : 0, n > 0 ? (unsigned long long)ev[0].data.u64 : 0ULL,
		     want, (unsigned long long)data);
}

/* Wait, at most 200 ms, until the private instance reports nothing. */
static void settle_private(struct worker *w)
{
	struct epoll_event ev[4];
	int i;

	for (i = 0; i < 20 && xepoll_wait(w->pep, ev, 4, 0) > 0; i++)
		usleep(10000);
}

static int pctl(struct worker *w, int op, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };
	int ret = xepoll_ctl(w->pep, op, w->pefd, &ev);

	if (ret)
		FAIL("private ctl op %d events %#x: %m", op, events);
	return ret;
}

/*
 * The exact semantics, on the private instance (the eventfd is always
 * readable), and the DEL guarantee on a shared one.
 */
static void op_private(struct worker *w)
{
	uint64_t d = new_data(), one = 1;
	struct epoll_event ev[MAXEV];
	int ep, n, i;

	switch (xep_rand_below(&w->rnd, 4)) {
	case 0:		/* level-triggered, then DEL: nothing after */
		pctl(w, EPOLL_CTL_ADD, EPOLLIN, d);
		expect_private(w, 1, d, "LT");
		expect_private(w, 1, d, "LT again");
		pctl(w, EPOLL_CTL_DEL, 0, 0);
		expect_private(w, 0, 0, "after DEL");
		break;
	case 1:		/* one-shot: once, then rearmed by MOD */
		pctl(w, EPOLL_CTL_ADD, EPOLLIN | EPOLLONESHOT, d);
		expect_private(w, 1, d, "ONESHOT");
		expect_private(w, 0, 0, "ONESHOT fired");
		pctl(w, EPOLL_CTL_MOD, EPOLLIN, d + 1);
		expect_private(w, 1, d + 1, "rearmed");
		pctl(w, EPOLL_CTL_DEL, 0, 0);
		expect_private(w, 0, 0, "after DEL");
		break;
	case 2:		/* edge-triggered: again only after a write */
		pctl(w, EPOLL_CTL_ADD, EPOLLIN | EPOLLET, d);
		expect_private(w, 1, d, "ET");
		expect_private(w, 0, 0, "ET consumed");
		if (write(w->pefd, &one, sizeof(one)) != sizeof(one))
			FAIL("eventfd write: %m");
		expect_private(w, 1, d, "ET after write");
		pctl(w, EPOLL_CTL_DEL, 0, 0);
		expect_private(w, 0, 0, "after DEL");
		break;
	default:	/* on a shared instance: DEL, then our wait never sees it */
		ep = inst[xep_rand_below(&w->rnd, NINST)];
		ev[0] = (struct epoll_event){ .events = EPOLLIN, .data.u64 = d };
		if (xepoll_ctl(ep, EPOLL_CTL_ADD, w->pefd, ev)) {
			FAIL("ADD private eventfd to shared: %m");
			break;
		}
		if (xepoll_ctl(ep, EPOLL_CTL_DEL, w->pefd, NULL)) {
			FAIL("DEL private eventfd from shared: %m");
			break;
		}
		n = xepoll_wait(ep, ev, MAXEV, 0);
		for (i = 0; i < n; i++)
			if (ev[i].data.u64 == d)
				FAIL("event for a descriptor DEL'd before the wait");
		if (n < 0)
			FAIL("wait: %m");
	}
}

/*
 * The exact semantics of a last reference, on the private instance: an
 * eventfd at the worker's own descriptor number (which no stale churn
 * number can name), registered there, reports while any reference lives
 * and never after the last has gone, whichever way it goes, while the
 * other threads close, dup2 over and fork away their own files on the
 * same shared inode.
 */
static void op_last_ref(struct worker *w)
{
	uint64_t d = new_data(), one = 1;
	int tmp, e = w->slot;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = d };
	int sp[2], go[2], status, other = -1, way = xep_rand_below(&w->rnd, 6);
	pid_t pid;

	/* No fork, and no stale dup, copies anything of this op's until its end. */
	if (way == 5)
		pthread_rwlock_wrlock(&fork_lock);
	else
		pthread_rwlock_rdlock(&fork_lock);
	pthread_rwlock_wrlock(&dup_lock);
	tmp = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (tmp >= 0 && dup3(tmp, e, O_CLOEXEC) != e) {
		FAIL("dup3 to %d: %m", e);
		close(tmp);
		tmp = -1;
	} else if (tmp >= 0) {
		close(tmp);
	}
	if (tmp < 0) {
		FAIL("eventfd: %m");
		goto out;
	}
	if (write(e, &one, sizeof(one)) != sizeof(one) ||
	    xepoll_ctl(w->pep, EPOLL_CTL_ADD, e, &ev)) {
		FAIL("eventfd at %d: %m", e);
		close(e);
		goto out;
	}
	expect_private(w, 1, d, "registered");
	switch (way) {
	case 0:
		close(e);
		break;
	case 1:
		if (close_range(e, e, 0))
			FAIL("close_range: %m");
		break;
	case 2:		/* another file over it: the private eventfd */
		if (dup2(w->pefd, e) != e)
			FAIL("dup2 over %d: %m", e);
		other = e;
		break;
	case 3:
		other = fcntl(e, F_DUPFD_CLOEXEC, w->slot + 1);
		close(e);
		expect_private(w, 1, d, "a dup lives");
		close(other);
		other = -1;
		break;
	case 4:		/* in flight, then dropped with the receiving socket */
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp)) {
			FAIL("socketpair: %m");
			close(e);
			break;
		}
		if (send_fd(sp[0], e))
			FAIL("SCM_RIGHTS: %m");
		close(e);
		expect_private(w, 1, d, "in flight");
		close(sp[1]);
		close(sp[0]);
		break;
	default:	/* 5: a forked child's copy is the last */
		if (atomic_load(&sh->last_forks) >= MAX_LAST_FORKS || pipe2(go, O_CLOEXEC)) {
			close(e);
			break;
		}
		atomic_fetch_add(&sh->last_forks, 1);
		pid = fork();
		if (pid == 0) {
			char c;

			close(go[1]);
			_exit(read(go[0], &c, 1) < 0);
		}
		close(go[0]);
		close(e);
		if (pid < 0) {
			FAIL("fork: %m");
			close(go[1]);
			break;
		}
		expect_private(w, 1, d, "a child holds it");
		close(go[1]);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			FAIL("holder child %d: status %#x", pid, status);
	}
	{
		static const char * const ways[] = {
			"after close()", "after close_range()", "after dup2() over it",
			"after the dup's close()", "after the in-flight message's drop",
			"after the holding child's exit",
		};

		/*
		 * A file dropped in flight may have its last fput() finished
		 * by a kernel worker (the unix GC's, then delayed_fput()),
		 * a tick after the close that dropped it, on epoll as on
		 * xepoll: give that one a moment.
		 */
		if (way == 4)
			settle_private(w);
		expect_private(w, 0, 0, ways[way]);
	}
	if (other >= 0)
		close(other);
	atomic_fetch_add(&sh->last_refs, 1);
out:
	pthread_rwlock_unlock(&dup_lock);
	pthread_rwlock_unlock(&fork_lock);
}

static void run_ops(struct worker *w, int nops);

/*
 * In a forked child: a shared instance watches a signalfd, whose wait
 * queue is the child's and goes with it (POLLFREE); the child holds the
 * file's only reference, so its registration goes at the child's exit.
 */
static void watch_signalfd(struct worker *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = new_data() };
	sigset_t set;
	int sfd;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		FAIL("signalfd: %m");
		return;
	}
	if (xepoll_ctl(inst[xep_rand_below(&w->rnd, NINST)], EPOLL_CTL_ADD, sfd, &ev))
		FAIL("ADD signalfd: %m");
	if (xep_rand_below(&w->rnd, 2))
		raise(SIGUSR2);		/* readable, and a wake-up */
}

/* fork(): the child works on the inherited descriptors for a while. */
static void op_fork(struct worker *w)
{
	struct worker cw;
	unsigned long before;
	pid_t pid, ret;
	int status = 0;

	if (w->in_child || atomic_load(&sh->forks) >= 40)
		return;
	atomic_fetch_add(&sh->forks, 1);
	pthread_rwlock_wrlock(&fork_lock);
	pid = fork();
	if (pid)
		pthread_rwlock_unlock(&fork_lock);
	if (pid < 0) {
		FAIL("fork: %m");
		return;
	}
	if (pid == 0) {
		cw = *w;
		cw.in_child = true;
		cw.rnd ^= 0x9e3779b97f4a7c15ULL;
		before = my_failures;
		if (xep_rand_below(&cw.rnd, 2))
			watch_signalfd(&cw);
		run_ops(&cw, 200);
		_exit(my_failures != before);
	}
	while ((ret = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (ret != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		FAIL("forked child %d: status %#x", pid, status);
}

static void run_ops(struct worker *w, int nops)
{
	int i;

	for (i = 0; i < nops; i++) {
		unsigned int r = xep_rand_below(&w->rnd, 1000);

		if (r < 250)
			op_ctl_stable(w);
		else if (r < 400)
			op_ctl_churn(w);
		else if (r < 520)
			op_wait(w);
		else if (r < 580)
			op_ring(w);
		else if (r < 600)
			op_wait_churn(w);
		else if (r < 780)
			op_io(w);
		else if (r < 830)
			op_close(w);
		else if (r < 860)
			op_dup2(w);
		else if (r < 920)
			op_create(w);
		else if (r < 994) {
			/* A forked child shares the private files with its parent. */
			if (!w->in_child && r < 960)
				op_private(w);
			else if (!w->in_child)
				op_last_ref(w);
		}
		else if (r < 998)
			op_fork_last(w);
		else
			op_fork(w);
		atomic_fetch_add(&sh->ops, 1);
	}
}

/*
 * The private instance and eventfd are made before any thread closes a
 * churn descriptor, so that no stale churn number can name them.
 */
static int worker_init(struct worker *w)
{
	w->pep = xepoll_create1(EPOLL_CLOEXEC);
	w->pefd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
	return w->pep < 0 || w->pefd < 0 ? -1 : 0;
}

static void worker_loop(struct worker *w)
{
	while (!atomic_load(&sh->stop) && w->iters < max_iters) {
		run_ops(w, 16);
		w->iters += 16;
		if (xep_now() > deadline)
			break;
	}
	close(w->pep);
	close(w->pefd);
}

static void *worker_thread(void *arg)
{
	worker_loop(arg);
	atomic_fetch_add(&sh->workers_done, 1);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
}

/* Interrupts the workers' waits now and then. */
static void *signal_thread(void *arg)
{
	uint64_t rnd = *(uint64_t *)arg;

	/* Until every worker is done: none is joined before then. */
	while (atomic_load(&sh->workers_done) < NTHREADS) {
		pthread_kill(threads[xep_rand_below(&rnd, NTHREADS)], SIGUSR1);
		usleep(2000 + xep_rand_below(&rnd, 8000));
	}
	return NULL;
}

static void add_stable(int fd, enum kind kind, int idx)
{
	stable[nstable++] = (struct stable){ .fd = fd, .kind = kind, .inst = idx };
}

FIXTURE(stress) {};
FIXTURE_SETUP(stress) {}
FIXTURE_TEARDOWN(stress) {}

/* Time-bounded by XEPOLL_STRESS_SECONDS; the harness allows much more. */
TEST_F_TIMEOUT(stress, shared_instances, 420)
{
	unsigned long long secs = xep_env_ull("XEPOLL_STRESS_SECONDS", 20);
	uint64_t seed = xep_seed("XEPOLL_STRESS_SEED"), rnd = seed, sigrnd;
	struct sigaction sa = { .sa_handler = on_signal };
	struct worker workers[NTHREADS], pw;
	struct xep_counts base, now;
	pid_t procs[NPROCS];
	pthread_t sigthr;
	int i, fds[2], status;

	pthread_rwlockattr_t rwa;

	pthread_rwlockattr_init(&rwa);
	pthread_rwlockattr_setkind_np(&rwa, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	ASSERT_EQ(0, pthread_rwlock_init(&fork_lock, &rwa));
	ASSERT_EQ(0, pthread_rwlock_init(&dup_lock, &rwa));
	max_iters = xep_env_ull("XEPOLL_STRESS_ITERATIONS", 200000);
	TH_LOG("seed %llu (XEPOLL_STRESS_SEED), %llu s, at most %llu ops per worker",
	       (unsigned long long)seed, secs, max_iters);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, signal(SIGPIPE, SIG_IGN) == SIG_ERR);
	ASSERT_EQ(0, xep_counts_read(getuid(), &base));

	for (i = 0; i < NINST; i++) {
		inst[i] = xepoll_create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, inst[i]);
		add_stable(inst[i], K_INST, i);
	}
	/*
	 * Ring mode: two of them have rings, one small (often full), which
	 * the workers reap in user space besides waiting on them; the forked
	 * workers share the mappings.
	 */
	rings[0] = xepoll_ring_setup(inst[0], 4);
	ASSERT_NE(NULL, rings[0]) TH_LOG("ring: %s", strerror(errno));
	rings[1] = xepoll_ring_setup(inst[1], 64);
	ASSERT_NE(NULL, rings[1]) TH_LOG("ring: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		fds[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, fds[0]);
		add_stable(fds[0], K_EFD, -1);
		ASSERT_EQ(0, pipe2(fds, O_NONBLOCK | O_CLOEXEC));
		add_stable(fds[0], K_PIPE_R, -1);
		add_stable(fds[1], K_PIPE_W, -1);
	}
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds));
	add_stable(fds[0], K_SOCK, -1);
	add_stable(fds[1], K_SOCK, -1);
	for (i = 0; i < NCHURN; i++)
		atomic_init(&churn[i], -1);
	pw = (struct worker){ .rnd = xep_rand(&rnd) };
	for (i = 0; i < NCHURN; i++)
		op_create(&pw);

	deadline = xep_now() + secs;
	halfway = deadline - secs / 2.0;

	for (i = 0; i < NTHREADS; i++) {
		workers[i] = (struct worker){ .rnd = xep_rand(&rnd) | 1, .id = i,
					      .slot = 600 + 4 * i };
		ASSERT_EQ(0, worker_init(&workers[i]));
	}
	/* Processes before threads, so that they inherit all but threads. */
	for (i = 0; i < NPROCS; i++) {
		procs[i] = fork();
		ASSERT_LE(0, procs[i]);
		if (procs[i] == 0) {
			pw = (struct worker){ .rnd = xep_rand(&rnd) ^ (i + 1), .id = 100 + i,
					      .in_child = true };
			if (worker_init(&pw))
				_exit(2);
			worker_loop(&pw);
			_exit(0);
		}
		xep_rand(&rnd);
	}
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, worker_thread, &workers[i]));
	sigrnd = xep_rand(&rnd) | 1;
	ASSERT_EQ(0, pthread_create(&sigthr, NULL, signal_thread, &sigrnd));

	ASSERT_EQ(0, pthread_join(sigthr, NULL));
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
	atomic_store(&sh->stop, 1);
	for (i = 0; i < NPROCS; i++) {
		ASSERT_EQ(procs[i], waitpid(procs[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("worker process %d: status %#x", procs[i], status);
	}

	TH_LOG("%lu ops, %lu events, %lu waits interrupted, %lu forks, %lu last-reference checks, %lu last-copy children",
	       atomic_load(&sh->ops), atomic_load(&sh->events),
	       atomic_load(&sh->eintr), atomic_load(&sh->forks),
	       atomic_load(&sh->last_refs), atomic_load(&sh->last_forks));
	TH_LOG("ring mode: %lu events through libxepoll, %lu calls with one registration twice",
	       atomic_load(&sh->ring_events), atomic_load(&sh->ring_twice));
	EXPECT_LT(0, atomic_load(&sh->ring_events));
	EXPECT_EQ(0, atomic_load(&sh->failures));
	EXPECT_LT(0, atomic_load(&sh->events));

	/* Still usable: each shared instance reports a fresh registration. */
	fds[0] = eventfd(1, EFD_CLOEXEC);
	ASSERT_LE(0, fds[0]);
	for (i = 0; i < NINST; i++) {
		struct epoll_event ev[MAXEV] = { { .events = EPOLLIN, .data.u64 = 42 } };
		int n, j, found = 0;

		ASSERT_EQ(0, xepoll_ctl(inst[i], EPOLL_CTL_ADD, fds[0], ev));
		n = xepoll_wait(inst[i], ev, MAXEV, 1000);
		for (j = 0; j < n; j++)
			found += ev[j].data.u64 == 42;
		/* Among the first MAXEV ready ones, or the list is long. */
		EXPECT_TRUE(found == 1 || n == MAXEV) TH_LOG("instance %d: %d events", i, n);
		ASSERT_EQ(0, xepoll_ctl(inst[i], EPOLL_CTL_DEL, fds[0], NULL));
	}
	close(fds[0]);

	for (i = 0; i < NCHURN; i++)
		if (atomic_load(&churn[i]) >= 0)
			close(atomic_load(&churn[i]));
	for (i = 0; i < NINST; i++)
		xepoll_ring_free(rings[i]);
	for (i = 0; i < nstable; i++)
		close(stable[i].fd);
	EXPECT_EQ(0, xep_counts_settle(getuid(), &base, &now, 20))
		TH_LOG("instances %ld -> %ld, watches %ld -> %ld", base.instances,
		       now.instances, base.watches, now.watches);
}

/*
 * Ring accounting: a ring instance whose registrations are the eventfds of
 * RSLOTS slots, edge-triggered, one-shot (re-armed by MOD after each event)
 * or level-triggered, each under its slot's lock. Writer threads write to
 * them and count; reaper threads take events by libxepoll's reap and wait
 * (user space, then the kernel), a thread by the kernel's wait, and forked
 * processes by the reap through their copy of the mapping (they hand the
 * events to the parent through a pipe); each event's handler drains its
 * eventfd, counts, and re-arms a one-shot registration. A churn thread
 * deletes and re-adds registrations, changes their mode by MOD, and closes
 * their eventfds (a last close) and makes new ones, each time with fresh
 * data.
 *
 * - No event is lost: once the writers stop and the events are all
 *   handled, every eventfd is empty, and what the handlers and the churn
 *   drained is what the writers wrote.
 * - None comes after its registration's end: an event of data whose DEL
 *   or MOD had returned before the reap began is a failure. A close()
 *   ends a registration only with the file's last reference, and a wait
 *   polling it holds one for a moment (epoll's too): events of a closed
 *   registration are counted, not failed.
 * - A kernel wait reports a registration once per call.
 */
#define RSLOTS		16
#define RGENS		(1 << 18)	/* data generations a run may make */
#define RREAPERS	3
#define RWRITERS	2
#define RFORKS		2
#define RTAG		0x41e6ULL
#define RDEAD_CLOSE	0x80000000U

struct rslot {
	pthread_mutex_t lock;
	int fd;
	uint64_t data;		/* the live registration's, 0 if none */
	uint32_t mode;		/* EPOLLET, EPOLLONESHOT or 0 (level) */
	uint64_t writes;	/* into this slot's eventfds, all of them */
	uint64_t drained;	/* out of them, by handlers and the churn */
};

/* Shared with the forked reapers. */
struct rshared {
	atomic_int stop_writers, stop_reapers;
	atomic_uint next_gen;
	atomic_uint epoch;
	atomic_ulong events, kernel_events, child_events, stale, twice, churns;
	atomic_ulong late_closes;
	/*
	 * The epoch after the end of each generation's registration, or 0;
	 * with RDEAD_CLOSE for an end by close().
	 */
	atomic_uint dead[RGENS];
};

static struct rshared *rs;
static struct rslot rslots[RSLOTS];
static int rep;
static struct xepoll_ring *rring;
static int rpipe[2];

static uint64_t rdata(unsigned int slot, unsigned int gen)
{
	return RTAG << 48 | (uint64_t)slot << 32 | gen;
}

/* A fresh registration of slot @i (its lock held), @mode, fresh data. */
static void rslot_register(unsigned int i, uint32_t mode, int op)
{
	struct rslot *sl = &rslots[i];
	unsigned int gen = atomic_fetch_add(&rs->next_gen, 1) + 1;
	struct epoll_event ev = { .events = EPOLLIN | mode };

	ev.data.u64 = rdata(i, gen);
	if (xepoll_ctl(rep, op, sl->fd, &ev))
		FAIL("ring slot %u: %s: %m", i, op == EPOLL_CTL_ADD ? "ADD" : "MOD");
	sl->data = ev.data.u64;
	sl->mode = mode;
}

/*
 * The end of the registration of @data (its slot's lock held), once the
 * DEL or MOD that ended it has returned (from now on, never), or by
 * close() (@closed), which ends it only with the
 * file's last reference: one that a concurrent wait holds while it polls
 * the registration (as epoll's does) goes a little later.
 */
static void rslot_bury(uint64_t data, bool closed)
{
	unsigned int gen = (uint32_t)data;

	if (!data)
		return;
	/* Before the epoch moves: a reap that sees the new epoch sees this. */
	atomic_store(&rs->dead[gen], (atomic_load(&rs->epoch) + 1) |
		     (closed ? RDEAD_CLOSE : 0));
	atomic_fetch_add(&rs->epoch, 1);
}

static uint64_t rslot_drain(struct rslot *sl)
{
	uint64_t v;

	return read(sl->fd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

/* An event of @data, from a reap that began at @epoch. */
static void rhandle(uint64_t data, unsigned int epoch)
{
	unsigned int slot = (data >> 32) & 0xffff, gen = (uint32_t)data, dead;
	struct rslot *sl;

	if (data >> 48 != RTAG || slot >= RSLOTS || gen >= RGENS) {
		FAIL("ring event with data %#llx", (unsigned long long)data);
		return;
	}
	dead = atomic_load(&rs->dead[gen]);
	if ((dead & RDEAD_CLOSE) && epoch >= (dead & ~RDEAD_CLOSE))
		atomic_fetch_add(&rs->late_closes, 1);
	else if (dead && epoch >= dead)
		FAIL("ring event of data %#llx, whose registration DEL or MOD ended (epoch %u) before the reap began (epoch %u)",
		     (unsigned long long)data, dead, epoch);
	sl = &rslots[slot];
	pthread_mutex_lock(&sl->lock);
	if (sl->data != data) {
		/* Reported before its end: fine, and nothing to drain. */
		atomic_fetch_add(&rs->stale, 1);
		pthread_mutex_unlock(&sl->lock);
		return;
	}
	sl->drained += rslot_drain(sl);
	if (sl->mode == EPOLLONESHOT) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = data };

		if (xepoll_ctl(rep, EPOLL_CTL_MOD, sl->fd, &ev))
			FAIL("ring slot %u: re-arm: %m", slot);
	}
	pthread_mutex_unlock(&sl->lock);
}

static void *rwriter_main(void *arg)
{
	uint64_t rnd = (uintptr_t)arg, one = 1;
	struct rslot *sl;

	while (!atomic_load(&rs->stop_writers)) {
		sl = &rslots[xep_rand_below(&rnd, RSLOTS)];
		pthread_mutex_lock(&sl->lock);
		if (write(sl->fd, &one, sizeof(one)) == sizeof(one))
			sl->writes++;
		else
			FAIL("ring write: %m");
		pthread_mutex_unlock(&sl->lock);
		if (!xep_rand_below(&rnd, 16))
			usleep(xep_rand_below(&rnd, 200));
	}
	return NULL;
}

static void rreap_batch(struct epoll_event *ev, int n, unsigned int epoch, bool kernel)
{
	int i;

	if (n <= 0)
		return;
	atomic_fetch_add(&rs->events, n);
	if (kernel) {
		atomic_fetch_add(&rs->kernel_events, n);
		if (!events_once((const char *)ev, n, sizeof(*ev)))
			FAIL("a kernel wait of %d events on the ring instance reported one twice", n);
	} else if (!events_once((const char *)ev, n, sizeof(*ev))) {
		atomic_fetch_add(&rs->twice, 1);
	}
	for (i = 0; i < n; i++)
		rhandle(ev[i].data.u64, epoch);
}

/* Reapers: libxepoll's reap and wait, or (@arg odd) the kernel's wait. */
static void *rreaper_main(void *arg)
{
	uint64_t rnd = (uintptr_t)arg;
	bool kernel = (uintptr_t)arg & 1;
	struct epoll_event ev[MAXEV];
	unsigned int epoch;
	int n, max;

	while (!atomic_load(&rs->stop_reapers)) {
		max = 1 + xep_rand_below(&rnd, MAXEV);
		epoch = atomic_load(&rs->epoch);
		if (kernel)
			n = xepoll_wait(rep, ev, max, 5);
		else if (xep_rand_below(&rnd, 2))
			n = xepoll_ring_reap(rring, ev, max);
		else
			n = xepoll_ring_wait(rring, ev, max, 5);
		if (n < 0 && errno != EINTR)
			FAIL("ring reaper: %m");
		rreap_batch(ev, n, epoch, kernel);
	}
	return NULL;
}

/* A forked reaper: the ring through its copy of the mapping, to the pipe. */
static void rchild(uint64_t rnd)
{
	struct epoll_event ev[MAXEV];
	uint64_t msg[2];
	unsigned int epoch;
	int n, i;

	close(rpipe[0]);
	/*
	 * Not the slots' eventfds: a copy here would make the parent's close
	 * of one no last close, and its registration would live on.
	 */
	for (i = 0; i < RSLOTS; i++)
		close(rslots[i].fd);
	while (!atomic_load(&rs->stop_reapers)) {
		epoch = atomic_load(&rs->epoch);
		n = xepoll_ring_reap(rring, ev, 1 + xep_rand_below(&rnd, MAXEV));
		if (n <= 0) {
			usleep(200);
			continue;
		}
		atomic_fetch_add(&rs->child_events, n);
		for (i = 0; i < n; i++) {
			msg[0] = ev[i].data.u64;
			msg[1] = epoch;
			if (write(rpipe[1], msg, sizeof(msg)) != sizeof(msg))
				_exit(3);
		}
	}
	_exit(0);
}

/* The parent's end of the forked reapers' pipe. */
static void *rpipe_main(void *arg)
{
	uint64_t msg[2];

	(void)arg;
	while (read(rpipe[0], msg, sizeof(msg)) == sizeof(msg)) {
		atomic_fetch_add(&rs->events, 1);
		rhandle(msg[0], (unsigned int)msg[1]);
	}
	return NULL;
}

/* DEL and ADD, MOD to another mode, and last closes, with fresh data. */
static void *rchurn_main(void *arg)
{
	static const uint32_t modes[] = { EPOLLET, EPOLLONESHOT, 0 };
	uint64_t rnd = (uintptr_t)arg;
	struct rslot *sl;
	uint64_t old;
	unsigned int i;

	/* Each churn takes a generation or two: stop well before they run out. */
	while (!atomic_load(&rs->stop_writers) && atomic_load(&rs->next_gen) < RGENS - 8) {
		i = xep_rand_below(&rnd, RSLOTS);
		sl = &rslots[i];
		pthread_mutex_lock(&sl->lock);
		old = sl->data;
		switch (xep_rand_below(&rnd, 3)) {
		case 0:
			if (xepoll_ctl(rep, EPOLL_CTL_DEL, sl->fd, NULL))
				FAIL("ring slot %u: DEL: %m", i);
			sl->data = 0;
			rslot_bury(old, false);
			rslot_register(i, modes[xep_rand_below(&rnd, 3)], EPOLL_CTL_ADD);
			break;
		case 1:
			rslot_register(i, modes[xep_rand_below(&rnd, 3)], EPOLL_CTL_MOD);
			rslot_bury(old, false);
			break;
		default:
			/* What the file holds goes with it, counted as drained. */
			sl->drained += rslot_drain(sl);
			close(sl->fd);
			sl->data = 0;
			rslot_bury(old, true);
			sl->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			if (sl->fd < 0)
				FAIL("eventfd: %m");
			rslot_register(i, modes[xep_rand_below(&rnd, 3)], EPOLL_CTL_ADD);
		}
		atomic_fetch_add(&rs->churns, 1);
		pthread_mutex_unlock(&sl->lock);
		usleep(500 + xep_rand_below(&rnd, 2000));
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, ring_accounting, 300)
{
	unsigned long long secs = xep_env_ull("XEPOLL_STRESS_SECONDS", 20) / 2 ?: 1;
	uint64_t seed = xep_seed("XEPOLL_STRESS_SEED"), rnd = seed;
	pthread_t writers[RWRITERS], reapers[RREAPERS + 1], churner, piper;
	struct epoll_event ev[MAXEV];
	uint64_t writes = 0, drained = 0, left;
	pid_t kids[RFORKS];
	unsigned int i, quiet;
	int n, status, round;
	double end;

	TH_LOG("seed %llu (XEPOLL_STRESS_SEED), %llu s", (unsigned long long)seed, secs);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	rs = mmap(NULL, sizeof(*rs), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rs);
	rep = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, rep);
	/* Small: full now and then, so that events go to the kernel too. */
	rring = xepoll_ring_setup(rep, 8);
	ASSERT_NE(NULL, rring) TH_LOG("ring: %s", strerror(errno));
	for (i = 0; i < RSLOTS; i++) {
		static const uint32_t modes[] = { EPOLLET, EPOLLONESHOT, 0 };

		pthread_mutex_init(&rslots[i].lock, NULL);
		rslots[i].fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, rslots[i].fd);
		rslot_register(i, modes[i % 3], EPOLL_CTL_ADD);
	}
	ASSERT_EQ(0, pipe2(rpipe, O_CLOEXEC));
	/* The forked reapers first: they inherit no thread, and no lock held. */
	for (i = 0; i < RFORKS; i++) {
		kids[i] = fork();
		ASSERT_LE(0, kids[i]);
		if (kids[i] == 0)
			rchild(xep_rand(&rnd) | 1);
		xep_rand(&rnd);
	}
	close(rpipe[1]);
	ASSERT_EQ(0, pthread_create(&piper, NULL, rpipe_main, NULL));
	for (i = 0; i < RREAPERS + 1; i++)
		/* Odd seeds wait in the kernel: the last one only. */
		ASSERT_EQ(0, pthread_create(&reapers[i], NULL, rreaper_main,
					    (void *)(uintptr_t)((xep_rand(&rnd) & ~1ULL) |
								(i == RREAPERS))));
	for (i = 0; i < RWRITERS; i++)
		ASSERT_EQ(0, pthread_create(&writers[i], NULL, rwriter_main,
					    (void *)(uintptr_t)(xep_rand(&rnd) | 1)));
	ASSERT_EQ(0, pthread_create(&churner, NULL, rchurn_main,
				    (void *)(uintptr_t)(xep_rand(&rnd) | 1)));

	end = xep_now() + secs;
	while (xep_now() < end && !atomic_load(&sh->failures))
		usleep(100 * 1000);
	atomic_store(&rs->stop_writers, 1);
	for (i = 0; i < RWRITERS; i++)
		ASSERT_EQ(0, pthread_join(writers[i], NULL));
	ASSERT_EQ(0, pthread_join(churner, NULL));

	/* Until the reapers have been idle a while: everything handled. */
	for (quiet = 0; quiet < 10; ) {
		unsigned long before = atomic_load(&rs->events);

		usleep(50 * 1000);
		quiet = atomic_load(&rs->events) == before ? quiet + 1 : 0;
	}
	atomic_store(&rs->stop_reapers, 1);
	for (i = 0; i < RREAPERS + 1; i++)
		ASSERT_EQ(0, pthread_join(reapers[i], NULL));
	for (i = 0; i < RFORKS; i++) {
		ASSERT_EQ(kids[i], waitpid(kids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("forked reaper: status %#x", status);
	}
	ASSERT_EQ(0, pthread_join(piper, NULL));
	/*
	 * The last events, reaped here; then twice, one more write to every
	 * slot with nobody reaping, which fills the ring and overflows into
	 * the kernel's list (an event lost there has no later write to hide
	 * it), reaped by libxepoll and then by the kernel's wait.
	 */
	for (round = 0; round < 3; round++) {
		if (round) {
			for (i = 0; i < RSLOTS; i++) {
				uint64_t one = 1;

				pthread_mutex_lock(&rslots[i].lock);
				if (write(rslots[i].fd, &one, sizeof(one)) == sizeof(one))
					rslots[i].writes++;
				pthread_mutex_unlock(&rslots[i].lock);
			}
		}
		do {
			unsigned int epoch = atomic_load(&rs->epoch);

			if (round == 1) {
				n = xepoll_ring_wait(rring, ev, 1 + i++ % MAXEV, 100);
				rreap_batch(ev, n, epoch, false);
			} else {
				n = xepoll_wait(rep, ev, MAXEV, 100);
				rreap_batch(ev, n, epoch, true);
			}
		} while (n > 0);
	}

	for (i = 0; i < RSLOTS; i++) {
		left = rslot_drain(&rslots[i]);
		EXPECT_EQ(0, left) TH_LOG("slot %u (mode %#x): %llu written and never reported",
					  i, rslots[i].mode, (unsigned long long)left);
		writes += rslots[i].writes;
		drained += rslots[i].drained + left;
	}
	TH_LOG("%llu writes, %lu events (%lu by the kernel's wait, %lu by forked reapers), %lu stale, %lu churns, %lu events after a close (a wait held the file), %lu libxepoll calls with one registration twice",
	       (unsigned long long)writes, atomic_load(&rs->events),
	       atomic_load(&rs->kernel_events), atomic_load(&rs->child_events),
	       atomic_load(&rs->stale), atomic_load(&rs->churns),
	       atomic_load(&rs->late_closes), atomic_load(&rs->twice));
	EXPECT_EQ(writes, drained);
	EXPECT_EQ(0, atomic_load(&sh->failures));
	EXPECT_LT(0, atomic_load(&rs->kernel_events));
	EXPECT_LT(0, atomic_load(&rs->child_events));

	for (i = 0; i < RSLOTS; i++)
		close(rslots[i].fd);
	xepoll_ring_free(rring);
	close(rep);
	close(rpipe[0]);
}

TEST_HARNESS_MAIN
