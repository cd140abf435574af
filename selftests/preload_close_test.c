// SPDX-License-Identifier: GPL-2.0
/*
 * Closing under the LD_PRELOAD interposer: an unmodified epoll program gets
 * epoll's close semantics, by every path a watched file can die, from the
 * kernel alone; the interposer no longer stands in for any close call.
 *
 * The program is written for plain epoll and knows nothing of xepoll (but
 * for the number of the deprecated XEPOLL_IOC_CLOSE, which one case forbids
 * with seccomp). tests.list runs it twice: as it is (native epoll, which
 * proves each behavioural assertion is epoll's) and under
 * LD_PRELOAD=/lib/libxepoll-preload.so, where every instance must be an
 * xepoll instance (checked, so that the test cannot pass uninterposed).
 *
 * The watched socket of each case is registered for EPOLLOUT, so it is
 * ready all along: a registration that outlived its file would go on
 * reporting it. "Released" means both that the peer sees EOF and that the
 * instance reports nothing any more.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/xepoll.h>

#include "kselftest_harness.h"

extern char **environ;

/* The data of the watched socket's registration. */
#define TAG	0x5eed0fdeadULL

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

/* A nonblocking read of @fd: 0 at EOF, -1 with EAGAIN when nothing is there. */
static ssize_t peek(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_DONTWAIT);
}

/* The number of events ready now; the data of the first in *@data. */
static int ready_data(int epfd, uint64_t *data)
{
	struct epoll_event ev[4];
	int n = epoll_wait(epfd, ev, 4, 0);

	if (n > 0 && data)
		*data = ev[0].data.u64;
	return n;
}

static int ready(int epfd)
{
	return ready_data(epfd, NULL);
}

/* The peer @peer sees no EOF and the registration reports, with its data. */
#define ASSERT_ALIVE(epfd, peer) do {					\
	uint64_t _data = 0;						\
									\
	ASSERT_EQ(-1, peek(peer));					\
	ASSERT_EQ(EAGAIN, errno);					\
	ASSERT_EQ(1, ready_data(epfd, &_data));				\
	ASSERT_EQ(TAG, _data);						\
} while (0)

/* The peer sees EOF, and the instance reports nothing. */
#define ASSERT_RELEASED(epfd, peer) do {				\
	ASSERT_EQ(0, peek(peer));					\
	ASSERT_EQ(0, ready(epfd));					\
} while (0)

/*
 * A program exec'd by a case: this binary again, with its role in the
 * environment, run from a constructor before the harness's main().
 */
#define CHILD_ROLE	"PRELOAD_CLOSE_TEST_ROLE"
#define CHILD_FDS	"PRELOAD_CLOSE_TEST_FDS"

/*
 * "hold" (fds: W, R): write a byte to W, then wait for EOF on R and exit.
 * Its exec has closed every close-on-exec descriptor by the time it
 * writes, and it still holds the others until R ends.
 *
 * "inherited" (fds: E, S): E is an instance inherited across execve() that
 * watches S with TAG: it must report S, DEL it and report nothing after.
 */
static int child_main(const char *role, int a, int b)
{
	struct epoll_event ev;
	char c, buf[PATH_MAX];

	if (!strcmp(role, "hold")) {
		if (write(a, "x", 1) != 1)
			return 10;
		while (read(b, &c, 1) > 0)
			;
		return 0;
	}
	if (!strcmp(role, "inherited")) {
		if (strcmp(expected_kind(), fd_kind(a, buf, sizeof(buf))))
			return 20;
		if (epoll_wait(a, &ev, 1, 1000) != 1 || ev.data.u64 != TAG)
			return 21;
		if (epoll_ctl(a, EPOLL_CTL_DEL, b, NULL))
			return 22;
		if (epoll_wait(a, &ev, 1, 0) != 0)
			return 23;
		return 0;
	}
	return 99;
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
	_exit(child_main(role, a, b));
}

/* The environment of a child in @role with descriptors @a and @b. */
static void child_env(const char *role, int a, int b)
{
	char fds[32];

	snprintf(fds, sizeof(fds), "%d,%d", a, b);
	setenv(CHILD_ROLE, role, 1);
	setenv(CHILD_FDS, fds, 1);
}

static void unset_child_env(void)
{
	unsetenv(CHILD_ROLE);
	unsetenv(CHILD_FDS);
}

FIXTURE(pair) {
	int epfd;
	int sv[2];	/* sv[0] is watched, sv[1] is the peer */
};

FIXTURE_SETUP(pair)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP,
		.data.u64 = TAG,
	};
	char buf[PATH_MAX];

	self->epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
	ASSERT_STREQ(expected_kind(), fd_kind(self->epfd, buf, sizeof(buf)));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, self->sv));
	ASSERT_EQ(0, epoll_ctl(self->epfd, EPOLL_CTL_ADD, self->sv[0], &ev));
	ASSERT_ALIVE(self->epfd, self->sv[1]);
}

FIXTURE_TEARDOWN(pair)
{
	close(self->sv[1]);
	close(self->epfd);
}

TEST_F(pair, close)
{
	ASSERT_EQ(0, close(self->sv[0]));
	ASSERT_RELEASED(self->epfd, self->sv[1]);
}

TEST_F(pair, syscall_close)
{
	ASSERT_EQ(0, syscall(SYS_close, self->sv[0]));
	ASSERT_RELEASED(self->epfd, self->sv[1]);
}

/* A close no library call sees. */
TEST_F(pair, raw_syscall_close)
{
#ifdef __x86_64__
	long ret, nr = SYS_close, fd = self->sv[0];

	__asm__ volatile ("syscall" : "=a" (ret) : "0" (nr), "D" (fd)
			  : "rcx", "r11", "memory");
	ASSERT_EQ(0, ret);
	ASSERT_RELEASED(self->epfd, self->sv[1]);
#else
	SKIP(return, "the raw system call is written for x86-64");
#endif
}

TEST_F(pair, close_range)
{
	ASSERT_EQ(0, close_range(self->sv[0], self->sv[0], 0));
	ASSERT_RELEASED(self->epfd, self->sv[1]);
}

TEST_F(pair, syscall_close_range)
{
	ASSERT_EQ(0, syscall(SYS_close_range, self->sv[0], self->sv[0], 0));
	ASSERT_RELEASED(self->epfd, self->sv[1]);
}

/*
 * A dup keeps the file, so the registration stays and reports under the
 * closed number, as epoll keeps it; closing the dup, here with
 * closefrom() over it, ends both.
 */
TEST_F(pair, dup_keeps_file_until_closefrom)
{
	int high = fcntl(self->sv[0], F_DUPFD_CLOEXEC, 512);

	ASSERT_LE(512, high);
	ASSERT_EQ(0, close(self->sv[0]));
	ASSERT_ALIVE(self->epfd, self->sv[1]);
	closefrom(high);
	ASSERT_EQ(-1, fcntl(high, F_GETFD));
	ASSERT_RELEASED(self->epfd, self->sv[1]);
}

/* dup2() and dup3() onto the watched descriptor close its file. */
TEST_F(pair, dup2_over_watched)
{
	int other = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_LE(0, other);
	ASSERT_EQ(self->sv[0], dup2(other, self->sv[0]));
	ASSERT_EQ(0, close(other));
	ASSERT_RELEASED(self->epfd, self->sv[1]);
	close(self->sv[0]);
}

TEST_F(pair, dup3_over_watched)
{
	int other = socket(AF_UNIX, SOCK_STREAM, 0);

	ASSERT_LE(0, other);
	ASSERT_EQ(self->sv[0], dup3(other, self->sv[0], O_CLOEXEC));
	ASSERT_EQ(FD_CLOEXEC, fcntl(self->sv[0], F_GETFD));
	ASSERT_EQ(0, close(other));
	ASSERT_RELEASED(self->epfd, self->sv[1]);
	close(self->sv[0]);
}

TEST_F(pair, syscall_dup3_over_watched)
{
	int other = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_LE(0, other);
	ASSERT_EQ(self->sv[0], syscall(SYS_dup3, other, self->sv[0], 0));
	ASSERT_EQ(0, close(other));
	ASSERT_RELEASED(self->epfd, self->sv[1]);
	close(self->sv[0]);
}

/* glibc closes a stream's descriptor from inside the library. */
TEST_F(pair, fclose)
{
	FILE *f = fdopen(self->sv[0], "r+");

	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, fclose(f));
	ASSERT_RELEASED(self->epfd, self->sv[1]);
}

/* A forked child holds the last copy: its exit closes the file. */
TEST_F(pair, last_copy_in_child_exit)
{
	int p[2], status;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(p[1]);
		while (read(p[0], &c, 1) > 0)
			;
		_exit(0);	/* with sv[0] still open */
	}
	close(p[0]);
	ASSERT_EQ(0, close(self->sv[0]));
	ASSERT_ALIVE(self->epfd, self->sv[1]);
	close(p[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	ASSERT_RELEASED(self->epfd, self->sv[1]);
}

/*
 * A forked child holds the last copy, close-on-exec: its execve() closes
 * the file, while the child lives on.
 */
TEST_F(pair, last_copy_closed_by_exec)
{
	int go[2], up[2], stay[2], status;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	ASSERT_EQ(0, pipe(up));		/* up[1]: the exec'd child's */
	ASSERT_EQ(0, pipe(stay));	/* stay[0]: the exec'd child's */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *argv[] = { "preload_close_test", NULL };

		close(go[1]);
		close(up[0]);
		close(stay[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		child_env("hold", up[1], stay[0]);
		execve("/proc/self/exe", argv, environ);
		_exit(2);
	}
	close(go[0]);
	close(up[1]);
	close(stay[0]);
	ASSERT_EQ(0, close(self->sv[0]));
	ASSERT_ALIVE(self->epfd, self->sv[1]);
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(1, read(up[0], &c, 1));
	/* Exec'd and still running: its execve() closed the last copy. */
	ASSERT_EQ(0, kill(pid, 0));
	ASSERT_RELEASED(self->epfd, self->sv[1]);
	close(stay[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
}

/*
 * posix_spawn()'s file actions give the spawned program a copy (glibc
 * duplicates and closes descriptors inside the library); once it holds the
 * last one, its exit closes the file.
 */
TEST_F(pair, last_copy_in_posix_spawn_child)
{
	posix_spawn_file_actions_t fa;
	int up[2], stay[2], status;
	char *argv[] = { "preload_close_test", NULL };
	const int copy = 200;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(stay));
	ASSERT_EQ(0, posix_spawn_file_actions_init(&fa));
	ASSERT_EQ(0, posix_spawn_file_actions_adddup2(&fa, self->sv[0], copy));
	ASSERT_EQ(0, posix_spawn_file_actions_addclose(&fa, up[0]));
	ASSERT_EQ(0, posix_spawn_file_actions_addclose(&fa, stay[1]));
	child_env("hold", up[1], stay[0]);
	ASSERT_EQ(0, posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ));
	unset_child_env();
	posix_spawn_file_actions_destroy(&fa);
	close(up[1]);
	close(stay[0]);
	ASSERT_EQ(1, read(up[0], &c, 1));
	ASSERT_EQ(0, close(self->sv[0]));
	ASSERT_ALIVE(self->epfd, self->sv[1]);
	close(stay[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	ASSERT_RELEASED(self->epfd, self->sv[1]);
}

/*
 * Another thread blocked in read() holds the file across the close: the
 * file goes when that read returns, as with epoll.
 */
struct reader {
	int fd;
	pid_t tid;
	ssize_t ret;
};

static void *blocked_reader(void *arg)
{
	struct reader *r = arg;
	char c;

	__atomic_store_n(&r->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	r->ret = read(r->fd, &c, 1);
	return NULL;
}

/* Whether thread @tid sleeps in read(): its syscall file says so. */
static int in_read(pid_t tid)
{
	char path[64], buf[64] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "running", or the number of the system call it sleeps in. */
	return strncmp(buf, "running", 7) && atol(buf) == SYS_read;
}

TEST_F(pair, close_during_blocked_read)
{
	struct reader r = { .fd = self->sv[0] };
	pthread_t t;
	int i, ok = 0;

	ASSERT_EQ(0, pthread_create(&t, NULL, blocked_reader, &r));
	for (i = 0; i < 500 && ok <= 0; i++) {
		pid_t tid = __atomic_load_n(&r.tid, __ATOMIC_ACQUIRE);

		ok = tid ? in_read(tid) : 0;
		ASSERT_LE(0, ok) TH_LOG("cannot read /proc/self/task/%d/syscall", tid);
		if (!ok)
			usleep(10000);
	}
	ASSERT_TRUE(ok) TH_LOG("the reader never blocked in read()");
	ASSERT_EQ(0, close(self->sv[0]));
	ASSERT_ALIVE(self->epfd, self->sv[1]);
	ASSERT_EQ(1, write(self->sv[1], "x", 1));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(1, r.ret);
	ASSERT_RELEASED(self->epfd, self->sv[1]);
}

/*
 * The last reference in flight in an SCM_RIGHTS message: dropping the
 * message (closing the socket pair that carries it) closes the file.
 */
TEST_F(pair, last_reference_in_flight_dropped)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "m", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int carrier[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, carrier));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &self->sv[0], sizeof(int));
	ASSERT_EQ(1, sendmsg(carrier[0], &msg, 0));
	ASSERT_EQ(0, close(self->sv[0]));
	ASSERT_ALIVE(self->epfd, self->sv[1]);
	ASSERT_EQ(0, close(carrier[0]));
	ASSERT_EQ(0, close(carrier[1]));
	ASSERT_RELEASED(self->epfd, self->sv[1]);
}

/* Closing the instance first, then the file: both go. */
TEST_F(pair, close_instance_then_fd)
{
	ASSERT_EQ(0, close(self->epfd));
	ASSERT_EQ(0, close(self->sv[0]));
	ASSERT_EQ(0, peek(self->sv[1]));
	self->epfd = epoll_create1(0);
	ASSERT_LE(0, self->epfd);
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
	ASSERT_RELEASED(self->epfd, self->sv[1]);
}

/*
 * An instance inherited across execve(), before the new program created
 * one of its own: its calls reach it (under the interposer, after native
 * epoll refused it).
 */
TEST_F(pair, inherited_instance_after_exec)
{
	int epfd, status;
	pid_t pid;

	epfd = fcntl(self->epfd, F_DUPFD, 0);	/* without close-on-exec */
	ASSERT_LE(0, epfd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *argv[] = { "preload_close_test", NULL };

		child_env("inherited", epfd, self->sv[0]);
		/* The watched socket too, under its number. */
		if (fcntl(self->sv[0], F_SETFD, 0))
			_exit(3);
		execve("/proc/self/exe", argv, environ);
		_exit(2);
	}
	close(epfd);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* The child's DEL was on the shared instance. */
	ASSERT_EQ(0, ready(self->epfd));
	ASSERT_EQ(0, close(self->sv[0]));
	ASSERT_EQ(0, peek(self->sv[1]));
}

/* Many threads closing watched descriptors at once. */
#define THREADS		4
#define ROUNDS		200

static void *closer(void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };
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

/*
 * Nothing issues the deprecated XEPOLL_IOC_CLOSE: with it forbidden (the
 * process is killed if it is made), every way of closing a watched
 * descriptor still releases it.
 */
static int forbid_ioc_close(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, XEPOLL_IOC_CLOSE, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* A watched socket pair in @epfd; the peer in @sv[1]. */
static int watched_pair(int epfd, int sv[2])
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = TAG };

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, sv[0], &ev);
}

TEST(no_close_ioctl_on_any_close_path)
{
	int epfd, sv[2], other, i, status;
	FILE *f;
	pid_t pid;

#ifndef __x86_64__
	SKIP(return, "the filter is written for x86-64");
#endif
	if (forbid_ioc_close()) {
		/* Without CONFIG_SECCOMP_FILTER: ENOSYS, or EINVAL for the mode. */
		ASSERT_TRUE(errno == ENOSYS || errno == EINVAL)
			TH_LOG("seccomp: %s", strerror(errno));
		SKIP(return, "no seccomp filters in this kernel");
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, watched_pair(epfd, sv));
		ASSERT_ALIVE(epfd, sv[1]);
		switch (i) {
		case 0:
			ASSERT_EQ(0, close(sv[0]));
			break;
		case 1:
			ASSERT_EQ(0, syscall(SYS_close, sv[0]));
			break;
		case 2:
			other = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			ASSERT_LE(0, other);
			ASSERT_EQ(sv[0], dup2(other, sv[0]));
			close(other);
			break;
		case 3:
			other = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			ASSERT_LE(0, other);
			ASSERT_EQ(sv[0], dup3(other, sv[0], O_CLOEXEC));
			close(other);
			break;
		case 4:
			ASSERT_EQ(0, close_range(sv[0], sv[0], 0));
			break;
		case 5:
			other = fcntl(sv[0], F_DUPFD_CLOEXEC, 700);
			ASSERT_LE(700, other);
			close(sv[0]);
			closefrom(other);
			break;
		case 6:
			f = fdopen(sv[0], "r+");
			ASSERT_NE(NULL, f);
			ASSERT_EQ(0, fclose(f));
			break;
		case 7:
			pid = fork();
			ASSERT_LE(0, pid);
			if (pid == 0)
				_exit(0);
			ASSERT_EQ(0, close(sv[0]));
			ASSERT_EQ(pid, waitpid(pid, &status, 0));
			ASSERT_EQ(0, status);
			break;
		}
		EXPECT_EQ(0, peek(sv[1])) TH_LOG("close path %d: no EOF", i);
		EXPECT_EQ(0, ready(epfd)) TH_LOG("close path %d: still reported", i);
		if (i == 2 || i == 3)
			close(sv[0]);
		close(sv[1]);
	}
	close(epfd);
}

/* Which loaded object defines @name, as the program's calls resolve it. */
static const char *definer(const char *name, char *buf, size_t size)
{
	void *p = dlsym(RTLD_DEFAULT, name);
	Dl_info info;

	if (!p || !dladdr(p, &info) || !info.dli_fname)
		return "";
	snprintf(buf, size, "%s", info.dli_fname);
	return buf;
}

/*
 * The program's close calls are the C library's own; its epoll calls are
 * the interposer's when it is loaded (which shows the check can tell).
 */
TEST(close_calls_are_not_interposed)
{
	static const char *const closers[] = {
		"close", "dup2", "dup3", "close_range", "closefrom", "fclose",
	};
	char buf[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(closers) / sizeof(closers[0]); i++) {
		definer(closers[i], buf, sizeof(buf));
		EXPECT_NE('\0', buf[0]) TH_LOG("%s not found", closers[i]);
		EXPECT_EQ(NULL, strstr(buf, "libxepoll-preload"))
			TH_LOG("%s comes from %s", closers[i], buf);
	}
	definer("epoll_create1", buf, sizeof(buf));
	EXPECT_EQ(interposed(), !!strstr(buf, "libxepoll-preload"))
		TH_LOG("epoll_create1 comes from %s", buf);
}

/*
 * The interposer's dynamic symbol table defines exactly what it stands in
 * for: syscall(), ioctl() (for epoll's busy-poll ioctls) and the epoll
 * calls.
 */
TEST(interposer_exports_only_epoll)
{
	static const char *const wanted[] = {
		"syscall", "ioctl", "epoll_create", "epoll_create1", "epoll_ctl",
		"epoll_wait", "epoll_pwait", "epoll_pwait2",
	};
	const char *path = getenv("LD_PRELOAD");
	unsigned int found = 0, i, j, n;
	const ElfW(Shdr) *sh;
	const ElfW(Ehdr) *eh;
	const ElfW(Sym) *sym;
	const char *str;
	struct stat st;
	void *map;
	int fd;

	if (!interposed())
		SKIP(return, "no interposer in this run");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, fstat(fd, &st));
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	close(fd);
	eh = map;
	ASSERT_EQ(0, memcmp(eh->e_ident, ELFMAG, SELFMAG));
	sh = (const void *)((const char *)map + eh->e_shoff);
	for (i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_DYNSYM)
			continue;
		sym = (const void *)((const char *)map + sh[i].sh_offset);
		str = (const char *)map + sh[sh[i].sh_link].sh_offset;
		n = (unsigned int)(sh[i].sh_size / sizeof(*sym));
		for (j = 0; j < n; j++) {
			const char *name = str + sym[j].st_name;
			unsigned int k, bind = ELF64_ST_BIND(sym[j].st_info);

			if (sym[j].st_shndx == SHN_UNDEF ||
			    (bind != STB_GLOBAL && bind != STB_WEAK))
				continue;
			for (k = 0; k < sizeof(wanted) / sizeof(wanted[0]); k++)
				if (!strcmp(name, wanted[k]))
					break;
			EXPECT_LT(k, sizeof(wanted) / sizeof(wanted[0]))
				TH_LOG("%s also exports %s", path, name);
			if (k < sizeof(wanted) / sizeof(wanted[0]))
				found |= 1U << k;
		}
	}
	EXPECT_EQ((1U << (sizeof(wanted) / sizeof(wanted[0]))) - 1, found);
	munmap(map, (size_t)st.st_size);
}

/*
 * The interposer keeps no descriptor of its own: an instance takes the
 * lowest free number, as epoll's does, and nothing but it is left open.
 */
TEST(no_hidden_descriptor)
{
	int lowest, epfd, fd, left = 0;
	char buf[PATH_MAX];

	lowest = fcntl(0, F_DUPFD_CLOEXEC, 0);
	ASSERT_LE(0, lowest);
	close(lowest);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_EQ(lowest, epfd);
	for (fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) >= 0 &&
		    !strcmp(fd_kind(fd, buf, sizeof(buf)), "/dev/xepoll"))
			left++;
	ASSERT_EQ(0, left);
	close(epfd);
}

/* close_range() and closefrom() over everything leave nothing open. */
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

/*
 * A native epoll instance in a process whose instances are the
 * interposer's (one it was given, or made behind the interposer's back:
 * here the C library's own epoll_create1()): every epoll entry point acts
 * on it, as epoll's would; and on a file that is no instance, or a closed
 * descriptor, each fails as epoll's does, the syscall() forms too, which
 * libxepoll must not bring back to itself on the way to the kernel's
 * epoll.
 */
TEST(native_instance_and_non_instances)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = TAG }, out[2];
	struct timespec ts = { 0, 0 };
	int (*libc_create1)(int);
	char buf[PATH_MAX];
	int xep, ep, sv[2], closed, i;
	void *libc;

	libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	ASSERT_NE(NULL, libc);
	libc_create1 = (int (*)(int))dlsym(libc, "epoll_create1");
	ASSERT_NE(NULL, libc_create1);
	/* The process's own kind first, which decides the interposer. */
	xep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, xep);
	ASSERT_STREQ(expected_kind(), fd_kind(xep, buf, sizeof(buf)));
	ep = libc_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_STREQ("anon_inode:[eventpoll]", fd_kind(ep, buf, sizeof(buf)));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	closed = dup(sv[1]);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));

	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	ASSERT_EQ(-1, syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, sv[0], &ev));
	ASSERT_EQ(EEXIST, errno);
	ASSERT_EQ(1, epoll_wait(ep, out, 2, 0));
	ASSERT_EQ(TAG, out[0].data.u64);
	ASSERT_EQ(1, epoll_pwait(ep, out, 2, 0, NULL));
	ASSERT_EQ(1, epoll_pwait2(ep, out, 2, &ts, NULL));
	ASSERT_EQ(1, syscall(SYS_epoll_wait, ep, out, 2, 0));
	ASSERT_EQ(1, syscall(SYS_epoll_pwait2, ep, out, 2, &ts, NULL, 0));
	ASSERT_EQ(0, syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, sv[0], NULL));
	ASSERT_EQ(0, epoll_wait(ep, out, 2, 0));

	/* A socket (EINVAL), then a closed descriptor (EBADF). */
	for (i = 0; i < 2; i++) {
		int epfd = i ? closed : sv[1], err = i ? EBADF : EINVAL;

		EXPECT_EQ(-1, epoll_ctl(epfd, EPOLL_CTL_ADD, sv[0], &ev));
		EXPECT_EQ(err, errno);
		EXPECT_EQ(-1, syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_ADD, sv[0], &ev));
		EXPECT_EQ(err, errno);
		EXPECT_EQ(-1, epoll_wait(epfd, out, 2, 0));
		EXPECT_EQ(err, errno);
		EXPECT_EQ(-1, syscall(SYS_epoll_wait, epfd, out, 2, 0));
		EXPECT_EQ(err, errno);
		EXPECT_EQ(-1, syscall(SYS_epoll_pwait, epfd, out, 2, 0, NULL, 0));
		EXPECT_EQ(err, errno);
		EXPECT_EQ(-1, syscall(SYS_epoll_pwait2, epfd, out, 2, &ts, NULL, 0));
		EXPECT_EQ(err, errno);
		/* The event is read before either descriptor is looked at. */
		EXPECT_EQ(-1, syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_ADD, closed, NULL));
		EXPECT_EQ(EFAULT, errno);
	}
	close(sv[0]);
	close(sv[1]);
	close(ep);
	close(xep);
}

/*
 * 6.12's busy-poll ioctls, as an epoll program calls them (bookworm's
 * headers have neither the numbers nor struct epoll_params): the same
 * answers natively and interposed, where they become xepoll's ioctls.
 */
struct ep_params {
	uint32_t busy_poll_usecs;
	uint16_t busy_poll_budget;
	uint8_t prefer_busy_poll;
	uint8_t pad;
};

#define EP_IOCSPARAMS	_IOW(0x8A, 0x01, struct ep_params)
#define EP_IOCGPARAMS	_IOR(0x8A, 0x02, struct ep_params)

TEST(busy_poll_ioctls)
{
	struct ep_params in = { 50, 16, 1, 0 }, out = { 1, 1, 1, 1 };
	struct utsname u;
	int epfd, ma = 0, mi = 0, pfd[2];

	ASSERT_EQ(0, uname(&u));
	sscanf(u.release, "%d.%d", &ma, &mi);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	if (ma < 6 || (ma == 6 && mi < 9)) {
		/* No such ioctls before 6.9, on epoll or through the interposer. */
		EXPECT_EQ(-1, ioctl(epfd, EP_IOCSPARAMS, &in));
		EXPECT_EQ(ENOTTY, errno);
		EXPECT_EQ(-1, syscall(SYS_ioctl, epfd, EP_IOCGPARAMS, &out));
		EXPECT_EQ(ENOTTY, errno);
		close(epfd);
		return;
	}
	ASSERT_EQ(0, ioctl(epfd, EP_IOCGPARAMS, &out));
	EXPECT_EQ(0U, out.busy_poll_usecs);
	EXPECT_EQ(0, out.pad);
	ASSERT_EQ(0, ioctl(epfd, EP_IOCSPARAMS, &in));
	ASSERT_EQ(0, syscall(SYS_ioctl, epfd, EP_IOCGPARAMS, &out));
	EXPECT_EQ(0, memcmp(&in, &out, sizeof(in)));
	in.pad = 1;
	EXPECT_EQ(-1, ioctl(epfd, EP_IOCSPARAMS, &in));
	EXPECT_EQ(EINVAL, errno);
	in.pad = 0;
	in.busy_poll_budget = 65;
	EXPECT_EQ(geteuid() ? -1 : 0, syscall(SYS_ioctl, epfd, EP_IOCSPARAMS, &in));
	if (geteuid())
		EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ioctl(epfd, EP_IOCGPARAMS, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* Another file answers for itself. */
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	EXPECT_EQ(-1, ioctl(pfd[0], EP_IOCGPARAMS, &out));
	EXPECT_EQ(ENOTTY, errno);
	/* Other requests pass through. */
	EXPECT_EQ(0, ioctl(pfd[0], FIONREAD, &mi));
	EXPECT_EQ(0, mi);
	close(pfd[0]);
	close(pfd[1]);
	close(epfd);
}

TEST_HARNESS_MAIN
