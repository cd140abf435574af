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
#include <sys/ioctl.h>
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
	 * The deprecated close of a watched @fd through the instance @epfd:
	 * xepoll_close() (XEPOLL_IOC_CLOSE) on xepoll, which is now a plain
	 * close kept for binaries built against it; close() on epoll. Tests
	 * close watched descriptors with close(), as epoll programs do, and
	 * use this only to show the old call is no different.
	 */
	int (*close_watched)(int epfd, int fd);
	/*
	 * Beyond epoll: xepoll's calls, and on epoll their equivalent built
	 * from the calls epoll has, so that a test of the new call's results
	 * holds them to what epoll would have done one call at a time.
	 */
	/* xepoll_ctl_batch(); on epoll, one epoll_ctl() per entry. */
	int (*ctl_batch)(int epfd, struct xepoll_change *changes,
			 unsigned int nr, unsigned int flags);
	/* xepoll_wait_until(); on epoll, epoll_pwait2() with the time left. */
	int (*wait_until)(int epfd, struct epoll_event *events, int maxevents,
			  clockid_t clockid, const struct timespec *deadline,
			  const sigset_t *sigmask);
	/*
	 * 6.12's busy-poll parameters: ioctl(EPIOCSPARAMS, EPIOCGPARAMS) on
	 * epoll, xepoll_set_params() and xepoll_get_params() on xepoll.
	 * struct epoll_params has struct xepoll_params' layout.
	 */
	int (*set_params)(int epfd, const struct xepoll_params *params);
	int (*get_params)(int epfd, struct xepoll_params *params);
};

/* <linux/eventpoll.h> of 6.9 and later; bookworm's headers have neither. */
#define BACKEND_EPIOCSPARAMS	_IOW(0x8A, 0x01, struct xepoll_params)
#define BACKEND_EPIOCGPARAMS	_IOR(0x8A, 0x02, struct xepoll_params)

static inline int backend_epoll_set_params(int epfd,
					   const struct xepoll_params *params)
{
	return ioctl(epfd, BACKEND_EPIOCSPARAMS, params);
}

static inline int backend_epoll_get_params(int epfd, struct xepoll_params *params)
{
	return ioctl(epfd, BACKEND_EPIOCGPARAMS, params);
}

static inline int backend_epoll_close(int epfd, int fd)
{
	(void)epfd;
	return close(fd);
}

/*
 * A batch as epoll does it: one epoll_ctl() per entry, each result 0 or
 * -errno, the entries after a stop -ECANCELED. epoll has no changes by
 * data: such an entry is EINVAL.
 */
static inline int backend_epoll_ctl_batch(int epfd, struct xepoll_change *c,
					  unsigned int nr, unsigned int flags)
{
	unsigned int i, done = 0;

	for (i = 0; i < nr; i++)
		c[i].result = -ECANCELED;
	for (i = 0; i < nr; i++) {
		struct epoll_event ev = { .events = c[i].events,
					  .data.u64 = c[i].data };

		if (c[i].flags || c[i].__reserved)
			c[i].result = -EINVAL;
		else
			c[i].result = epoll_ctl(epfd, (int)c[i].op, c[i].fd, &ev) ?
				      -errno : 0;
		done++;
		if (c[i].result < 0 && (flags & XEPOLL_SUBMIT_STOP_ON_ERROR))
			break;
	}
	return (int)done;
}

/* A deadline as epoll does it: epoll_pwait2() with the time left. */
static inline int backend_epoll_wait_until(int epfd, struct epoll_event *events,
					   int maxevents, clockid_t clockid,
					   const struct timespec *deadline,
					   const sigset_t *sigmask)
{
	struct timespec now, rel;
	long long left;

	if (!deadline || (clockid != CLOCK_MONOTONIC &&
			  clockid != CLOCK_REALTIME && clockid != CLOCK_BOOTTIME)) {
		errno = EINVAL;
		return -1;
	}
	clock_gettime(clockid, &now);
	left = (deadline->tv_sec - now.tv_sec) * 1000000000LL +
	       (deadline->tv_nsec - now.tv_nsec);
	if (left < 0)
		left = 0;
	rel.tv_sec = left / 1000000000LL;
	rel.tv_nsec = left % 1000000000LL;
	return epoll_pwait2(epfd, events, maxevents, &rel, sigmask);
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
	.ctl_batch = backend_epoll_ctl_batch,
	.wait_until = backend_epoll_wait_until,
	.set_params = backend_epoll_set_params,
	.get_params = backend_epoll_get_params,
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
	.ctl_batch = xepoll_ctl_batch,
	.wait_until = xepoll_wait_until,
	.set_params = xepoll_set_params,
	.get_params = xepoll_get_params,
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
