// SPDX-License-Identifier: GPL-2.0
/*
 * The life of one registration.
 *
 * xep_item_insert() charges the owner, takes a reference to the file,
 * enters the item in the interest tree and the files table, then calls
 * the file's ->poll() with a queueing function that hooks the item on each
 * wait queue the file names, and queues the item as ready if the file
 * already is. xep_item_remove() undoes all of that, in reverse. Both run
 * under ep->mtx (see instance.h).
 */
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>

#include "compat.h"
#include "files.h"
#include "item.h"
#include "ready.h"
#include "tree.h"
#include "user.h"

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
 * is RCU-freed, hence the read-side section.
 */
static void xep_item_unhook(struct xep_item *item)
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
	INIT_LIST_HEAD(&item->rdllink);
	item->ovf_next = XEP_OVF_INACTIVE;
	item->ep = ep;
	item->file = get_file(file);
	item->fd = fd;
	item->events = events;
	item->data = data;

	ret = xep_files_add(item);
	if (ret) {
		fput(file);
		kmem_cache_free(xep_item_cache, item);
		xep_user_uncharge(ep->user);
		return ret;
	}
	xep_tree_insert(ep, item);

	/* From here on, the file's wake-ups may reach the item. */
	epq.item = item;
	init_poll_funcptr(&epq.pt, xep_queue_proc);
	revents = xep_item_poll(item, &epq.pt, 1);
	if (unlikely(!epq.item)) {
		xep_item_remove(ep, item);
		return -ENOMEM;
	}

	if (revents)
		xep_ready_queue(ep, item);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(xep_item_insert);

void xep_item_modify(struct xep_instance *ep, struct xep_item *item,
		     __poll_t events, u64 data)
{
	poll_table pt;

	lockdep_assert_held(&ep->mtx);

	WRITE_ONCE(item->events, events);
	item->data = data;

	/*
	 * Publish the new mask before polling the file: a wake-up after the
	 * poll then sees it in xep_wake_callback(), and the poll sees any
	 * state a wake-up before it announced (the barrier pairs with the one
	 * in wq_has_sleeper()). Either way the item's readiness is noticed.
	 */
	smp_mb();

	init_poll_funcptr(&pt, NULL);
	if (xep_item_poll(item, &pt, 1))
		xep_ready_queue(ep, item);
}
EXPORT_SYMBOL_IF_KUNIT(xep_item_modify);

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

void xep_item_remove(struct xep_instance *ep, struct xep_item *item)
{
	lockdep_assert_held(&ep->mtx);

	xep_item_unhook(item);
	xep_ready_unqueue(ep, item);
	xep_tree_erase(ep, item);
	xep_files_del(item);
	xep_user_uncharge(ep->user);
	fput(item->file);
	/* rbn shares its memory with rcu: it is out of the tree now. */
	call_rcu(&item->rcu, xep_item_free_rcu);
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
