// SPDX-License-Identifier: GPL-2.0
/*
 * Learning of a watched file's last close.
 *
 * epoll hears of it from __fput(), which calls eventpoll_release() on the
 * way to ->release(); a module has no such hook. The hook it does have is
 * fsnotify: __fput() calls fsnotify_close() just before
 * eventpoll_release(), in task context, with the file whole and its
 * ->release() not yet run. xepoll owns one fsnotify group and puts one
 * mark, asking for FS_CLOSE_WRITE | FS_CLOSE_NOWRITE, on the inode of
 * every watched file; the group's handler is told of each close of a file
 * on a marked inode, with &file->f_path as its data, and hands the file to
 * xep_files_release() (files.c), which removes the file's registrations.
 * The file itself is never referenced: nothing xepoll holds keeps it
 * alive.
 *
 * The close notification is not sent for every file; see
 * xep_file_close_notified() in compat.h, the one place that decides which
 * files ADD may watch.
 *
 * Marks
 * -----
 *
 * One struct xep_mark per inode, shared by every watched file on it
 * (anonymous-inode files, eventfd, timerfd, signalfd, epoll and xepoll
 * instances, all share one inode, so its mark sees every such close on
 * the system, and the handler's miss is one RCU lookup). @files counts
 * one for the mark's being attached, plus one use per struct xep_file
 * (files.c) on the inode. The memory is held by the mark's own
 * reference, which xep_marks, the list of attached marks, owns.
 *
 * Idle marks. A mark outlives its last use: when the last watched file
 * of the inode goes without closing (DEL, or the instance's release),
 * the mark stays attached, idle (@files 1), until the next close of any
 * file on the inode, whose handler retires it, or until unload. An idle
 * mark never survives a close on its inode: a close that finds the mark
 * in use sets @closed, and the put of its last use then retires it (a
 * close whose file's registrations a remover took first leaves the
 * remover's put to be the last). A program that adds, deletes and adds
 * again the files of one inode (the eventfds of perf bench epoll ctl,
 * each alone in its set at its ADD) would otherwise attach a mark at
 * every ADD and destroy it at every DEL, a quarter of its instructions.
 * An idle mark holds its inode no longer than some file of it is open:
 * the file whose last use it was is still open, and its close retires
 * the mark at the latest. Idle marks are charged to the memory cgroup,
 * as all of them are, but to no one's watches: there is at most one per
 * inode, and an inode with an open file.
 *
 * A mark is attached, and retired (detached), only under xep_mark_mutex,
 * so an inode has at most one mark of ours at a time. A get finds the
 * inode's mark without the mutex and takes a use only while @files is
 * not zero (atomic_inc_not_zero()); a retire takes @files from 1 to 0
 * (atomic_cmpxchg()), so it never takes a mark with a use, and a get
 * never revives one on its way out, which would then be detached under
 * its new user and lose its closes. (Taking uses locklessly with a plain
 * increment, while another task attached the inode's next mark, lost
 * close events on the debug kernel within a second of four threads
 * watching and closing eventfds; selftests/stress_test.c found it.) A
 * get that finds no mark, or one going, takes the mutex, looks again and
 * attaches a new one; the new mark takes no use (@files 0) until fsnotify
 * has put its events in the inode's mask. A put drops its use, never the
 * last count, and the last use goes under the mutex, so that it may
 * retire the mark.
 * The mutex is held for bounded work (fsnotify's own list updates, which
 * take the group's mark_mutex and may allocate its connector), never
 * while waiting on anything a user controls; a new mark is allocated
 * before it is taken.
 *
 * A mark holds its inode (fsnotify's connector takes an inode reference)
 * as long as it is attached.
 *
 * Unload. A release may outlive every instance file (it holds its
 * instances by their counts, not by the module), so each struct xep_file
 * holds a reference to the module, dropped when it is freed, after the
 * use of its mark (files.c); idle marks hold none. The exit retires the
 * idle marks left, and fsnotify frees a destroyed mark from a worker,
 * after an SRCU grace period of fsnotify_mark_srcu, under which every
 * handler runs; so the exit's fsnotify_wait_marks_destroyed() waits for
 * every handler that could have seen a mark of ours: those that found a
 * watched file, and those that found none.
 */
#include <linux/fsnotify_backend.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "compat.h"
#include "files.h"
#include "notify.h"

static struct fsnotify_group *xep_group __ro_after_init;
static struct kmem_cache *xep_mark_cache __ro_after_init;
static DEFINE_MUTEX(xep_mark_mutex);
/* Every attached mark (xep_mark_mutex). */
static LIST_HEAD(xep_marks);

/* The events a mark asks for: every close, read-only or not. */
#define XEP_MARK_MASK	(FS_CLOSE_WRITE | FS_CLOSE_NOWRITE)

/* The mark on the inode fsnotify reports @file's close on. */
static struct inode *xep_mark_inode(struct file *file)
{
	return d_inode(file->f_path.dentry);
}

/* A use of @inode's mark, or NULL if it has none or it is being retired. */
static struct xep_mark *xep_mark_find(struct inode *inode)
{
	struct fsnotify_mark *fsn = xep_find_inode_mark(inode, xep_group);
	struct xep_mark *mark;
	bool used;

	if (!fsn)
		return NULL;
	mark = container_of(fsn, struct xep_mark, fsn);
	used = atomic_inc_not_zero(&mark->files);
	/* A mark in use stays attached, held by its own reference. */
	fsnotify_put_mark(fsn);
	return used ? mark : NULL;
}

struct xep_mark *xep_mark_get(struct file *file)
{
	struct inode *inode = xep_mark_inode(file);
	struct xep_mark *fresh, *mark;
	int ret;

	/* Any other watched file on the inode made it already. */
	mark = xep_mark_find(inode);
	if (mark)
		return mark;

	fresh = kmem_cache_zalloc(xep_mark_cache, GFP_KERNEL_ACCOUNT);
	mutex_lock(&xep_mark_mutex);
	mark = xep_mark_find(inode);
	if (mark)
		goto out_unlock;
	mark = fresh;
	fresh = NULL;
	if (!mark) {
		mark = ERR_PTR(-ENOMEM);
		goto out_unlock;
	}
	fsnotify_init_mark(&mark->fsn, xep_group);
	mark->fsn.mask = XEP_MARK_MASK;
	/*
	 * No use can be taken (@files 0) until the inode's mask has our
	 * events: fsnotify adds the mark to the inode's list before it
	 * recomputes the mask, and a close in between would not be told.
	 */
	ret = fsnotify_add_inode_mark(&mark->fsn, inode, 0);
	if (ret) {
		fsnotify_put_mark(&mark->fsn);
		/* Any failure to attach is a lack of memory, as far as ADD goes. */
		mark = ERR_PTR(-ENOMEM);
		goto out_unlock;
	}
	list_add(&mark->link, &xep_marks);
	/* Attached, and the caller's use. */
	atomic_set_release(&mark->files, 2);
out_unlock:
	mutex_unlock(&xep_mark_mutex);
	if (fresh)
		kmem_cache_free(xep_mark_cache, fresh);
	return mark;
}

/* Detach @mark if it is idle; xep_mark_mutex. */
static void xep_mark_retire_locked(struct xep_mark *mark)
{
	lockdep_assert_held(&xep_mark_mutex);

	if (atomic_cmpxchg(&mark->files, 1, 0) != 1)
		return;
	list_del(&mark->link);
	fsnotify_destroy_mark(&mark->fsn, xep_group);
	/* Its own reference; fsnotify frees it after its SRCU period. */
	fsnotify_put_mark(&mark->fsn);
}

/*
 * The use goes. The last use goes under the mutex, where no retire can
 * free the mark meanwhile, and retires the mark at once if a file of
 * its inode has closed since the mark was made: that close found the
 * mark in use and left the retiring to the put that makes it idle.
 */
void xep_mark_put(struct xep_mark *mark)
{
	if (atomic_add_unless(&mark->files, -1, 2))
		return;
	mutex_lock(&xep_mark_mutex);
	atomic_dec(&mark->files);
	/* Pairs with the barrier in xep_mark_closed(). */
	smp_mb__after_atomic();
	if (READ_ONCE(mark->closed))
		xep_mark_retire_locked(mark);
	mutex_unlock(&xep_mark_mutex);
}

/*
 * A file of @mark's inode closed (the handler's, under fsnotify's SRCU,
 * as inotify destroys its one-shot marks from its handler): an idle mark
 * goes now, one in use when its last use goes. Either this sees the last
 * put's decrement, or that put sees @closed.
 */
static void xep_mark_closed(struct xep_mark *mark)
{
	if (!READ_ONCE(mark->closed))
		WRITE_ONCE(mark->closed, true);
	/* @closed before @files; pairs with xep_mark_put()'s barrier. */
	smp_mb();
	if (atomic_read(&mark->files) != 1)
		return;
	mutex_lock(&xep_mark_mutex);
	xep_mark_retire_locked(mark);
	mutex_unlock(&xep_mark_mutex);
}

/*
 * A close of a file on a marked inode: of a watched file or of any other
 * file sharing its inode. Runs in __fput(), may sleep, and must be done
 * with the file when it returns.
 */
static int xep_notify_handle_event(struct fsnotify_group *group, u32 mask,
				   const void *data, int data_type,
				   struct inode *dir, const struct qstr *name,
				   u32 cookie, struct fsnotify_iter_info *iter_info)
{
	const struct path *path = fsnotify_data_path(data, data_type);
	struct fsnotify_mark *fsn = fsnotify_iter_inode_mark(iter_info);

	if (!(mask & XEP_MARK_MASK) || !path)
		return 0;
	/* fsnotify_close() passes the closing file's own f_path. */
	xep_files_release(container_of(path, struct file, f_path));
	/* A close on the mark's inode, maybe of its last watched file. */
	if (fsn)
		xep_mark_closed(container_of(fsn, struct xep_mark, fsn));
	return 0;
}

static void xep_notify_free_mark(struct fsnotify_mark *fsn)
{
	kmem_cache_free(xep_mark_cache, container_of(fsn, struct xep_mark, fsn));
}

static const struct fsnotify_ops xep_notify_ops = {
	.handle_event	= xep_notify_handle_event,
	.free_mark	= xep_notify_free_mark,
};

int xep_notify_init(void)
{
	xep_mark_cache = KMEM_CACHE(xep_mark, SLAB_ACCOUNT);
	if (!xep_mark_cache)
		return -ENOMEM;
	xep_group = fsnotify_alloc_group(&xep_notify_ops, 0);
	if (IS_ERR(xep_group)) {
		kmem_cache_destroy(xep_mark_cache);
		return PTR_ERR(xep_group);
	}
	return 0;
}

void xep_notify_exit(void)
{
	struct xep_mark *mark, *next;

	/* No file is watched any more: every mark left is idle. */
	mutex_lock(&xep_mark_mutex);
	list_for_each_entry_safe(mark, next, &xep_marks, link)
		xep_mark_retire_locked(mark);
	WARN_ON_ONCE(!list_empty(&xep_marks));
	mutex_unlock(&xep_mark_mutex);
	fsnotify_put_group(xep_group);
	/* Marks destroyed last are freed by fsnotify's worker: wait for it. */
	fsnotify_wait_marks_destroyed();
	kmem_cache_destroy(xep_mark_cache);
}
