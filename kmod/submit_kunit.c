// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the paths beyond epoll: XEPOLL_IOC_SUBMIT's checks,
 * results and STOP_ON_ERROR (submit.c), changes by data (ctl.c), and
 * minimum-batch waits and absolute deadlines (wait.c, ready.c's held
 * list). Arguments are copied from user memory, as from a process.
 *
 * The test thread has no descriptor table, so changes by descriptor find
 * no file (EBADF); changes by data need none, and reach items the suite
 * adds directly.
 */
#include <kunit/test.h>
#include <linux/mman.h>
#include <linux/time64.h>
#include <linux/uaccess.h>

#include "ioctl.h"
#include "kunit_helpers.h"
#include "tree.h"

/* Submit @sub (copied to user memory at @usub) on @ep. */
static long xkt_submit(struct kunit *test, struct xep_instance *ep,
		       struct xepoll_submit *sub, void __user *usub)
{
	long ret;

	KUNIT_ASSERT_EQ(test, copy_to_user(usub, sub, sizeof(*sub)), 0);
	ret = xep_ioctl(ep->file, XEPOLL_IOC_SUBMIT, (unsigned long)usub,
			XEP_IOC_INSTANCE);
	KUNIT_ASSERT_EQ(test, copy_from_user(sub, usub, sizeof(*sub)), 0);
	return ret;
}

static void xkt_change(struct xepoll_change *c, u32 op, int fd, u32 flags, u64 data)
{
	*c = (struct xepoll_change) {
		.op = op, .fd = fd, .flags = flags, .data = data, .result = 12345,
	};
}

/* The call's own checks: each refused whole, before any change. */
static void xkt_submit_call_checks(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xkt_file *tf = xkt_file_new(test);
	void __user *ubuf = xkt_user_buf(test, PROT_READ | PROT_WRITE);
	struct xepoll_change __user *uc = ubuf + 512;
	struct xepoll_change c;
	struct xepoll_submit sub, base = {
		.changes = (u64)(uintptr_t)uc,
		.nr_changes = 1,
		.change_size = sizeof(c),
	};

	KUNIT_ASSERT_EQ(test, xkt_add(ep, tf->file, 3, EPOLLIN, 7), 0);
	xkt_change(&c, XEPOLL_CTL_DEL, -1, XEPOLL_CTL_BY_DATA, 7);
	KUNIT_ASSERT_EQ(test, copy_to_user(uc, &c, sizeof(c)), 0);

	sub = base;
	sub.flags = 2;
	KUNIT_EXPECT_EQ(test, xkt_submit(test, ep, &sub, ubuf), -EINVAL);
	sub = base;
	sub.__reserved = 1;
	KUNIT_EXPECT_EQ(test, xkt_submit(test, ep, &sub, ubuf), -EINVAL);
	sub = base;
	sub.nr_changes = XEPOLL_SUBMIT_MAX_CHANGES + 1;
	KUNIT_EXPECT_EQ(test, xkt_submit(test, ep, &sub, ubuf), -EINVAL);
	sub = base;
	sub.change_size = sizeof(c) - 1;
	KUNIT_EXPECT_EQ(test, xkt_submit(test, ep, &sub, ubuf), -EINVAL);
	sub = base;
	sub.change_size = PAGE_SIZE + 1;
	KUNIT_EXPECT_EQ(test, xkt_submit(test, ep, &sub, ubuf), -E2BIG);
	sub = base;
	sub.wait_size = XEPOLL_WAIT_SIZE_VER1;
	KUNIT_EXPECT_EQ(test, xkt_submit(test, ep, &sub, ubuf), -EINVAL);
	sub = base;
	sub.changes = TASK_SIZE;
	KUNIT_EXPECT_EQ(test, xkt_submit(test, ep, &sub, ubuf), -EFAULT);
	/* The registration is still there. */
	KUNIT_EXPECT_NOT_NULL(test, xkt_find(ep, tf->file, 3));

	sub = base;
	KUNIT_EXPECT_EQ(test, xkt_submit(test, ep, &sub, ubuf), 1);
	KUNIT_EXPECT_EQ(test, sub.nr_done, 1U);
	KUNIT_EXPECT_NULL(test, xkt_find(ep, tf->file, 3));
}

/* Results per entry, and STOP_ON_ERROR's -ECANCELED. */
static void xkt_submit_results(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xkt_file *tf = xkt_file_new(test);
	void __user *ubuf = xkt_user_buf(test, PROT_READ | PROT_WRITE);
	struct xepoll_change __user *uc = ubuf + 512;
	struct xepoll_change c[4];
	struct xepoll_submit sub = {
		.changes = (u64)(uintptr_t)uc,
		.nr_changes = 4,
		.change_size = sizeof(c[0]),
	};

	KUNIT_ASSERT_EQ(test, xkt_add(ep, tf->file, 3, EPOLLIN, 7), 0);
	KUNIT_ASSERT_EQ(test, xkt_add(ep, tf->file, 4, EPOLLIN, 7), 0);
	xkt_change(&c[0], XEPOLL_CTL_ADD, 1000, 0, 0);		/* no such fd */
	xkt_change(&c[1], XEPOLL_CTL_MOD, -1, XEPOLL_CTL_BY_DATA, 7);
	xkt_change(&c[2], XEPOLL_CTL_DEL, -1, XEPOLL_CTL_BY_DATA, 7);
	xkt_change(&c[3], XEPOLL_CTL_DEL, -1, XEPOLL_CTL_BY_DATA, 7);
	c[1].events = xkt_ev(EPOLLOUT);
	KUNIT_ASSERT_EQ(test, copy_to_user(uc, c, sizeof(c)), 0);

	sub.flags = XEPOLL_SUBMIT_STOP_ON_ERROR;
	KUNIT_EXPECT_EQ(test, xkt_submit(test, ep, &sub, ubuf), 1);
	KUNIT_EXPECT_EQ(test, sub.nr_done, 1U);
	KUNIT_ASSERT_EQ(test, copy_from_user(c, uc, sizeof(c)), 0);
	KUNIT_EXPECT_EQ(test, c[0].result, -EBADF);
	KUNIT_EXPECT_EQ(test, c[1].result, -ECANCELED);
	KUNIT_EXPECT_EQ(test, c[3].result, -ECANCELED);
	KUNIT_EXPECT_EQ(test, xkt_ev(xkt_find(ep, tf->file, 3)->events), xkt_ev(EPOLLIN));

	sub.flags = 0;
	KUNIT_EXPECT_EQ(test, xkt_submit(test, ep, &sub, ubuf), 4);
	KUNIT_ASSERT_EQ(test, copy_from_user(c, uc, sizeof(c)), 0);
	KUNIT_EXPECT_EQ(test, c[0].result, -EBADF);
	KUNIT_EXPECT_EQ(test, c[1].result, 2);
	KUNIT_EXPECT_EQ(test, c[2].result, 2);
	KUNIT_EXPECT_EQ(test, c[3].result, -ENOENT);
	KUNIT_EXPECT_NULL(test, xkt_find(ep, tf->file, 3));
	KUNIT_EXPECT_NULL(test, xkt_find(ep, tf->file, 4));
}

/* MOD by data: all matches or, with an exclusive one, none. */
static void xkt_submit_mod_by_data(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xkt_file *tf = xkt_file_new(test);
	void __user *ubuf = xkt_user_buf(test, PROT_READ | PROT_WRITE);
	struct xepoll_ctl ctl = {
		.op = XEPOLL_CTL_MOD, .fd = -1, .flags = XEPOLL_CTL_BY_DATA,
		.events = xkt_ev(EPOLLOUT), .data = 9,
	};

	KUNIT_ASSERT_EQ(test, xkt_add(ep, tf->file, 3, EPOLLIN, 9), 0);
	KUNIT_ASSERT_EQ(test, xkt_add(ep, tf->file, 4, EPOLLIN | EPOLLEXCLUSIVE, 9), 0);
	KUNIT_ASSERT_EQ(test, copy_to_user(ubuf, &ctl, sizeof(ctl)), 0);
	KUNIT_EXPECT_EQ(test, xep_ioctl(ep->file, XEPOLL_IOC_CTL, (unsigned long)ubuf,
					XEP_IOC_INSTANCE), -EINVAL);
	KUNIT_EXPECT_EQ(test, xkt_ev(xkt_find(ep, tf->file, 3)->events), xkt_ev(EPOLLIN));

	KUNIT_ASSERT_EQ(test, xkt_del(ep, tf->file, 4), 0);
	KUNIT_EXPECT_EQ(test, xep_ioctl(ep->file, XEPOLL_IOC_CTL, (unsigned long)ubuf,
					XEP_IOC_INSTANCE), 1);
	KUNIT_EXPECT_EQ(test, xkt_ev(xkt_find(ep, tf->file, 3)->events),
			xkt_ev(EPOLLOUT | EPOLLERR | EPOLLHUP));
	KUNIT_EXPECT_EQ(test, xkt_find(ep, tf->file, 3)->data, 9ULL);
}

static struct xepoll_wait xkt_min_wait(void __user *events, int maxevents,
				       u32 min_events)
{
	return (struct xepoll_wait) {
		.events = (u64)(uintptr_t)events,
		.maxevents = maxevents,
		.event_size = XEPOLL_EVENT_SIZE,
		.min_events = min_events,
	};
}

static long xkt_wait_user(struct kunit *test, struct xep_instance *ep,
			  const struct xepoll_wait *w, void __user *uw)
{
	KUNIT_ASSERT_EQ(test, copy_to_user(uw, w, sizeof(*w)), 0);
	return xep_ioctl(ep->file, XEPOLL_IOC_WAIT, (unsigned long)uw,
			 XEP_IOC_INSTANCE);
}

/*
 * A minimum-batch poll gathers what is ready, each item once, and puts
 * the level-triggered ones back on the ready list when it ends.
 */
static void xkt_wait_min_batch_held(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xkt_file *a = xkt_file_new(test), *b = xkt_file_new(test);
	void __user *ubuf = xkt_user_buf(test, PROT_READ | PROT_WRITE);
	struct xepoll_wait w = xkt_min_wait(ubuf + 1024, 8, 4);

	KUNIT_ASSERT_EQ(test, xkt_add(ep, a->file, 3, EPOLLIN, 1), 0);
	KUNIT_ASSERT_EQ(test, xkt_add(ep, b->file, 4, EPOLLIN, 2), 0);
	xkt_file_wake(a, EPOLLIN, EPOLLIN);
	xkt_file_wake(b, EPOLLIN, EPOLLIN);
	/* Polling (timeout 0): 2 of the 4 wanted, each once. */
	KUNIT_EXPECT_EQ(test, xkt_wait_user(test, ep, &w, ubuf), 2);
	KUNIT_EXPECT_EQ(test, xkt_ready_count(ep), 2U);
	KUNIT_EXPECT_TRUE(test, xkt_queued(ep, xkt_find(ep, a->file, 3)));

	/* More than maxevents is EINVAL. */
	w.min_events = 9;
	KUNIT_EXPECT_EQ(test, xkt_wait_user(test, ep, &w, ubuf), -EINVAL);
}

/* A minimum-batch wait with min_wait returns early with what it has. */
static void xkt_wait_min_wait_ends(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xkt_file *a = xkt_file_new(test);
	void __user *ubuf = xkt_user_buf(test, PROT_READ | PROT_WRITE);
	struct xepoll_wait w = xkt_min_wait(ubuf + 1024, 8, 4);
	ktime_t t0;

	KUNIT_ASSERT_EQ(test, xkt_add(ep, a->file, 3, EPOLLIN, 1), 0);
	xkt_file_wake(a, EPOLLIN, EPOLLIN);
	w.timeout_ms = 10000;
	w.min_wait_ns = 20 * NSEC_PER_MSEC;
	t0 = ktime_get();
	KUNIT_EXPECT_EQ(test, xkt_wait_user(test, ep, &w, ubuf), 1);
	KUNIT_EXPECT_GE(test, ktime_ms_delta(ktime_get(), t0), 20);
	KUNIT_EXPECT_LT(test, ktime_ms_delta(ktime_get(), t0), 5000);
}

/* An absolute deadline: past polls; ahead, on CLOCK_REALTIME, expires. */
static void xkt_wait_deadline(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	void __user *ubuf = xkt_user_buf(test, PROT_READ | PROT_WRITE);
	struct xepoll_wait w = xkt_min_wait(ubuf + 1024, 8, 0);
	struct __kernel_timespec ts = { .tv_sec = 1 };
	struct timespec64 now;
	ktime_t t0;

	w.flags = XEPOLL_WAIT_TIMESPEC | XEPOLL_WAIT_ABSOLUTE;
	w.timeout = (u64)(uintptr_t)(ubuf + 512);
	w.clockid = CLOCK_MONOTONIC;
	KUNIT_ASSERT_EQ(test, copy_to_user(ubuf + 512, &ts, sizeof(ts)), 0);
	KUNIT_EXPECT_EQ(test, xkt_wait_user(test, ep, &w, ubuf), 0);

	ktime_get_real_ts64(&now);
	ts.tv_sec = now.tv_sec;
	ts.tv_nsec = now.tv_nsec;
	ts.tv_nsec += 20 * NSEC_PER_MSEC;
	if (ts.tv_nsec >= NSEC_PER_SEC) {
		ts.tv_sec++;
		ts.tv_nsec -= NSEC_PER_SEC;
	}
	KUNIT_ASSERT_EQ(test, copy_to_user(ubuf + 512, &ts, sizeof(ts)), 0);
	w.clockid = CLOCK_REALTIME;
	t0 = ktime_get();
	KUNIT_EXPECT_EQ(test, xkt_wait_user(test, ep, &w, ubuf), 0);
	KUNIT_EXPECT_GE(test, ktime_ms_delta(ktime_get(), t0), 10);

	w.clockid = CLOCK_TAI;
	KUNIT_EXPECT_EQ(test, xkt_wait_user(test, ep, &w, ubuf), -EINVAL);
}

static struct kunit_case xkt_submit_cases[] = {
	KUNIT_CASE(xkt_submit_call_checks),
	KUNIT_CASE(xkt_submit_results),
	KUNIT_CASE(xkt_submit_mod_by_data),
	KUNIT_CASE(xkt_wait_min_batch_held),
	KUNIT_CASE(xkt_wait_min_wait_ends),
	KUNIT_CASE(xkt_wait_deadline),
	{}
};

static struct kunit_suite xkt_submit_suite = {
	.name = "xepoll_submit",
	.test_cases = xkt_submit_cases,
};

kunit_test_suite(xkt_submit_suite);
