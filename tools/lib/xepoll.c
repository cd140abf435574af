// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libxepoll: epoll's API over the ioctls of /dev/xepoll.
 *
 * Every function is one system call, two for xepoll_create1() (the device
 * is opened, asked for an instance and closed again), and passes the
 * caller's pointers to the kernel untouched, so that a bad pointer is
 * EFAULT, not a crash, as with epoll.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/time_types.h>
#include <linux/xepoll.h>

#include "xepoll.h"

#define XEPOLL_PATH	"/dev/" XEPOLL_DEVICE_NAME

/* The kernel's sigset_t, which epoll_pwait() passes with its size. */
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

int xepoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	struct xepoll_ctl args = {
		.op = (uint32_t)op,
		.fd = fd,
		.flags = XEPOLL_CTL_EVENT_ADDR,
		.data = ptr_to_u64(event),
	};

	return instance_ioctl(epfd, XEPOLL_IOC_CTL, (unsigned long)&args);
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

	return instance_ioctl(epfd, XEPOLL_IOC_WAIT, (unsigned long)&args);
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
	return instance_ioctl(epfd, XEPOLL_IOC_WAIT, (unsigned long)&args);
}

int xepoll_close(int epfd, int fd)
{
	return instance_ioctl(epfd, XEPOLL_IOC_CLOSE, (unsigned long)fd);
}
