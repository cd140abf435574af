// SPDX-License-Identifier: GPL-2.0
/*
 * The shared ready ring.
 *
 * An instance given a ring (XEPOLL_IOC_RING_SETUP) publishes the events
 * of its edge-triggered and one-shot registrations into cells of pages
 * that user space maps, from the wake-up callback itself; user space
 * reaps them with loads, stores and atomics on the mapping, and enters
 * the kernel only to sleep or to fetch what the ring does not carry
 * (level-triggered registrations, and whatever found no free cell). The
 * protocol is in the uapi header, at struct xepoll_ring_cell: a bounded
 * queue whose cells carry a sequence word, so that consumers in many
 * threads and processes need no lock, and whose events word lets the
 * producer coalesce a new wake-up into a cell not yet consumed.
 *
 * Trust
 * -----
 *
 * Every word of the shared pages can be written by user space at any
 * time. The kernel keeps what it relies on in struct xep_ring and in the
 * items: the ring's size and tail, each item's position and data. It
 * reads the shared words only to decide whether a cell is free, still
 * unconsumed or full, always through an index masked into the array, and
 * loops over them a bounded number of times. Garbage there can make the
 * ring look full (events then go to the kernel's ready list, whence the
 * wait reports them), empty, or give a consumer the wrong events or data
 * of the writer's own registrations: it costs the writer its own events.
 *
 * Locking and lifetimes
 * ---------------------
 *
 * ep->ring is set once, under ep->mtx and ep->lock, by the setup, and
 * cleared by the instance's release (xep_ring_detach()), when no ioctl,
 * poll or callback of the instance can run any more; lockless readers
 * (waits, polls, which hold the instance's file) load it with acquire.
 * The producer side (xep_ring_publish(), xep_ring_cancel(), the tail and
 * every item's ring_pos and ring_live) is under ep->lock. Consumers, the
 * kernel's own (xep_ring_take(), for XEPOLL_IOC_WAIT) among them, take no
 * lock.
 *
 * The ring's memory belongs to its own anonymous file, which the
 * instance holds and every mapping holds (vma_set_file()), so that a
 * mapping never keeps the instance, its registrations or their charges
 * alive. Its pages are charged to the creating user's locked memory
 * (RLIMIT_MEMLOCK), as io_uring charges its registered buffers and the
 * 2019 epoll ring patches charged their rings (io_uring's own rings go to
 * the memory cgroup alone), and to the memory cgroup; the charge goes
 * when the file does.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include <linux/xepoll.h>

#include "compat.h"
#include "item.h"
#include "ring.h"
#include "stats.h"

/* The kernel's view of a cell: the uapi layout, with atomic events. */
struct xep_ring_cell {
	u32 seq;
	atomic_t events;
	u64 data;
};

static_assert(sizeof(struct xep_ring_cell) == sizeof(struct xepoll_ring_cell));
static_assert(offsetof(struct xep_ring_cell, events) ==
	      offsetof(struct xepoll_ring_cell, events));
static_assert(offsetof(struct xep_ring_cell, data) ==
	      offsetof(struct xepoll_ring_cell, data));

/*
 * The layout of the mapping, which the setup reports in offsets: the
 * consumers' head alone in its cache line, the kernel's words in the
 * next, then the cells.
 */
#define XEP_RING_HEAD_OFF	0
#define XEP_RING_KREADY_OFF	L1_CACHE_BYTES
#define XEP_RING_FLAGS_OFF	(L1_CACHE_BYTES + sizeof(u32))
#define XEP_RING_TAIL_OFF	(L1_CACHE_BYTES + 2 * sizeof(u32))
#define XEP_RING_CELLS_OFF	(2 * L1_CACHE_BYTES)

/**
 * struct xep_ring - an instance's ready ring
 * @cells:	the cells, in the shared pages
 * @head:	the consumers' position (shared, user-written)
 * @kready:	how many items wait on ep->rdllist (shared, kernel-written)
 * @flags:	XEPOLL_RING_* bits (shared, kernel-written)
 * @utail:	the low 32 bits of @tail, for consumers to stop at (shared,
 *		kernel-written, under ep->lock; never read by the kernel)
 * @mask:	the number of cells less one (immutable)
 * @tail:	the next position to fill, in 64 bits so that an item's
 *		stale position can never alias a live one (ep->lock)
 * @pages:	the shared pages (immutable)
 * @nr_pages:	how many (immutable)
 * @mem:	their kernel mapping (immutable)
 * @file:	the ring's own file, held by the instance and by each mapping
 * @user:	the user charged @nr_pages of locked memory, or NULL when
 *		nothing is charged (CAP_IPC_LOCK)
 */
struct xep_ring {
	struct xep_ring_cell *cells;
	u32 *head;
	u32 *kready;
	u32 *flags;
	u32 *utail;
	u32 mask;
	u64 tail;
	struct page **pages;
	unsigned int nr_pages;
	void *mem;
	struct file *file;
	struct user_struct *user;
};

static struct xep_ring_cell *xep_ring_cell(struct xep_ring *ring, u64 pos)
{
	return &ring->cells[pos & ring->mask];
}

/*
 * Whether the cell of position @pos can still hold @pos's event: it is
 * refilled only for position @pos + entries, the last before the tail
 * reaches @pos + entries + 1. Positions are 64 bits, so a stale one never
 * comes round again.
 */
static bool xep_ring_may_hold(const struct xep_ring *ring, u64 pos)
{
	return ring->tail - pos <= (u64)ring->mask + 1;
}

static struct xep_ring *xep_ring_get(struct xep_instance *ep)
{
	/* Pairs with the release store in xep_ring_setup(). */
	return smp_load_acquire(&ep->ring);
}

/*
 * Charge @ring's pages to the caller's locked memory, as io_uring charges
 * its registered buffers (__io_account_mem()): RLIMIT_MEMLOCK bounds them
 * unless the caller has CAP_IPC_LOCK.
 */
static int xep_ring_charge(struct xep_ring *ring)
{
	unsigned long limit, cur, new;
	struct user_struct *user;

	if (capable(CAP_IPC_LOCK))
		return 0;
	limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	user = get_current_user();
	cur = atomic_long_read(xep_user_locked_vm(user));
	do {
		new = cur + ring->nr_pages;
		if (new > limit) {
			free_uid(user);
			return -ENOMEM;
		}
	} while (!atomic_long_try_cmpxchg(xep_user_locked_vm(user), &cur, new));
	ring->user = user;
	return 0;
}

static void xep_ring_free(struct xep_ring *ring)
{
	unsigned int i;

	if (ring->user) {
		atomic_long_sub(ring->nr_pages, xep_user_locked_vm(ring->user));
		free_uid(ring->user);
	}
	if (ring->mem)
		vunmap(ring->mem);
	for (i = 0; i < ring->nr_pages; i++)
		if (ring->pages[i])
			__free_page(ring->pages[i]);
	kvfree(ring->pages);
	kfree(ring);
}

static int xep_ring_file_release(struct inode *inode, struct file *file)
{
	xep_ring_free(file->private_data);
	return 0;
}

static int xep_ring_map(struct xep_ring *ring, struct vm_area_struct *vma)
{
	unsigned long nr = vma_pages(vma);

	if (vma->vm_pgoff || nr > ring->nr_pages || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	xep_vm_flags_set(vma, VM_DONTEXPAND);
	return vm_insert_pages(vma, vma->vm_start, ring->pages, &nr);
}

/* A mapping made from the ring's file itself (/proc/<pid>/map_files). */
static int xep_ring_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	return xep_ring_map(file->private_data, vma);
}

static const struct file_operations xep_ring_fops = {
	.owner		= THIS_MODULE,
	.release	= xep_ring_file_release,
	.mmap		= xep_ring_file_mmap,
	.llseek		= noop_llseek,
};

static struct xep_ring *xep_ring_alloc(unsigned int entries)
{
	size_t size = PAGE_ALIGN(XEP_RING_CELLS_OFF +
				 (size_t)entries * sizeof(struct xep_ring_cell));
	struct xep_ring *ring;
	unsigned int i;
	int ret;

	ring = kzalloc(sizeof(*ring), GFP_KERNEL_ACCOUNT);
	if (!ring)
		return ERR_PTR(-ENOMEM);
	ring->nr_pages = size >> PAGE_SHIFT;
	ring->mask = entries - 1;

	ret = xep_ring_charge(ring);
	if (ret) {
		kfree(ring);
		return ERR_PTR(ret);
	}
	ret = -ENOMEM;
	ring->pages = kvcalloc(ring->nr_pages, sizeof(*ring->pages),
			       GFP_KERNEL_ACCOUNT);
	if (!ring->pages)
		goto err;
	for (i = 0; i < ring->nr_pages; i++) {
		ring->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!ring->pages[i])
			goto err;
	}
	ring->mem = vmap(ring->pages, ring->nr_pages, VM_MAP, PAGE_KERNEL);
	if (!ring->mem)
		goto err;
	ring->head = ring->mem + XEP_RING_HEAD_OFF;
	ring->kready = ring->mem + XEP_RING_KREADY_OFF;
	ring->flags = ring->mem + XEP_RING_FLAGS_OFF;
	ring->utail = ring->mem + XEP_RING_TAIL_OFF;
	ring->cells = ring->mem + XEP_RING_CELLS_OFF;
	/* Cell i is free for position i. */
	for (i = 0; i < entries; i++)
		ring->cells[i].seq = i;

	ring->file = anon_inode_getfile("[xepoll-ring]", &xep_ring_fops, ring,
					O_RDWR);
	if (IS_ERR(ring->file)) {
		ret = PTR_ERR(ring->file);
		goto err;
	}
	return ring;

err:
	xep_ring_free(ring);
	return ERR_PTR(ret);
}

/**
 * xep_ring_setup - give @ep a ring (XEPOLL_IOC_RING_SETUP)
 * @ep:		the instance
 * @args:	the caller's request, completed with the ring's geometry
 *
 * With @args->entries 0, only reports the geometry of @ep's ring.
 *
 * Return: 0, -EINVAL for a bad request, -EBUSY if @ep has a ring already,
 * -ENODEV for a question when it has none, -ENOMEM when memory or the
 * caller's RLIMIT_MEMLOCK runs out.
 */
int xep_ring_setup(struct xep_instance *ep, struct xepoll_ring_setup *args)
{
	struct xep_ring *ring;
	int ret = 0;

	if (args->flags || args->__reserved ||
	    args->entries > XEPOLL_RING_MAX_ENTRIES)
		return -EINVAL;

	mutex_lock(&ep->mtx);
	ring = ep->ring;
	if (!args->entries) {
		/* A question: the geometry of the ring the instance has. */
		if (!ring)
			ret = -ENODEV;
	} else if (ring) {
		ret = -EBUSY;
	} else {
		/* Two at least: with one, "full" and "free" would be one value. */
		ring = xep_ring_alloc(roundup_pow_of_two(max(args->entries, 2U)));
		if (IS_ERR(ring)) {
			ret = PTR_ERR(ring);
		} else {
			spin_lock_irq(&ep->lock);
			/* Pairs with the acquire load in xep_ring_get(). */
			smp_store_release(&ep->ring, ring);
			xep_ring_note_ready(ep);
			spin_unlock_irq(&ep->lock);
		}
	}
	if (ret)
		goto out;

	args->entries = ring->mask + 1;
	args->size = ring->nr_pages << PAGE_SHIFT;
	args->mask = ring->mask;
	args->head_off = XEP_RING_HEAD_OFF;
	args->kready_off = XEP_RING_KREADY_OFF;
	args->flags_off = XEP_RING_FLAGS_OFF;
	args->cells_off = XEP_RING_CELLS_OFF;
	args->tail_off = XEP_RING_TAIL_OFF;
out:
	mutex_unlock(&ep->mtx);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(xep_ring_setup);

/*
 * The instance's release, once no item is hooked any more: tell the
 * mappings, and leave the pages to them.
 */
void xep_ring_detach(struct xep_instance *ep)
{
	struct xep_ring *ring = ep->ring;

	if (!ring)
		return;
	spin_lock_irq(&ep->lock);
	WRITE_ONCE(ep->ring, NULL);
	WRITE_ONCE(*ring->kready, 0);
	WRITE_ONCE(*ring->flags, XEPOLL_RING_DEAD);
	spin_unlock_irq(&ep->lock);
	fput(ring->file);
}

/*
 * mmap() of the instance's descriptor: the ring's pages, with the
 * mapping made to hold the ring's file instead of the instance's.
 */
int xep_ring_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct xep_ring *ring = xep_ring_get(file->private_data);
	int ret;

	if (!ring)
		return -ENODEV;
	ret = xep_ring_map(ring, vma);
	if (!ret)
		vma_set_file(vma, ring->file);
	return ret;
}

/* Whether @item's events go through the ring, when it has one. */
static bool xep_ring_carries(const struct xep_item *item)
{
	return (item->events & (EPOLLET | EPOLLONESHOT)) &&
	       !(item->events & EPOLLWAKEUP);
}

/**
 * xep_ring_publish - put @item's @events in @ep's ring
 * @ep:		the instance
 * @item:	a registration that is on none of @ep's ready lists
 * @events:	the events the wake-up announced (or ADD and MOD polled)
 *
 * The events are ORed into the item's unconsumed cell if it has one, or
 * fill the next free cell; a one-shot item is disarmed. The caller holds
 * ep->lock.
 *
 * Return: whether the ring took the events; if not (no ring, an item or
 * a wake-up the ring does not carry, no free cell), the caller queues the
 * item on the ready list instead.
 */
bool xep_ring_publish(struct xep_instance *ep, struct xep_item *item,
		      __poll_t events)
{
	struct xep_ring *ring = ep->ring;
	struct xep_ring_cell *cell;
	u64 pos;

	lockdep_assert_held(&ep->lock);

	/* A wake-up without events, or POLLFREE's, is polled by the wait. */
	events &= item->events & ~XEP_PRIVATE_BITS;
	if (!ring || !events || !xep_ring_carries(item))
		return false;

	if (item->ring_live) {
		pos = item->ring_pos;
		cell = xep_ring_cell(ring, pos);
		/*
		 * Still unconsumed: OR the events in. A consumer that already
		 * took the cell's events left 0 there, and a new cell follows.
		 */
		if (xep_ring_may_hold(ring, pos) &&
		    READ_ONCE(cell->seq) == (u32)(pos + 1) &&
		    atomic_fetch_or((__force int)events, &cell->events))
			goto published;
		item->ring_live = false;
	}

	pos = ring->tail;
	cell = xep_ring_cell(ring, pos);
	/* Pairs with the consumer's release of the cell. */
	if (smp_load_acquire(&cell->seq) != (u32)pos) {
		xep_stat_add(ring_overflows, 1);
		return false;
	}
	atomic_set(&cell->events, (__force int)events);
	WRITE_ONCE(cell->data, item->data);
	/* Pairs with the consumer's acquire load of seq. */
	smp_store_release(&cell->seq, (u32)pos + 1);
	/* Lockless readers: xep_ring_tail(). */
	WRITE_ONCE(ring->tail, pos + 1);
	/* After the cell: a consumer that loads it with acquire finds it. */
	smp_store_release(ring->utail, (u32)pos + 1);
	item->ring_pos = pos;
	item->ring_live = true;
	item->ring_used = true;
	xep_stat_add(ring_cells, 1);

published:
	if (item->events & EPOLLONESHOT)
		WRITE_ONCE(item->events, item->events & XEP_PRIVATE_BITS);
	return true;
}

/*
 * Events a wake-up's key may name without their being there: a socket
 * announces every arrival of data as EPOLLIN | EPOLLPRI | EPOLLRDNORM |
 * EPOLLRDBAND (sock_def_readable()), urgent data or not.
 */
#define XEP_RING_KEY_UNSURE	(EPOLLPRI | EPOLLRDBAND)

/**
 * xep_ring_publish_wake - xep_ring_publish() for a wake-up with @key
 * @ep:		the instance
 * @item:	the registration woken, on none of @ep's ready lists
 * @key:	the wake-up's key
 *
 * A key that names an event the registration asks for but the key may
 * name falsely goes to the ready list instead, where the wait's poll of
 * the file says what is really there, as epoll reports it. The caller
 * holds ep->lock.
 *
 * Return: whether the ring took the events.
 */
bool xep_ring_publish_wake(struct xep_instance *ep, struct xep_item *item,
			   __poll_t key)
{
	if (key & item->events & XEP_RING_KEY_UNSURE)
		return false;
	return xep_ring_publish(ep, item, key);
}

/*
 * Empty @item's unconsumed cell, if it has one (DEL, MOD, its file's
 * last close): a consumer that took its events first reported them
 * before the change, and one that comes later finds 0. The caller holds
 * ep->lock, so the cell cannot be refilled meanwhile.
 */
void xep_ring_cancel(struct xep_instance *ep, struct xep_item *item)
{
	struct xep_ring *ring = ep->ring;
	struct xep_ring_cell *cell;
	u64 pos = item->ring_pos;

	lockdep_assert_held(&ep->lock);

	if (!item->ring_live)
		return;
	item->ring_live = false;
	if (!ring || !xep_ring_may_hold(ring, pos))
		return;
	cell = xep_ring_cell(ring, pos);
	if (READ_ONCE(cell->seq) == (u32)(pos + 1))
		atomic_set(&cell->events, 0);
}

/*
 * MOD's new @events and @data for @item, under ep->mtx: with a ring, under
 * ep->lock too, since the callback, which disarms a one-shot item it
 * publishes, must neither write over the new mask nor publish the new
 * events with the old data; and the item's unconsumed cell goes, as its
 * events were the old mask's.
 */
void xep_ring_modify(struct xep_instance *ep, struct xep_item *item,
		     __poll_t events, u64 data)
{
	lockdep_assert_held(&ep->mtx);

	if (!ep->ring) {
		WRITE_ONCE(item->events, events);
		item->data = data;
		return;
	}
	spin_lock_irq(&ep->lock);
	WRITE_ONCE(item->events, events);
	item->data = data;
	xep_ring_cancel(ep, item);
	spin_unlock_irq(&ep->lock);
}

/*
 * @item's file's last close claimed it (files.c), after unhooking it: no
 * event of it may be reaped from the ring any more.
 */
void xep_ring_claimed(struct xep_instance *ep, struct xep_item *item)
{
	unsigned long flags;

	spin_lock_irqsave(&ep->lock, flags);
	xep_ring_cancel(ep, item);
	spin_unlock_irqrestore(&ep->lock, flags);
}

/* Tell user space how many items wait on the ready list; ep->lock. */
void xep_ring_note_ready(struct xep_instance *ep)
{
	lockdep_assert_held(&ep->lock);

	if (ep->ring)
		WRITE_ONCE(*ep->ring->kready, ep->nready);
}

/* Whether the cell at the ring's head is filled: a lockless hint. */
bool xep_ring_peek(struct xep_instance *ep)
{
	struct xep_ring *ring = xep_ring_get(ep);
	struct xep_ring_cell *cell;
	u32 head, i;

	if (!ring)
		return false;
	head = READ_ONCE(*ring->head);
	/*
	 * Past cancelled cells (events 0), which hold no event for a poller
	 * or a wait to find, to the first that holds one: at most a lap.
	 */
	for (i = 0; i <= ring->mask; i++) {
		cell = xep_ring_cell(ring, head + i);
		if (READ_ONCE(cell->seq) != head + i + 1)
			return false;
		if (atomic_read(&cell->events))
			return true;
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(xep_ring_peek);

/*
 * How many cells the kernel has filled, in all: a waiter that compares
 * it before and after a look at the ring knows whether anything new came,
 * whatever user space wrote meanwhile.
 */
u64 xep_ring_tail(struct xep_instance *ep)
{
	struct xep_ring *ring = xep_ring_get(ep);

	return ring ? READ_ONCE(ring->tail) : 0;
}
EXPORT_SYMBOL_IF_KUNIT(xep_ring_tail);

/* How many cells @ep's ring has, 0 without a ring. */
unsigned int xep_ring_entries(struct xep_instance *ep)
{
	struct xep_ring *ring = xep_ring_get(ep);

	return ring ? ring->mask + 1 : 0;
}
EXPORT_SYMBOL_IF_KUNIT(xep_ring_entries);

/*
 * How many cells look filled, from the shared head: a hint for a
 * minimum-batch waiter, at most the ring's size.
 */
unsigned int xep_ring_count(struct xep_instance *ep)
{
	struct xep_ring *ring = xep_ring_get(ep);
	u32 n;

	if (!ring)
		return 0;
	n = (u32)READ_ONCE(ring->tail) - READ_ONCE(*ring->head);
	return min(n, ring->mask + 1);
}
EXPORT_SYMBOL_IF_KUNIT(xep_ring_count);

/**
 * xep_ring_take - consume the cell at the head of @ep's ring
 * @ep:		the instance, which has a ring
 * @end:	the position to stop at: xep_ring_tail() when the caller began
 * @events:	the cell's events, with XEP_RING_EVENT
 * @data:	its data, with XEP_RING_EVENT
 * @pos:	its position, with XEP_RING_EVENT
 *
 * The consumer of the uapi header, for XEPOLL_IOC_WAIT: the kernel takes
 * events from the ring as any consumer does, so that a wait reports them
 * whether or not user space reaps the ring itself. A cell filled after the
 * caller began may hold a new edge of a registration whose event it took
 * already, and one wait must not report a registration twice (no
 * epoll_wait() does): the caller stops at @end, which it reads once.
 *
 * Return: what the head held.
 */
enum xep_ring_take xep_ring_take(struct xep_instance *ep, u32 end,
				 u32 *events, u64 *data, u32 *pos)
{
	struct xep_ring *ring = xep_ring_get(ep);
	struct xep_ring_cell *cell;
	u32 head, seq;

	head = READ_ONCE(*ring->head);
	if ((s32)(head - end) >= 0)
		return XEP_RING_EMPTY;
	cell = xep_ring_cell(ring, head);
	/* Pairs with the release store in xep_ring_publish(). */
	seq = smp_load_acquire(&cell->seq);
	if (seq != head + 1)
		return (s32)(seq - (head + 1)) < 0 ? XEP_RING_EMPTY : XEP_RING_RACED;
	if (cmpxchg(ring->head, head, head + 1) != head)
		return XEP_RING_RACED;
	*events = atomic_xchg(&cell->events, 0);
	*data = READ_ONCE(cell->data);
	*pos = head;
	/* The cell is free for the position one lap on. */
	smp_store_release(&cell->seq, head + ring->mask + 1);
	return *events ? XEP_RING_EVENT : XEP_RING_RACED;
}
EXPORT_SYMBOL_IF_KUNIT(xep_ring_take);

/*
 * The position, in the kernel's 64 bits, of @pos, a position a consumer
 * took before @tail (xep_ring_tail() when it began): at most a ring's
 * length back, but for garbage in the head, which then names some
 * position of the writer's own ring.
 */
u64 xep_ring_pos(u64 tail, u32 pos)
{
	return tail - (u32)((u32)tail - pos);
}

/**
 * xep_ring_reported - whether a wait may have reported @item from the ring
 * @item:	an item on the wait's scan batch (ep->mtx)
 * @first:	the first position the wait reported an event from
 *
 * A wait takes the ring's events first, then the ready list's. An item
 * whose cell the wait took, and whose new edge then found the ring full
 * (a consumer elsewhere holds the next cell), is on the ready list too,
 * and one wait must not report it twice, as no epoll_wait() does. Its
 * cells' positions only grow, so its last cell is at @first or after if
 * the wait took one of them: it then stays on the ready list for the
 * next wait. An item whose last cell another consumer took stays there
 * too, for one wait at most, since the ring's head had passed that cell
 * before the item went on the list.
 */
bool xep_ring_reported(const struct xep_item *item, u64 first)
{
	return item->ring_used && item->ring_pos >= first;
}
