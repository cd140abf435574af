// SPDX-License-Identifier: GPL-2.0
/*
 * EPOLLWAKEUP's wakeup sources: one for each registration that asks for
 * the flag, and one for its instance, made and held as epoll's are
 * (fs/eventpoll.c, ep_create_wakeup_source()); wakeup.h says when they
 * are held.
 *
 * Who gets one
 * ------------
 *
 * ctl.c drops the flag, silently, unless the caller has CAP_BLOCK_SUSPEND
 * and the kernel CONFIG_PM_SLEEP (epoll's ep_take_care_of_epollwakeup()),
 * for every ADD and MOD: by descriptor, by data, alone or in a batch. So a
 * user without the capability gets no source, and fdinfo shows the mask
 * without the flag, as epoll's does. A source lives only as long as a
 * registration with the flag (the item's) or an instance that has had one
 * (the instance's), so none can outlive what made it.
 *
 * Names
 * -----
 *
 * They show in /sys/class/wakeup/wakeupN/name, debugfs's wakeup_sources
 * and the kernel's "active wakeup source" messages when a suspend is
 * refused. epoll names every instance's source "eventpoll" and an item's
 * after its file's dentry ("[eventfd]", "[timerfd]", empty for sockets and
 * pipes); xepoll's are "xepoll" and "xepoll:<dentry name>", so that an
 * administrator sees which of the two keeps the system awake, as
 * /proc/PID/fd tells anon_inode:[xepoll] from anon_inode:[eventpoll]. No
 * space in them: tools split debugfs's table on white space.
 *
 * Locks and lifetimes
 * -------------------
 *
 * ep->ws is made by the first ADD or MOD with the flag, under ep->mtx,
 * used only by scans, under ep->mtx, and destroyed with the instance (the
 * last reference, xep_instance_put()). The callback never touches it.
 *
 * item->ws is written under ep->mtx and ep->lock both, and read under
 * either: the callback reads it under ep->lock, scans under ep->mtx, the
 * claim by a file's last close under ep->lock alone. epoll's callback
 * holds its ep->lock only for reading, so epoll publishes epi->ws with RCU
 * and its MOD waits for a grace period before it frees one; xepoll's
 * callback holds ep->lock outright, so MOD clearing the pointer under it
 * is enough: once ep->lock is let go no callback can still be using the
 * source, and no synchronize_rcu() is needed. The last user is
 * xep_item_reap(), after the item is unhooked (no callback) and under
 * ep->mtx (no scan, no MOD).
 *
 * A file's last close claims its items without ep->mtx (files.c) and they
 * are reaped later, maybe much later if the instance's owner holds its
 * mutex; until then a claimed item holds nothing: the claim relaxes its
 * source under ep->lock, and every later hold checks item->xf, cleared by
 * the claim before that, under ep->lock too (xep_ws_hold()).
 *
 * Making and destroying a source sleeps: wakeup_source_register() adds a
 * device (/sys/class/wakeup/wakeupN), wakeup_source_unregister() removes
 * it and waits for an SRCU grace period of the kernel's list of sources.
 * Both are bounded, and done under ep->mtx as epoll does them under its
 * own. The reaping of a closed file's items may run inside fsnotify's SRCU
 * read section (files.c): it then does what epoll's eventpoll_release()
 * does in __fput(), bounded, and still never waits for an ep->mtx.
 *
 * Cost
 * ----
 *
 * A source is the kernel's struct wakeup_source, its name, an id and a
 * struct device with its sysfs directory: a few kilobytes
 * (Documentation/admin-guide.rst), allocated by the kernel and charged to
 * no memory cgroup, as epoll's are. It is not charged to the user's
 * max_user_watches either, as epoll does not charge it: only
 * CAP_BLOCK_SUSPEND holders, whom the kernel trusts to hold the system
 * awake at all, can make one, at most one a watch and one an instance, and
 * a charge would make an ADD fail with ENOSPC where epoll's succeeds. The
 * item's pointer costs nothing: it takes space struct xep_item already
 * had (instance.h).
 */
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/slab.h>

#include "item.h"
#include "wakeup.h"

/* Publish or clear @item's source; the caller holds ep->mtx. */
static void xep_ws_set(struct xep_instance *ep, struct xep_item *item,
		       struct wakeup_source *ws)
{
	spin_lock_irq(&ep->lock);
	/* Pairs with the lockless peek in xep_ws_claimed(). */
	WRITE_ONCE(item->ws, ws);
	spin_unlock_irq(&ep->lock);
}

/* A source named after @file's dentry, as epoll names its items'. */
static struct wakeup_source *xep_ws_register_item(struct file *file)
{
	struct wakeup_source *ws;
	struct name_snapshot n;
	char *name;

	take_dentry_name_snapshot(&n, file->f_path.dentry);
	name = kasprintf(GFP_KERNEL, "xepoll:%s", n.name.name);
	release_dentry_name_snapshot(&n);
	if (!name)
		return NULL;
	ws = wakeup_source_register(NULL, name);
	kfree(name);
	return ws;
}

/*
 * @item (watching @file, which the caller holds) asks for EPOLLWAKEUP and
 * has no source yet: make it, and the instance's if need be. -ENOMEM if
 * either cannot be made; ADD then fails, as epoll's does.
 */
int xep_ws_create(struct xep_instance *ep, struct xep_item *item,
		  struct file *file)
{
	struct wakeup_source *ws;

	lockdep_assert_held(&ep->mtx);

	if (!IS_ENABLED(CONFIG_PM_SLEEP) || !(item->events & EPOLLWAKEUP) ||
	    item->ws)
		return 0;

	if (!ep->ws) {
		ep->ws = wakeup_source_register(NULL, "xepoll");
		if (!ep->ws)
			return -ENOMEM;
	}
	ws = xep_ws_register_item(file);
	if (!ws)
		return -ENOMEM;
	xep_ws_set(ep, item, ws);
	return 0;
}

/*
 * MOD has given @item a new mask: a source if it now asks for EPOLLWAKEUP
 * (a failure leaves it without one, as epoll's ep_modify() ignores it), none
 * if it no longer does.
 */
void __xep_ws_modify(struct xep_instance *ep, struct xep_item *item)
{
	struct file *file;

	lockdep_assert_held(&ep->mtx);

	if (!(item->events & EPOLLWAKEUP)) {
		xep_ws_destroy(ep, item);
		return;
	}
	if (item->ws)
		return;
	/* None once its last close has begun: the item is going anyway. */
	file = xep_item_fget(item);
	if (!file)
		return;
	xep_ws_create(ep, item, file);
	fput(file);
}

/*
 * @item's source goes: MOD took the flag away, or the item is being
 * reaped. The caller holds ep->mtx.
 */
void xep_ws_destroy(struct xep_instance *ep, struct xep_item *item)
{
	struct wakeup_source *ws = item->ws;

	if (likely(!ws))
		return;
	xep_ws_set(ep, item, NULL);
	/* Relaxes it first, if it is held. */
	wakeup_source_unregister(ws);
}

/* The instance's source goes with the instance, after all its items. */
void xep_ws_instance_destroy(struct xep_instance *ep)
{
	wakeup_source_unregister(ep->ws);
	ep->ws = NULL;
}

/*
 * @item's file's last close has claimed it, unhooked (files.c, under
 * xf->lock): the registration has ended, so nothing of it is pending any
 * more, whenever it is reaped.
 */
void xep_ws_claimed(struct xep_item *item)
{
	struct xep_instance *ep = item->ep;
	unsigned long flags;

	/* A MOD making one now sees item->xf cleared and will not hold it. */
	if (likely(!READ_ONCE(item->ws)))
		return;
	spin_lock_irqsave(&ep->lock, flags);
	if (item->ws)
		__pm_relax(item->ws);
	spin_unlock_irqrestore(&ep->lock, flags);
}

/* xep_ws_hold_unlocked(): a transfer has re-queued @item. */
void __xep_ws_hold_unlocked(struct xep_instance *ep, struct xep_item *item)
{
	spin_lock_irq(&ep->lock);
	xep_ws_hold(item);
	spin_unlock_irq(&ep->lock);
}
