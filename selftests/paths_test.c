// SPDX-License-Identifier: GPL-2.0
/*
 * Wake-up paths through nested instances are limited, as epoll limits
 * them: from one file, at most 500 paths of length 2 (the file, an
 * instance, a top-level instance), 100 of length 3, 50 of length 4 and 10
 * of length 5; paths of length 1 are not limited. An ADD that would
 * create more fails with EINVAL and changes nothing.
 *
 * Every case runs against native epoll and against xepoll.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

#include "backend.h"
#include "kselftest_harness.h"

#define MAX_INSTANCES	600

FIXTURE(paths) {
	int efd;
	int fds[MAX_INSTANCES];
	int nfds;
};

FIXTURE_VARIANT(paths) {
	const struct backend *be;
};

BACKEND_VARIANTS(paths);

FIXTURE_SETUP(paths)
{
	struct rlimit rl;

	/* Enough descriptors for the instances, within the hard limit. */
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < MAX_INSTANCES + 64 && rl.rlim_max >= MAX_INSTANCES + 64) {
		rl.rlim_cur = MAX_INSTANCES + 64;
		ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	}
	ASSERT_LE(MAX_INSTANCES + 64, rl.rlim_cur);
	self->nfds = 0;
	self->efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(paths)
{
	while (self->nfds > 0)
		close(self->fds[--self->nfds]);
	close(self->efd);
}

/* A new instance of the variant's kind, remembered for teardown. */
static int new_instance(struct __test_metadata *_metadata,
			FIXTURE_DATA(paths) *self, const struct backend *be)
{
	int fd = be->create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, fd) TH_LOG("%s create1: %s", be->name, strerror(errno));
	ASSERT_GT(MAX_INSTANCES, self->nfds);
	self->fds[self->nfds++] = fd;
	return fd;
}

static int add(const struct backend *be, int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return be->ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Length 1 is not limited: many instances watch one file directly. */
TEST_F(paths, length_one_is_not_limited)
{
	const struct backend *be = variant->be;
	int i;

	for (i = 0; i < 550; i++)
		ASSERT_EQ(0, add(be, new_instance(_metadata, self, be), self->efd));
}

/* 500 paths of length 2 from one file, and not one more. */
TEST_F(paths, length_two_limit)
{
	const struct backend *be = variant->be;
	int top = new_instance(_metadata, self, be);
	int i, mid;

	for (i = 0; i < 500; i++) {
		mid = new_instance(_metadata, self, be);
		ASSERT_EQ(0, add(be, mid, self->efd));
		ASSERT_EQ(0, add(be, top, mid)) TH_LOG("path %d", i + 1);
	}

	/* The 501st, made by linking the top instance: refused. */
	mid = new_instance(_metadata, self, be);
	ASSERT_EQ(0, add(be, mid, self->efd));
	errno = 0;
	EXPECT_EQ(-1, add(be, top, mid));
	EXPECT_EQ(EINVAL, errno);

	/* Nothing changed: the refused link is not there. */
	errno = 0;
	EXPECT_EQ(-1, be->ctl(top, EPOLL_CTL_DEL, mid, NULL));
	EXPECT_EQ(ENOENT, errno);

	/* The same path, made by adding the file last: refused too. */
	ASSERT_EQ(0, be->ctl(mid, EPOLL_CTL_DEL, self->efd, NULL));
	ASSERT_EQ(0, add(be, top, mid));
	errno = 0;
	EXPECT_EQ(-1, add(be, mid, self->efd));
	EXPECT_EQ(EINVAL, errno);

	/* Remove one path, and there is room for one again. */
	ASSERT_EQ(0, be->ctl(top, EPOLL_CTL_DEL, self->fds[1], NULL));
	EXPECT_EQ(0, add(be, mid, self->efd));
}

/* 100 paths of length 3. */
TEST_F(paths, length_three_limit)
{
	const struct backend *be = variant->be;
	int top = new_instance(_metadata, self, be);
	int mid = new_instance(_metadata, self, be);
	int i, low;

	ASSERT_EQ(0, add(be, top, mid));
	for (i = 0; i < 100; i++) {
		low = new_instance(_metadata, self, be);
		ASSERT_EQ(0, add(be, low, self->efd));
		ASSERT_EQ(0, add(be, mid, low)) TH_LOG("path %d", i + 1);
	}
	low = new_instance(_metadata, self, be);
	ASSERT_EQ(0, add(be, low, self->efd));
	errno = 0;
	EXPECT_EQ(-1, add(be, mid, low));
	EXPECT_EQ(EINVAL, errno);
}

/* Events still travel the paths that were allowed. */
TEST_F(paths, allowed_paths_deliver)
{
	const struct backend *be = variant->be;
	struct epoll_event ev;
	int top = new_instance(_metadata, self, be);
	int i, mid;
	uint64_t one = 1;

	for (i = 0; i < 20; i++) {
		mid = new_instance(_metadata, self, be);
		ASSERT_EQ(0, add(be, mid, self->efd));
		ASSERT_EQ(0, add(be, top, mid));
	}
	ASSERT_EQ(0, be->wait(top, &ev, 1, 0));
	ASSERT_EQ(sizeof(one), write(self->efd, &one, sizeof(one)));
	ASSERT_EQ(1, be->wait(top, &ev, 1, 5000));
	EXPECT_EQ(EPOLLIN, ev.events);
}

TEST_HARNESS_MAIN
