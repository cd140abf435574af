// SPDX-License-Identifier: GPL-2.0
/*
 * The shared ready ring against a careless or hostile user: what no
 * ordinary program does, and what the kernel must survive anyway.
 *
 * - Garbage in the shared pages that would keep the kernel's consumer
 *   looping cannot hold a wait in the kernel.
 * - A wait that takes a registration's event from the ring does not
 *   report the same registration again in the same call, whatever edge
 *   comes meanwhile (a new cell, or the kernel's ready list when the ring
 *   is full): one epoll_wait() never reports a registration twice. These
 *   run against native epoll too, with a userfaultfd page in the events
 *   array to stop the wait in the middle of its copy (root only), and
 *   against libxepoll's xepoll_ring_wait(), which reaps in user space.
 * - Mappings: fork, mremap, munmap in parts, remap_file_pages(), mprotect,
 *   madvise, vmsplice() of the pages, /proc/self/map_files, all around
 *   the instance's release; and the RLIMIT_MEMLOCK charge, which lives as
 *   long as the last mapping.
 * - A minimum-batch wait counts the events the ring holds.
 *
 * `ring_abuse_test --hold-ring` is a helper for modload_test.sh: it maps a
 * ring, closes every descriptor of xepoll, prints "ready" and sleeps until
 * it is killed, so that the module is held by the mapping alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "common.h"
#include "kselftest_harness.h"

#define PAGE		4096

static const uint64_t one = 1;

/* A ring of at least @entries cells on @epfd, mapped; its geometry in @s. */
static void *ring_map(int epfd, unsigned int entries, struct xepoll_ring_setup *s)
{
	void *map;

	*s = (struct xepoll_ring_setup){ .entries = entries };
	if (ioctl(epfd, XEPOLL_IOC_RING_SETUP, s))
		return NULL;
	map = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED, epfd, 0);
	return map == MAP_FAILED ? NULL : map;
}

static uint32_t *ring_word(void *map, uint32_t off)
{
	return (uint32_t *)((char *)map + off);
}

static struct xepoll_ring_cell *ring_cells(void *map,
					   const struct xepoll_ring_setup *s)
{
	return (struct xepoll_ring_cell *)((char *)map + s->cells_off);
}

static void poke(int fd)
{
	if (write(fd, &one, sizeof(one)) != sizeof(one))
		abort();
}

/*
 * Garbage that makes every look of a consumer a "race" that moves
 * nothing: the cell at the head looks filled and cancelled, the next one
 * a lap ahead. A wait that reaps the ring finds it so, and is given an
 * array of the most events there may be (only its first slot mapped): it
 * must come back at once, having looked a bounded number of times, not
 * once per event the array could hold.
 */
TEST(garbage_cannot_hold_a_wait)
{
	struct xepoll_ring_setup s;
	struct xepoll_ring_cell *cells;
	struct xepoll_wait w;
	long long t0, took;
	void *map, *buf;
	int epfd, ret;

	epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	map = ring_map(epfd, 2, &s);
	ASSERT_NE(NULL, map) TH_LOG("ring: %s", strerror(errno));
	buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);

	cells = ring_cells(map, &s);
	__atomic_store_n(ring_word(map, s.head_off), 0, __ATOMIC_RELAXED);
	cells[0].events = 0;
	cells[1].seq = 3;
	__atomic_store_n(&cells[0].seq, 1, __ATOMIC_RELEASE);

	w = (struct xepoll_wait){
		.events = (uintptr_t)buf,
		.maxevents = INT_MAX / XEPOLL_EVENT_SIZE,
		.event_size = XEPOLL_EVENT_SIZE,
		.timeout_ms = 0,
	};
	t0 = now_ms();
	ret = ioctl(epfd, XEPOLL_IOC_WAIT, &w);
	took = now_ms() - t0;
	EXPECT_EQ(0, ret) TH_LOG("wait: %s", ret < 0 ? strerror(errno) : "events");
	/* A bounded look is microseconds; one per slot, minutes under TCG. */
	EXPECT_GT(1000, took) TH_LOG("the wait took %lld ms", took);

	munmap(buf, PAGE);
	munmap(map, s.size);
	close(epfd);
}

/*
 * A page of an events array that stops whoever writes to it until the
 * test lets it go: a userfaultfd range. Root only (unprivileged
 * userfaultfd does not catch the kernel's faults).
 */
struct stopper {
	int uffd;
	char *buf;		/* two pages: the first plain, the second stops */
};

static int stopper_init(struct stopper *st, bool kernel)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	st->buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (st->buf == MAP_FAILED)
		return -1;
	/* The first page present, so that only the second one stops. */
	memset(st->buf, 0, PAGE);
	/* Faults in user space only: anyone may (UFFD_USER_MODE_ONLY). */
	st->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK |
			   (kernel ? 0 : UFFD_USER_MODE_ONLY));
	if (st->uffd < 0)
		return -1;
	reg.range.start = (uintptr_t)st->buf + PAGE;
	reg.range.len = PAGE;
	if (ioctl(st->uffd, UFFDIO_API, &api) || ioctl(st->uffd, UFFDIO_REGISTER, &reg))
		return -1;
	return 0;
}

/* An array of @n events whose first slot is the first page's last one. */
static struct epoll_event *stopper_events(struct stopper *st)
{
	return (struct epoll_event *)(st->buf + PAGE) - 1;
}

/* Until *@done or a fault on the second page, at most @max_ms: faulted? */
static bool stopper_wait(struct stopper *st, volatile int *done, long max_ms)
{
	long long end = now_ms() + max_ms;
	struct pollfd pfd = { .fd = st->uffd, .events = POLLIN };
	struct uffd_msg msg;

	while (!*done && now_ms() < end) {
		if (poll(&pfd, 1, 10) == 1 &&
		    read(st->uffd, &msg, sizeof(msg)) == sizeof(msg) &&
		    msg.event == UFFD_EVENT_PAGEFAULT)
			return true;
	}
	return false;
}

/* Let the stopped writer go on: the second page becomes a zero page. */
static void stopper_release(struct stopper *st)
{
	struct uffdio_zeropage zp = {
		.range = { .start = (uintptr_t)st->buf + PAGE, .len = PAGE },
	};

	if (ioctl(st->uffd, UFFDIO_ZEROPAGE, &zp) && errno != EEXIST)
		abort();
}

static void stopper_fini(struct stopper *st)
{
	if (st->uffd >= 0)
		close(st->uffd);
	if (st->buf != MAP_FAILED)
		munmap(st->buf, 2 * PAGE);
}

/* A wait in a thread: epoll_wait() or XEPOLL_IOC_WAIT, timeout 0. */
struct waiter {
	const struct backend *be;
	int epfd;
	struct epoll_event *ev;
	int maxevents;
	int n;
	volatile int done;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	w->n = w->be->wait(w->epfd, w->ev, w->maxevents, 0);
	w->done = 1;
	return NULL;
}

FIXTURE(once) {
	int epfd;
	void *map;
	struct xepoll_ring_setup s;
	struct stopper st;
	int efd[3];
};

FIXTURE_VARIANT(once) {
	const struct backend *be;
};

/*
 * libxepoll's xepoll_ring_wait(): reaps the ring in user space, then the
 * kernel for what kready counts there. Its instance's handle is global.
 */
static struct xepoll_ring *lib_ring;

static int ring_lib_wait(int epfd, struct epoll_event *ev, int maxevents, int timeout)
{
	(void)epfd;
	return xepoll_ring_wait(lib_ring, ev, maxevents, timeout);
}

static const struct backend backend_ring_lib = {
	.name = "xepoll_ring_wait",
	.create1 = xepoll_create1,
	.ctl = xepoll_ctl,
	.wait = ring_lib_wait,
};

FIXTURE_VARIANT_ADD(once, epoll) { .be = &backend_epoll };
FIXTURE_VARIANT_ADD(once, xepoll) { .be = &backend_xepoll };
FIXTURE_VARIANT_ADD(once, xepoll_ring_wait) { .be = &backend_ring_lib };

FIXTURE_SETUP(once)
{
	struct epoll_event ev;
	int i;

	self->map = NULL;
	self->st.uffd = -1;
	self->st.buf = MAP_FAILED;
	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
	if (variant->be != &backend_epoll) {
		/* Two cells: the smallest ring, the easiest to fill. */
		self->map = ring_map(self->epfd, 2, &self->s);
		ASSERT_NE(NULL, self->map) TH_LOG("ring: %s", strerror(errno));
	}
	if (variant->be == &backend_ring_lib) {
		lib_ring = xepoll_ring_setup(self->epfd, 2);
		ASSERT_NE(NULL, lib_ring) TH_LOG("xepoll_ring_setup: %s", strerror(errno));
	}
	for (i = 0; i < 3; i++) {
		self->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, self->efd[i]);
		ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = i + 1 };
		ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, self->efd[i], &ev));
	}
	/* libxepoll's reap stops in user space; the others in the kernel. */
	if (stopper_init(&self->st, variant->be != &backend_ring_lib))
		SKIP(return, "no userfaultfd: %s", strerror(errno));
}

FIXTURE_TEARDOWN(once)
{
	int i;

	stopper_fini(&self->st);
	xepoll_ring_free(lib_ring);
	lib_ring = NULL;
	for (i = 0; i < 3; i++)
		close(self->efd[i]);
	if (self->map)
		munmap(self->map, self->s.size);
	close(self->epfd);
}

/* How many of @n events carry @data. */
static int count_data(const struct epoll_event *ev, int n, uint64_t data)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += ev[i].data.u64 == data;
	return c;
}

/*
 * A wait takes X's event and stops before its next slot; X gets a new
 * edge meanwhile. The wait goes on: it reports X once. The new edge is
 * reported by the next wait.
 */
/*
 * X gets an edge, @w waits in a thread, and X gets another edge once the
 * wait stopped on the stopper's page (or ended without touching it).
 */
static bool edge_during_wait(FIXTURE_DATA(once) *self, struct waiter *w)
{
	pthread_t t;
	bool stopped;

	poke(self->efd[0]);
	if (pthread_create(&t, NULL, waiter_main, w))
		abort();
	stopped = stopper_wait(&self->st, &w->done, 10000);
	poke(self->efd[0]);
	stopper_release(&self->st);
	if (pthread_join(t, NULL))
		abort();
	return stopped;
}

TEST_F(once, new_edge_during_a_wait)
{
	struct waiter w = {
		.be = variant->be, .epfd = self->epfd,
		.ev = stopper_events(&self->st), .maxevents = 2,
	};
	struct epoll_event ev[4];
	int n;

	TH_LOG("the wait %s", edge_during_wait(self, &w) ?
	       "stopped at its second slot" : "ended first");
	ASSERT_LE(1, w.n);
	EXPECT_EQ(1, count_data(w.ev, w.n, 1)) TH_LOG("%d events", w.n);
	n = variant->be->wait(self->epfd, ev, 4, 0);
	ASSERT_EQ(1, n);
	EXPECT_EQ(1, ev[0].data.u64);
}

/*
 * The same, but the wait stops while it stores its first event: the
 * kernel's before it takes the cell (the new edge then joins the cell),
 * epoll's and libxepoll's after (the new edge is a new event). X must be
 * in the wait's events once, and both edges reported, or coalesced.
 */
TEST_F(once, new_edge_during_a_reap)
{
	struct waiter w = {
		.be = variant->be, .epfd = self->epfd,
		.ev = (struct epoll_event *)(self->st.buf + PAGE), .maxevents = 2,
	};
	struct epoll_event ev[4];
	int n;

	TH_LOG("the wait %s", edge_during_wait(self, &w) ?
	       "stopped at its first event" : "ended first");
	ASSERT_LE(1, w.n);
	EXPECT_EQ(1, count_data(w.ev, w.n, 1)) TH_LOG("%d events", w.n);
	n = variant->be->wait(self->epfd, ev, 4, 0);
	ASSERT_LE(0, n);
	EXPECT_GE(1, n);
	EXPECT_EQ(n, count_data(ev, n, 1));
}


/*
 * The same when the new edge finds the ring full and goes to the
 * kernel's ready list: a consumer in another thread has claimed a cell
 * and not yet freed it (as one preempted there would), so the cell the
 * wait freed is refilled and the next is still taken. The wait, going
 * on from the ring to the ready list, must not report X again there.
 * On epoll the claimed cell is nothing; every event counts the same.
 */
TEST_F(once, full_ring_during_a_wait)
{
	struct waiter w = {
		.be = variant->be, .epfd = self->epfd,
		.ev = stopper_events(&self->st), .maxevents = 3,
	};
	struct xepoll_ring_cell *cell = NULL;
	struct epoll_event ev[8];
	int seen[4] = { 0 };
	uint32_t *head, h = 0, got = 0;
	pthread_t t;
	int i, n;

	poke(self->efd[0]);				/* X */
	ASSERT_EQ(0, pthread_create(&t, NULL, waiter_main, &w));
	stopper_wait(&self->st, &w.done, 10000);
	poke(self->efd[1]);				/* Y */
	if (self->map) {
		/* A consumer claims Y's cell, and stops before freeing it. */
		head = ring_word(self->map, self->s.head_off);
		h = __atomic_load_n(head, __ATOMIC_RELAXED);
		cell = &ring_cells(self->map, &self->s)[h & self->s.mask];
		ASSERT_EQ(h + 1, __atomic_load_n(&cell->seq, __ATOMIC_ACQUIRE));
		ASSERT_TRUE(__atomic_compare_exchange_n(head, &h, h + 1, 0,
							__ATOMIC_ACQ_REL,
							__ATOMIC_RELAXED));
		got = __atomic_exchange_n(&cell->events, 0, __ATOMIC_ACQ_REL);
		ASSERT_EQ(EPOLLIN, got);
		ASSERT_EQ(2, cell->data);
	}
	poke(self->efd[2]);				/* Z */
	poke(self->efd[0]);				/* X again */
	stopper_release(&self->st);
	ASSERT_EQ(0, pthread_join(t, NULL));
	if (cell)
		__atomic_store_n(&cell->seq, h + self->s.entries, __ATOMIC_RELEASE);

	/* One call, each registration once. */
	ASSERT_LE(1, w.n);
	for (i = 1; i <= 3; i++)
		seen[i] = count_data(w.ev, w.n, i);
	EXPECT_GE(1, seen[1]) TH_LOG("X %d times in %d events", seen[1], w.n);
	EXPECT_GE(1, seen[2]);
	EXPECT_GE(1, seen[3]);
	/* The consumer that claimed Y's cell reported it. */
	if (cell)
		seen[2]++;
	n = variant->be->wait(self->epfd, ev, 8, 0);
	ASSERT_LE(0, n);
	for (i = 0; i < n; i++)
		if (ev[i].data.u64 >= 1 && ev[i].data.u64 <= 3)
			seen[ev[i].data.u64]++;
	ASSERT_EQ(0, variant->be->wait(self->epfd, ev, 8, 0));
	/* X: two edges, reported in two calls; Y and Z once each. */
	EXPECT_EQ(2, seen[1]);
	EXPECT_EQ(1, seen[2]);
	EXPECT_EQ(1, seen[3]);
}

/*
 * A wait writes nothing past the events it returns: not for a cell that
 * DEL emptied (its events 0), which a reap frees and skips, nor for the
 * slot of the event it then did not find. On epoll, libxepoll's reap and
 * wait, and the kernel's wait on a ring.
 */
TEST(nothing_written_past_the_events)
{
	struct epoll_event ev[4];
	struct xepoll_ring *ring;
	int how, epfd, efd[2], n, i;
	unsigned char *p;

	for (how = 0; how < 4; how++) {
		epfd = how ? xepoll_create1(EPOLL_CLOEXEC) : epoll_create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, epfd);
		ring = how ? xepoll_ring_setup(epfd, 4) : NULL;
		ASSERT_TRUE(!how || ring);
		for (i = 0; i < 2; i++) {
			efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			ASSERT_LE(0, efd[i]);
			ev[0] = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = i + 1 };
			ASSERT_EQ(0, (how ? xepoll_ctl : epoll_ctl)(epfd, EPOLL_CTL_ADD, efd[i], ev));
			poke(efd[i]);
		}
		/* The second one's cell, after the first's, emptied by DEL. */
		ASSERT_EQ(0, (how ? xepoll_ctl : epoll_ctl)(epfd, EPOLL_CTL_DEL, efd[1], NULL));
		memset(ev, 0xa5, sizeof(ev));
		if (how == 0)
			n = epoll_wait(epfd, ev, 4, 0);
		else if (how == 1)
			n = xepoll_ring_reap(ring, ev, 4);
		else if (how == 2)
			n = xepoll_ring_wait(ring, ev, 4, 0);
		else
			n = xepoll_wait(epfd, ev, 4, 0);
		ASSERT_EQ(1, n) TH_LOG("way %d", how);
		EXPECT_EQ(1, ev[0].data.u64) TH_LOG("way %d", how);
		for (p = (unsigned char *)&ev[1]; p < (unsigned char *)&ev[4]; p++)
			if (*p != 0xa5)
				break;
		EXPECT_EQ((unsigned char *)&ev[4], p)
			TH_LOG("way %d: byte %ld written past the event", how,
			       (long)(p - (unsigned char *)ev));
		xepoll_ring_free(ring);
		for (i = 0; i < 2; i++)
			close(efd[i]);
		close(epfd);
	}
}

/* The kernel's count of ready registrations in the kernel, from a mapping. */
static uint32_t kready_at(void *map, const struct xepoll_ring_setup *s)
{
	return __atomic_load_n(ring_word(map, s->kready_off), __ATOMIC_RELAXED);
}

/*
 * A mapping is the kernel's pages wherever it goes: moved by mremap(),
 * cut by munmap(), remapped by remap_file_pages(), in a child after
 * fork(). It cannot grow, be private, or outlive its pages' charge; and
 * the instance's release leaves every copy readable, marked dead.
 */
TEST(mappings_move_split_and_outlive)
{
	struct xepoll_ring_setup s;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
	char *map, *moved, *p;
	int epfd, lt, status, i, sync[2];
	pid_t pid;

	epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	/* Big enough for several pages. */
	map = ring_map(epfd, 1024, &s);
	ASSERT_NE(NULL, map);
	ASSERT_LE(3 * PAGE, s.size);
	lt = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, lt);
	/* A level-triggered registration: counted in kready, in page 0. */
	ASSERT_EQ(0, xepoll_ctl(epfd, EPOLL_CTL_ADD, lt, &ev));
	EXPECT_EQ(1, kready_at(map, &s));

	/* Growing is refused; moving keeps the pages. */
	p = mremap(map, s.size, s.size + PAGE, 0);
	EXPECT_EQ(MAP_FAILED, p);
	p = mremap(map, s.size, s.size + PAGE, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, p);
	moved = mremap(map, s.size, s.size, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, moved);
	EXPECT_EQ(1, kready_at(moved, &s));
	/* A copy of a shared mapping (old size 0) would grow it: refused. */
	p = mremap(moved, 0, s.size, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, p);

	/* Cut out the middle: both ends stay. */
	ASSERT_EQ(0, munmap(moved + PAGE, PAGE));
	EXPECT_EQ(1, kready_at(moved, &s));
	moved[s.size - 1] = 7;

	/* Remapped in place through the mapping's own file. */
	if (remap_file_pages(moved, PAGE, 0, 0, 0) == 0) {
		EXPECT_EQ(1, kready_at(moved, &s));
	} else {
		TH_LOG("remap_file_pages: %s", strerror(errno));
	}
	/*
	 * At another offset than 0: refused, which leaves a hole, as any
	 * MAP_FIXED mapping that fails does; the descriptor fills it again.
	 */
	EXPECT_NE(0, remap_file_pages(moved, PAGE, 0, 1, 0));
	p = mmap(moved, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, epfd, 0);
	ASSERT_EQ(moved, p);
	EXPECT_EQ(1, kready_at(moved, &s));

	/* Read-only, then made writable: the file is O_RDWR, MAP_SHARED. */
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, epfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, mprotect(p, PAGE, PROT_READ | PROT_WRITE));
	EXPECT_EQ(1, kready_at(p, &s));

	/*
	 * A child outlives the instance's last descriptor and the parent's
	 * maps. The child's copy of the descriptor goes first, then the
	 * parent's, the last: the release.
	 */
	ASSERT_EQ(0, pipe(sync));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(epfd);
		close(sync[0]);
		if (sync_send(sync[1]))
			_exit(1);
		for (i = 0; i < 500; i++) {
			if (__atomic_load_n(ring_word(moved, s.flags_off),
					    __ATOMIC_ACQUIRE) & XEPOLL_RING_DEAD)
				break;
			usleep(10 * 1000);
		}
		if (i == 500)
			_exit(2);
		if (kready_at(moved, &s) != 0 || kready_at(p, &s) != 0)
			_exit(3);
		if (moved[s.size - 1] != 7)
			_exit(4);
		_exit(0);
	}
	close(sync[1]);
	ASSERT_EQ(0, sync_recv(sync[0], 10000));
	close(sync[0]);
	EXPECT_FALSE(*ring_word(p, s.flags_off) & XEPOLL_RING_DEAD);
	close(epfd);
	EXPECT_TRUE(*ring_word(p, s.flags_off) & XEPOLL_RING_DEAD);
	munmap(p, PAGE);
	munmap(moved, PAGE);
	munmap(moved + 2 * PAGE, s.size - 2 * PAGE);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(lt);
}

/*
 * MADV_DONTNEED drops the mapping's page tables: the pages are the
 * kernel's, so the events still reach a wait, and a new mapping shows
 * them again.
 */
TEST(madvise_dontneed_costs_only_the_mapping)
{
	struct xepoll_ring_setup s;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = 5 };
	void *map, *again;
	int epfd, efd;

	epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	map = ring_map(epfd, 16, &s);
	ASSERT_NE(NULL, map);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, xepoll_ctl(epfd, EPOLL_CTL_ADD, efd, &ev));
	if (madvise(map, s.size, MADV_DONTNEED))
		TH_LOG("madvise: %s", strerror(errno));
	poke(efd);
	again = mmap(NULL, s.size, PROT_READ | PROT_WRITE, MAP_SHARED, epfd, 0);
	ASSERT_NE(MAP_FAILED, again);
	/* Position 0 filled: its sequence word is 1. */
	EXPECT_EQ(1, __atomic_load_n(&ring_cells(again, &s)[0].seq, __ATOMIC_ACQUIRE));
	ASSERT_EQ(1, xepoll_wait(epfd, &ev, 1, 0));
	EXPECT_EQ(5, ev.data.u64);
	munmap(again, s.size);
	munmap(map, s.size);
	close(efd);
	close(epfd);
}

/*
 * The ring's pages spliced into a pipe outlive the ring: the pipe holds
 * its own references to them, and reading it after the instance, the
 * mappings and the charge are gone reads what the pages held.
 */
TEST(vmsplice_outlives_the_ring)
{
	struct xepoll_ring_setup s;
	struct iovec iov;
	char page[PAGE];
	uint32_t kready;
	void *map;
	int epfd, pfd[2], lt;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };

	epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	map = ring_map(epfd, 16, &s);
	ASSERT_NE(NULL, map);
	lt = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, lt);
	ASSERT_EQ(0, xepoll_ctl(epfd, EPOLL_CTL_ADD, lt, &ev));
	ASSERT_EQ(0, pipe(pfd));
	iov = (struct iovec){ .iov_base = map, .iov_len = PAGE };
	ASSERT_EQ(PAGE, vmsplice(pfd[1], &iov, 1, 0));
	close(lt);
	close(epfd);
	ASSERT_EQ(0, munmap(map, s.size));
	/* Spliced while the registration was ready: the pipe saw it then, or after. */
	ASSERT_EQ(PAGE, read(pfd[0], page, PAGE));
	memcpy(&kready, page + s.kready_off, sizeof(kready));
	EXPECT_GE(1, kready);
	close(pfd[0]);
	close(pfd[1]);
}

/*
 * /proc/self/map_files names the mapping's file, the ring's own: opening
 * it is refused (an anonymous inode cannot be opened by path), or gives a
 * file that maps the same pages; nothing else.
 */
TEST(map_files_of_a_ring)
{
	struct xepoll_ring_setup s;
	char path[128];
	void *map, *p;
	int epfd, fd;

	epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	map = ring_map(epfd, 16, &s);
	ASSERT_NE(NULL, map);
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)map, (unsigned long)map + s.size);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		EXPECT_TRUE(errno == ENXIO || errno == EPERM || errno == EACCES)
			TH_LOG("open %s: %s", path, strerror(errno));
	} else {
		p = mmap(NULL, s.size, PROT_READ, MAP_SHARED, fd, 0);
		if (p != MAP_FAILED) {
			EXPECT_EQ(0, memcmp(p, map, s.size));
			munmap(p, s.size);
		}
		close(fd);
	}
	munmap(map, s.size);
	close(epfd);
}

/*
 * The charge to RLIMIT_MEMLOCK lives as long as the ring's pages: a
 * closed instance whose ring is still mapped keeps it, the last munmap()
 * returns it. Run as an unprivileged user (root's CAP_IPC_LOCK is never
 * charged).
 */
TEST(memlock_follows_the_mappings)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* 1024 cells: 16 KiB and a header, 5 pages; the limit fits 3. */
		struct rlimit rl = { 16 * PAGE, 16 * PAGE };
		struct xepoll_ring_setup s, t;
		void *map[4];
		int epfd[4], i, extra;

		if (geteuid() == 0 && setuid(65534))
			_exit(10);
		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(11);
		for (i = 0; i < 3; i++) {
			epfd[i] = xepoll_create1(0);
			map[i] = epfd[i] < 0 ? NULL : ring_map(epfd[i], 1024, &s);
			if (!map[i])
				_exit(12 + i);
		}
		extra = xepoll_create1(0);
		if (extra < 0)
			_exit(20);
		if (ring_map(extra, 1024, &t) || errno != ENOMEM)
			_exit(21);
		/* The instances go, the mappings stay: so does the charge. */
		for (i = 0; i < 3; i++)
			close(epfd[i]);
		if (ring_map(extra, 1024, &t) || errno != ENOMEM)
			_exit(22);
		for (i = 0; i < 3; i++)
			munmap(map[i], s.size);
		/* The last mapping's release returns it (fput may defer: retry). */
		for (i = 0; i < 100; i++) {
			map[3] = ring_map(extra, 1024, &t);
			if (map[3] || errno != ENOMEM)
				break;
			usleep(10 * 1000);
		}
		_exit(map[3] ? 0 : 23);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Make eventfd @fd[i] readable @ms[i] after the start, from a thread. */
struct pokes {
	int fd[3];
	long ms[3];
};

static void *poker_main(void *arg)
{
	struct pokes *p = arg;
	long slept = 0;
	int i;

	for (i = 0; i < 3; i++) {
		msleep(p->ms[i] - slept);
		slept = p->ms[i];
		poke(p->fd[i]);
	}
	return NULL;
}

/*
 * A minimum-batch wait on an instance with a ring gathers the events
 * published there: three one-shot registrations made ready one after
 * another end a wait for three, each once, long before its timeout.
 */
TEST(min_batch_counts_the_ring)
{
	struct xepoll_ring_setup s;
	struct timespec ts = { 20, 0 };
	struct epoll_event ev[8];
	struct pokes p = { .ms = { 100, 300, 500 } };
	long long t0, took;
	pthread_t t;
	void *map;
	int epfd, i, n;

	epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	map = ring_map(epfd, 16, &s);
	ASSERT_NE(NULL, map);
	for (i = 0; i < 3; i++) {
		p.fd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, p.fd[i]);
		ev[0] = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.u64 = i + 1 };
		ASSERT_EQ(0, xepoll_ctl(epfd, EPOLL_CTL_ADD, p.fd[i], ev));
	}
	t0 = now_ms();
	ASSERT_EQ(0, pthread_create(&t, NULL, poker_main, &p));
	n = xepoll_wait_min(epfd, ev, 8, 3, 0, &ts, NULL);
	took = now_ms() - t0;
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(3, n);
	for (i = 1; i <= 3; i++)
		EXPECT_EQ(1, count_data(ev, n, i));
	EXPECT_LE(500, took);
	EXPECT_GT(10000, took);
	for (i = 0; i < 3; i++)
		close(p.fd[i]);
	munmap(map, s.size);
	close(epfd);
}

/*
 * modload_test.sh's helper: a ring mapped by a process that holds no
 * descriptor of xepoll, so that only the mapping can hold the module.
 */
static int hold_ring(void)
{
	struct xepoll_create c = { 0 };
	struct xepoll_ring_setup s;
	int dev, epfd;
	void *map;

	dev = open("/dev/xepoll", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return perror("/dev/xepoll"), 1;
	epfd = ioctl(dev, XEPOLL_IOC_CREATE, &c);
	if (epfd < 0)
		return perror("XEPOLL_IOC_CREATE"), 1;
	close(dev);
	map = ring_map(epfd, 64, &s);
	if (!map)
		return perror("ring"), 1;
	close(epfd);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--hold-ring"))
		return hold_ring();
	return test_harness_run(argc, argv);
}
