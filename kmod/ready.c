// SPDX-License-Identifier: GPL-2.0
/*
 * The ready list and the wake-up callback.
 *
 * States of an item (all under ep->lock):
 *
 *   idle      rdllink self-linked, ovf_next == XEP_OVF_INACTIVE
 *   ready     on ep->rdllist, oldest first
 *   overflow  on ep->ovflist: made ready while a transfer was scanning
 *   held      on a minimum-batch waiter's held list (ep->mtx): reported
 *             by that wait, back on the ready list when it ends
 *
 * ep->nready counts the ready items, so that a minimum-batch waiter can
 * tell whether enough are there for it (wait.c): every change to rdllist
 * outside a scan changes it under ep->lock, and a scan counts what it
 * leaves behind and sets it in xep_scan_done().
 *
 * A transfer (xep_ready_transfer(), and xep_ready_poll()) holds ep->mtx,
 * moves the whole ready list to a private batch (xep_scan_start()) and
 * works through it without ep->lock, since copying to user space and
 * calling ->poll() may sleep. Meanwhile the callback cannot link items on
 * rdllist, which the scan owns, so it chains them on ovflist instead;
 * xep_scan_done() moves them back, with whatever the scan left in its
 * batch, and wakes a waiter if anything is ready.
 *
 * Every wake-up of ep->wq goes through xep_wait_wake(), under ep->lock,
 * with ep->nready already counting what it announces.
 *
 * Each transferred item is polled again, so a stale wake-up reports
 * nothing. A level-triggered item that reported goes back to the tail of
 * the ready list, to be polled again by the next wait: a busy file cannot
 * starve the others. An edge-triggered one stays idle until its file's next
 * wake-up; a one-shot one is disarmed (its mask keeps only
 * XEP_PRIVATE_BITS) until MOD re-arms it.
 */
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include <linux/xepoll.h>

#include "busypoll.h"
#include "compat.h"
#include "item.h"
#include "ready.h"
#include "ring.h"
#include "stats.h"
#include "trace.h"
#include "wait.h"
#include "wakeup.h"

static inline bool xep_item_queued(const struct xep_item *item)
{
	return !list_empty(&item->rdllink);
}

/* Put @item at the tail of the ready list; the caller holds ep->lock. */
static void xep_ready_add_tail(struct xep_instance *ep, struct xep_item *item)
{
	list_add_tail(&item->rdllink, &ep->rdllist);
	ep->nready++;
	xep_ring_note_ready(ep);
}

/*
 * The callback on every watched wait queue. It may run in hard-IRQ
 * context, with the queue's lock held. Returns whether it woke a waiter,
 * which tells an exclusive wake-up (EPOLLEXCLUSIVE) whether to go on to
 * the next entry: a waiter that lets the wake-up pass (a minimum batch
 * still short of events) has not taken it, and the next instance on the
 * file's queue may have one that will.
 */
int xep_wake_callback(wait_queue_entry_t *wait, unsigned int mode, int sync,
		      void *key)
{
	struct xep_pwq *pwq = container_of(wait, struct xep_pwq, wait);
	struct xep_item *item = pwq->item;
	struct xep_instance *ep = item->ep;
	__poll_t pollflags = key_to_poll(key);
	bool pwake = false, ewake = false, published = false, woken;
	unsigned long flags;

	xep_stat_add(wakeups, 1);
	trace_xepoll_wake(ep, item->fd, (__force unsigned int)pollflags,
			  (__force unsigned int)READ_ONCE(item->events));
	spin_lock_irqsave(&ep->lock, flags);
	xep_busy_poll_mark(ep, item->file);

	/* Nothing but private bits: a one-shot item that already fired. */
	if (!(item->events & ~XEP_PRIVATE_BITS))
		goto out_unlock;

	/* Files that say which events woke them let us filter early. */
	if (pollflags && !(pollflags & item->events))
		goto out_unlock;

	if (xep_scanning(ep)) {
		/*
		 * The scan owns the ready list, not the ring: an item the ring
		 * carries goes there (into its unconsumed cell, if it has one)
		 * unless it is on a list already. On the overflow list with
		 * an unconsumed cell, it would be in the ring and on the ready
		 * list at once, and reported by two consumers.
		 */
		if (item->ovf_next != XEP_OVF_INACTIVE) {
			/* On the overflow list already. */
		} else if (!xep_item_queued(item) &&
			   xep_ring_publish_wake(ep, item, pollflags)) {
			published = true;
		} else {
			item->ovf_next = ep->ovflist;
			WRITE_ONCE(ep->ovflist, item);
			xep_ws_stay_awake(item);
		}
	} else if (xep_item_queued(item)) {
		/* Ready already: the wait's poll will see this wake-up too. */
	} else if (xep_ring_publish_wake(ep, item, pollflags)) {
		/* Published: delivered, for an exclusive wake-up. */
		published = true;
	} else {
		xep_ready_add_tail(ep, item);
		xep_ws_stay_awake(item);
	}

	woken = xep_wait_wake(ep, sync) || published;
	/*
	 * An exclusive item counts as having woken someone only if a waiter
	 * took the wake-up, for an event its waiters asked for, as epoll
	 * decides.
	 */
	if (woken && (item->events & EPOLLEXCLUSIVE) && !(pollflags & POLLFREE)) {
		switch (pollflags & (EPOLLIN | EPOLLOUT)) {
		case EPOLLIN:
			ewake = item->events & EPOLLIN;
			break;
		case EPOLLOUT:
			ewake = item->events & EPOLLOUT;
			break;
		case 0:
			ewake = true;
			break;
		}
	}
	/* poll_wait joiners hold its own lock; a racing one re-checks. */
	pwake = waitqueue_active(&ep->poll_wait);

out_unlock:
	spin_unlock_irqrestore(&ep->lock, flags);

	/* Pollers of the instance are woken outside ep->lock. */
	if (pwake)
		xep_instance_poll_wake(ep, item);

	if (!(item->events & EPOLLEXCLUSIVE))
		ewake = true;

	if (pollflags & POLLFREE) {
		/*
		 * The queue is about to be freed: unhook ourselves. Once
		 * whead is NULL, xep_item_unhook() no longer touches the
		 * queue, and nothing keeps the item alive for us: this must
		 * be our last access.
		 */
		list_del_init(&wait->entry);
		/* Pairs with the acquire load in xep_item_unhook(). */
		smp_store_release(&pwq->whead, NULL);
	}

	return ewake;
}

/*
 * The events @file, @item's file, has that the item asks for. An instance
 * is polled at the nesting depth it sits at, for lockdep.
 */
__poll_t xep_item_poll_file(struct xep_item *item, struct file *file,
			    poll_table *pt, int depth)
{
	__poll_t events = READ_ONCE(item->events);
	__poll_t res;

	pt->_key = events;
	if (xep_file_is_instance(file))
		res = xep_instance_poll_nested(file, pt, depth);
	else
		res = vfs_poll(file, pt);
	return res & events;
}

/*
 * The same for an item whose file the caller does not hold: none once the
 * file's last close has begun, as epoll's ep_item_poll() reports none.
 */
__poll_t xep_item_poll(struct xep_item *item, poll_table *pt, int depth)
{
	struct file *file = xep_item_fget(item);
	__poll_t res;

	if (!file)
		return 0;
	res = xep_item_poll_file(item, file, pt, depth);
	fput(file);
	return res;
}

/*
 * Queue @item, which ADD or MOD found ready with @revents, in the ring or
 * on the ready list, and wake a waiter and the pollers.
 */
void xep_ready_queue(struct xep_instance *ep, struct xep_item *item,
		     __poll_t revents)
{
	bool pwake = false;

	spin_lock_irq(&ep->lock);
	if (!xep_item_queued(item)) {
		if (!xep_ring_publish(ep, item, revents)) {
			xep_ready_add_tail(ep, item);
			xep_ws_hold(item);
		}
		xep_wait_wake(ep, false);
		/* As in xep_wake_callback(): a racing poller re-checks. */
		pwake = waitqueue_active(&ep->poll_wait);
	}
	spin_unlock_irq(&ep->lock);

	if (pwake)
		xep_instance_poll_wake(ep, NULL);
}

/*
 * Take @item off the ready list, or off the held list of the minimum
 * batch that holds it, and empty its cell in the ring; the caller holds
 * ep->mtx, so no scan runs.
 */
void xep_ready_unqueue(struct xep_instance *ep, struct xep_item *item)
{
	lockdep_assert_held(&ep->mtx);

	spin_lock_irq(&ep->lock);
	if (xep_item_queued(item)) {
		list_del_init(&item->rdllink);
		if (item->held)
			item->held = false;
		else
			ep->nready--;
		xep_ring_note_ready(ep);
	}
	xep_ring_cancel(ep, item);
	spin_unlock_irq(&ep->lock);
}

/* Whether events may be ready, or the ring holds an event: a hint. */
bool xep_ready_or_ring(struct xep_instance *ep)
{
	return xep_ready_available(ep) || xep_ring_peek(ep);
}

/* Take the ready list into @batch. Returns how many items it holds. */
static unsigned int xep_scan_start(struct xep_instance *ep,
				   struct list_head *batch)
{
	unsigned int n;

	lockdep_assert_held(&ep->mtx);

	spin_lock_irq(&ep->lock);
	list_splice_init(&ep->rdllist, batch);
	n = ep->nready;
	ep->nready = 0;
	WRITE_ONCE(ep->ovflist, NULL);
	spin_unlock_irq(&ep->lock);
	return n;
}

/*
 * The end of a scan: @n counts the items it leaves on @batch and those it
 * put back on ep->rdllist itself.
 */
static void xep_scan_done(struct xep_instance *ep, struct list_head *batch,
			  unsigned int n)
{
	struct xep_item *item, *next;

	spin_lock_irq(&ep->lock);

	/*
	 * ovflist is newest first; adding each at the head of rdllist puts
	 * the oldest first. Items the scan requeued itself are skipped.
	 */
	for (item = ep->ovflist; item; item = next) {
		next = item->ovf_next;
		item->ovf_next = XEP_OVF_INACTIVE;
		if (!xep_item_queued(item)) {
			list_add(&item->rdllink, &ep->rdllist);
			xep_ws_hold(item);
			n++;
		}
	}
	WRITE_ONCE(ep->ovflist, XEP_OVF_INACTIVE);

	/* What the scan did not get to goes first next time. */
	list_splice(batch, &ep->rdllist);
	ep->nready = n;
	xep_ring_note_ready(ep);

	if (n)
		xep_wait_wake(ep, false);

	spin_unlock_irq(&ep->lock);
	xep_ws_scan_done(ep);
}

/* Write one event in the caller's layout (see struct xepoll_wait). */
static int xep_put_event(void __user *uevent, size_t event_size,
			 __poll_t revents, u64 data)
{
	u32 __user *uev = uevent;

	if (__put_user((__force u32)revents, uev))
		return -EFAULT;
	if (event_size == XEPOLL_EVENT_SIZE_PACKED)
		return __put_user(data, (u64 __user *)(uev + 1));
	if (__put_user(0, uev + 1))
		return -EFAULT;
	return __put_user(data, (u64 __user *)(uev + 2));
}

/*
 * Prove that the @size bytes at @uevent can be written, without changing
 * them: the first byte, and the last if it is on another page, are each
 * rewritten with their own value. The caller has checked the range with
 * access_ok().
 */
static int xep_probe_event(void __user *uevent, size_t size)
{
	u8 __user *first = uevent, *last = first + size - 1;
	u8 b;

	if (__get_user(b, first) || __put_user(b, first))
		return -EFAULT;
	if (((unsigned long)first ^ (unsigned long)last) & PAGE_MASK &&
	    (__get_user(b, last) || __put_user(b, last)))
		return -EFAULT;
	return 0;
}

/*
 * Move up to @maxevents events from @ep's ring to @events, as any
 * consumer of the ring would. A cell is taken only once the place of its
 * event in @events is proved writable, so that a bad buffer loses
 * nothing; the proof changes nothing there, since a wait writes nothing
 * past the events it returns (as epoll's writes nothing there either).
 * *@first is set to the position of the first event reported, if any.
 *
 * Each look takes a cell, or finds one that another consumer took, and
 * the ring holds no more filled cells than it has: twice as many looks
 * as cells see it empty, whatever the consumers do meanwhile, and one
 * that returns with events left found the tail moved, so its wait does
 * not sleep. The bound is the ring's, never @maxevents: garbage in the
 * shared words can make every look a race that moves nothing, and the
 * caller's array may hold INT_MAX / 16 events.
 */
static int xep_ring_transfer(struct xep_instance *ep, void __user *events,
			     int maxevents, size_t event_size, u64 *first)
{
	unsigned int looks = 2 * xep_ring_entries(ep);
	/* Not the cells filled from now on: see xep_ring_take(). */
	u64 tail = xep_ring_tail(ep);
	void __user *uevent;
	u32 revents, pos;
	int res = 0;
	u64 data;

	while (res < maxevents && looks--) {
		uevent = events + res * event_size;
		if (xep_probe_event(uevent, event_size)) {
			if (!res)
				res = -EFAULT;
			break;
		}
		switch (xep_ring_take(ep, (u32)tail, &revents, &data, &pos)) {
		case XEP_RING_EMPTY:
			return res;
		case XEP_RING_RACED:
			continue;
		case XEP_RING_EVENT:
			break;
		}
		/* Proved just now: only a racing munmap() can fail this. */
		if (xep_put_event(uevent, event_size, (__force __poll_t)revents,
				  data))
			break;
		if (!res++)
			*first = xep_ring_pos(tail, pos);
	}
	return res;
}

/*
 * Move up to @maxevents ready events to @events, whose range the caller
 * has checked with access_ok(): first what the ring holds, then the ready
 * list. Returns how many, or -EFAULT if the very
 * first copy faulted (the item then stays ready).
 *
 * A level-triggered item that reported goes back to the ready list, or,
 * with @held, on @held instead: a minimum-batch wait transfers several
 * times into one array, and must report each item at most once. Items on
 * @held look queued to the callback, which then leaves them alone; DEL
 * takes them off it as off the ready list, under ep->mtx, which is why
 * @held is only touched under ep->mtx. xep_ready_release_held() puts them
 * back on the ready list when the wait ends.
 */
static int xep_ready_transfer_to(struct xep_instance *ep, void __user *events,
				 int maxevents, size_t event_size,
				 struct list_head *held)
{
	struct xep_item *item, *tmp;
	unsigned int queued;
	LIST_HEAD(batch);
	u64 first = 0;
	poll_table pt;
	int res = 0, nring = 0;

	/* A task being killed should leave, not fetch events. */
	if (fatal_signal_pending(current))
		return -EINTR;

	if (xep_ring_peek(ep)) {
		res = xep_ring_transfer(ep, events, maxevents, event_size, &first);
		if (res < 0 || res == maxevents)
			goto out;
		nring = res;
	}

	init_poll_funcptr(&pt, NULL);

	mutex_lock(&ep->mtx);
	xep_instance_reap(ep);
	queued = xep_scan_start(ep, &batch);

	list_for_each_entry_safe(item, tmp, &batch, rdllink) {
		__poll_t revents;

		if (res >= maxevents)
			break;
		/* Reported from the ring just now: the next wait's. */
		if (nring && xep_ring_reported(item, first))
			continue;

		xep_ws_hand_over(ep, item);
		list_del_init(&item->rdllink);
		queued--;
		revents = xep_item_poll(item, &pt, 1);
		if (!revents)
			continue;

		if (xep_put_event(events + res * event_size, event_size,
				  revents, item->data)) {
			list_add(&item->rdllink, &batch);
			queued++;
			xep_ws_hold_unlocked(ep, item);
			if (!res)
				res = -EFAULT;
			break;
		}
		res++;

		if (item->events & EPOLLONESHOT) {
			WRITE_ONCE(item->events, item->events & XEP_PRIVATE_BITS);
		} else if (item->events & EPOLLET) {
			/* Idle until the file's next wake-up. */
		} else if (held) {
			list_add_tail(&item->rdllink, held);
			item->held = true;
		} else {
			/* The scan owns rdllist: no ep->lock. */
			list_add_tail(&item->rdllink, &ep->rdllist);
			queued++;
		}
		/* Back on a list, level-triggered: held until the next wait. */
		if (xep_item_queued(item))
			xep_ws_hold_unlocked(ep, item);
	}

	xep_scan_done(ep, &batch, queued);
	mutex_unlock(&ep->mtx);
out:
	if (res > 0)
		xep_stat_add(events, res);
	return res;
}

int xep_ready_transfer(struct xep_instance *ep, void __user *events,
		       int maxevents, size_t event_size)
{
	return xep_ready_transfer_to(ep, events, maxevents, event_size, NULL);
}
EXPORT_SYMBOL_IF_KUNIT(xep_ready_transfer);

/* xep_ready_transfer(), keeping reported level-triggered items on @held. */
int xep_ready_transfer_held(struct xep_instance *ep, void __user *events,
			    int maxevents, size_t event_size,
			    struct list_head *held)
{
	return xep_ready_transfer_to(ep, events, maxevents, event_size, held);
}
EXPORT_SYMBOL_IF_KUNIT(xep_ready_transfer_held);

/*
 * The end of a minimum-batch wait: the level-triggered items it reported
 * go back to the tail of the ready list, to be polled again by the next
 * wait, as if each had been transferred alone.
 */
void xep_ready_release_held(struct xep_instance *ep, struct list_head *held)
{
	struct xep_item *item;
	bool pwake = false;
	unsigned int n = 0;

	mutex_lock(&ep->mtx);
	/* No more than the wait reported: a short walk. */
	list_for_each_entry(item, held, rdllink) {
		item->held = false;
		n++;
	}
	if (n) {
		spin_lock_irq(&ep->lock);
		list_splice_tail_init(held, &ep->rdllist);
		ep->nready += n;
		xep_ring_note_ready(ep);
		/* All of them at once: a batch counts them, not wake-ups. */
		xep_wait_wake(ep, false);
		/* As in xep_wake_callback(): a racing poller re-checks. */
		pwake = waitqueue_active(&ep->poll_wait);
		spin_unlock_irq(&ep->lock);
	}
	mutex_unlock(&ep->mtx);

	if (pwake)
		xep_instance_poll_wake(ep, NULL);
}
EXPORT_SYMBOL_IF_KUNIT(xep_ready_release_held);

/*
 * The instance's own readiness, for its ->poll(): readable when an item
 * really has an event. Stale entries found on the way are dropped.
 * @depth is the nesting depth, for lockdep.
 */
__poll_t xep_ready_poll(struct xep_instance *ep, int depth)
{
	struct xep_item *item, *tmp;
	unsigned int queued;
	LIST_HEAD(batch);
	__poll_t res = 0;
	poll_table pt;

	if (xep_ring_peek(ep))
		return EPOLLIN | EPOLLRDNORM;

	init_poll_funcptr(&pt, NULL);

	mutex_lock_nested(&ep->mtx, depth);
	queued = xep_scan_start(ep, &batch);
	list_for_each_entry_safe(item, tmp, &batch, rdllink) {
		if (xep_item_poll(item, &pt, depth + 1)) {
			res = EPOLLIN | EPOLLRDNORM;
			break;
		}
		xep_ws_relax(item);
		list_del_init(&item->rdllink);
		queued--;
	}
	xep_scan_done(ep, &batch, queued);
	mutex_unlock(&ep->mtx);
	return res;
}
EXPORT_SYMBOL_IF_KUNIT(xep_ready_poll);
