// SPDX-License-Identifier: GPL-2.0
/*
 * Changes to the interest list: XEPOLL_IOC_CTL's one change, and each
 * change of an XEPOLL_IOC_SUBMIT batch (submit.c), with epoll_ctl()'s
 * checks in epoll_ctl()'s order, so that each error is the one epoll would
 * report for the same call.
 *
 * A run of changes (struct xep_ctl_run) keeps ep->mtx from one change to
 * the next, so that a batch takes it once rather than once per change;
 * it lets go every XEP_CTL_RUN_MAX changes, so that waiters and other
 * changers are not held off for a whole batch. An ADD that needs the
 * nesting checks must take xep_nest_mutex, which is outside ep->mtx
 * (instance.h): it lets go of ep->mtx first and runs as a single change.
 *
 * Changes by data (XEPOLL_CTL_BY_DATA) walk the whole interest tree under
 * ep->mtx, so they see it whole and race only with the last close of a
 * watched file (files.c), which takes its items away without ep->mtx;
 * those are skipped. They cost time linear in the number of
 * registrations.
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/magic.h>
#include <linux/poll.h>
#include <linux/sched.h>
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
		/* The item's file is @tfile, which the caller holds. */
		xep_item_modify(ep, item, events | EPOLLERR | EPOLLHUP, ctl->data,
				tfile);
		return 0;
	}
	return -EINVAL;
}

/*
 * With XEPOLL_CTL_EVENT_ADDR, fetch the event from user space into @ctl.
 * epoll_ctl() copies its event before it looks at anything else, and for
 * every op but DEL, even an invalid one; so does this. The event's two
 * fields are read in one user-access window, not by copy_from_user(): on
 * the path of every libxepoll epoll_ctl(), the out-of-line copy and its
 * string move cost more than the two loads.
 */
static int xep_ctl_fetch_event(struct xepoll_ctl *ctl)
{
	struct epoll_event __user *uev = u64_to_user_ptr(ctl->data);
	__poll_t events;
	u64 data;

	if (ctl->flags & ~XEPOLL_CTL_EVENT_ADDR)
		return -EINVAL;
	if (!(ctl->flags & XEPOLL_CTL_EVENT_ADDR))
		return 0;
	if (ctl->events)
		return -EINVAL;
	if (ctl->op != XEPOLL_CTL_DEL) {
		if (!user_access_begin(uev, sizeof(*uev)))
			return -EFAULT;
		unsafe_get_user(events, &uev->events, efault);
		unsafe_get_user(data, &uev->data, efault);
		user_access_end();
		ctl->events = (__force u32)events;
		ctl->data = data;
	} else {
		ctl->data = 0;
	}
	ctl->flags = 0;
	return 0;

efault:
	user_access_end();
	return -EFAULT;
}

/*
 * Take ep->mtx for the run, unless it holds it already. Items whose file's
 * last close claimed them go first: a new file may have taken a gone
 * one's address, and so its key in the tree.
 */
static void xep_ctl_run_lock(struct xep_ctl_run *run)
{
	if (!run->locked) {
		mutex_lock(&run->ep->mtx);
		run->locked = true;
		run->changes = 0;
	}
	xep_instance_reap(run->ep);
}

void xep_ctl_run_end(struct xep_ctl_run *run)
{
	if (!run->locked)
		return;
	mutex_unlock(&run->ep->mtx);
	run->locked = false;
}
EXPORT_SYMBOL_IF_KUNIT(xep_ctl_run_end);

/*
 * EPOLLWAKEUP is silently dropped without the capability, and on a kernel
 * that cannot suspend, as epoll drops it.
 */
static __poll_t xep_ctl_wakeup_bit(__poll_t events)
{
	if ((events & EPOLLWAKEUP) &&
	    (!IS_ENABLED(CONFIG_PM_SLEEP) || !capable(CAP_BLOCK_SUSPEND)))
		events &= ~EPOLLWAKEUP;
	return events;
}

/* A change addressed by descriptor: epoll_ctl(). */
static long xep_ctl_by_fd(struct xep_ctl_run *run, const struct xepoll_ctl *ctl)
{
	struct xep_instance *ep = run->ep;
	bool has_event = ctl->op != XEPOLL_CTL_DEL;
	__poll_t events = (__force __poll_t)ctl->events;
	bool nest_checked;
	struct xep_nest nest;
	struct file *tfile;
	struct fd tf;
	long ret;

	/*
	 * As epoll_ctl(), without a reference of our own unless the
	 * descriptor table is shared; an item takes none (item.c).
	 */
	tf = fdget(ctl->fd);
	tfile = fd_file(tf);
	if (!tfile)
		return -EBADF;

	ret = -EPERM;
	if (!file_can_poll(tfile))
		goto out_fput;

	if (has_event)
		events = xep_ctl_wakeup_bit(events);

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

	/*
	 * A link that involves nesting: check loops, depth and paths, under
	 * xep_nest_mutex, which is taken before ep->mtx.
	 */
	nest_checked = ctl->op == XEPOLL_CTL_ADD && xep_nest_needed(ep, tfile);
	if (nest_checked) {
		xep_ctl_run_end(run);
		xep_nest_begin(&nest);
		ret = xep_nest_check(&nest, ep, tfile);
		if (!ret) {
			mutex_lock(&ep->mtx);
			xep_instance_reap(ep);
			ret = xep_ctl_locked(ep, ctl, tfile, events, &nest);
			mutex_unlock(&ep->mtx);
		}
		xep_nest_end(&nest);
		goto out_fput;
	}

	xep_ctl_run_lock(run);
	ret = xep_ctl_locked(ep, ctl, tfile, events, NULL);

out_fput:
	fdput(tf);
	return ret;
}

/*
 * A change by data: MOD or DEL of every registration whose data is
 * @ctl->data. MOD checks every match before it changes any, so that an
 * EINVAL changes nothing.
 */
static long xep_ctl_by_data(struct xep_ctl_run *run, const struct xepoll_ctl *ctl)
{
	struct xep_instance *ep = run->ep;
	__poll_t events = (__force __poll_t)ctl->events;
	struct xep_item *item, *next;
	long matched = 0;

	if (ctl->flags != XEPOLL_CTL_BY_DATA || ctl->fd != -1)
		return -EINVAL;
	if (ctl->op != XEPOLL_CTL_MOD && ctl->op != XEPOLL_CTL_DEL)
		return -EINVAL;
	if (ctl->op == XEPOLL_CTL_MOD) {
		if (events & EPOLLEXCLUSIVE)
			return -EINVAL;
		events = xep_ctl_wakeup_bit(events);
	}

	xep_ctl_run_lock(run);
	for (item = xep_tree_first(ep); item; item = xep_tree_next(item)) {
		/* Skip one its file's last close is taking away right now. */
		if (item->data != ctl->data || !READ_ONCE(item->xf))
			continue;
		/* Exclusive hooks are placed at ADD and cannot change. */
		if (ctl->op == XEPOLL_CTL_MOD && (item->events & EPOLLEXCLUSIVE))
			return -EINVAL;
		matched++;
	}
	if (!matched)
		return -ENOENT;

	for (item = xep_tree_first(ep); item; item = next) {
		next = xep_tree_next(item);
		if (item->data != ctl->data || !READ_ONCE(item->xf))
			continue;
		if (ctl->op == XEPOLL_CTL_DEL)
			xep_item_remove(ep, item);
		else
			xep_item_modify(ep, item, events | EPOLLERR | EPOLLHUP,
					item->data, NULL);
	}
	return min_t(long, matched, INT_MAX);
}

long xep_ctl_apply(struct xep_ctl_run *run, const struct xepoll_ctl *ctl)
{
	long ret;

	/* Let others in now and then during a long run. */
	if (run->locked && ++run->changes >= XEP_CTL_RUN_MAX) {
		xep_ctl_run_end(run);
		cond_resched();
	}

	if (ctl->flags & XEPOLL_CTL_BY_DATA)
		ret = xep_ctl_by_data(run, ctl);
	else if (ctl->flags)
		ret = -EINVAL;
	else
		ret = xep_ctl_by_fd(run, ctl);
	trace_xepoll_ctl(run->ep, ctl->op, ctl->fd, ctl->events, ctl->data, ret);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(xep_ctl_apply);

long xep_ctl(struct xep_instance *ep, struct xepoll_ctl *ctl)
{
	struct xep_ctl_run run = { .ep = ep };
	long ret;

	if (ctl->flags & XEPOLL_CTL_BY_DATA) {
		/* The event is given inline: its data is what is matched. */
		if (ctl->flags & XEPOLL_CTL_EVENT_ADDR)
			return -EINVAL;
	} else {
		ret = xep_ctl_fetch_event(ctl);
		if (ret)
			return ret;
	}

	ret = xep_ctl_apply(&run, ctl);
	xep_ctl_run_end(&run);
	return ret;
}
