// SPDX-License-Identifier: GPL-2.0
/*
 * The global table of watched files, and the release of a file's
 * registrations at its last close.
 *
 * Each watched file has one struct xep_file in xep_files, an rhashtable
 * keyed by the file's address, with the list of its registrations in
 * every instance: what epoll keeps in file->f_ep, kept beside the file
 * because a module cannot add to struct file. The table holds no
 * reference to the file: notify.c calls xep_files_release() from the
 * file's __fput(), before its ->release(), and when that returns no
 * registration of the file is left that could reach it.
 *
 * Claiming an item
 * ----------------
 *
 * An item leaves its file one way or the other: a remover under ep->mtx
 * (DEL, release of the instance, a failed ADD) unlinks it, or the file's
 * last close does. Whichever takes it off xf->items, under xf->lock,
 * owns its file side: it unhooks the item from the file's wait queues
 * under that same lock, so that the other, finding it gone, knows that
 * nothing of the item touches the file any more. item->xf is cleared
 * with it; it is what readers of the item's file look at
 * (xep_item_fget()). The release takes its reference to the instance
 * before it clears item->xf (a release store): a remover that finds the
 * item claimed leaves it on the released list, and may drop the
 * instance's own reference at once, so the release's put must be able to
 * be the last, and reap it.
 *
 * The release does not take ep->mtx, which a task of the instance's owner
 * may hold for as long as it likes (an event copy that faults on a page
 * it serves slowly). It runs under fsnotify's SRCU, so waiting there would
 * hold up every fsnotify user on the system, inotify and fanotify
 * included. It unhooks each item, queues it on its instance's released
 * list and, if ep->mtx is free, reaps it from the tree at once
 * (xep_instance_reap()); otherwise the holder's next locker reaps it. An
 * unhooked item reports nothing and is skipped by every walk of the tree
 * that could see it, so a registration ends at its file's last close
 * whoever holds the mutex.
 *
 * Lifetime of a struct xep_file
 * -----------------------------
 *
 * Made by the first ADD of its file, freed (after an RCU grace period)
 * when its list empties or its file's last close is done with it. Dying
 * (@dead) and leaving the table are one step under xf->lock, so a lookup
 * that finds a dead one looks again. From its start the release owns
 * the struct: it marks it dead and takes it out of the table, so a
 * remover that empties the list leaves the freeing to it.
 *
 * Cost: a close of a file on an inode without our mark costs nothing; of
 * another file on a marked inode (an unwatched eventfd, while some other
 * eventfd is watched), one RCU lookup; of a watched file, O(1) per
 * registration.
 */
#include <linux/module.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "compat.h"
#include "files.h"
#include "item.h"
#include "notify.h"
#include "ring.h"
#include "stats.h"
#include "wakeup.h"

static struct rhashtable xep_files;
static struct kmem_cache *xep_file_cache __ro_after_init;

/*
 * The table grows with the watched files and does not shrink back: a
 * program that adds and deletes thousands of watches over and over would
 * otherwise have the table rehashed, by a worker, at every turn, where
 * epoll pays nothing. The buckets left behind cost 8 bytes each, one or
 * two per watched file at the highest count seen, until the module
 * unloads.
 */
static const struct rhashtable_params xep_files_params = {
	.key_len		= sizeof(struct file *),
	.key_offset		= offsetof(struct xep_file, file),
	.head_offset		= offsetof(struct xep_file, node),
};

/* Under RCU, its list of items as it stands for @file, maybe empty. */
struct hlist_head *xep_files_watchers(struct file *file)
{
	static struct hlist_head none = HLIST_HEAD_INIT;
	struct xep_file *xf;

	xf = rhashtable_lookup(&xep_files, &file, xep_files_params);
	return xf ? &xf->items : &none;
}
EXPORT_SYMBOL_IF_KUNIT(xep_files_watchers);

/* A new entry for @item's file, or an ERR_PTR(). May sleep. */
static struct xep_file *xep_file_new(struct file *file)
{
	struct xep_file *xf;

	xf = kmem_cache_alloc(xep_file_cache, GFP_KERNEL);
	if (!xf)
		return ERR_PTR(-ENOMEM);
	/* A file whose close is not announced is pinned instead (item.c). */
	xf->mark = xep_file_close_notified(file) ? xep_mark_get(file) : NULL;
	if (IS_ERR(xf->mark)) {
		long err = PTR_ERR(xf->mark);

		kmem_cache_free(xep_file_cache, xf);
		return ERR_PTR(err);
	}
	/* The module stays while a release may run for @file (notify.c). */
	__module_get(THIS_MODULE);
	xf->file = file;
	spin_lock_init(&xf->lock);
	xf->dead = false;
	INIT_HLIST_HEAD(&xf->items);
	return xf;
}

/* As items are (item.c): call_rcu(), which rcu_barrier() waits for. */
static void xep_file_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(xep_file_cache, container_of(head, struct xep_file, rcu));
}

/*
 * The mark goes first: once its destruction is queued, unload waits for
 * fsnotify's SRCU, and so for the rest of a release that frees @xf.
 */
static void xep_file_free(struct xep_file *xf)
{
	if (xf->mark)
		xep_mark_put(xf->mark);
	call_rcu(&xf->rcu, xep_file_free_rcu);
	module_put(THIS_MODULE);
}

/* Out of the table; xf->lock. Its owner then frees it. */
static void xep_file_kill(struct xep_file *xf)
{
	lockdep_assert_held(&xf->lock);

	xf->dead = true;
	WARN_ON_ONCE(rhashtable_remove_fast(&xep_files, &xf->node, xep_files_params));
}

/* Join @xf unless it is dying; true if joined. */
static bool xep_file_join(struct xep_file *xf, struct xep_item *item)
{
	bool joined;

	spin_lock(&xf->lock);
	joined = !xf->dead;
	if (joined) {
		hlist_add_head_rcu(&item->fnode, &xf->items);
		WRITE_ONCE(item->xf, xf);
	}
	spin_unlock(&xf->lock);
	return joined;
}

/*
 * Enter @item, hooked and in its tree, in its file's list, which makes
 * its file's last close remove it; the caller holds ep->mtx. The file is
 * open (the caller holds it), so its release cannot run meanwhile.
 */
int xep_files_link(struct xep_item *item)
{
	struct xep_file *xf, *old;

	lockdep_assert_held(&item->ep->mtx);

	for (;;) {
		rcu_read_lock();
		xf = rhashtable_lookup(&xep_files, &item->file, xep_files_params);
		if (xf && xep_file_join(xf, item)) {
			rcu_read_unlock();
			return 0;
		}
		rcu_read_unlock();
		/* None, or a dying one, already out of the table. */

		xf = xep_file_new(item->file);
		if (IS_ERR(xf))
			return PTR_ERR(xf);
		hlist_add_head_rcu(&item->fnode, &xf->items);
		WRITE_ONCE(item->xf, xf);

		old = rhashtable_lookup_get_insert_fast(&xep_files, &xf->node,
							xep_files_params);
		if (!old)
			return 0;

		/* Another ADD of the same file got in first, or no memory. */
		WRITE_ONCE(item->xf, NULL);
		hlist_del_init_rcu(&item->fnode);
		xep_file_free(xf);
		if (IS_ERR(old))
			return -ENOMEM;
		cond_resched();
	}
}
EXPORT_SYMBOL_IF_KUNIT(xep_files_link);

/*
 * Take @item off its file, unhooked; the caller holds ep->mtx. False if
 * the file's last close claimed it first: it is then queued on its
 * instance's released list, and xep_instance_reap() finishes it.
 */
bool xep_files_unlink(struct xep_item *item)
{
	struct xep_file *xf;
	bool free = false;

	lockdep_assert_held(&item->ep->mtx);

	rcu_read_lock();
	/*
	 * The release clears item->xf before it may free @xf, and after it
	 * took its reference to the instance: pairs with its release store.
	 */
	xf = smp_load_acquire(&item->xf);
	if (!xf) {
		rcu_read_unlock();
		return false;
	}

	spin_lock(&xf->lock);
	if (!item->xf) {
		spin_unlock(&xf->lock);
		rcu_read_unlock();
		return false;
	}
	xep_item_unhook(item);
	hlist_del_init_rcu(&item->fnode);
	WRITE_ONCE(item->xf, NULL);
	if (hlist_empty(&xf->items) && !xf->dead) {
		xep_file_kill(xf);
		free = true;
	}
	spin_unlock(&xf->lock);
	rcu_read_unlock();

	if (free)
		xep_file_free(xf);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(xep_files_unlink);

/*
 * Claim the first item of @xf, unhooked and queued on its instance's
 * released list, and return its instance with a reference; NULL once
 * none is left. An item still listed has an instance whose release has
 * not removed it yet, so the instance's count is not zero.
 */
static struct xep_instance *xep_file_claim_first(struct xep_file *xf)
{
	struct xep_instance *ep = NULL;
	struct xep_item *item;

	spin_lock(&xf->lock);
	item = hlist_entry_safe(xf->items.first, struct xep_item, fnode);
	if (item) {
		/*
		 * The reference comes before item->xf goes: a remover that
		 * sees it gone (xep_files_unlink(), without xf->lock) leaves
		 * the item to us, and its instance's last put must then be
		 * ours, not its own.
		 */
		ep = item->ep;
		xep_instance_get(ep);
		xep_item_unhook(item);
		xep_ring_claimed(ep, item);
		hlist_del_init_rcu(&item->fnode);
		/* Pairs with the acquire load in xep_files_unlink(). */
		smp_store_release(&item->xf, NULL);
		xep_ws_claimed(item);
		xep_stat_add(releases, 1);
		/* The last touch: a reaper may free it from here on. */
		llist_add(&item->rellink, &ep->released);
	}
	spin_unlock(&xf->lock);
	return ep;
}

/*
 * @file's last reference is gone (notify.c, from __fput()): remove its
 * registrations from every instance. Must leave nothing that touches the
 * file, and must not wait for any instance's mtx.
 */
void xep_files_release(struct file *file)
{
	struct xep_instance *ep;
	struct xep_file *xf;

	rcu_read_lock();
	xf = rhashtable_lookup(&xep_files, &file, xep_files_params);
	if (!xf) {
		rcu_read_unlock();
		return;
	}
	spin_lock(&xf->lock);
	if (xf->dead) {
		/* Its last item just went, unhooked: nothing is left to do. */
		spin_unlock(&xf->lock);
		rcu_read_unlock();
		return;
	}
	/* Ours now: removers that empty it leave it to us. */
	xep_file_kill(xf);
	spin_unlock(&xf->lock);
	rcu_read_unlock();

	while ((ep = xep_file_claim_first(xf))) {
		if (mutex_trylock(&ep->mtx)) {
			xep_instance_reap(ep);
			mutex_unlock(&ep->mtx);
		}
		xep_instance_put(ep);
		cond_resched();
	}
	xep_file_free(xf);
}

int xep_files_init(void)
{
	int ret;

	xep_file_cache = KMEM_CACHE(xep_file, SLAB_ACCOUNT);
	if (!xep_file_cache)
		return -ENOMEM;
	ret = rhashtable_init(&xep_files, &xep_files_params);
	if (ret)
		kmem_cache_destroy(xep_file_cache);
	return ret;
}

void xep_files_exit(void)
{
	rhashtable_destroy(&xep_files);
	/* Entries freed by call_rcu() must be gone before their cache. */
	rcu_barrier();
	kmem_cache_destroy(xep_file_cache);
}
