// SPDX-License-Identifier: GPL-2.0
/*
 * The interest list of an instance: a red-black tree keyed by (file, fd).
 *
 * Lookups and changes run under ep->mtx (see instance.h); the tree is
 * never read from the wake-up callback, which reaches its item through
 * the wait-queue entry.
 */
#include <linux/rbtree.h>

#include "compat.h"
#include "tree.h"

/* Order by file first, then by descriptor: epoll's order. */
static int xep_key_cmp(const struct file *f1, int fd1,
		       const struct file *f2, int fd2)
{
	if (f1 != f2)
		return f1 > f2 ? 1 : -1;
	return fd1 - fd2;
}

struct xep_item *xep_tree_find(struct xep_instance *ep, struct file *file, int fd)
{
	struct rb_node *node = ep->tree.rb_root.rb_node;

	lockdep_assert_held(&ep->mtx);

	while (node) {
		struct xep_item *item = rb_entry(node, struct xep_item, rbn);
		int cmp = xep_key_cmp(file, fd, item->file, item->fd);

		if (cmp < 0)
			node = node->rb_left;
		else if (cmp > 0)
			node = node->rb_right;
		else
			return item;
	}
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(xep_tree_find);

/* The caller has checked with xep_tree_find() that the key is absent. */
void xep_tree_insert(struct xep_instance *ep, struct xep_item *item)
{
	struct rb_node **link = &ep->tree.rb_root.rb_node, *parent = NULL;
	bool leftmost = true;

	lockdep_assert_held(&ep->mtx);

	while (*link) {
		struct xep_item *cur = rb_entry(*link, struct xep_item, rbn);

		parent = *link;
		if (xep_key_cmp(item->file, item->fd, cur->file, cur->fd) > 0) {
			link = &parent->rb_right;
			leftmost = false;
		} else {
			link = &parent->rb_left;
		}
	}
	rb_link_node(&item->rbn, parent, link);
	rb_insert_color_cached(&item->rbn, &ep->tree, leftmost);
}
EXPORT_SYMBOL_IF_KUNIT(xep_tree_insert);

void xep_tree_erase(struct xep_instance *ep, struct xep_item *item)
{
	lockdep_assert_held(&ep->mtx);
	rb_erase_cached(&item->rbn, &ep->tree);
}
EXPORT_SYMBOL_IF_KUNIT(xep_tree_erase);
