// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit cases for the files table and the release of a file's
 * registrations at its last close (files.c, notify.c).
 *
 * The test files are real anonymous-inode files, so their last fput()
 * goes through __fput() and fsnotify_close() to xepoll's mark on the
 * shared anonymous inode, as an eventfd's would. A test file's
 * ->release() warns if anything is still hooked on its queue.
 */
#include <kunit/test.h>
#include <linux/file.h>
#include <linux/fs.h>

#include "compat.h"
#include "files.h"
#include "item.h"
#include "kunit_helpers.h"
#include "tree.h"
#include "user.h"

/* Registrations of @file in the table, any instance. */
static unsigned int xkt_watchers(struct file *file)
{
	struct xep_item *item;
	unsigned int n = 0;

	rcu_read_lock();
	xep_for_each_watcher(item, file)
		n++;
	rcu_read_unlock();
	return n;
}

static long xkt_watches(void)
{
	struct xep_user_totals totals;

	xep_user_totals(&totals);
	return totals.watches;
}

/*
 * The last close removes the file's registrations from every instance,
 * gives their charges back, and the file was never pinned.
 */
static void xkt_files_last_close(struct kunit *test)
{
	struct xep_instance *ep1 = xkt_instance_new(test);
	struct xep_instance *ep2 = xkt_instance_new(test);
	struct xkt_file *tf = xkt_file_new(test);
	struct file *file = tf->file;
	long before = xkt_watches();

	KUNIT_ASSERT_EQ(test, xkt_add(ep1, file, 3, EPOLLIN, 1), 0);
	KUNIT_ASSERT_EQ(test, xkt_add(ep1, file, 4, EPOLLIN, 2), 0);
	KUNIT_ASSERT_EQ(test, xkt_add(ep2, file, 3, EPOLLIN, 3), 0);
	KUNIT_EXPECT_EQ(test, xkt_watchers(file), 3U);
	KUNIT_EXPECT_EQ(test, xkt_watches(), before + 3);
	/* The test's own reference is the only one. */
	KUNIT_EXPECT_EQ(test, file_count(file), 1L);

	xkt_file_close(test, tf);
	/* @file is only a key from here on. */
	KUNIT_EXPECT_EQ(test, xkt_watchers(file), 0U);
	KUNIT_EXPECT_NULL(test, xkt_find(ep1, file, 3));
	KUNIT_EXPECT_NULL(test, xkt_find(ep1, file, 4));
	KUNIT_EXPECT_NULL(test, xkt_find(ep2, file, 3));
	KUNIT_EXPECT_EQ(test, xkt_watches(), before);
}

/*
 * A close while the instance's mtx is held does not wait for it: the
 * item is unhooked at once (the file's ->release() would warn), its file
 * is no longer reachable through it, and the next holder reaps it.
 */
static void xkt_files_close_busy_instance(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xkt_file *tf = xkt_file_new(test);
	struct file *file = tf->file;
	long before = xkt_watches();
	struct xep_item *item;

	KUNIT_ASSERT_EQ(test, xkt_add(ep, file, 5, EPOLLIN, 0), 0);
	item = xkt_find(ep, file, 5);
	KUNIT_ASSERT_NOT_NULL(test, item);

	mutex_lock(&ep->mtx);
	xkt_file_close(test, tf);
	/* Still in the tree, claimed: no file, no removal by DEL. */
	KUNIT_EXPECT_PTR_EQ(test, xep_tree_find(ep, file, 5), item);
	KUNIT_EXPECT_NULL(test, READ_ONCE(item->xf));
	KUNIT_EXPECT_NULL(test, xep_item_fget(item));
	KUNIT_EXPECT_FALSE(test, xep_item_remove(ep, item));
	KUNIT_EXPECT_EQ(test, xkt_watches(), before + 1);
	xep_instance_reap(ep);
	KUNIT_EXPECT_NULL(test, xep_tree_find(ep, file, 5));
	mutex_unlock(&ep->mtx);
	KUNIT_EXPECT_EQ(test, xkt_watches(), before);
}

/*
 * An instance released while a close has claimed one of its items: the
 * item is reaped, nothing is left in the tree (the put would warn).
 */
static void xkt_files_close_then_instance_release(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xkt_file *tf1 = xkt_file_new(test);
	struct xkt_file *tf2 = xkt_file_new(test);
	long before = xkt_watches();

	KUNIT_ASSERT_EQ(test, xkt_add(ep, tf1->file, 1, EPOLLIN, 0), 0);
	KUNIT_ASSERT_EQ(test, xkt_add(ep, tf2->file, 2, EPOLLIN, 0), 0);
	mutex_lock(&ep->mtx);
	xkt_file_close(test, tf1);
	mutex_unlock(&ep->mtx);
	xkt_instance_release(test, ep);
	KUNIT_EXPECT_FALSE(test, xkt_hooked(tf2));
	KUNIT_EXPECT_EQ(test, xkt_watchers(tf2->file), 0U);
	KUNIT_EXPECT_EQ(test, xkt_watches(), before);
}

/* Another file on the same (anonymous) inode closing touches nothing. */
static void xkt_files_close_other_file(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xkt_file *watched = xkt_file_new(test);
	struct xkt_file *other = xkt_file_new(test);

	KUNIT_ASSERT_PTR_EQ(test, file_inode(watched->file), file_inode(other->file));
	KUNIT_ASSERT_EQ(test, xkt_add(ep, watched->file, 1, EPOLLIN, 0), 0);
	KUNIT_EXPECT_EQ(test, xkt_watchers(other->file), 0U);
	xkt_file_close(test, other);
	KUNIT_EXPECT_NOT_NULL(test, xkt_find(ep, watched->file, 1));
	KUNIT_EXPECT_TRUE(test, xkt_hooked(watched));
	KUNIT_EXPECT_EQ(test, xkt_watchers(watched->file), 1U);
}

/* One entry per file, shared by instances; it goes with its last item. */
static void xkt_files_entry_shared(struct kunit *test)
{
	struct xep_instance *ep1 = xkt_instance_new(test);
	struct xep_instance *ep2 = xkt_instance_new(test);
	struct xkt_file *tf = xkt_file_new(test);

	KUNIT_ASSERT_EQ(test, xkt_add(ep1, tf->file, 1, EPOLLIN, 0), 0);
	KUNIT_ASSERT_EQ(test, xkt_add(ep2, tf->file, 1, EPOLLIN, 0), 0);
	KUNIT_EXPECT_EQ(test, xkt_watchers(tf->file), 2U);
	KUNIT_EXPECT_EQ(test, xkt_del(ep1, tf->file, 1), 0);
	KUNIT_EXPECT_EQ(test, xkt_watchers(tf->file), 1U);
	KUNIT_EXPECT_TRUE(test, xkt_hooked(tf));
	KUNIT_EXPECT_EQ(test, xkt_del(ep2, tf->file, 1), 0);
	KUNIT_EXPECT_EQ(test, xkt_watchers(tf->file), 0U);
	KUNIT_EXPECT_FALSE(test, xkt_hooked(tf));
	/* A new registration makes a new entry. */
	KUNIT_EXPECT_EQ(test, xkt_add(ep1, tf->file, 2, EPOLLIN, 0), 0);
	KUNIT_EXPECT_EQ(test, xkt_watchers(tf->file), 1U);
}

/*
 * A file whose last close is not announced (FMODE_NONOTIFY) is held by
 * its registrations, counted as a pin, and let go by DEL; any other file
 * is not held.
 */
static void xkt_files_unannounced_pinned(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xkt_file *plain = xkt_file_new(test);
	struct xkt_file *tf = xkt_file_new(test);
	struct xep_user_totals before, during, after;
	struct xep_item *item;

	KUNIT_EXPECT_TRUE(test, xep_file_close_notified(plain->file));
	KUNIT_ASSERT_EQ(test, xkt_add(ep, plain->file, 1, EPOLLIN, 0), 0);
	KUNIT_EXPECT_FALSE(test, xkt_find(ep, plain->file, 1)->pinned);
	KUNIT_EXPECT_EQ(test, file_count(plain->file), 1L);

	tf->file->f_mode |= FMODE_NONOTIFY;
	KUNIT_EXPECT_FALSE(test, xep_file_close_notified(tf->file));
	xep_user_totals(&before);
	KUNIT_ASSERT_EQ(test, xkt_add(ep, tf->file, 2, EPOLLIN, 0), 0);
	item = xkt_find(ep, tf->file, 2);
	KUNIT_ASSERT_NOT_NULL(test, item);
	KUNIT_EXPECT_TRUE(test, item->pinned);
	KUNIT_EXPECT_EQ(test, file_count(tf->file), 2L);
	xep_user_totals(&during);
	KUNIT_EXPECT_EQ(test, during.pins, before.pins + 1);

	KUNIT_EXPECT_EQ(test, xkt_del(ep, tf->file, 2), 0);
	/* The reference goes through fput(): finish it. */
	flush_delayed_fput();
	KUNIT_EXPECT_EQ(test, file_count(tf->file), 1L);
	xep_user_totals(&after);
	KUNIT_EXPECT_EQ(test, after.pins, before.pins);
	tf->file->f_mode &= ~FMODE_NONOTIFY;
}

/* Many registrations of one file go in one close, in linear time. */
static void xkt_files_close_many(struct kunit *test)
{
	struct xep_instance *ep1 = xkt_instance_new(test);
	struct xep_instance *ep2 = xkt_instance_new(test);
	struct xkt_file *tf = xkt_file_new(test);
	struct file *file = tf->file;
	long before = xkt_watches();
	int fd;

	for (fd = 0; fd < 2000; fd++) {
		KUNIT_ASSERT_EQ(test, xkt_add(ep1, file, fd, EPOLLIN, fd), 0);
		KUNIT_ASSERT_EQ(test, xkt_add(ep2, file, fd, EPOLLIN, fd), 0);
	}
	KUNIT_EXPECT_EQ(test, xkt_watchers(file), 4000U);
	xkt_file_close(test, tf);
	KUNIT_EXPECT_EQ(test, xkt_watchers(file), 0U);
	KUNIT_EXPECT_EQ(test, xkt_watches(), before);
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&ep1->tree.rb_root));
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&ep2->tree.rb_root));
}

static struct kunit_case xkt_files_cases[] = {
	KUNIT_CASE(xkt_files_last_close),
	KUNIT_CASE(xkt_files_close_busy_instance),
	KUNIT_CASE(xkt_files_close_then_instance_release),
	KUNIT_CASE(xkt_files_close_other_file),
	KUNIT_CASE(xkt_files_entry_shared),
	KUNIT_CASE(xkt_files_unannounced_pinned),
	KUNIT_CASE(xkt_files_close_many),
	{}
};

static struct kunit_suite xkt_files_suite = {
	.name = "xepoll_files",
	.test_cases = xkt_files_cases,
};

kunit_test_suite(xkt_files_suite);
