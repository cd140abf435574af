// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the shared ready ring (ring.c) and of its side of the
 * wake-up callback and the wait's transfer (ready.c): real instances with
 * a ring, mapped into the test thread's user memory as a program maps
 * them, so that the test plays user space on the shared words (protocol
 * and garbage alike) with get_user() and put_user(), while the kernel
 * publishes, coalesces, overflows, cancels and consumes.
 *
 * The cell protocol is the uapi header's, at struct xepoll_ring_cell:
 * position p's cell is free for the kernel when its seq is p, holds an
 * event when it is p + 1, and is freed by a consumer writing p + entries.
 */
#include <kunit/test.h>
#include <linux/mman.h>
#include <linux/uaccess.h>

#include <linux/xepoll.h>

#include "item.h"
#include "kunit_helpers.h"
#include "ready.h"
#include "ring.h"

/**
 * struct xkt_ring - an instance with a ring, and the test's mapping of it
 * @ep:		the instance
 * @s:		the ring's geometry, as XEPOLL_IOC_RING_SETUP returns it
 * @map:	the mapping, in the test thread's user memory
 */
struct xkt_ring {
	struct xep_instance *ep;
	struct xepoll_ring_setup s;
	u8 __user *map;
};

static void xkt_ring_new(struct kunit *test, struct xkt_ring *r,
			 unsigned int entries)
{
	unsigned long addr;

	r->ep = xkt_instance_new(test);
	r->s = (struct xepoll_ring_setup){ .entries = entries };
	KUNIT_ASSERT_EQ(test, xep_ring_setup(r->ep, &r->s), 0);
	addr = kunit_vm_mmap(test, r->ep->file, 0, r->s.size,
			     PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "kunit_vm_mmap of the ring failed");
	KUNIT_ASSERT_LT_MSG(test, addr, (unsigned long)TASK_SIZE,
			    "mmap of the ring: %ld", (long)addr);
	r->map = (u8 __user *)addr;
}

static u32 xkt_rd(struct kunit *test, struct xkt_ring *r, u32 off)
{
	u32 v = 0;

	KUNIT_EXPECT_EQ(test, get_user(v, (u32 __user *)(r->map + off)), 0);
	return v;
}

static void xkt_wr(struct kunit *test, struct xkt_ring *r, u32 off, u32 v)
{
	KUNIT_EXPECT_EQ(test, put_user(v, (u32 __user *)(r->map + off)), 0);
}

/* Offsets of the words of cell @i. */
static u32 xkt_seq(struct xkt_ring *r, u32 i)
{
	return r->s.cells_off + (i & r->s.mask) * sizeof(struct xepoll_ring_cell);
}

static u32 xkt_events(struct xkt_ring *r, u32 i)
{
	return xkt_seq(r, i) + offsetof(struct xepoll_ring_cell, events);
}

static u64 xkt_data(struct kunit *test, struct xkt_ring *r, u32 i)
{
	u32 off = xkt_seq(r, i) + offsetof(struct xepoll_ring_cell, data);
	u64 v = 0;

	KUNIT_EXPECT_EQ(test, copy_from_user(&v, r->map + off, sizeof(v)), 0UL);
	return v;
}

/* A test file registered in @r's instance as @fd, with @events. */
static struct xep_item *xkt_reg(struct kunit *test, struct xkt_ring *r,
				struct xkt_file **tf, int fd, __poll_t ready,
				__poll_t events, u64 data)
{
	struct xep_item *item;

	*tf = xkt_file_new(test);
	(*tf)->mask = ready;
	KUNIT_ASSERT_EQ(test, xkt_add(r->ep, (*tf)->file, fd, events, data), 0);
	item = xkt_find(r->ep, (*tf)->file, fd);
	KUNIT_ASSERT_NOT_NULL(test, item);
	return item;
}

/* The kernel's consumer, at the tail as it stands. */
static enum xep_ring_take xkt_take(struct xep_instance *ep, u32 *events,
				   u64 *data)
{
	u32 pos;

	return xep_ring_take(ep, (u32)xep_ring_tail(ep), events, data, &pos);
}

/* The setup's checks and geometry. */
static void xkt_ring_setup_args(struct kunit *test)
{
	struct xep_instance *ep = xkt_instance_new(test);
	struct xepoll_ring_setup s = { .entries = 8, .flags = 1 };
	struct xepoll_ring_setup q = { 0 };
	unsigned int i, in[] = { 1, 2, 3, 100, XEPOLL_RING_MAX_ENTRIES };
	unsigned int out[] = { 2, 2, 4, 128, XEPOLL_RING_MAX_ENTRIES };

	KUNIT_EXPECT_EQ(test, xep_ring_setup(ep, &s), -EINVAL);
	s = (struct xepoll_ring_setup){ .entries = XEPOLL_RING_MAX_ENTRIES + 1 };
	KUNIT_EXPECT_EQ(test, xep_ring_setup(ep, &s), -EINVAL);
	KUNIT_EXPECT_EQ(test, xep_ring_setup(ep, &q), -ENODEV);
	KUNIT_EXPECT_EQ(test, xep_ring_entries(ep), 0U);

	for (i = 0; i < ARRAY_SIZE(in); i++) {
		struct xep_instance *other = xkt_instance_new(test);

		s = (struct xepoll_ring_setup){ .entries = in[i] };
		KUNIT_ASSERT_EQ(test, xep_ring_setup(other, &s), 0);
		KUNIT_EXPECT_EQ(test, s.entries, out[i]);
		KUNIT_EXPECT_EQ(test, s.mask, out[i] - 1);
		KUNIT_EXPECT_EQ(test, s.size % PAGE_SIZE, 0U);
		KUNIT_EXPECT_LE(test, s.cells_off + out[i] *
				sizeof(struct xepoll_ring_cell), s.size);
		/* The head alone in its cache line, the kernel's words apart. */
		KUNIT_EXPECT_GE(test, s.kready_off - s.head_off, 64U);
		KUNIT_EXPECT_NE(test, s.kready_off, s.flags_off);
		KUNIT_EXPECT_LE(test, s.flags_off + 4, s.cells_off);
		KUNIT_EXPECT_EQ(test, xep_ring_entries(other), out[i]);
		KUNIT_EXPECT_EQ(test, xep_ring_tail(other), 0ULL);
		xkt_instance_release(test, other);
	}

	s = (struct xepoll_ring_setup){ .entries = 16 };
	KUNIT_ASSERT_EQ(test, xep_ring_setup(ep, &s), 0);
	q = (struct xepoll_ring_setup){ .entries = 16 };
	KUNIT_EXPECT_EQ(test, xep_ring_setup(ep, &q), -EBUSY);
	q = (struct xepoll_ring_setup){ 0 };
	KUNIT_EXPECT_EQ(test, xep_ring_setup(ep, &q), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&q, &s, sizeof(s)), 0);
}

/*
 * An edge is published in the next cell, with the events its wake-up
 * announced and the registration's data, and the consumer takes it.
 */
static void xkt_ring_publish_edge(struct kunit *test)
{
	struct xkt_ring r;
	struct xkt_file *tf;
	struct xep_item *item;
	u32 events;
	u64 data;

	xkt_ring_new(test, &r, 4);
	item = xkt_reg(test, &r, &tf, 3, 0, EPOLLIN | EPOLLOUT | EPOLLET, 0xabc);
	KUNIT_EXPECT_FALSE(test, xep_ring_peek(r.ep));
	KUNIT_EXPECT_EQ(test, xkt_take(r.ep, &events, &data), XEP_RING_EMPTY);

	xkt_file_wake(tf, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_FALSE(test, xkt_queued(r.ep, item));
	KUNIT_EXPECT_EQ(test, xep_ring_tail(r.ep), 1ULL);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, xkt_seq(&r, 0)), 1U);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, xkt_events(&r, 0)), xkt_ev(EPOLLIN));
	KUNIT_EXPECT_EQ(test, xkt_data(test, &r, 0), 0xabcULL);
	KUNIT_EXPECT_TRUE(test, xep_ring_peek(r.ep));
	KUNIT_EXPECT_EQ(test, xep_ring_count(r.ep), 1U);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, r.s.kready_off), 0U);
	/* Readable to pollers while the ring holds it. */
	KUNIT_EXPECT_EQ(test, xkt_ev(xep_ready_poll(r.ep, 0)),
			xkt_ev(EPOLLIN | EPOLLRDNORM));

	KUNIT_ASSERT_EQ(test, xkt_take(r.ep, &events, &data), XEP_RING_EVENT);
	KUNIT_EXPECT_EQ(test, events, xkt_ev(EPOLLIN));
	KUNIT_EXPECT_EQ(test, data, 0xabcULL);
	/* Freed for the position a lap on; the head moved. */
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, xkt_seq(&r, 0)), 4U);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, r.s.head_off), 1U);
	KUNIT_EXPECT_EQ(test, xkt_take(r.ep, &events, &data), XEP_RING_EMPTY);
	KUNIT_EXPECT_FALSE(test, xep_ring_peek(r.ep));
	KUNIT_EXPECT_EQ(test, xkt_ev(xep_ready_poll(r.ep, 0)), 0U);
}

/* Wake-ups before the cell is consumed OR into it; after, a new cell. */
static void xkt_ring_coalesce(struct kunit *test)
{
	struct xepoll_event ev[4];
	struct xkt_ring r;
	struct xkt_file *tf;
	u32 events;
	u64 data;

	xkt_ring_new(test, &r, 4);
	xkt_reg(test, &r, &tf, 3, 0, EPOLLIN | EPOLLOUT | EPOLLET, 7);
	xkt_file_wake(tf, EPOLLIN, EPOLLIN);
	xkt_file_wake(tf, EPOLLIN | EPOLLOUT, EPOLLOUT);
	xkt_file_wake(tf, EPOLLIN | EPOLLOUT, EPOLLIN);
	KUNIT_EXPECT_EQ(test, xep_ring_tail(r.ep), 1ULL);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, xkt_events(&r, 0)),
			xkt_ev(EPOLLIN | EPOLLOUT));

	KUNIT_ASSERT_EQ(test, xkt_take(r.ep, &events, &data), XEP_RING_EVENT);
	xkt_file_wake(tf, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_EQ(test, xep_ring_tail(r.ep), 2ULL);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, xkt_seq(&r, 1)), 2U);

	/* A wait reaps it as any consumer would, once. */
	KUNIT_ASSERT_EQ(test, xkt_transfer(test, r.ep, ev, 4), 1);
	KUNIT_EXPECT_EQ(test, ev[0].events, xkt_ev(EPOLLIN));
	KUNIT_EXPECT_EQ(test, ev[0].data, 7ULL);
	KUNIT_EXPECT_EQ(test, xkt_transfer(test, r.ep, ev, 4), 0);
}

/*
 * The events a cell reports are the wake-up's, within the mask: one the
 * mask excludes is not published, and a wake-up without a key cannot say,
 * so its item goes to the ready list, where the wait polls it.
 */
static void xkt_ring_keys(struct kunit *test)
{
	struct xepoll_event ev[4];
	struct xkt_ring r;
	struct xkt_file *tf;
	struct xep_item *item;

	xkt_ring_new(test, &r, 4);
	item = xkt_reg(test, &r, &tf, 3, 0, EPOLLIN | EPOLLET, 1);
	xkt_file_wake(tf, EPOLLOUT, EPOLLOUT);
	KUNIT_EXPECT_EQ(test, xep_ring_tail(r.ep), 0ULL);
	KUNIT_EXPECT_FALSE(test, xkt_queued(r.ep, item));

	xkt_file_wake(tf, EPOLLIN | EPOLLOUT, EPOLLIN | EPOLLOUT);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, xkt_events(&r, 0)), xkt_ev(EPOLLIN));

	KUNIT_ASSERT_EQ(test, xkt_transfer(test, r.ep, ev, 4), 1);
	xkt_file_wake(tf, EPOLLIN, 0);
	KUNIT_EXPECT_EQ(test, xep_ring_tail(r.ep), 1ULL);
	KUNIT_EXPECT_TRUE(test, xkt_queued(r.ep, item));
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, r.s.kready_off), 1U);
	KUNIT_ASSERT_EQ(test, xkt_transfer(test, r.ep, ev, 4), 1);
	KUNIT_EXPECT_EQ(test, ev[0].data, 1ULL);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, r.s.kready_off), 0U);
}

/*
 * One-shot: published once and disarmed, whatever comes next, until MOD
 * re-arms it, which publishes what its poll finds, with the new data.
 */
static void xkt_ring_oneshot(struct kunit *test)
{
	struct xkt_ring r;
	struct xkt_file *tf;
	struct xep_item *item;
	u32 events;
	u64 data;

	xkt_ring_new(test, &r, 4);
	item = xkt_reg(test, &r, &tf, 3, 0, EPOLLIN | EPOLLONESHOT, 1);
	xkt_file_wake(tf, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_EQ(test, xep_ring_tail(r.ep), 1ULL);
	KUNIT_EXPECT_EQ(test, xkt_ev(READ_ONCE(item->events)), xkt_ev(EPOLLONESHOT));
	xkt_file_wake(tf, EPOLLIN, EPOLLIN);
	KUNIT_ASSERT_EQ(test, xkt_take(r.ep, &events, &data), XEP_RING_EVENT);
	xkt_file_wake(tf, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_EQ(test, xep_ring_tail(r.ep), 1ULL);
	KUNIT_EXPECT_FALSE(test, xkt_queued(r.ep, item));

	KUNIT_ASSERT_EQ(test, xkt_mod(r.ep, tf->file, 3, EPOLLIN | EPOLLONESHOT, 2), 0);
	KUNIT_EXPECT_EQ(test, xep_ring_tail(r.ep), 2ULL);
	KUNIT_ASSERT_EQ(test, xkt_take(r.ep, &events, &data), XEP_RING_EVENT);
	KUNIT_EXPECT_EQ(test, data, 2ULL);
	KUNIT_EXPECT_EQ(test, xkt_take(r.ep, &events, &data), XEP_RING_EMPTY);
}

/* ADD of a file ready already publishes what ADD's poll found. */
static void xkt_ring_add_ready(struct kunit *test)
{
	struct xkt_ring r;
	struct xkt_file *tf;
	u32 events;
	u64 data;

	xkt_ring_new(test, &r, 4);
	xkt_reg(test, &r, &tf, 3, EPOLLIN | EPOLLOUT, EPOLLIN | EPOLLOUT | EPOLLET, 9);
	KUNIT_ASSERT_EQ(test, xkt_take(r.ep, &events, &data), XEP_RING_EVENT);
	KUNIT_EXPECT_EQ(test, events, xkt_ev(EPOLLIN | EPOLLOUT));
	KUNIT_EXPECT_EQ(test, data, 9ULL);
}

/*
 * Level-triggered registrations, and EPOLLWAKEUP ones, stay on the
 * kernel's ready list, which the ring counts in kready.
 */
static void xkt_ring_not_carried(struct kunit *test)
{
	struct xepoll_event ev[4];
	struct xkt_ring r;
	struct xkt_file *lt, *wk;
	struct xep_item *ilt, *iwk;

	xkt_ring_new(test, &r, 4);
	ilt = xkt_reg(test, &r, &lt, 3, 0, EPOLLIN, 1);
	iwk = xkt_reg(test, &r, &wk, 4, 0, EPOLLIN | EPOLLET | EPOLLWAKEUP, 2);
	xkt_file_wake(lt, EPOLLIN, EPOLLIN);
	xkt_file_wake(wk, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_EQ(test, xep_ring_tail(r.ep), 0ULL);
	KUNIT_EXPECT_TRUE(test, xkt_queued(r.ep, ilt));
	KUNIT_EXPECT_TRUE(test, xkt_queued(r.ep, iwk));
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, r.s.kready_off), 2U);
	KUNIT_EXPECT_EQ(test, xkt_transfer(test, r.ep, ev, 4), 2);
	/* The level-triggered one is still ready, the edge is reported. */
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, r.s.kready_off), 1U);
}

/*
 * More edges than cells: the ring takes what it holds, the rest wait on
 * the ready list (kready says how many), and a wait reports each once.
 */
static void xkt_ring_overflow(struct kunit *test)
{
	struct xepoll_event ev[8];
	struct xkt_file *tf[5];
	unsigned int seen[5] = { 0 };
	struct xkt_ring r;
	int i, n;

	xkt_ring_new(test, &r, 2);
	for (i = 0; i < 5; i++)
		xkt_reg(test, &r, &tf[i], 3 + i, 0, EPOLLIN | EPOLLET, i);
	for (i = 0; i < 5; i++)
		xkt_file_wake(tf[i], EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_EQ(test, xep_ring_tail(r.ep), 2ULL);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, r.s.kready_off), 3U);
	KUNIT_EXPECT_EQ(test, xep_ring_count(r.ep), 2U);
	/* Coalesced into their cells, or already on the list: nothing new. */
	for (i = 0; i < 5; i++)
		xkt_file_wake(tf[i], EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_EQ(test, xep_ring_tail(r.ep), 2ULL);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, r.s.kready_off), 3U);

	n = xkt_transfer(test, r.ep, ev, 8);
	KUNIT_ASSERT_EQ(test, n, 5);
	for (i = 0; i < n; i++)
		if (ev[i].data < 5)
			seen[ev[i].data]++;
	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_EQ_MSG(test, seen[i], 1U, "registration %d", i);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, r.s.kready_off), 0U);
	KUNIT_EXPECT_EQ(test, xkt_transfer(test, r.ep, ev, 8), 0);
}

/*
 * DEL, MOD and the file's last close empty the registration's unconsumed
 * cell: a consumer finds events 0, frees the cell and reports nothing;
 * MOD's poll publishes anew with the new data.
 */
static void xkt_ring_cancel(struct kunit *test)
{
	struct xepoll_event ev[4];
	struct xkt_file *del, *mod, *cls;
	struct xkt_ring r;
	u32 events;
	u64 data;

	xkt_ring_new(test, &r, 8);
	xkt_reg(test, &r, &del, 3, 0, EPOLLIN | EPOLLET, 1);
	xkt_reg(test, &r, &mod, 4, 0, EPOLLIN | EPOLLET, 2);
	xkt_reg(test, &r, &cls, 5, 0, EPOLLIN | EPOLLET, 3);
	xkt_file_wake(del, EPOLLIN, EPOLLIN);
	xkt_file_wake(mod, EPOLLIN, EPOLLIN);
	xkt_file_wake(cls, EPOLLIN, EPOLLIN);
	KUNIT_ASSERT_EQ(test, xep_ring_tail(r.ep), 3ULL);

	KUNIT_ASSERT_EQ(test, xkt_del(r.ep, del->file, 3), 0);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, xkt_seq(&r, 0)), 1U);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, xkt_events(&r, 0)), 0U);
	KUNIT_ASSERT_EQ(test, xkt_mod(r.ep, mod->file, 4, EPOLLIN | EPOLLET, 20), 0);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, xkt_events(&r, 1)), 0U);
	KUNIT_EXPECT_EQ(test, xep_ring_tail(r.ep), 4ULL);
	xkt_file_close(test, cls);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, xkt_events(&r, 2)), 0U);

	/* The kernel's consumer skips the emptied cells. */
	KUNIT_EXPECT_EQ(test, xkt_take(r.ep, &events, &data), XEP_RING_RACED);
	KUNIT_ASSERT_EQ(test, xkt_transfer(test, r.ep, ev, 4), 1);
	KUNIT_EXPECT_EQ(test, ev[0].data, 20ULL);
	KUNIT_EXPECT_EQ(test, xkt_transfer(test, r.ep, ev, 4), 0);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, r.s.head_off), 4U);

	/* A cancelled item's next edge gets a cell of its own again. */
	xkt_file_wake(mod, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_EQ(test, xep_ring_tail(r.ep), 5ULL);
}

/*
 * A cell the consumer already emptied (its events exchanged for 0) but
 * has not freed is not coalesced into: the next wake-up fills a new cell,
 * so the consumer's report does not swallow it.
 */
static void xkt_ring_taken_not_freed(struct kunit *test)
{
	struct xkt_ring r;
	struct xkt_file *tf;
	struct xep_item *item;
	u32 events;
	u64 data;

	xkt_ring_new(test, &r, 4);
	item = xkt_reg(test, &r, &tf, 3, 0, EPOLLIN | EPOLLET, 1);
	xkt_file_wake(tf, EPOLLIN, EPOLLIN);
	/* A consumer in the middle: head moved, events taken, seq still 1. */
	xkt_wr(test, &r, r.s.head_off, 1);
	xkt_wr(test, &r, xkt_events(&r, 0), 0);
	xkt_file_wake(tf, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_EQ(test, xep_ring_tail(r.ep), 2ULL);
	KUNIT_EXPECT_EQ(test, item->ring_pos, 1ULL);
	/* The consumer frees its cell; the new one is the next to take. */
	xkt_wr(test, &r, xkt_seq(&r, 0), 4);
	KUNIT_ASSERT_EQ(test, xkt_take(r.ep, &events, &data), XEP_RING_EVENT);
	KUNIT_EXPECT_EQ(test, events, xkt_ev(EPOLLIN));
}

/*
 * The kernel's consumer: it stops at the position it is given (a cell
 * filled after a wait began is the next wait's), and reads the shared
 * words as garbage they may be.
 */
static void xkt_ring_take_bounds(struct kunit *test)
{
	struct xkt_file *a, *b;
	struct xkt_ring r;
	u32 events, pos;
	u64 data;

	xkt_ring_new(test, &r, 4);
	xkt_reg(test, &r, &a, 3, 0, EPOLLIN | EPOLLET, 1);
	xkt_reg(test, &r, &b, 4, 0, EPOLLIN | EPOLLET, 2);
	xkt_file_wake(a, EPOLLIN, EPOLLIN);
	xkt_file_wake(b, EPOLLIN, EPOLLIN);
	KUNIT_ASSERT_EQ(test, xep_ring_take(r.ep, 1, &events, &data, &pos),
			XEP_RING_EVENT);
	KUNIT_EXPECT_EQ(test, pos, 0U);
	KUNIT_EXPECT_EQ(test, xep_ring_take(r.ep, 1, &events, &data, &pos),
			XEP_RING_EMPTY);
	KUNIT_ASSERT_EQ(test, xep_ring_take(r.ep, 2, &events, &data, &pos),
			XEP_RING_EVENT);
	KUNIT_EXPECT_EQ(test, pos, 1U);
	KUNIT_EXPECT_EQ(test, data, 2ULL);

	/* A head a lap ahead of its cell: a race, which moves nothing. */
	xkt_wr(test, &r, r.s.head_off, 2);
	xkt_wr(test, &r, xkt_seq(&r, 2), 7);
	KUNIT_EXPECT_EQ(test, xep_ring_take(r.ep, 100, &events, &data, &pos),
			XEP_RING_RACED);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, r.s.head_off), 2U);
	/* A head behind: empty. */
	xkt_wr(test, &r, xkt_seq(&r, 2), 0);
	KUNIT_EXPECT_EQ(test, xep_ring_take(r.ep, 100, &events, &data, &pos),
			XEP_RING_EMPTY);
	/* The count the minimum batch reads is bounded by the ring. */
	xkt_wr(test, &r, r.s.head_off, 0x80000000U);
	KUNIT_EXPECT_LE(test, xep_ring_count(r.ep), 4U);
}

/* A pseudo-random sequence, the same in every run. */
static u32 xkt_rand(u32 *state)
{
	*state = *state * 1103515245U + 12345U;
	return *state >> 8;
}

/*
 * Garbage in every shared word, between every kernel operation: the
 * kernel goes on (nothing it does loops unbounded, nothing splats), a
 * level-triggered registration, which lives on the kernel's list, is
 * still reported by every wait, every wait returns at most what it may,
 * and the instance releases everything.
 */
static void xkt_ring_garbage(struct kunit *test)
{
	struct xepoll_event ev[8];
	struct xkt_file *et[4], *lt;
	struct xkt_ring r;
	u32 state = 1, events, off, i;
	int round, n, j, lt_seen;
	u64 data;

	xkt_ring_new(test, &r, 4);
	for (i = 0; i < 4; i++)
		xkt_reg(test, &r, &et[i], 3 + i, 0, EPOLLIN | EPOLLET, i);
	xkt_reg(test, &r, &lt, 10, EPOLLIN, EPOLLIN, 100);
	xkt_file_wake(lt, EPOLLIN, EPOLLIN);

	for (round = 0; round < 300; round++) {
		for (off = 0; off < r.s.size; off += 4 + xkt_rand(&state) % 64)
			xkt_wr(test, &r, off & ~3U, xkt_rand(&state) % 8 ?
			       xkt_rand(&state) : xkt_rand(&state) % 8);
		for (i = 0; i < 4; i++)
			xkt_file_wake(et[i], EPOLLIN, EPOLLIN);
		xep_ring_peek(r.ep);
		KUNIT_EXPECT_LE(test, xep_ring_count(r.ep), 4U);
		for (j = 0; j < 4; j++)
			xkt_take(r.ep, &events, &data);
		if (round % 7 == 0)
			KUNIT_EXPECT_EQ(test, xkt_ev(xep_ready_poll(r.ep, 0)),
					xkt_ev(EPOLLIN | EPOLLRDNORM));
		n = xkt_transfer(test, r.ep, ev, 8);
		KUNIT_ASSERT_GE(test, n, 1);
		KUNIT_ASSERT_LE(test, n, 8);
		for (j = 0, lt_seen = 0; j < n; j++)
			lt_seen += ev[j].data == 100;
		/* Garbage can forge the level one's data, not take its event. */
		KUNIT_EXPECT_GE(test, lt_seen, 1);
		if (round % 50 == 0) {
			KUNIT_ASSERT_EQ(test, xkt_mod(r.ep, et[round % 4]->file,
						      3 + round % 4,
						      EPOLLIN | EPOLLONESHOT, 50), 0);
			KUNIT_ASSERT_EQ(test, xkt_del(r.ep, et[(round + 1) % 4]->file,
						      3 + (round + 1) % 4), 0);
			KUNIT_ASSERT_EQ(test, xkt_add(r.ep, et[(round + 1) % 4]->file,
						      3 + (round + 1) % 4,
						      EPOLLIN | EPOLLET, 60), 0);
		}
	}
	xkt_instance_release(test, r.ep);
	/* The kernel's last words: dead, and nothing ready. */
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, r.s.flags_off), XEPOLL_RING_DEAD);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, r.s.kready_off), 0U);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_FALSE(test, xkt_hooked(et[i]));
}

/* What the scan's poll hook does: an edge of the item in the ring. */
static void xkt_ring_wake_in_scan(void *arg)
{
	xkt_file_wake(arg, EPOLLIN, EPOLLIN);
}

/*
 * A wake-up during a scan (which owns the ready list, not the ring) of a
 * registration that has an unconsumed cell goes into that cell: were it
 * put on the overflow list, it would be in the ring and on the ready list
 * at once, and a consumer of the ring and a wait would both report it.
 *
 * The wait takes y's cell, stops at its array's second slot (unmapped)
 * before x's, and scans the ready list, whose level-triggered item's
 * ->poll() wakes x meanwhile.
 */
static void xkt_ring_wake_during_scan(struct kunit *test)
{
	struct xepoll_event ev[4];
	struct xkt_file *x, *y, *lt;
	struct xep_item *ix;
	struct xkt_ring r;
	unsigned long addr;
	void __user *ubuf;
	int n, j, xs;

	xkt_ring_new(test, &r, 4);
	xkt_reg(test, &r, &y, 3, 0, EPOLLIN | EPOLLET, 1);
	ix = xkt_reg(test, &r, &x, 4, 0, EPOLLIN | EPOLLET, 2);
	xkt_reg(test, &r, &lt, 5, 0, EPOLLIN, 3);
	xkt_file_wake(y, EPOLLIN, EPOLLIN);
	xkt_file_wake(x, EPOLLIN, EPOLLIN);
	xkt_file_wake(lt, EPOLLIN, EPOLLIN);
	KUNIT_ASSERT_EQ(test, xep_ring_tail(r.ep), 2ULL);

	addr = kunit_vm_mmap(test, NULL, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_LT(test, addr - 1, (unsigned long)TASK_SIZE - 1);
	KUNIT_ASSERT_EQ(test, vm_munmap(addr + PAGE_SIZE, PAGE_SIZE), 0);
	ubuf = (void __user *)(addr + PAGE_SIZE - sizeof(struct xepoll_event));

	lt->on_poll = xkt_ring_wake_in_scan;
	lt->on_poll_arg = x;
	KUNIT_ASSERT_EQ(test, xep_ready_transfer(r.ep, ubuf, 2, XEPOLL_EVENT_SIZE), 1);
	KUNIT_EXPECT_NULL(test, lt->on_poll);
	KUNIT_EXPECT_FALSE_MSG(test, xkt_queued(r.ep, ix),
			       "an item with a cell went on the ready list");
	KUNIT_EXPECT_EQ(test, xep_ring_tail(r.ep), 2ULL);

	/* Reaped: x once, from its cell, and the level one. */
	n = xkt_transfer(test, r.ep, ev, 4);
	KUNIT_EXPECT_EQ(test, n, 2);
	for (j = 0, xs = 0; j < n; j++)
		xs += ev[j].data == 2;
	KUNIT_EXPECT_EQ(test, xs, 1);
	n = xkt_transfer(test, r.ep, ev, 4);
	for (j = 0, xs = 0; j < n; j++)
		xs += ev[j].data == 2;
	KUNIT_EXPECT_EQ(test, xs, 0);
}

/*
 * The instance's release marks the ring dead and leaves the pages to the
 * mapping; the registrations go, hooks and all.
 */
static void xkt_ring_release(struct kunit *test)
{
	struct xkt_ring r;
	struct xkt_file *tf, *lt;

	xkt_ring_new(test, &r, 4);
	xkt_reg(test, &r, &tf, 3, 0, EPOLLIN | EPOLLET, 1);
	xkt_reg(test, &r, &lt, 4, EPOLLIN, EPOLLIN, 2);
	xkt_file_wake(tf, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, r.s.kready_off), 1U);
	xkt_instance_release(test, r.ep);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, r.s.flags_off), XEPOLL_RING_DEAD);
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, r.s.kready_off), 0U);
	/* The last event is still there to read, as the pages are. */
	KUNIT_EXPECT_EQ(test, xkt_rd(test, &r, xkt_seq(&r, 0)), 1U);
	KUNIT_EXPECT_FALSE(test, xkt_hooked(tf));
	KUNIT_EXPECT_FALSE(test, xkt_hooked(lt));
	/* Wake-ups of files that outlive it reach nothing. */
	xkt_file_wake(tf, EPOLLIN, EPOLLIN);
}

static struct kunit_case xkt_ring_cases[] = {
	KUNIT_CASE(xkt_ring_setup_args),
	KUNIT_CASE(xkt_ring_publish_edge),
	KUNIT_CASE(xkt_ring_coalesce),
	KUNIT_CASE(xkt_ring_keys),
	KUNIT_CASE(xkt_ring_oneshot),
	KUNIT_CASE(xkt_ring_add_ready),
	KUNIT_CASE(xkt_ring_not_carried),
	KUNIT_CASE(xkt_ring_overflow),
	KUNIT_CASE(xkt_ring_cancel),
	KUNIT_CASE(xkt_ring_taken_not_freed),
	KUNIT_CASE(xkt_ring_take_bounds),
	KUNIT_CASE(xkt_ring_garbage),
	KUNIT_CASE(xkt_ring_wake_during_scan),
	KUNIT_CASE(xkt_ring_release),
	{}
};

static struct kunit_suite xkt_ring_suite = {
	.name = "xepoll_ring",
	.test_cases = xkt_ring_cases,
};

kunit_test_suite(xkt_ring_suite);
