/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One test body, two backends: every behavioural selftest runs against
 * native epoll and against xepoll, so a test that passes on epoll proves it
 * asserts epoll's real semantics, and the same test on xepoll proves xepoll
 * meets them.
 *
 * A test file declares its fixture with a `const struct backend *be`
 * variant field and adds both variants with BACKEND_VARIANTS():
 *
 *	FIXTURE(ctl) { int epfd; };
 *	FIXTURE_VARIANT(ctl) { const struct backend *be; };
 *	BACKEND_VARIANTS(ctl);
 *	FIXTURE_SETUP(ctl) { self->epfd = variant->be->create1(0); ... }
 *
 * The xepoll variant fails, never skips, when /dev/xepoll is missing: the
 * guest loads the module before it runs the tests.
 */
#ifndef XEPOLL_SELFTESTS_BACKEND_H
#define XEPOLL_SELFTESTS_BACKEND_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <xepoll.h>

struct backend {
	const char *name;
	int (*create)(int size);
	int (*create1)(int flags);
	int (*ctl)(int epfd, int op, int fd, struct epoll_event *event);
	int (*wait)(int epfd, struct epoll_event *events, int maxevents,
		    int timeout);
	int (*pwait)(int epfd, struct epoll_event *events, int maxevents,
		     int timeout, const sigset_t *sigmask);
	int (*pwait2)(int epfd, struct epoll_event *events, int maxevents,
		      const struct timespec *timeout, const sigset_t *sigmask);
	/*
	 * close(2) of a watched @fd as a program would: plain close() on
	 * epoll; on xepoll, through the instance @epfd (xepoll_close()), as
	 * the LD_PRELOAD interposer does for an unmodified program.
	 */
	int (*close_watched)(int epfd, int fd);
};

static inline int backend_epoll_close(int epfd, int fd)
{
	(void)epfd;
	return close(fd);
}

static const struct backend backend_epoll = {
	.name = "epoll",
	.create = epoll_create,
	.create1 = epoll_create1,
	.ctl = epoll_ctl,
	.wait = epoll_wait,
	.pwait = epoll_pwait,
	.pwait2 = epoll_pwait2,
	.close_watched = backend_epoll_close,
};

static const struct backend backend_xepoll = {
	.name = "xepoll",
	.create = xepoll_create,
	.create1 = xepoll_create1,
	.ctl = xepoll_ctl,
	.wait = xepoll_wait,
	.pwait = xepoll_pwait,
	.pwait2 = xepoll_pwait2,
	.close_watched = xepoll_close,
};

/* ADD @fd to @epfd with @events and @data, through backend @be. */
static inline int backend_add(const struct backend *be, int epfd, int fd,
			      uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return be->ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* The call fails with @err, and errno says so (kselftest_harness.h). */
#define EXPECT_ERRNO(err, call) do {					\
	errno = 0;							\
	EXPECT_EQ(-1, (call));						\
	EXPECT_EQ(err, errno) TH_LOG("errno %d (%s), expected %s",	\
				     errno, strerror(errno), #err);	\
} while (0)

/* Both variants of a fixture whose variant struct has a `be` field. */
#define BACKEND_VARIANTS(fixture)				\
	FIXTURE_VARIANT_ADD(fixture, epoll) {			\
		.be = &backend_epoll,				\
	};							\
	FIXTURE_VARIANT_ADD(fixture, xepoll) {			\
		.be = &backend_xepoll,				\
	}

#endif /* XEPOLL_SELFTESTS_BACKEND_H */
