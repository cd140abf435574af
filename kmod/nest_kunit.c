// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the nesting checks (nest.c): when an ADD needs them,
 * loops and chains deeper than XEP_MAX_NESTS refused with ELOOP, too many
 * wake-up paths with EINVAL, all on real instances linked as
 * XEPOLL_IOC_CTL links them.
 */
#include <kunit/test.h>

#include "item.h"
#include "kunit_helpers.h"
#include "nest.h"
#include "tree.h"

/*
 * ADD @tfile to @ep, with the checks in xep_ctl()'s order: loops and
 * depth before the insertion, paths after it (undone if too many).
 */
static int xkt_link(struct xep_instance *ep, struct file *tfile)
{
	struct xep_nest nest;
	bool checked = xep_nest_needed(ep, tfile);
	int ret = 0;

	if (checked) {
		xep_nest_begin(&nest);
		ret = xep_nest_check(&nest, ep, tfile);
		if (ret)
			goto out;
	}
	mutex_lock(&ep->mtx);
	ret = xep_item_insert(ep, tfile, 0, EPOLLIN, 0);
	if (!ret && checked) {
		ret = xep_nest_check_paths(&nest);
		if (ret)
			xep_item_remove(ep, xep_tree_find(ep, tfile, 0));
	}
	mutex_unlock(&ep->mtx);
out:
	if (checked)
		xep_nest_end(&nest);
	return ret;
}

static struct xep_instance **xkt_instances(struct kunit *test, int n)
{
	struct xep_instance **eps = kunit_kcalloc(test, n, sizeof(*eps), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, eps);
	for (i = 0; i < n; i++)
		eps[i] = xkt_instance_new(test);
	return eps;
}

/* An unwatched instance watching a plain file needs no check. */
static void xkt_nest_not_needed(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xkt_file *tf = xkt_file_new(test);

	KUNIT_EXPECT_FALSE(test, xep_nest_needed(ep, tf->file));
}

/* An instance target, or a watched instance, needs the checks. */
static void xkt_nest_needed(struct kunit *test)
{
	struct xep_instance **ep = xkt_instances(test, 2);
	struct xkt_file *tf = xkt_file_new(test);

	KUNIT_EXPECT_TRUE(test, xep_nest_needed(ep[0], ep[1]->file));
	KUNIT_ASSERT_EQ(test, xkt_link(ep[0], ep[1]->file), 0);
	/* ep[1] is watched now: even a plain file added to it is checked. */
	KUNIT_EXPECT_TRUE(test, xep_nest_needed(ep[1], tf->file));
	KUNIT_EXPECT_FALSE(test, xep_nest_needed(ep[0], tf->file));
}

/* A watching B, B adding A: a loop. */
static void xkt_nest_loop_two(struct kunit *test)
{
	struct xep_instance **ep = xkt_instances(test, 2);

	KUNIT_EXPECT_EQ(test, xkt_link(ep[0], ep[1]->file), 0);
	KUNIT_EXPECT_EQ(test, xkt_link(ep[1], ep[0]->file), -ELOOP);
	KUNIT_EXPECT_NULL(test, xkt_find(ep[1], ep[0]->file, 0));
}

/* A -> B -> C, C adding A: a longer loop. */
static void xkt_nest_loop_three(struct kunit *test)
{
	struct xep_instance **ep = xkt_instances(test, 3);

	KUNIT_EXPECT_EQ(test, xkt_link(ep[0], ep[1]->file), 0);
	KUNIT_EXPECT_EQ(test, xkt_link(ep[1], ep[2]->file), 0);
	KUNIT_EXPECT_EQ(test, xkt_link(ep[2], ep[0]->file), -ELOOP);
	KUNIT_EXPECT_EQ(test, xkt_link(ep[2], ep[1]->file), -ELOOP);
	/* Not a loop: the top may watch the bottom directly. */
	KUNIT_EXPECT_EQ(test, xkt_link(ep[0], ep[2]->file), 0);
}

/* A diamond shares a sub-graph without a loop. */
static void xkt_nest_diamond(struct kunit *test)
{
	struct xep_instance **ep = xkt_instances(test, 4);
	struct xkt_file *tf = xkt_file_new(test);

	KUNIT_EXPECT_EQ(test, xkt_link(ep[3], tf->file), 0);
	KUNIT_EXPECT_EQ(test, xkt_link(ep[1], ep[3]->file), 0);
	KUNIT_EXPECT_EQ(test, xkt_link(ep[2], ep[3]->file), 0);
	KUNIT_EXPECT_EQ(test, xkt_link(ep[0], ep[1]->file), 0);
	KUNIT_EXPECT_EQ(test, xkt_link(ep[0], ep[2]->file), 0);
	KUNIT_EXPECT_EQ(test, xkt_link(ep[3], ep[0]->file), -ELOOP);
}

/*
 * A chain of XEP_MAX_NESTS + 1 instances is allowed, one more link is
 * not, built from the top down...
 */
static void xkt_nest_depth_top_down(struct kunit *test)
{
	struct xep_instance **ep = xkt_instances(test, XEP_MAX_NESTS + 2);
	int i;

	for (i = 0; i < XEP_MAX_NESTS; i++)
		KUNIT_EXPECT_EQ(test, xkt_link(ep[i], ep[i + 1]->file), 0);
	KUNIT_EXPECT_EQ(test, xkt_link(ep[i], ep[i + 1]->file), -ELOOP);
	KUNIT_EXPECT_NULL(test, xkt_find(ep[i], ep[i + 1]->file, 0));
}

/* ...from the bottom up... */
static void xkt_nest_depth_bottom_up(struct kunit *test)
{
	struct xep_instance **ep = xkt_instances(test, XEP_MAX_NESTS + 2);
	int i;

	for (i = XEP_MAX_NESTS; i > 0; i--)
		KUNIT_EXPECT_EQ(test, xkt_link(ep[i], ep[i + 1]->file), 0);
	KUNIT_EXPECT_EQ(test, xkt_link(ep[0], ep[1]->file), -ELOOP);
}

/* ...and by joining two chains in the middle. */
static void xkt_nest_depth_join(struct kunit *test)
{
	struct xep_instance **ep = xkt_instances(test, XEP_MAX_NESTS + 2);

	/* 0 -> 1 -> 2 and 3 -> 4 -> 5: joining 2 -> 3 makes five links. */
	KUNIT_EXPECT_EQ(test, xkt_link(ep[0], ep[1]->file), 0);
	KUNIT_EXPECT_EQ(test, xkt_link(ep[1], ep[2]->file), 0);
	KUNIT_EXPECT_EQ(test, xkt_link(ep[3], ep[4]->file), 0);
	KUNIT_EXPECT_EQ(test, xkt_link(ep[4], ep[5]->file), 0);
	KUNIT_EXPECT_EQ(test, xkt_link(ep[2], ep[3]->file), -ELOOP);
	/* Four links are fine: 1 -> 3 -> 4 -> 5 under 0. */
	KUNIT_EXPECT_EQ(test, xkt_link(ep[1], ep[3]->file), 0);
}

/*
 * Wake-up paths: @mids instances all watch one file and are watched by
 * one instance, itself under two more, so the file has @mids paths of
 * length four up to the top; epoll allows 50. Returns the last link's
 * result.
 */
static int xkt_nest_paths(struct kunit *test, int mids)
{
	struct xep_instance **ep = xkt_instances(test, mids + 3);
	struct xep_instance *x = ep[mids], *y = ep[mids + 1], *top = ep[mids + 2];
	struct xkt_file *tf = xkt_file_new(test);
	int i, ret;

	for (i = 0; i < mids; i++) {
		KUNIT_EXPECT_EQ(test, xkt_link(ep[i], tf->file), 0);
		KUNIT_EXPECT_EQ(test, xkt_link(x, ep[i]->file), 0);
	}
	KUNIT_EXPECT_EQ(test, xkt_link(y, x->file), 0);
	ret = xkt_link(top, y->file);
	/* A refused link is undone. */
	if (ret)
		KUNIT_EXPECT_NULL(test, xkt_find(top, y->file, 0));
	return ret;
}

static void xkt_nest_paths_at_limit(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, xkt_nest_paths(test, 50), 0);
}

static void xkt_nest_paths_over_limit(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, xkt_nest_paths(test, 51), -EINVAL);
}

/*
 * Paths of length one, instances watching the file directly, are not
 * limited: a file under more than epoll's 1000 of them may still be
 * linked further up.
 */
static void xkt_nest_paths_direct(struct kunit *test)
{
	struct xep_instance **ep = xkt_instances(test, 1003);
	struct xkt_file *tf = xkt_file_new(test);
	int i;

	for (i = 0; i < 1002; i++)
		KUNIT_ASSERT_EQ(test, xkt_link(ep[i], tf->file), 0);
	/*
	 * Checked now: ep[0] is an instance target, tf one of its files,
	 * with 1001 paths of length one besides the one through ep[1002].
	 */
	KUNIT_EXPECT_EQ(test, xkt_link(ep[1002], ep[0]->file), 0);
}

static struct kunit_case xkt_nest_cases[] = {
	KUNIT_CASE(xkt_nest_not_needed),
	KUNIT_CASE(xkt_nest_needed),
	KUNIT_CASE(xkt_nest_loop_two),
	KUNIT_CASE(xkt_nest_loop_three),
	KUNIT_CASE(xkt_nest_diamond),
	KUNIT_CASE(xkt_nest_depth_top_down),
	KUNIT_CASE(xkt_nest_depth_bottom_up),
	KUNIT_CASE(xkt_nest_depth_join),
	KUNIT_CASE(xkt_nest_paths_at_limit),
	KUNIT_CASE(xkt_nest_paths_over_limit),
	KUNIT_CASE(xkt_nest_paths_direct),
	{}
};

static struct kunit_suite xkt_nest_suite = {
	.name = "xepoll_nest",
	.test_cases = xkt_nest_cases,
};

kunit_test_suite(xkt_nest_suite);
