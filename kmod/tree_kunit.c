// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the interest tree (tree.c): order by (file, fd), insert,
 * lookup, erase, at small sizes and with thousands of entries.
 *
 * The tree compares file addresses and never dereferences them, so the
 * files here are distinct addresses inside one test allocation; the items
 * are bare, outside any instance's other lists.
 */
#include <kunit/test.h>
#include <linux/prandom.h>
#include <linux/slab.h>

#include "tree.h"

#define XKT_MANY	4096

struct xkt_tree {
	struct xep_instance ep;
	char files[16];			/* distinct addresses: the "files" */
};

static int xkt_tree_init(struct kunit *test)
{
	struct xkt_tree *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	mutex_init(&t->ep.mtx);
	t->ep.tree = RB_ROOT_CACHED;
	test->priv = t;
	return 0;
}

static void xkt_tree_exit(struct kunit *test)
{
	struct xkt_tree *t = test->priv;

	mutex_destroy(&t->ep.mtx);
}

/* The tree's functions run under ep->mtx, which they assert. */
static struct xep_item *xkt_find_in(struct xep_instance *ep, struct file *file, int fd)
{
	struct xep_item *item;

	mutex_lock(&ep->mtx);
	item = xep_tree_find(ep, file, fd);
	mutex_unlock(&ep->mtx);
	return item;
}

static void xkt_insert_in(struct xep_instance *ep, struct xep_item *item)
{
	mutex_lock(&ep->mtx);
	xep_tree_insert(ep, item);
	mutex_unlock(&ep->mtx);
}

static void xkt_erase_in(struct xep_instance *ep, struct xep_item *item)
{
	mutex_lock(&ep->mtx);
	xep_tree_erase(ep, item);
	mutex_unlock(&ep->mtx);
}

static struct file *xkt_f(struct kunit *test, int i)
{
	struct xkt_tree *t = test->priv;

	return (struct file *)&t->files[i];
}

static struct xep_item *xkt_item(struct kunit *test, struct file *file, int fd)
{
	struct xep_item *item = kunit_kzalloc(test, sizeof(*item), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, item);
	item->file = file;
	item->fd = fd;
	return item;
}

static struct xep_item *xkt_insert(struct kunit *test, struct file *file, int fd)
{
	struct xkt_tree *t = test->priv;
	struct xep_item *item = xkt_item(test, file, fd);

	xkt_insert_in(&t->ep, item);
	return item;
}

/* The tree walked in order is strictly increasing by (file, fd); its size. */
static int xkt_check_order(struct kunit *test)
{
	struct xkt_tree *t = test->priv;
	struct xep_item *item, *prev = NULL;
	int n = 0;

	for (item = xep_tree_first(&t->ep); item; item = xep_tree_next(item)) {
		if (prev) {
			KUNIT_EXPECT_TRUE(test, prev->file < item->file ||
					  (prev->file == item->file && prev->fd < item->fd));
		}
		prev = item;
		n++;
	}
	return n;
}

static void xkt_tree_empty(struct kunit *test)
{
	struct xkt_tree *t = test->priv;

	KUNIT_EXPECT_NULL(test, xkt_find_in(&t->ep, xkt_f(test, 0), 0));
	KUNIT_EXPECT_NULL(test, xep_tree_first(&t->ep));
}

static void xkt_tree_insert_find(struct kunit *test)
{
	struct xkt_tree *t = test->priv;
	struct xep_item *item = xkt_insert(test, xkt_f(test, 1), 5);

	KUNIT_EXPECT_PTR_EQ(test, xkt_find_in(&t->ep, xkt_f(test, 1), 5), item);
	/* Both halves of the key must match. */
	KUNIT_EXPECT_NULL(test, xkt_find_in(&t->ep, xkt_f(test, 1), 6));
	KUNIT_EXPECT_NULL(test, xkt_find_in(&t->ep, xkt_f(test, 2), 5));
	KUNIT_EXPECT_NULL(test, xkt_find_in(&t->ep, xkt_f(test, 0), 5));
	KUNIT_EXPECT_PTR_EQ(test, xep_tree_first(&t->ep), item);
}

/* One file under two descriptors is two registrations, as in epoll. */
static void xkt_tree_same_file_two_fds(struct kunit *test)
{
	struct xkt_tree *t = test->priv;
	struct xep_item *a = xkt_insert(test, xkt_f(test, 3), 7);
	struct xep_item *b = xkt_insert(test, xkt_f(test, 3), 4);

	KUNIT_EXPECT_PTR_EQ(test, xkt_find_in(&t->ep, xkt_f(test, 3), 7), a);
	KUNIT_EXPECT_PTR_EQ(test, xkt_find_in(&t->ep, xkt_f(test, 3), 4), b);
	KUNIT_EXPECT_PTR_EQ(test, xep_tree_first(&t->ep), b);
	KUNIT_EXPECT_PTR_EQ(test, xep_tree_next(b), a);
	KUNIT_EXPECT_NULL(test, xep_tree_next(a));
}

/* File first, then descriptor: a low fd of a later file sorts after. */
static void xkt_tree_order(struct kunit *test)
{
	static const struct { int f, fd; } keys[] = {
		{ 5, 1 }, { 2, 9 }, { 5, 0 }, { 0, 3 }, { 2, 2 }, { 9, 0 },
		{ 0, 100 }, { 7, 7 }, { 2, 5 }, { 0, 0 },
	};
	struct xkt_tree *t = test->priv;
	struct xep_item *item;
	int i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		xkt_insert(test, xkt_f(test, keys[i].f), keys[i].fd);
	KUNIT_EXPECT_EQ(test, xkt_check_order(test), ARRAY_SIZE(keys));

	item = xep_tree_first(&t->ep);
	KUNIT_ASSERT_NOT_NULL(test, item);
	KUNIT_EXPECT_PTR_EQ(test, item->file, xkt_f(test, 0));
	KUNIT_EXPECT_EQ(test, item->fd, 0);
	item = xep_tree_next(item);
	KUNIT_EXPECT_EQ(test, item->fd, 3);
	item = xep_tree_next(item);
	KUNIT_EXPECT_EQ(test, item->fd, 100);
	item = xep_tree_next(item);
	KUNIT_EXPECT_PTR_EQ(test, item->file, xkt_f(test, 2));
	KUNIT_EXPECT_EQ(test, item->fd, 2);
}

/* Descriptors at both ends of their range keep their order. */
static void xkt_tree_fd_extremes(struct kunit *test)
{
	struct xkt_tree *t = test->priv;
	struct xep_item *max = xkt_insert(test, xkt_f(test, 4), INT_MAX);
	struct xep_item *zero = xkt_insert(test, xkt_f(test, 4), 0);
	struct xep_item *one = xkt_insert(test, xkt_f(test, 4), 1);

	KUNIT_EXPECT_PTR_EQ(test, xep_tree_first(&t->ep), zero);
	KUNIT_EXPECT_PTR_EQ(test, xep_tree_next(zero), one);
	KUNIT_EXPECT_PTR_EQ(test, xep_tree_next(one), max);
	KUNIT_EXPECT_PTR_EQ(test, xkt_find_in(&t->ep, xkt_f(test, 4), INT_MAX), max);
}

static void xkt_tree_erase(struct kunit *test)
{
	struct xkt_tree *t = test->priv;
	struct xep_item *a = xkt_insert(test, xkt_f(test, 1), 1);
	struct xep_item *b = xkt_insert(test, xkt_f(test, 1), 2);
	struct xep_item *c = xkt_insert(test, xkt_f(test, 1), 3);

	xkt_erase_in(&t->ep, b);
	KUNIT_EXPECT_NULL(test, xkt_find_in(&t->ep, xkt_f(test, 1), 2));
	KUNIT_EXPECT_PTR_EQ(test, xkt_find_in(&t->ep, xkt_f(test, 1), 1), a);
	KUNIT_EXPECT_PTR_EQ(test, xkt_find_in(&t->ep, xkt_f(test, 1), 3), c);
	KUNIT_EXPECT_PTR_EQ(test, xep_tree_next(a), c);

	/* The same key may be added again once erased. */
	b = xkt_insert(test, xkt_f(test, 1), 2);
	KUNIT_EXPECT_PTR_EQ(test, xkt_find_in(&t->ep, xkt_f(test, 1), 2), b);
	KUNIT_EXPECT_EQ(test, xkt_check_order(test), 3);
}

/* The cached leftmost node follows erasure of the first item. */
static void xkt_tree_erase_first(struct kunit *test)
{
	struct xkt_tree *t = test->priv;
	struct xep_item *a = xkt_insert(test, xkt_f(test, 2), 0);
	struct xep_item *b = xkt_insert(test, xkt_f(test, 3), 0);

	xkt_erase_in(&t->ep, a);
	KUNIT_EXPECT_PTR_EQ(test, xep_tree_first(&t->ep), b);
	xkt_erase_in(&t->ep, b);
	KUNIT_EXPECT_NULL(test, xep_tree_first(&t->ep));
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&t->ep.tree.rb_root));
}

/*
 * Thousands of entries inserted in a shuffled order: every one is found,
 * the walk is sorted, and erasing half leaves exactly the other half.
 */
static void xkt_tree_many(struct kunit *test)
{
	struct xkt_tree *t = test->priv;
	struct xep_item **items;
	struct rnd_state rnd;
	int i;

	items = kunit_kcalloc(test, XKT_MANY, sizeof(*items), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, items);
	/* Keys: 16 files x 256 descriptors, in a reproducible shuffle. */
	for (i = 0; i < XKT_MANY; i++)
		items[i] = xkt_item(test, xkt_f(test, i % 16), i / 16);
	prandom_seed_state(&rnd, 20241125);
	for (i = XKT_MANY - 1; i > 0; i--) {
		/* swap() evaluates its arguments twice: draw the index first. */
		u32 j = prandom_u32_state(&rnd) % (i + 1);

		swap(items[i], items[j]);
	}

	for (i = 0; i < XKT_MANY; i++)
		xkt_insert_in(&t->ep, items[i]);
	KUNIT_EXPECT_EQ(test, xkt_check_order(test), XKT_MANY);
	for (i = 0; i < XKT_MANY; i++) {
		struct xep_item *found = xkt_find_in(&t->ep, items[i]->file,
						     items[i]->fd);

		KUNIT_ASSERT_PTR_EQ(test, found, items[i]);
	}

	for (i = 0; i < XKT_MANY; i += 2)
		xkt_erase_in(&t->ep, items[i]);
	KUNIT_EXPECT_EQ(test, xkt_check_order(test), XKT_MANY / 2);
	for (i = 0; i < XKT_MANY; i++) {
		struct xep_item *found = xkt_find_in(&t->ep, items[i]->file,
						       items[i]->fd);

		KUNIT_ASSERT_PTR_EQ(test, found, i % 2 ? items[i] : NULL);
	}

	for (i = 1; i < XKT_MANY; i += 2)
		xkt_erase_in(&t->ep, items[i]);
	KUNIT_EXPECT_NULL(test, xep_tree_first(&t->ep));
}

static struct kunit_case xkt_tree_cases[] = {
	KUNIT_CASE(xkt_tree_empty),
	KUNIT_CASE(xkt_tree_insert_find),
	KUNIT_CASE(xkt_tree_same_file_two_fds),
	KUNIT_CASE(xkt_tree_order),
	KUNIT_CASE(xkt_tree_fd_extremes),
	KUNIT_CASE(xkt_tree_erase),
	KUNIT_CASE(xkt_tree_erase_first),
	KUNIT_CASE(xkt_tree_many),
	{}
};

static struct kunit_suite xkt_tree_suite = {
	.name = "xepoll_tree",
	.init = xkt_tree_init,
	.exit = xkt_tree_exit,
	.test_cases = xkt_tree_cases,
};

kunit_test_suite(xkt_tree_suite);
