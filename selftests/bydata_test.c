// SPDX-License-Identifier: GPL-2.0
/*
 * Changes by data (XEPOLL_CTL_BY_DATA, xepoll_ctl_by_data()): MOD or DEL
 * of every registration whose data matches, without its descriptor.
 *
 * epoll has no such change. The `trap` cases run on both backends to show
 * the problem it solves, with epoll's own behaviour asserted: a
 * registration whose descriptor was closed while a dup kept the file open
 * goes on reporting, and epoll_ctl() can no longer name it. On xepoll the
 * same case then removes it by data. The other cases assert the documented
 * semantics: which registrations match, the count returned, ENOENT, what
 * MOD keeps, the errors that change nothing, the per-user count, and
 * changes by data racing with changes by descriptor and closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backend.h"
#include "common.h"
#include "kselftest_harness.h"
#include "xstats.h"

FIXTURE(trap) {
	int epfd;
	int efd;
	int dup;
};

FIXTURE_VARIANT(trap) {
	const struct backend *be;
};

BACKEND_VARIANTS(trap);

FIXTURE_SETUP(trap)
{
	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
	self->efd = eventfd(1, EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
	self->dup = dup(self->efd);
	ASSERT_LE(0, self->dup);
}

FIXTURE_TEARDOWN(trap)
{
	close(self->epfd);
	close(self->dup);
}

/*
 * Register efd, close it (plainly: the dup keeps the file open), and the
 * registration stays, reporting, out of epoll_ctl()'s reach.
 */
TEST_F(trap, closed_fd_registration_left_behind)
{
	const struct backend *be = variant->be;
	struct epoll_event ev[2];
	int fd = self->efd;

	ASSERT_EQ(0, backend_add(be, self->epfd, fd, EPOLLIN, 0xdead));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(1, be->wait(self->epfd, ev, 2, 0));
	EXPECT_EQ(0xdead, ev[0].data.u64);
	EXPECT_ERRNO(EBADF, be->ctl(self->epfd, EPOLL_CTL_DEL, fd, NULL));
	/* The dup is another (file, fd) key: not the registration either. */
	EXPECT_ERRNO(ENOENT, be->ctl(self->epfd, EPOLL_CTL_DEL, self->dup, NULL));
	EXPECT_EQ(1, count_registrations(self->epfd));

	if (be != &backend_xepoll)
		return;
	/* xepoll: by data, it goes. */
	EXPECT_EQ(1, xepoll_ctl_by_data(self->epfd, EPOLL_CTL_DEL, 0xdead, 0));
	EXPECT_EQ(0, count_registrations(self->epfd));
	EXPECT_EQ(0, be->wait(self->epfd, ev, 2, 0));
}

/* ---- xepoll alone ---- */

FIXTURE(bydata) {
	int epfd;
	int efd[4];
	int p[2];
};

FIXTURE_SETUP(bydata)
{
	int i;

	self->epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
	for (i = 0; i < 4; i++) {
		self->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, self->efd[i]);
	}
	ASSERT_EQ(0, pipe2(self->p, O_CLOEXEC | O_NONBLOCK));
}

FIXTURE_TEARDOWN(bydata)
{
	int i;

	close(self->epfd);
	for (i = 0; i < 4; i++)
		close(self->efd[i]);
	close(self->p[0]);
	close(self->p[1]);
}

static int add(int epfd, int fd, uint32_t events, uint64_t data)
{
	return backend_add(&backend_xepoll, epfd, fd, events, data);
}

/* DEL removes every match and only matches; the count is returned. */
TEST_F(bydata, del_every_match)
{
	struct epoll_event ev[4];

	ASSERT_EQ(0, add(self->epfd, self->efd[0], EPOLLOUT, 7));
	ASSERT_EQ(0, add(self->epfd, self->efd[1], EPOLLOUT, 8));
	ASSERT_EQ(0, add(self->epfd, self->efd[2], EPOLLOUT, 7));
	EXPECT_EQ(2, xepoll_ctl_by_data(self->epfd, EPOLL_CTL_DEL, 7, 0));
	EXPECT_EQ(1, count_registrations(self->epfd));
	ASSERT_EQ(1, xepoll_wait(self->epfd, ev, 4, 0));
	EXPECT_EQ(8, ev[0].data.u64);
	/* Gone: a second time matches nothing, and says so. */
	EXPECT_ERRNO(ENOENT, xepoll_ctl_by_data(self->epfd, EPOLL_CTL_DEL, 7, 0));
	EXPECT_EQ(1, count_registrations(self->epfd));
	/* And the descriptors are free to be added again. */
	EXPECT_EQ(0, add(self->epfd, self->efd[0], EPOLLOUT, 9));
}

/* Only this instance's registrations match. */
TEST_F(bydata, other_instances_untouched)
{
	int other = xepoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, other);
	ASSERT_EQ(0, add(other, self->efd[0], EPOLLIN, 5));
	ASSERT_EQ(0, add(self->epfd, self->efd[0], EPOLLIN, 5));
	EXPECT_EQ(1, xepoll_ctl_by_data(self->epfd, EPOLL_CTL_DEL, 5, 0));
	EXPECT_EQ(1, count_registrations(other));
	EXPECT_EQ(0, count_registrations(self->epfd));
	close(other);
}

/* MOD sets the events of every match and keeps their data. */
TEST_F(bydata, mod_sets_events_keeps_data)
{
	struct epoll_event ev[4];

	/* The pipe's write end is writable, never readable. */
	ASSERT_EQ(0, add(self->epfd, self->p[1], EPOLLIN, 0x77));
	ASSERT_EQ(0, add(self->epfd, self->efd[0], EPOLLIN, 0x77));
	ASSERT_EQ(0, xepoll_wait(self->epfd, ev, 4, 0));
	EXPECT_EQ(2, xepoll_ctl_by_data(self->epfd, EPOLL_CTL_MOD, 0x77, EPOLLOUT));
	ASSERT_EQ(2, xepoll_wait(self->epfd, ev, 4, 0));
	EXPECT_EQ(0x77, ev[0].data.u64);
	EXPECT_EQ(EPOLLOUT, ev[0].events);
	EXPECT_EQ(0x77, ev[1].data.u64);
	EXPECT_ERRNO(ENOENT, xepoll_ctl_by_data(self->epfd, EPOLL_CTL_MOD, 0x78, EPOLLOUT));
}

/* MOD by data re-arms fired one-shot items, edge-triggered ones too. */
TEST_F(bydata, mod_rearms_oneshot)
{
	struct epoll_event ev[4];

	ASSERT_EQ(0, add(self->epfd, self->efd[0], EPOLLOUT | EPOLLONESHOT, 1));
	ASSERT_EQ(0, add(self->epfd, self->efd[1], EPOLLOUT | EPOLLET, 1));
	ASSERT_EQ(2, xepoll_wait(self->epfd, ev, 4, 0));
	EXPECT_EQ(0, xepoll_wait(self->epfd, ev, 4, 0));
	EXPECT_EQ(2, xepoll_ctl_by_data(self->epfd, EPOLL_CTL_MOD, 1,
					EPOLLOUT | EPOLLONESHOT));
	EXPECT_EQ(2, xepoll_wait(self->epfd, ev, 4, 0));
	EXPECT_EQ(0, xepoll_wait(self->epfd, ev, 4, 0));
}

/* Errors change nothing: ADD, a descriptor, EXCLUSIVE, EVENT_ADDR. */
TEST_F(bydata, errors_change_nothing)
{
	struct epoll_event ev[4];
	struct xepoll_ctl c = {
		.op = XEPOLL_CTL_DEL, .fd = -1,
		.flags = XEPOLL_CTL_BY_DATA | XEPOLL_CTL_EVENT_ADDR, .data = 3,
	};

	ASSERT_EQ(0, add(self->epfd, self->efd[0], EPOLLIN, 3));
	ASSERT_EQ(0, add(self->epfd, self->efd[1], EPOLLIN | EPOLLEXCLUSIVE, 3));
	EXPECT_ERRNO(EINVAL, xepoll_ctl_by_data(self->epfd, EPOLL_CTL_ADD, 3, EPOLLIN));
	EXPECT_ERRNO(EINVAL, xepoll_ctl_by_data(self->epfd, 0, 3, EPOLLIN));
	EXPECT_ERRNO(EINVAL, xepoll_ctl_by_data(self->epfd, EPOLL_CTL_MOD, 3,
						EPOLLIN | EPOLLEXCLUSIVE));
	/* One match is exclusive: MOD of all is refused, none is changed. */
	EXPECT_ERRNO(EINVAL, xepoll_ctl_by_data(self->epfd, EPOLL_CTL_MOD, 3, EPOLLOUT));
	EXPECT_EQ(0, xepoll_wait(self->epfd, ev, 4, 0));
	EXPECT_ERRNO(EINVAL, ioctl(self->epfd, XEPOLL_IOC_CTL, &c));
	c.flags = XEPOLL_CTL_BY_DATA;
	c.fd = self->efd[0];
	EXPECT_ERRNO(EINVAL, ioctl(self->epfd, XEPOLL_IOC_CTL, &c));
	c.fd = -1;
	c.flags = XEPOLL_CTL_BY_DATA | 0x100;
	EXPECT_ERRNO(EINVAL, ioctl(self->epfd, XEPOLL_IOC_CTL, &c));
	EXPECT_EQ(2, count_registrations(self->epfd));
	/* DEL does remove the exclusive one. */
	EXPECT_EQ(2, xepoll_ctl_by_data(self->epfd, EPOLL_CTL_DEL, 3, 0));
	EXPECT_EQ(0, count_registrations(self->epfd));
}

/* By data inside a batch, with the count as the entry's result. */
TEST_F(bydata, in_a_batch)
{
	struct xepoll_change c[4];

	xepoll_change_set(&c[0], EPOLL_CTL_ADD, self->efd[0], EPOLLIN, 4);
	xepoll_change_set(&c[1], EPOLL_CTL_ADD, self->efd[1], EPOLLIN, 4);
	xepoll_change_set_by_data(&c[2], EPOLL_CTL_DEL, 4, 0);
	xepoll_change_set_by_data(&c[3], EPOLL_CTL_DEL, 4, 0);
	EXPECT_EQ(4, xepoll_ctl_batch(self->epfd, c, 4, 0));
	EXPECT_EQ(0, c[0].result);
	EXPECT_EQ(0, c[1].result);
	EXPECT_EQ(2, c[2].result);
	EXPECT_EQ(-ENOENT, c[3].result);
	EXPECT_EQ(0, count_registrations(self->epfd));
}

/* The watches removed by data are given back to the user. */
TEST_F(bydata, uncharges_user)
{
	struct xep_counts before, after;
	int i;

	ASSERT_EQ(0, xep_counts_read(getuid(), &before));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, add(self->epfd, self->efd[i], EPOLLIN, 11));
	ASSERT_EQ(0, xep_counts_read(getuid(), &after));
	EXPECT_EQ(before.watches + 4, after.watches);
	EXPECT_EQ(4, xepoll_ctl_by_data(self->epfd, EPOLL_CTL_DEL, 11, 0));
	ASSERT_EQ(0, xep_counts_read(getuid(), &after));
	EXPECT_EQ(before.watches, after.watches);
}

struct racer {
	int epfd;
	atomic_bool stop;
	long errors;
};

/* ADD and DEL by descriptor, and closes, of fresh eventfds with data 9. */
static void *add_del_thread(void *arg)
{
	struct racer *r = arg;

	while (!atomic_load(&r->stop)) {
		int fd = eventfd(0, EFD_CLOEXEC);

		if (fd < 0)
			continue;
		if (backend_add(&backend_xepoll, r->epfd, fd, EPOLLIN, 9))
			r->errors++;
		if (fd & 1)
			xepoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL);
		/* The deprecated close through the instance is a close too. */
		if (fd & 2)
			xepoll_close(r->epfd, fd);
		else
			close(fd);
	}
	return NULL;
}

/* By data racing with ADD, DEL and close by another thread. */
TEST_F(bydata, races_with_ctl_and_close)
{
	struct racer r = { .epfd = self->epfd };
	struct xep_counts before, after;
	long long end = now_ms() + 1000;
	long found = 0;
	pthread_t t[2];
	int i, n;

	ASSERT_EQ(0, xep_counts_read(getuid(), &before));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, add_del_thread, &r));
	while (now_ms() < end) {
		n = xepoll_ctl_by_data(self->epfd, i & 1 ? EPOLL_CTL_MOD : EPOLL_CTL_DEL,
				       9, EPOLLIN | EPOLLOUT);
		ASSERT_TRUE(n > 0 || (n == -1 && errno == ENOENT)) TH_LOG("%s", strerror(errno));
		if (n > 0)
			found += n;
		i++;
	}
	atomic_store(&r.stop, true);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(0, r.errors);
	/* Whatever is left goes by data; then nothing is charged. */
	xepoll_ctl_by_data(self->epfd, EPOLL_CTL_DEL, 9, 0);
	EXPECT_EQ(0, count_registrations(self->epfd));
	ASSERT_EQ(0, xep_counts_read(getuid(), &after));
	EXPECT_EQ(before.watches, after.watches);
	TH_LOG("%ld matched by data", found);
}

TEST_HARNESS_MAIN
