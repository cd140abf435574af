// SPDX-License-Identifier: GPL-2.0
/*
 * The life of one registration.
 *
 * xep_item_insert() charges the owner, enters the item in the interest
 * tree, calls the file's ->poll() with a queueing function that hooks the
 * item on each wait queue the file names, and last enters it in the
 * files table (files.c), whose entry makes the file's last close remove
 * it; it queues the item as ready if the file already is.
 * With EPOLLWAKEUP it also gives the item a wakeup source (wakeup.c).
 * xep_item_remove() undoes all of that, in reverse, unless the file's
 * last close got to the item first (files.c), and then leaves it to
 * xep_instance_reap(). Both run under ep->mtx (see instance.h).
 *
 * No reference to the file is held (but for the files of compat.h's
 * xep_file_close_notified(), which it pins). While the item is in the
 * files table its file is open or in the middle of its last close, whose
 * release waits for no one; so code that uses the file without holding it (a
 * poll during a wait, fdinfo, the loop checks) takes a reference first
 * with xep_item_fget(), which fails once the file's last close has
 * begun.
 */
#include <linux/file.h>
#include <linux/llist.h>
#include <linux/poll.h>
#include <linux/slab.h>

#include "busypoll.h"
#include "compat.h"
#include "files.h"
#include "item.h"
#include "ready.h"
#include "ring.h"
#include "tree.h"
#include "user.h"
#include "wakeup.h"

static struct kmem_cache *xep_item_cache __ro_after_init;
static struct kmem_cache *xep_pwq_cache __ro_after_init;

/* The poll table ->poll() sees during ADD: the item to hook, or NULL. */
struct xep_pqueue {
	poll_table pt;
	struct xep_item *item;
};

/*
 * Called by the file's ->poll() for each of its wait queues. The first
 * hook is embedded in the item; a file with more queues costs an
 * allocation each. An allocation failure clears epq->item, and ADD fails
 * with ENOMEM.
 */
static void xep_queue_proc(struct file *file, wait_queue_head_t *whead,
			   poll_table *pt)
{
	struct xep_pqueue *epq = container_of(pt, struct xep_pqueue, pt);
	struct xep_item *item = epq->item;
	struct xep_pwq *pwq;

	if (unlikely(!item))
		return;

	if (!item->pwqlist) {
		pwq = &item->pwq;
	} else {
		pwq = kmem_cache_alloc(xep_pwq_cache, GFP_KERNEL);
		if (unlikely(!pwq)) {
			epq->item = NULL;
			return;
		}
	}

	init_waitqueue_func_entry(&pwq->wait, xep_wake_callback);
	pwq->whead = whead;
	pwq->item = item;
	if (item->events & EPOLLEXCLUSIVE)
		add_wait_queue_exclusive(whead, &pwq->wait);
	else
		add_wait_queue(whead, &pwq->wait);
	pwq->next = item->pwqlist;
	item->pwqlist = pwq;
}

/*
 * Take the item off every wait queue. remove_wait_queue() takes the
 * queue's lock, so no callback is running on the item once this returns.
 * A queue already gone (POLLFREE) left pwq->whead NULL behind; its memory
 * is RCU-freed, hence the read-side section. The caller owns the item's
 * file side (files.c), and may hold a spinlock.
 */
void xep_item_unhook(struct xep_item *item)
{
	struct xep_pwq *pwq;

	while ((pwq = item->pwqlist)) {
		wait_queue_head_t *whead;

		item->pwqlist = pwq->next;

		rcu_read_lock();
		/* Pairs with the release store in xep_wake_callback(). */
		whead = smp_load_acquire(&pwq->whead);
		if (whead)
			remove_wait_queue(whead, &pwq->wait);
		rcu_read_unlock();

		if (pwq != &item->pwq)
			kmem_cache_free(xep_pwq_cache, pwq);
	}
}

int xep_item_insert(struct xep_instance *ep, struct file *file, int fd,
		    __poll_t events, u64 data)
{
	struct xep_pqueue epq;
	struct xep_item *item;
	__poll_t revents;
	int ret;

	lockdep_assert_held(&ep->mtx);

	ret = xep_user_charge(ep->user);
	if (ret)
		return ret;

	item = kmem_cache_zalloc(xep_item_cache, GFP_KERNEL);
	if (!item) {
		xep_user_uncharge(ep->user);
		return -ENOMEM;
	}
	if (unlikely(!xep_file_close_notified(file))) {
		ret = xep_user_pin(ep->user);
		if (ret) {
			kmem_cache_free(xep_item_cache, item);
			xep_user_uncharge(ep->user);
			return ret;
		}
		item->pinned = true;
		get_file(file);
	}
	INIT_LIST_HEAD(&item->rdllink);
	item->ovf_next = XEP_OVF_INACTIVE;
	item->ep = ep;
	item->file = file;
	item->fd = fd;
	item->events = events;
	item->data = data;
	xep_tree_insert(ep, item);
	ret = xep_ws_create(ep, item, file);
	if (unlikely(ret)) {
		xep_item_reap(ep, item);
		return ret;
	}

	/* From here on, the file's wake-ups may reach the item. */
	epq.item = item;
	init_poll_funcptr(&epq.pt, xep_queue_proc);
	revents = xep_item_poll_file(item, file, &epq.pt, 1);
	ret = epq.item ? xep_files_link(item) : -ENOMEM;
	if (unlikely(ret)) {
		xep_item_unhook(item);
		xep_item_reap(ep, item);
		return ret;
	}

	xep_busy_poll_mark(ep, file);
	if (revents)
		xep_ready_queue(ep, item, revents);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(xep_item_insert);

/*
 * MOD. @file is the item's file if the caller holds it (a change by
 * descriptor, whose fdget() found it), else NULL, and the item's file is
 * taken for the poll as a walk of the tree takes it.
 */
void xep_item_modify(struct xep_instance *ep, struct xep_item *item,
		     __poll_t events, u64 data, struct file *file)
{
	poll_table pt;
	__poll_t revents;

	lockdep_assert_held(&ep->mtx);

	xep_ring_modify(ep, item, events, data);
	xep_ws_modify(ep, item);

	/*
	 * Publish the new mask before polling the file: a wake-up after the
	 * poll then sees it in xep_wake_callback(), and the poll sees any
	 * state a wake-up before it announced (the barrier pairs with the one
	 * in wq_has_sleeper()). Either way the item's readiness is noticed.
	 */
	smp_mb();

	init_poll_funcptr(&pt, NULL);
	if (file)
		revents = xep_item_poll_file(item, file, &pt, 1);
	else
		revents = xep_item_poll(item, &pt, 1);
	if (revents)
		xep_ready_queue(ep, item, revents);
}
EXPORT_SYMBOL_IF_KUNIT(xep_item_modify);

/*
 * A reference to @item's file, or NULL once the file's last close has
 * begun (or before ADD entered the item in the files table). As
 * get_file_rcu() does, the item is looked at again after the count is
 * taken: a file freed meanwhile may be reused at once (its cache is
 * SLAB_TYPESAFE_BY_RCU), but its release cleared item->xf before that.
 */
struct file *xep_item_fget(struct xep_item *item)
{
	struct file *file = NULL;

	rcu_read_lock();
	if (READ_ONCE(item->xf) && xep_file_tryget(item->file)) {
		file = item->file;
		if (unlikely(!READ_ONCE(item->xf))) {
			fput(file);
			file = NULL;
		}
	}
	rcu_read_unlock();
	return file;
}
EXPORT_SYMBOL_IF_KUNIT(xep_item_fget);

/*
 * Items are freed after a grace period, for the files table's RCU readers.
 * call_rcu() rather than kfree_rcu(): rcu_barrier() at unload waits for
 * these callbacks, but not for kfree_rcu()'s batches, which could still
 * hold items when the cache is destroyed.
 */
static void xep_item_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(xep_item_cache, container_of(head, struct xep_item, rcu));
}

/*
 * The instance's side of removing @item, whose file side is done: off the
 * ready list and the tree, uncharged, freed. The caller holds ep->mtx.
 */
void xep_item_reap(struct xep_instance *ep, struct xep_item *item)
{
	lockdep_assert_held(&ep->mtx);

	xep_ready_unqueue(ep, item);
	xep_ws_destroy(ep, item);
	xep_tree_erase(ep, item);
	xep_user_uncharge(ep->user);
	if (unlikely(item->pinned)) {
		xep_user_unpin(ep->user);
		fput(item->file);
	}
	/* rbn shares its memory with rcu: it is out of the tree now. */
	call_rcu(&item->rcu, xep_item_free_rcu);
}
EXPORT_SYMBOL_IF_KUNIT(xep_item_reap);

bool xep_item_remove(struct xep_instance *ep, struct xep_item *item)
{
	lockdep_assert_held(&ep->mtx);

	if (!xep_files_unlink(item))
		return false;
	xep_item_reap(ep, item);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(xep_item_remove);

int xep_item_init(void)
{
	xep_item_cache = KMEM_CACHE(xep_item, SLAB_ACCOUNT);
	if (!xep_item_cache)
		return -ENOMEM;
	xep_pwq_cache = KMEM_CACHE(xep_pwq, SLAB_ACCOUNT);
	if (!xep_pwq_cache) {
		kmem_cache_destroy(xep_item_cache);
		return -ENOMEM;
	}
	return 0;
}

void xep_item_exit(void)
{
	/* Items freed by call_rcu() must be gone before their cache. */
	rcu_barrier();
	kmem_cache_destroy(xep_pwq_cache);
	kmem_cache_destroy(xep_item_cache);
}
