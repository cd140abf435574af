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
 * the struct xep_file (files.c) on the inode, each of which also holds a
 * reference to the mark.
 *
 * xep_mark_mutex serializes every lookup, creation, use count and
 * destruction of a mark, and the dropping of its references: a mark's
 * last reference may go only where no new mark can be attached to the
 * same inode at the same time. Letting the two overlap (a lookup taking
 * a use locklessly, its reference dropped outside the lock while another
 * task attached the inode's next mark) lost close events on the debug
 * kernel, within a second of four threads watching and closing eventfds
 * (selftests/stress_test.c found it). The mutex is held for bounded work
 * (fsnotify's own list updates, which take the group's mark_mutex and may
 * allocate its connector), never while waiting on anything a user
 * controls; a new mark is allocated before it is taken.
 *
 * A mark holds its inode (fsnotify's connector takes an inode reference)
 * as long as it is attached, which is never longer than some watched file
 * of that inode is open: the last xep_file of the inode goes at the
 * latest at that file's last close.
 *
 * Unload. A release may outlive every instance file (it holds its
 * instances by their counts, not by the module), so each struct xep_file
 * holds a reference to the module, dropped when it is freed, after the
 * use of its mark (files.c). fsnotify frees a destroyed mark from a
 * worker, after an SRCU grace period of fsnotify_mark_srcu, under which
 * every handler runs. So once the module is free to go, the last mark's
 * destruction is queued, and the exit's fsnotify_wait_marks_destroyed()
 * waits for every handler that could have seen a mark of ours: those
 * that found a watched file, and those that found none.
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

/* The events a mark asks for: every close, read-only or not. */
#define XEP_MARK_MASK	(FS_CLOSE_WRITE | FS_CLOSE_NOWRITE)

/* The mark on the inode fsnotify reports @file's close on. */
static struct inode *xep_mark_inode(struct file *file)
{
	return d_inode(file->f_path.dentry);
}

struct xep_mark *xep_mark_get(struct file *file)
{
	struct inode *inode = xep_mark_inode(file);
	struct fsnotify_mark *fsn;
	struct xep_mark *fresh, *mark;
	int ret;

	/* Most ADDs of a new inode need it: no allocation under the mutex. */
	fresh = kmem_cache_zalloc(xep_mark_cache, GFP_KERNEL_ACCOUNT);

	mutex_lock(&xep_mark_mutex);
	fsn = xep_find_inode_mark(inode, xep_group);
	if (fsn) {
		/* The reference fsnotify_find_mark() took is the caller's. */
		mark = container_of(fsn, struct xep_mark, fsn);
		mark->files++;
		goto out_unlock;
	}
	mark = fresh;
	fresh = NULL;
	if (!mark) {
		mark = ERR_PTR(-ENOMEM);
		goto out_unlock;
	}
	fsnotify_init_mark(&mark->fsn, xep_group);
	mark->fsn.mask = XEP_MARK_MASK;
	mark->files = 1;
	/* Its one reference so far is the caller's. */
	ret = fsnotify_add_inode_mark(&mark->fsn, inode, 0);
	if (ret) {
		fsnotify_put_mark(&mark->fsn);
		/* Any failure to attach is a lack of memory, as far as ADD goes. */
		mark = ERR_PTR(-ENOMEM);
	}
out_unlock:
	mutex_unlock(&xep_mark_mutex);
	if (fresh)
		kmem_cache_free(xep_mark_cache, fresh);
	return mark;
}

void xep_mark_put(struct xep_mark *mark)
{
	mutex_lock(&xep_mark_mutex);
	if (!--mark->files)
		fsnotify_destroy_mark(&mark->fsn, xep_group);
	fsnotify_put_mark(&mark->fsn);
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

	/* fsnotify_close() passes the closing file's own f_path. */
	if ((mask & XEP_MARK_MASK) && path)
		xep_files_release(container_of(path, struct file, f_path));
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
	fsnotify_put_group(xep_group);
	/* Marks destroyed last are freed by fsnotify's worker: wait for it. */
	fsnotify_wait_marks_destroyed();
	kmem_cache_destroy(xep_mark_cache);
}
