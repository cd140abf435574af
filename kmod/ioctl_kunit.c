// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the uapi's argument checks (ioctl.c, and the first checks
 * of ctl.c and wait.c): which commands exist where, the argument struct's
 * size and growth rule, and each field's validation, with the errors
 * user space sees. Arguments are copied from user memory, as they would
 * come from a process.
 *
 * The test thread has no descriptor table of its own, so no case makes a
 * call succeed that would install or look up a descriptor.
 */
#include <kunit/test.h>
#include <linux/mman.h>
#include <linux/signal.h>
#include <linux/uaccess.h>

#include "ioctl.h"
#include "kunit_helpers.h"

/* Copy @len bytes of @arg to user memory and issue @cmd with it. */
static long xkt_ioctl(struct kunit *test, struct file *file, unsigned int cmd,
		      const void *arg, size_t len, enum xep_ioc_target target)
{
	void __user *ubuf = xkt_user_buf(test, PROT_READ | PROT_WRITE);

	KUNIT_ASSERT_LE(test, len, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, copy_to_user(ubuf, arg, len), 0);
	return xep_ioctl(file, cmd, (unsigned long)ubuf, target);
}

static long xkt_ctl(struct kunit *test, struct file *file,
		    const struct xepoll_ctl *ctl)
{
	return xkt_ioctl(test, file, XEPOLL_IOC_CTL, ctl, sizeof(*ctl),
			 XEP_IOC_INSTANCE);
}

static long xkt_wait(struct kunit *test, struct file *file,
		     const struct xepoll_wait *wait)
{
	return xkt_ioctl(test, file, XEPOLL_IOC_WAIT, wait, sizeof(*wait),
			 XEP_IOC_INSTANCE);
}

/* A valid wait, polling (timeout 0), into @events. */
static struct xepoll_wait xkt_wait_args(void __user *events, int maxevents)
{
	return (struct xepoll_wait) {
		.events = (u64)(uintptr_t)events,
		.maxevents = maxevents,
		.event_size = XEPOLL_EVENT_SIZE,
	};
}

/* Commands of another type, or numbers without a command, are not ours. */
static void xkt_ioctl_unknown(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xepoll_ctl ctl = { .op = XEPOLL_CTL_ADD, .fd = -1 };

	KUNIT_EXPECT_EQ(test, xkt_ioctl(test, ep->file, _IOW('x', 0x10, struct xepoll_ctl),
					&ctl, sizeof(ctl), XEP_IOC_INSTANCE), -ENOTTY);
	KUNIT_EXPECT_EQ(test, xkt_ioctl(test, ep->file,
					_IOW(XEPOLL_IOC_MAGIC, 0x05, struct xepoll_ctl),
					&ctl, sizeof(ctl), XEP_IOC_INSTANCE), -ENOTTY);
	KUNIT_EXPECT_EQ(test, xkt_ioctl(test, ep->file,
					_IOW(XEPOLL_IOC_MAGIC, 0xff, struct xepoll_ctl),
					&ctl, sizeof(ctl), XEP_IOC_INSTANCE), -ENOTTY);
	KUNIT_EXPECT_EQ(test, xep_ioctl(ep->file, _IO(XEPOLL_IOC_MAGIC, 0), 0,
					XEP_IOC_DEVICE), -ENOTTY);
}

/* Each command only on the files it belongs to. */
static void xkt_ioctl_wrong_target(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xepoll_create create = {};
	struct xepoll_ctl ctl = { .op = XEPOLL_CTL_ADD, .fd = -1 };
	struct xepoll_wait wait = {};

	KUNIT_EXPECT_EQ(test, xkt_ioctl(test, ep->file, XEPOLL_IOC_CREATE, &create,
					sizeof(create), XEP_IOC_INSTANCE), -ENOTTY);
	KUNIT_EXPECT_EQ(test, xkt_ioctl(test, NULL, XEPOLL_IOC_CTL, &ctl,
					sizeof(ctl), XEP_IOC_DEVICE), -ENOTTY);
	KUNIT_EXPECT_EQ(test, xkt_ioctl(test, NULL, XEPOLL_IOC_WAIT, &wait,
					sizeof(wait), XEP_IOC_DEVICE), -ENOTTY);
}

/* The direction is part of the command: no read or read-write variants. */
static void xkt_ioctl_wrong_dir(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xepoll_ctl ctl = { .op = XEPOLL_CTL_ADD, .fd = -1 };

	KUNIT_EXPECT_EQ(test, xkt_ioctl(test, ep->file,
					_IOR(XEPOLL_IOC_MAGIC, 0x10, struct xepoll_ctl),
					&ctl, sizeof(ctl), XEP_IOC_INSTANCE), -ENOTTY);
	KUNIT_EXPECT_EQ(test, xkt_ioctl(test, ep->file,
					_IOWR(XEPOLL_IOC_MAGIC, 0x10, struct xepoll_ctl),
					&ctl, sizeof(ctl), XEP_IOC_INSTANCE), -ENOTTY);
	KUNIT_EXPECT_EQ(test, xep_ioctl(NULL, _IO(XEPOLL_IOC_MAGIC, 0x01), 0,
					XEP_IOC_DEVICE), -ENOTTY);
	KUNIT_EXPECT_EQ(test, xep_ioctl(NULL, _IOW(XEPOLL_IOC_MAGIC, 0x02, int), 0,
					XEP_IOC_DEVICE), -ENOTTY);
}

/* A struct smaller than its first version is EINVAL. */
static void xkt_ioctl_short_struct(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xepoll_ctl ctl = { .op = XEPOLL_CTL_ADD, .fd = -1 };

	KUNIT_EXPECT_EQ(test, xkt_ioctl(test, ep->file,
					_IOC(_IOC_WRITE, XEPOLL_IOC_MAGIC, 0x10, 16),
					&ctl, 16, XEP_IOC_INSTANCE), -EINVAL);
	KUNIT_EXPECT_EQ(test, xkt_ioctl(test, ep->file,
					_IOC(_IOC_WRITE, XEPOLL_IOC_MAGIC, 0x10, 0),
					&ctl, 0, XEP_IOC_INSTANCE), -EINVAL);
}

/*
 * A larger (newer) struct is accepted when what this module does not know
 * is zero, E2BIG otherwise.
 */
static void xkt_ioctl_larger_struct(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct {
		struct xepoll_ctl ctl;
		u64 future;
	} big = { .ctl = { .op = XEPOLL_CTL_ADD, .fd = -1 } };
	unsigned int cmd = _IOC(_IOC_WRITE, XEPOLL_IOC_MAGIC, 0x10, sizeof(big));

	/* Accepted: it reaches the handler, which finds no such fd. */
	KUNIT_EXPECT_EQ(test, xkt_ioctl(test, ep->file, cmd, &big, sizeof(big),
					XEP_IOC_INSTANCE), -EBADF);
	big.future = 1;
	KUNIT_EXPECT_EQ(test, xkt_ioctl(test, ep->file, cmd, &big, sizeof(big),
					XEP_IOC_INSTANCE), -E2BIG);
}

/* An argument that cannot be read is EFAULT. */
static void xkt_ioctl_efault(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	void __user *none = xkt_user_buf(test, PROT_NONE);

	KUNIT_EXPECT_EQ(test, xep_ioctl(ep->file, XEPOLL_IOC_CTL, (unsigned long)none,
					XEP_IOC_INSTANCE), -EFAULT);
	KUNIT_EXPECT_EQ(test, xep_ioctl(ep->file, XEPOLL_IOC_WAIT, (unsigned long)none,
					XEP_IOC_INSTANCE), -EFAULT);
	KUNIT_EXPECT_EQ(test, xep_ioctl(NULL, XEPOLL_IOC_CREATE, (unsigned long)none,
					XEP_IOC_DEVICE), -EFAULT);
}

/* CREATE: flags other than XEPOLL_CLOEXEC, or a reserved field, EINVAL. */
static void xkt_ioctl_create_invalid(struct kunit *test)
{
	struct xepoll_create create = { .__reserved = 1 };

	KUNIT_EXPECT_EQ(test, xkt_ioctl(test, NULL, XEPOLL_IOC_CREATE, &create,
					sizeof(create), XEP_IOC_DEVICE), -EINVAL);
	create = (struct xepoll_create) { .flags = 1 };
	KUNIT_EXPECT_EQ(test, xkt_ioctl(test, NULL, XEPOLL_IOC_CREATE, &create,
					sizeof(create), XEP_IOC_DEVICE), -EINVAL);
	create.flags = XEPOLL_CLOEXEC | 04000;	/* O_NONBLOCK */
	KUNIT_EXPECT_EQ(test, xkt_ioctl(test, NULL, XEPOLL_IOC_CREATE, &create,
					sizeof(create), XEP_IOC_DEVICE), -EINVAL);
}

/* CLOSE: a value no descriptor can have is EBADF, not truncated. */
static void xkt_ioctl_close_range(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, xep_ioctl(NULL, XEPOLL_IOC_CLOSE, (unsigned long)INT_MAX + 1,
					XEP_IOC_DEVICE), -EBADF);
	KUNIT_EXPECT_EQ(test, xep_ioctl(NULL, XEPOLL_IOC_CLOSE, ULONG_MAX,
					XEP_IOC_DEVICE), -EBADF);
}

/* CTL: unknown flags, or events beside an event address, EINVAL. */
static void xkt_ioctl_ctl_flags(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xepoll_ctl ctl = { .op = XEPOLL_CTL_ADD, .fd = -1, .flags = 2 };

	KUNIT_EXPECT_EQ(test, xkt_ctl(test, ep->file, &ctl), -EINVAL);
	ctl.flags = XEPOLL_CTL_EVENT_ADDR;
	ctl.events = xkt_ev(EPOLLIN);
	KUNIT_EXPECT_EQ(test, xkt_ctl(test, ep->file, &ctl), -EINVAL);
}

/*
 * CTL with an event address: read before the descriptor is looked at, as
 * epoll_ctl() copies its event first, except for DEL, which has none.
 */
static void xkt_ioctl_ctl_event_addr(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	void __user *none = xkt_user_buf(test, PROT_NONE);
	struct xepoll_ctl ctl = {
		.op = XEPOLL_CTL_ADD, .fd = -1, .flags = XEPOLL_CTL_EVENT_ADDR,
		.data = (u64)(uintptr_t)none,
	};

	KUNIT_EXPECT_EQ(test, xkt_ctl(test, ep->file, &ctl), -EFAULT);
	ctl.op = XEPOLL_CTL_MOD;
	KUNIT_EXPECT_EQ(test, xkt_ctl(test, ep->file, &ctl), -EFAULT);
	/* Even an unknown op copies it. */
	ctl.op = 99;
	KUNIT_EXPECT_EQ(test, xkt_ctl(test, ep->file, &ctl), -EFAULT);
	ctl.op = XEPOLL_CTL_DEL;
	KUNIT_EXPECT_EQ(test, xkt_ctl(test, ep->file, &ctl), -EBADF);
}

/* CTL on a descriptor that is not open: EBADF, for every op. */
static void xkt_ioctl_ctl_badf(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xepoll_ctl ctl = { .fd = -1, .events = xkt_ev(EPOLLIN) };

	ctl.op = XEPOLL_CTL_ADD;
	KUNIT_EXPECT_EQ(test, xkt_ctl(test, ep->file, &ctl), -EBADF);
	ctl.op = XEPOLL_CTL_DEL;
	KUNIT_EXPECT_EQ(test, xkt_ctl(test, ep->file, &ctl), -EBADF);
	ctl.op = XEPOLL_CTL_MOD;
	KUNIT_EXPECT_EQ(test, xkt_ctl(test, ep->file, &ctl), -EBADF);
	ctl.fd = INT_MAX;
	KUNIT_EXPECT_EQ(test, xkt_ctl(test, ep->file, &ctl), -EBADF);
}

/* WAIT: unknown flags, or an event size that is neither layout, EINVAL. */
static void xkt_ioctl_wait_flags_size(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	void __user *ubuf = xkt_user_buf(test, PROT_READ | PROT_WRITE);
	struct xepoll_wait wait = xkt_wait_args(ubuf, 1);

	wait.flags = 4;
	KUNIT_EXPECT_EQ(test, xkt_wait(test, ep->file, &wait), -EINVAL);
	/* An absolute deadline is a timespec. */
	wait.flags = XEPOLL_WAIT_ABSOLUTE;
	KUNIT_EXPECT_EQ(test, xkt_wait(test, ep->file, &wait), -EINVAL);
	wait = xkt_wait_args(ubuf, 1);
	wait.event_size = 8;
	KUNIT_EXPECT_EQ(test, xkt_wait(test, ep->file, &wait), -EINVAL);
	wait.event_size = XEPOLL_EVENT_SIZE + 1;
	KUNIT_EXPECT_EQ(test, xkt_wait(test, ep->file, &wait), -EINVAL);
}

/* WAIT: maxevents must be positive and fit the buffer's size. */
static void xkt_ioctl_wait_maxevents(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	void __user *ubuf = xkt_user_buf(test, PROT_READ | PROT_WRITE);
	struct xepoll_wait wait = xkt_wait_args(ubuf, 0);

	KUNIT_EXPECT_EQ(test, xkt_wait(test, ep->file, &wait), -EINVAL);
	wait.maxevents = -1;
	KUNIT_EXPECT_EQ(test, xkt_wait(test, ep->file, &wait), -EINVAL);
	wait.maxevents = INT_MAX / XEPOLL_EVENT_SIZE + 1;
	KUNIT_EXPECT_EQ(test, xkt_wait(test, ep->file, &wait), -EINVAL);
	wait.maxevents = 1;
	KUNIT_EXPECT_EQ(test, xkt_wait(test, ep->file, &wait), 0);
}

/*
 * WAIT: a timespec with a millisecond timeout too, or a bad sigmask size;
 * and the fields the call leaves unused, which must be zero: the timespec
 * address without XEPOLL_WAIT_TIMESPEC, the mask's size without a mask.
 */
static void xkt_ioctl_wait_timeout_sigmask(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	void __user *ubuf = xkt_user_buf(test, PROT_READ | PROT_WRITE);
	struct xepoll_wait wait = xkt_wait_args(ubuf, 1);

	wait.flags = XEPOLL_WAIT_TIMESPEC;
	wait.timeout_ms = 1;
	KUNIT_EXPECT_EQ(test, xkt_wait(test, ep->file, &wait), -EINVAL);

	wait = xkt_wait_args(ubuf, 1);
	wait.sigmask = (u64)(uintptr_t)ubuf;
	wait.sigmask_size = sizeof(sigset_t) - 1;
	KUNIT_EXPECT_EQ(test, xkt_wait(test, ep->file, &wait), -EINVAL);

	wait = xkt_wait_args(ubuf, 1);
	wait.timeout = (u64)(uintptr_t)ubuf;
	KUNIT_EXPECT_EQ(test, xkt_wait(test, ep->file, &wait), -EINVAL);
	wait.timeout_ms = -1;
	KUNIT_EXPECT_EQ(test, xkt_wait(test, ep->file, &wait), -EINVAL);

	wait = xkt_wait_args(ubuf, 1);
	wait.sigmask_size = sizeof(sigset_t);
	KUNIT_EXPECT_EQ(test, xkt_wait(test, ep->file, &wait), -EINVAL);
	wait.sigmask_size = 0;
	KUNIT_EXPECT_EQ(test, xkt_wait(test, ep->file, &wait), 0);
}

/* WAIT: an event buffer outside user memory is EFAULT. */
static void xkt_ioctl_wait_efault(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xepoll_wait wait = xkt_wait_args((void __user *)TASK_SIZE, 1);

	KUNIT_EXPECT_EQ(test, xkt_wait(test, ep->file, &wait), -EFAULT);
}

/* WAIT end to end: a ready item's event lands in the caller's buffer. */
static void xkt_ioctl_wait_event(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xkt_file *tf = xkt_file_new(test);
	void __user *ubuf = xkt_user_buf(test, PROT_READ | PROT_WRITE);
	struct xepoll_wait wait = xkt_wait_args(ubuf, 4);
	struct xepoll_event ev;

	KUNIT_ASSERT_EQ(test, xkt_add(ep, tf->file, 3, EPOLLIN | EPOLLOUT, 0xfeed), 0);
	KUNIT_EXPECT_EQ(test, xkt_wait(test, ep->file, &wait), 0);
	xkt_file_wake(tf, EPOLLOUT, EPOLLOUT);
	KUNIT_ASSERT_EQ(test, xkt_wait(test, ep->file, &wait), 1);
	KUNIT_ASSERT_EQ(test, copy_from_user(&ev, ubuf, sizeof(ev)), 0);
	KUNIT_EXPECT_EQ(test, ev.events, xkt_ev(EPOLLOUT));
	KUNIT_EXPECT_EQ(test, ev.data, 0xfeedULL);
}

static struct kunit_case xkt_ioctl_cases[] = {
	KUNIT_CASE(xkt_ioctl_unknown),
	KUNIT_CASE(xkt_ioctl_wrong_target),
	KUNIT_CASE(xkt_ioctl_wrong_dir),
	KUNIT_CASE(xkt_ioctl_short_struct),
	KUNIT_CASE(xkt_ioctl_larger_struct),
	KUNIT_CASE(xkt_ioctl_efault),
	KUNIT_CASE(xkt_ioctl_create_invalid),
	KUNIT_CASE(xkt_ioctl_close_range),
	KUNIT_CASE(xkt_ioctl_ctl_flags),
	KUNIT_CASE(xkt_ioctl_ctl_event_addr),
	KUNIT_CASE(xkt_ioctl_ctl_badf),
	KUNIT_CASE(xkt_ioctl_wait_flags_size),
	KUNIT_CASE(xkt_ioctl_wait_maxevents),
	KUNIT_CASE(xkt_ioctl_wait_timeout_sigmask),
	KUNIT_CASE(xkt_ioctl_wait_efault),
	KUNIT_CASE(xkt_ioctl_wait_event),
	{}
};

static struct kunit_suite xkt_ioctl_suite = {
	.name = "xepoll_ioctl",
	.test_cases = xkt_ioctl_cases,
};

kunit_test_suite(xkt_ioctl_suite);
