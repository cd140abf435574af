// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libxepoll: epoll's API over the ioctls of /dev/xepoll.
 *
 * Every function is one system call but xepoll_create1() (the device is
 * opened, asked for an instance, and the instance moved onto the device's
 * descriptor, the lowest free one, as epoll would return), and passes the
 * caller's pointers to the kernel untouched, so that a bad pointer is
 * EFAULT, not a crash, as with epoll. Only where the ioctl of one of
 * epoll's calls fails because epfd is not an open instance (EBADF,
 * ENOTTY), or with EINVAL, does a second call follow: the same call to
 * the kernel's epoll, which finds the error epoll reports first, or acts
 * on a native epoll instance (native_epoll(), ctl_native(), wait_ioctl()).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
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
	/* xepoll's own bit for EPOLL_CLOEXEC, O_CLOEXEC on any architecture. */
	struct xepoll_create args = {
		.flags = flags & EPOLL_CLOEXEC ? XEPOLL_CLOEXEC : 0,
	};
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
 * The kernel's epoll, as the oracle of the error paths: an epoll call made
 * by number, with the caller's arguments as they came. A call whose epfd
 * is not an open xepoll instance goes there once the ioctl has failed:
 * epfd being no epoll instance either, epoll checks the other arguments in
 * its own order and fails, having created nothing, with the error it
 * would have given first; and where epfd is a native epoll instance, the
 * call acts on it, as epoll's own would. So an error path costs a failed
 * ioctl and one epoll call. The alternative, a validation ioctl carrying
 * epfd on /dev/xepoll, costs an open() of the device (which takes the
 * lowest free number, a closed epfd's perhaps), that ioctl and a close()
 * on top of the failed one, which measured 3.5 to 18 times as much:
 * Documentation/benchmarks.rst, "The error paths", has the figures.
 *
 * A call that must fail at a check epoll makes no later than the one of
 * epfd's kind goes to epoll alone, without the ioctl: epoll's answer is
 * then the same whatever epfd is (epoll_decides_ctl(),
 * epoll_decides_wait()).
 *
 * The call is syscall(), not epoll_ctl() or epoll_pwait(), which the
 * interposer (tools/preload) defines as this library's; the interposer
 * defines syscall() too, and compiles this file with XEPOLL_NATIVE_SYSCALL
 * naming the C library's.
 */
#ifdef XEPOLL_NATIVE_SYSCALL
long XEPOLL_NATIVE_SYSCALL(long nr, long a0, long a1, long a2, long a3,
			   long a4, long a5);
#else
#define XEPOLL_NATIVE_SYSCALL	syscall
#endif

/* The kernel's bound on maxevents (fs/eventpoll.c). */
#define EP_MAX_EVENTS	(INT_MAX / (int)sizeof(struct epoll_event))

static long native_epoll(long nr, long a0, long a1, long a2, long a3, long a4,
			 long a5)
{
	return XEPOLL_NATIVE_SYSCALL(nr, a0, a1, a2, a3, a4, a5);
}

/*
 * Whether a failed ioctl on epfd leaves the answer to the kernel's epoll:
 * EBADF (epfd not open, or an instance's answer about fd), ENOTTY (a
 * file that is no instance), or EINVAL, which an instance gives for an
 * argument epoll refuses as well, but which is also how the epoll
 * instances of Linux 6.9 and later (and some other files) answer an ioctl
 * they do not know.
 */
static int ask_epoll(int err)
{
	return err == EBADF || err == ENOTTY || err == EINVAL;
}

/*
 * Whether epoll_ctl() must fail, whatever epfd is, at a check it makes no
 * later than the one of epfd's kind: epoll reads the event (EFAULT),
 * checks epfd (EBADF) and fd (EBADF, EPERM), then refuses (EINVAL) an epfd
 * that is no epoll instance or is fd, and then an unknown op. A negative
 * descriptor is never open. Such a call gets the same errno from epoll
 * whether epfd is an epoll instance, an xepoll instance or neither.
 */
static int epoll_decides_ctl(int epfd, int op, int fd)
{
	return epfd < 0 || fd < 0 || fd == epfd ||
	       (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL);
}

/*
 * epoll_ctl() when the ioctl failed with @err. epoll's answer stands, but
 * after an EBADF, which came from one of the two descriptors: from epfd,
 * and epoll can only add that the event is unreadable (EFAULT); from fd,
 * and epfd is an instance, which read the event already. Any other answer
 * means that a descriptor was opened since, which leaves EBADF the answer
 * (DEL, which reads no event, needs no second call for that).
 */
static int ctl_native(int epfd, int op, int fd, struct epoll_event *event,
		      int err)
{
	int ret;

	if (err == EBADF && op == EPOLL_CTL_DEL)
		goto out;
	ret = (int)native_epoll(SYS_epoll_ctl, epfd, op, fd, (long)event, 0, 0);
	if (ret == 0 || err != EBADF || errno == EFAULT)
		return ret;
out:
	errno = EBADF;
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
	int ret;

	if (epoll_decides_ctl(epfd, op, fd))
		return (int)native_epoll(SYS_epoll_ctl, epfd, op, fd, (long)event,
					 0, 0);
	ret = ioctl(epfd, XEPOLL_IOC_CTL, (unsigned long)&args);
	if (ret < 0 && ask_epoll(errno))
		return ctl_native(epfd, op, fd, event, errno);
	return ret;
}

/*
 * The same for the waits, which check the timespec (epoll_pwait2()), the
 * signal mask, maxevents and the events buffer's range, in that order,
 * before epfd.
 */
static int epoll_decides_wait(int epfd, const struct xepoll_wait *args)
{
	return epfd < 0 || args->maxevents <= 0 || args->maxevents > EP_MAX_EVENTS;
}

/*
 * XEPOLL_IOC_WAIT on @epfd; where it failed for epfd (EBADF, ENOTTY) or
 * with EINVAL, epoll_pwait() or epoll_pwait2() with the caller's
 * arguments. It installs the signal mask for that call only, and waits,
 * as asked, if epfd is a native epoll instance. An instance's EINVAL is
 * for an argument epoll checks before epfd: epoll gives it too.
 */
static int wait_ioctl(int epfd, const struct xepoll_wait *args)
{
	int ret;

	if (!epoll_decides_wait(epfd, args)) {
		ret = ioctl(epfd, XEPOLL_IOC_WAIT, (unsigned long)args);
		if (ret >= 0 || !ask_epoll(errno))
			return ret;
	}
	if (args->flags & XEPOLL_WAIT_TIMESPEC)
		return (int)native_epoll(SYS_epoll_pwait2, epfd, (long)args->events,
					 args->maxevents, (long)args->timeout,
					 (long)args->sigmask, (long)args->sigmask_size);
	return (int)native_epoll(SYS_epoll_pwait, epfd, (long)args->events,
				 args->maxevents, args->timeout_ms,
				 (long)args->sigmask, (long)args->sigmask_size);
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
