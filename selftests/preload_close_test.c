// SPDX-License-Identifier: GPL-2.0
/*
 * Closing under the LD_PRELOAD interposer: an unmodified epoll program that
 * closes a watched descriptor must see what it sees on epoll.
 *
 * The program is written for plain epoll and knows nothing of xepoll.
 * tests.list runs it twice: as it is (native epoll, which proves each
 * assertion is epoll's behaviour) and under
 * LD_PRELOAD=/lib/libxepoll-preload.so, where every instance must be an
 * xepoll instance (checked, so that the test cannot pass uninterposed).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/close_range.h>

#include "kselftest_harness.h"

/* Whether this run is under the interposer. */
static int interposed(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "libxepoll-preload");
}

/* What /proc/self/fd says @fd is. */
static const char *fd_kind(int fd, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, size - 1);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static const char *expected_kind(void)
{
	return interposed() ? "anon_inode:[xepoll]" : "anon_inode:[eventpoll]";
}

/* The descriptor of /dev/xepoll the interposer keeps, or -1. */
static int cached_device_fd(void)
{
	char buf[PATH_MAX];
	int fd;

	for (fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) >= 0 &&
		    !strcmp(fd_kind(fd, buf, sizeof(buf)), "/dev/xepoll"))
			return fd;
	return -1;
}

/* A nonblocking read of @fd: 0 at EOF, -1 with EAGAIN when nothing is there. */
static ssize_t peek(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_DONTWAIT);
}

static int ready(int epfd)
{
	struct epoll_event ev[4];

	return epoll_wait(epfd, ev, 4, 0);
}

FIXTURE(pair) {
	int epfd;
	int sv[2];	/* sv[0] is watched, sv[1] is the peer */
};

FIXTURE_SETUP(pair)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	char buf[PATH_MAX];

	self->epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
	ASSERT_STREQ(expected_kind(), fd_kind(self->epfd, buf, sizeof(buf)));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, self->sv));
	ev.data.fd = self->sv[0];
	ASSERT_EQ(0, epoll_ctl(self->epfd, EPOLL_CTL_ADD, self->sv[0], &ev));
	ASSERT_EQ(-1, peek(self->sv[1]));
	ASSERT_EQ(EAGAIN, errno);
}

FIXTURE_TEARDOWN(pair)
{
	close(self->sv[1]);
	close(self->epfd);
}

/* The peer sees EOF at once and the instance reports nothing. */
static void assert_released(struct __test_metadata *_metadata,
			    FIXTURE_DATA(pair) *self)
{
	ASSERT_EQ(0, peek(self->sv[1]));
	ASSERT_EQ(0, ready(self->epfd));
}

TEST_F(pair, close_gives_peer_eof)
{
	ASSERT_EQ(0, close(self->sv[0]));
	assert_released(_metadata, self);
}

TEST_F(pair, syscall_close_gives_peer_eof)
{
	ASSERT_EQ(0, syscall(SYS_close, self->sv[0]));
	assert_released(_metadata, self);
}

TEST_F(pair, close_range_gives_peer_eof)
{
	ASSERT_EQ(0, close_range(self->sv[0], self->sv[0], 0));
	assert_released(_metadata, self);
}

TEST_F(pair, syscall_close_range_gives_peer_eof)
{
	ASSERT_EQ(0, syscall(SYS_close_range, self->sv[0], self->sv[0], 0));
	assert_released(_metadata, self);
}

/* A dup keeps the file and its registration; closing the dup ends both. */
TEST_F(pair, dup_keeps_registration)
{
	struct epoll_event ev;
	int d = dup(self->sv[0]);
	char c;

	ASSERT_LE(0, d);
	ASSERT_EQ(0, close(self->sv[0]));
	ASSERT_EQ(-1, peek(self->sv[1]));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_EQ(1, write(self->sv[1], "x", 1));
	ASSERT_EQ(1, epoll_wait(self->epfd, &ev, 1, 1000));
	ASSERT_EQ(self->sv[0], ev.data.fd);
	ASSERT_EQ(1, read(d, &c, 1));
	ASSERT_EQ(0, close(d));
	ASSERT_EQ(0, peek(self->sv[1]));
	ASSERT_EQ(0, ready(self->epfd));
}

/* dup2() and dup3() onto a watched descriptor close its file. */
TEST_F(pair, dup2_over_watched_releases)
{
	int other = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_LE(0, other);
	ASSERT_EQ(self->sv[0], dup2(other, self->sv[0]));
	ASSERT_EQ(0, close(other));
	ASSERT_EQ(0, peek(self->sv[1]));
	ASSERT_EQ(0, ready(self->epfd));
	close(self->sv[0]);
}

TEST_F(pair, dup3_over_watched_releases)
{
	int other = socket(AF_UNIX, SOCK_STREAM, 0);

	ASSERT_LE(0, other);
	ASSERT_EQ(self->sv[0], dup3(other, self->sv[0], O_CLOEXEC));
	ASSERT_EQ(FD_CLOEXEC, fcntl(self->sv[0], F_GETFD));
	ASSERT_EQ(0, close(other));
	ASSERT_EQ(0, peek(self->sv[1]));
	ASSERT_EQ(0, ready(self->epfd));
	close(self->sv[0]);
}

/*
 * A copy in a child keeps the file open until the child closes it too.
 * (The child closes it with close(): a close by exit is not interposed.)
 */
TEST_F(pair, dup_in_child_keeps_file)
{
	int p[2], status;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(p[1]);
		if (read(p[0], &c, 1) < 0)
			_exit(1);
		_exit(close(self->sv[0]) ? 2 : 0);
	}
	close(p[0]);
	ASSERT_EQ(0, close(self->sv[0]));
	ASSERT_EQ(-1, peek(self->sv[1]));
	ASSERT_EQ(EAGAIN, errno);
	close(p[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	ASSERT_EQ(0, peek(self->sv[1]));
}

/* Closing the instance releases what only it still held. */
TEST_F(pair, close_instance_then_fd)
{
	ASSERT_EQ(0, close(self->epfd));
	ASSERT_EQ(0, close(self->sv[0]));
	ASSERT_EQ(0, peek(self->sv[1]));
	self->epfd = epoll_create1(0);
	ASSERT_LE(0, self->epfd);
}

/* close()'s own errors. */
TEST_F(pair, close_bad_fd_is_ebadf)
{
	errno = 0;
	ASSERT_EQ(-1, close(-1));
	ASSERT_EQ(EBADF, errno);
	ASSERT_EQ(-1, close(INT_MAX));
	ASSERT_EQ(EBADF, errno);
	ASSERT_EQ(-1, dup2(INT_MAX, self->sv[0]));
	ASSERT_EQ(EBADF, errno);
	/* A failed dup2() closes nothing. */
	ASSERT_EQ(-1, peek(self->sv[1]));
	ASSERT_EQ(EAGAIN, errno);
}

/* Plain files and pipes close as ever. */
TEST(close_unwatched)
{
	int epfd = epoll_create(1), p[2];
	char c;

	ASSERT_LE(0, epfd);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, close(p[1]));
	ASSERT_EQ(0, read(p[0], &c, 1));
	ASSERT_EQ(0, close(p[0]));
	ASSERT_EQ(-1, close(p[0]));
	ASSERT_EQ(EBADF, errno);
	ASSERT_EQ(0, close(epfd));
}

/*
 * The interposer's own descriptor is not the program's: closing it is
 * EBADF, and a dup2() onto its number, or its loss behind the
 * interposer's back, does not break closing.
 */
TEST_F(pair, cached_descriptor_is_not_the_programs)
{
	int dev = cached_device_fd(), other;

	if (!interposed()) {
		ASSERT_EQ(-1, dev);
		SKIP(return, "native epoll keeps no descriptor");
	}
	ASSERT_LE(0, dev);
	EXPECT_EQ(FD_CLOEXEC, fcntl(dev, F_GETFD));
	ASSERT_EQ(-1, close(dev));
	ASSERT_EQ(EBADF, errno);

	/* The program takes the number: the interposer moves away. */
	other = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_LE(0, other);
	ASSERT_EQ(dev, dup2(other, dev));
	ASSERT_EQ(0, close(other));
	ASSERT_NE(dev, cached_device_fd());
	ASSERT_LE(0, cached_device_fd());
	ASSERT_EQ(0, close(dev));	/* the program's socket */

	/* Lost behind its back (a raw close): it notices and reopens. */
#ifdef __x86_64__
	{
		long ret, nr = SYS_close, fd = cached_device_fd();

		__asm__ volatile ("syscall" : "=a" (ret) : "0" (nr), "D" (fd)
				  : "rcx", "r11", "memory");
		ASSERT_EQ(0, ret);
		/* The program now opens a file at that number. */
		ASSERT_EQ(fd, fcntl(self->sv[1], F_DUPFD_CLOEXEC, fd));
		ASSERT_EQ(0, close(self->sv[0]));
		ASSERT_EQ(0, peek(self->sv[1]));
		ASSERT_EQ(0, ready(self->epfd));
		/* The program's file at the old number is untouched. */
		ASSERT_EQ(0, close(fd));
	}
#else
	ASSERT_EQ(0, close(self->sv[0]));
	assert_released(_metadata, self);
#endif
}

/*
 * close_range() and closefrom() over everything close the interposer's
 * descriptor too: nothing is left open.
 */
TEST(close_range_leaves_nothing_open)
{
	int sv[2], epfd = epoll_create1(0), fd, left = 0;
	struct epoll_event ev = { .events = EPOLLIN };
	pid_t pid;
	int status;

	ASSERT_LE(0, epfd);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, epoll_ctl(epfd, EPOLL_CTL_ADD, sv[0], &ev));
	/* A child closes everything but stdio and sv[1], then counts. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (dup2(sv[1], 3) != 3 || close_range(4, ~0U, 0))
			_exit(10);
		for (fd = 4; fd < 4096; fd++)
			if (fcntl(fd, F_GETFD) >= 0)
				left++;
		_exit(left ? 11 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	/* The same with closefrom(). */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (dup2(sv[1], 3) != 3)
			_exit(10);
		closefrom(4);
		for (fd = 4; fd < 4096; fd++)
			if (fcntl(fd, F_GETFD) >= 0)
				left++;
		_exit(left ? 11 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	/* The parent's copies are untouched. */
	ASSERT_EQ(-1, peek(sv[1]));
	ASSERT_EQ(0, close(sv[0]));
	ASSERT_EQ(0, peek(sv[1]));
	close(sv[1]);
	close(epfd);
}

/* Many threads closing watched descriptors at once. */
#define THREADS		4
#define ROUNDS		200

static void *closer(void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int epfd = *(int *)arg, i, sv[2];

	for (i = 0; i < ROUNDS; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
		    epoll_ctl(epfd, EPOLL_CTL_ADD, sv[0], &ev) ||
		    close(sv[0]) || peek(sv[1]) != 0 || close(sv[1]))
			return (void *)1;
	}
	return NULL;
}

TEST(threads_close_watched)
{
	pthread_t t[THREADS];
	int epfd = epoll_create1(0), i;
	void *ret;

	ASSERT_LE(0, epfd);
	for (i = 0; i < THREADS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, closer, &epfd));
	for (i = 0; i < THREADS; i++) {
		ASSERT_EQ(0, pthread_join(t[i], &ret));
		EXPECT_EQ(NULL, ret);
	}
	ASSERT_EQ(0, ready(epfd));
	close(epfd);
}

/* close() from a signal handler. */
static int handler_fd = -1;

static void close_in_handler(int sig)
{
	(void)sig;
	close(handler_fd);
}

TEST_F(pair, close_in_signal_handler)
{
	struct sigaction sa = { .sa_handler = close_in_handler };

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	handler_fd = self->sv[0];
	ASSERT_EQ(0, raise(SIGUSR1));
	assert_released(_metadata, self);
}

/* The raw syscall() forms reach the same instances. */
TEST(syscall_epoll_forms)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 }, out[2];
	struct timespec ts = { 0, 1000000 };
	char buf[PATH_MAX];
	int epfd, sv[2];
	sigset_t set;

	epfd = syscall(SYS_epoll_create1, EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	ASSERT_STREQ(expected_kind(), fd_kind(epfd, buf, sizeof(buf)));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_ADD, sv[0], &ev));
	ASSERT_EQ(-1, syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_ADD, sv[0], &ev));
	ASSERT_EQ(EEXIST, errno);
	ASSERT_EQ(0, syscall(SYS_epoll_wait, epfd, out, 2, 0));
	ASSERT_EQ(1, write(sv[1], "x", 1));
	ASSERT_EQ(1, syscall(SYS_epoll_wait, epfd, out, 2, 0));
	ASSERT_EQ(42, out[0].data.u64);
	sigemptyset(&set);
	ASSERT_EQ(1, syscall(SYS_epoll_pwait, epfd, out, 2, 0, &set, 8));
	ASSERT_EQ(-1, syscall(SYS_epoll_pwait, epfd, out, 2, 0, &set, 4));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(1, syscall(SYS_epoll_pwait2, epfd, out, 2, &ts, NULL, 0));
	ASSERT_EQ(1, epoll_pwait2(epfd, out, 2, &ts, &set));
	ASSERT_EQ(-1, syscall(SYS_epoll_create, 0));
	ASSERT_EQ(EINVAL, errno);
	close(epfd);
	epfd = syscall(SYS_epoll_create, 1);
	ASSERT_LE(0, epfd);
	ASSERT_STREQ(expected_kind(), fd_kind(epfd, buf, sizeof(buf)));
	/* Other numbers pass through. */
	ASSERT_EQ(getpid(), syscall(SYS_getpid));
	close(sv[0]);
	close(sv[1]);
	close(epfd);
}

TEST_HARNESS_MAIN
