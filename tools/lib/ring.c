// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libxepoll: the shared ready ring (XEPOLL_IOC_RING_SETUP).
 *
 * A handle is the mapping of one instance's ring and the instance
 * descriptor it was set up on. xepoll_ring_reap() is the consumer the
 * uapi header describes at struct xepoll_ring_cell, lock-free (with the
 * compiler's __atomic built-ins on the shared words), so that
 * threads, and processes sharing the mapping after fork(), reap one ring
 * together and each event goes to exactly one of them. Nothing in the
 * mapping is trusted beyond the handle's own geometry: a cell index is
 * always masked, and the loop is bounded.
 *
 * One pass reports a registration at most once, as one epoll_wait() does:
 * a reap stops at the tail the kernel had published when it began (a
 * later cell may hold a new edge of a registration the pass already
 * took), and a wait that finds events in the kernel's ready list leaves
 * the ring to the kernel's own reap, which stops at its tail, in the same
 * call: taking the ring's events first and the kernel's after would
 * report twice a registration whose new edge found the ring full.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/xepoll.h>

#include "ring.h"
#include "xepoll.h"

static void *at(void *map, uint32_t off)
{
	return (char *)map + off;
}

int xepoll_ring_map(struct xepoll_ring *ring, int epfd, unsigned int entries)
{
	struct xepoll_ring_setup args = { .entries = entries };
	void *map;
	int ret;

	ret = ioctl(epfd, XEPOLL_IOC_RING_SETUP, &args);
	if (ret < 0 && errno == EBUSY) {
		/* It has one: map that. */
		args = (struct xepoll_ring_setup){ 0 };
		ret = ioctl(epfd, XEPOLL_IOC_RING_SETUP, &args);
	}
	if (ret < 0) {
		if (errno == ENOTTY)
			errno = EINVAL;
		return -1;
	}
	map = mmap(NULL, args.size, PROT_READ | PROT_WRITE, MAP_SHARED, epfd, 0);
	if (map == MAP_FAILED)
		return -1;
	ring->epfd = epfd;
	ring->map = map;
	ring->size = args.size;
	ring->mask = args.mask;
	ring->head = at(map, args.head_off);
	ring->kready = at(map, args.kready_off);
	ring->flags = at(map, args.flags_off);
	ring->cells = at(map, args.cells_off);
	/* A module from before the second version reports no tail. */
	ring->tail = args.tail_off ? at(map, args.tail_off) : NULL;
	atomic_init(&ring->reaped, 0);
	atomic_init(&ring->waits, 0);
	atomic_init(&ring->syscalls, 0);
	return 0;
}

void xepoll_ring_unmap(struct xepoll_ring *ring)
{
	munmap(ring->map, ring->size);
}

struct xepoll_ring *xepoll_ring_setup(int epfd, unsigned int entries)
{
	struct xepoll_ring *ring;
	int saved;

	if (!entries) {
		errno = EINVAL;
		return NULL;
	}
	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return NULL;
	if (xepoll_ring_map(ring, epfd, entries)) {
		saved = errno;
		free(ring);
		errno = saved;
		return NULL;
	}
	return ring;
}

void xepoll_ring_free(struct xepoll_ring *ring)
{
	if (!ring)
		return;
	xepoll_ring_unmap(ring);
	free(ring);
}

int xepoll_ring_fd(const struct xepoll_ring *ring)
{
	return ring->epfd;
}

unsigned int xepoll_ring_kready(const struct xepoll_ring *ring)
{
	return __atomic_load_n(ring->kready, __ATOMIC_RELAXED);
}

int xepoll_ring_dead(const struct xepoll_ring *ring)
{
	return !!(__atomic_load_n(ring->flags, __ATOMIC_ACQUIRE) & XEPOLL_RING_DEAD);
}

int xepoll_ring_reap(struct xepoll_ring *ring, struct epoll_event *events,
		     int maxevents)
{
	uint32_t entries = ring->mask + 1;
	/*
	 * Bounded by the ring, as the kernel's reap is: each look takes a
	 * cell or finds one another consumer took, so twice as many looks as
	 * cells see the ring empty, and garbage in the mapping (anyone's to
	 * write) cannot keep a caller here for @maxevents looks.
	 */
	uint64_t looks = 2 * (uint64_t)entries;
	uint32_t end = 0;
	int n = 0;

	if (maxevents <= 0) {
		errno = EINVAL;
		return -1;
	}
	if (ring->tail)
		end = __atomic_load_n(ring->tail, __ATOMIC_ACQUIRE);
	while (n < maxevents && looks--) {
		uint32_t h = __atomic_load_n(ring->head, __ATOMIC_RELAXED);
		struct xepoll_ring_cell *cell;
		uint32_t seq, got;

		/* Every cell filled before the pass began is consumed. */
		if (ring->tail && (int32_t)(h - end) >= 0)
			break;
		cell = &ring->cells[h & ring->mask];
		seq = __atomic_load_n(&cell->seq, __ATOMIC_ACQUIRE);
		if (seq != h + 1) {
			if ((int32_t)(seq - (h + 1)) < 0)
				break;	/* empty */
			continue;	/* another consumer moved the head */
		}
		if (!__atomic_compare_exchange_n(ring->head, &h, h + 1, 0,
						 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;
		got = __atomic_exchange_n(&cell->events, 0, __ATOMIC_ACQ_REL);
		/* A cancelled cell is skipped, and writes nothing. */
		if (got) {
			events[n].events = got;
			events[n].data.u64 = __atomic_load_n(&cell->data,
							     __ATOMIC_RELAXED);
		}
		/* Free for the position one lap on. */
		__atomic_store_n(&cell->seq, h + entries, __ATOMIC_RELEASE);
		if (got)
			n++;
	}
	if (n)
		atomic_fetch_add_explicit(&ring->reaped, (unsigned long long)n,
					  memory_order_relaxed);
	return n;
}

/* XEPOLL_IOC_WAIT on the ring's instance, for @maxevents from @events. */
static int kernel_wait(struct xepoll_ring *ring, struct epoll_event *events,
		       int maxevents, int timeout)
{
	atomic_fetch_add_explicit(&ring->syscalls, 1, memory_order_relaxed);
	return xepoll_wait(ring->epfd, events, maxevents, timeout);
}

int xepoll_ring_gather(struct xepoll_ring *ring, struct epoll_event *events,
		       int maxevents)
{
	/* Events in the kernel too: its wait takes them and the ring's. */
	if (xepoll_ring_kready(ring))
		return kernel_wait(ring, events, maxevents, 0);
	return xepoll_ring_reap(ring, events, maxevents);
}

int xepoll_ring_wait(struct xepoll_ring *ring, struct epoll_event *events,
		     int maxevents, int timeout)
{
	int n;

	atomic_fetch_add_explicit(&ring->waits, 1, memory_order_relaxed);
	if (maxevents <= 0)
		return kernel_wait(ring, events, maxevents, timeout);
	n = xepoll_ring_gather(ring, events, maxevents);
	if (n || !timeout)
		return n;
	/* Nothing in the ring: the kernel's events, or sleep there. */
	return kernel_wait(ring, events, maxevents, timeout);
}

void xepoll_ring_stats(const struct xepoll_ring *ring,
		       struct xepoll_ring_stats *stats)
{
	stats->reaped = atomic_load_explicit(&ring->reaped, memory_order_relaxed);
	stats->waits = atomic_load_explicit(&ring->waits, memory_order_relaxed);
	stats->syscalls = atomic_load_explicit(&ring->syscalls, memory_order_relaxed);
}
