// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the KUnit suites, and the test module's own description.
 *
 * The suites run in a kernel thread. Files are released there with
 * __fput_sync(), so that a test sees the effects of a release (charges
 * returned, items gone) before it ends; kunit_vm_mmap() gives the thread
 * the user memory that event transfer and ioctl arguments need.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "item.h"
#include "kunit_helpers.h"
#include "ready.h"
#include "tree.h"

static __poll_t xkt_file_poll(struct file *file, poll_table *pt)
{
	struct xkt_file *tf = file->private_data;
	void (*on_poll)(void *arg) = tf->on_poll;

	poll_wait(file, &tf->wq, pt);
	tf->polls++;
	if (on_poll) {
		tf->on_poll = NULL;
		on_poll(tf->on_poll_arg);
	}
	return READ_ONCE(tf->mask);
}

/*
 * xepoll holds no reference to a watched file, and must be off its queue
 * by the time it is released (files.c): the queue goes with the file.
 */
static int xkt_file_release(struct inode *inode, struct file *file)
{
	struct xkt_file *tf = file->private_data;

	/* Nothing else can reach the queue now: no lock is needed. */
	WARN_ONCE(waitqueue_active(&tf->wq),
		  "xepoll: a watched file was released with a hook on its queue");
	kfree(tf);
	return 0;
}

static const struct file_operations xkt_file_fops = {
	.owner		= THIS_MODULE,
	.poll		= xkt_file_poll,
	.release	= xkt_file_release,
	.llseek		= noop_llseek,
};

/*
 * Release the test's reference now; and finish the releases that fput()
 * deferred meanwhile (a kernel thread's go to a work queue), such as the
 * reference a poll took on an item's file, so that nothing of the test
 * outlives it and the test module can be unloaded as soon as it has run.
 */
static void xkt_fput_action(void *file)
{
	__fput_sync(file);
	flush_delayed_fput();
}

/*
 * A pollable file, not ready. The test's reference, its only one (a
 * registration holds none), goes when the test ends, or at
 * xkt_file_close().
 */
struct xkt_file *xkt_file_new(struct kunit *test)
{
	struct xkt_file *tf;
	struct file *file;

	tf = kzalloc(sizeof(*tf), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tf);
	init_waitqueue_head(&tf->wq);
	file = anon_inode_getfile("[xepoll-kunit]", &xkt_file_fops, tf, O_RDWR);
	if (IS_ERR(file))
		kfree(tf);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(file), "anon_inode_getfile: %ld",
			       PTR_ERR(file));
	tf->file = file;
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, xkt_fput_action, file));
	return tf;
}

/* Drop the test's reference to @tf's file now: its last close; @tf goes. */
void xkt_file_close(struct kunit *test, struct xkt_file *tf)
{
	kunit_release_action(test, xkt_fput_action, tf->file);
}

/* Make the file report @mask, and wake its queue with @key, as drivers do. */
void xkt_file_wake(struct xkt_file *tf, __poll_t mask, __poll_t key)
{
	WRITE_ONCE(tf->mask, mask);
	wake_up_poll(&tf->wq, key);
}

/* Whether anything is hooked on the file's queue, read under its lock. */
bool xkt_hooked(struct xkt_file *tf)
{
	bool hooked;

	spin_lock_irq(&tf->wq.lock);
	hooked = !list_empty(&tf->wq.head);
	spin_unlock_irq(&tf->wq.lock);
	return hooked;
}

/* A real instance, charged to the test thread's user (root). */
struct xep_instance *xkt_instance_new(struct kunit *test)
{
	struct file *file = xep_instance_new_file(0);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(file), "xep_instance_new_file: %ld",
			       PTR_ERR(file));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, xkt_fput_action, file));
	return file->private_data;
}

/* Release @ep now, as the last close() would, rather than at the end. */
void xkt_instance_release(struct kunit *test, struct xep_instance *ep)
{
	kunit_release_action(test, xkt_fput_action, ep->file);
}

int xkt_add(struct xep_instance *ep, struct file *file, int fd,
	    __poll_t events, u64 data)
{
	int ret;

	mutex_lock(&ep->mtx);
	ret = xep_item_insert(ep, file, fd, events, data);
	mutex_unlock(&ep->mtx);
	return ret;
}

int xkt_mod(struct xep_instance *ep, struct file *file, int fd,
	    __poll_t events, u64 data)
{
	struct xep_item *item;

	mutex_lock(&ep->mtx);
	item = xep_tree_find(ep, file, fd);
	if (item)
		xep_item_modify(ep, item, events, data, NULL);
	mutex_unlock(&ep->mtx);
	return item ? 0 : -ENOENT;
}

int xkt_del(struct xep_instance *ep, struct file *file, int fd)
{
	struct xep_item *item;

	mutex_lock(&ep->mtx);
	item = xep_tree_find(ep, file, fd);
	if (item)
		xep_item_remove(ep, item);
	mutex_unlock(&ep->mtx);
	return item ? 0 : -ENOENT;
}

struct xep_item *xkt_find(struct xep_instance *ep, struct file *file, int fd)
{
	struct xep_item *item;

	mutex_lock(&ep->mtx);
	item = xep_tree_find(ep, file, fd);
	mutex_unlock(&ep->mtx);
	return item;
}

/* Whether @item is on the ready list (or the overflow list). */
bool xkt_queued(struct xep_instance *ep, struct xep_item *item)
{
	bool queued;

	spin_lock_irq(&ep->lock);
	queued = !list_empty(&item->rdllink) ||
		 item->ovf_next != XEP_OVF_INACTIVE;
	spin_unlock_irq(&ep->lock);
	return queued;
}

unsigned int xkt_ready_count(struct xep_instance *ep)
{
	unsigned int n;

	spin_lock_irq(&ep->lock);
	n = list_count_nodes(&ep->rdllist);
	/* Outside a scan, the count a minimum batch relies on is exact. */
	WARN_ON(ep->ovflist == XEP_OVF_INACTIVE && n != ep->nready);
	spin_unlock_irq(&ep->lock);
	return n;
}

/* One page of the test thread's user memory, unmapped at the end. */
void __user *xkt_user_buf(struct kunit *test, unsigned long prot)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, prot,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "kunit_vm_mmap failed");
	KUNIT_ASSERT_LT(test, addr, (unsigned long)TASK_SIZE);
	return (void __user *)addr;
}

/* Transfer up to @maxevents events as a wait would, into @out. */
int xkt_transfer(struct kunit *test, struct xep_instance *ep,
		 struct xepoll_event *out, int maxevents)
{
	void __user *ubuf = xkt_user_buf(test, PROT_READ | PROT_WRITE);
	int n;

	KUNIT_ASSERT_LE(test, maxevents * sizeof(*out), PAGE_SIZE);
	n = xep_ready_transfer(ep, ubuf, maxevents, XEPOLL_EVENT_SIZE);
	if (n > 0)
		KUNIT_ASSERT_EQ(test, 0, copy_from_user(out, ubuf, n * sizeof(*out)));
	return n;
}

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xepoll: KUnit suites");
MODULE_AUTHOR("The xepoll developers");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
