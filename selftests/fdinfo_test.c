// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/<pid>/fdinfo/<instance fd>: one "tfd:" line per registration, in
 * epoll's format (fs/eventpoll.c, ep_show_fdinfo()):
 *
 *	tfd: %8d events: %8x data: %16llx  pos:%lli ino:%lx sdev:%x
 *
 * Each `fdinfo` case runs on both backends and rebuilds every line it
 * expects from what it registered and from fstat() of the watched file, so
 * the lines must match the registrations exactly; the `same_as_epoll` cases
 * register the same files in an epoll and an xepoll instance and compare
 * the two fdinfo files byte for byte.
 *
 * An instance with a shared ready ring has one more line, xepoll's alone:
 *
 *	ring: entries: %u filled: %llu
 *
 * which the `ring_line` cases check.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "backend.h"
#include "sysfs_util.h"

#define MAX_REGS	300
#define BUF_SIZE	(64 * 1024)

struct reg {
	int fd;
	uint32_t events;	/* as registered */
	uint64_t data;
};

static ssize_t read_fdinfo(int fd, char *buf, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	return read_file(path, buf, size);
}

/* The line epoll prints for @fd with @events (as stored) and @data. */
static void expected_line(char *line, size_t size, int fd, uint32_t events,
			  uint64_t data)
{
	struct stat st;
	long long pos;

	if (fstat(fd, &st)) {
		snprintf(line, size, "fstat %d: %s", fd, strerror(errno));
		return;
	}
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos < 0)
		pos = 0;
	/* The kernel's dev_t: major in the top 12 bits, minor in the low 20. */
	snprintf(line, size,
		 "tfd: %8d events: %8x data: %16llx  pos:%lli ino:%lx sdev:%x\n",
		 fd, events, (unsigned long long)data, pos,
		 (unsigned long)st.st_ino,
		 (major(st.st_dev) << 20) | minor(st.st_dev));
}

/* Count the "tfd:" lines of @buf; copy them to @out (may be NULL). */
static int tfd_lines(const char *buf, char *out, size_t size)
{
	const char *p = buf, *nl;
	size_t len = 0;
	int n = 0;

	if (out)
		out[0] = '\0';
	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		if (!strncmp(p, "tfd:", 4)) {
			n++;
			if (out && len + (nl - p) + 2 < size) {
				memcpy(out + len, p, nl - p + 1);
				len += nl - p + 1;
				out[len] = '\0';
			}
		}
	}
	return n;
}

FIXTURE(fdinfo) {
	int epfd;
	int nfds;
	int fds[MAX_REGS];
	char *buf;
	char *line;
};
FIXTURE_VARIANT(fdinfo) { const struct backend *be; };
BACKEND_VARIANTS(fdinfo);

FIXTURE_SETUP(fdinfo)
{
	self->nfds = 0;
	self->buf = malloc(BUF_SIZE);
	self->line = malloc(256);
	ASSERT_NE(NULL, self->buf);
	ASSERT_NE(NULL, self->line);
	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
}

FIXTURE_TEARDOWN(fdinfo)
{
	close(self->epfd);
	while (self->nfds--)
		close(self->fds[self->nfds]);
	free(self->buf);
	free(self->line);
}

static int new_eventfd(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fdinfo) *self)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	ASSERT_LE(0, fd);
	self->fds[self->nfds++] = fd;
	return fd;
}

TEST_F(fdinfo, empty_instance_has_no_tfd_line)
{
	ASSERT_LT(0, read_fdinfo(self->epfd, self->buf, BUF_SIZE));
	EXPECT_EQ(0, tfd_lines(self->buf, NULL, 0));
	EXPECT_NE(NULL, strstr(self->buf, "pos:"));
	EXPECT_NE(NULL, strstr(self->buf, "flags:"));
}

TEST_F(fdinfo, one_line_per_registration_exactly)
{
	const struct backend *be = variant->be;
	struct reg regs[] = {
		{ 0, EPOLLIN, 0xdeadbeef },
		{ 0, EPOLLOUT | EPOLLET, 0x1122334455667788ULL },
		{ 0, EPOLLIN | EPOLLONESHOT, 0 },
		{ 0, EPOLLIN | EPOLLPRI | EPOLLRDHUP, ~0ULL },
		{ 0, EPOLLIN | EPOLLEXCLUSIVE, 42 },
	};
	int n = sizeof(regs) / sizeof(regs[0]), i, found;
	char *lines;

	for (i = 0; i < n; i++) {
		struct epoll_event ev = { .events = regs[i].events,
					  .data.u64 = regs[i].data };

		regs[i].fd = new_eventfd(_metadata, self);
		ASSERT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_ADD, regs[i].fd, &ev));
	}
	ASSERT_LT(0, read_fdinfo(self->epfd, self->buf, BUF_SIZE));
	lines = malloc(BUF_SIZE);
	ASSERT_NE(NULL, lines);
	EXPECT_EQ(n, tfd_lines(self->buf, lines, BUF_SIZE));
	for (i = 0; i < n; i++) {
		/* Stored with EPOLLERR | EPOLLHUP, which every watch reports. */
		expected_line(self->line, 256, regs[i].fd,
			      regs[i].events | EPOLLERR | EPOLLHUP, regs[i].data);
		found = !!strstr(lines, self->line);
		EXPECT_TRUE(found) TH_LOG("no line\n%sin\n%s", self->line, lines);
	}
	free(lines);
}

TEST_F(fdinfo, follows_mod_del_and_oneshot)
{
	const struct backend *be = variant->be;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 7 };
	int a = new_eventfd(_metadata, self), b = new_eventfd(_metadata, self);
	uint64_t one = 1;

	ASSERT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_ADD, a, &ev));
	ev.events = EPOLLOUT;
	ev.data.u64 = 8;
	ASSERT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_ADD, b, &ev));

	/* MOD: new events and data. */
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u64 = 0xabcdef;
	ASSERT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_MOD, b, &ev));
	ASSERT_LT(0, read_fdinfo(self->epfd, self->buf, BUF_SIZE));
	EXPECT_EQ(2, tfd_lines(self->buf, NULL, 0));
	expected_line(self->line, 256, b, EPOLLIN | EPOLLET | EPOLLERR | EPOLLHUP,
		      0xabcdef);
	EXPECT_NE(NULL, strstr(self->buf, self->line)) TH_LOG("%s", self->buf);

	/* A one-shot watch that fired keeps only its private bits. */
	ASSERT_EQ(sizeof(one), write(a, &one, sizeof(one)));
	ASSERT_EQ(1, be->wait(self->epfd, &ev, 1, 0));
	EXPECT_EQ(7, ev.data.u64);
	ASSERT_LT(0, read_fdinfo(self->epfd, self->buf, BUF_SIZE));
	expected_line(self->line, 256, a, EPOLLONESHOT, 7);
	EXPECT_NE(NULL, strstr(self->buf, self->line)) TH_LOG("%s", self->buf);

	/* DEL: its line goes. */
	ASSERT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_DEL, a, NULL));
	ASSERT_LT(0, read_fdinfo(self->epfd, self->buf, BUF_SIZE));
	EXPECT_EQ(1, tfd_lines(self->buf, NULL, 0));
	EXPECT_EQ(NULL, strstr(self->buf, self->line));
}

TEST_F(fdinfo, position_inode_and_device)
{
	const struct backend *be = variant->be;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLPRI, .data.u64 = 1 };
	char chunk[16];
	int sv[2], fd;

	/* A pollable file with a position: /proc/self/mounts, partly read. */
	fd = open("/proc/self/mounts", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	self->fds[self->nfds++] = fd;
	ASSERT_EQ(sizeof(chunk), read(fd, chunk, sizeof(chunk)));
	ASSERT_EQ(sizeof(chunk), lseek(fd, 0, SEEK_CUR));
	ASSERT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_ADD, fd, &ev));

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	self->fds[self->nfds++] = sv[0];
	self->fds[self->nfds++] = sv[1];
	ev.events = EPOLLIN;
	ev.data.u64 = 2;
	ASSERT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_ADD, sv[0], &ev));

	ASSERT_LT(0, read_fdinfo(self->epfd, self->buf, BUF_SIZE));
	EXPECT_EQ(2, tfd_lines(self->buf, NULL, 0));
	expected_line(self->line, 256, fd, EPOLLIN | EPOLLPRI | EPOLLERR | EPOLLHUP, 1);
	EXPECT_NE(NULL, strstr(self->line, " pos:16 "));
	EXPECT_NE(NULL, strstr(self->buf, self->line)) TH_LOG("%s", self->buf);
	expected_line(self->line, 256, sv[0], EPOLLIN | EPOLLERR | EPOLLHUP, 2);
	EXPECT_NE(NULL, strstr(self->buf, self->line)) TH_LOG("%s", self->buf);
}

TEST_F(fdinfo, many_registrations_all_listed)
{
	const struct backend *be = variant->be;
	int i, fd;

	for (i = 0; i < MAX_REGS - 1; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = i };

		fd = new_eventfd(_metadata, self);
		ASSERT_EQ(0, be->ctl(self->epfd, EPOLL_CTL_ADD, fd, &ev));
	}
	ASSERT_LT(0, read_fdinfo(self->epfd, self->buf, BUF_SIZE));
	EXPECT_EQ(MAX_REGS - 1, tfd_lines(self->buf, NULL, 0));
	expected_line(self->line, 256, fd, EPOLLIN | EPOLLERR | EPOLLHUP,
		      MAX_REGS - 2);
	EXPECT_NE(NULL, strstr(self->buf, self->line));
}

/* Same registrations, same files: epoll's and xepoll's fdinfo are equal. */

FIXTURE(same_as_epoll) {
	int ep, xep;
	int fds[8];
	int nfds;
	char *a, *b;
};

FIXTURE_SETUP(same_as_epoll)
{
	self->nfds = 0;
	self->a = malloc(BUF_SIZE);
	self->b = malloc(BUF_SIZE);
	ASSERT_NE(NULL, self->a);
	ASSERT_NE(NULL, self->b);
	self->ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->ep);
	self->xep = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->xep);
}

FIXTURE_TEARDOWN(same_as_epoll)
{
	close(self->ep);
	close(self->xep);
	while (self->nfds--)
		close(self->fds[self->nfds]);
	free(self->a);
	free(self->b);
}

static int add_both(FIXTURE_DATA(same_as_epoll) *self, int fd,
		    uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	if (epoll_ctl(self->ep, EPOLL_CTL_ADD, fd, &ev))
		return -1;
	return xepoll_ctl(self->xep, EPOLL_CTL_ADD, fd, &ev);
}

TEST_F(same_as_epoll, tfd_lines_identical)
{
	int p[2], sv[2], e1, e2;
	char *la, *lb;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC | O_NONBLOCK));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	e1 = eventfd(0, EFD_CLOEXEC);
	e2 = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, e1);
	ASSERT_LE(0, e2);
	self->fds[self->nfds++] = p[0];
	self->fds[self->nfds++] = p[1];
	self->fds[self->nfds++] = sv[0];
	self->fds[self->nfds++] = sv[1];
	self->fds[self->nfds++] = e1;
	self->fds[self->nfds++] = e2;

	ASSERT_EQ(0, add_both(self, p[0], EPOLLIN, 0xdeadbeef));
	ASSERT_EQ(0, add_both(self, p[1], EPOLLOUT | EPOLLET, 1ULL << 63));
	ASSERT_EQ(0, add_both(self, sv[0], EPOLLIN | EPOLLRDHUP | EPOLLPRI, 0));
	/* Dropped without CAP_BLOCK_SUSPEND, kept with it: alike on both. */
	ASSERT_EQ(0, add_both(self, sv[1], EPOLLIN | EPOLLWAKEUP, 5));
	ASSERT_EQ(0, add_both(self, e1, EPOLLIN | EPOLLONESHOT, ~0ULL));
	ASSERT_EQ(0, add_both(self, e2, EPOLLIN | EPOLLEXCLUSIVE, 77));

	ASSERT_LT(0, read_fdinfo(self->ep, self->a, BUF_SIZE));
	ASSERT_LT(0, read_fdinfo(self->xep, self->b, BUF_SIZE));
	la = malloc(BUF_SIZE);
	lb = malloc(BUF_SIZE);
	ASSERT_NE(NULL, la);
	ASSERT_NE(NULL, lb);
	EXPECT_EQ(6, tfd_lines(self->a, la, BUF_SIZE));
	EXPECT_EQ(6, tfd_lines(self->b, lb, BUF_SIZE));
	/* Same files, same order (by file, then fd), same text. */
	EXPECT_STREQ(la, lb);
	free(la);
	free(lb);
}

TEST_F(same_as_epoll, whole_file_identical)
{
	int e = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, e);
	self->fds[self->nfds++] = e;
	ASSERT_EQ(0, add_both(self, e, EPOLLIN, 3));
	ASSERT_LT(0, read_fdinfo(self->ep, self->a, BUF_SIZE));
	ASSERT_LT(0, read_fdinfo(self->xep, self->b, BUF_SIZE));
	/* pos, flags, mnt_id, ino (the shared anonymous inode) and the tfd lines. */
	EXPECT_STREQ(self->a, self->b);
}

/* The "ring:" lines of @buf, each a count of entries and of filled cells. */
static int ring_lines(const char *buf, unsigned int *entries,
		      unsigned long long *filled)
{
	const char *p;
	int n = 0;

	for (p = buf; (p = strstr(p, "ring:")); p++) {
		if (p != buf && p[-1] != '\n')
			continue;
		if (sscanf(p, "ring: entries: %u filled: %llu\n", entries,
			   filled) == 2)
			n++;
	}
	return n;
}

/* No ring, no line; a ring: its size, then the cells the kernel filled. */
TEST(ring_line)
{
	struct xepoll_ring_setup s = { .entries = 3 };
	char *buf = malloc(BUF_SIZE);
	unsigned long long filled;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = 1 };
	unsigned int entries;
	int epfd, e[2], i;
	uint64_t one = 1;

	ASSERT_NE(NULL, buf);
	epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	ASSERT_LT(0, read_fdinfo(epfd, buf, BUF_SIZE));
	EXPECT_EQ(0, ring_lines(buf, &entries, &filled)) TH_LOG("%s", buf);

	ASSERT_EQ(0, ioctl(epfd, XEPOLL_IOC_RING_SETUP, &s));
	ASSERT_EQ(4, s.entries);
	ASSERT_LT(0, read_fdinfo(epfd, buf, BUF_SIZE));
	ASSERT_EQ(1, ring_lines(buf, &entries, &filled)) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "\nring: entries: 4 filled: 0\n")) TH_LOG("%s", buf);

	for (i = 0; i < 2; i++) {
		e[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, e[i]);
		ASSERT_EQ(0, xepoll_ctl(epfd, EPOLL_CTL_ADD, e[i], &ev));
	}
	/* Two edges of one registration share a cell; the other takes one. */
	ASSERT_EQ(sizeof(one), write(e[0], &one, sizeof(one)));
	ASSERT_EQ(sizeof(one), write(e[0], &one, sizeof(one)));
	ASSERT_EQ(sizeof(one), write(e[1], &one, sizeof(one)));
	ASSERT_LT(0, read_fdinfo(epfd, buf, BUF_SIZE));
	ASSERT_EQ(1, ring_lines(buf, &entries, &filled)) TH_LOG("%s", buf);
	EXPECT_EQ(4, entries);
	EXPECT_EQ(2, filled);
	/* The registrations' lines are still there, after it. */
	EXPECT_EQ(2, tfd_lines(buf, NULL, 0));
	EXPECT_LT(strstr(buf, "ring:"), strstr(buf, "tfd:"));

	/* Reaped, then one more edge: a new cell. */
	EXPECT_EQ(2, xepoll_wait(epfd, &ev, 1, 0) + xepoll_wait(epfd, &ev, 1, 0));
	ASSERT_EQ(sizeof(one), write(e[1], &one, sizeof(one)));
	ASSERT_LT(0, read_fdinfo(epfd, buf, BUF_SIZE));
	ASSERT_EQ(1, ring_lines(buf, &entries, &filled)) TH_LOG("%s", buf);
	EXPECT_EQ(3, filled);
	for (i = 0; i < 2; i++)
		close(e[i]);
	close(epfd);
	free(buf);
}

TEST_HARNESS_MAIN
