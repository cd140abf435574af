// SPDX-License-Identifier: GPL-2.0
/*
 * An xepoll instance: creation, its file's operations, and its end.
 *
 * The objects, the locks and the lifetimes are described in instance.h.
 */
#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include <linux/xepoll.h>

#include "compat.h"
#include "fdinfo.h"
#include "instance.h"
#include "ioctl.h"
#include "item.h"
#include "ready.h"
#include "ring.h"
#include "tree.h"
#include "user.h"
#include "wakeup.h"

void xep_instance_get(struct xep_instance *ep)
{
	refcount_inc(&ep->refcount);
}

/* The body of xep_instance_reap(), once it has seen items to reap. */
void __xep_instance_reap(struct xep_instance *ep)
{
	struct xep_item *item, *next;
	struct llist_node *released;

	released = llist_del_all(&ep->released);
	llist_for_each_entry_safe(item, next, released, rellink)
		xep_item_reap(ep, item);
}
EXPORT_SYMBOL_IF_KUNIT(__xep_instance_reap);

void xep_instance_put(struct xep_instance *ep)
{
	if (!refcount_dec_and_test(&ep->refcount))
		return;

	/*
	 * A release that could not take ep->mtx left its items to us. No
	 * one else can hold the mutex now, so taking it never waits; it is
	 * taken for the rules of the tree and the ready list alone.
	 */
	mutex_lock(&ep->mtx);
	xep_instance_reap(ep);
	mutex_unlock(&ep->mtx);
	WARN_ON_ONCE(!RB_EMPTY_ROOT(&ep->tree.rb_root));
	xep_ws_instance_destroy(ep);
	xep_user_put(ep->user);
	mutex_destroy(&ep->mtx);
	/* The files table's RCU readers may still look at it. */
	kfree_rcu(ep, rcu);
}

/*
 * Wake the pollers of @ep's file, from the callback of @from (NULL when
 * not called from a callback). Instances watching instances wake each
 * other's poll_wait queues nested, inner to outer; lockdep is told the
 * depth of each, as epoll's ep_poll_safewake() does.
 */
#ifdef CONFIG_DEBUG_LOCK_ALLOC
void xep_instance_poll_wake(struct xep_instance *ep, struct xep_item *from)
{
	unsigned long flags;
	u8 nests = 0;

	if (from) {
		if (xep_file_is_instance(from->file))
			nests = ((struct xep_instance *)from->file->private_data)->nests;
		else
			nests = 1;
	}
	spin_lock_irqsave_nested(&ep->poll_wait.lock, flags, nests);
	ep->nests = nests + 1;
	wake_up_locked_poll(&ep->poll_wait, EPOLLIN);
	ep->nests = 0;
	spin_unlock_irqrestore(&ep->poll_wait.lock, flags);
}
#else
void xep_instance_poll_wake(struct xep_instance *ep, struct xep_item *from)
{
	wake_up_poll(&ep->poll_wait, EPOLLIN);
}
#endif

__poll_t xep_instance_poll_nested(struct file *file, poll_table *pt, int depth)
{
	struct xep_instance *ep = file->private_data;

	poll_wait(file, &ep->poll_wait, pt);
	return xep_ready_poll(ep, depth);
}

static __poll_t xep_instance_poll(struct file *file, poll_table *pt)
{
	return xep_instance_poll_nested(file, pt, 0);
}

/*
 * The last reference to the instance's file is gone: drop every
 * registration, and with them every charge. Items a watched file's last
 * close has claimed are queued on ep->released by then (files.c), and
 * the reap after the walk takes them.
 */
static int xep_instance_release(struct inode *inode, struct file *file)
{
	struct xep_instance *ep = file->private_data;
	struct xep_item *item, *next;

	/* Pollers must let go of our poll_wait queue before it is freed. */
	if (waitqueue_active(&ep->poll_wait))
		xep_instance_poll_wake(ep, NULL);

	mutex_lock(&ep->mtx);
	for (item = xep_tree_first(ep); item; item = next) {
		next = xep_tree_next(item);
		xep_item_remove(ep, item);
		cond_resched();
	}
	xep_instance_reap(ep);
	xep_ring_detach(ep);
	mutex_unlock(&ep->mtx);

	xep_instance_put(ep);
	return 0;
}

static long xep_instance_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	return xep_ioctl(file, cmd, arg, XEP_IOC_INSTANCE);
}

const struct file_operations xep_instance_fops = {
	.owner		= THIS_MODULE,
	.release	= xep_instance_release,
	.poll		= xep_instance_poll,
	.mmap		= xep_ring_mmap,
	.unlocked_ioctl	= xep_instance_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
	.show_fdinfo	= xep_show_fdinfo,
};

/*
 * The open flags of @flags' XEPOLL_CLOEXEC: the uapi's bit is xepoll's
 * own, and O_CLOEXEC differs between architectures.
 */
static unsigned int xep_instance_open_flags(unsigned int flags)
{
	return flags & XEPOLL_CLOEXEC ? O_CLOEXEC : 0;
}

/*
 * A new instance and its file, with the file's one reference and no
 * descriptor: the body of XEPOLL_IOC_CREATE, and how the KUnit suites
 * make real instances. @flags are XEPOLL_CLOEXEC or nothing.
 */
struct file *xep_instance_new_file(unsigned int flags)
{
	struct xep_instance *ep;
	struct file *file;
	int ret;

	ep = kzalloc(sizeof(*ep), GFP_KERNEL_ACCOUNT);
	if (!ep)
		return ERR_PTR(-ENOMEM);
	mutex_init(&ep->mtx);
	spin_lock_init(&ep->lock);
	init_waitqueue_head(&ep->wq);
	init_waitqueue_head(&ep->poll_wait);
	INIT_LIST_HEAD(&ep->rdllist);
	init_llist_head(&ep->released);
	ep->tree = RB_ROOT_CACHED;
	ep->ovflist = XEP_OVF_INACTIVE;
	refcount_set(&ep->refcount, 1);

	/* Charged to the caller's real uid, as epoll charges its user. */
	ep->user = xep_user_get(current_uid());
	if (!ep->user) {
		ret = -ENOMEM;
		goto err_free;
	}

	file = anon_inode_getfile("[xepoll]", &xep_instance_fops, ep,
				  O_RDWR | xep_instance_open_flags(flags));
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_user;
	}
	ep->file = file;
	return file;

err_user:
	xep_user_put(ep->user);
err_free:
	mutex_destroy(&ep->mtx);
	kfree(ep);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_IF_KUNIT(xep_instance_new_file);

/* XEPOLL_IOC_CREATE: a new instance, as epoll_create1(@flags). */
int xep_instance_create(unsigned int flags)
{
	struct file *file;
	int fd;

	if (flags & ~XEPOLL_CLOEXEC)
		return -EINVAL;

	/* The instance before the descriptor: ENOMEM before EMFILE, as epoll. */
	file = xep_instance_new_file(flags);
	if (IS_ERR(file))
		return PTR_ERR(file);
	fd = get_unused_fd_flags(O_RDWR | xep_instance_open_flags(flags));
	if (fd < 0) {
		/* Released on the way back to user space, empty. */
		fput(file);
		return fd;
	}
	fd_install(fd, file);
	return fd;
}
