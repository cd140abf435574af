// SPDX-License-Identifier: GPL-2.0
/*
 * Loop and depth checks for instances that watch instances.
 *
 * Adding instance @target to instance @ep links ep -> target. The link is
 * refused if @ep can be reached going down from @target (a loop), or if
 * the longest chain through the new link, the depth below @target plus
 * the depth above @ep plus one, exceeds XEP_MAX_NESTS. epoll checks the
 * same way; the only difference is where the upward links are found:
 * epoll keeps them in struct file, xepoll in its table of watched files.
 *
 * Locking: xep_nest_mutex serializes every ADD of an instance, so the
 * topology does not change during a check; no instance mtx is held when
 * it is taken. Going down, each visited instance's mtx is taken at its
 * depth (mutex_lock_nested) to read its tree. Each visit is remembered
 * per check (loop_gen, loop_depth), so shared sub-graphs are walked once.
 */
#include <linux/minmax.h>
#include <linux/rculist.h>

#include "files.h"
#include "nest.h"
#include "tree.h"

DEFINE_MUTEX(xep_nest_mutex);	/* serializes ADDs of instances */

/* Generation of the current check; xep_nest_mutex. */
static u64 xep_loop_gen;

/* Depth below @ep, or more than XEP_MAX_NESTS for a loop back to @into. */
static int xep_depth_down(struct xep_instance *ep, struct xep_instance *into,
			  int depth)
{
	struct xep_item *item;
	int result = 0;

	if (ep->loop_gen == xep_loop_gen)
		return ep->loop_depth;

	mutex_lock_nested(&ep->mtx, depth + 1);
	ep->loop_gen = xep_loop_gen;
	for (item = xep_tree_first(ep); item; item = xep_tree_next(item)) {
		struct xep_instance *child;

		if (!xep_file_is_instance(item->file))
			continue;
		child = item->file->private_data;
		if (child == into || depth > XEP_MAX_NESTS)
			result = XEP_MAX_NESTS + 1;
		else
			result = max(result, xep_depth_down(child, into, depth + 1) + 1);
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
	struct rhlist_head *pos, *list;
	struct xep_item *item;
	int result = 0;

	if (ep->loop_gen == xep_loop_gen)
		return ep->loop_depth;
	if (depth > XEP_MAX_NESTS)
		return XEP_MAX_NESTS + 1;

	list = xep_files_lookup(ep->file);
	rhl_for_each_entry_rcu(item, pos, list, fnode)
		result = max(result, xep_depth_up(item->ep, depth + 1) + 1);
	ep->loop_gen = xep_loop_gen;
	ep->loop_depth = result;
	return result;
}

/* 0 if @ep may watch @target, -ELOOP if not. Holds xep_nest_mutex. */
int xep_nest_check(struct xep_instance *ep, struct xep_instance *target)
{
	int down, up;

	lockdep_assert_held(&xep_nest_mutex);

	xep_loop_gen++;
	down = xep_depth_down(target, ep, 0);
	if (down > XEP_MAX_NESTS)
		return -ELOOP;

	/* A fresh generation: the walk down may have visited @ep's parents. */
	xep_loop_gen++;
	rcu_read_lock();
	up = xep_depth_up(ep, 0);
	rcu_read_unlock();

	return down + 1 + up > XEP_MAX_NESTS ? -ELOOP : 0;
}
