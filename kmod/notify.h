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
 * @files:	struct xep_file on the inode, each holding a use and a
 *		reference (xep_mark_mutex)
 */
struct xep_mark {
	struct fsnotify_mark fsn;
	unsigned int files;
};

/*
 * A use of the mark on the inode whose closes include @file's, made if
 * there is none; an ERR_PTR() on failure. May sleep.
 */
struct xep_mark *xep_mark_get(struct file *file);
void xep_mark_put(struct xep_mark *mark);

int xep_notify_init(void);
void xep_notify_exit(void);

#endif /* _XEPOLL_NOTIFY_H */
