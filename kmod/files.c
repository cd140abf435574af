// SPDX-License-Identifier: GPL-2.0
/*
 * The global table of watched files, and closing a watched descriptor.
 *
 * Every item is in xep_files, an rhltable keyed by the watched file's
 * address, so all registrations of one file, in every instance of every
 * process, are one lookup away. Items are added and removed under their
 * instance's mtx; readers walk a file's chain under RCU, which is why
 * items and instances are freed after an RCU grace period.
 *
 * Why closing needs help: an item holds a reference to its file (see
 * instance.h), so close() of the last descriptor leaves the file alive
 * and registered, where epoll would see it released and forget it.
 * XEPOLL_IOC_CLOSE closes the descriptor and then, if the references left
 * on the file are exactly those of its registrations, removes them all, so
 * that the file is released on the way back to user space, as with epoll.
 * A file that anything else still holds (another descriptor, a dup in
 * another process, a passing in-flight reference) keeps its registrations,
 * as epoll keeps them while the file is open.
 *
 * Each closer holds a reference of its own while it checks, so two closers
 * of the same watched file (a descriptor and its dup, closed at once by two
 * threads) would each see the other's reference, and neither would release
 * the file that epoll would release. Closers of a watched file therefore
 * check, and drop their own reference, one at a time, under a lock chosen
 * by the file's address: whichever checks second sees only its own.
 */
#include <linux/file.h>
#include <linux/hash.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/sched.h>

#include "compat.h"
#include "files.h"
#include "item.h"

static struct rhltable xep_files;

#define XEP_CLOSE_LOCK_BITS	6

/* Serialize closers of one watched file; taken before any ep->mtx. */
static struct mutex xep_close_locks[1 << XEP_CLOSE_LOCK_BITS];

/*
 * The table grows with the watches and does not shrink back: a program
 * that adds and deletes thousands of watches over and over would otherwise
 * have the table rehashed, by a worker, at every turn, where epoll pays
 * nothing. The buckets left behind cost 8 bytes each, one or two per watch
 * at the highest count seen, until the module unloads.
 */
static const struct rhashtable_params xep_files_params = {
	.key_len		= sizeof(struct file *),
	.key_offset		= offsetof(struct xep_item, file),
	.head_offset		= offsetof(struct xep_item, fnode),
};

/* Any failure to grow the table is a lack of memory, as far as ADD goes. */
int xep_files_add(struct xep_item *item)
{
	return rhltable_insert(&xep_files, &item->fnode, xep_files_params) ? -ENOMEM : 0;
}

void xep_files_del(struct xep_item *item)
{
	WARN_ON_ONCE(rhltable_remove(&xep_files, &item->fnode, xep_files_params));
}

/* The chain of items watching @file; the caller holds rcu_read_lock(). */
struct rhlist_head *xep_files_lookup(struct file *file)
{
	return rhltable_lookup(&xep_files, &file, xep_files_params);
}

static long xep_files_count(struct file *file)
{
	struct rhlist_head *pos, *list;
	struct xep_item *item;
	long n = 0;

	rcu_read_lock();
	list = xep_files_lookup(file);
	rhl_for_each_entry_rcu(item, pos, list, fnode)
		n++;
	rcu_read_unlock();
	return n;
}

/*
 * Some instance that still watches @file, with a reference, or NULL when
 * none does. An instance whose count already dropped to zero is being
 * released, and its release removes its items itself.
 */
static struct xep_instance *xep_files_next_watcher(struct file *file)
{
	struct rhlist_head *pos, *list;
	struct xep_instance *ep = NULL;
	struct xep_item *item;

	rcu_read_lock();
	list = xep_files_lookup(file);
	rhl_for_each_entry_rcu(item, pos, list, fnode) {
		if (refcount_inc_not_zero(&item->ep->refcount)) {
			ep = item->ep;
			break;
		}
	}
	rcu_read_unlock();
	return ep;
}

/* Remove @ep's registrations of @file; the caller holds ep->mtx. */
static void xep_files_forget(struct xep_instance *ep, struct file *file)
{
	struct rhlist_head *pos, *list;
	struct xep_item *item, *found;

	lockdep_assert_held(&ep->mtx);

	/* Items of @ep only go under ep->mtx, so each found one stays. */
	do {
		found = NULL;
		rcu_read_lock();
		list = xep_files_lookup(file);
		rhl_for_each_entry_rcu(item, pos, list, fnode) {
			if (item->ep == ep) {
				found = item;
				break;
			}
		}
		rcu_read_unlock();
		if (found)
			xep_item_remove(ep, found);
	} while (found);
}

/*
 * Remove every registration of @file if nothing else holds it, and drop
 * the caller's reference, which is why the count allows one more. The
 * check and the drop are one step for closers of the same file (see the
 * top of this file); the file's release, if the drop is the last
 * reference, runs on the way back to user space, outside the lock.
 */
static void xep_files_release_orphan(struct file *file)
{
	struct xep_instance *ep;
	struct mutex *lock;	/* serializes closers of @file */
	long n;

	/* Not watched: nothing to release, and nothing to serialize. */
	if (!xep_files_count(file)) {
		fput(file);
		return;
	}

	lock = &xep_close_locks[hash_ptr(file, XEP_CLOSE_LOCK_BITS)];
	mutex_lock(lock);
	n = xep_files_count(file);
	if (n && file_count(file) == n + 1) {
		while ((ep = xep_files_next_watcher(file))) {
			mutex_lock(&ep->mtx);
			xep_files_forget(ep, file);
			mutex_unlock(&ep->mtx);
			xep_instance_put(ep);
		}
	}
	fput(file);
	mutex_unlock(lock);
}

/* XEPOLL_IOC_CLOSE: close(2), then forget the file if only xepoll holds it. */
long xep_files_close(unsigned int fd)
{
	struct file *file;
	int ret;

	file = xep_file_close_fd(fd);
	if (!file)
		return -EBADF;

	get_file(file);
	ret = filp_close(file, current->files);
	xep_files_release_orphan(file);

	/* close(2) cannot be restarted: the descriptor is gone. */
	if (unlikely(ret == -ERESTARTSYS || ret == -ERESTARTNOINTR ||
		     ret == -ERESTARTNOHAND || ret == -ERESTART_RESTARTBLOCK))
		ret = -EINTR;
	return ret;
}

int xep_files_init(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(xep_close_locks); i++)
		mutex_init(&xep_close_locks[i]);
	return rhltable_init(&xep_files, &xep_files_params);
}

void xep_files_exit(void)
{
	int i;

	rhltable_destroy(&xep_files);
	for (i = 0; i < ARRAY_SIZE(xep_close_locks); i++)
		mutex_destroy(&xep_close_locks[i]);
}
