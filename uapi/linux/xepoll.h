/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * xepoll: user-space ABI.
 *
 * User space reaches xepoll through the misc device /dev/xepoll. An ioctl on
 * the device creates an instance and returns a file descriptor for it; the
 * ctl and wait ioctls act on that instance descriptor. The semantics are
 * epoll's (epoll(7), epoll_ctl(2), epoll_wait(2)), and so are the values of
 * the op codes and event bits, so callers convert nothing.
 *
 * Rules every argument struct follows:
 * - fixed-width types and explicit padding; no pointers, only __u64
 *   addresses, so 32-bit and 64-bit callers share one layout;
 * - every field named __reserved, every undefined flag bit, and every
 *   padding field must be zero, else the call fails with EINVAL;
 * - the struct may grow at its end: the size the caller built with is
 *   encoded in the ioctl number (_IOC_SIZE), a newer kernel zero-extends a
 *   smaller struct, and an older kernel accepts a larger one only if the
 *   part it does not know is zero (else E2BIG), as copy_struct_from_user()
 *   does for clone3() and openat2().
 */
#ifndef _UAPI_LINUX_XEPOLL_H
#define _UAPI_LINUX_XEPOLL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The device node's name, under /dev. */
#define XEPOLL_DEVICE_NAME	"xepoll"

/* ioctl type; free in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define XEPOLL_IOC_MAGIC	0xB9

/* Flags of struct xepoll_create: epoll_create1()'s (EPOLL_CLOEXEC). */
#define XEPOLL_CLOEXEC		02000000	/* O_CLOEXEC */

/* Operations of struct xepoll_ctl: epoll_ctl()'s values. */
#define XEPOLL_CTL_ADD		1
#define XEPOLL_CTL_DEL		2
#define XEPOLL_CTL_MOD		3

/*
 * Event bits are epoll's (EPOLLIN, EPOLLOUT, ..., EPOLLET, EPOLLONESHOT,
 * EPOLLWAKEUP, EPOLLEXCLUSIVE) with the values of <sys/epoll.h> and
 * <linux/eventpoll.h>; they are not repeated here.
 */

/**
 * struct xepoll_create - argument of XEPOLL_IOC_CREATE
 * @flags:	XEPOLL_CLOEXEC or 0; any other bit is EINVAL
 * @__reserved:	must be zero
 *
 * The ioctl returns the new instance's file descriptor.
 */
struct xepoll_create {
	__u32 flags;
	__u32 __reserved;
};

/* Flags of struct xepoll_ctl. */
#define XEPOLL_CTL_EVENT_ADDR	0x00000001U	/* @data is a struct epoll_event address */

/**
 * struct xepoll_ctl - argument of XEPOLL_IOC_CTL: one change to the
 *	interest list, as epoll_ctl(epfd, op, fd, event)
 * @op:		XEPOLL_CTL_ADD, XEPOLL_CTL_DEL or XEPOLL_CTL_MOD
 * @fd:		the file descriptor the change is about
 * @events:	epoll's event mask (ignored by DEL); zero with
 *		XEPOLL_CTL_EVENT_ADDR
 * @flags:	XEPOLL_CTL_* bits
 * @data:	returned unchanged with each event (ignored by DEL); with
 *		XEPOLL_CTL_EVENT_ADDR, the address of a struct epoll_event
 *		(<linux/eventpoll.h>'s layout) holding the events and the
 *		data instead, read as epoll_ctl() reads it: first, and
 *		only by the ops that take an event, so that a bad address
 *		is EFAULT exactly where epoll_ctl() says so
 */
struct xepoll_ctl {
	__u32 op;
	__s32 fd;
	__u32 events;
	__u32 flags;
	__u64 data;
};

/**
 * struct xepoll_event - one event, as XEPOLL_IOC_WAIT writes it
 * @events:	the ready events
 * @__pad:	written as zero
 * @data:	the data given at ADD or MOD
 *
 * This is struct epoll_event's layout on every architecture but x86-64,
 * where epoll's struct is packed to 12 bytes; struct xepoll_wait's
 * @event_size asks for either layout, so that a caller's epoll_event array
 * is filled in place.
 */
struct xepoll_event {
	__u32 events;
	__u32 __pad;
	__u64 data;
};

/* Values of struct xepoll_wait's event_size. */
#define XEPOLL_EVENT_SIZE		16	/* struct xepoll_event */
#define XEPOLL_EVENT_SIZE_PACKED	12	/* { __u32 events; __u64 data; } packed */

/* Flags of struct xepoll_wait. */
#define XEPOLL_WAIT_TIMESPEC	0x00000001U	/* @timeout is a timespec address */

/**
 * struct xepoll_wait - argument of XEPOLL_IOC_WAIT, as epoll_wait(),
 *	epoll_pwait() and epoll_pwait2()
 * @events:	address of an array of @maxevents events of @event_size bytes
 * @maxevents:	at least 1 and at most INT_MAX / @event_size, else EINVAL
 * @event_size:	XEPOLL_EVENT_SIZE or XEPOLL_EVENT_SIZE_PACKED
 * @timeout_ms:	without XEPOLL_WAIT_TIMESPEC, epoll_wait()'s timeout in
 *		milliseconds: negative waits for ever, 0 does not wait
 * @timeout:	with XEPOLL_WAIT_TIMESPEC, the address of a relative
 *		struct __kernel_timespec as epoll_pwait2() takes it, or 0 to
 *		wait for ever; @timeout_ms must then be zero
 * @sigmask:	address of the signal mask to install for the wait, as
 *		epoll_pwait(), or 0 to leave the mask alone
 * @sigmask_size: the size of the kernel's sigset_t (8) when @sigmask is set
 * @flags:	XEPOLL_WAIT_* bits
 *
 * The ioctl returns the number of events written, 0 on timeout.
 */
struct xepoll_wait {
	__u64 events;
	__s32 maxevents;
	__u32 event_size;
	__s64 timeout_ms;
	__u64 timeout;
	__u64 sigmask;
	__u32 sigmask_size;
	__u32 flags;
};

/*
 * On /dev/xepoll:
 *
 * XEPOLL_IOC_CREATE creates an instance; the ioctl returns its descriptor.
 *
 * On /dev/xepoll or on an instance descriptor:
 *
 * XEPOLL_IOC_CLOSE (argument: a file descriptor) closes that descriptor as
 * close(2) does, with close(2)'s errors. xepoll holds a reference to each
 * file it watches, so closing a watched descriptor does not by itself
 * release the file; this ioctl then also removes the file's registrations
 * from every instance if nothing but those registrations still holds the
 * file, so that the file is released at once, as it is with epoll. The
 * LD_PRELOAD interposer routes close() here.
 *
 * On an instance descriptor:
 *
 * XEPOLL_IOC_CTL applies one change to the interest list (epoll_ctl()).
 * XEPOLL_IOC_WAIT waits for events (epoll_wait(), epoll_pwait(),
 * epoll_pwait2()).
 */
#define XEPOLL_IOC_CREATE	_IOW(XEPOLL_IOC_MAGIC, 0x01, struct xepoll_create)
#define XEPOLL_IOC_CLOSE	_IO(XEPOLL_IOC_MAGIC, 0x02)
#define XEPOLL_IOC_CTL		_IOW(XEPOLL_IOC_MAGIC, 0x10, struct xepoll_ctl)
#define XEPOLL_IOC_WAIT		_IOW(XEPOLL_IOC_MAGIC, 0x11, struct xepoll_wait)

#endif /* _UAPI_LINUX_XEPOLL_H */
