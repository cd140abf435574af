// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the ready list and the wake-up callback (ready.c), with
 * the registration's life around them (item.c): real instances, real
 * files whose wait queues are woken with wake_up_poll(), and events
 * transferred to user memory as a wait transfers them.
 *
 * Level-triggered items stay ready while their file is; edge-triggered
 * ones report once per wake-up; one-shot ones disarm until MOD re-arms
 * them; the events reported are those of the file's that the item asked
 * for.
 */
#include <kunit/test.h>
#include <linux/mman.h>
#include <linux/uaccess.h>

#include "item.h"
#include "kunit_helpers.h"
#include "ready.h"

/* A fresh instance watching one fresh file as fd 3 with @events. */
static struct xep_item *xkt_setup(struct kunit *test, struct xep_instance **ep,
				  struct xkt_file **tf, __poll_t ready,
				  __poll_t events)
{
	struct xep_item *item;

	*ep = xkt_instance_new(test);
	*tf = xkt_file_new(test);
	(*tf)->mask = ready;
	KUNIT_ASSERT_EQ(test, 0, xkt_add(*ep, (*tf)->file, 3, events, 0x1234));
	item = xkt_find(*ep, (*tf)->file, 3);
	KUNIT_ASSERT_NOT_NULL(test, item);
	return item;
}

/* A file that is not ready is registered idle: nothing to report. */
static void xkt_ready_add_idle(struct kunit *test)
{
	struct xepoll_event ev[2];
	struct xep_instance *ep;
	struct xkt_file *tf;
	struct xep_item *item = xkt_setup(test, &ep, &tf, 0, EPOLLIN);

	KUNIT_EXPECT_FALSE(test, xkt_queued(ep, item));
	KUNIT_EXPECT_FALSE(test, xep_ready_available(ep));
	KUNIT_EXPECT_EQ(test, xkt_transfer(test, ep, ev, 2), 0);
	KUNIT_EXPECT_EQ(test, xkt_ev(xep_ready_poll(ep, 0)), 0U);
}

/* A file already ready at ADD is queued at once, with the caller's data. */
static void xkt_ready_add_ready(struct kunit *test)
{
	struct xepoll_event ev[2];
	struct xep_instance *ep;
	struct xkt_file *tf;
	struct xep_item *item = xkt_setup(test, &ep, &tf, EPOLLIN, EPOLLIN);

	KUNIT_EXPECT_TRUE(test, xkt_queued(ep, item));
	KUNIT_ASSERT_EQ(test, xkt_transfer(test, ep, ev, 2), 1);
	KUNIT_EXPECT_EQ(test, ev[0].events, xkt_ev(EPOLLIN));
	KUNIT_EXPECT_EQ(test, ev[0].data, 0x1234ULL);
}

/* ADD hooks the item on the file's queue, DEL takes it off. */
static void xkt_ready_hook_unhook(struct kunit *test)
{
	struct xep_instance *ep;
	struct xkt_file *tf;

	xkt_setup(test, &ep, &tf, 0, EPOLLIN);
	KUNIT_EXPECT_TRUE(test, xkt_hooked(tf));
	KUNIT_EXPECT_EQ(test, tf->polls, 1U);
	KUNIT_EXPECT_EQ(test, xkt_del(ep, tf->file, 3), 0);
	KUNIT_EXPECT_FALSE(test, xkt_hooked(tf));
	KUNIT_EXPECT_EQ(test, xkt_del(ep, tf->file, 3), -ENOENT);
}

/* A wake-up queues an idle item; a second one does not queue it twice. */
static void xkt_ready_wake_queues(struct kunit *test)
{
	struct xep_instance *ep;
	struct xkt_file *tf;
	struct xep_item *item = xkt_setup(test, &ep, &tf, 0, EPOLLIN);

	xkt_file_wake(tf, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_TRUE(test, xkt_queued(ep, item));
	KUNIT_EXPECT_TRUE(test, xep_ready_available(ep));
	xkt_file_wake(tf, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_EQ(test, xkt_ready_count(ep), 1U);
	KUNIT_EXPECT_EQ(test, xkt_ev(xep_ready_poll(ep, 0)),
			xkt_ev(EPOLLIN | EPOLLRDNORM));
}

/* A wake-up without a key (wake_up()) cannot be filtered: it queues. */
static void xkt_ready_wake_no_key(struct kunit *test)
{
	struct xep_instance *ep;
	struct xkt_file *tf;
	struct xep_item *item = xkt_setup(test, &ep, &tf, 0, EPOLLIN);

	xkt_file_wake(tf, EPOLLIN, 0);
	KUNIT_EXPECT_TRUE(test, xkt_queued(ep, item));
}

/* A wake-up whose key names only events the item ignores is dropped. */
static void xkt_ready_wake_filtered(struct kunit *test)
{
	struct xepoll_event ev[2];
	struct xep_instance *ep;
	struct xkt_file *tf;
	struct xep_item *item = xkt_setup(test, &ep, &tf, 0, EPOLLIN);

	xkt_file_wake(tf, EPOLLOUT, EPOLLOUT | EPOLLWRNORM);
	KUNIT_EXPECT_FALSE(test, xkt_queued(ep, item));
	KUNIT_EXPECT_EQ(test, xkt_transfer(test, ep, ev, 2), 0);
}

/* Only the events the item asked for are reported. */
static void xkt_ready_mask_reported(struct kunit *test)
{
	struct xepoll_event ev[2];
	struct xep_instance *ep;
	struct xkt_file *tf;

	xkt_setup(test, &ep, &tf, EPOLLIN | EPOLLOUT | EPOLLPRI,
		  EPOLLOUT | EPOLLRDHUP);
	KUNIT_ASSERT_EQ(test, xkt_transfer(test, ep, ev, 2), 1);
	KUNIT_EXPECT_EQ(test, ev[0].events, xkt_ev(EPOLLOUT));
}

/* An item whose file reports nothing it wants is never queued at ADD. */
static void xkt_ready_mask_none(struct kunit *test)
{
	struct xep_instance *ep;
	struct xkt_file *tf;
	struct xep_item *item = xkt_setup(test, &ep, &tf, EPOLLOUT, EPOLLIN);

	KUNIT_EXPECT_FALSE(test, xkt_queued(ep, item));
}

/* A stale wake-up (the file is no longer ready) reports nothing. */
static void xkt_ready_stale(struct kunit *test)
{
	struct xepoll_event ev[2];
	struct xep_instance *ep;
	struct xkt_file *tf;
	struct xep_item *item = xkt_setup(test, &ep, &tf, 0, EPOLLIN);

	xkt_file_wake(tf, EPOLLIN, EPOLLIN);
	tf->mask = 0;
	KUNIT_EXPECT_EQ(test, xkt_ev(xep_ready_poll(ep, 0)), 0U);
	KUNIT_EXPECT_FALSE(test, xkt_queued(ep, item));
	xkt_file_wake(tf, 0, EPOLLIN);
	KUNIT_EXPECT_EQ(test, xkt_transfer(test, ep, ev, 2), 0);
	KUNIT_EXPECT_FALSE(test, xkt_queued(ep, item));
}

/* Level-triggered: reported again and again while the file is ready. */
static void xkt_ready_level(struct kunit *test)
{
	struct xepoll_event ev[2];
	struct xep_instance *ep;
	struct xkt_file *tf;
	struct xep_item *item = xkt_setup(test, &ep, &tf, EPOLLIN, EPOLLIN);
	int i;

	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, xkt_transfer(test, ep, ev, 2), 1);
		KUNIT_EXPECT_TRUE(test, xkt_queued(ep, item));
	}
	/* Not ready any more: the next transfer drops it. */
	tf->mask = 0;
	KUNIT_EXPECT_EQ(test, xkt_transfer(test, ep, ev, 2), 0);
	KUNIT_EXPECT_FALSE(test, xkt_queued(ep, item));
}

/* Edge-triggered: once per wake-up, though the file stays ready. */
static void xkt_ready_edge(struct kunit *test)
{
	struct xepoll_event ev[2];
	struct xep_instance *ep;
	struct xkt_file *tf;
	struct xep_item *item = xkt_setup(test, &ep, &tf, EPOLLIN,
					  EPOLLIN | EPOLLET);

	KUNIT_EXPECT_EQ(test, xkt_transfer(test, ep, ev, 2), 1);
	KUNIT_EXPECT_FALSE(test, xkt_queued(ep, item));
	KUNIT_EXPECT_EQ(test, xkt_transfer(test, ep, ev, 2), 0);

	xkt_file_wake(tf, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_EQ(test, xkt_transfer(test, ep, ev, 2), 1);
	KUNIT_EXPECT_EQ(test, ev[0].events, xkt_ev(EPOLLIN));
	KUNIT_EXPECT_EQ(test, xkt_transfer(test, ep, ev, 2), 0);
}

/* One-shot: reported once, then disarmed; wake-ups no longer queue it. */
static void xkt_ready_oneshot_disarm(struct kunit *test)
{
	struct xepoll_event ev[2];
	struct xep_instance *ep;
	struct xkt_file *tf;
	struct xep_item *item = xkt_setup(test, &ep, &tf, EPOLLIN,
					  EPOLLIN | EPOLLONESHOT);

	KUNIT_EXPECT_EQ(test, xkt_transfer(test, ep, ev, 2), 1);
	KUNIT_EXPECT_EQ(test, xkt_ev(item->events & ~XEP_PRIVATE_BITS), 0U);
	KUNIT_EXPECT_TRUE(test, xkt_ev(item->events & EPOLLONESHOT));
	KUNIT_EXPECT_FALSE(test, xkt_queued(ep, item));

	xkt_file_wake(tf, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_FALSE(test, xkt_queued(ep, item));
	/* Not even by a wake-up without a key, which cannot be filtered. */
	xkt_file_wake(tf, EPOLLIN, 0);
	KUNIT_EXPECT_FALSE(test, xkt_queued(ep, item));
	KUNIT_EXPECT_EQ(test, xkt_transfer(test, ep, ev, 2), 0);
	/* Disarmed, not removed. */
	KUNIT_EXPECT_PTR_EQ(test, xkt_find(ep, tf->file, 3), item);
}

/* MOD re-arms a fired one-shot item; a ready file is queued at once. */
static void xkt_ready_oneshot_rearm(struct kunit *test)
{
	struct xepoll_event ev[2];
	struct xep_instance *ep;
	struct xkt_file *tf;
	struct xep_item *item = xkt_setup(test, &ep, &tf, EPOLLIN,
					  EPOLLIN | EPOLLONESHOT);

	KUNIT_EXPECT_EQ(test, xkt_transfer(test, ep, ev, 2), 1);
	KUNIT_EXPECT_EQ(test, xkt_mod(ep, tf->file, 3, EPOLLIN | EPOLLONESHOT, 99), 0);
	KUNIT_EXPECT_TRUE(test, xkt_queued(ep, item));
	KUNIT_ASSERT_EQ(test, xkt_transfer(test, ep, ev, 2), 1);
	KUNIT_EXPECT_EQ(test, ev[0].data, 99ULL);
	KUNIT_EXPECT_EQ(test, xkt_transfer(test, ep, ev, 2), 0);

	/* Re-armed while not ready: idle until the next wake-up queues it. */
	tf->mask = 0;
	KUNIT_EXPECT_EQ(test, xkt_mod(ep, tf->file, 3, EPOLLIN | EPOLLONESHOT, 7), 0);
	KUNIT_EXPECT_FALSE(test, xkt_queued(ep, item));
	xkt_file_wake(tf, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_TRUE(test, xkt_queued(ep, item));
	KUNIT_ASSERT_EQ(test, xkt_transfer(test, ep, ev, 2), 1);
	KUNIT_EXPECT_EQ(test, ev[0].data, 7ULL);
}

/* MOD to an event the file has queues the item; the new data is reported. */
static void xkt_ready_mod_mask(struct kunit *test)
{
	struct xepoll_event ev[2];
	struct xep_instance *ep;
	struct xkt_file *tf;
	struct xep_item *item = xkt_setup(test, &ep, &tf, EPOLLIN, EPOLLOUT);

	KUNIT_EXPECT_FALSE(test, xkt_queued(ep, item));
	KUNIT_EXPECT_EQ(test, xkt_mod(ep, tf->file, 3, EPOLLIN, 42), 0);
	KUNIT_EXPECT_TRUE(test, xkt_queued(ep, item));
	KUNIT_ASSERT_EQ(test, xkt_transfer(test, ep, ev, 2), 1);
	KUNIT_EXPECT_EQ(test, ev[0].events, xkt_ev(EPOLLIN));
	KUNIT_EXPECT_EQ(test, ev[0].data, 42ULL);
	KUNIT_EXPECT_EQ(test, xkt_mod(ep, tf->file, 4, EPOLLIN, 0), -ENOENT);
}

/* DEL of a ready item takes it off the ready list. */
static void xkt_ready_del_ready(struct kunit *test)
{
	struct xepoll_event ev[2];
	struct xep_instance *ep;
	struct xkt_file *tf;

	xkt_setup(test, &ep, &tf, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_EQ(test, xkt_ready_count(ep), 1U);
	KUNIT_EXPECT_EQ(test, xkt_del(ep, tf->file, 3), 0);
	KUNIT_EXPECT_EQ(test, xkt_ready_count(ep), 0U);
	KUNIT_EXPECT_EQ(test, xkt_transfer(test, ep, ev, 2), 0);
}

/*
 * maxevents bounds a transfer; what it did not reach goes first next
 * time, and reported level-triggered items go to the tail.
 */
static void xkt_ready_maxevents_order(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xepoll_event ev[4];
	int i;

	for (i = 0; i < 3; i++) {
		struct xkt_file *tf = xkt_file_new(test);

		tf->mask = EPOLLIN;
		KUNIT_ASSERT_EQ(test, xkt_add(ep, tf->file, 10 + i, EPOLLIN, i), 0);
	}
	KUNIT_ASSERT_EQ(test, xkt_transfer(test, ep, ev, 2), 2);
	KUNIT_EXPECT_EQ(test, ev[0].data, 0ULL);
	KUNIT_EXPECT_EQ(test, ev[1].data, 1ULL);
	KUNIT_ASSERT_EQ(test, xkt_transfer(test, ep, ev, 2), 2);
	KUNIT_EXPECT_EQ(test, ev[0].data, 2ULL);
	KUNIT_EXPECT_EQ(test, ev[1].data, 0ULL);
	KUNIT_ASSERT_EQ(test, xkt_transfer(test, ep, ev, 4), 3);
	KUNIT_EXPECT_EQ(test, ev[0].data, 1ULL);
	KUNIT_EXPECT_EQ(test, ev[1].data, 2ULL);
	KUNIT_EXPECT_EQ(test, ev[2].data, 0ULL);
}

/* A transfer to memory it cannot write fails, and the event stays. */
static void xkt_ready_transfer_efault(struct kunit *test)
{
	void __user *ro = xkt_user_buf(test, PROT_READ);
	struct xep_instance *ep;
	struct xkt_file *tf;
	struct xep_item *item = xkt_setup(test, &ep, &tf, EPOLLIN, EPOLLIN);

	KUNIT_EXPECT_EQ(test, xep_ready_transfer(ep, ro, 1, XEPOLL_EVENT_SIZE),
			-EFAULT);
	KUNIT_EXPECT_TRUE(test, xkt_queued(ep, item));
}

/* The packed layout: the data right after the 32-bit events. */
static void xkt_ready_transfer_packed(struct kunit *test)
{
	void __user *ubuf = xkt_user_buf(test, PROT_READ | PROT_WRITE);
	struct xep_instance *ep;
	struct xkt_file *tf;
	u8 raw[2 * XEPOLL_EVENT_SIZE_PACKED];
	u32 events;
	u64 data;

	xkt_setup(test, &ep, &tf, EPOLLIN, EPOLLIN);
	KUNIT_ASSERT_EQ(test, xep_ready_transfer(ep, ubuf, 2,
						 XEPOLL_EVENT_SIZE_PACKED), 1);
	KUNIT_ASSERT_EQ(test, copy_from_user(raw, ubuf, sizeof(raw)), 0);
	memcpy(&events, raw, sizeof(events));
	memcpy(&data, raw + 4, sizeof(data));
	KUNIT_EXPECT_EQ(test, events, xkt_ev(EPOLLIN));
	KUNIT_EXPECT_EQ(test, data, 0x1234ULL);
}

/* POLLFREE: the file's queue is going away; the item unhooks itself. */
static void xkt_ready_pollfree(struct kunit *test)
{
	struct xep_instance *ep;
	struct xkt_file *tf;
	struct xep_item *item = xkt_setup(test, &ep, &tf, 0, EPOLLIN);

	wake_up_poll(&tf->wq, EPOLLHUP | POLLFREE);
	KUNIT_EXPECT_FALSE(test, xkt_hooked(tf));
	KUNIT_EXPECT_NULL(test, READ_ONCE(item->pwq.whead));
	/* DEL must not touch the queue again. */
	KUNIT_EXPECT_EQ(test, xkt_del(ep, tf->file, 3), 0);
}

/* EPOLLEXCLUSIVE hooks an exclusive entry; others are not exclusive. */
static void xkt_ready_exclusive_hook(struct kunit *test)
{
	struct xep_instance *ep;
	struct xkt_file *tf;
	struct xep_item *item = xkt_setup(test, &ep, &tf, 0,
					  EPOLLIN | EPOLLEXCLUSIVE);
	struct xkt_file *tf2 = xkt_file_new(test);
	struct xep_item *item2;

	KUNIT_EXPECT_TRUE(test, item->pwq.wait.flags & WQ_FLAG_EXCLUSIVE);
	KUNIT_ASSERT_EQ(test, xkt_add(ep, tf2->file, 4, EPOLLIN, 0), 0);
	item2 = xkt_find(ep, tf2->file, 4);
	KUNIT_ASSERT_NOT_NULL(test, item2);
	KUNIT_EXPECT_FALSE(test, item2->pwq.wait.flags & WQ_FLAG_EXCLUSIVE);
}

/* Releasing an instance unhooks its items from every file. */
static void xkt_ready_release_unhooks(struct kunit *test)
{
	struct xep_instance *ep;
	struct xkt_file *tf;

	xkt_setup(test, &ep, &tf, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_TRUE(test, xkt_hooked(tf));
	xkt_instance_release(test, ep);
	KUNIT_EXPECT_FALSE(test, xkt_hooked(tf));
	/* The test's own reference is all that is left on the file. */
	KUNIT_EXPECT_EQ(test, file_count(tf->file), 1L);
}

static struct kunit_case xkt_ready_cases[] = {
	KUNIT_CASE(xkt_ready_add_idle),
	KUNIT_CASE(xkt_ready_add_ready),
	KUNIT_CASE(xkt_ready_hook_unhook),
	KUNIT_CASE(xkt_ready_wake_queues),
	KUNIT_CASE(xkt_ready_wake_no_key),
	KUNIT_CASE(xkt_ready_wake_filtered),
	KUNIT_CASE(xkt_ready_mask_reported),
	KUNIT_CASE(xkt_ready_mask_none),
	KUNIT_CASE(xkt_ready_stale),
	KUNIT_CASE(xkt_ready_level),
	KUNIT_CASE(xkt_ready_edge),
	KUNIT_CASE(xkt_ready_oneshot_disarm),
	KUNIT_CASE(xkt_ready_oneshot_rearm),
	KUNIT_CASE(xkt_ready_mod_mask),
	KUNIT_CASE(xkt_ready_del_ready),
	KUNIT_CASE(xkt_ready_maxevents_order),
	KUNIT_CASE(xkt_ready_transfer_efault),
	KUNIT_CASE(xkt_ready_transfer_packed),
	KUNIT_CASE(xkt_ready_pollfree),
	KUNIT_CASE(xkt_ready_exclusive_hook),
	KUNIT_CASE(xkt_ready_release_unhooks),
	{}
};

static struct kunit_suite xkt_ready_suite = {
	.name = "xepoll_ready",
	.test_cases = xkt_ready_cases,
};

kunit_test_suite(xkt_ready_suite);
