// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetimes: an instance lives while any descriptor refers to it (dup,
 * fork, SCM_RIGHTS) and its registrations are shared by all of them; a
 * registration lives while its file is open anywhere (man 7 epoll, Q6) and
 * goes, with the file, when its last reference goes; the instance holds no
 * reference to what it watches; a watched signalfd whose signal handlers
 * go away (POLLFREE) is harmless.
 *
 * A watched descriptor is closed with a plain close(), as an epoll program
 * does it. backend->close_watched() (xepoll_close(), XEPOLL_IOC_CLOSE on
 * xepoll) is deprecated and now a plain close: the cases named after it
 * check that it is no more and no less. Every way a last reference can go
 * is in release_test.c. Children report through their exit status; the
 * parent asserts.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>

#include "kselftest_harness.h"

#include "backend.h"
#include "common.h"

#define LONG_WAIT_MS	20000
/* A fixed descriptor number, so that parent and child key alike. */
#define FIXED_FD	200

FIXTURE(lifetime) {
	int epfd;
};

FIXTURE_VARIANT(lifetime) {
	const struct backend *be;
};

BACKEND_VARIANTS(lifetime);

FIXTURE_SETUP(lifetime)
{
	signal(SIGPIPE, SIG_IGN);
	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd)
		TH_LOG("%s: create1: %s", variant->be->name, strerror(errno));
}

FIXTURE_TEARDOWN(lifetime)
{
	if (self->epfd >= 0)
		close(self->epfd);
}

/*
 * The peer of a released socket reads EOF (0), or ECONNRESET when the
 * released end had unread data, which is reported as 0 too; the peer of a
 * live one reads -EAGAIN.
 */
static int peer_read(int fd)
{
	char buf[16];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && errno == ECONNRESET)
		return 0;
	return n < 0 ? -errno : (int)n;
}

static int nb_socketpair(int s[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			  0, s);
}

/* A dup of the instance, with the original closed, is the same instance. */
TEST_F(lifetime, dup_keeps_instance_and_registrations)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 5 };
	int efd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
	int dupfd;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, efd, &ev));
	dupfd = dup(self->epfd);
	ASSERT_LE(0, dupfd);
	ASSERT_EQ(0, close(self->epfd));
	self->epfd = dupfd;

	EXPECT_EQ(1, count_registrations(dupfd));
	ASSERT_EQ(1, variant->be->wait(dupfd, &ev, 1, LONG_WAIT_MS));
	EXPECT_EQ(5, ev.data.u64);
	errno = 0;
	EXPECT_EQ(-1, variant->be->ctl(dupfd, EPOLL_CTL_ADD, efd, &ev));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(0, variant->be->ctl(dupfd, EPOLL_CTL_DEL, efd, NULL));
	EXPECT_EQ(0, count_registrations(dupfd));
	close(efd);
}

/*
 * fork: the child waits on the parent's instance and gets the event the
 * parent causes; what the child adds, the parent sees.
 */
TEST_F(lifetime, fork_child_waits_on_parent_instance)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 9 };
	struct epoll_event got[4];
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int efd2 = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
	int c2p[2], status, n, i, seen = 0;
	uint64_t one = 1;
	bool slept;
	pid_t pid;

	ASSERT_LE(0, efd);
	ASSERT_LE(0, efd2);
	ASSERT_EQ(0, pipe2(c2p, O_CLOEXEC));
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, efd, &ev));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct epoll_event cev = { .events = EPOLLIN, .data.u64 = 10 };

		if (sync_send(c2p[1]))
			_exit(2);
		n = variant->be->wait(self->epfd, got, 4, LONG_WAIT_MS);
		if (n != 1 || got[0].data.u64 != 9)
			_exit(3);
		if (variant->be->ctl(self->epfd, EPOLL_CTL_ADD, efd2, &cev))
			_exit(4);
		_exit(0);
	}

	ASSERT_EQ(0, sync_recv(c2p[0], LONG_WAIT_MS));
	slept = wait_task_sleeping(pid, LONG_WAIT_MS);
	EXPECT_EQ(8, write(efd, &one, sizeof(one)));
	status = reap_child(pid, 2 * LONG_WAIT_MS);
	EXPECT_TRUE(slept);
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("status %#x", status);
	ASSERT_EQ(0, WEXITSTATUS(status));

	/* The child's registration outlives the child: its file is open here. */
	EXPECT_EQ(2, count_registrations(self->epfd));
	n = variant->be->wait(self->epfd, got, 4, LONG_WAIT_MS);
	ASSERT_EQ(2, n);
	for (i = 0; i < n; i++)
		seen |= got[i].data.u64 == 9 ? 1 : got[i].data.u64 == 10 ? 2 : 4;
	EXPECT_EQ(3, seen);
	close(c2p[0]);
	close(c2p[1]);
	close(efd);
	close(efd2);
}

/*
 * SCM_RIGHTS: the instance passes to a process that never had it; the
 * sender closes its descriptor while the instance is in flight. The
 * receiver sees the sender's registration and gets its event.
 */
TEST_F(lifetime, scm_rights_passes_instance)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 11 };
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int sp[2], status;
	uint64_t one = 1;
	pid_t pid;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp));
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, efd, &ev));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct epoll_event got[4];
		int rfd, n;

		/* Drop the instance inherited by fork: only SCM_RIGHTS is left. */
		close(self->epfd);
		if (sync_send(sp[1]))
			_exit(2);
		rfd = recv_fd(sp[1]);
		if (rfd < 0)
			_exit(3);
		if (count_registrations(rfd) != 1)
			_exit(4);
		if (sync_send(sp[1]))
			_exit(5);
		n = variant->be->wait(rfd, got, 4, LONG_WAIT_MS);
		if (n != 1 || got[0].data.u64 != 11)
			_exit(6);
		if (variant->be->ctl(rfd, EPOLL_CTL_DEL, efd, NULL))
			_exit(7);
		_exit(0);
	}

	ASSERT_EQ(0, sync_recv(sp[0], LONG_WAIT_MS));
	ASSERT_EQ(0, send_fd(sp[0], self->epfd));
	ASSERT_EQ(0, close(self->epfd));
	self->epfd = -1;
	EXPECT_EQ(0, sync_recv(sp[0], LONG_WAIT_MS));
	EXPECT_EQ(8, write(efd, &one, sizeof(one)));
	status = reap_child(pid, 2 * LONG_WAIT_MS);
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("status %#x", status);
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(sp[0]);
	close(sp[1]);
	close(efd);
}

/*
 * A registration whose descriptor was closed (a dup keeps the file open)
 * goes when the last descriptor of the instance does; the instance never
 * held the file, which the close of its last descriptor releases.
 */
TEST_F(lifetime, closing_all_instance_fds_releases_registrations)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
	int s[2], d, e2;

	ASSERT_EQ(0, nb_socketpair(s));
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, s[0], &ev));
	d = dup(s[0]);
	ASSERT_LE(0, d);
	e2 = dup(self->epfd);
	ASSERT_LE(0, e2);
	ASSERT_EQ(0, close(s[0]));
	EXPECT_EQ(1, count_registrations(e2));
	EXPECT_EQ(-EAGAIN, peer_read(s[1]));

	ASSERT_EQ(0, close(self->epfd));
	self->epfd = -1;
	EXPECT_EQ(-EAGAIN, peer_read(s[1]));
	ASSERT_EQ(0, close(e2));
	EXPECT_EQ(-EAGAIN, peer_read(s[1]));
	ASSERT_EQ(0, close(d));
	EXPECT_EQ(0, peer_read(s[1]));
	close(s[1]);
}

/* close() of the only descriptor: registration and file go at once. */
TEST_F(lifetime, close_last_reference_releases_file)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 3 };
	int s[2];

	ASSERT_EQ(0, nb_socketpair(s));
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, s[0], &ev));
	EXPECT_EQ(1, count_registrations(self->epfd));
	ASSERT_EQ(0, close(s[0]));

	EXPECT_EQ(0, count_registrations(self->epfd));
	EXPECT_EQ(0, peer_read(s[1]));
	errno = 0;
	EXPECT_EQ(-1, write(s[1], "x", 1));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(0, variant->be->wait(self->epfd, &ev, 1, 0));
	errno = 0;
	EXPECT_EQ(-1, variant->be->ctl(self->epfd, EPOLL_CTL_DEL, s[0], NULL));
	EXPECT_EQ(EBADF, errno);
	close(s[1]);
}

/*
 * close() while a dup is open in the same process: the registration stays
 * and reports (man 7 epoll, Q6), under its old key; when the dup goes too,
 * so do the registration and the file.
 */
TEST_F(lifetime, close_with_dup_keeps_registration)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 4 };
	int s[2], d;

	ASSERT_EQ(0, nb_socketpair(s));
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, s[0], &ev));
	d = dup(s[0]);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, close(s[0]));

	EXPECT_EQ(1, count_registrations(self->epfd));
	EXPECT_EQ(-EAGAIN, peer_read(s[1]));
	EXPECT_EQ(1, write(s[1], "x", 1));
	ASSERT_EQ(1, variant->be->wait(self->epfd, &ev, 1, LONG_WAIT_MS));
	EXPECT_EQ(EPOLLIN, ev.events);
	EXPECT_EQ(4, ev.data.u64);
	/* The registration is keyed by (file, fd): the dup's fd is not it. */
	errno = 0;
	EXPECT_EQ(-1, variant->be->ctl(self->epfd, EPOLL_CTL_DEL, d, NULL));
	EXPECT_EQ(ENOENT, errno);

	ASSERT_EQ(0, close(d));
	EXPECT_EQ(0, count_registrations(self->epfd));
	EXPECT_EQ(0, peer_read(s[1]));
	errno = 0;
	EXPECT_EQ(-1, write(s[1], "y", 1));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(0, variant->be->wait(self->epfd, &ev, 1, 0));
	close(s[1]);
}

/*
 * close() while a forked child still has the descriptor: the registration
 * stays and reports; once the child closes its copy, the registration and
 * the file are gone.
 */
TEST_F(lifetime, close_with_dup_in_child_keeps_registration)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 6 };
	int s[2], c2p[2], p2c[2], status;
	pid_t pid;

	ASSERT_EQ(0, nb_socketpair(s));
	ASSERT_EQ(0, pipe2(c2p, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(p2c, O_CLOEXEC));
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, s[0], &ev));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(s[1]);
		if (sync_send(c2p[1]))
			_exit(2);
		if (sync_recv(p2c[0], 2 * LONG_WAIT_MS))
			_exit(3);
		if (close(s[0]))
			_exit(4);
		if (sync_send(c2p[1]))
			_exit(5);
		_exit(0);
	}

	ASSERT_EQ(0, sync_recv(c2p[0], LONG_WAIT_MS));
	EXPECT_EQ(0, close(s[0]));
	EXPECT_EQ(1, count_registrations(self->epfd));
	EXPECT_EQ(-EAGAIN, peer_read(s[1]));
	EXPECT_EQ(1, write(s[1], "x", 1));
	EXPECT_EQ(1, variant->be->wait(self->epfd, &ev, 1, LONG_WAIT_MS));
	EXPECT_EQ(6, ev.data.u64);

	EXPECT_EQ(0, sync_send(p2c[1]));
	EXPECT_EQ(0, sync_recv(c2p[0], LONG_WAIT_MS));
	EXPECT_EQ(0, count_registrations(self->epfd));
	EXPECT_EQ(0, peer_read(s[1]));
	EXPECT_EQ(0, variant->be->wait(self->epfd, &ev, 1, 0));

	status = reap_child(pid, LONG_WAIT_MS);
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("status %#x", status);
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(s[1]);
	close(c2p[0]);
	close(c2p[1]);
	close(p2c[0]);
	close(p2c[1]);
}

/*
 * An instance in flight in a unix socket is released with the socket when
 * nobody receives it; its registrations go with it.
 */
TEST_F(lifetime, instance_dropped_in_flight_releases_registrations)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 14 };
	int s[2], sp[2], d;

	ASSERT_EQ(0, nb_socketpair(s));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp));
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, s[0], &ev));
	d = dup(s[0]);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, close(s[0]));
	EXPECT_EQ(1, count_registrations(self->epfd));

	ASSERT_EQ(0, send_fd(sp[0], self->epfd));
	ASSERT_EQ(0, close(self->epfd));
	self->epfd = -1;
	EXPECT_EQ(-EAGAIN, peer_read(s[1]));
	ASSERT_EQ(0, close(sp[0]));
	ASSERT_EQ(0, close(sp[1]));
	/* The dup was the file's only holder all along. */
	ASSERT_EQ(0, close(d));
	EXPECT_EQ(0, peer_read(s[1]));
	close(s[1]);
}

/*
 * close() of an instance watched by another: the inner instance is
 * released, and with it its own registrations; the outer one forgets it.
 */
TEST_F(lifetime, close_of_watched_instance)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 15 };
	int inner = variant->be->create1(EPOLL_CLOEXEC);
	int s[2];

	ASSERT_LE(0, inner);
	ASSERT_EQ(0, nb_socketpair(s));
	ASSERT_EQ(0, variant->be->ctl(inner, EPOLL_CTL_ADD, s[0], &ev));
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, inner, &ev));
	ASSERT_EQ(0, close(s[0]));
	EXPECT_EQ(0, peer_read(s[1]));
	close(s[1]);

	ASSERT_EQ(0, nb_socketpair(s));
	ASSERT_EQ(0, variant->be->ctl(inner, EPOLL_CTL_ADD, s[0], &ev));
	ASSERT_EQ(1, write(s[1], "x", 1));
	EXPECT_EQ(1, variant->be->wait(self->epfd, &ev, 1, LONG_WAIT_MS));
	EXPECT_EQ(15, ev.data.u64);
	{
		/* The inner instance's registration is under s[0]; d keeps it. */
		int d = dup(s[0]);

		ASSERT_LE(0, d);
		ASSERT_EQ(0, close(s[0]));
		s[0] = d;
	}
	ASSERT_EQ(0, close(inner));
	EXPECT_EQ(0, count_registrations(self->epfd));
	EXPECT_EQ(0, variant->be->wait(self->epfd, &ev, 1, 0));
	EXPECT_EQ(-EAGAIN, peer_read(s[1]));
	ASSERT_EQ(0, close(s[0]));
	EXPECT_EQ(0, peer_read(s[1]));
	close(s[1]);
}

/*
 * close_watched() (XEPOLL_IOC_CLOSE on xepoll: deprecated, a plain close)
 * of a watched descriptor: what close() does, no more. A dup keeps the
 * file and its registration; the last one releases both.
 */
TEST_F(lifetime, close_watched_is_a_plain_close)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 17 };
	int s[2], d;

	ASSERT_EQ(0, nb_socketpair(s));
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, s[0], &ev));
	d = dup(s[0]);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, variant->be->close_watched(self->epfd, s[0]));
	EXPECT_EQ(-1, fcntl(s[0], F_GETFD));
	EXPECT_EQ(1, count_registrations(self->epfd));
	EXPECT_EQ(-EAGAIN, peer_read(s[1]));
	ASSERT_EQ(0, variant->be->close_watched(self->epfd, d));
	EXPECT_EQ(0, count_registrations(self->epfd));
	EXPECT_EQ(0, peer_read(s[1]));
	EXPECT_ERRNO(EBADF, variant->be->close_watched(self->epfd, d));
	close(s[1]);
}

/* close_watched() of the instance's own descriptor, through itself. */
TEST_F(lifetime, close_watched_of_instance_through_itself)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 16 };
	int s[2];

	ASSERT_EQ(0, nb_socketpair(s));
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_ADD, s[0], &ev));
	/* A plain close() releases the socket at once: nothing holds it. */
	EXPECT_EQ(0, close(s[0]));
	EXPECT_EQ(0, peer_read(s[1]));
	EXPECT_EQ(0, count_registrations(self->epfd));
	ASSERT_EQ(0, variant->be->close_watched(self->epfd, self->epfd));
	/* The instance is gone. */
	errno = 0;
	EXPECT_EQ(-1, variant->be->wait(self->epfd, &ev, 1, 0));
	EXPECT_EQ(EBADF, errno);
	self->epfd = -1;
	close(s[1]);
}

struct sfd_thread {
	const struct backend *be;
	int epfd;
	int sfd;
	int ret;
};

static void *sfd_thread_main(void *arg)
{
	struct sfd_thread *t = arg;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 12 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	t->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (t->sfd < 0)
		t->ret = -1;
	else
		t->ret = t->be->ctl(t->epfd, EPOLL_CTL_ADD, t->sfd, &ev);
	return NULL;
}

/*
 * A signalfd registered by a thread that then exits still reports the
 * process's signals; close() then releases it.
 */
TEST_F(lifetime, signalfd_outlives_registering_thread)
{
	struct sfd_thread t = { .be = variant->be, .epfd = self->epfd };
	struct signalfd_siginfo si;
	struct epoll_event ev;
	pthread_t thr;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &set, NULL));
	ASSERT_EQ(0, pthread_create(&thr, NULL, sfd_thread_main, &t));
	pthread_join(thr, NULL);
	ASSERT_EQ(0, t.ret);

	ASSERT_EQ(0, kill(getpid(), SIGUSR2));
	ASSERT_EQ(1, variant->be->wait(self->epfd, &ev, 1, LONG_WAIT_MS));
	EXPECT_EQ(12, ev.data.u64);
	ASSERT_EQ(sizeof(si), read(t.sfd, &si, sizeof(si)));
	EXPECT_EQ(SIGUSR2, si.ssi_signo);
	EXPECT_EQ(0, close(t.sfd));
	EXPECT_EQ(0, count_registrations(self->epfd));
	EXPECT_EQ(0, variant->be->wait(self->epfd, &ev, 1, 0));
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/*
 * A child makes a signalfd (its wait queue is in the child's signal
 * handlers), registers it under FIXED_FD in the shared instance, hands it
 * to the parent and exits. Reaping the child frees the queue (POLLFREE);
 * the registration stays, since the parent holds the file, and reports
 * the parent's own signal, as epoll's does. Returns the parent's copy, at
 * FIXED_FD, or -1.
 */
static int signalfd_from_dead_child(struct __test_metadata *_metadata,
				    const struct backend *be, int epfd)
{
	int sp[2], rfd, status;
	sigset_t set;
	pid_t pid;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	EXPECT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	EXPECT_EQ(-1, fcntl(FIXED_FD, F_GETFD));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp))
		return -1;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 13 };
		int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);

		if (sfd < 0 || dup2(sfd, FIXED_FD) != FIXED_FD)
			_exit(2);
		close(sfd);
		if (be->ctl(epfd, EPOLL_CTL_ADD, FIXED_FD, &ev))
			_exit(3);
		if (send_fd(sp[1], FIXED_FD))
			_exit(4);
		_exit(0);
	}

	rfd = recv_fd(sp[0]);
	status = reap_child(pid, LONG_WAIT_MS);
	close(sp[0]);
	close(sp[1]);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("status %#x", status);
	if (rfd < 0)
		return -1;
	if (dup2(rfd, FIXED_FD) != FIXED_FD) {
		close(rfd);
		return -1;
	}
	close(rfd);
	return FIXED_FD;
}

/* Take the SIGUSR1 raised for the test, and unblock it. */
static void sigusr1_drain(void)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	while (sigtimedwait(&set, NULL, &zero) == SIGUSR1)
		;
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

TEST_F(lifetime, signalfd_pollfree_then_del)
{
	struct epoll_event ev;
	int sfd;

	sfd = signalfd_from_dead_child(_metadata, variant->be, self->epfd);
	ASSERT_EQ(FIXED_FD, sfd);
	EXPECT_EQ(1, count_registrations(self->epfd));

	ASSERT_EQ(0, raise(SIGUSR1));
	EXPECT_EQ(1, variant->be->wait(self->epfd, &ev, 1, LONG_WAIT_MS));
	EXPECT_EQ(13, ev.data.u64);
	sigusr1_drain();

	EXPECT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_DEL, sfd, NULL));
	EXPECT_EQ(0, count_registrations(self->epfd));
	EXPECT_EQ(0, close(sfd));
}

TEST_F(lifetime, signalfd_pollfree_then_close)
{
	struct epoll_event ev;
	int sfd;

	sfd = signalfd_from_dead_child(_metadata, variant->be, self->epfd);
	ASSERT_EQ(FIXED_FD, sfd);
	sigusr1_drain();
	EXPECT_EQ(0, close(sfd));
	EXPECT_EQ(0, count_registrations(self->epfd));
	EXPECT_EQ(0, variant->be->wait(self->epfd, &ev, 1, 0));
}

TEST_F(lifetime, signalfd_pollfree_then_close_instance)
{
	int sfd;

	sfd = signalfd_from_dead_child(_metadata, variant->be, self->epfd);
	ASSERT_EQ(FIXED_FD, sfd);
	sigusr1_drain();
	EXPECT_EQ(1, count_registrations(self->epfd));
	EXPECT_EQ(0, close(self->epfd));
	self->epfd = -1;
	EXPECT_EQ(0, close(sfd));
}

TEST_HARNESS_MAIN
