// SPDX-License-Identifier: GPL-2.0
/*
 * XEPOLL_IOC_CTL: one change to the interest list, with epoll_ctl()'s
 * checks in epoll_ctl()'s order, so that each error is the one epoll would
 * report for the same call.
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/magic.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <uapi/linux/eventpoll.h>

#include "compat.h"
#include "ctl.h"
#include "item.h"
#include "nest.h"
#include "trace.h"
#include "tree.h"

/* The events EPOLLEXCLUSIVE may be combined with, as epoll allows. */
#define XEP_EXCLUSIVE_OK_BITS	(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | \
				 EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)

/*
 * A native epoll instance. xepoll refuses to watch one: epoll could be
 * watching this xepoll instance in turn, and neither side's loop check
 * sees the other's links, so such a loop would recurse in poll and
 * wake-up without bound. (epoll watching xepoll is fine, and an xepoll
 * instance may watch another xepoll instance, with loop checks.)
 */
static bool xep_file_is_epoll(const struct file *file)
{
	return file->f_inode->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	       !strcmp(file->f_path.dentry->d_name.name, "[eventpoll]");
}

/*
 * ADD. With @nest, the link involves nesting and must not create too many
 * wake-up paths: those are counted with the item in place, as epoll counts
 * them, and the item goes again if there are too many.
 */
static int xep_ctl_add(struct xep_instance *ep, const struct xepoll_ctl *ctl,
		       struct file *tfile, __poll_t events, struct xep_nest *nest)
{
	int ret;

	ret = xep_item_insert(ep, tfile, ctl->fd, events | EPOLLERR | EPOLLHUP,
			      ctl->data);
	if (ret || !nest)
		return ret;

	ret = xep_nest_check_paths(nest);
	if (ret)
		xep_item_remove(ep, xep_tree_find(ep, tfile, ctl->fd));
	return ret;
}

static int xep_ctl_locked(struct xep_instance *ep, const struct xepoll_ctl *ctl,
			  struct file *tfile, __poll_t events,
			  struct xep_nest *nest)
{
	struct xep_item *item = xep_tree_find(ep, tfile, ctl->fd);

	switch (ctl->op) {
	case XEPOLL_CTL_ADD:
		if (item)
			return -EEXIST;
		return xep_ctl_add(ep, ctl, tfile, events, nest);
	case XEPOLL_CTL_DEL:
		if (!item)
			return -ENOENT;
		xep_item_remove(ep, item);
		return 0;
	case XEPOLL_CTL_MOD:
		if (!item)
			return -ENOENT;
		/* Exclusive hooks are placed at ADD and cannot change. */
		if (item->events & EPOLLEXCLUSIVE)
			return -EINVAL;
		xep_item_modify(ep, item, events | EPOLLERR | EPOLLHUP, ctl->data);
		return 0;
	}
	return -EINVAL;
}

/*
 * With XEPOLL_CTL_EVENT_ADDR, fetch the event from user space into @ctl.
 * epoll_ctl() copies its event before it looks at anything else, and for
 * every op but DEL, even an invalid one; so does this.
 */
static int xep_ctl_fetch_event(struct xepoll_ctl *ctl)
{
	struct epoll_event epev;

	if (ctl->flags & ~XEPOLL_CTL_EVENT_ADDR)
		return -EINVAL;
	if (!(ctl->flags & XEPOLL_CTL_EVENT_ADDR))
		return 0;
	if (ctl->events)
		return -EINVAL;
	if (ctl->op != XEPOLL_CTL_DEL) {
		if (copy_from_user(&epev, u64_to_user_ptr(ctl->data), sizeof(epev)))
			return -EFAULT;
		ctl->events = (__force u32)epev.events;
		ctl->data = epev.data;
	} else {
		ctl->data = 0;
	}
	ctl->flags = 0;
	return 0;
}

long xep_ctl(struct xep_instance *ep, struct xepoll_ctl *ctl)
{
	bool has_event = ctl->op != XEPOLL_CTL_DEL;
	bool nest_checked;
	struct xep_nest nest;
	struct file *tfile;
	struct fd tf;
	__poll_t events;
	long ret;

	ret = xep_ctl_fetch_event(ctl);
	if (ret)
		return ret;
	events = (__force __poll_t)ctl->events;

	/*
	 * As epoll_ctl(), without a reference of our own unless the
	 * descriptor table is shared: an item takes its own (item.c).
	 */
	tf = fdget(ctl->fd);
	tfile = fd_file(tf);
	if (!tfile)
		return -EBADF;

	ret = -EPERM;
	if (!file_can_poll(tfile))
		goto out_fput;

	/*
	 * EPOLLWAKEUP is silently dropped without the capability, and on a
	 * kernel that cannot suspend, as epoll drops it.
	 */
	if (has_event && (events & EPOLLWAKEUP) &&
	    (!IS_ENABLED(CONFIG_PM_SLEEP) || !capable(CAP_BLOCK_SUSPEND)))
		events &= ~EPOLLWAKEUP;

	ret = -EINVAL;
	if (tfile == ep->file)
		goto out_fput;
	/* Only ADD: MOD and DEL find nothing, as for any unregistered file. */
	if (ctl->op == XEPOLL_CTL_ADD && xep_file_is_epoll(tfile))
		goto out_fput;

	if (has_event && (events & EPOLLEXCLUSIVE)) {
		if (ctl->op == XEPOLL_CTL_MOD)
			goto out_fput;
		if (ctl->op == XEPOLL_CTL_ADD &&
		    (xep_file_is_instance(tfile) ||
		     (events & ~XEP_EXCLUSIVE_OK_BITS)))
			goto out_fput;
	}

	/* A link that involves nesting: check loops, depth and paths. */
	nest_checked = ctl->op == XEPOLL_CTL_ADD && xep_nest_needed(ep, tfile);
	if (nest_checked) {
		xep_nest_begin(&nest);
		ret = xep_nest_check(&nest, ep, tfile);
		if (ret)
			goto out_nest_end;
	}

	mutex_lock(&ep->mtx);
	ret = xep_ctl_locked(ep, ctl, tfile, events, nest_checked ? &nest : NULL);
	mutex_unlock(&ep->mtx);

out_nest_end:
	if (nest_checked)
		xep_nest_end(&nest);
out_fput:
	fdput(tf);
	trace_xepoll_ctl(ep, ctl->op, ctl->fd, ctl->events, ctl->data, ret);
	return ret;
}
