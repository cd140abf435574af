/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Learning of a watched file's last close: xepoll's fsnotify group and
 * its marks, one per watched inode (notify.c).
 */
#ifndef _XEPOLL_NOTIFY_H
#define _XEPOLL_NOTIFY_H

#include <linux/fsnotify_backend.h>

/**
 * struct xep_mark - xepoll's fsnotify mark on one inode
 * @fsn:	the mark; its mask asks for the close events
 * @files:	1 while attached, plus one use per struct xep_file on the
 *		inode; a use is taken only while it is not 0, and it drops to
 *		0 only when an idle mark is retired, under xep_mark_mutex
 *		(notify.c)
 * @closed:	a file of the inode has closed since the mark was made: the
 *		mark goes when it is next idle (set by the handler, read
 *		under xep_mark_mutex)
 * @link:	in the list of attached marks (xep_mark_mutex)
 */
struct xep_mark {
	struct fsnotify_mark fsn;
	atomic_t files;
	bool closed;
	struct list_head link;
};

/*
 * A use of the mark on the inode whose closes include @file's, made if
 * there is none; an ERR_PTR() on failure. May sleep. The mark outlives
 * its last use until the next close on its inode.
 */
struct xep_mark *xep_mark_get(struct file *file);
void xep_mark_put(struct xep_mark *mark);

int xep_notify_init(void);
void xep_notify_exit(void);

#endif /* _XEPOLL_NOTIFY_H */
