// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of per-user accounting (user.c): one record per uid, shared
 * by all of that user's instances, and the max_user_watches limit that
 * ADD meets with ENOSPC.
 *
 * Records are made for uids no real user of the test guest has; the
 * limit, a global, is put back when each test ends.
 */
#include <kunit/test.h>
#include <linux/uidgid.h>

#include "kunit_helpers.h"
#include "tree.h"
#include "user.h"

#define XKT_UID(n)	KUIDT_INIT(0x7e570000 + (n))

static void xkt_user_put_action(void *user)
{
	xep_user_put(user);
}

static struct xep_user *xkt_user_get(struct kunit *test, kuid_t uid)
{
	struct xep_user *user = xep_user_get(uid);

	KUNIT_ASSERT_NOT_NULL(test, user);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, xkt_user_put_action, user));
	return user;
}

static void xkt_uncharge_action(void *user)
{
	xep_user_uncharge(user);
}

/* Charge @user once, to be uncharged when the test ends. */
static int xkt_charge(struct kunit *test, struct xep_user *user)
{
	int ret = xep_user_charge(user);

	if (!ret)
		KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, xkt_uncharge_action,
								   user));
	return ret;
}

static void xkt_limit_restore(void *old)
{
	WRITE_ONCE(xep_max_user_watches, (long)old);
}

static void xkt_set_limit(struct kunit *test, long limit)
{
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, xkt_limit_restore,
							   (void *)xep_max_user_watches));
	WRITE_ONCE(xep_max_user_watches, limit);
}

static struct xep_user_totals xkt_totals(void)
{
	struct xep_user_totals t;

	xep_user_totals(&t);
	return t;
}

/* A uid has one record, whoever asks; another uid has another. */
static void xkt_user_same_record(struct kunit *test)
{
	struct xep_user *a = xkt_user_get(test, XKT_UID(1));
	struct xep_user *b = xkt_user_get(test, XKT_UID(1));
	struct xep_user *c = xkt_user_get(test, XKT_UID(2));

	KUNIT_EXPECT_PTR_EQ(test, a, b);
	KUNIT_EXPECT_PTR_NE(test, a, c);
}

/* Each reference counts as an instance in the totals, until put. */
static void xkt_user_refs_in_totals(struct kunit *test)
{
	struct xep_user_totals before = xkt_totals();
	struct xep_user *user = xep_user_get(XKT_UID(3));

	KUNIT_ASSERT_NOT_NULL(test, user);
	KUNIT_EXPECT_EQ(test, xkt_totals().instances, before.instances + 1);
	xep_user_get(XKT_UID(3));
	KUNIT_EXPECT_EQ(test, xkt_totals().instances, before.instances + 2);
	xep_user_put(user);
	xep_user_put(user);
	KUNIT_EXPECT_EQ(test, xkt_totals().instances, before.instances);
}

/* Charges add up in the totals, and uncharges take them back. */
static void xkt_user_charge_totals(struct kunit *test)
{
	struct xep_user *user = xkt_user_get(test, XKT_UID(4));
	struct xep_user_totals before = xkt_totals();
	int i;

	for (i = 0; i < 5; i++)
		KUNIT_ASSERT_EQ(test, xep_user_charge(user), 0);
	KUNIT_EXPECT_EQ(test, xkt_totals().watches, before.watches + 5);
	for (i = 0; i < 5; i++)
		xep_user_uncharge(user);
	KUNIT_EXPECT_EQ(test, xkt_totals().watches, before.watches);
}

/* The limit: reached exactly, refused beyond, free again after one goes. */
static void xkt_user_limit(struct kunit *test)
{
	struct xep_user *user = xkt_user_get(test, XKT_UID(5));
	struct xep_user_totals before;
	int i;

	xkt_set_limit(test, 3);
	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, xkt_charge(test, user), 0);
	before = xkt_totals();
	KUNIT_EXPECT_EQ(test, xep_user_charge(user), -ENOSPC);
	KUNIT_EXPECT_EQ(test, xep_user_charge(user), -ENOSPC);
	/* A refused charge leaves no trace. */
	KUNIT_EXPECT_EQ(test, xkt_totals().watches, before.watches);

	xep_user_uncharge(user);
	KUNIT_EXPECT_EQ(test, xep_user_charge(user), 0);
}

/* The limit is per user: another user still has room. */
static void xkt_user_limit_per_user(struct kunit *test)
{
	struct xep_user *a = xkt_user_get(test, XKT_UID(6));
	struct xep_user *b = xkt_user_get(test, XKT_UID(7));

	xkt_set_limit(test, 1);
	KUNIT_EXPECT_EQ(test, xkt_charge(test, a), 0);
	KUNIT_EXPECT_EQ(test, xkt_charge(test, a), -ENOSPC);
	KUNIT_EXPECT_EQ(test, xkt_charge(test, b), 0);
}

/*
 * ADD over the limit fails with ENOSPC and leaves nothing behind: no
 * item, no hook on the file, no reference to it.
 */
static void xkt_user_add_enospc(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xkt_file *tf = xkt_file_new(test);

	xkt_set_limit(test, 0);
	KUNIT_EXPECT_EQ(test, xkt_add(ep, tf->file, 3, EPOLLIN, 0), -ENOSPC);
	KUNIT_EXPECT_NULL(test, xkt_find(ep, tf->file, 3));
	KUNIT_EXPECT_FALSE(test, xkt_hooked(tf));
	KUNIT_EXPECT_EQ(test, file_count(tf->file), 1L);
}

/* One user's instances share one count: the limit spans them. */
static void xkt_user_limit_across_instances(struct kunit *test)
{
	struct xep_instance *ep1 = xkt_instance_new(test);
	struct xep_instance *ep2 = xkt_instance_new(test);
	struct xkt_file *tf = xkt_file_new(test);
	long used = xkt_totals().watches;

	KUNIT_EXPECT_PTR_EQ(test, ep1->user, ep2->user);
	if (used)
		kunit_skip(test, "%ld watches of other users are live", used);

	xkt_set_limit(test, 2);
	KUNIT_EXPECT_EQ(test, xkt_add(ep1, tf->file, 3, EPOLLIN, 0), 0);
	KUNIT_EXPECT_EQ(test, xkt_add(ep2, tf->file, 3, EPOLLIN, 0), 0);
	KUNIT_EXPECT_EQ(test, xkt_add(ep2, tf->file, 4, EPOLLIN, 0), -ENOSPC);
	KUNIT_EXPECT_EQ(test, xkt_add(ep1, tf->file, 4, EPOLLIN, 0), -ENOSPC);
	KUNIT_EXPECT_EQ(test, xkt_del(ep1, tf->file, 3), 0);
	KUNIT_EXPECT_EQ(test, xkt_add(ep2, tf->file, 4, EPOLLIN, 0), 0);
}

/* DEL and the release of an instance give every charge back. */
static void xkt_user_release_uncharges(struct kunit *test)
{
	struct xep_user_totals before = xkt_totals();
	struct xep_instance *ep = xkt_instance_new(test);
	struct xkt_file *tf = xkt_file_new(test);
	int fd;

	KUNIT_EXPECT_EQ(test, xkt_totals().instances, before.instances + 1);
	for (fd = 0; fd < 8; fd++)
		KUNIT_ASSERT_EQ(test, xkt_add(ep, tf->file, fd, EPOLLIN, fd), 0);
	KUNIT_EXPECT_EQ(test, xkt_totals().watches, before.watches + 8);
	KUNIT_EXPECT_EQ(test, xkt_del(ep, tf->file, 5), 0);
	KUNIT_EXPECT_EQ(test, xkt_totals().watches, before.watches + 7);

	xkt_instance_release(test, ep);
	KUNIT_EXPECT_EQ(test, xkt_totals().watches, before.watches);
	KUNIT_EXPECT_EQ(test, xkt_totals().instances, before.instances);
	KUNIT_EXPECT_EQ(test, file_count(tf->file), 1L);
}

static struct kunit_case xkt_user_cases[] = {
	KUNIT_CASE(xkt_user_same_record),
	KUNIT_CASE(xkt_user_refs_in_totals),
	KUNIT_CASE(xkt_user_charge_totals),
	KUNIT_CASE(xkt_user_limit),
	KUNIT_CASE(xkt_user_limit_per_user),
	KUNIT_CASE(xkt_user_add_enospc),
	KUNIT_CASE(xkt_user_limit_across_instances),
	KUNIT_CASE(xkt_user_release_uncharges),
	{}
};

static struct kunit_suite xkt_user_suite = {
	.name = "xepoll_user",
	.test_cases = xkt_user_cases,
};

kunit_test_suite(xkt_user_suite);
