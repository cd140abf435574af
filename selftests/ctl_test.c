// SPDX-License-Identifier: GPL-2.0
/*
 * Creating an instance and changing its interest list: epoll_create(),
 * epoll_create1() and epoll_ctl()'s ADD, MOD and DEL, with every error
 * epoll_ctl(2) and epoll_create(2) name and the errno epoll gives.
 *
 * Every case runs against native epoll and against xepoll (backend.h).
 * tests.list runs this file as root and as an unprivileged user.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <unistd.h>

#include "backend.h"
#include "kselftest_harness.h"

#define EV(x)		((uint32_t)(x))

/* An address no process maps (the first page). */
#define BAD_PTR		((struct epoll_event *)1)

FIXTURE(ctl) {
	int epfd;
	int p[2];	/* a pipe: p[0] readable on demand, p[1] writable */
};

FIXTURE_VARIANT(ctl) {
	const struct backend *be;
};

BACKEND_VARIANTS(ctl);

FIXTURE_SETUP(ctl)
{
	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd) TH_LOG("%s create1: %s", variant->be->name,
					 strerror(errno));
	ASSERT_EQ(0, pipe2(self->p, O_CLOEXEC));
}

FIXTURE_TEARDOWN(ctl)
{
	close(self->epfd);
	close(self->p[0]);
	close(self->p[1]);
}

static int ctl(const struct backend *be, int epfd, int op, int fd,
	       uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return be->ctl(epfd, op, fd, &ev);
}

/* How many events are ready now, into @evs (at most 8). */
static int poll_now(const struct backend *be, int epfd, struct epoll_event *evs)
{
	memset(evs, 0, 8 * sizeof(*evs));
	return be->wait(epfd, evs, 8, 0);
}

TEST_F(ctl, add_mod_del)
{
	const struct backend *be = variant->be;
	struct epoll_event evs[8];

	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[1], EPOLLOUT, 1));
	ASSERT_EQ(1, poll_now(be, self->epfd, evs));
	EXPECT_EQ(EV(EPOLLOUT), evs[0].events);
	EXPECT_EQ(1, evs[0].data.u64);

	/* MOD replaces events and data. */
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_MOD, self->p[1], EPOLLIN, 2));
	EXPECT_EQ(0, poll_now(be, self->epfd, evs));
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_MOD, self->p[1], EPOLLOUT, 3));
	ASSERT_EQ(1, poll_now(be, self->epfd, evs));
	EXPECT_EQ(3, evs[0].data.u64);

	/* DEL of a ready registration: nothing more is reported. */
	ASSERT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_DEL, self->p[1], NULL));
	EXPECT_EQ(0, poll_now(be, self->epfd, evs));

	/* It can be added again. */
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[1], EPOLLOUT, 4));
	ASSERT_EQ(1, poll_now(be, self->epfd, evs));
	EXPECT_EQ(4, evs[0].data.u64);
}

/* MOD of a registration that became ready while masked reports it. */
TEST_F(ctl, mod_polls_again)
{
	const struct backend *be = variant->be;
	struct epoll_event evs[8];

	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[0], EPOLLOUT, 1));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	EXPECT_EQ(0, poll_now(be, self->epfd, evs));
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_MOD, self->p[0], EPOLLIN, 1));
	ASSERT_EQ(1, poll_now(be, self->epfd, evs));
	EXPECT_EQ(EV(EPOLLIN), evs[0].events);
}

TEST_F(ctl, ebadf_bad_epfd)
{
	const struct backend *be = variant->be;
	struct epoll_event ev = { .events = EPOLLIN };
	int closed;

	EXPECT_ERRNO(EBADF, be->ctl(-1, EPOLL_CTL_ADD, self->p[0], &ev));
	closed = dup(self->p[0]);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));
	EXPECT_ERRNO(EBADF, be->ctl(closed, EPOLL_CTL_ADD, self->p[0], &ev));
	EXPECT_ERRNO(EBADF, be->ctl(closed, EPOLL_CTL_DEL, self->p[0], NULL));
	EXPECT_ERRNO(EBADF, be->ctl(closed, EPOLL_CTL_MOD, self->p[0], &ev));
}

TEST_F(ctl, ebadf_bad_fd)
{
	const struct backend *be = variant->be;
	struct epoll_event ev = { .events = EPOLLIN };
	int closed;

	closed = dup(self->p[0]);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));
	EXPECT_ERRNO(EBADF, be->ctl(self->epfd, EPOLL_CTL_ADD, -1, &ev));
	EXPECT_ERRNO(EBADF, be->ctl(self->epfd, EPOLL_CTL_ADD, closed, &ev));
	EXPECT_ERRNO(EBADF, be->ctl(self->epfd, EPOLL_CTL_MOD, closed, &ev));
	EXPECT_ERRNO(EBADF, be->ctl(self->epfd, EPOLL_CTL_DEL, closed, NULL));
	/* The descriptor is checked before the op. */
	EXPECT_ERRNO(EBADF, be->ctl(self->epfd, 99, closed, &ev));
	/* DEL reads no event, and MOD reads it first. */
	EXPECT_ERRNO(EBADF, be->ctl(self->epfd, EPOLL_CTL_DEL, closed, BAD_PTR));
	EXPECT_ERRNO(EFAULT, be->ctl(self->epfd, EPOLL_CTL_MOD, -1, BAD_PTR));
}

TEST_F(ctl, eexist)
{
	const struct backend *be = variant->be;

	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[0], EPOLLIN, 1));
	EXPECT_ERRNO(EEXIST, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[0], EPOLLIN, 1));
	EXPECT_ERRNO(EEXIST, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[0], EPOLLOUT, 2));
}

TEST_F(ctl, enoent)
{
	const struct backend *be = variant->be;

	EXPECT_ERRNO(ENOENT, ctl(be, self->epfd, EPOLL_CTL_MOD, self->p[0], EPOLLIN, 1));
	EXPECT_ERRNO(ENOENT, be->ctl(self->epfd, EPOLL_CTL_DEL, self->p[0], NULL));
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[0], EPOLLIN, 1));
	ASSERT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_DEL, self->p[0], NULL));
	EXPECT_ERRNO(ENOENT, be->ctl(self->epfd, EPOLL_CTL_DEL, self->p[0], NULL));
	EXPECT_ERRNO(ENOENT, ctl(be, self->epfd, EPOLL_CTL_MOD, self->p[0], EPOLLIN, 1));
}

/* An instance cannot watch itself. */
TEST_F(ctl, einval_self)
{
	const struct backend *be = variant->be;

	EXPECT_ERRNO(EINVAL, ctl(be, self->epfd, EPOLL_CTL_ADD, self->epfd, EPOLLIN, 1));
	EXPECT_ERRNO(EINVAL, ctl(be, self->epfd, EPOLL_CTL_MOD, self->epfd, EPOLLIN, 1));
	EXPECT_ERRNO(EINVAL, be->ctl(self->epfd, EPOLL_CTL_DEL, self->epfd, NULL));
	/* The event is read first, but by DEL. */
	EXPECT_ERRNO(EFAULT, be->ctl(self->epfd, EPOLL_CTL_ADD, self->epfd, BAD_PTR));
	EXPECT_ERRNO(EINVAL, be->ctl(self->epfd, EPOLL_CTL_DEL, self->epfd, BAD_PTR));
}

/* Not even through another descriptor of the same instance. */
TEST_F(ctl, einval_self_dup)
{
	const struct backend *be = variant->be;
	int dupfd = dup(self->epfd);

	ASSERT_LE(0, dupfd);
	EXPECT_ERRNO(EINVAL, ctl(be, self->epfd, EPOLL_CTL_ADD, dupfd, EPOLLIN, 1));
	close(dupfd);
}

TEST_F(ctl, einval_bad_op)
{
	const struct backend *be = variant->be;

	EXPECT_ERRNO(EINVAL, ctl(be, self->epfd, 0, self->p[0], EPOLLIN, 1));
	EXPECT_ERRNO(EINVAL, ctl(be, self->epfd, 4, self->p[0], EPOLLIN, 1));
	EXPECT_ERRNO(EINVAL, ctl(be, self->epfd, -1, self->p[0], EPOLLIN, 1));
	/* Nothing was added. */
	EXPECT_ERRNO(ENOENT, be->ctl(self->epfd, EPOLL_CTL_DEL, self->p[0], NULL));
}

/* epfd must be an instance of the backend. */
TEST_F(ctl, einval_epfd_not_instance)
{
	const struct backend *be = variant->be;
	int efd = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, efd);
	EXPECT_ERRNO(EINVAL, ctl(be, self->p[0], EPOLL_CTL_ADD, self->p[1], EPOLLIN, 1));
	EXPECT_ERRNO(EINVAL, ctl(be, efd, EPOLL_CTL_ADD, self->p[0], EPOLLIN, 1));
	EXPECT_ERRNO(EINVAL, be->ctl(efd, EPOLL_CTL_DEL, self->p[0], NULL));
	close(efd);
}

/* The target must support polling: a regular file or a directory does not. */
TEST_F(ctl, eperm_not_pollable)
{
	const struct backend *be = variant->be;
	int mfd, dfd;

	mfd = memfd_create("ctl_test", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	EXPECT_ERRNO(EPERM, ctl(be, self->epfd, EPOLL_CTL_ADD, mfd, EPOLLIN, 1));
	EXPECT_ERRNO(EPERM, ctl(be, self->epfd, EPOLL_CTL_ADD, dfd, EPOLLIN, 1));
	EXPECT_ERRNO(EPERM, ctl(be, self->epfd, EPOLL_CTL_MOD, mfd, EPOLLIN, 1));
	EXPECT_ERRNO(EPERM, be->ctl(self->epfd, EPOLL_CTL_DEL, mfd, NULL));
	close(mfd);
	close(dfd);
}

TEST_F(ctl, efault_bad_event)
{
	const struct backend *be = variant->be;
	int closed;

	EXPECT_ERRNO(EFAULT, be->ctl(self->epfd, EPOLL_CTL_ADD, self->p[0], BAD_PTR));
	EXPECT_ERRNO(EFAULT, be->ctl(self->epfd, EPOLL_CTL_ADD, self->p[0], NULL));
	/* Nothing was added. */
	EXPECT_ERRNO(ENOENT, be->ctl(self->epfd, EPOLL_CTL_DEL, self->p[0], NULL));

	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[0], EPOLLIN, 1));
	EXPECT_ERRNO(EFAULT, be->ctl(self->epfd, EPOLL_CTL_MOD, self->p[0], BAD_PTR));
	EXPECT_ERRNO(EFAULT, be->ctl(self->epfd, EPOLL_CTL_MOD, self->p[0], NULL));

	/* The event is read first of all: before the descriptor is looked at. */
	closed = dup(self->p[0]);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));
	EXPECT_ERRNO(EFAULT, be->ctl(self->epfd, EPOLL_CTL_ADD, closed, NULL));
	/* ... and for an unknown op, which also takes an event. */
	EXPECT_ERRNO(EFAULT, be->ctl(self->epfd, 99, self->p[0], BAD_PTR));

	/* DEL ignores its event argument altogether. */
	EXPECT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_DEL, self->p[0], BAD_PTR));
}

/* EPOLLWAKEUP is accepted (dropped silently without CAP_BLOCK_SUSPEND). */
TEST_F(ctl, epollwakeup_accepted)
{
	const struct backend *be = variant->be;
	struct epoll_event evs[8];

	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[1],
			 EPOLLOUT | EPOLLWAKEUP, 1));
	ASSERT_EQ(1, poll_now(be, self->epfd, evs));
	EXPECT_EQ(EV(EPOLLOUT), evs[0].events);
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_MOD, self->p[1],
			 EPOLLOUT | EPOLLWAKEUP | EPOLLET, 2));
	ASSERT_EQ(1, poll_now(be, self->epfd, evs));
	EXPECT_EQ(EV(EPOLLOUT), evs[0].events);
	EXPECT_EQ(2, evs[0].data.u64);
}

/* EPOLLEXCLUSIVE: with the allowed bits only, at ADD only. */
TEST_F(ctl, exclusive_rules)
{
	const struct backend *be = variant->be;
	struct epoll_event evs[8];
	int inner;

	/* Allowed: IN, OUT, ERR, HUP, WAKEUP, ET. */
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[1],
			 EPOLLEXCLUSIVE | EPOLLOUT | EPOLLIN | EPOLLERR |
			 EPOLLHUP | EPOLLWAKEUP | EPOLLET, 1));
	ASSERT_EQ(1, poll_now(be, self->epfd, evs));
	EXPECT_EQ(EV(EPOLLOUT), evs[0].events);

	/* MOD of an exclusive registration, with or without the bit. */
	EXPECT_ERRNO(EINVAL, ctl(be, self->epfd, EPOLL_CTL_MOD, self->p[1], EPOLLOUT, 2));
	EXPECT_ERRNO(EINVAL, ctl(be, self->epfd, EPOLL_CTL_MOD, self->p[1],
				 EPOLLOUT | EPOLLEXCLUSIVE, 2));
	/* DEL is fine. */
	EXPECT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_DEL, self->p[1], NULL));

	/* EPOLLEXCLUSIVE with MOD is EINVAL even before ENOENT. */
	EXPECT_ERRNO(EINVAL, ctl(be, self->epfd, EPOLL_CTL_MOD, self->p[0],
				 EPOLLIN | EPOLLEXCLUSIVE, 2));
	/* And on a non-exclusive registration. */
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[0], EPOLLIN, 3));
	EXPECT_ERRNO(EINVAL, ctl(be, self->epfd, EPOLL_CTL_MOD, self->p[0],
				 EPOLLIN | EPOLLEXCLUSIVE, 3));
	ASSERT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_DEL, self->p[0], NULL));

	/* Disallowed bits. */
	EXPECT_ERRNO(EINVAL, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[0],
				 EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 4));
	EXPECT_ERRNO(EINVAL, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[0],
				 EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP, 4));
	EXPECT_ERRNO(EINVAL, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[0],
				 EPOLLIN | EPOLLEXCLUSIVE | EPOLLPRI, 4));
	EXPECT_ERRNO(EINVAL, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[0],
				 EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDNORM, 4));
	EXPECT_ERRNO(ENOENT, be->ctl(self->epfd, EPOLL_CTL_DEL, self->p[0], NULL));

	/* Not on an instance of the same backend. */
	inner = be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, inner);
	EXPECT_ERRNO(EINVAL, ctl(be, self->epfd, EPOLL_CTL_ADD, inner,
				 EPOLLIN | EPOLLEXCLUSIVE, 5));
	/* Without the bit it is fine. */
	EXPECT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, inner, EPOLLIN, 5));
	close(inner);
}

/* Exclusive-bit checks come after EPERM (the target is checked first). */
TEST_F(ctl, exclusive_after_eperm)
{
	const struct backend *be = variant->be;
	int mfd = memfd_create("ctl_test", MFD_CLOEXEC);

	ASSERT_LE(0, mfd);
	EXPECT_ERRNO(EPERM, ctl(be, self->epfd, EPOLL_CTL_MOD, mfd,
				EPOLLIN | EPOLLEXCLUSIVE, 1));
	close(mfd);
}

/* The key of a registration is (file, fd): a dup is a second one. */
TEST_F(ctl, dup_is_second_registration)
{
	const struct backend *be = variant->be;
	struct epoll_event evs[8];
	int dupfd, n, i, seen = 0;

	dupfd = dup(self->p[1]);
	ASSERT_LE(0, dupfd);
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[1], EPOLLOUT, 1));
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, dupfd, EPOLLOUT, 2));
	n = poll_now(be, self->epfd, evs);
	ASSERT_EQ(2, n);
	for (i = 0; i < n; i++)
		seen |= 1 << evs[i].data.u64;
	EXPECT_EQ(6, seen);

	/* Each is changed and removed on its own. */
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_MOD, dupfd, EPOLLIN, 2));
	ASSERT_EQ(1, poll_now(be, self->epfd, evs));
	EXPECT_EQ(1, evs[0].data.u64);
	ASSERT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_DEL, self->p[1], NULL));
	EXPECT_EQ(0, poll_now(be, self->epfd, evs));
	EXPECT_ERRNO(ENOENT, be->ctl(self->epfd, EPOLL_CTL_DEL, self->p[1], NULL));
	EXPECT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_DEL, dupfd, NULL));
	close(dupfd);
}

/* Two instances watch the same file independently. */
TEST_F(ctl, two_instances_independent)
{
	const struct backend *be = variant->be;
	struct epoll_event evs[8];
	int ep2 = be->create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, ep2);
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[1], EPOLLOUT | EPOLLET, 1));
	ASSERT_EQ(0, ctl(be, ep2, EPOLL_CTL_ADD, self->p[1], EPOLLOUT | EPOLLET, 2));
	ASSERT_EQ(1, poll_now(be, self->epfd, evs));
	EXPECT_EQ(1, evs[0].data.u64);
	ASSERT_EQ(1, poll_now(be, ep2, evs));
	EXPECT_EQ(2, evs[0].data.u64);
	ASSERT_EQ(0, be->ctl(ep2, EPOLL_CTL_DEL, self->p[1], NULL));
	EXPECT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_DEL, self->p[1], NULL));
	close(ep2);
}

TEST_F(ctl, create1_flags)
{
	const struct backend *be = variant->be;
	int fd;

	EXPECT_ERRNO(EINVAL, be->create1(1));
	EXPECT_ERRNO(EINVAL, be->create1(O_NONBLOCK));
	EXPECT_ERRNO(EINVAL, be->create1(EPOLL_CLOEXEC | O_NONBLOCK));
	EXPECT_ERRNO(EINVAL, be->create1(-1));

	fd = be->create1(0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	fd = be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

TEST_F(ctl, create_size)
{
	const struct backend *be = variant->be;
	int fd;

	EXPECT_ERRNO(EINVAL, be->create(0));
	EXPECT_ERRNO(EINVAL, be->create(-1));
	fd = be->create(1);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	fd = be->create(100000);
	ASSERT_LE(0, fd);
	close(fd);
}

/* An instance is a read-write descriptor that is not a regular file. */
TEST_F(ctl, instance_fd_flags)
{
	int fl = fcntl(self->epfd, F_GETFL);

	ASSERT_LE(0, fl);
	EXPECT_EQ(O_RDWR, fl & O_ACCMODE);
	EXPECT_EQ(0, fl & O_NONBLOCK);
}

/*
 * An epoll instance that was never added is ENOENT for MOD and DEL, like
 * any other unregistered file, on either backend.
 */
TEST_F(ctl, enoent_unregistered_epoll_instance)
{
	const struct backend *be = variant->be;
	int native = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, native);
	EXPECT_ERRNO(ENOENT, ctl(be, self->epfd, EPOLL_CTL_MOD, native, EPOLLIN, 1));
	EXPECT_ERRNO(ENOENT, be->ctl(self->epfd, EPOLL_CTL_DEL, native, NULL));
	close(native);
}

/* The instance is no file to read, write or map. */
TEST_F(ctl, instance_not_readable_writable)
{
	char buf[16] = { 0 };

	EXPECT_ERRNO(EINVAL, read(self->epfd, buf, sizeof(buf)));
	EXPECT_ERRNO(EINVAL, write(self->epfd, buf, sizeof(buf)));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->epfd, 0));
	EXPECT_EQ(ENODEV, errno);
}

/* Read the "tfd:" line of @fd from @epfd's fdinfo into @line. */
static int fdinfo_tfd(int epfd, int fd, char *line, size_t size)
{
	char path[64], buf[4096], key[32];
	ssize_t n;
	char *p, *end;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epfd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	snprintf(key, sizeof(key), "tfd: %8d ", fd);
	p = strstr(buf, key);
	if (!p)
		return -1;
	end = strchr(p, '\n');
	if (end)
		*end = '\0';
	snprintf(line, size, "%s", p);
	return 0;
}

/* fdinfo shows each registration as epoll shows it. */
TEST_F(ctl, fdinfo_lines)
{
	const struct backend *be = variant->be;
	struct epoll_event evs[8];
	char line[256], want[256];
	struct stat st;

	ASSERT_EQ(0, fstat(self->p[0], &st));
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[0],
			 EPOLLIN | EPOLLONESHOT, 0x123456789abcULL));
	ASSERT_EQ(0, fdinfo_tfd(self->epfd, self->p[0], line, sizeof(line)));
	snprintf(want, sizeof(want),
		 "tfd: %8d events: %8x data: %16llx  pos:0 ino:%lx sdev:%x",
		 self->p[0], EPOLLIN | EPOLLONESHOT | EPOLLERR | EPOLLHUP,
		 0x123456789abcULL, (unsigned long)st.st_ino, (unsigned int)st.st_dev);
	EXPECT_STREQ(want, line);

	/* A one-shot registration that fired keeps only its private bits. */
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	ASSERT_EQ(1, poll_now(be, self->epfd, evs));
	ASSERT_EQ(0, fdinfo_tfd(self->epfd, self->p[0], line, sizeof(line)));
	snprintf(want, sizeof(want),
		 "tfd: %8d events: %8x data: %16llx  pos:0 ino:%lx sdev:%x",
		 self->p[0], EPOLLONESHOT, 0x123456789abcULL,
		 (unsigned long)st.st_ino, (unsigned int)st.st_dev);
	EXPECT_STREQ(want, line);

	ASSERT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_DEL, self->p[0], NULL));
	EXPECT_EQ(-1, fdinfo_tfd(self->epfd, self->p[0], line, sizeof(line)));
}

/* Whether the caller has CAP_BLOCK_SUSPEND in its effective set. */
static int has_cap_block_suspend(void)
{
	unsigned long long caps = 0;
	char buf[4096], *p;
	ssize_t n;
	int f;

	f = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return 0;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "CapEff:");
	if (!p)
		return 0;
	caps = strtoull(p + strlen("CapEff:"), NULL, 16);
	return !!(caps & (1ULL << 36));	/* CAP_BLOCK_SUSPEND */
}

/*
 * EPOLLWAKEUP is kept with CAP_BLOCK_SUSPEND on a kernel with
 * CONFIG_PM_SLEEP (which has /sys/power/wakeup_count), and silently
 * dropped otherwise.
 */
TEST_F(ctl, fdinfo_epollwakeup)
{
	const struct backend *be = variant->be;
	char line[256], want[64];
	unsigned int events = EPOLLIN | EPOLLERR | EPOLLHUP;

	if (has_cap_block_suspend() && !access("/sys/power/wakeup_count", F_OK))
		events |= EPOLLWAKEUP;
	TH_LOG("EPOLLWAKEUP %s", events & EPOLLWAKEUP ? "kept" : "dropped");
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[0],
			 EPOLLIN | EPOLLWAKEUP, 1));
	ASSERT_EQ(0, fdinfo_tfd(self->epfd, self->p[0], line, sizeof(line)));
	snprintf(want, sizeof(want), "tfd: %8d events: %8x ", self->p[0], events);
	EXPECT_EQ(0, strncmp(want, line, strlen(want)))
		TH_LOG("fdinfo '%s', expected '%s...'", line, want);
}

/* Closing the only descriptor of a watched file removes its registration. */
TEST_F(ctl, close_removes_registration)
{
	const struct backend *be = variant->be;
	struct epoll_event evs[8];
	int efd = eventfd(1, EFD_CLOEXEC);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, efd, EPOLLIN, 1));
	ASSERT_EQ(1, poll_now(be, self->epfd, evs));
	ASSERT_EQ(0, close(efd));
	EXPECT_EQ(0, poll_now(be, self->epfd, evs));
	/* The number may be reused for a new file, which is not registered. */
	efd = eventfd(1, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	EXPECT_EQ(0, poll_now(be, self->epfd, evs));
	EXPECT_ERRNO(ENOENT, be->ctl(self->epfd, EPOLL_CTL_DEL, efd, NULL));
	close(efd);
}

/*
 * While another descriptor (a dup) refers to the file, closing the one it
 * was registered under keeps the registration (epoll(7), Q6): it still
 * reports, and can no longer be removed through either descriptor.
 */
TEST_F(ctl, close_with_dup_keeps_registration)
{
	const struct backend *be = variant->be;
	struct epoll_event evs[8];
	int efd, dupfd, fd_no;

	efd = eventfd(1, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	dupfd = dup(efd);
	ASSERT_LE(0, dupfd);
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, efd, EPOLLIN, 9));
	fd_no = efd;
	ASSERT_EQ(0, close(efd));
	ASSERT_EQ(1, poll_now(be, self->epfd, evs));
	EXPECT_EQ(9, evs[0].data.u64);
	EXPECT_ERRNO(EBADF, be->ctl(self->epfd, EPOLL_CTL_DEL, fd_no, NULL));
	EXPECT_ERRNO(ENOENT, be->ctl(self->epfd, EPOLL_CTL_DEL, dupfd, NULL));
	/* Closing the last one removes it. */
	ASSERT_EQ(0, close(dupfd));
	EXPECT_EQ(0, poll_now(be, self->epfd, evs));
}

/* DEL ignores what its event holds. */
TEST_F(ctl, del_ignores_event_contents)
{
	const struct backend *be = variant->be;
	struct epoll_event ev = { .events = ~0U, .data.u64 = 1 };

	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[0], EPOLLIN, 1));
	EXPECT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_DEL, self->p[0], &ev));
}

/*
 * epoll_ctl() reads the event, then checks fd (EBADF, EPERM), and only
 * then whether epfd is an instance: a call wrong in several ways gets the
 * first error in that order.
 */
TEST_F(ctl, error_order_epfd_not_instance)
{
	const struct backend *be = variant->be;
	struct epoll_event ev = { .events = EPOLLIN };
	int closed, mfd;

	mfd = memfd_create("ctl_test", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	closed = dup(self->p[0]);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));

	EXPECT_ERRNO(EBADF, be->ctl(self->p[0], EPOLL_CTL_ADD, closed, &ev));
	EXPECT_ERRNO(EBADF, be->ctl(self->p[0], EPOLL_CTL_DEL, closed, NULL));
	EXPECT_ERRNO(EPERM, be->ctl(self->p[0], EPOLL_CTL_ADD, mfd, &ev));
	EXPECT_ERRNO(EPERM, be->ctl(self->p[0], EPOLL_CTL_DEL, mfd, NULL));
	EXPECT_ERRNO(EFAULT, be->ctl(self->p[0], EPOLL_CTL_ADD, self->p[1], BAD_PTR));
	EXPECT_ERRNO(EFAULT, be->ctl(self->p[0], EPOLL_CTL_MOD, closed, NULL));
	/* A file as its own fd: unpollable (EPERM), or not an instance. */
	EXPECT_ERRNO(EPERM, be->ctl(mfd, EPOLL_CTL_ADD, mfd, &ev));
	EXPECT_ERRNO(EFAULT, be->ctl(mfd, EPOLL_CTL_ADD, mfd, BAD_PTR));
	EXPECT_ERRNO(EINVAL, be->ctl(self->p[0], EPOLL_CTL_DEL, self->p[0], NULL));
	/* The rest is EINVAL, whatever else is wrong. */
	EXPECT_ERRNO(EINVAL, be->ctl(self->p[0], 99, self->p[1], &ev));
	EXPECT_ERRNO(EINVAL, be->ctl(self->p[0], EPOLL_CTL_ADD, self->p[0], &ev));
	EXPECT_ERRNO(EINVAL, be->ctl(self->p[0], EPOLL_CTL_MOD, self->p[1], &ev));
	close(mfd);
}

/*
 * A closed epfd, -1 or a number that was open: EBADF, unless the event
 * cannot be read.
 */
TEST_F(ctl, error_order_bad_epfd)
{
	const struct backend *be = variant->be;
	struct epoll_event ev = { .events = EPOLLIN };
	int mfd = memfd_create("ctl_test", MFD_CLOEXEC);
	int closed = dup(self->p[0]), i;

	ASSERT_LE(0, mfd);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));
	for (i = 0; i < 2; i++) {
		int epfd = i ? closed : -1;

		EXPECT_ERRNO(EFAULT, be->ctl(epfd, EPOLL_CTL_ADD, self->p[0], BAD_PTR));
		EXPECT_ERRNO(EFAULT, be->ctl(epfd, EPOLL_CTL_ADD, -1, NULL));
		EXPECT_ERRNO(EFAULT, be->ctl(epfd, EPOLL_CTL_MOD, closed, BAD_PTR));
		EXPECT_ERRNO(EFAULT, be->ctl(epfd, 99, mfd, NULL));
		EXPECT_ERRNO(EBADF, be->ctl(epfd, EPOLL_CTL_DEL, self->p[0], BAD_PTR));
		EXPECT_ERRNO(EBADF, be->ctl(epfd, EPOLL_CTL_DEL, closed, NULL));
		EXPECT_ERRNO(EBADF, be->ctl(epfd, EPOLL_CTL_ADD, mfd, &ev));
		EXPECT_ERRNO(EBADF, be->ctl(epfd, EPOLL_CTL_ADD, -1, &ev));
		EXPECT_ERRNO(EBADF, be->ctl(epfd, 99, self->p[0], &ev));
		EXPECT_ERRNO(EBADF, be->ctl(epfd, EPOLL_CTL_ADD, epfd, &ev));
		EXPECT_ERRNO(EFAULT, be->ctl(epfd, EPOLL_CTL_ADD, epfd, BAD_PTR));
	}
	close(mfd);
}

/*
 * A native epoll instance as epfd: the call acts on it, as epoll's does
 * (on xepoll's backend too: libxepoll hands the call to the kernel's
 * epoll), with epoll's errors in epoll's order.
 */
TEST_F(ctl, native_epoll_epfd)
{
	const struct backend *be = variant->be;
	struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = 5 }, out[2];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int mfd = memfd_create("ctl_test", MFD_CLOEXEC);
	int closed = dup(self->p[0]);

	ASSERT_LE(0, ep);
	ASSERT_LE(0, mfd);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));

	ASSERT_EQ(0, be->ctl(ep, EPOLL_CTL_ADD, self->p[1], &ev));
	ASSERT_EQ(1, epoll_wait(ep, out, 2, 0));
	EXPECT_EQ(5, out[0].data.u64);
	EXPECT_ERRNO(EEXIST, be->ctl(ep, EPOLL_CTL_ADD, self->p[1], &ev));
	ev.data.u64 = 6;
	ASSERT_EQ(0, be->ctl(ep, EPOLL_CTL_MOD, self->p[1], &ev));
	ASSERT_EQ(1, epoll_wait(ep, out, 2, 0));
	EXPECT_EQ(6, out[0].data.u64);
	/* The instance of the backend may be watched by it. */
	ev.data.u64 = 7;
	ASSERT_EQ(0, be->ctl(ep, EPOLL_CTL_ADD, self->epfd, &ev));

	EXPECT_ERRNO(EFAULT, be->ctl(ep, EPOLL_CTL_ADD, closed, BAD_PTR));
	EXPECT_ERRNO(EBADF, be->ctl(ep, EPOLL_CTL_ADD, closed, &ev));
	EXPECT_ERRNO(EBADF, be->ctl(ep, EPOLL_CTL_DEL, closed, BAD_PTR));
	EXPECT_ERRNO(EPERM, be->ctl(ep, EPOLL_CTL_ADD, mfd, &ev));
	EXPECT_ERRNO(EINVAL, be->ctl(ep, EPOLL_CTL_ADD, ep, &ev));
	EXPECT_ERRNO(EINVAL, be->ctl(ep, 99, self->p[0], &ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	EXPECT_ERRNO(EINVAL, be->ctl(ep, EPOLL_CTL_MOD, self->p[1], &ev));
	EXPECT_ERRNO(ENOENT, be->ctl(ep, EPOLL_CTL_DEL, self->p[0], NULL));

	ASSERT_EQ(0, be->ctl(ep, EPOLL_CTL_DEL, self->p[1], NULL));
	ASSERT_EQ(0, be->ctl(ep, EPOLL_CTL_DEL, self->epfd, NULL));
	EXPECT_EQ(0, epoll_wait(ep, out, 2, 0));
	close(mfd);
	close(ep);
}

/* A new instance gets the lowest free descriptor, as any new file does. */
TEST_F(ctl, create_lowest_free_fd)
{
	const struct backend *be = variant->be;
	int hole, fd, i;

	for (i = 0; i < 3; i++) {
		hole = dup(self->p[0]);
		ASSERT_LE(0, hole);
		ASSERT_EQ(0, close(hole));
		if (i == 0)
			fd = be->create1(0);
		else if (i == 1)
			fd = be->create1(EPOLL_CLOEXEC);
		else
			fd = be->create(1);
		EXPECT_EQ(hole, fd);
		EXPECT_EQ(i == 1 ? FD_CLOEXEC : 0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
		close(fd);
	}
}

/* Event bits epoll does not know are kept as they were given. */
TEST_F(ctl, unknown_event_bits_kept)
{
	const struct backend *be = variant->be;
	unsigned int extra = (1U << 20) | (1U << 16) | (1U << 27);
	struct epoll_event evs[8];
	char line[256], want[64];

	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[1], EPOLLOUT | extra, 1));
	ASSERT_EQ(0, fdinfo_tfd(self->epfd, self->p[1], line, sizeof(line)));
	snprintf(want, sizeof(want), "tfd: %8d events: %8x ", self->p[1],
		 EPOLLOUT | EPOLLERR | EPOLLHUP | extra);
	EXPECT_EQ(0, strncmp(want, line, strlen(want)))
		TH_LOG("fdinfo '%s', expected '%s...'", line, want);
	ASSERT_EQ(1, poll_now(be, self->epfd, evs));
	EXPECT_EQ(EV(EPOLLOUT), evs[0].events);
}

/*
 * An instance is shared across fork(): registrations made by the child
 * are the parent's, and an event taken by one is gone for the other.
 */
TEST_F(ctl, shared_across_fork)
{
	const struct backend *be = variant->be;
	struct epoll_event evs[8];
	int status;
	pid_t pid;

	ASSERT_EQ(1, write(self->p[1], "x", 1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ok = ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[0],
			     EPOLLIN | EPOLLONESHOT, 5) == 0 &&
			 poll_now(be, self->epfd, evs) == 1 &&
			 evs[0].data.u64 == 5;
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The child's registration is there, and its one shot was taken. */
	EXPECT_ERRNO(EEXIST, ctl(be, self->epfd, EPOLL_CTL_ADD, self->p[0], EPOLLIN, 6));
	EXPECT_EQ(0, poll_now(be, self->epfd, evs));
	ASSERT_EQ(0, ctl(be, self->epfd, EPOLL_CTL_MOD, self->p[0], EPOLLIN, 7));
	ASSERT_EQ(1, poll_now(be, self->epfd, evs));
	EXPECT_EQ(7, evs[0].data.u64);
}

TEST_HARNESS_MAIN
