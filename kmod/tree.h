/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interest list: a red-black tree of items per instance, keyed by
 * (file, fd) as epoll keys it, so that a file added under two descriptors
 * is two registrations. All of it runs under ep->mtx.
 */
#ifndef _XEPOLL_TREE_H
#define _XEPOLL_TREE_H

#include "instance.h"

struct xep_item *xep_tree_find(struct xep_instance *ep, struct file *file, int fd);
void xep_tree_insert(struct xep_instance *ep, struct xep_item *item);
void xep_tree_erase(struct xep_instance *ep, struct xep_item *item);

static inline struct xep_item *xep_tree_entry(struct rb_node *node)
{
	return node ? rb_entry(node, struct xep_item, rbn) : NULL;
}

static inline struct xep_item *xep_tree_first(struct xep_instance *ep)
{
	return xep_tree_entry(rb_first_cached(&ep->tree));
}

static inline struct xep_item *xep_tree_next(struct xep_item *item)
{
	return item ? xep_tree_entry(rb_next(&item->rbn)) : NULL;
}

#endif /* _XEPOLL_TREE_H */
