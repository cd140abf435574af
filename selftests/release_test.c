// SPDX-License-Identifier: GPL-2.0
/*
 * Releasing watched files (issue 12): a registration lives exactly as long
 * as its file, as epoll's does. When the file's last reference goes, by
 * whatever path, its registrations vanish from every instance at that
 * moment, the file is released (a socket's peer sees the end), and no event
 * is reported for it afterwards; while any other reference lives (a dup, a
 * forked child, an fd in flight, a mapping, a thread inside a call on it),
 * the registration stays and goes on reporting. The instance itself holds
 * no reference, so nothing it watches can form a cycle with it, and a user
 * cannot keep alive more files than RLIMIT_NOFILE lets it open.
 *
 * Every case runs on native epoll and on xepoll (backend.h): what passes on
 * epoll is epoll's behaviour, and xepoll must match it. The `release`
 * fixture runs each way a last reference goes for a unix stream socket, a
 * TCP socket, a pipe and an eventfd. The watched end is registered for
 * EPOLLOUT, level-triggered: while it lives, every wait reports it, and
 * after its release no wait may. Each case first proves the registration
 * alive, so that the checks after the release can fail. Where a case
 * asserts something of xepoll alone (its counters in /sys/kernel/xepoll/,
 * the files it must hold because the kernel does not announce their close,
 * a close that does not wait for a busy instance), the case says so.
 */
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/io_uring.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"

#include "backend.h"
#include "common.h"
#include "sysfs_util.h"
#include "xstats.h"

#define DATA		0x7e1ea5e000000000ULL
#define END_WAIT_MS	5000	/* for a peer to see the end, or a worker to run */
#define SYNC_MS		20000
#define LINGER_ARG	"--release-test-linger"
#define RELEASES	XEP_SYSFS "/releases"

/* The kinds of watched file the `release` fixture runs each case for. */
enum kind { K_UNIX, K_TCP, K_PIPE, K_EVENTFD };

static const char * const kind_name[] = { "unix", "tcp", "pipe", "eventfd" };

/* A connected TCP pair on the loopback: s[0] the client, s[1] accepted. */
static int tcp_pair(int s[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l, ret = -1;

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return -1;
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		goto out;
	s[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s[0] < 0)
		goto out;
	if (connect(s[0], (struct sockaddr *)&a, sizeof(a))) {
		close(s[0]);
		goto out;
	}
	s[1] = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (s[1] < 0) {
		close(s[0]);
		goto out;
	}
	ret = fcntl(s[0], F_SETFL, O_NONBLOCK | O_RDWR);
out:
	close(l);
	return ret;
}

/*
 * A fresh file of @kind: *w is the end to watch (writable, so EPOLLOUT is
 * ready while it lives), *peer the end that sees its release (-1 for an
 * eventfd, which has none). Non-blocking and close-on-exec.
 */
static int make_kind(enum kind k, int *w, int *peer)
{
	int s[2];

	*w = *peer = -1;
	switch (k) {
	case K_UNIX:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, s))
			return -1;
		break;
	case K_TCP:
		if (tcp_pair(s))
			return -1;
		break;
	case K_PIPE:
		/* The write end is watched; its reader sees POLLHUP at the end. */
		if (pipe2(s, O_NONBLOCK | O_CLOEXEC))
			return -1;
		*w = s[1];
		*peer = s[0];
		return 0;
	case K_EVENTFD:
		*w = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		return *w < 0 ? -1 : 0;
	}
	*w = s[0];
	*peer = s[1];
	return 0;
}

static bool is_socket(enum kind k)
{
	return k == K_UNIX || k == K_TCP;
}

/*
 * Has the peer seen its other end go? A socket's peer sees RDHUP, HUP or
 * an error, then reads EOF (or ECONNRESET); a pipe's reader sees POLLHUP.
 * Waits at most @max_ms for it.
 */
static bool peer_ended(enum kind k, int peer, int max_ms)
{
	struct pollfd p = { .fd = peer, .events = POLLIN | POLLRDHUP };
	long long end = now_ms() + max_ms;
	char buf[256];
	ssize_t n;

	for (;;) {
		int left = (int)(end - now_ms());

		p.revents = 0;
		if (poll(&p, 1, left > 0 ? left : 0) < 0 && errno != EINTR)
			return false;
		if (k == K_PIPE && (p.revents & POLLHUP))
			return true;
		if (is_socket(k) && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
			do
				n = read(peer, buf, sizeof(buf));
			while (n > 0);
			return n == 0 || errno == ECONNRESET;
		}
		if (k == K_PIPE && (p.revents & POLLIN)) {
			/* A full pipe: drain it, the end comes after. */
			while (read(peer, buf, sizeof(buf)) > 0)
				;
		}
		if (left <= 0)
			return false;
	}
}

/* The peer has not seen the end: no hang-up, and (sockets) no EOF. */
static bool peer_open(enum kind k, int peer)
{
	struct pollfd p = { .fd = peer, .events = POLLRDHUP };
	char c;

	if (poll(&p, 1, 0) < 0 || (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
		return false;
	if (is_socket(k))
		return recv(peer, &c, 1, MSG_DONTWAIT | MSG_PEEK) < 0 && errno == EAGAIN;
	return true;
}

/*
 * A wait that an interruption does not end: io_uring's teardown may queue
 * task work that makes a sleeping epoll_wait() return EINTR.
 */
static int wait_nointr(const struct backend *be, int epfd, struct epoll_event *ev,
		       int max, int timeout)
{
	int n;

	do
		n = be->wait(epfd, ev, max, timeout);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Wait at most @max_ms for @epfd to have @want registrations; the last count. */
static int registrations_settle(int epfd, int want, long max_ms)
{
	long long end = now_ms() + max_ms;
	int n;

	while ((n = count_registrations(epfd)) != want && now_ms() < end)
		msleep(10);
	return n;
}

/*
 * The registration (the instance's only one) lives: listed in fdinfo,
 * reported by a wait with its data (@ready: its file is writable), and its
 * file is open (the peer has seen no end).
 */
static void expect_alive(struct __test_metadata *_metadata, const struct backend *be,
			 int epfd, enum kind k, int peer, uint64_t data, bool ready)
{
	struct epoll_event ev[4];
	int n;

	EXPECT_EQ(1, count_registrations(epfd));
	if (ready) {
		n = wait_nointr(be, epfd, ev, 4, 0);
		EXPECT_EQ(1, n);
		if (n == 1) {
			EXPECT_EQ(data, ev[0].data.u64);
			EXPECT_EQ(EPOLLOUT, ev[0].events & EPOLLOUT);
		}
	}
	if (peer >= 0)
		EXPECT_TRUE(peer_open(k, peer))
			TH_LOG("%s: the peer saw the end while a reference remained",
			       kind_name[k]);
}

/*
 * The file is released: its registration is gone from @epfd (at once when
 * @at_once, as after a close in this task; else within END_WAIT_MS), the
 * peer sees the end, and no wait reports anything, even after the peer
 * writes to it.
 */
static void expect_released(struct __test_metadata *_metadata, const struct backend *be,
			    int epfd, enum kind k, int peer, bool at_once)
{
	struct epoll_event ev[4];
	int n;

	n = at_once ? count_registrations(epfd) : registrations_settle(epfd, 0, END_WAIT_MS);
	EXPECT_EQ(0, n) TH_LOG("%s: the registration outlived the last reference",
			       kind_name[k]);
	if (peer >= 0)
		EXPECT_TRUE(peer_ended(k, peer, END_WAIT_MS))
			TH_LOG("%s: the peer never saw the end", kind_name[k]);
	EXPECT_EQ(0, wait_nointr(be, epfd, ev, 4, 0));
	if (peer >= 0 && is_socket(k))
		(void)!send(peer, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	EXPECT_EQ(0, wait_nointr(be, epfd, ev, 4, 50));
}

FIXTURE(release) {
	int epfd, w, peer;
};

FIXTURE_VARIANT(release) {
	const struct backend *be;
	enum kind kind;
};

FIXTURE_VARIANT_ADD(release, epoll_unix) { .be = &backend_epoll, .kind = K_UNIX };
FIXTURE_VARIANT_ADD(release, epoll_tcp) { .be = &backend_epoll, .kind = K_TCP };
FIXTURE_VARIANT_ADD(release, epoll_pipe) { .be = &backend_epoll, .kind = K_PIPE };
FIXTURE_VARIANT_ADD(release, epoll_eventfd) { .be = &backend_epoll, .kind = K_EVENTFD };
FIXTURE_VARIANT_ADD(release, xepoll_unix) { .be = &backend_xepoll, .kind = K_UNIX };
FIXTURE_VARIANT_ADD(release, xepoll_tcp) { .be = &backend_xepoll, .kind = K_TCP };
FIXTURE_VARIANT_ADD(release, xepoll_pipe) { .be = &backend_xepoll, .kind = K_PIPE };
FIXTURE_VARIANT_ADD(release, xepoll_eventfd) { .be = &backend_xepoll, .kind = K_EVENTFD };

FIXTURE_SETUP(release)
{
	self->w = self->peer = -1;
	signal(SIGPIPE, SIG_IGN);
	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd)
		TH_LOG("%s: create1: %s", variant->be->name, strerror(errno));
	ASSERT_EQ(0, make_kind(variant->kind, &self->w, &self->peer))
		TH_LOG("%s: %s", kind_name[variant->kind], strerror(errno));
	ASSERT_EQ(0, backend_add(variant->be, self->epfd, self->w, EPOLLOUT, DATA));
	expect_alive(_metadata, variant->be, self->epfd, variant->kind, self->peer,
		     DATA, true);
}

FIXTURE_TEARDOWN(release)
{
	if (self->w >= 0)
		close(self->w);
	if (self->peer >= 0)
		close(self->peer);
	if (self->epfd >= 0)
		close(self->epfd);
}

#define RELEASED(at_once)						\
	expect_released(_metadata, variant->be, self->epfd, variant->kind, \
			self->peer, at_once)
#define ALIVE(ready)							\
	expect_alive(_metadata, variant->be, self->epfd, variant->kind,	\
		     self->peer, DATA, ready)

/*
 * close() of the only descriptor. Then a new file of the same kind (whose
 * struct file may well be the old one's memory) registers afresh.
 */
TEST_F(release, close)
{
	bool xep = variant->be == &backend_xepoll;
	long rel0 = xep ? read_long(RELEASES) : 0;
	int w2, peer2;

	ASSERT_EQ(0, close(self->w));
	self->w = -1;
	RELEASED(true);
	/* xepoll's counter of registrations removed by last closes. */
	if (xep)
		EXPECT_EQ(rel0 + 1, read_long(RELEASES));

	ASSERT_EQ(0, make_kind(variant->kind, &w2, &peer2));
	ASSERT_EQ(0, backend_add(variant->be, self->epfd, w2, EPOLLOUT, DATA + 1));
	expect_alive(_metadata, variant->be, self->epfd, variant->kind, peer2,
		     DATA + 1, true);
	close(w2);
	expect_released(_metadata, variant->be, self->epfd, variant->kind, peer2, true);
	if (peer2 >= 0)
		close(peer2);
}

/* dup2() of another file over the watched descriptor. */
TEST_F(release, dup2_over_it)
{
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, nul);
	ASSERT_EQ(self->w, dup2(nul, self->w));
	RELEASED(true);
	close(nul);
}

/* dup3() of another file over the watched descriptor. */
TEST_F(release, dup3_over_it)
{
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, nul);
	ASSERT_EQ(self->w, dup3(nul, self->w, O_CLOEXEC));
	RELEASED(true);
	close(nul);
}

/* close_range() of just that descriptor. */
TEST_F(release, close_range_one)
{
	ASSERT_EQ(0, close_range(self->w, self->w, 0));
	self->w = -1;
	RELEASED(true);
}

/* close_range(fd, ~0U, CLOSE_RANGE_UNSHARE) with the watched one highest. */
TEST_F(release, close_range_unshare_to_the_end)
{
	int hi;

	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_DEL, self->w, NULL));
	hi = fcntl(self->w, F_DUPFD_CLOEXEC, 900);
	ASSERT_LE(900, hi);
	ASSERT_EQ(0, close(self->w));
	self->w = -1;
	ASSERT_EQ(0, backend_add(variant->be, self->epfd, hi, EPOLLOUT, DATA));
	ALIVE(true);
	ASSERT_EQ(0, close_range(hi, ~0U, CLOSE_RANGE_UNSHARE));
	RELEASED(true);
}

/*
 * A dup keeps the file, and the registration reports under its old key;
 * the dup's close is the last, and releases it.
 */
TEST_F(release, dup_keeps_it_until_last_close)
{
	int d = dup(self->w);

	ASSERT_LE(0, d);
	ASSERT_EQ(0, close(self->w));
	self->w = -1;
	ALIVE(true);
	ASSERT_EQ(0, close(d));
	RELEASED(true);
}

/*
 * Closing other files, even of the same kind (eventfds share one inode),
 * some of them watched by the same instance, leaves this one alone.
 */
TEST_F(release, other_files_closing_leave_it)
{
	int w[16], p[16], i;

	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, make_kind(variant->kind, &w[i], &p[i]));
		if (i % 2)
			ASSERT_EQ(0, backend_add(variant->be, self->epfd, w[i],
						 EPOLLOUT, DATA + 1 + i));
	}
	EXPECT_EQ(9, count_registrations(self->epfd));
	for (i = 0; i < 16; i++) {
		close(w[i]);
		if (p[i] >= 0)
			close(p[i]);
	}
	ALIVE(true);
}

/* Fork a child that holds everything until told (on @go[0]) to exit. */
static pid_t fork_holder(int go[2])
{
	pid_t pid = fork();
	char c;

	if (pid == 0) {
		close(go[1]);
		_exit(read(go[0], &c, 1) < 0 ? 1 : 0);
	}
	close(go[0]);
	return pid;
}

/* A forked child's copy keeps the file until the child exits. */
TEST_F(release, fork_child_exits_with_last_copy)
{
	int go[2], status;
	pid_t pid;

	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	pid = fork_holder(go);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, close(self->w));
	self->w = -1;
	ALIVE(true);
	close(go[1]);
	status = reap_child(pid, SYNC_MS);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x", status);
	RELEASED(true);
}

/* The same when the child is killed. */
TEST_F(release, fork_child_killed_with_last_copy)
{
	int go[2], status;
	pid_t pid;

	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	pid = fork_holder(go);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, close(self->w));
	self->w = -1;
	ALIVE(true);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status)) TH_LOG("child status %#x", status);
	RELEASED(true);
	close(go[1]);
}

/*
 * The child's copy is close-on-exec: the child's exec releases it, while
 * the child (now another program, which tells us it runs) lives on.
 */
TEST_F(release, fork_child_execs_with_last_copy)
{
	int go[2], ready[2], linger[2], status;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(linger, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char rfd[16], lfd[16];
		/* Copies without close-on-exec, for the new program. */
		int r = dup(ready[1]), l = dup(linger[0]);

		if (r < 0 || l < 0 || read(go[0], &c, 1) != 1)
			_exit(2);
		snprintf(rfd, sizeof(rfd), "%d", r);
		snprintf(lfd, sizeof(lfd), "%d", l);
		execl("/proc/self/exe", "release_test", LINGER_ARG, rfd, lfd, (char *)NULL);
		_exit(3);
	}
	close(ready[1]);
	close(linger[0]);
	ASSERT_EQ(0, close(self->w));
	self->w = -1;
	ALIVE(true);
	ASSERT_EQ(1, write(go[1], "g", 1));
	/* The new program runs: its old copies are gone. */
	ASSERT_EQ(0, sync_recv(ready[0], SYNC_MS));
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG));
	RELEASED(true);
	close(linger[1]);
	status = reap_child(pid, SYNC_MS);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("exec'd child status %#x", status);
	close(go[1]);
	close(ready[0]);
}

struct blocked {
	int fd;
	enum kind kind;
	atomic_int tid;
	ssize_t ret;
	int err;
};

static void *blocked_main(void *arg)
{
	struct blocked *b = arg;
	uint64_t v;
	char c = 'b';

	atomic_store(&b->tid, gettid());
	switch (b->kind) {
	case K_UNIX:
	case K_TCP:
		b->ret = recv(b->fd, &c, 1, 0);
		break;
	case K_PIPE:
		b->ret = write(b->fd, &c, 1);
		break;
	case K_EVENTFD:
		b->ret = read(b->fd, &v, sizeof(v));
		break;
	}
	b->err = b->ret < 0 ? errno : 0;
	return NULL;
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

/*
 * Another thread is blocked in a call on the descriptor (recv() on a
 * socket, read() on an eventfd, write() on a full pipe) when it is closed:
 * the call holds the file, and the last reference goes when it returns
 * (the socket's with the byte the peer sends, the others' interrupted by a
 * signal).
 */
TEST_F(release, thread_blocked_in_a_call_during_close)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };	/* no SA_RESTART */
	struct blocked b = { .fd = self->w, .kind = variant->kind };
	bool ready = variant->kind != K_PIPE;	/* a full pipe is not writable */
	pthread_t thr;
	char buf[4096] = { 0 };

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	if (variant->kind == K_PIPE)
		while (write(self->w, buf, sizeof(buf)) > 0)
			;
	ASSERT_EQ(0, fcntl(self->w, F_SETFL, 0));
	ASSERT_EQ(0, pthread_create(&thr, NULL, blocked_main, &b));
	while (!atomic_load(&b.tid))
		msleep(1);
	ASSERT_TRUE(wait_task_sleeping(atomic_load(&b.tid), SYNC_MS));
	ASSERT_EQ(0, close(self->w));
	self->w = -1;
	msleep(20);
	ALIVE(ready);

	if (is_socket(variant->kind)) {
		ASSERT_EQ(1, send(self->peer, "r", 1, MSG_NOSIGNAL));
	} else {
		ASSERT_EQ(0, pthread_kill(thr, SIGUSR1));
	}
	ASSERT_EQ(0, pthread_join(thr, NULL));
	if (is_socket(variant->kind)) {
		EXPECT_EQ(1, b.ret);
	} else {
		EXPECT_TRUE(b.ret == -1 && b.err == EINTR)
			TH_LOG("blocked call: %zd, %s", b.ret, strerror(b.err));
	}
	RELEASED(true);
}

/*
 * In flight: the descriptor is sent over a unix socket and closed; the
 * message keeps the file until the receiving socket is closed with the
 * message still queued.
 */
TEST_F(release, in_flight_scm_rights_dropped)
{
	int sp[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp));
	ASSERT_EQ(0, send_fd(sp[0], self->w));
	ASSERT_EQ(0, close(self->w));
	self->w = -1;
	ALIVE(true);
	ASSERT_EQ(0, close(sp[1]));
	RELEASED(true);
	close(sp[0]);
}

/*
 * The file is a child's, registered in the instance the child inherited,
 * and its only holder is the child (its peer end came to us by
 * SCM_RIGHTS): the child's exit releases it, however it exits.
 */
static void child_made_file(struct __test_metadata *_metadata, const struct backend *be,
			    int epfd, enum kind k, bool killed)
{
	int sp[2], peer = -1, status;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int w, p;
		char c;

		close(sp[0]);
		if (make_kind(k, &w, &p))
			_exit(2);
		if (backend_add(be, epfd, w, EPOLLOUT, DATA + 7))
			_exit(3);
		if (p >= 0 ? send_fd(sp[1], p) : sync_send(sp[1]))
			_exit(4);
		if (p >= 0)
			close(p);
		/* Until the parent closes its end, or kills us. */
		_exit(read(sp[1], &c, 1) < 0 ? 5 : 0);
	}
	close(sp[1]);
	if (k != K_EVENTFD) {
		peer = recv_fd(sp[0]);
	} else {
		EXPECT_EQ(0, sync_recv(sp[0], SYNC_MS));
	}
	EXPECT_TRUE(k == K_EVENTFD || peer >= 0);
	expect_alive(_metadata, be, epfd, k, peer, DATA + 7, true);
	if (killed)
		ASSERT_EQ(0, kill(pid, SIGKILL));
	close(sp[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(killed ? WIFSIGNALED(status) :
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x", status);
	expect_released(_metadata, be, epfd, k, peer, true);
	if (peer >= 0)
		close(peer);
}

TEST_F(release, exit_of_the_only_holder)
{
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_DEL, self->w, NULL));
	child_made_file(_metadata, variant->be, self->epfd, variant->kind, false);
}

TEST_F(release, kill_of_the_only_holder)
{
	ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_DEL, self->w, NULL));
	child_made_file(_metadata, variant->be, self->epfd, variant->kind, true);
}

/*
 * The same registration in two instances, and under two descriptors of
 * the file in one of them: all go with the file's last close.
 */
TEST_F(release, every_instance_loses_it)
{
	bool xep = variant->be == &backend_xepoll;
	int ep2 = variant->be->create1(EPOLL_CLOEXEC), d;
	long rel0;

	ASSERT_LE(0, ep2);
	d = dup(self->w);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, backend_add(variant->be, ep2, self->w, EPOLLOUT, DATA));
	ASSERT_EQ(0, backend_add(variant->be, ep2, d, EPOLLOUT, DATA + 1));
	EXPECT_EQ(2, count_registrations(ep2));
	ASSERT_EQ(0, close(self->w));
	self->w = -1;
	ALIVE(true);
	EXPECT_EQ(2, count_registrations(ep2));
	rel0 = xep ? read_long(RELEASES) : 0;
	ASSERT_EQ(0, close(d));
	RELEASED(true);
	EXPECT_EQ(0, count_registrations(ep2));
	if (xep)
		EXPECT_EQ(rel0 + 3, read_long(RELEASES));
	close(ep2);
}

/*
 * Last closes in several threads at once, each of a file its own instance
 * watches: eventfds (all on the one anonymous inode, so every close runs
 * the same inode's notification) and unix sockets. After each close the
 * thread's instance must report nothing and, every few rounds and at the
 * end, list nothing.
 */
#define RACE_THREADS	4
#define RACE_ROUNDS	1500

FIXTURE(release_race) {
	int unused;
};

FIXTURE_VARIANT(release_race) {
	const struct backend *be;
};

BACKEND_VARIANTS(release_race);

FIXTURE_SETUP(release_race)
{
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(release_race)
{
}

struct racer {
	const struct backend *be;
	int id;
	pthread_barrier_t *start;
	int stale, errors, rounds;
	uint64_t first_stale;
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	struct epoll_event ev[8];
	int ep = r->be->create1(EPOLL_CLOEXEC), i, n, w, peer, s[2];
	uint64_t data;

	pthread_barrier_wait(r->start);
	if (ep < 0) {
		r->errors++;
		return NULL;
	}
	for (i = 0; i < RACE_ROUNDS; i++) {
		data = (uint64_t)(r->id + 1) << 32 | i;
		peer = -1;
		if ((i + r->id) % 2) {
			w = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
		} else if (!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
				       0, s)) {
			w = s[0];
			peer = s[1];
		} else {
			w = -1;
		}
		if (w < 0 || backend_add(r->be, ep, w, EPOLLIN | EPOLLOUT, data)) {
			r->errors++;
			if (w >= 0)
				close(w);
			if (peer >= 0)
				close(peer);
			continue;
		}
		close(w);
		n = wait_nointr(r->be, ep, ev, 8, 0);
		if (n || (i % 64 == 63 && count_registrations(ep))) {
			if (!r->stale++)
				r->first_stale = n > 0 ? ev[0].data.u64 : data;
			/* Start afresh, so that one stale entry counts once. */
			close(ep);
			ep = r->be->create1(EPOLL_CLOEXEC);
			if (ep < 0) {
				r->errors++;
				break;
			}
		}
		if (peer >= 0)
			close(peer);
		r->rounds++;
	}
	if (ep >= 0) {
		if (count_registrations(ep))
			r->stale++;
		close(ep);
	}
	return NULL;
}

/* A thread that only opens and closes unwatched eventfds, as fast as it can. */
static void *unwatched_closer(void *arg)
{
	atomic_int *stop = arg;

	while (!atomic_load(stop)) {
		int e = eventfd(0, EFD_CLOEXEC);

		if (e >= 0)
			close(e);
	}
	return NULL;
}

TEST_F_TIMEOUT(release_race, concurrent_last_closes, 300)
{
	struct racer r[RACE_THREADS];
	pthread_t thr[RACE_THREADS], noise;
	pthread_barrier_t start;
	atomic_int stop = 0;
	int i, stale = 0, errors = 0, rounds = 0;

	ASSERT_EQ(0, pthread_barrier_init(&start, NULL, RACE_THREADS));
	ASSERT_EQ(0, pthread_create(&noise, NULL, unwatched_closer, &stop));
	for (i = 0; i < RACE_THREADS; i++) {
		r[i] = (struct racer){ .be = variant->be, .id = i, .start = &start };
		ASSERT_EQ(0, pthread_create(&thr[i], NULL, racer_main, &r[i]));
	}
	for (i = 0; i < RACE_THREADS; i++) {
		pthread_join(thr[i], NULL);
		stale += r[i].stale;
		errors += r[i].errors;
		rounds += r[i].rounds;
		if (r[i].stale)
			TH_LOG("thread %d: %d stale registrations, the first with data %#llx",
			       i, r[i].stale, (unsigned long long)r[i].first_stale);
	}
	atomic_store(&stop, 1);
	pthread_join(noise, NULL);
	pthread_barrier_destroy(&start);
	TH_LOG("%s: %d last closes in %d threads, %d registrations outlived them",
	       variant->be->name, rounds, RACE_THREADS, stale);
	EXPECT_EQ(0, errors);
	EXPECT_EQ(0, stale);
}

/* Mappings: a mapping of the file holds it after its last descriptor. */
FIXTURE(release_mmap) {
	int epfd;
};

FIXTURE_VARIANT(release_mmap) {
	const struct backend *be;
};

BACKEND_VARIANTS(release_mmap);

FIXTURE_SETUP(release_mmap)
{
	signal(SIGPIPE, SIG_IGN);
	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
}

FIXTURE_TEARDOWN(release_mmap)
{
	close(self->epfd);
}

/* A TCP socket can be mapped (TCP_ZEROCOPY_RECEIVE's mapping). */
TEST_F(release_mmap, tcp_socket_lives_until_munmap)
{
	int s[2];
	void *map;

	ASSERT_EQ(0, tcp_pair(s));
	ASSERT_EQ(0, backend_add(variant->be, self->epfd, s[0], EPOLLOUT, DATA));
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, s[0], 0);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap of a TCP socket: %s", strerror(errno));
	ASSERT_EQ(0, close(s[0]));
	expect_alive(_metadata, variant->be, self->epfd, K_TCP, s[1], DATA, true);
	ASSERT_EQ(0, munmap(map, 4096));
	expect_released(_metadata, variant->be, self->epfd, K_TCP, s[1], true);
	close(s[1]);
}

static int uring_setup(unsigned int entries, struct io_uring_params *p)
{
	return (int)syscall(__NR_io_uring_setup, entries, p);
}

static int uring_register(int ring, unsigned int op, void *arg, unsigned int nr)
{
	return (int)syscall(__NR_io_uring_register, ring, op, arg, nr);
}

/* An io_uring instance, or a skip saying why there is none. */
#define URING_OR_SKIP(ring, params) do {					\
	memset(&(params), 0, sizeof(params));					\
	(ring) = uring_setup(4, &(params));					\
	if ((ring) < 0 && (errno == ENOSYS || errno == EPERM))			\
		SKIP(return, "no io_uring here (%s): CONFIG_IO_URING or "	\
		     "kernel.io_uring_disabled", strerror(errno));		\
	ASSERT_LE(0, (ring)) TH_LOG("io_uring_setup: %s", strerror(errno));	\
} while (0)

/*
 * An io_uring ring is pollable (EPOLLOUT while its submission queue has
 * room) and mappable: its mapped rings keep it after close().
 */
TEST_F(release_mmap, io_uring_ring_lives_until_munmap)
{
	struct io_uring_params p;
	size_t len;
	void *map;
	int ring;

	URING_OR_SKIP(ring, p);
	len = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
		   IORING_OFF_SQ_RING);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap of the SQ ring: %s", strerror(errno));
	ASSERT_EQ(0, backend_add(variant->be, self->epfd, ring, EPOLLOUT, DATA));
	ASSERT_EQ(0, close(ring));
	expect_alive(_metadata, variant->be, self->epfd, K_EVENTFD, -1, DATA, true);
	ASSERT_EQ(0, munmap(map, len));
	expect_released(_metadata, variant->be, self->epfd, K_EVENTFD, -1, true);
}

/*
 * Cycles: an instance that watches a file which holds the instance. epoll
 * holds no reference to what it watches, so closing everything frees all
 * of it; the peer of the socket in the cycle sees the end. On xepoll the
 * user's instances and watches (/sys/kernel/xepoll/users) come back to
 * what they were, too (xepoll's own counters: that check is xepoll's).
 */
#define NCYCLES	16

FIXTURE(release_cycle) {
	struct xep_counts base;
	int peer[NCYCLES];
};

FIXTURE_VARIANT(release_cycle) {
	const struct backend *be;
};

BACKEND_VARIANTS(release_cycle);

FIXTURE_SETUP(release_cycle)
{
	int i;

	for (i = 0; i < NCYCLES; i++)
		self->peer[i] = -1;
	signal(SIGPIPE, SIG_IGN);
	if (variant->be == &backend_xepoll)
		ASSERT_EQ(0, xep_counts_read(getuid(), &self->base));
}

FIXTURE_TEARDOWN(release_cycle)
{
	int i;

	for (i = 0; i < NCYCLES; i++)
		if (self->peer[i] >= 0)
			close(self->peer[i]);
}

/* Send @n descriptors in one SCM_RIGHTS message. */
static int send_fds(int sock, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "F", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cmsg), fds, n * sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* Every peer sees the end; on xepoll, the counters come back. */
static void expect_cycles_freed(struct __test_metadata *_metadata,
				const struct backend *be, int *peer,
				const struct xep_counts *base)
{
	struct xep_counts now;
	int i, ended = 0;

	for (i = 0; i < NCYCLES; i++)
		ended += peer_ended(K_UNIX, peer[i], i ? 200 : 2 * END_WAIT_MS);
	EXPECT_EQ(NCYCLES, ended) TH_LOG("%d of %d cycles never freed", NCYCLES - ended,
					 NCYCLES);
	if (be != &backend_xepoll)
		return;
	EXPECT_EQ(0, xep_counts_settle(getuid(), base, &now, END_WAIT_MS / 1000.0))
		TH_LOG("xepoll: instances %ld -> %ld, watches %ld -> %ld", base->instances,
		       now.instances, base->watches, now.watches);
}

/*
 * The instance watches a unix socket whose receive queue holds the
 * instance's own descriptor; closing both frees the socket (and with its
 * queue, the instance).
 */
TEST_F(release_cycle, instance_queued_in_watched_socket)
{
	int i, s[2], ep;

	for (i = 0; i < NCYCLES; i++) {
		ep = variant->be->create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, ep);
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s));
		ASSERT_EQ(0, backend_add(variant->be, ep, s[0], EPOLLIN, DATA));
		ASSERT_EQ(0, send_fd(s[1], ep));
		ASSERT_EQ(0, close(ep));
		ASSERT_EQ(0, close(s[0]));
		self->peer[i] = s[1];
	}
	expect_cycles_freed(_metadata, variant->be, self->peer, &self->base);
}

/*
 * The same, with the socket also in flight in its own queue: a cycle only
 * the unix garbage collector can free, and only if nothing outside the
 * in-flight messages holds the socket.
 */
TEST_F_TIMEOUT(release_cycle, instance_and_socket_queued_in_the_socket, 90)
{
	int i, s[2], ep, fds[2], t[2];

	for (i = 0; i < NCYCLES; i++) {
		ep = variant->be->create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, ep);
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s));
		ASSERT_EQ(0, backend_add(variant->be, ep, s[0], EPOLLIN, DATA));
		fds[0] = ep;
		fds[1] = s[0];
		ASSERT_EQ(0, send_fds(s[1], fds, 2));
		ASSERT_EQ(0, close(ep));
		ASSERT_EQ(0, close(s[0]));
		self->peer[i] = s[1];
	}
	/* Closing a unix socket while fds are in flight runs the collector. */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, t));
	close(t[0]);
	close(t[1]);
	expect_cycles_freed(_metadata, variant->be, self->peer, &self->base);
}

/*
 * The instance watches an io_uring ring that holds the instance as a
 * registered (fixed) file, beside a unix socket the instance watches too;
 * closing all three frees the ring (asynchronously), hence the rest.
 */
TEST_F_TIMEOUT(release_cycle, instance_registered_in_watched_io_uring, 90)
{
	struct io_uring_params p;
	int i, s[2], ep, ring, fixed[2];

	for (i = 0; i < NCYCLES; i++) {
		URING_OR_SKIP(ring, p);
		ep = variant->be->create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, ep);
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s));
		ASSERT_EQ(0, backend_add(variant->be, ep, ring, EPOLLIN | EPOLLOUT, DATA));
		ASSERT_EQ(0, backend_add(variant->be, ep, s[0], EPOLLIN, DATA + 1));
		fixed[0] = ep;
		fixed[1] = s[0];
		ASSERT_EQ(0, uring_register(ring, IORING_REGISTER_FILES, fixed, 2))
			TH_LOG("IORING_REGISTER_FILES: %s", strerror(errno));
		ASSERT_EQ(0, close(ep));
		ASSERT_EQ(0, close(s[0]));
		ASSERT_EQ(0, close(ring));
		self->peer[i] = s[1];
	}
	expect_cycles_freed(_metadata, variant->be, self->peer, &self->base);
}

/*
 * RLIMIT_NOFILE bounds what an unprivileged user keeps alive: watching a
 * file does not keep it. Runs as nobody (the root run drops to it) with
 * RLIMIT_NOFILE=64; the system's allocated file count
 * (/proc/sys/fs/file-nr) must not grow by more than a small constant
 * however many files were watched and closed.
 */
#define NOFILE		64
#define CHURN		3000
#define FILE_NR_SLACK	200	/* per-CPU counter error, other processes */

/* The first number of file-nr: file structs allocated in the system. */
static long files_allocated(void)
{
	return read_long("/proc/sys/fs/file-nr");
}

/* A child's report, in one write (atomic on a pipe). */
static void send_blob(int fd, const void *r, size_t size)
{
	(void)!write(fd, r, size);
}

/* The report, within @max_ms: 0, or -1 if it did not come whole. */
static int recv_blob(int fd, void *r, size_t size, int max_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, max_ms) != 1)
		return -1;
	return read(fd, r, size) == (ssize_t)size ? 0 : -1;
}

FIXTURE(release_limit) {
	int report[2];
};

FIXTURE_VARIANT(release_limit) {
	const struct backend *be;
};

BACKEND_VARIANTS(release_limit);

FIXTURE_SETUP(release_limit)
{
	ASSERT_EQ(0, pipe2(self->report, O_CLOEXEC));
}

FIXTURE_TEARDOWN(release_limit)
{
	close(self->report[0]);
	close(self->report[1]);
}

/* What a limited child saw. */
struct limit_report {
	int err;		/* the step that failed, 0 if none */
	int errnum;
	long grown;		/* file-nr's growth, settled */
	int registrations;	/* left in the instance */
	long adds;
};

/* Become nobody (from root), with RLIMIT_NOFILE at NOFILE. */
static int limit_self(void)
{
	struct rlimit rl = { NOFILE, NOFILE };

	if (!geteuid() && (setgroups(0, NULL) || setgid(NOBODY_UID) || setuid(NOBODY_UID)))
		return -1;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

/* file-nr's growth over @base, once it stops shrinking (at most 3 s). */
static long settled_growth(long base)
{
	long long end = now_ms() + 3000;
	long grown;

	while ((grown = files_allocated() - base) > FILE_NR_SLACK / 2 && now_ms() < end)
		msleep(20);
	return grown;
}

static void expect_report(struct __test_metadata *_metadata, int fd, pid_t pid)
{
	struct limit_report r = { .err = -1 };
	int status;

	EXPECT_EQ(0, recv_blob(fd, &r, sizeof(r), 4 * SYNC_MS));
	status = reap_child(pid, SYNC_MS);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x", status);
	EXPECT_EQ(0, r.err) TH_LOG("step %d failed: %s", r.err, strerror(r.errnum));
	TH_LOG("%ld ADDs of files then closed: file-nr grew by %ld, %d registrations left",
	       r.adds, r.grown, r.registrations);
	EXPECT_GT(FILE_NR_SLACK, r.grown)
		TH_LOG("files kept alive beyond RLIMIT_NOFILE=%d", NOFILE);
	EXPECT_EQ(0, r.registrations);
}

/* One process: open, ADD, close, thousands of times (eventfds and pipes). */
TEST_F_TIMEOUT(release_limit, watching_keeps_no_file_alive, 300)
{
	const struct backend *be = variant->be;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct limit_report r = { 0 };
		long base;
		int ep, i, fd, p[2];

		if (limit_self()) {
			r = (struct limit_report){ .err = 1, .errnum = errno };
			goto out;
		}
		ep = be->create1(EPOLL_CLOEXEC);
		base = files_allocated();
		for (i = 0; i < CHURN && !r.err; i++) {
			if (i % 3) {
				fd = eventfd(0, EFD_CLOEXEC);
				if (fd < 0 || backend_add(be, ep, fd, EPOLLIN, i))
					r = (struct limit_report){ .err = 2, .errnum = errno };
				r.adds++;
				close(fd);
				continue;
			}
			if (pipe2(p, O_CLOEXEC) || backend_add(be, ep, p[0], EPOLLIN, i) ||
			    backend_add(be, ep, p[1], EPOLLOUT, i))
				r = (struct limit_report){ .err = 3, .errnum = errno };
			r.adds += 2;
			close(p[0]);
			close(p[1]);
		}
		r.grown = settled_growth(base);
		r.registrations = count_registrations(ep);
out:
		send_blob(self->report[1], &r, sizeof(r));
		_exit(0);
	}
	expect_report(_metadata, self->report[0], pid);
}

/*
 * A server's way: children inherit the instance, each registers as many
 * files as its limit allows and exits without closing anything.
 */
TEST_F_TIMEOUT(release_limit, exiting_children_keep_no_file_alive, 300)
{
	const struct backend *be = variant->be;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct limit_report r = { 0 };
		int ep, c, status;
		long base;

		if (limit_self()) {
			r = (struct limit_report){ .err = 1, .errnum = errno };
			goto out;
		}
		ep = be->create1(EPOLL_CLOEXEC);
		base = files_allocated();
		for (c = 0; c < 60 && !r.err; c++) {
			pid_t kid = fork();

			if (kid == 0) {
				int i, fd;

				for (i = 0; i < NOFILE - 16; i++) {
					fd = eventfd(0, EFD_CLOEXEC);
					if (fd < 0 || backend_add(be, ep, fd, EPOLLIN, i))
						_exit(1);
				}
				_exit(0);
			}
			if (kid < 0 || waitpid(kid, &status, 0) != kid ||
			    !WIFEXITED(status) || WEXITSTATUS(status))
				r = (struct limit_report){ .err = 2, .errnum = errno };
			r.adds += NOFILE - 16;
		}
		r.grown = settled_growth(base);
		r.registrations = count_registrations(ep);
out:
		send_blob(self->report[1], &r, sizeof(r));
		_exit(0);
	}
	expect_report(_metadata, self->report[0], pid);
}

/*
 * Closing is linear in the registrations: one file, dup'ed N times, each
 * descriptor registered in two instances (2N registrations); the time to
 * close all of it (the last close removes every registration) for N =
 * 30,000 against N = 7,500 must be well under the 16 times a quadratic
 * removal gives, and under 8 (twice linear: TCG timing is noisy).
 */
/*
 * An instance and the one file it watches, closed at the same moment by
 * two threads, many times over: the file's last close claims the item
 * while the instance's own close removes the rest. Whichever of the two
 * drops the instance's last reference must reap and free it, and the
 * other must not touch it after (a use-after-free the debug kernel's
 * KASAN reports, and refcount warnings on any kernel, fail the run).
 * Afterwards nothing is left charged and no file is kept alive.
 */
#define PAIR_ROUNDS	2000

struct pair_race {
	pthread_barrier_t go;
	atomic_int fd;
	atomic_bool stop;
};

static void *pair_closer(void *arg)
{
	struct pair_race *r = arg;

	for (;;) {
		pthread_barrier_wait(&r->go);
		if (atomic_load(&r->stop))
			return NULL;
		close(atomic_load(&r->fd));
		pthread_barrier_wait(&r->go);
	}
}

FIXTURE(release_pair) {
	int unused;
};

FIXTURE_VARIANT(release_pair) {
	const struct backend *be;
};

BACKEND_VARIANTS(release_pair);

FIXTURE_SETUP(release_pair)
{
}

FIXTURE_TEARDOWN(release_pair)
{
}

TEST_F_TIMEOUT(release_pair, instance_and_file_close_together, 300)
{
	const struct backend *be = variant->be;
	long base = files_allocated(), grown = 0;
	struct pair_race r = { .fd = -1 };
	pthread_t t;
	int i, ep, efd;

	ASSERT_EQ(0, pthread_barrier_init(&r.go, NULL, 2));
	ASSERT_EQ(0, pthread_create(&t, NULL, pair_closer, &r));
	for (i = 0; i < PAIR_ROUNDS; i++) {
		ep = be->create1(EPOLL_CLOEXEC);
		efd = eventfd(0, EFD_CLOEXEC);
		ASSERT_LE(0, ep);
		ASSERT_LE(0, efd);
		ASSERT_EQ(0, backend_add(be, ep, efd, EPOLLIN, i));
		/* Alternate which of the two the other thread closes. */
		atomic_store(&r.fd, i & 1 ? ep : efd);
		pthread_barrier_wait(&r.go);
		close(i & 1 ? efd : ep);
		pthread_barrier_wait(&r.go);
	}
	atomic_store(&r.stop, true);
	pthread_barrier_wait(&r.go);
	pthread_join(t, NULL);
	pthread_barrier_destroy(&r.go);

	/* The files went, and with them what xepoll kept of them. */
	for (i = 0; i < 30; i++) {
		grown = files_allocated() - base;
		if (grown <= FILE_NR_SLACK)
			break;
		msleep(100);
	}
	TH_LOG("%s: %d rounds, file-nr grew by %ld", be->name, PAIR_ROUNDS, grown);
	EXPECT_GE(FILE_NR_SLACK, grown);
	if (be == &backend_xepoll)
		EXPECT_EQ(0, xep_user_watches(getuid()));
}

#ifndef SCALE_BIG
#define SCALE_BIG	30000
#endif
#define SCALE_SMALL	(SCALE_BIG / 8)
/*
 * The most the big case may cost over the small one: 8 is linear, 64
 * quadratic. Three times linear leaves room for what TCG and the host's
 * caches do to a working set eight times larger (up to 2.2 times seen).
 */
#define SCALE_MAX_RATIO	24.0

/* Room for SCALE_BIG descriptors: RLIMIT_NOFILE raised, or a skip. */
static void scale_setup(struct __test_metadata *_metadata, int **fds)
{
	struct rlimit rl;

	*fds = calloc(SCALE_BIG, sizeof(int));
	ASSERT_NE(NULL, *fds);
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < SCALE_BIG + 64) {
		if (rl.rlim_max < SCALE_BIG + 64 && geteuid())
			SKIP(return, "RLIMIT_NOFILE's hard limit %lu < %d, and raising it needs CAP_SYS_RESOURCE: the root run covers it",
			     (unsigned long)rl.rlim_max, SCALE_BIG + 64);
		rl.rlim_cur = SCALE_BIG + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl) && errno == EPERM)
			SKIP(return, "raising RLIMIT_NOFILE to %d: EPERM (no CAP_SYS_RESOURCE here, or fs.nr_open)",
			     SCALE_BIG + 64);
		ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
		ASSERT_LE(SCALE_BIG + 64, rl.rlim_cur);
	}
}

FIXTURE(release_scale) {
	int *fds;
};

FIXTURE_VARIANT(release_scale) {
	const struct backend *be;
};

BACKEND_VARIANTS(release_scale);

FIXTURE_SETUP(release_scale)
{
	scale_setup(_metadata, &self->fds);
}

FIXTURE_TEARDOWN(release_scale)
{
	free(self->fds);
}

/*
 * Milliseconds to close @n dups of a watched socket, each in two
 * instances (with close(), or with @be's close_watched()); -1 on a
 * failure (reported).
 */
static double close_time(struct __test_metadata *_metadata, const struct backend *be,
			 int *fds, int n, bool old_call)
{
	int ep1 = be->create1(EPOLL_CLOEXEC), ep2 = be->create1(EPOLL_CLOEXEC);
	int s[2], i, left1, left2;
	struct timespec t0, t1;
	bool ok = true;

	if (ep1 < 0 || ep2 < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s))
		return -1;
	for (i = 0; i < n && ok; i++) {
		fds[i] = fcntl(s[0], F_DUPFD_CLOEXEC, 0);
		ok = fds[i] >= 0 && !backend_add(be, ep1, fds[i], EPOLLIN, i) &&
		     !backend_add(be, ep2, fds[i], EPOLLIN, i);
	}
	EXPECT_TRUE(ok) TH_LOG("%d of %d: %s", i, n, strerror(errno));
	if (!ok)
		n = i;
	close(s[0]);
	EXPECT_EQ(n, count_registrations(ep1));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		if (old_call)
			be->close_watched(ep1, fds[i]);
		else
			close(fds[i]);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	left1 = count_registrations(ep1);
	left2 = count_registrations(ep2);
	close(ep1);
	close(ep2);
	EXPECT_EQ(0, left1);
	EXPECT_EQ(0, left2);
	EXPECT_TRUE(peer_ended(K_UNIX, s[1], END_WAIT_MS));
	close(s[1]);
	return ok ? (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6 : -1;
}

/*
 * The least of @runs close_time()s: under TCG, and with other guests on
 * the host's CPUs, any one run may be stretched several times over, and
 * only the fastest shows what the algorithm costs. -1 on a failure.
 */
static double close_time_min(struct __test_metadata *_metadata,
			     const struct backend *be, int *fds, int n,
			     bool old_call, int runs)
{
	double best = -1, t;

	while (runs--) {
		t = close_time(_metadata, be, fds, n, old_call);
		if (t < 0)
			return -1;
		if (best < 0 || t < best)
			best = t;
	}
	return best;
}

/*
 * The ratio of closing 2 x SCALE_BIG registrations to 2 x SCALE_SMALL:
 * about 8 when closing is linear, 64 when it is quadratic.
 */
static double close_ratio(struct __test_metadata *_metadata, const struct backend *be,
			  int *fds, bool old_call)
{
	double small, big, ratio;

	small = close_time_min(_metadata, be, fds, SCALE_SMALL, old_call, 3);
	big = close_time_min(_metadata, be, fds, SCALE_BIG, old_call, 2);
	if (small < 0 || big < 0)
		return -1;
	/* A floor, so that a tiny small time cannot make the ratio noise. */
	ratio = big / (small > 5 ? small : 5);
	TH_LOG("%s%s: close of 2 x %d registrations: %.1f ms; of 2 x %d: %.1f ms; ratio %.2f",
	       be->name, old_call ? ", close_watched()" : "", SCALE_SMALL, small,
	       SCALE_BIG, big, ratio);
	return ratio;
}

TEST_F_TIMEOUT(release_scale, closing_is_linear, 600)
{
	double ratio = close_ratio(_metadata, variant->be, self->fds, false);

	EXPECT_LE(0, ratio);
	EXPECT_GT(SCALE_MAX_RATIO, ratio);
}

/*
 * The same through xepoll_close() (XEPOLL_IOC_CLOSE), deprecated and now a
 * plain close: it used to rescan the file's registrations for each one.
 * xepoll's call alone (on epoll, close_watched() is close(), as above).
 */
FIXTURE(release_scale_old_call) {
	int *fds;
};

FIXTURE_VARIANT(release_scale_old_call) {
	const struct backend *be;
};

FIXTURE_VARIANT_ADD(release_scale_old_call, xepoll) { .be = &backend_xepoll };

FIXTURE_SETUP(release_scale_old_call)
{
	scale_setup(_metadata, &self->fds);
}

FIXTURE_TEARDOWN(release_scale_old_call)
{
	free(self->fds);
}

TEST_F_TIMEOUT(release_scale_old_call, closing_is_linear, 600)
{
	double ratio;

	ratio = close_ratio(_metadata, variant->be, self->fds, true);
	EXPECT_LE(0, ratio);
	EXPECT_GT(SCALE_MAX_RATIO, ratio);
}

/*
 * One user's stuck instance does not delay another user's close. Process A
 * (root) holds its instance's mutex: a wait whose events buffer is a page
 * registered with userfaultfd that nobody serves, with an event ready.
 * Process B (nobody) then creates, registers and closes its own sockets,
 * eventfds (whose inode every eventfd shares, A's watched one included),
 * pipes, an inotify descriptor and its instance, closing the eventfds
 * through close_watched() (XEPOLL_IOC_CLOSE on xepoll, now a plain
 * close): all of it within CLOSE_BOUND_MS.
 *
 * On xepoll a second thread of A also closes a file A's stuck instance
 * watches, and that close too must return at once: xepoll's handler never
 * sleeps on a busy instance, and the registration must be gone at A's next
 * call. That part is xepoll's: epoll's close waits for the instance's
 * mutex, and is not run on epoll.
 */
#define CLOSE_BOUND_MS	2000
#define B_EVENTFDS	128

FIXTURE(release_stuck) {
	pid_t a, b;
};

FIXTURE_VARIANT(release_stuck) {
	const struct backend *be;
};

BACKEND_VARIANTS(release_stuck);

FIXTURE_SETUP(release_stuck)
{
	int u;

	self->a = self->b = -1;
	if (geteuid())
		SKIP(return, "a userfaultfd that catches the kernel's own copies needs privilege (vm.unprivileged_userfaultfd=0): the root run covers it");
	u = (int)syscall(__NR_userfaultfd, O_CLOEXEC);
	if (u < 0 && errno == ENOSYS)
		SKIP(return, "no userfaultfd in this kernel (CONFIG_USERFAULTFD)");
	ASSERT_LE(0, u) TH_LOG("userfaultfd: %s", strerror(errno));
	close(u);
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(release_stuck)
{
	if (self->a > 0)
		reap_child(self->a, 0);
	if (self->b > 0)
		reap_child(self->b, 0);
}

/* What A and B say: in A's report, each field -1 until it is known. */
struct stuck_report {
	int step;		/* the step that failed, 0 if none */
	int errnum;
	long close_ms;		/* A's close of its watched file (xepoll), B's closes */
	int wait_ret;		/* A: the stuck wait's result, once unstuck */
	int later_events;	/* A: events for the closed file after it */
	int registrations;	/* A: left once unstuck (one expected) */
};

struct stuck_waiter {
	const struct backend *be;
	int ep;
	void *page;
	int ret;
};

static void *stuck_wait_main(void *arg)
{
	struct stuck_waiter *w = arg;

	w->ret = w->be->wait(w->ep, w->page, 4, -1);
	return NULL;
}

struct closer {
	const struct backend *be;
	int ep, fd;
	atomic_long ms;		/* -1 while the close has not returned */
};

static void *closer_main(void *arg)
{
	struct closer *c = arg;
	long long t0 = now_ms();

	c->be->close_watched(c->ep, c->fd);
	atomic_store(&c->ms, now_ms() - t0);
	return NULL;
}

#define STUCK_FAIL(n) do { r.step = (n); r.errnum = errno; goto out; } while (0)

/* Process A: get stuck, report, wait to be released, report again. */
static void stuck_a(const struct backend *be, int to_parent, int from_parent)
{
	struct stuck_report r = { .close_ms = -1, .wait_ret = -1, .later_events = -1,
				  .registrations = -1 };
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct stuck_waiter w = { .be = be };
	struct closer c = { .be = be, .ms = -1 };
	struct epoll_event ev[4];
	struct uffd_msg msg;
	struct pollfd pfd;
	pthread_t wthr, cthr;
	int efd, s[2], uffd, i, n;
	long page = sysconf(_SC_PAGESIZE);
	bool closer_started = false;

	w.ep = be->create1(EPOLL_CLOEXEC);
	efd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w.ep < 0 || efd < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, s))
		STUCK_FAIL(1);
	if (backend_add(be, w.ep, efd, EPOLLIN, 1) || backend_add(be, w.ep, s[0], EPOLLOUT, 2))
		STUCK_FAIL(2);
	uffd = (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		STUCK_FAIL(3);
	w.page = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w.page == MAP_FAILED)
		STUCK_FAIL(4);
	reg.range.start = (uintptr_t)w.page;
	reg.range.len = page;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		STUCK_FAIL(5);
	if (pthread_create(&wthr, NULL, stuck_wait_main, &w))
		STUCK_FAIL(6);
	/* The wait's copy of the events faults: it is stuck, mid-transfer. */
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	if (poll(&pfd, 1, SYNC_MS) != 1 || read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		STUCK_FAIL(7);
	if (be == &backend_xepoll) {
		c.ep = w.ep;
		c.fd = efd;
		if (pthread_create(&cthr, NULL, closer_main, &c))
			STUCK_FAIL(8);
		closer_started = true;
		for (i = 0; i < CLOSE_BOUND_MS / 10 && atomic_load(&c.ms) < 0; i++)
			msleep(10);
		r.close_ms = atomic_load(&c.ms);
	}
	/* Stuck: B may go. */
	send_blob(to_parent, &r, sizeof(r));
	if (sync_recv(from_parent, 4 * SYNC_MS))
		STUCK_FAIL(9);
	/* Unstuck: without its userfaultfd, the page faults in as zeroes. */
	close(uffd);
	pthread_join(wthr, NULL);
	r.wait_ret = w.ret;
	if (closer_started)
		pthread_join(cthr, NULL);
	else
		close(efd);
	n = be->wait(w.ep, ev, 4, 0);
	r.later_events = 0;
	for (i = 0; i < n; i++)
		r.later_events += ev[i].data.u64 == 1;
	r.registrations = count_registrations(w.ep);
out:
	send_blob(to_parent, &r, sizeof(r));
	_exit(0);
}

/* Process B: another user's files, created, registered, closed. */
static void stuck_b(const struct backend *be, int to_parent)
{
	struct stuck_report r = { .close_ms = -1 };
	int efd[B_EVENTFDS], us[4][2], ts[2][2], pp[4][2], ino, ep, i;
	long long t0;

	if (setgroups(0, NULL) || setgid(NOBODY_UID) || setuid(NOBODY_UID))
		STUCK_FAIL(1);
	ep = be->create1(EPOLL_CLOEXEC);
	ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ep < 0 || ino < 0 || inotify_add_watch(ino, "/tmp", IN_CREATE) < 0 ||
	    backend_add(be, ep, ino, EPOLLIN, 0))
		STUCK_FAIL(2);
	for (i = 0; i < B_EVENTFDS; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC);
		if (efd[i] < 0 || backend_add(be, ep, efd[i], EPOLLIN, i))
			STUCK_FAIL(3);
	}
	for (i = 0; i < 4; i++)
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, us[i]) ||
		    backend_add(be, ep, us[i][0], EPOLLIN, i) ||
		    pipe2(pp[i], O_CLOEXEC) || backend_add(be, ep, pp[i][0], EPOLLIN, i))
			STUCK_FAIL(4);
	for (i = 0; i < 2; i++)
		if (tcp_pair(ts[i]) || backend_add(be, ep, ts[i][0], EPOLLIN, i))
			STUCK_FAIL(5);

	t0 = now_ms();
	for (i = 0; i < B_EVENTFDS; i++)
		be->close_watched(ep, efd[i]);
	for (i = 0; i < 4; i++) {
		close(us[i][0]);
		close(us[i][1]);
		close(pp[i][0]);
		close(pp[i][1]);
	}
	for (i = 0; i < 2; i++) {
		close(ts[i][0]);
		close(ts[i][1]);
	}
	close(ino);
	close(ep);
	r.close_ms = now_ms() - t0;
out:
	send_blob(to_parent, &r, sizeof(r));
	_exit(0);
}

static int read_stuck(int fd, struct stuck_report *r)
{
	return recv_blob(fd, r, sizeof(*r), 4 * SYNC_MS);
}

TEST_F_TIMEOUT(release_stuck, another_users_close_is_not_delayed, 180)
{
	const struct backend *be = variant->be;
	struct stuck_report ra = { 0 }, rb = { 0 }, ra2 = { 0 };
	int a2p[2], p2a[2], b2p[2];

	ASSERT_EQ(0, pipe2(a2p, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(p2a, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(b2p, O_CLOEXEC));
	self->a = fork();
	ASSERT_LE(0, self->a);
	if (self->a == 0)
		stuck_a(be, a2p[1], p2a[0]);
	ASSERT_EQ(0, read_stuck(a2p[0], &ra)) TH_LOG("A never reported");
	ASSERT_EQ(0, ra.step) TH_LOG("A: step %d: %s", ra.step, strerror(ra.errnum));

	self->b = fork();
	ASSERT_LE(0, self->b);
	if (self->b == 0)
		stuck_b(be, b2p[1]);
	rb.close_ms = -1;
	EXPECT_EQ(0, read_stuck(b2p[0], &rb)) TH_LOG("B never reported: stuck");
	EXPECT_EQ(0, rb.step) TH_LOG("B: step %d: %s", rb.step, strerror(rb.errnum));
	if (rb.close_ms >= 0)
		TH_LOG("%s: B closed %d files in %ld ms while A's instance was stuck%s",
		       be->name, B_EVENTFDS + 21, rb.close_ms,
		       be == &backend_xepoll ? "" : " (A closes nothing on epoll)");
	EXPECT_LE(0, rb.close_ms);
	EXPECT_GT(CLOSE_BOUND_MS, rb.close_ms);
	if (be == &backend_xepoll) {
		/* xepoll's: A's own close does not wait for its busy instance. */
		TH_LOG("xepoll: A's close of a file its stuck instance watches: %ld ms",
		       ra.close_ms);
		EXPECT_LE(0, ra.close_ms) TH_LOG("A's close still blocked after %d ms",
						 CLOSE_BOUND_MS);
	}

	/* Release A; its instance no longer has the closed file. */
	ASSERT_EQ(0, sync_send(p2a[1]));
	EXPECT_EQ(0, read_stuck(a2p[0], &ra2)) TH_LOG("A never came unstuck");
	EXPECT_EQ(0, ra2.step) TH_LOG("A: step %d: %s", ra2.step, strerror(ra2.errnum));
	EXPECT_LE(1, ra2.wait_ret) TH_LOG("A's stuck wait returned %d", ra2.wait_ret);
	EXPECT_EQ(0, ra2.later_events);
	EXPECT_EQ(1, ra2.registrations);
	EXPECT_EQ(0, WEXITSTATUS(reap_child(self->a, SYNC_MS)));
	EXPECT_EQ(0, WEXITSTATUS(reap_child(self->b, SYNC_MS)));
	self->a = self->b = -1;
	close(a2p[0]);
	close(a2p[1]);
	close(p2a[0]);
	close(p2a[1]);
	close(b2p[0]);
	close(b2p[1]);
}

/*
 * Files that send no close notification (FMODE_NONOTIFY exactly): the
 * event descriptors fanotify opens, and on 6.1 /dev/ptmx masters (of
 * which only the latter can be watched at all). xepoll
 * cannot see their last close, so a registration of one holds it open
 * until DEL (by data, once its descriptor is closed) or the instance's
 * release, at most RLIMIT_NOFILE of them per user (EMFILE beyond): the one
 * way its closing differs from epoll's, which releases them at their last
 * close (Documentation/userspace-api.rst). Each case asserts epoll's
 * behaviour on epoll and the documented one on xepoll, where xepoll's own
 * count of held files, /sys/kernel/xepoll/pinned, says whether it held
 * the file; a registration that is neither held nor gone at the close is
 * a stale one, and fails every case.
 */
#define PINNED		XEP_SYSFS "/pinned"

FIXTURE(release_nonotify) {
	int epfd;
	bool xep;
};

FIXTURE_VARIANT(release_nonotify) {
	const struct backend *be;
};

BACKEND_VARIANTS(release_nonotify);

FIXTURE_SETUP(release_nonotify)
{
	self->xep = variant->be == &backend_xepoll;
	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
	if (self->xep)
		ASSERT_LE(0, read_long(PINNED)) TH_LOG("no %s", PINNED);
}

FIXTURE_TEARDOWN(release_nonotify)
{
	if (self->epfd >= 0)
		close(self->epfd);
}

/*
 * Register @fd (data @data), close it, and check what follows: on epoll,
 * and on xepoll when it did not hold the file, the registration is gone at
 * once; when xepoll held it (pinned went up), it stays until DEL by data.
 * @expect_held: 1 or 0 where the documentation says, -1 where it does not.
 * Returns whether xepoll held it.
 */
static bool add_close_unannounced(struct __test_metadata *_metadata,
				  const struct backend *be, int epfd, int fd,
				  uint64_t data, int expect_held, const char *what)
{
	bool xep = be == &backend_xepoll;
	long pinned0 = xep ? read_long(PINNED) : 0;
	bool held;

	EXPECT_EQ(0, backend_add(be, epfd, fd, EPOLLIN | EPOLLOUT, data));
	held = xep && read_long(PINNED) == pinned0 + 1;
	TH_LOG("%s: %s is %s", be->name, what, held ? "held" : "not held");
	if (!xep)
		expect_held = 0;
	if (expect_held >= 0)
		EXPECT_EQ(expect_held, held);
	EXPECT_EQ(0, close(fd));
	if (!held) {
		EXPECT_EQ(0, count_registrations(epfd))
			TH_LOG("%s: a registration outlived the close, unheld", what);
		return false;
	}
	/* xepoll's: held, and still registered under the closed number. */
	EXPECT_EQ(1, count_registrations(epfd));
	EXPECT_EQ(pinned0 + 1, read_long(PINNED));
	EXPECT_EQ(1, xepoll_ctl_by_data(epfd, EPOLL_CTL_DEL, data, 0));
	EXPECT_EQ(0, count_registrations(epfd));
	EXPECT_EQ(pinned0, read_long(PINNED));
	return true;
}

/*
 * Which kernel: 61 for 6.1, 612 for 6.12, 0 for any other; with @stock,
 * only Debian's own builds ("-amd64"), whose configuration is known.
 */
static int kernel_series(bool stock)
{
	struct utsname u;
	size_t len;

	if (uname(&u))
		return 0;
	len = strlen(u.release);
	if (stock && (len < 6 || strcmp(u.release + len - 6, "-amd64")))
		return 0;
	if (!strncmp(u.release, "6.1.", 4))
		return 61;
	if (!strncmp(u.release, "6.12.", 5))
		return 612;
	return 0;
}

/*
 * Whether a 6.12 pty master is announced: ptmx_open() sets FMODE_NONOTIFY,
 * and only a kernel with fanotify permission events
 * (CONFIG_FANOTIFY_ACCESS_PERMISSIONS, as Debian's) adds
 * FMODE_NONOTIFY_PERM beside it at open, which together mean "announce the
 * close". A permission mark tells which: fanotify_mark() refuses
 * FAN_OPEN_PERM with EINVAL without them. It is put on a memfd, whose
 * filesystem is not /dev's, and goes with the group at once. 1 or 0, or
 * -1 where the probe cannot tell (unprivileged).
 */
static int ptmx_announced_612(void)
{
	int fan, mfd, ret, err;

	fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY);
	if (fan < 0)
		return -1;
	mfd = memfd_create("xepoll-probe", MFD_CLOEXEC);
	if (mfd < 0) {
		close(fan);
		return -1;
	}
	ret = fanotify_mark(fan, FAN_MARK_ADD, FAN_OPEN_PERM, mfd, NULL);
	err = errno;
	close(mfd);
	close(fan);
	if (!ret)
		return 1;
	return err == EINVAL ? 0 : -1;
}

/* A /dev/ptmx master (and its slave, if @slave), or -1 (errno). */
static int open_pty(int *slave)
{
	char name[64];
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	if (m < 0)
		return -1;
	if (fcntl(m, F_SETFD, FD_CLOEXEC) || grantpt(m) || unlockpt(m) ||
	    ptsname_r(m, name, sizeof(name))) {
		close(m);
		return -1;
	}
	if (slave)
		*slave = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	return m;
}

/*
 * The inode of a watched file is not held past its files' closes, however
 * its last watch went: an unlinked FIFO on tmpfs, once its last
 * descriptor is closed, gives its inode back (statvfs()'s free inodes
 * return), after its watch was deleted first (xepoll keeps the inode's
 * mark, idle, after the last watch, until a close on the inode), after
 * the instance went first, after another file of the inode closed while
 * the mark was idle, and with the watch still there at the close.
 */
static unsigned long tmp_free_inodes(void)
{
	struct statvfs st;

	return statvfs("/tmp", &st) ? 0 : st.f_ffree;
}

FIXTURE(release_inode) {
	int epfd;
	char path[64];
};

FIXTURE_VARIANT(release_inode) {
	const struct backend *be;
};

BACKEND_VARIANTS(release_inode);

FIXTURE_SETUP(release_inode)
{
	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
	snprintf(self->path, sizeof(self->path), "/tmp/release_test.fifo.%d", getpid());
}

FIXTURE_TEARDOWN(release_inode)
{
	if (self->epfd >= 0)
		close(self->epfd);
	unlink(self->path);
}

TEST_F(release_inode, given_back_however_the_watch_went)
{
	static const char *const how[] = {
		"deleted", "instance closed", "other file closed", "still watched",
	};
	unsigned long before, after;
	int i, fd, other;

	if (!tmp_free_inodes())
		SKIP(return, "/tmp counts no free inodes");
	for (i = 0; i < 4; i++) {
		before = tmp_free_inodes();
		ASSERT_EQ(0, mkfifo(self->path, 0600));
		fd = open(self->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		ASSERT_LE(0, fd);
		other = open(self->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		ASSERT_LE(0, other);
		ASSERT_EQ(0, unlink(self->path));
		ASSERT_EQ(0, backend_add(variant->be, self->epfd, fd, EPOLLOUT, DATA));
		ASSERT_EQ(1, count_registrations(self->epfd));
		if (i != 3)
			ASSERT_EQ(0, variant->be->ctl(self->epfd, EPOLL_CTL_DEL, fd, NULL));
		if (i == 1) {
			close(self->epfd);
			self->epfd = variant->be->create1(EPOLL_CLOEXEC);
			ASSERT_LE(0, self->epfd);
		}
		if (i == 2)
			close(other);
		EXPECT_EQ(before - 1, tmp_free_inodes()) TH_LOG("%s: open", how[i]);
		close(fd);
		if (i != 2)
			close(other);
		EXPECT_EQ(0, count_registrations(self->epfd));
		after = tmp_free_inodes();
		EXPECT_EQ(before, after) TH_LOG("%s: %lu free inodes before, %lu after",
						 how[i], before, after);
	}
}

/*
 * A fanotify group's own descriptor. fanotify_init() asks for
 * FMODE_NONOTIFY, but anon_inode_getfd() keeps only O_ACCMODE and
 * O_NONBLOCK of the flags on 6.1 and 6.12, so its close is announced and
 * xepoll does not hold it (though its documentation says it does); on
 * other kernels either is right, as long as the registration is held or
 * gone.
 */
TEST_F(release_nonotify, fanotify_group)
{
	unsigned int flags = FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK |
			     (geteuid() ? FAN_REPORT_FID : 0);
	int fan = fanotify_init(flags, O_RDONLY);

	/* Unprivileged fanotify needs FAN_REPORT_FID (Linux 5.13). */
	if (fan < 0 && (errno == ENOSYS || errno == EPERM || errno == EINVAL))
		SKIP(return, "fanotify_init(%#x): %s (CONFIG_FANOTIFY, or privilege)",
		     flags, strerror(errno));
	ASSERT_LE(0, fan);
	add_close_unannounced(_metadata, variant->be, self->epfd, fan, DATA + 3,
			      kernel_series(false) ? 0 : -1, "a fanotify group");
}

/*
 * An event descriptor fanotify opened, FMODE_NONOTIFY on every kernel:
 * fanotify reports events only of regular files and directories, which
 * cannot be watched, so ADD fails with EPERM on both, and xepoll holds
 * nothing for the refused ADD. Root: marks with event descriptors need
 * CAP_SYS_ADMIN.
 */
TEST_F(release_nonotify, fanotify_event_fd_refused_holding_nothing)
{
	long pinned0 = self->xep ? read_long(PINNED) : 0;
	struct fanotify_event_metadata md[2];
	struct pollfd p;
	char path[64];
	int fan, f, fd;

	if (geteuid())
		SKIP(return, "a fanotify mark with event descriptors needs CAP_SYS_ADMIN: the root run covers it");
	fan = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_CLOEXEC);
	if (fan < 0 && (errno == ENOSYS || errno == EINVAL))
		SKIP(return, "fanotify_init: %s (CONFIG_FANOTIFY)", strerror(errno));
	ASSERT_LE(0, fan);
	snprintf(path, sizeof(path), "/tmp/release_test.file.%d", getpid());
	f = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, f);
	close(f);
	ASSERT_EQ(0, fanotify_mark(fan, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, path));
	f = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, f);
	p = (struct pollfd){ .fd = fan, .events = POLLIN };
	EXPECT_EQ(1, poll(&p, 1, SYNC_MS));
	ASSERT_LE((ssize_t)sizeof(md[0]), read(fan, md, sizeof(md)));
	fd = md[0].fd;
	ASSERT_LE(0, fd);
	EXPECT_ERRNO(EPERM, backend_add(variant->be, self->epfd, fd, EPOLLIN, DATA + 4));
	if (self->xep)
		EXPECT_EQ(pinned0, read_long(PINNED));
	EXPECT_EQ(0, count_registrations(self->epfd));
	close(fd);
	close(f);
	close(fan);
	unlink(path);
}

/*
 * A pty master: ptmx_open() sets FMODE_NONOTIFY, so xepoll holds it on
 * 6.1; on 6.12 with CONFIG_FANOTIFY_ACCESS_PERMISSIONS (Debian's), the open
 * has set FMODE_NONOTIFY_PERM first, which leaves the close announced, so
 * xepoll, like epoll, releases it at its close (without that option, as on
 * the debug kernel, it is held; ptmx_announced_612() tells which, as root).
 * Either way, the slave sees the hang-up once the master is gone.
 */
TEST_F(release_nonotify, ptmx_master)
{
	int series = kernel_series(false);
	struct pollfd p;
	int m, slave, held;

	m = open_pty(&slave);
	if (m < 0 && (errno == ENOENT || errno == ENODEV || errno == ENXIO))
		SKIP(return, "no /dev/ptmx here: %s", strerror(errno));
	ASSERT_LE(0, m);
	ASSERT_LE(0, slave);
	held = series == 61 ? 1 : -1;
	if (series == 612) {
		held = ptmx_announced_612();
		if (held >= 0)
			held = !held;
	}
	add_close_unannounced(_metadata, variant->be, self->epfd, m, DATA + 5,
			      held, "a pty master");
	p = (struct pollfd){ .fd = slave, .events = POLLIN };
	EXPECT_EQ(1, poll(&p, 1, END_WAIT_MS));
	EXPECT_TRUE(p.revents & POLLHUP) TH_LOG("slave revents %#x", p.revents);
	close(slave);
}

/* Does xepoll hold a pty master here? -1 if it cannot be asked. */
static int ptmx_held_here(void)
{
	long pinned0 = read_long(PINNED);
	int ep = xepoll_create1(EPOLL_CLOEXEC), m = open_pty(NULL), held = -1;

	if (pinned0 >= 0 && ep >= 0 && m >= 0 &&
	    !backend_add(&backend_xepoll, ep, m, EPOLLIN, 0))
		held = read_long(PINNED) == pinned0 + 1;
	if (m >= 0)
		close(m);
	if (ep >= 0)
		close(ep);
	return held;
}

/* What the limited child of the next case saw. */
struct held_report {
	int step, errnum;
	int added;		/* ADDs that succeeded */
	int add_err;		/* the errno of the first that failed, or 0 */
	long pinned_during, pinned_after;
};

#define HELD_TRIES	(NOFILE + 8)

/*
 * As nobody with RLIMIT_NOFILE=64: open a pty master (unannounced on 6.1,
 * and on 6.12 without CONFIG_FANOTIFY_ACCESS_PERMISSIONS: the one pollable
 * unannounced file; xepoll is asked whether it holds one), ADD it, close
 * it, HELD_TRIES times. epoll holds none and accepts every ADD; xepoll holds
 * each, refuses the 65th with EMFILE (xepoll's bound), and lets them all
 * go with the instance.
 */
TEST_F_TIMEOUT(release_nonotify, held_files_bounded_by_rlimit_nofile, 120)
{
	const struct backend *be = variant->be;
	bool xep = self->xep;
	struct held_report r = { .step = -1 };
	long pinned0 = xep ? read_long(PINNED) : 0;
	int rep[2], status, held;
	pid_t pid;

	held = ptmx_held_here();
	if (held < 0)
		SKIP(return, "xepoll cannot be asked here whether it holds a pty master");
	if (!held)
		SKIP(return, "no pollable file is unannounced here: a pty master's close is announced (6.12 with CONFIG_FANOTIFY_ACCESS_PERMISSIONS), fanotify's group descriptors' too, and its event descriptors are of files that cannot be watched");
	ASSERT_EQ(0, pipe2(rep, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct held_report c = { 0 };
		int ep, i, fd;

		if (limit_self()) {
			c.step = 1;
			c.errnum = errno;
			goto out;
		}
		ep = be->create1(EPOLL_CLOEXEC);
		for (i = 0; i < HELD_TRIES; i++) {
			fd = open_pty(NULL);
			if (fd < 0) {
				c.step = 2;
				c.errnum = errno;
				break;
			}
			if (backend_add(be, ep, fd, EPOLLIN, i)) {
				c.add_err = errno;
				close(fd);
				break;
			}
			c.added++;
			close(fd);
		}
		c.pinned_during = xep ? read_long(PINNED) : 0;
		close(ep);
		c.pinned_after = xep ? read_long(PINNED) : 0;
out:
		send_blob(rep[1], &c, sizeof(c));
		_exit(0);
	}
	EXPECT_EQ(0, recv_blob(rep[0], &r, sizeof(r), 4 * SYNC_MS));
	status = reap_child(pid, SYNC_MS);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x", status);
	close(rep[0]);
	close(rep[1]);
	ASSERT_EQ(0, r.step) TH_LOG("step %d: %s", r.step, strerror(r.errnum));
	TH_LOG("%s: %d of %d ADDs of closed pty masters succeeded (%s)", be->name,
	       r.added, HELD_TRIES, r.add_err ? strerror(r.add_err) : "no error");
	if (!xep) {
		EXPECT_EQ(HELD_TRIES, r.added);
		EXPECT_EQ(0, r.add_err);
		return;
	}
	EXPECT_EQ(NOFILE, r.added);
	EXPECT_EQ(EMFILE, r.add_err);
	EXPECT_EQ(pinned0 + NOFILE, r.pinned_during);
	EXPECT_EQ(pinned0, r.pinned_after);
}

/* The exec'd child of fork_child_execs_with_last_copy: "I run", then wait. */
static int linger(int argc, char **argv)
{
	char c;

	if (argc < 4)
		return 2;
	if (write(atoi(argv[2]), "r", 1) != 1)
		return 3;
	return read(atoi(argv[3]), &c, 1) < 0 ? 4 : 0;
}

/*
 * `release_test --hold-idle-mark`, for modload_test.sh: watch eventfds
 * and a FIFO, delete the watches and close the instance, so that xepoll
 * keeps their inodes' marks idle and holds nothing of the module; print
 * "ready" and sleep until killed, whose closes then come after unload.
 */
static int hold_idle_mark(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	char path[64];
	int epfd, fd[3], i;

	snprintf(path, sizeof(path), "/tmp/release_test.held.%d", getpid());
	epfd = xepoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return perror("xepoll_create1"), 1;
	fd[0] = eventfd(0, EFD_CLOEXEC);
	fd[1] = eventfd(0, EFD_CLOEXEC);
	if (mkfifo(path, 0600))
		return perror(path), 1;
	fd[2] = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	unlink(path);
	for (i = 0; i < 3; i++) {
		if (fd[i] < 0 || xepoll_ctl(epfd, EPOLL_CTL_ADD, fd[i], &ev) ||
		    xepoll_ctl(epfd, EPOLL_CTL_DEL, fd[i], NULL))
			return perror("ADD, DEL"), 1;
	}
	close(epfd);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], LINGER_ARG))
		return linger(argc, argv);
	if (argc == 2 && !strcmp(argv[1], "--hold-idle-mark"))
		return hold_idle_mark();
	return test_harness_run(argc, argv);
}
