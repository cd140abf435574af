/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An xepoll instance and its registrations: the objects every other file
 * of the module works on, and the rules for touching them.
 *
 * Objects
 * -------
 *
 * struct xep_instance is what one XEPOLL_IOC_CREATE makes: an anonymous
 * "[xepoll]" file whose ->private_data it is. It owns an interest list (a
 * red-black tree of struct xep_item keyed by (file, fd), tree.c), a ready
 * list fed by wait-queue callbacks (ready.c), and the wait queues of the
 * tasks that wait in it (wait.c) or poll it (instance.c).
 *
 * struct xep_item is one registration: a (file, fd) pair, the events of
 * interest and the caller's data. It hooks one struct xep_pwq into each
 * wait queue the file's ->poll() names (nearly always one, so the first is
 * embedded in the item).
 *
 * Locking
 * -------
 *
 * From outer to inner:
 *
 *   xep_nest_mutex   global; taken only by an ADD that involves nesting
 *                    (an instance target, or an instance that is itself
 *                    watched), to see the topology whole (nest.c)
 *     > ep->mtx      per instance; a mutex because the event transfer
 *                    copies to user space and ADD allocates and calls
 *                    ->poll(), all of which may sleep. It serializes
 *                    changes to the interest list, event transfer and
 *                    release.
 *       > ep->lock   per instance; a spinlock taken with interrupts off,
 *                    because xep_wake_callback() runs from wake_up(),
 *                    which may be called in hard-IRQ context. It guards
 *                    the ready list and the overflow list.
 *
 * When one instance watches another, the outer's mtx is held while the
 * inner's is taken (polling the inner one, or walking it for loop
 * checks). Loops are refused at ADD time, so held mutexes always form a
 * chain; lockdep is told the depth with mutex_lock_nested(), as epoll does.
 * Wake-ups travel the other way, from inner to outer, through each
 * instance's poll_wait queue; under lockdep, xep_instance_poll_wake() tells
 * it the nesting depth of those queue locks.
 *
 * Two locks sit beside that order rather than in it:
 *
 *   xf->lock     per watched file (files.c); a spinlock, guarding the
 *                file's list of items in every instance. Taken under
 *                ep->mtx by ADD and removal, and with no mtx by the
 *                file's last close; the wait-queue locks of the file
 *                (unhooking) and ep->lock nest inside it.
 *   xep_mark_mutex global (notify.c); only around the creation and the
 *                destruction of an inode's fsnotify mark, taken inside
 *                ep->mtx, for bounded work.
 *
 * The global table of watched files itself is an rhashtable with RCU
 * readers (files.c, nest.c).
 *
 * The shared ready ring (ring.c) is filled under ep->lock, by the
 * callback and by ADD and MOD, and consumed with no lock at all, by user
 * space and by waits alike; ring.c tells what of it the kernel may trust.
 *
 * EPOLLWAKEUP's wakeup sources (wakeup.c) follow those locks: an item's
 * pointer is written under ep->mtx and ep->lock both and read under
 * either (the callback under ep->lock, scans under ep->mtx), which is why
 * it needs no RCU where epoll's does; the instance's is ep->mtx's. Each
 * source's own lock nests inside ep->lock. Making and destroying one
 * sleeps, bounded, under ep->mtx.
 *
 * Lifetimes
 * ---------
 *
 * An instance lives while its file does (dup, fork and SCM_RIGHTS all
 * share the file) and while a caller holds a reference taken with
 * xep_instance_get(); the release of a watched file takes one for each
 * instance it visits.
 *
 * An item holds no reference to the file it watches, so nothing xepoll
 * keeps can hold a file open, form a cycle of references or outlive the
 * file; the one exception is a file whose last close the kernel does not
 * announce (compat.h), which its items hold open, as many such files per
 * user as its RLIMIT_NOFILE allows. An item lives from ADD until DEL,
 * the release of its instance, or its file's last close, whichever
 * comes first; the last is what epoll's
 * eventpoll_release() does, and notify.c learns of it from fsnotify, in
 * __fput() before the file's ->release(). The release then claims each
 * of the file's items, unhooks it and queues it on its instance's
 * released list (files.c tells the rules of that race), without waiting
 * for ep->mtx: xep_instance_reap() takes such items out of the tree at
 * the next chance, under ep->mtx, or when the instance goes. Until then
 * an item may sit in the tree with its file gone: every walk of the tree
 * that uses item->file takes a reference with xep_item_fget() first (and
 * finds none), and lookups by (file, fd) reap first, since a new file may
 * reuse a gone one's address.
 *
 * A file may free a wait queue while an item is still hooked on it (it
 * wakes the queue with POLLFREE first, e.g. signalfd when its sighand
 * goes). xep_wake_callback() then unhooks the entry itself and clears
 * pwq->whead with a release store; xep_item_unhook() reads it with an
 * acquire load under RCU, since such queues are freed after a grace
 * period.
 */
#ifndef _XEPOLL_INSTANCE_H
#define _XEPOLL_INSTANCE_H

#include <linux/fs.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rbtree.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "busypoll.h"

struct xep_user;
struct xep_item;
struct xep_file;
struct xep_ring;
struct wakeup_source;

/* ep->ovflist when no event transfer is under way. */
#define XEP_OVF_INACTIVE	((struct xep_item *)-1L)

/*
 * Instances may watch instances this deep, and no deeper: epoll's own
 * limit (EP_MAX_NESTS), so that a program that nests epoll instances
 * meets the same ELOOP at the same depth.
 */
#define XEP_MAX_NESTS		4

/**
 * struct xep_pwq - one hook of an item on one wait queue of its file
 * @wait:	the entry on the file's wait queue; its callback is
 *		xep_wake_callback()
 * @whead:	the queue, or NULL once a POLLFREE wake-up unhooked it
 * @item:	the item this hook belongs to
 * @next:	the item's next hook
 */
struct xep_pwq {
	wait_queue_entry_t wait;
	wait_queue_head_t *whead;
	struct xep_item *item;
	struct xep_pwq *next;
};

/**
 * struct xep_item - one registration in an instance's interest list
 * @rbn:	node in ep->tree (ep->mtx)
 * @rcu:	frees the item after the files table's RCU readers
 * @rdllink:	link on ep->rdllist, or self-linked when not ready (ep->lock)
 * @ovf_next:	link on ep->ovflist, XEP_OVF_INACTIVE when not on it
 *		(ep->lock)
 * @ep:		the instance (immutable)
 * @file:	the watched file, with no reference: a key, and a file to
 *		use only through xep_item_fget() (immutable)
 * @fd:		the descriptor it was added under (immutable)
 * @events:	events of interest and the EPOLLET/ONESHOT/EXCLUSIVE/WAKEUP
 *		bits; written under ep->mtx, read by the callback under
 *		ep->lock (see xep_item_modify() for the barrier)
 * @data:	the caller's data (ep->mtx)
 * @pwq:	the first hook, embedded
 * @pwqlist:	all hooks, starting with @pwq when it is in use (ep->mtx
 *		while ADD hooks it; then owned by whoever claims the item,
 *		under xf->lock); NULL once unhooked, and dead from then on
 * @pinned:	holds a reference to @file, whose last close is not
 *		announced (compat.h); charged to the user's pins (immutable)
 * @held:	@rdllink links it on a minimum-batch waiter's held list,
 *		not on ep->rdllist (ep->mtx)
 * @xf:		its file's entry in the files table; NULL before ADD enters
 *		it and once it is claimed (xf->lock; read locklessly)
 * @fnode:	link on xf->items (xf->lock; RCU readers)
 * @ws:		its wakeup source, with EPOLLWAKEUP (written under ep->mtx and
 *		ep->lock; read under either, wakeup.c)
 * @rellink:	link on ep->released once its file's last close claimed it;
 *		shares @pwqlist's memory, which that claim emptied first
 * @ring_pos:	the position of its last cell in ep->ring, once @ring_used
 *		(ep->lock; stable under ep->mtx while the item is on a scan's
 *		batch, which the callback leaves alone)
 * @ring_live:	it has a cell in ep->ring that may be unconsumed
 *		(ep->lock; ring.c)
 * @ring_used:	it has had a cell in ep->ring (ep->lock)
 */
struct xep_item {
	union {
		struct rb_node rbn;
		struct rcu_head rcu;
	};
	struct list_head rdllink;
	struct xep_item *ovf_next;
	struct xep_instance *ep;
	struct file *file;
	int fd;
	__poll_t events;
	u64 data;
	bool pinned;
	bool held;
	bool ring_live;
	bool ring_used;
	union {
		struct xep_pwq *pwqlist;
		struct llist_node rellink;
	};
	struct xep_file *xf;
	struct hlist_node fnode;
	struct wakeup_source *ws;
	u64 ring_pos;
	struct xep_pwq pwq;
};

/**
 * struct xep_instance - one xepoll instance
 * @mtx:	see Locking above
 * @lock:	see Locking above
 * @tree:	the interest list (ep->mtx)
 * @rdllist:	items with events to report, oldest first (ep->lock)
 * @nready:	how many items @rdllist holds, which a minimum-batch
 *		waiter compares with the events it still needs (ep->lock;
 *		during a scan, 0 until xep_scan_done() counts them back)
 * @released:	items whose file's last close claimed them, to be taken
 *		out of the tree (lockless pushes; emptied under ep->mtx)
 * @ovflist:	items made ready during an event transfer, newest first,
 *		or XEP_OVF_INACTIVE outside transfers (ep->lock)
 * @wq:		tasks waiting in XEPOLL_IOC_WAIT (ep->lock)
 * @poll_wait:	pollers of the instance's own file: poll(), select(),
 *		epoll, another instance (its own lock)
 * @nests:	depth of the wake-up being propagated, for lockdep
 *		(poll_wait's lock)
 * @file:	the instance's file (immutable)
 * @user:	the user charged for its watches (immutable)
 * @ws:		its wakeup source, made by its first EPOLLWAKEUP item, kept
 *		until it is freed (ep->mtx; wakeup.c)
 * @refcount:	the file's reference and temporary holders' (a file's
 *		release among them)
 * @loop_gen:	generation of the last loop check that visited it
 *		(xep_nest_mutex)
 * @loop_depth:	depth found by that visit (xep_nest_mutex)
 * @bp:		busy-poll parameters and NAPI id (see struct xep_busy_poll
 *		for the rules of each field)
 * @ring:	the shared ready ring, or NULL (set once under ep->mtx and
 *		ep->lock, cleared by the release; ring.c)
 * @rcu:	the instance is freed after RCU readers of the files table
 */
struct xep_instance {
	struct mutex mtx;		/* see Locking above */
	spinlock_t lock;		/* see Locking above */
	struct rb_root_cached tree;
	struct list_head rdllist;
	unsigned int nready;
	struct llist_head released;
	struct xep_item *ovflist;
	wait_queue_head_t wq;
	wait_queue_head_t poll_wait;
	u8 nests;
	struct file *file;
	struct xep_user *user;
	struct wakeup_source *ws;
	refcount_t refcount;
	u64 loop_gen;
	int loop_depth;
	struct xep_busy_poll bp;
	struct xep_ring *ring;
	struct rcu_head rcu;
};

int xep_instance_create(unsigned int flags);
struct file *xep_instance_new_file(unsigned int flags);
extern const struct file_operations xep_instance_fops;

/* Inline: every poll of a watched file asks (ready.c). */
static inline bool xep_file_is_instance(const struct file *file)
{
	return file->f_op == &xep_instance_fops;
}

void xep_instance_get(struct xep_instance *ep);
void xep_instance_put(struct xep_instance *ep);
void __xep_instance_reap(struct xep_instance *ep);
__poll_t xep_instance_poll_nested(struct file *file, poll_table *pt, int depth);
void xep_instance_poll_wake(struct xep_instance *ep, struct xep_item *from);

/*
 * Take the items whose file's last close claimed them out of the tree
 * (files.c). The caller holds ep->mtx. Inline, since nearly always there
 * are none: every change and every transfer asks.
 */
static inline void xep_instance_reap(struct xep_instance *ep)
{
	lockdep_assert_held(&ep->mtx);

	if (unlikely(!llist_empty(&ep->released)))
		__xep_instance_reap(ep);
}

#endif /* _XEPOLL_INSTANCE_H */
