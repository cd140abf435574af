// SPDX-License-Identifier: GPL-2.0
/*
 * Batched changes (XEPOLL_IOC_SUBMIT, xepoll_ctl_batch(), xepoll_submit()).
 *
 * The `batch` cases run on both backends: on epoll the batch is emulated
 * with one epoll_ctl() per entry (backend.h), so the results each entry
 * must have are epoll's own, and the same assertions on xepoll prove that
 * a batch means exactly its changes made one by one.
 *
 * The other cases are xepoll's alone (epoll has no such call): the checks
 * that fail the whole call before any change, and change-and-wait with
 * its signals, threads, one-shot and edge-triggered items.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "common.h"
#include "kselftest_harness.h"

#define NFD	64

FIXTURE(batch) {
	int epfd;
	int efd[NFD];
	int p[2];
};

FIXTURE_VARIANT(batch) {
	const struct backend *be;
};

BACKEND_VARIANTS(batch);

FIXTURE_SETUP(batch)
{
	int i;

	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
	for (i = 0; i < NFD; i++) {
		self->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, self->efd[i]);
	}
	ASSERT_EQ(0, pipe2(self->p, O_CLOEXEC | O_NONBLOCK));
}

FIXTURE_TEARDOWN(batch)
{
	int i;

	close(self->epfd);
	for (i = 0; i < NFD; i++)
		close(self->efd[i]);
	close(self->p[0]);
	close(self->p[1]);
}

/* Each entry's result is what the same epoll_ctl() returns, in order. */
TEST_F(batch, results_per_entry)
{
	const struct backend *be = variant->be;
	struct epoll_event ev[4];
	struct xepoll_change c[8];
	int regular = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, regular);
	xepoll_change_set(&c[0], EPOLL_CTL_ADD, self->efd[0], EPOLLOUT, 10);
	xepoll_change_set(&c[1], EPOLL_CTL_ADD, self->efd[1], EPOLLOUT, 11);
	xepoll_change_set(&c[2], EPOLL_CTL_ADD, self->efd[0], EPOLLOUT, 12);
	xepoll_change_set(&c[3], EPOLL_CTL_MOD, self->efd[2], EPOLLOUT, 13);
	xepoll_change_set(&c[4], EPOLL_CTL_DEL, self->efd[1], 0, 0);
	xepoll_change_set(&c[5], EPOLL_CTL_ADD, -1, EPOLLIN, 15);
	xepoll_change_set(&c[6], EPOLL_CTL_ADD, regular, EPOLLIN, 16);
	xepoll_change_set(&c[7], EPOLL_CTL_MOD, self->efd[0], EPOLLOUT, 17);

	EXPECT_EQ(8, be->ctl_batch(self->epfd, c, 8, 0));
	EXPECT_EQ(0, c[0].result);
	EXPECT_EQ(0, c[1].result);
	EXPECT_EQ(-EEXIST, c[2].result);
	EXPECT_EQ(-ENOENT, c[3].result);
	EXPECT_EQ(0, c[4].result);
	EXPECT_EQ(-EBADF, c[5].result);
	EXPECT_EQ(-EPERM, c[6].result);
	EXPECT_EQ(0, c[7].result);

	/* What is left: efd[0], with the data of the last MOD. */
	EXPECT_EQ(1, count_registrations(self->epfd));
	ASSERT_EQ(1, be->wait(self->epfd, ev, 4, 0));
	EXPECT_EQ(17, ev[0].data.u64);
	close(regular);
}

/* STOP_ON_ERROR: the failed entry has its error, the rest -ECANCELED. */
TEST_F(batch, stop_on_error)
{
	const struct backend *be = variant->be;
	struct xepoll_change c[5];

	xepoll_change_set(&c[0], EPOLL_CTL_ADD, self->efd[0], EPOLLIN, 0);
	xepoll_change_set(&c[1], EPOLL_CTL_ADD, self->efd[1], EPOLLIN, 1);
	xepoll_change_set(&c[2], EPOLL_CTL_DEL, self->efd[2], 0, 0);
	xepoll_change_set(&c[3], EPOLL_CTL_ADD, self->efd[3], EPOLLIN, 3);
	xepoll_change_set(&c[4], EPOLL_CTL_ADD, self->efd[4], EPOLLIN, 4);

	EXPECT_EQ(3, be->ctl_batch(self->epfd, c, 5, XEPOLL_SUBMIT_STOP_ON_ERROR));
	EXPECT_EQ(0, c[0].result);
	EXPECT_EQ(0, c[1].result);
	EXPECT_EQ(-ENOENT, c[2].result);
	EXPECT_EQ(-ECANCELED, c[3].result);
	EXPECT_EQ(-ECANCELED, c[4].result);
	EXPECT_EQ(2, count_registrations(self->epfd));
}

/* 64 ADDs in one call: all registered, each reports its own data once. */
TEST_F(batch, sixty_four_adds_all_report)
{
	const struct backend *be = variant->be;
	struct xepoll_change c[NFD];
	struct epoll_event ev[NFD + 1];
	uint64_t seen = 0;
	int i, n;

	for (i = 0; i < NFD; i++)
		xepoll_change_set(&c[i], EPOLL_CTL_ADD, self->efd[i],
				  EPOLLOUT | EPOLLET, i);
	ASSERT_EQ(NFD, be->ctl_batch(self->epfd, c, NFD, 0));
	for (i = 0; i < NFD; i++)
		ASSERT_EQ(0, c[i].result) TH_LOG("entry %d", i);
	EXPECT_EQ(NFD, count_registrations(self->epfd));

	n = be->wait(self->epfd, ev, NFD + 1, 1000);
	ASSERT_EQ(NFD, n);
	for (i = 0; i < n; i++) {
		ASSERT_GT(NFD, ev[i].data.u64);
		EXPECT_FALSE(seen & (1ULL << ev[i].data.u64));
		seen |= 1ULL << ev[i].data.u64;
	}
	/* Edge-triggered: nothing more until a new edge. */
	EXPECT_EQ(0, be->wait(self->epfd, ev, NFD, 0));

	/* And one batch removes them all. */
	for (i = 0; i < NFD; i++)
		xepoll_change_set(&c[i], EPOLL_CTL_DEL, self->efd[i], 0, 0);
	ASSERT_EQ(NFD, be->ctl_batch(self->epfd, c, NFD, 0));
	EXPECT_EQ(0, count_registrations(self->epfd));
}

/* Entries see the changes before them: ADD then MOD then DEL of one fd. */
TEST_F(batch, entries_apply_in_order)
{
	const struct backend *be = variant->be;
	struct epoll_event ev[2];
	struct xepoll_change c[4];
	uint64_t one = 1;

	xepoll_change_set(&c[0], EPOLL_CTL_ADD, self->efd[0], EPOLLIN | EPOLLONESHOT, 1);
	xepoll_change_set(&c[1], EPOLL_CTL_MOD, self->efd[0], EPOLLIN | EPOLLONESHOT, 2);
	xepoll_change_set(&c[2], EPOLL_CTL_DEL, self->efd[0], 0, 0);
	xepoll_change_set(&c[3], EPOLL_CTL_ADD, self->efd[0], EPOLLIN | EPOLLONESHOT, 3);
	ASSERT_EQ(4, be->ctl_batch(self->epfd, c, 4, 0));
	EXPECT_EQ(0, c[0].result);
	EXPECT_EQ(0, c[1].result);
	EXPECT_EQ(0, c[2].result);
	EXPECT_EQ(0, c[3].result);

	ASSERT_EQ(sizeof(one), write(self->efd[0], &one, sizeof(one)));
	ASSERT_EQ(1, be->wait(self->epfd, ev, 2, 1000));
	EXPECT_EQ(3, ev[0].data.u64);
	/* One-shot: disarmed; a batched MOD re-arms it. */
	EXPECT_EQ(0, be->wait(self->epfd, ev, 2, 0));
	xepoll_change_set(&c[0], EPOLL_CTL_MOD, self->efd[0], EPOLLIN | EPOLLONESHOT, 4);
	ASSERT_EQ(1, be->ctl_batch(self->epfd, c, 1, 0));
	EXPECT_EQ(0, c[0].result);
	ASSERT_EQ(1, be->wait(self->epfd, ev, 2, 1000));
	EXPECT_EQ(4, ev[0].data.u64);
}

/* Nesting checks hold inside a batch: a loop made in one batch is ELOOP. */
TEST_F(batch, loop_in_one_batch)
{
	const struct backend *be = variant->be;
	int a = be->create1(EPOLL_CLOEXEC), b = be->create1(EPOLL_CLOEXEC);
	struct xepoll_change c[4];

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	xepoll_change_set(&c[0], EPOLL_CTL_ADD, a, EPOLLIN, 0);
	xepoll_change_set(&c[1], EPOLL_CTL_ADD, self->efd[0], EPOLLIN, 1);
	xepoll_change_set(&c[2], EPOLL_CTL_ADD, self->epfd, EPOLLIN, 2);
	xepoll_change_set(&c[3], EPOLL_CTL_ADD, b, EPOLLIN, 3);
	/* epfd -> a, then a loop epfd -> epfd, then epfd -> b. */
	ASSERT_EQ(4, be->ctl_batch(self->epfd, c, 4, 0));
	EXPECT_EQ(0, c[0].result);
	EXPECT_EQ(0, c[1].result);
	EXPECT_EQ(-EINVAL, c[2].result);
	EXPECT_EQ(0, c[3].result);

	/* a -> epfd would close a loop through the batch's first link. */
	xepoll_change_set(&c[0], EPOLL_CTL_ADD, self->epfd, EPOLLIN, 0);
	xepoll_change_set(&c[1], EPOLL_CTL_ADD, self->efd[1], EPOLLIN, 1);
	ASSERT_EQ(2, be->ctl_batch(a, c, 2, 0));
	EXPECT_EQ(-ELOOP, c[0].result);
	EXPECT_EQ(0, c[1].result);
	close(a);
	close(b);
}

/* An empty batch changes nothing and says so. */
TEST_F(batch, empty)
{
	EXPECT_EQ(0, variant->be->ctl_batch(self->epfd, NULL, 0, 0));
	EXPECT_EQ(0, count_registrations(self->epfd));
}

/* ---- xepoll alone: whole-call checks and change-and-wait ---- */

FIXTURE(submit) {
	int epfd;
	int efd[4];
};

FIXTURE_SETUP(submit)
{
	int i;

	self->epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
	for (i = 0; i < 4; i++) {
		self->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, self->efd[i]);
	}
}

FIXTURE_TEARDOWN(submit)
{
	int i;

	close(self->epfd);
	for (i = 0; i < 4; i++)
		close(self->efd[i]);
}

static long submit_raw(int epfd, struct xepoll_submit *args)
{
	long ret = ioctl(epfd, XEPOLL_IOC_SUBMIT, args);

	return ret < 0 ? -errno : ret;
}

/* Arguments of the call itself: refused whole, nothing changed. */
TEST_F(submit, call_checks_change_nothing)
{
	struct xepoll_change c[2];
	struct xepoll_wait w = { 0 };
	struct xepoll_submit s;

	xepoll_change_set(&c[0], EPOLL_CTL_ADD, self->efd[0], EPOLLIN, 0);
	xepoll_change_set(&c[1], EPOLL_CTL_ADD, self->efd[1], EPOLLIN, 1);
#define BASE ((struct xepoll_submit){ .changes = (uintptr_t)c, .nr_changes = 2, \
				      .change_size = sizeof(c[0]) })
	s = BASE;
	s.flags = 0x80;
	EXPECT_EQ(-EINVAL, submit_raw(self->epfd, &s));
	s = BASE;
	s.__reserved = 1;
	EXPECT_EQ(-EINVAL, submit_raw(self->epfd, &s));
	s = BASE;
	s.nr_changes = XEPOLL_SUBMIT_MAX_CHANGES + 1;
	EXPECT_EQ(-EINVAL, submit_raw(self->epfd, &s));
	s = BASE;
	s.change_size = 16;
	EXPECT_EQ(-EINVAL, submit_raw(self->epfd, &s));
	s = BASE;
	s.wait = (uintptr_t)&w;
	EXPECT_EQ(-EINVAL, submit_raw(self->epfd, &s));		/* no wait_size */
	s = BASE;
	s.wait_size = sizeof(w);
	EXPECT_EQ(-EINVAL, submit_raw(self->epfd, &s));		/* no wait */
	s = BASE;
	s.wait = (uintptr_t)&w;
	s.wait_size = 40;
	EXPECT_EQ(-EINVAL, submit_raw(self->epfd, &s));		/* too small */
	/* The wait is checked before any change: maxevents 0 is EINVAL. */
	s = BASE;
	s.wait = (uintptr_t)&w;
	s.wait_size = sizeof(w);
	w.event_size = sizeof(struct epoll_event);
	EXPECT_EQ(-EINVAL, submit_raw(self->epfd, &s));
	/* Unreadable changes: EFAULT. */
	s = BASE;
	s.changes = 8;
	EXPECT_EQ(-EFAULT, submit_raw(self->epfd, &s));
	EXPECT_EQ(0, count_registrations(self->epfd));
#undef BASE
}

/* Entries that cannot all be read, or whose results cannot be written. */
TEST_F(submit, efault_changes_nothing)
{
	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct xepoll_change *c;

	ASSERT_NE(MAP_FAILED, m);
	/* Two entries at the end of the first page, a third past it. */
	c = (struct xepoll_change *)(m + page) - 2;
	xepoll_change_set(&c[0], EPOLL_CTL_ADD, self->efd[0], EPOLLIN, 0);
	xepoll_change_set(&c[1], EPOLL_CTL_ADD, self->efd[1], EPOLLIN, 1);
	ASSERT_EQ(0, munmap(m + page, page));
	EXPECT_ERRNO(EFAULT, xepoll_ctl_batch(self->epfd, c, 3, 0));
	EXPECT_EQ(0, count_registrations(self->epfd));

	/* Readable but not writable: the results cannot be written. */
	ASSERT_EQ(0, mprotect(m, page, PROT_READ));
	EXPECT_ERRNO(EFAULT, xepoll_ctl_batch(self->epfd, c, 2, 0));
	EXPECT_EQ(0, count_registrations(self->epfd));
	ASSERT_EQ(0, mprotect(m, page, PROT_READ | PROT_WRITE));
	EXPECT_EQ(2, xepoll_ctl_batch(self->epfd, c, 2, 0));
	EXPECT_EQ(2, count_registrations(self->epfd));
	munmap(m, page);
}

/* Entry fields: reserved, flags and a grown entry's tail, per entry. */
TEST_F(submit, entry_checks)
{
	struct grown {
		struct xepoll_change c;
		uint64_t extra;
	} g[3];
	struct xepoll_submit s = {
		.changes = (uintptr_t)g,
		.nr_changes = 3,
		.change_size = sizeof(g[0]),
	};

	memset(g, 0, sizeof(g));
	xepoll_change_set(&g[0].c, EPOLL_CTL_ADD, self->efd[0], EPOLLIN, 0);
	xepoll_change_set(&g[1].c, EPOLL_CTL_ADD, self->efd[1], EPOLLIN, 1);
	g[1].extra = 1;
	xepoll_change_set(&g[2].c, EPOLL_CTL_ADD, self->efd[2], EPOLLIN, 2);
	g[2].c.__reserved = 1;
	EXPECT_EQ(3, submit_raw(self->epfd, &s));
	EXPECT_EQ(3, s.nr_done);
	EXPECT_EQ(0, g[0].c.result);
	EXPECT_EQ(-E2BIG, g[1].c.result);
	EXPECT_EQ(-EINVAL, g[2].c.result);

	/* Unknown entry flags, and EVENT_ADDR, which a batch does not read. */
	g[2].c.__reserved = 0;
	g[2].c.flags = XEPOLL_CTL_EVENT_ADDR;
	g[1].extra = 0;
	g[1].c.flags = 0x100;
	EXPECT_EQ(3, submit_raw(self->epfd, &s));
	EXPECT_EQ(-EEXIST, g[0].c.result);
	EXPECT_EQ(-EINVAL, g[1].c.result);
	EXPECT_EQ(-EINVAL, g[2].c.result);
	EXPECT_EQ(1, count_registrations(self->epfd));
}

/* Change and wait: the ADD's readiness is reported by the same call. */
TEST_F(submit, change_then_wait)
{
	struct xepoll_wait_opts o = { 0 };
	struct timespec ts = { 1, 0 };
	struct epoll_event ev[4];
	struct xepoll_change c[2];
	unsigned int done = 99;

	o.timeout = &ts;
	xepoll_change_set(&c[0], EPOLL_CTL_ADD, self->efd[0], EPOLLOUT, 7);
	xepoll_change_set(&c[1], EPOLL_CTL_ADD, self->efd[1], EPOLLIN, 8);
	EXPECT_EQ(1, xepoll_submit(self->epfd, c, 2, 0, &done, ev, 4, &o));
	EXPECT_EQ(2, done);
	EXPECT_EQ(7, ev[0].data.u64);
	EXPECT_EQ(EPOLLOUT, ev[0].events);

	/* A failed change does not stop the wait by default. */
	xepoll_change_set(&c[0], EPOLL_CTL_ADD, self->efd[0], EPOLLOUT, 7);
	EXPECT_EQ(1, xepoll_submit(self->epfd, c, 1, 0, &done, ev, 4, &o));
	EXPECT_EQ(-EEXIST, c[0].result);
	EXPECT_EQ(1, done);
}

/* STOP_ON_ERROR with a failed change: no wait at all, not even forever. */
TEST_F(submit, stop_on_error_skips_wait)
{
	struct epoll_event ev[4];
	struct xepoll_change c[2];
	unsigned int done = 99;
	long long t0 = now_ms();

	xepoll_change_set(&c[0], EPOLL_CTL_DEL, self->efd[0], 0, 0);
	xepoll_change_set(&c[1], EPOLL_CTL_ADD, self->efd[1], EPOLLOUT, 1);
	/* opts NULL: the wait would be for ever. */
	EXPECT_EQ(0, xepoll_submit(self->epfd, c, 2, XEPOLL_SUBMIT_STOP_ON_ERROR,
				   &done, ev, 4, NULL));
	EXPECT_EQ(1, done);
	EXPECT_EQ(-ENOENT, c[0].result);
	EXPECT_EQ(-ECANCELED, c[1].result);
	EXPECT_GT(5000, now_ms() - t0);
	EXPECT_EQ(0, count_registrations(self->epfd));
}

static volatile sig_atomic_t caught;

static void on_alarm(int sig)
{
	(void)sig;
	caught++;
}

/* A signal in the wait: EINTR, yet the changes stay applied and reported. */
TEST_F(submit, signal_in_wait_keeps_changes)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value.tv_usec = 100000 };
	struct epoll_event ev[4];
	struct xepoll_change c[2];
	unsigned int done = 99;

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	caught = 0;
	xepoll_change_set(&c[0], EPOLL_CTL_ADD, self->efd[0], EPOLLIN, 0);
	xepoll_change_set(&c[1], EPOLL_CTL_ADD, self->efd[1], EPOLLIN, 1);
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_ERRNO(EINTR, xepoll_submit(self->epfd, c, 2, 0, &done, ev, 4, NULL));
	EXPECT_EQ(1, caught);
	EXPECT_EQ(2, done);
	EXPECT_EQ(0, c[0].result);
	EXPECT_EQ(0, c[1].result);
	EXPECT_EQ(2, count_registrations(self->epfd));
	signal(SIGALRM, SIG_DFL);
}

struct waiter {
	int epfd;
	int n;
	uint64_t data;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	struct epoll_event ev;

	w->n = xepoll_wait(w->epfd, &ev, 1, 10000);
	w->data = ev.data.u64;
	return NULL;
}

/* A batch wakes a thread waiting on the instance, as epoll_ctl() would. */
TEST_F(submit, batch_wakes_waiting_thread)
{
	struct waiter w = { .epfd = self->epfd, .n = -2 };
	struct xepoll_change c[2];
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, wait_thread, &w));
	msleep(100);
	xepoll_change_set(&c[0], EPOLL_CTL_ADD, self->efd[0], EPOLLIN, 0);
	xepoll_change_set(&c[1], EPOLL_CTL_ADD, self->efd[1], EPOLLOUT, 42);
	EXPECT_EQ(2, xepoll_ctl_batch(self->epfd, c, 2, 0));
	pthread_join(t, NULL);
	EXPECT_EQ(1, w.n);
	EXPECT_EQ(42, w.data);
}

/* A change-and-wait that re-arms a one-shot item gets its event. */
TEST_F(submit, rearm_oneshot_and_wait)
{
	struct xepoll_wait_opts o = { 0 };
	struct timespec ts = { 1, 0 };
	struct epoll_event ev[2];
	struct xepoll_change c;

	o.timeout = &ts;
	ASSERT_EQ(0, backend_add(&backend_xepoll, self->epfd, self->efd[0],
				 EPOLLOUT | EPOLLONESHOT, 5));
	ASSERT_EQ(1, xepoll_wait(self->epfd, ev, 2, 1000));
	EXPECT_EQ(0, xepoll_wait(self->epfd, ev, 2, 0));
	xepoll_change_set(&c, EPOLL_CTL_MOD, self->efd[0], EPOLLOUT | EPOLLONESHOT, 6);
	EXPECT_EQ(1, xepoll_submit(self->epfd, &c, 1, 0, NULL, ev, 2, &o));
	EXPECT_EQ(0, c.result);
	EXPECT_EQ(6, ev[0].data.u64);
}

/* A 48-byte (first version) wait in a submit still works. */
TEST_F(submit, first_version_wait)
{
	struct xepoll_wait w = { 0 };
	struct epoll_event ev[2];
	struct xepoll_change c;
	struct xepoll_submit s = {
		.changes = (uintptr_t)&c,
		.nr_changes = 1,
		.change_size = sizeof(c),
		.wait = (uintptr_t)&w,
		.wait_size = XEPOLL_WAIT_SIZE_VER0,
	};

	w.events = (uintptr_t)ev;
	w.maxevents = 2;
	w.event_size = sizeof(ev[0]);
	w.timeout_ms = 1000;
	/* Beyond the 48 bytes: not read. */
	w.min_events = 99;
	xepoll_change_set(&c, EPOLL_CTL_ADD, self->efd[0], EPOLLOUT, 3);
	EXPECT_EQ(1, submit_raw(self->epfd, &s));
	EXPECT_EQ(3, ev[0].data.u64);
}

/*
 * The wait's unused fields must be zero (a timespec address without
 * XEPOLL_WAIT_TIMESPEC, a mask size without a mask): the call fails before
 * any change, and every entry keeps what the caller wrote in it.
 */
TEST_F(submit, wait_unused_fields_change_nothing)
{
	struct xepoll_wait w = { 0 };
	struct epoll_event ev[2];
	struct xepoll_change c[2];
	struct xepoll_submit s = {
		.changes = (uintptr_t)c,
		.nr_changes = 2,
		.change_size = sizeof(c[0]),
		.wait = (uintptr_t)&w,
		.wait_size = sizeof(w),
	};
	int i;

	for (i = 0; i < 2; i++) {
		xepoll_change_set(&c[0], EPOLL_CTL_ADD, self->efd[0], EPOLLOUT, 3);
		xepoll_change_set(&c[1], EPOLL_CTL_ADD, self->efd[1], EPOLLOUT, 4);
		c[0].result = 55;
		c[1].result = 66;
		memset(&w, 0, sizeof(w));
		w.events = (uintptr_t)ev;
		w.maxevents = 2;
		w.event_size = sizeof(ev[0]);
		if (i)
			w.sigmask_size = 8;
		else
			w.timeout = 8;
		s.nr_done = 77;
		EXPECT_EQ(-EINVAL, submit_raw(self->epfd, &s))
			TH_LOG("%s", i ? "sigmask_size without sigmask" :
			       "timeout without XEPOLL_WAIT_TIMESPEC");
		EXPECT_EQ(0, count_registrations(self->epfd));
		EXPECT_EQ(55, c[0].result);
		EXPECT_EQ(66, c[1].result);
		EXPECT_EQ(77, s.nr_done);
		/* Cleanup if the call ran after all. */
		xepoll_change_set(&c[0], EPOLL_CTL_DEL, self->efd[0], 0, 0);
		xepoll_change_set(&c[1], EPOLL_CTL_DEL, self->efd[1], 0, 0);
		xepoll_ctl_batch(self->epfd, c, 2, 0);
	}
}

TEST_HARNESS_MAIN
