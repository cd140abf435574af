// SPDX-License-Identifier: GPL-2.0
/*
 * Per-user accounting of watches.
 *
 * epoll charges each watch to the owner's struct user_struct, which a
 * module cannot extend; xepoll keeps its own record per kuid instead, in a
 * small hash table. A record lives while an instance owned by that user
 * does (each instance holds a reference, taken at creation), so a user's
 * count spans all of the user's instances.
 *
 * Locking: xep_users_lock guards the table and the reference counts'
 * transitions to and from zero; the watch count itself is atomic.
 */
#include <linux/atomic.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/cred.h>

#include "compat.h"
#include "files.h"
#include "instance.h"
#include "notify.h"
#include "user.h"

/**
 * struct xep_user - what xepoll knows of one user
 * @node:	entry in xep_users (xep_users_lock)
 * @uid:	the user (immutable)
 * @refs:	instances owned by the user, one reference each (xep_users_lock)
 * @watches:	registrations charged to the user
 * @pins:	registrations holding their file open, for want of a close
 *		notification (compat.h)
 */
struct xep_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int refs;
	atomic_long_t watches;
	atomic_long_t pins;
};

/*
 * The most memory one watch costs: its struct xep_item, which embeds the
 * hook on the watched file's wait queue that nearly every file needs;
 * when it is the first watch of its file, the file's struct xep_file
 * (files.c); and when that is the first watched file of its inode, the
 * inode's fsnotify mark (notify.c) and the connector fsnotify hangs it
 * on. A watch of an eventfd while other eventfds are watched costs only
 * the item; a watch of a new socket costs all four: 376 bytes on x86-64
 * with 6.12, 384 with 6.1 (200 + 56 + 96 + 24 or 32). epoll's EP_ITEM_COST
 * counts its own structures likewise (184 bytes), and needs no mark: it
 * hears of last closes from __fput() itself.
 */
#define XEP_WATCH_COST	(sizeof(struct xep_item) + sizeof(struct xep_file) + \
			 sizeof(struct xep_mark) + \
			 sizeof(struct fsnotify_mark_connector))

/*
 * Set at load time (module parameter); negative means "compute the
 * default", which is epoll's formula: 4% of low memory divided by the cost
 * of one watch.
 */
long xep_max_user_watches = -1;
EXPORT_SYMBOL_IF_KUNIT(xep_max_user_watches);
module_param_named(max_user_watches, xep_max_user_watches, long, 0444);
MODULE_PARM_DESC(max_user_watches,
		 "Watches one user may register across all instances (default: 4% of low memory / watch size)");

#define XEP_USERS_BITS	6
static DEFINE_HASHTABLE(xep_users, XEP_USERS_BITS);
static DEFINE_SPINLOCK(xep_users_lock);

static long xep_default_max_user_watches(void)
{
	unsigned long low_pages = totalram_pages() - totalhigh_pages();

	return ((low_pages / 25) << PAGE_SHIFT) / XEP_WATCH_COST;
}

/* The record of @uid with a new reference, or NULL; xep_users_lock. */
static struct xep_user *xep_user_find(kuid_t uid)
{
	struct xep_user *user;

	lockdep_assert_held(&xep_users_lock);

	hash_for_each_possible(xep_users, user, node, __kuid_val(uid)) {
		if (uid_eq(user->uid, uid)) {
			user->refs++;
			return user;
		}
	}
	return NULL;
}

/* Find or create the record of @uid, with a reference; NULL if no memory. */
struct xep_user *xep_user_get(kuid_t uid)
{
	struct xep_user *user, *fresh;

	spin_lock(&xep_users_lock);
	user = xep_user_find(uid);
	spin_unlock(&xep_users_lock);
	if (user)
		return user;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!fresh)
		return NULL;
	fresh->uid = uid;
	fresh->refs = 1;
	atomic_long_set(&fresh->watches, 0);
	atomic_long_set(&fresh->pins, 0);

	/* Another task may have added it meanwhile. */
	spin_lock(&xep_users_lock);
	user = xep_user_find(uid);
	if (!user) {
		hash_add(xep_users, &fresh->node, __kuid_val(uid));
		user = fresh;
		fresh = NULL;
	}
	spin_unlock(&xep_users_lock);
	kfree(fresh);
	return user;
}
EXPORT_SYMBOL_IF_KUNIT(xep_user_get);

void xep_user_put(struct xep_user *user)
{
	spin_lock(&xep_users_lock);
	if (--user->refs) {
		spin_unlock(&xep_users_lock);
		return;
	}
	hash_del(&user->node);
	spin_unlock(&xep_users_lock);

	WARN_ON_ONCE(atomic_long_read(&user->watches) || atomic_long_read(&user->pins));
	kfree(user);
}
EXPORT_SYMBOL_IF_KUNIT(xep_user_put);

/* Charge one watch to @user: -ENOSPC if it would exceed the limit. */
int xep_user_charge(struct xep_user *user)
{
	if (atomic_long_inc_return(&user->watches) > READ_ONCE(xep_max_user_watches)) {
		atomic_long_dec(&user->watches);
		return -ENOSPC;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(xep_user_charge);

void xep_user_uncharge(struct xep_user *user)
{
	atomic_long_dec(&user->watches);
}
EXPORT_SYMBOL_IF_KUNIT(xep_user_uncharge);

/*
 * Count one file held open by a registration (compat.h): -EMFILE past the
 * caller's RLIMIT_NOFILE, so that a user keeps no more files alive through
 * xepoll than its descriptor table could hold.
 */
int xep_user_pin(struct xep_user *user)
{
	if (atomic_long_inc_return(&user->pins) > rlimit(RLIMIT_NOFILE)) {
		atomic_long_dec(&user->pins);
		return -EMFILE;
	}
	return 0;
}

void xep_user_unpin(struct xep_user *user)
{
	atomic_long_dec(&user->pins);
}

void xep_user_totals(struct xep_user_totals *totals)
{
	struct xep_user *user;
	int bkt;

	memset(totals, 0, sizeof(*totals));
	spin_lock(&xep_users_lock);
	hash_for_each(xep_users, bkt, user, node) {
		totals->instances += user->refs;
		totals->watches += atomic_long_read(&user->watches);
		totals->pins += atomic_long_read(&user->pins);
	}
	spin_unlock(&xep_users_lock);
}
EXPORT_SYMBOL_IF_KUNIT(xep_user_totals);

/* The longest line: two u32s, a long, two spaces, a newline and a NUL. */
#define XEP_USER_LINE_MAX	(10 + 1 + 10 + 1 + 20 + 1 + 1)

/**
 * xep_user_show() - the text of /sys/kernel/xepoll/users
 * @buf:	where to write it, NUL-terminated
 * @size:	@buf's size
 * @cred:	the opener's credentials: its user namespace maps the uids
 * @all:	every user's line, else only @cred's real uid's, the user its
 *		instances are charged to
 *
 * One line "<uid> <instances> <watches>" per user, as many whole lines as
 * @buf holds: a line cut at the end would read as another user's.
 *
 * Return: the length written.
 */
ssize_t xep_user_show(char *buf, size_t size, const struct cred *cred, bool all)
{
	struct user_namespace *ns = cred->user_ns;
	char line[XEP_USER_LINE_MAX];
	struct xep_user *user;
	size_t len = 0;
	int bkt, n;

	if (!size)
		return 0;
	buf[0] = '\0';
	spin_lock(&xep_users_lock);
	hash_for_each(xep_users, bkt, user, node) {
		if (!all && !uid_eq(user->uid, cred->uid))
			continue;
		n = scnprintf(line, sizeof(line), "%u %u %ld\n",
			      from_kuid_munged(ns, user->uid), user->refs,
			      atomic_long_read(&user->watches));
		if (len + n >= size)
			break;
		memcpy(buf + len, line, n + 1);
		len += n;
	}
	spin_unlock(&xep_users_lock);
	return len;
}

int xep_user_init(void)
{
	if (xep_max_user_watches < 0)
		xep_max_user_watches = xep_default_max_user_watches();
	return 0;
}

void xep_user_exit(void)
{
	WARN_ON_ONCE(!hash_empty(xep_users));
}
