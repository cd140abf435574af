/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The global table of watched files: for each file some instance watches,
 * its registrations in every instance. It stands in for the file->f_ep
 * list epoll keeps in struct file, and answers two questions: which
 * registrations go when the file's last reference goes (notify.c tells
 * files.c), and which instances watch an instance (the loop checks,
 * nest.c).
 */
#ifndef _XEPOLL_FILES_H
#define _XEPOLL_FILES_H

#include <linux/rculist.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>

#include "instance.h"

/**
 * struct xep_file - a watched file and its registrations
 * @node:	entry in xep_files
 * @file:	the file, as a key: no reference is held
 * @lock:	guards @items, @dead and the items' @xf
 * @dead:	out of xep_files; no item may join (@lock)
 * @items:	its items, any instance, by item->fnode (@lock; RCU readers)
 * @mark:	a use of the fsnotify mark on its inode (notify.c), or NULL
 *		for a file whose last close is not announced (compat.h)
 * @rcu:	frees it after the table's RCU readers
 */
struct xep_file {
	struct rhash_head node;
	struct file *file;
	spinlock_t lock;		/* guards @items, @dead, items' @xf */
	bool dead;
	struct hlist_head items;
	struct xep_mark *mark;
	struct rcu_head rcu;
};

struct hlist_head *xep_files_watchers(struct file *file);

/*
 * Every registration of @file, in any instance; under rcu_read_lock().
 * Items found may be on their way out, but their memory and their
 * instance's stay for the read-side section.
 */
#define xep_for_each_watcher(item, file) \
	hlist_for_each_entry_rcu(item, xep_files_watchers(file), fnode)

int xep_files_link(struct xep_item *item);
bool xep_files_unlink(struct xep_item *item);
void xep_files_release(struct file *file);

int xep_files_init(void);
void xep_files_exit(void);

#endif /* _XEPOLL_FILES_H */
