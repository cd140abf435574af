// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency: threads waiting on one instance while others change its
 * interest list, close watched descriptors, write and send signals.
 *
 * Threads never assert: each records what it saw and the test's main
 * thread asserts after joining it. Waits are long (seconds) so that a slow,
 * emulated guest does not turn into a failure; a thread is known to be
 * blocked when /proc shows it sleeping, never by a guessed delay.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "kselftest_harness.h"

#include "backend.h"
#include "common.h"

/* A wait that should end by an event, long before this. */
#define LONG_WAIT_MS	20000
/* How long the main thread allows a thread to reach a blocking wait. */
#define SLEEP_WAIT_MS	10000

struct waiter {
	const struct backend *be;
	int epfd;
	int timeout;
	pthread_t thread;
	atomic_int tid;
	atomic_int done;
	int ret;
	int err;
	long long elapsed_ms;
	struct epoll_event ev[8];
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	long long start;

	atomic_store(&w->tid, gettid());
	start = now_ms();
	w->ret = w->be->wait(w->epfd, w->ev, 8, w->timeout);
	w->err = errno;
	w->elapsed_ms = now_ms() - start;
	atomic_store(&w->done, 1);
	return NULL;
}

/* Start @w waiting; returns whether it was seen blocked in its wait. */
static bool waiter_start(struct waiter *w, const struct backend *be, int epfd,
			 int timeout)
{
	long long end = now_ms() + SLEEP_WAIT_MS;

	memset(w, 0, sizeof(*w));
	w->be = be;
	w->epfd = epfd;
	w->timeout = timeout;
	if (pthread_create(&w->thread, NULL, waiter_main, w))
		return false;
	while (!atomic_load(&w->tid) && now_ms() < end)
		msleep(1);
	return atomic_load(&w->tid) &&
	       wait_task_sleeping(atomic_load(&w->tid), SLEEP_WAIT_MS);
}

FIXTURE(threads) {
	int epfd;
};

FIXTURE_VARIANT(threads) {
	const struct backend *be;
};

BACKEND_VARIANTS(threads);

FIXTURE_SETUP(threads)
{
	signal(SIGPIPE, SIG_IGN);
	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd)
		TH_LOG("%s: create1: %s", variant->be->name, strerror(errno));
}

FIXTURE_TEARDOWN(threads)
{
	if (self->epfd >= 0)
		close(self->epfd);
}

/* ADD of a descriptor that is already ready wakes a thread blocked in wait. */
TEST_F(threads, add_of_ready_fd_wakes_waiter)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1234 };
	struct waiter w;
	bool slept;
	int efd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	slept = waiter_start(&w, variant->be, self->epfd, LONG_WAIT_MS);
	EXPECT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, efd, &ev));
	pthread_join(w.thread, NULL);

	EXPECT_TRUE(slept);
	ASSERT_EQ(1, w.ret) TH_LOG("wait: %s", strerror(w.err));
	EXPECT_EQ(EPOLLIN, w.ev[0].events);
	EXPECT_EQ(0x1234, w.ev[0].data.u64);
	EXPECT_GT(LONG_WAIT_MS, w.elapsed_ms);
	close(efd);
}

/* MOD that makes a registration match its ready file wakes a blocked waiter. */
TEST_F(threads, mod_to_ready_events_wakes_waiter)
{
	struct epoll_event ev = { .events = EPOLLPRI, .data.u64 = 1 };
	struct waiter w;
	bool slept;
	int efd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, efd, &ev));
	slept = waiter_start(&w, variant->be, self->epfd, LONG_WAIT_MS);
	ev.events = EPOLLIN;
	ev.data.u64 = 2;
	EXPECT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_MOD, efd, &ev));
	pthread_join(w.thread, NULL);

	EXPECT_TRUE(slept);
	ASSERT_EQ(1, w.ret) TH_LOG("wait: %s", strerror(w.err));
	EXPECT_EQ(EPOLLIN, w.ev[0].events);
	EXPECT_EQ(2, w.ev[0].data.u64);
	close(efd);
}

/*
 * DEL while a thread waits: the deleted descriptor's later events do not
 * reach the waiter; an event of another registration does, alone.
 */
TEST_F(threads, del_while_waiting)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int efd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t one = 1;
	struct waiter w;
	bool slept;

	ASSERT_LE(0, efd);
	ASSERT_LE(0, efd2);
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, efd, &ev));
	ev.data.u64 = 2;
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, efd2, &ev));

	slept = waiter_start(&w, variant->be, self->epfd, LONG_WAIT_MS);
	EXPECT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_DEL, efd, NULL));
	EXPECT_EQ(8, write(efd, &one, sizeof(one)));
	/* Give a wrongly delivered event time to arrive first. */
	msleep(200);
	EXPECT_EQ(0, atomic_load(&w.done));
	EXPECT_EQ(8, write(efd2, &one, sizeof(one)));
	pthread_join(w.thread, NULL);

	EXPECT_TRUE(slept);
	ASSERT_EQ(1, w.ret) TH_LOG("wait: %s", strerror(w.err));
	EXPECT_EQ(2, w.ev[0].data.u64);
	EXPECT_EQ(1, count_registrations(self->epfd));
	close(efd);
	close(efd2);
}

/*
 * close() of the watched descriptor while a thread waits: the file is
 * released at once (its pipe's writer gets EPIPE) and reports nothing.
 */
TEST_F(threads, close_while_waiting)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t one = 1;
	struct waiter w;
	bool slept;
	int p[2];

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC | O_NONBLOCK));
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, p[0], &ev));
	ev.data.u64 = 2;
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, efd, &ev));

	slept = waiter_start(&w, variant->be, self->epfd, LONG_WAIT_MS);
	EXPECT_EQ(0, close(p[0]));
	errno = 0;
	EXPECT_EQ(-1, write(p[1], "x", 1));
	EXPECT_EQ(EPIPE, errno);
	msleep(200);
	EXPECT_EQ(0, atomic_load(&w.done));
	EXPECT_EQ(8, write(efd, &one, sizeof(one)));
	pthread_join(w.thread, NULL);

	EXPECT_TRUE(slept);
	ASSERT_EQ(1, w.ret) TH_LOG("wait: %s", strerror(w.err));
	EXPECT_EQ(2, w.ev[0].data.u64);
	EXPECT_EQ(1, count_registrations(self->epfd));
	close(p[1]);
	close(efd);
}

/* Closing a pipe's write end wakes a thread waiting on its read end: HUP. */
TEST_F(threads, close_of_peer_wakes_waiter_with_hup)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 };
	struct waiter w;
	bool slept;
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC | O_NONBLOCK));
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, p[0], &ev));
	slept = waiter_start(&w, variant->be, self->epfd, LONG_WAIT_MS);
	EXPECT_EQ(0, close(p[1]));
	pthread_join(w.thread, NULL);

	EXPECT_TRUE(slept);
	ASSERT_EQ(1, w.ret) TH_LOG("wait: %s", strerror(w.err));
	EXPECT_EQ(EPOLLHUP, w.ev[0].events);
	EXPECT_EQ(7, w.ev[0].data.u64);
	close(p[0]);
}

/*
 * Closing the instance's descriptor while a thread waits in it: the wait
 * holds the instance, which keeps working until the wait ends.
 */
TEST_F(threads, close_instance_fd_while_waiting)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 8 };
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t one = 1;
	struct waiter w;
	bool slept;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, efd, &ev));
	slept = waiter_start(&w, variant->be, self->epfd, LONG_WAIT_MS);
	EXPECT_EQ(0, close(self->epfd));
	self->epfd = -1;
	EXPECT_EQ(8, write(efd, &one, sizeof(one)));
	pthread_join(w.thread, NULL);

	EXPECT_TRUE(slept);
	ASSERT_EQ(1, w.ret) TH_LOG("wait: %s", strerror(w.err));
	EXPECT_EQ(8, w.ev[0].data.u64);
	close(efd);
}

/*
 * An instance watching another: a thread blocked on the outer one is woken
 * by an event of the inner one, and by an ADD to the inner one.
 */
TEST_F(threads, inner_instance_event_wakes_outer_waiter)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 21 };
	int inner = variant->be->create1(EPOLL_CLOEXEC);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int efd2 = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
	struct epoll_event got;
	uint64_t one = 1, val;
	struct waiter w;
	bool slept;

	ASSERT_LE(0, inner);
	ASSERT_LE(0, efd);
	ASSERT_LE(0, efd2);
	ASSERT_EQ(0, variant->be->ctl(inner, EPOLL_CTL_ADD, efd, &ev));
	ev.data.u64 = 20;
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, inner, &ev));

	slept = waiter_start(&w, variant->be, self->epfd, LONG_WAIT_MS);
	EXPECT_EQ(8, write(efd, &one, sizeof(one)));
	pthread_join(w.thread, NULL);
	EXPECT_TRUE(slept);
	ASSERT_EQ(1, w.ret) TH_LOG("wait: %s", strerror(w.err));
	EXPECT_EQ(20, w.ev[0].data.u64);
	ASSERT_EQ(1, variant->be->wait(inner, &got, 1, 0));
	EXPECT_EQ(21, got.data.u64);
	ASSERT_EQ(8, read(efd, &val, sizeof(val)));

	slept = waiter_start(&w, variant->be, self->epfd, LONG_WAIT_MS);
	ev.data.u64 = 22;
	EXPECT_EQ(0, variant->be->ctl(inner, EPOLL_CTL_ADD, efd2, &ev));
	pthread_join(w.thread, NULL);
	EXPECT_TRUE(slept);
	ASSERT_EQ(1, w.ret) TH_LOG("wait: %s", strerror(w.err));
	EXPECT_EQ(20, w.ev[0].data.u64);
	close(inner);
	close(efd);
	close(efd2);
}

/*
 * A child's threads block in wait on the shared instance and the child
 * exits under them: the threads die at once, and what they leave behind
 * does not swallow the next wake-up, which reaches a waiter in the parent.
 */
TEST_F_TIMEOUT(threads, exit_with_threads_waiting, 120)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 30 };
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int status, c2p[2];
	uint64_t one = 1;
	struct waiter w;
	long long start;
	bool slept;
	pid_t pid;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pipe2(c2p, O_CLOEXEC));
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, efd, &ev));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct waiter cw[3];
		int i;

		for (i = 0; i < 3; i++)
			if (!waiter_start(&cw[i], variant->be, self->epfd,
					  4 * LONG_WAIT_MS))
				_exit(2);
		if (sync_send(c2p[1]))
			_exit(3);
		/* exit_group() with the three threads asleep in wait. */
		_exit(0);
	}

	start = now_ms();
	EXPECT_EQ(0, sync_recv(c2p[0], 2 * LONG_WAIT_MS));
	status = reap_child(pid, 3 * LONG_WAIT_MS);
	EXPECT_GT(3 * LONG_WAIT_MS, now_ms() - start);
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("status %#x", status);
	ASSERT_EQ(0, WEXITSTATUS(status));

	slept = waiter_start(&w, variant->be, self->epfd, LONG_WAIT_MS);
	EXPECT_EQ(8, write(efd, &one, sizeof(one)));
	pthread_join(w.thread, NULL);
	EXPECT_TRUE(slept);
	ASSERT_EQ(1, w.ret) TH_LOG("wait: %s", strerror(w.err));
	EXPECT_EQ(30, w.ev[0].data.u64);
	EXPECT_GT(LONG_WAIT_MS, w.elapsed_ms);
	close(efd);
	close(c2p[0]);
	close(c2p[1]);
}

static atomic_int sigusr1_count;

static void on_sigusr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&sigusr1_count, 1);
}

/*
 * A signal to a thread blocked in wait ends the wait with EINTR, even with
 * SA_RESTART: epoll_wait() is never restarted after a handler (signal(7)).
 */
TEST_F(threads, signal_interrupts_wait_with_eintr)
{
	struct sigaction sa = { .sa_handler = on_sigusr1, .sa_flags = SA_RESTART };
	struct waiter w;
	bool slept;
	int i;

	atomic_store(&sigusr1_count, 0);
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));

	slept = waiter_start(&w, variant->be, self->epfd, LONG_WAIT_MS);
	/* Bounded: the first signal that finds it blocked ends the wait. */
	for (i = 0; i < 100 && !atomic_load(&w.done); i++) {
		pthread_kill(w.thread, SIGUSR1);
		msleep(100);
	}
	pthread_join(w.thread, NULL);

	EXPECT_TRUE(slept);
	EXPECT_EQ(-1, w.ret);
	EXPECT_EQ(EINTR, w.err);
	EXPECT_LE(1, atomic_load(&sigusr1_count));
	EXPECT_GT(LONG_WAIT_MS, w.elapsed_ms);
}

/*
 * pwait()'s mask: a signal blocked before the call and pending is
 * delivered during it, which returns EINTR at once; afterwards the
 * caller's mask is back.
 */
TEST_F(threads, pwait_delivers_pending_blocked_signal)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct epoll_event ev[1];
	sigset_t block, waitmask, after;
	long long start;
	int ret;

	atomic_store(&sigusr1_count, 0);
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &block, NULL));
	ASSERT_EQ(0, pthread_kill(pthread_self(), SIGUSR1));
	ASSERT_EQ(0, atomic_load(&sigusr1_count));

	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, NULL, &waitmask));
	sigdelset(&waitmask, SIGUSR1);
	start = now_ms();
	ret = variant->be->pwait(self->epfd, ev, 1, LONG_WAIT_MS, &waitmask);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EINTR, errno);
	EXPECT_GT(LONG_WAIT_MS, now_ms() - start);
	EXPECT_EQ(1, atomic_load(&sigusr1_count));

	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, NULL, &after));
	EXPECT_TRUE(sigismember(&after, SIGUSR1));
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);
}

/*
 * Producer and consumers: each token written to an eventfd must be taken
 * by one of several threads blocked in wait on one instance, before the
 * next is written. A lost wake-up leaves every consumer asleep and the
 * producer waiting in vain.
 */
#define CONSUMERS	4
#define TOKENS		200
#define DATA_TOKEN	1
#define DATA_STOP	2

struct pc {
	const struct backend *be;
	int epfd;
	int efd;
	uint32_t events;
	atomic_long consumed;
	atomic_int stop;
	atomic_int errors;
	atomic_int bad_data;
};

static void *consumer_main(void *arg)
{
	struct pc *pc = arg;
	struct epoll_event ev[4];
	int i, n;

	while (!atomic_load(&pc->stop)) {
		n = pc->be->wait(pc->epfd, ev, 4, LONG_WAIT_MS);
		if (n < 0) {
			if (errno != EINTR)
				atomic_fetch_add(&pc->errors, 1);
			continue;
		}
		for (i = 0; i < n; i++) {
			uint64_t val;

			if (ev[i].data.u64 == DATA_STOP) {
				atomic_store(&pc->stop, 1);
				continue;
			}
			if (ev[i].data.u64 != DATA_TOKEN) {
				atomic_fetch_add(&pc->bad_data, 1);
				continue;
			}
			if (read(pc->efd, &val, sizeof(val)) == sizeof(val))
				atomic_fetch_add(&pc->consumed, (long)val);
			else if (errno != EAGAIN)
				atomic_fetch_add(&pc->errors, 1);
			if (pc->events & EPOLLONESHOT) {
				struct epoll_event re = {
					.events = pc->events,
					.data.u64 = DATA_TOKEN,
				};

				if (pc->be->ctl(pc->epfd, EPOLL_CTL_MOD, pc->efd, &re))
					atomic_fetch_add(&pc->errors, 1);
			}
		}
	}
	return NULL;
}

static void run_producer_consumers(struct __test_metadata *_metadata,
				   const struct backend *be, int epfd,
				   uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = DATA_TOKEN };
	struct pc pc = { .be = be, .epfd = epfd, .events = events };
	pthread_t thr[CONSUMERS];
	int stopfd, i, started = 0;
	long produced = 0;
	uint64_t one = 1;

	pc.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, pc.efd);
	ASSERT_LE(0, stopfd);
	ASSERT_EQ(0, be->ctl(epfd, EPOLL_CTL_ADD, pc.efd, &ev));
	ev.events = EPOLLIN;
	ev.data.u64 = DATA_STOP;
	ASSERT_EQ(0, be->ctl(epfd, EPOLL_CTL_ADD, stopfd, &ev));

	for (i = 0; i < CONSUMERS; i++)
		if (!pthread_create(&thr[i], NULL, consumer_main, &pc))
			started++;
		else
			break;

	for (i = 1; started == CONSUMERS && i <= TOKENS; i++) {
		long long end = now_ms() + LONG_WAIT_MS;

		if (write(pc.efd, &one, sizeof(one)) != sizeof(one))
			break;
		produced++;
		while (atomic_load(&pc.consumed) < i && now_ms() < end)
			msleep(1);
		if (atomic_load(&pc.consumed) < i)
			break;
	}

	/* The stop event is level-triggered and never read: it reaches all. */
	atomic_store(&pc.stop, 1);
	EXPECT_EQ(8, write(stopfd, &one, sizeof(one)));
	for (i = 0; i < started; i++)
		pthread_join(thr[i], NULL);

	EXPECT_EQ(CONSUMERS, started);
	EXPECT_EQ(TOKENS, produced);
	EXPECT_EQ(TOKENS, atomic_load(&pc.consumed));
	EXPECT_EQ(0, atomic_load(&pc.errors));
	EXPECT_EQ(0, atomic_load(&pc.bad_data));
	close(pc.efd);
	close(stopfd);
}

TEST_F_TIMEOUT(threads, no_lost_wakeup_level_triggered, 120)
{
	run_producer_consumers(_metadata, variant->be, self->epfd, EPOLLIN);
}

TEST_F_TIMEOUT(threads, no_lost_wakeup_edge_triggered, 120)
{
	run_producer_consumers(_metadata, variant->be, self->epfd,
			       EPOLLIN | EPOLLET);
}

TEST_F_TIMEOUT(threads, no_lost_wakeup_oneshot_rearmed_by_mod, 120)
{
	run_producer_consumers(_metadata, variant->be, self->epfd,
			       EPOLLIN | EPOLLONESHOT);
}

/*
 * Edge-triggered events spread over several waiting threads, each taking
 * one or two at a time: every edge is reported exactly once, to one of
 * them.
 */
#define ET_FDS		64
#define ET_WAITERS	4
#define ET_DATA		1000

struct et {
	const struct backend *be;
	int epfd;
	atomic_int stop;
	atomic_int errors;
	atomic_int seen[ET_FDS];
};

static void *et_waiter(void *arg)
{
	struct et *et = arg;
	struct epoll_event ev[2];
	int i, n, max = 1;

	while (!atomic_load(&et->stop)) {
		n = et->be->wait(et->epfd, ev, max, LONG_WAIT_MS);
		max = max == 1 ? 2 : 1;
		if (n < 0) {
			atomic_fetch_add(&et->errors, 1);
			break;
		}
		for (i = 0; i < n; i++) {
			uint64_t k = ev[i].data.u64 - ET_DATA;

			if (ev[i].data.u64 == DATA_STOP)
				atomic_store(&et->stop, 1);
			else if (k < ET_FDS)
				atomic_fetch_add(&et->seen[k], 1);
			else
				atomic_fetch_add(&et->errors, 1);
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(threads, edge_reported_once_across_waiters, 120)
{
	struct et et = { .be = variant->be, .epfd = self->epfd };
	struct epoll_event ev;
	int efd[ET_FDS], stopfd, i, started = 0, once = 0;
	pthread_t thr[ET_WAITERS];
	long long end;
	uint64_t one = 1;

	for (i = 0; i < ET_FDS; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, efd[i]);
		ev.events = EPOLLIN | EPOLLET;
		ev.data.u64 = ET_DATA + i;
		ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, efd[i], &ev));
	}
	stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, stopfd);
	ev.events = EPOLLIN;
	ev.data.u64 = DATA_STOP;
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, stopfd, &ev));

	for (i = 0; i < ET_WAITERS; i++)
		if (!pthread_create(&thr[i], NULL, et_waiter, &et))
			started++;
	for (i = 0; i < ET_FDS; i++) {
		EXPECT_EQ(8, write(efd[i], &one, sizeof(one)));
		if (i % 8 == 7)
			msleep(10);
	}
	/* Wait for all edges to be taken, then a little for duplicates. */
	end = now_ms() + LONG_WAIT_MS;
	do {
		for (i = 0, once = 0; i < ET_FDS; i++)
			once += atomic_load(&et.seen[i]) > 0;
		if (once == ET_FDS)
			break;
		msleep(20);
	} while (now_ms() < end);
	msleep(200);
	EXPECT_EQ(8, write(stopfd, &one, sizeof(one)));
	for (i = 0; i < started; i++)
		pthread_join(thr[i], NULL);

	EXPECT_EQ(ET_WAITERS, started);
	EXPECT_EQ(0, atomic_load(&et.errors));
	for (i = 0, once = 0; i < ET_FDS; i++)
		once += atomic_load(&et.seen[i]) == 1;
	EXPECT_EQ(ET_FDS, once) {
		for (i = 0; i < ET_FDS; i++)
			TH_LOG("fd %d: %d", i, atomic_load(&et.seen[i]));
	}
	for (i = 0; i < ET_FDS; i++)
		close(efd[i]);
	close(stopfd);
}

/*
 * Interest-list churn (ADD, MOD, DEL, close) in two threads while
 * two others wait and take what is ready: every call succeeds as it
 * would alone, waiters only see data of registered descriptors, and the
 * interest list ends empty.
 */
#define CHURN_FDS	8
#define CHURN_ROUNDS	300

struct churn {
	const struct backend *be;
	int epfd;
	int efd[CHURN_FDS];
	pthread_t waiters[2];
	atomic_int churning;
	atomic_int stop;
	atomic_int errors;
	atomic_int bad_data;
	atomic_long events;
};

static void *churn_waiter(void *arg)
{
	struct churn *c = arg;
	struct epoll_event ev[8];
	int i, n;

	while (!atomic_load(&c->stop)) {
		n = c->be->wait(c->epfd, ev, 8, 50);
		if (n < 0) {
			if (errno != EINTR)
				atomic_fetch_add(&c->errors, 1);
			continue;
		}
		for (i = 0; i < n; i++)
			if (ev[i].data.u64 >= CHURN_FDS + 1000)
				atomic_fetch_add(&c->bad_data, 1);
		atomic_fetch_add(&c->events, n);
	}
	return NULL;
}

static void *churn_ctl(void *arg)
{
	static const uint32_t modes[] = {
		EPOLLIN, EPOLLIN | EPOLLET, EPOLLIN | EPOLLONESHOT,
		EPOLLIN | EPOLLOUT,
	};
	struct churn *c = arg;
	int r, k;

	for (r = 0; r < CHURN_ROUNDS; r++) {
		for (k = 0; k < CHURN_FDS; k++) {
			struct epoll_event ev = {
				.events = modes[(r + k) % 4],
				.data.u64 = k,
			};

			if (c->be->ctl(c->epfd, EPOLL_CTL_ADD, c->efd[k], &ev))
				atomic_fetch_add(&c->errors, 1);
		}
		for (k = 0; k < CHURN_FDS; k++) {
			struct epoll_event ev = {
				.events = modes[(r + k + 1) % 4],
				.data.u64 = k,
			};

			if (c->be->ctl(c->epfd, EPOLL_CTL_MOD, c->efd[k], &ev))
				atomic_fetch_add(&c->errors, 1);
		}
		for (k = 0; k < CHURN_FDS; k++)
			if (c->be->ctl(c->epfd, EPOLL_CTL_DEL, c->efd[k], NULL))
				atomic_fetch_add(&c->errors, 1);
	}
	return NULL;
}

/*
 * Registers fresh, ready descriptors and closes them while registered:
 * with close(), and every fourth through the deprecated close_watched().
 */
static void *churn_close(void *arg)
{
	struct churn *c = arg;
	int r;

	for (r = 0; r < CHURN_ROUNDS * 2; r++) {
		struct epoll_event ev = {
			.events = EPOLLIN | (r & 1 ? EPOLLET : 0),
			.data.u64 = 1000 + (r % CHURN_FDS),
		};
		int fd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);

		if (fd < 0) {
			atomic_fetch_add(&c->errors, 1);
			continue;
		}
		if (c->be->ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev))
			atomic_fetch_add(&c->errors, 1);
		if (r % 4 == 3 ? c->be->close_watched(c->epfd, fd) : close(fd))
			atomic_fetch_add(&c->errors, 1);
	}
	return NULL;
}

/* Writes to the churned descriptors and signals the waiters meanwhile. */
static void *churn_poke(void *arg)
{
	struct churn *c = arg;
	uint64_t one = 1;
	int i, r;

	for (r = 0; atomic_load(&c->churning) && r < 100000; r++) {
		if (write(c->efd[r % CHURN_FDS], &one, sizeof(one)) != sizeof(one))
			atomic_fetch_add(&c->errors, 1);
		if (r % 4 == 0)
			for (i = 0; i < 2; i++)
				pthread_kill(c->waiters[i], SIGUSR1);
		msleep(2);
	}
	return NULL;
}

static void on_churn_signal(int sig)
{
	(void)sig;
}

TEST_F_TIMEOUT(threads, ctl_and_close_churn_while_waiting, 180)
{
	struct sigaction sa = { .sa_handler = on_churn_signal };
	struct churn c = { .be = variant->be, .epfd = self->epfd };
	pthread_t ctl_thr, close_thr, poke_thr;
	bool ctl_ok, close_ok, poke_ok;
	int i, nwaiters = 0;

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	for (i = 0; i < CHURN_FDS; i++) {
		c.efd[i] = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, c.efd[i]);
	}
	for (i = 0; i < 2; i++)
		if (!pthread_create(&c.waiters[i], NULL, churn_waiter, &c))
			nwaiters++;
	ASSERT_EQ(2, nwaiters) {
		atomic_store(&c.stop, 1);
		if (nwaiters)
			pthread_join(c.waiters[0], NULL);
	}
	atomic_store(&c.churning, 1);
	poke_ok = !pthread_create(&poke_thr, NULL, churn_poke, &c);
	ctl_ok = !pthread_create(&ctl_thr, NULL, churn_ctl, &c);
	close_ok = !pthread_create(&close_thr, NULL, churn_close, &c);
	if (ctl_ok)
		pthread_join(ctl_thr, NULL);
	if (close_ok)
		pthread_join(close_thr, NULL);
	atomic_store(&c.churning, 0);
	if (poke_ok)
		pthread_join(poke_thr, NULL);
	atomic_store(&c.stop, 1);
	for (i = 0; i < nwaiters; i++)
		pthread_join(c.waiters[i], NULL);

	ASSERT_TRUE(ctl_ok);
	ASSERT_TRUE(close_ok);
	ASSERT_TRUE(poke_ok);
	EXPECT_EQ(0, atomic_load(&c.errors));
	EXPECT_EQ(0, atomic_load(&c.bad_data));
	EXPECT_EQ(0, count_registrations(self->epfd));
	for (i = 0; i < CHURN_FDS; i++) {
		errno = 0;
		EXPECT_EQ(-1, variant->be->ctl(self->epfd, EPOLL_CTL_DEL,
					       c.efd[i], NULL));
		EXPECT_EQ(ENOENT, errno);
		close(c.efd[i]);
	}
	{
		struct epoll_event ev[1];

		EXPECT_EQ(0, variant->be->wait(self->epfd, ev, 1, 0));
	}
}

/*
 * Two threads close a watched socket and its dup at the same moment (one
 * with close(), one with the deprecated close_watched(), in turn). epoll
 * releases the file when the second descriptor goes, so the peer always
 * sees EOF; so must xepoll, whichever closer runs last.
 */
#define CLOSE_RACE_ROUNDS	1000
/* More registrations of the file make each close's check a little longer. */
#define CLOSE_RACE_EXTRA	15

struct closer {
	const struct backend *be;
	int epfd;
	int fd;
	bool old_call;
	pthread_barrier_t *barrier;
	int ret;
};

static void *closer_main(void *arg)
{
	struct closer *c = arg;

	pthread_barrier_wait(c->barrier);
	c->ret = c->old_call ? c->be->close_watched(c->epfd, c->fd) : close(c->fd);
	return NULL;
}

TEST_F_TIMEOUT(threads, concurrent_close_of_dups_releases_file, 300)
{
	int r, leaked = 0, failed = 0, regs = 0, extra[CLOSE_RACE_EXTRA];

	for (r = 0; r < CLOSE_RACE_EXTRA; r++) {
		extra[r] = variant->be->create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, extra[r]);
	}
	for (r = 0; r < CLOSE_RACE_ROUNDS; r++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = r };
		pthread_barrier_t barrier;
		struct closer c[2];
		pthread_t thr[2];
		char buf[8];
		int s[2], i;

		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
					SOCK_NONBLOCK, 0, s));
		ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, s[0], &ev));
		for (i = 0; i < CLOSE_RACE_EXTRA; i++)
			ASSERT_EQ(0, variant->be->ctl(extra[i], EPOLL_CTL_ADD,
						      s[0], &ev));
		ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, 2));
		for (i = 0; i < 2; i++) {
			c[i].be = variant->be;
			c[i].epfd = self->epfd;
			c[i].fd = i ? dup(s[0]) : s[0];
			c[i].old_call = (r + i) % 2;
			c[i].barrier = &barrier;
			c[i].ret = -1;
		}
		ASSERT_LE(0, c[1].fd);
		ASSERT_EQ(0, pthread_create(&thr[0], NULL, closer_main, &c[0]));
		if (pthread_create(&thr[1], NULL, closer_main, &c[1])) {
			/* Release the first closer from the barrier. */
			pthread_barrier_wait(&barrier);
			pthread_join(thr[0], NULL);
			ASSERT_TRUE(false);
		}
		pthread_join(thr[0], NULL);
		pthread_join(thr[1], NULL);
		pthread_barrier_destroy(&barrier);

		if (c[0].ret || c[1].ret)
			failed++;
		/* Released: the peer reads EOF, not EAGAIN. */
		if (read(s[1], buf, sizeof(buf)) != 0)
			leaked++;
		regs += count_registrations(self->epfd);
		for (i = 0; i < CLOSE_RACE_EXTRA; i++)
			regs += count_registrations(extra[i]);
		close(s[1]);
		if (leaked)
			break;
	}
	for (r = 0; r < CLOSE_RACE_EXTRA; r++)
		close(extra[r]);
	EXPECT_EQ(0, failed);
	EXPECT_EQ(0, leaked) TH_LOG("file not released in round %d", r);
	EXPECT_EQ(0, regs);
}

/*
 * Two threads link two instances both ways at once: the loop check sees
 * the other's link, whichever runs first, so exactly one ADD succeeds and
 * the other fails with ELOOP.
 */
#define LOOP_RACE_ROUNDS	200

struct linker {
	const struct backend *be;
	int from, to;
	pthread_barrier_t *barrier;
	int ret, err;
};

static void *linker_main(void *arg)
{
	struct linker *l = arg;
	struct epoll_event ev = { .events = EPOLLIN };

	pthread_barrier_wait(l->barrier);
	l->ret = l->be->ctl(l->from, EPOLL_CTL_ADD, l->to, &ev);
	l->err = errno;
	return NULL;
}

TEST_F_TIMEOUT(threads, concurrent_adds_cannot_form_loop, 120)
{
	int r, bad = 0;

	for (r = 0; r < LOOP_RACE_ROUNDS; r++) {
		pthread_barrier_t barrier;
		struct linker l[2];
		pthread_t thr[2];
		int ep[2], i, ok = 0, eloop = 0;

		for (i = 0; i < 2; i++) {
			ep[i] = variant->be->create1(EPOLL_CLOEXEC);
			ASSERT_LE(0, ep[i]);
		}
		ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, 2));
		for (i = 0; i < 2; i++) {
			l[i].be = variant->be;
			l[i].from = ep[i];
			l[i].to = ep[!i];
			l[i].barrier = &barrier;
		}
		ASSERT_EQ(0, pthread_create(&thr[0], NULL, linker_main, &l[0]));
		if (pthread_create(&thr[1], NULL, linker_main, &l[1])) {
			pthread_barrier_wait(&barrier);
			pthread_join(thr[0], NULL);
			ASSERT_TRUE(false);
		}
		pthread_join(thr[0], NULL);
		pthread_join(thr[1], NULL);
		pthread_barrier_destroy(&barrier);
		for (i = 0; i < 2; i++) {
			ok += l[i].ret == 0;
			eloop += l[i].ret == -1 && l[i].err == ELOOP;
		}
		if (ok != 1 || eloop != 1) {
			bad++;
			TH_LOG("round %d: %d, %d (%s), %d (%s)", r, ok,
			       l[0].ret, strerror(l[0].err), l[1].ret,
			       strerror(l[1].err));
		}
		close(ep[0]);
		close(ep[1]);
		if (bad)
			break;
	}
	EXPECT_EQ(0, bad);
}

/*
 * EPOLLEXCLUSIVE: N instances watch one eventfd exclusively, a thread
 * blocked in each. One write wakes at least one and fewer than all
 * (epoll_ctl(2)). Afterwards a level-triggered release event, added to
 * every instance without EPOLLEXCLUSIVE, ends the other waits; each thread
 * reports whether its wait returned the exclusive event.
 */
#define EXCL_N		4
#define DATA_EXCL	0xe1
#define DATA_RELEASE	0xe2

static void exclusive_wakes_some(struct __test_metadata *_metadata,
				 const struct backend *be, int first_epfd,
				 int rfd, int wfd, uint32_t flags)
{
	struct epoll_event ev;
	int epfd[EXCL_N], relfd, i, j, woken = 0, slept = 0;
	struct waiter w[EXCL_N];
	uint64_t one = 1;

	relfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, relfd);
	epfd[0] = first_epfd;
	for (i = 1; i < EXCL_N; i++) {
		epfd[i] = be->create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, epfd[i]);
	}
	for (i = 0; i < EXCL_N; i++) {
		ev.events = EPOLLIN | EPOLLEXCLUSIVE | flags;
		ev.data.u64 = DATA_EXCL;
		ASSERT_EQ(0, be->ctl(epfd[i], EPOLL_CTL_ADD, rfd, &ev));
		ev.events = EPOLLIN;
		ev.data.u64 = DATA_RELEASE;
		ASSERT_EQ(0, be->ctl(epfd[i], EPOLL_CTL_ADD, relfd, &ev));
	}

	for (i = 0; i < EXCL_N; i++)
		slept += waiter_start(&w[i], be, epfd[i], LONG_WAIT_MS);
	/* 8 bytes: an eventfd's counter, or 8 bytes of pipe data. */
	EXPECT_EQ(8, write(wfd, &one, sizeof(one)));
	/* Let the woken ones return before the release. */
	for (i = 0; i < 50; i++) {
		for (j = 0, woken = 0; j < EXCL_N; j++)
			woken += atomic_load(&w[j].done);
		if (woken)
			break;
		msleep(100);
	}
	msleep(300);
	EXPECT_EQ(8, write(relfd, &one, sizeof(one)));
	for (i = 0; i < EXCL_N; i++)
		pthread_join(w[i].thread, NULL);

	woken = 0;
	for (i = 0; i < EXCL_N; i++) {
		EXPECT_LE(1, w[i].ret) TH_LOG("wait %d: %s", i, strerror(w[i].err));
		for (j = 0; j < w[i].ret && j < 8; j++)
			if (w[i].ev[j].data.u64 == DATA_EXCL)
				woken++;
	}
	EXPECT_EQ(EXCL_N, slept);
	EXPECT_LE(1, woken);
	EXPECT_GT(EXCL_N, woken);
	for (i = 1; i < EXCL_N; i++)
		close(epfd[i]);
	close(relfd);
}

TEST_F_TIMEOUT(threads, exclusive_wakes_some_not_all, 120)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	exclusive_wakes_some(_metadata, variant->be, self->epfd, efd, efd, 0);
	close(efd);
}

/* The same through a pipe, whose writer wakes its readers synchronously. */
TEST_F_TIMEOUT(threads, exclusive_edge_pipe_wakes_some_not_all, 120)
{
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC | O_NONBLOCK));
	exclusive_wakes_some(_metadata, variant->be, self->epfd, p[0], p[1],
			     EPOLLET);
	close(p[0]);
	close(p[1]);
}

TEST_HARNESS_MAIN
