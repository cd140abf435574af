// SPDX-License-Identifier: GPL-2.0
/*
 * fdinfo of an instance: one "tfd:" line per registration, in the format
 * and order of epoll's (fs/eventpoll.c, ep_show_fdinfo()), so that tools
 * reading epoll's fdinfo (checkpoint/restore dumpers, lsof-like tools)
 * read xepoll's too.
 *
 * An instance with a ring (ring.c) has one more line before those:
 *
 *	ring: entries: %u filled: %llu
 *
 * its number of cells, and how many cells the kernel has filled since the
 * setup (coalesced events and overflows fill none). epoll has no ring, so
 * an instance without one shows exactly what epoll's would.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/seq_file.h>

#include "fdinfo.h"
#include "instance.h"
#include "item.h"
#include "ring.h"
#include "tree.h"

void xep_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct xep_instance *ep = file->private_data;
	unsigned int entries;
	struct xep_item *item;

	mutex_lock(&ep->mtx);
	entries = xep_ring_entries(ep);
	if (entries)
		seq_printf(m, "ring: entries: %u filled: %llu\n", entries,
			   xep_ring_tail(ep));
	xep_instance_reap(ep);
	for (item = xep_tree_first(ep); item; item = xep_tree_next(item)) {
		struct file *tfile = xep_item_fget(item);
		struct inode *inode;

		/* Its last close has begun: epoll would list it no more. */
		if (!tfile)
			continue;
		inode = file_inode(tfile);
		seq_printf(m, "tfd: %8d events: %8x data: %16llx  pos:%lli ino:%lx sdev:%x\n",
			   item->fd, (__force unsigned int)item->events,
			   (unsigned long long)item->data,
			   (long long)tfile->f_pos, inode->i_ino,
			   inode->i_sb->s_dev);
		fput(tfile);
		if (seq_has_overflowed(m))
			break;
	}
	mutex_unlock(&ep->mtx);
}
