// SPDX-License-Identifier: GPL-2.0
/*
 * Checks for the links an ADD makes between instances and files: loops,
 * depth and wake-up paths, as epoll makes them.
 *
 * Adding instance @target to instance @ep links ep -> target. The link is
 * refused with ELOOP if @ep can be reached going down from @target (a
 * loop), or if the longest chain through the new link, the depth below
 * @target plus the depth above @ep plus one, exceeds XEP_MAX_NESTS. epoll
 * checks the same way; the only difference is where the upward links are
 * found: epoll keeps them in struct file, xepoll in its table of watched
 * files.
 *
 * Every wake-up of a file travels up through each instance that watches
 * it, and through each instance that watches those, and so on: a few
 * hundred links, well arranged, would make one wake-up cost millions of
 * callbacks, in interrupt context. So, as epoll does, an ADD that involves
 * nesting (an instance target, or an instance that is itself watched)
 * counts, for each file whose wake-ups the new link carries further, the
 * paths from the file to an unwatched instance, by length, and refuses
 * the link with EINVAL if any length has more than xep_path_limits[]
 * allows. Paths of length one, the common case of an instance watching
 * its files directly, are not limited.
 *
 * Locking: xep_nest_mutex serializes every ADD that needs these checks,
 * so the topology does not change during a check; no instance mtx is
 * held when it is taken. Going down, each visited instance's mtx is taken
 * at its depth (mutex_lock_nested) to read its tree. Each visit is
 * remembered per check (loop_gen, loop_depth), so shared sub-graphs are
 * walked once. Going up, the table of watched files is read under RCU.
 *
 * An ADD that needs no nesting check does not take xep_nest_mutex, so an
 * instance that becomes watched while such an ADD runs may miss one file
 * in its path count, as with epoll.
 */
#include <linux/file.h>
#include <linux/minmax.h>
#include <linux/rculist.h>
#include <linux/slab.h>

#include "compat.h"
#include "files.h"
#include "item.h"
#include "nest.h"
#include "tree.h"

static DEFINE_MUTEX(xep_nest_mutex);	/* serializes ADDs that need checks */

/* Generation of the current check; xep_nest_mutex. */
static u64 xep_loop_gen;

/*
 * How many wake-up paths of each length (index + 1) may lead up from one
 * file: epoll's path_limits[], so that the same topologies are refused.
 */
static const int xep_path_limits[XEP_MAX_NESTS + 1] = { 1000, 500, 100, 50, 10 };
static int xep_path_count[XEP_MAX_NESTS + 1];	/* xep_nest_mutex */

/* A file whose wake-up paths the link being added lengthens. */
struct xep_nest_file {
	struct list_head link;
	struct file *file;
};

/*
 * Remember @file for the path check, with the caller's reference, which
 * is dropped in any case: at xep_nest_end(), or now on failure.
 */
static int xep_nest_add_file(struct xep_nest *nest, struct file *file)
{
	struct xep_nest_file *nf = kmalloc(sizeof(*nf), GFP_KERNEL);

	if (!nf) {
		fput(file);
		return -ENOMEM;
	}
	nf->file = file;
	list_add_tail(&nf->link, &nest->files);
	return 0;
}

/*
 * Depth below @ep, or more than XEP_MAX_NESTS for a loop back to @into
 * (or -ENOMEM). The files found on the way are remembered in @nest.
 */
static int xep_depth_down(struct xep_nest *nest, struct xep_instance *ep,
			  struct xep_instance *into, int depth)
{
	struct xep_item *item;
	int result = 0, sub;

	if (ep->loop_gen == xep_loop_gen)
		return ep->loop_depth;

	mutex_lock_nested(&ep->mtx, depth + 1);
	ep->loop_gen = xep_loop_gen;
	for (item = xep_tree_first(ep); item; item = xep_tree_next(item)) {
		struct xep_instance *child;
		struct file *file;

		/* None once its last close began: it links nothing. */
		file = xep_item_fget(item);
		if (!file)
			continue;
		if (!xep_file_is_instance(file)) {
			if (xep_nest_add_file(nest, file)) {
				result = -ENOMEM;
				break;
			}
			continue;
		}
		child = file->private_data;
		sub = child == into || depth > XEP_MAX_NESTS ? XEP_MAX_NESTS :
		      xep_depth_down(nest, child, into, depth + 1);
		fput(file);
		if (sub < 0) {
			result = sub;
			break;
		}
		result = max(result, sub + 1);
		if (result > XEP_MAX_NESTS)
			break;
	}
	ep->loop_depth = result;
	mutex_unlock(&ep->mtx);
	return result;
}

/* Depth above @ep: how many instances watch it, transitively. */
static int xep_depth_up(struct xep_instance *ep, int depth)
{
	struct xep_item *item;
	int result = 0;

	if (ep->loop_gen == xep_loop_gen)
		return ep->loop_depth;
	if (depth > XEP_MAX_NESTS)
		return XEP_MAX_NESTS + 1;

	xep_for_each_watcher(item, ep->file)
		result = max(result, xep_depth_up(item->ep, depth + 1) + 1);
	ep->loop_gen = xep_loop_gen;
	ep->loop_depth = result;
	return result;
}

/* Whether @ep is watched by another instance. */
static bool xep_nest_is_watched(struct xep_instance *ep)
{
	bool watched;

	rcu_read_lock();
	watched = !hlist_empty(xep_files_watchers(ep->file));
	rcu_read_unlock();
	return watched;
}

bool xep_nest_needed(struct xep_instance *ep, struct file *tfile)
{
	return xep_file_is_instance(tfile) || xep_nest_is_watched(ep);
}
EXPORT_SYMBOL_IF_KUNIT(xep_nest_needed);

void xep_nest_begin(struct xep_nest *nest)
{
	INIT_LIST_HEAD(&nest->files);
	mutex_lock(&xep_nest_mutex);
}
EXPORT_SYMBOL_IF_KUNIT(xep_nest_begin);

void xep_nest_end(struct xep_nest *nest)
{
	struct xep_nest_file *nf, *tmp;

	mutex_unlock(&xep_nest_mutex);
	list_for_each_entry_safe(nf, tmp, &nest->files, link) {
		fput(nf->file);
		kfree(nf);
	}
}
EXPORT_SYMBOL_IF_KUNIT(xep_nest_end);

/* 0 if instance @target may be linked below @ep, -ELOOP if not. */
static int xep_nest_check_instance(struct xep_nest *nest, struct xep_instance *ep,
				   struct xep_instance *target)
{
	int down, up;

	xep_loop_gen++;
	down = xep_depth_down(nest, target, ep, 0);
	if (down < 0)
		return down;
	if (down > XEP_MAX_NESTS)
		return -ELOOP;

	/* A fresh generation: the walk down may have visited @ep's parents. */
	xep_loop_gen++;
	rcu_read_lock();
	up = xep_depth_up(ep, 0);
	rcu_read_unlock();

	return down + 1 + up > XEP_MAX_NESTS ? -ELOOP : 0;
}

int xep_nest_check(struct xep_nest *nest, struct xep_instance *ep,
		   struct file *tfile)
{
	lockdep_assert_held(&xep_nest_mutex);

	if (xep_file_is_instance(tfile))
		return xep_nest_check_instance(nest, ep, tfile->private_data);
	return xep_nest_add_file(nest, get_file(tfile));
}
EXPORT_SYMBOL_IF_KUNIT(xep_nest_check);

/* Count one path of length @depth + 1; false if there are too many. */
static bool xep_path_count_inc(int depth)
{
	/* An instance watching its files directly: not limited. */
	if (!depth)
		return true;
	return ++xep_path_count[depth] <= xep_path_limits[depth];
}

/* Count the paths up from @file; false if too many or too long. */
static bool xep_paths_up(struct file *file, int depth)
{
	struct xep_item *item;

	if (depth > XEP_MAX_NESTS)
		return false;

	xep_for_each_watcher(item, file) {
		struct file *up = item->ep->file;
		bool ok;

		if (!hlist_empty(xep_files_watchers(up)))
			ok = xep_paths_up(up, depth + 1);
		else
			ok = xep_path_count_inc(depth);
		if (!ok)
			return false;
	}
	return true;
}

int xep_nest_check_paths(struct xep_nest *nest)
{
	struct xep_nest_file *nf;
	bool ok = true;

	lockdep_assert_held(&xep_nest_mutex);

	list_for_each_entry(nf, &nest->files, link) {
		memset(xep_path_count, 0, sizeof(xep_path_count));
		rcu_read_lock();
		ok = xep_paths_up(nf->file, 0);
		rcu_read_unlock();
		if (!ok)
			break;
	}
	return ok ? 0 : -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(xep_nest_check_paths);
