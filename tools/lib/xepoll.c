// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libxepoll: epoll's API over the ioctls of /dev/xepoll.
 *
 * Every function is one system call but xepoll_create1() (the device is
 * opened, asked for an instance, and the instance moved onto the device's
 * descriptor, the lowest free one, as epoll would return), and passes the
 * caller's pointers to the kernel untouched, so that a bad pointer is
 * EFAULT, not a crash, as with epoll. Only when epfd is not an open
 * instance do a few more calls find the error epoll would report first
 * (ctl_not_instance(), wait_not_instance()).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/time_types.h>
#include <linux/xepoll.h>

#include "xepoll.h"

#define XEPOLL_PATH	"/dev/" XEPOLL_DEVICE_NAME

/*
 * The kernel's sigset_t, which epoll_pwait() passes with its size. Every
 * struct xepoll_wait built here gives the size only with a mask (the
 * kernel wants it zero without one, where epoll_pwait() ignores it), and
 * a timespec address only with XEPOLL_WAIT_TIMESPEC.
 */
#define KERNEL_SIGSET_SIZE	(_NSIG / 8)

static_assert(EPOLL_CLOEXEC == XEPOLL_CLOEXEC, "create flags are epoll's");
static_assert(EPOLL_CTL_ADD == XEPOLL_CTL_ADD && EPOLL_CTL_DEL == XEPOLL_CTL_DEL &&
	      EPOLL_CTL_MOD == XEPOLL_CTL_MOD, "ctl ops are epoll's");
static_assert(sizeof(struct epoll_event) == XEPOLL_EVENT_SIZE ||
	      sizeof(struct epoll_event) == XEPOLL_EVENT_SIZE_PACKED,
	      "struct epoll_event has a layout xepoll writes");

static inline uint64_t ptr_to_u64(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/*
 * An ioctl on an instance. A descriptor that is not one answers ENOTTY,
 * where epoll answers EINVAL for an epfd that is not an epoll instance.
 */
static int instance_ioctl(int epfd, unsigned long cmd, unsigned long arg)
{
	int ret = ioctl(epfd, cmd, arg);

	if (ret < 0 && errno == ENOTTY)
		errno = EINVAL;
	return ret;
}

int xepoll_create1(int flags)
{
	struct xepoll_create args = { .flags = (uint32_t)flags };
	int dev, fd, saved;

	/* Flags first, as epoll_create1() checks them before anything. */
	if (flags & ~EPOLL_CLOEXEC) {
		errno = EINVAL;
		return -1;
	}
	dev = open(XEPOLL_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -1;
	fd = ioctl(dev, XEPOLL_IOC_CREATE, &args);
	saved = errno;
	/*
	 * The device took the lowest free descriptor, which epoll_create1()
	 * would have returned: move the instance there, over the device.
	 */
	if (fd > dev && dup3(fd, dev, flags & EPOLL_CLOEXEC) == dev) {
		close(fd);
		return dev;
	}
	close(dev);
	errno = saved;
	return fd;
}

int xepoll_create(int size)
{
	if (size <= 0) {
		errno = EINVAL;
		return -1;
	}
	return xepoll_create1(0);
}

/*
 * A scratch instance, to ask the kernel about arguments when the caller's
 * epfd cannot be asked. -1 if there is none.
 */
static int scratch_instance(void)
{
	int saved = errno, fd = xepoll_create1(EPOLL_CLOEXEC);

	errno = saved;
	return fd;
}

/* Whether @fd is an open descriptor. */
static int fd_is_open(int fd)
{
	int saved = errno, ret = fcntl(fd, F_GETFD);

	errno = saved;
	return ret >= 0;
}

/*
 * epoll_ctl() when epfd is no instance (@err EINVAL) or not open (@err
 * EBADF). epoll reads the event, then checks fd (EBADF) and whether it
 * can be polled (EPERM), before it looks at epfd; the ioctl never got that
 * far. Ask a scratch instance the same questions through MOD, which reads
 * the event and checks fd as ADD does but changes nothing (DEL for DEL,
 * which reads no event), and answer with the first error epoll would give.
 */
static int ctl_not_instance(int op, int fd, struct epoll_event *event, int err)
{
	struct xepoll_ctl args = {
		.op = op == EPOLL_CTL_DEL ? XEPOLL_CTL_DEL : XEPOLL_CTL_MOD,
		/* A closed fd's number could go to the scratch instance. */
		.fd = fd_is_open(fd) ? fd : -1,
		.flags = XEPOLL_CTL_EVENT_ADDR,
		.data = ptr_to_u64(event),
	};
	int tmp = scratch_instance();
	int ret, probe;

	if (tmp >= 0) {
		ret = ioctl(tmp, XEPOLL_IOC_CTL, (unsigned long)&args);
		probe = errno;
		close(tmp);
		if (ret < 0 && (probe == EFAULT ||
				(err == EINVAL && (probe == EBADF || probe == EPERM))))
			err = probe;
	}
	errno = err;
	return -1;
}

int xepoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	struct xepoll_ctl args = {
		.op = (uint32_t)op,
		.fd = fd,
		.flags = XEPOLL_CTL_EVENT_ADDR,
		.data = ptr_to_u64(event),
	};
	int ret = ioctl(epfd, XEPOLL_IOC_CTL, (unsigned long)&args);

	if (ret < 0 && errno == ENOTTY)
		return ctl_not_instance(op, fd, event, EINVAL);
	/* EBADF with an open epfd is the instance's answer about fd. */
	if (ret < 0 && errno == EBADF && !fd_is_open(epfd))
		return ctl_not_instance(op, fd, event, EBADF);
	return ret;
}

/*
 * A wait when epfd is no instance (@err EINVAL) or not open (@err EBADF).
 * epoll checks the timespec of epoll_pwait2(), the signal mask, maxevents
 * and the range of the events buffer before it looks at epfd; the ioctl
 * never got that far. A scratch instance answers for them:
 *
 * - the timespec (@args' own, if any) first, in a wait on the scratch
 *   instance with an always-ready registration and a buffer of our own,
 *   so that a valid timeout returns at once;
 * - the rest in a wait that does not sleep (zero timeout) on the empty
 *   instance, which has nothing to write to the caller's buffer, and
 *   puts the caller's signal mask back before it returns.
 */
static int wait_not_instance(const struct xepoll_wait *args, int err)
{
	struct xepoll_wait probe = *args;
	struct epoll_event ev = { .events = EPOLLOUT };
	int tmp, efd, ret, saved;

	tmp = scratch_instance();
	if (tmp < 0)
		goto out;

	if ((args->flags & XEPOLL_WAIT_TIMESPEC) && args->timeout) {
		efd = eventfd(0, EFD_CLOEXEC);
		if (efd < 0 || xepoll_ctl(tmp, EPOLL_CTL_ADD, efd, &ev)) {
			if (efd >= 0)
				close(efd);
			goto out_close;
		}
		probe.events = ptr_to_u64(&ev);
		probe.maxevents = 1;
		probe.event_size = sizeof(ev);
		probe.sigmask = 0;
		probe.sigmask_size = 0;
		ret = ioctl(tmp, XEPOLL_IOC_WAIT, (unsigned long)&probe);
		saved = errno;
		xepoll_ctl(tmp, EPOLL_CTL_DEL, efd, NULL);
		close(efd);
		if (ret < 0 && (saved == EINVAL || saved == EFAULT)) {
			err = saved;
			goto out_close;
		}
		probe = *args;
	}

	probe.flags = 0;
	probe.timeout = 0;
	probe.timeout_ms = 0;
	ret = ioctl(tmp, XEPOLL_IOC_WAIT, (unsigned long)&probe);
	if (ret < 0 && (errno == EINVAL || errno == EFAULT))
		err = errno;
out_close:
	close(tmp);
out:
	errno = err;
	return -1;
}

/* XEPOLL_IOC_WAIT on @epfd, with epoll's errors when epfd is no instance. */
static int wait_ioctl(int epfd, const struct xepoll_wait *args)
{
	int ret = ioctl(epfd, XEPOLL_IOC_WAIT, (unsigned long)args);

	if (ret < 0 && errno == ENOTTY)
		return wait_not_instance(args, EINVAL);
	/* The wait itself never fails with EBADF: epfd is not open. */
	if (ret < 0 && errno == EBADF)
		return wait_not_instance(args, EBADF);
	return ret;
}

int xepoll_pwait(int epfd, struct epoll_event *events, int maxevents,
		 int timeout, const sigset_t *sigmask)
{
	struct xepoll_wait args = {
		.events = ptr_to_u64(events),
		.maxevents = maxevents,
		.event_size = sizeof(*events),
		.timeout_ms = timeout,
		.sigmask = ptr_to_u64(sigmask),
		.sigmask_size = sigmask ? KERNEL_SIGSET_SIZE : 0,
	};

	return wait_ioctl(epfd, &args);
}

int xepoll_wait(int epfd, struct epoll_event *events, int maxevents,
		int timeout)
{
	return xepoll_pwait(epfd, events, maxevents, timeout, NULL);
}

int xepoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
		  const struct timespec *timeout, const sigset_t *sigmask)
{
	struct __kernel_timespec kts;
	struct xepoll_wait args = {
		.events = ptr_to_u64(events),
		.maxevents = maxevents,
		.event_size = sizeof(*events),
		.sigmask = ptr_to_u64(sigmask),
		.sigmask_size = sigmask ? KERNEL_SIGSET_SIZE : 0,
		.flags = XEPOLL_WAIT_TIMESPEC,
	};

	/*
	 * The kernel reads a 64-bit timespec. Where struct timespec is that,
	 * the caller's pointer goes as it is (a bad one is EFAULT); where it
	 * is not (32-bit time_t), it is converted here.
	 */
	if (sizeof(struct timespec) == sizeof(kts) || !timeout) {
		args.timeout = ptr_to_u64(timeout);
	} else {
		kts.tv_sec = timeout->tv_sec;
		kts.tv_nsec = timeout->tv_nsec;
		args.timeout = ptr_to_u64(&kts);
	}
	return wait_ioctl(epfd, &args);
}

/*
 * Deprecated: kept for programs built against XEPOLL_1.0. The kernel
 * releases a watched file's registrations at its last close by itself.
 */
int xepoll_close(int epfd, int fd)
{
	(void)epfd;
	return close(fd);
}

int xepoll_ctl_by_data(int epfd, int op, uint64_t data, uint32_t events)
{
	struct xepoll_ctl args = {
		.op = (uint32_t)op,
		.fd = -1,
		.events = events,
		.flags = XEPOLL_CTL_BY_DATA,
		.data = data,
	};

	return instance_ioctl(epfd, XEPOLL_IOC_CTL, (unsigned long)&args);
}

/*
 * A timespec as the kernel reads it (64-bit), in @kts if struct timespec
 * is not that already; the address to pass, 0 for NULL.
 */
static uint64_t kernel_timespec(const struct timespec *ts,
				struct __kernel_timespec *kts)
{
	if (sizeof(struct timespec) == sizeof(*kts) || !ts)
		return ptr_to_u64(ts);
	kts->tv_sec = ts->tv_sec;
	kts->tv_nsec = ts->tv_nsec;
	return ptr_to_u64(kts);
}

/* struct xepoll_wait for @opts (NULL: wait for ever for one event). */
static void wait_args(struct xepoll_wait *args, struct epoll_event *events,
		      int maxevents, const struct xepoll_wait_opts *opts,
		      struct __kernel_timespec *kts)
{
	memset(args, 0, sizeof(*args));
	args->events = ptr_to_u64(events);
	args->maxevents = maxevents;
	args->event_size = sizeof(*events);
	args->flags = XEPOLL_WAIT_TIMESPEC;
	if (!opts)
		return;
	args->timeout = kernel_timespec(opts->timeout, kts);
	args->sigmask = ptr_to_u64(opts->sigmask);
	args->sigmask_size = opts->sigmask ? KERNEL_SIGSET_SIZE : 0;
	args->flags |= opts->flags;
	args->min_events = (uint32_t)opts->min_events;
	args->clockid = opts->clockid;
	args->min_wait_ns = opts->min_wait_ns;
	/* Negative values and reserved bits reach the kernel, which says EINVAL. */
	if (opts->min_events < 0 || opts->__reserved[0] || opts->__reserved[1] ||
	    opts->__reserved[2] || opts->__reserved[3] || opts->__reserved[4])
		args->min_events = UINT32_MAX;
}

int xepoll_submit(int epfd, struct xepoll_change *changes, unsigned int nr,
		  unsigned int flags, unsigned int *nr_done,
		  struct epoll_event *events, int maxevents,
		  const struct xepoll_wait_opts *opts)
{
	struct __kernel_timespec kts;
	struct xepoll_wait wait;
	struct xepoll_submit args = {
		.changes = ptr_to_u64(changes),
		.nr_changes = nr,
		.change_size = sizeof(*changes),
		.flags = flags,
	};
	int ret, saved;

	if (maxevents || events) {
		wait_args(&wait, events, maxevents, opts, &kts);
		args.wait = ptr_to_u64(&wait);
		args.wait_size = sizeof(wait);
	}
	ret = instance_ioctl(epfd, XEPOLL_IOC_SUBMIT, (unsigned long)&args);
	saved = errno;
	if (nr_done)
		*nr_done = args.nr_done;
	errno = saved;
	return ret;
}

int xepoll_ctl_batch(int epfd, struct xepoll_change *changes, unsigned int nr,
		     unsigned int flags)
{
	return xepoll_submit(epfd, changes, nr, flags, NULL, NULL, 0, NULL);
}

int xepoll_wait_min(int epfd, struct epoll_event *events, int maxevents,
		    int min_events, uint64_t min_wait_ns,
		    const struct timespec *timeout, const sigset_t *sigmask)
{
	const struct xepoll_wait_opts opts = {
		.min_events = min_events,
		.min_wait_ns = min_wait_ns,
		.timeout = timeout,
		.sigmask = sigmask,
	};
	struct __kernel_timespec kts;
	struct xepoll_wait args;

	wait_args(&args, events, maxevents, &opts, &kts);
	return instance_ioctl(epfd, XEPOLL_IOC_WAIT, (unsigned long)&args);
}

int xepoll_wait_until(int epfd, struct epoll_event *events, int maxevents,
		      clockid_t clockid, const struct timespec *deadline,
		      const sigset_t *sigmask)
{
	const struct xepoll_wait_opts opts = {
		.clockid = clockid,
		.timeout = deadline,
		.sigmask = sigmask,
		.flags = XEPOLL_WAIT_ABSOLUTE,
	};
	struct __kernel_timespec kts;
	struct xepoll_wait args;

	wait_args(&args, events, maxevents, &opts, &kts);
	return instance_ioctl(epfd, XEPOLL_IOC_WAIT, (unsigned long)&args);
}

/*
 * No ENOTTY-to-EINVAL translation here: EPIOCSPARAMS on a descriptor
 * that is not an epoll instance is answered by that file (ENOTTY for
 * most), as on a kernel whose epoll has no such ioctl.
 */
int xepoll_set_params(int epfd, const struct xepoll_params *params)
{
	return ioctl(epfd, XEPOLL_IOC_SET_PARAMS, params);
}

int xepoll_get_params(int epfd, struct xepoll_params *params)
{
	return ioctl(epfd, XEPOLL_IOC_GET_PARAMS, params);
}
