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
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/xepoll.h>

#include "xepoll.h"

/**
 * struct xepoll_ring - one mapped ring
 * @epfd:	the instance's descriptor
 * @mask:	cells less one
 * @head:	the consumers' position
 * @kready:	registrations with events in the kernel (kernel-written)
 * @flags:	XEPOLL_RING_* (kernel-written)
 * @cells:	the cells
 * @map:	the mapping
 * @size:	its length
 * @reaped:	events reaped in user space, for xepoll_ring_stats()
 * @waits:	calls of xepoll_ring_wait()
 * @syscalls:	those that entered the kernel
 */
struct xepoll_ring {
	int epfd;
	uint32_t mask;
	uint32_t *head;
	const uint32_t *kready;
	const uint32_t *flags;
	struct xepoll_ring_cell *cells;
	void *map;
	size_t size;
	atomic_ullong reaped;
	atomic_ullong waits;
	atomic_ullong syscalls;
};

static void *at(void *map, uint32_t off)
{
	return (char *)map + off;
}

struct xepoll_ring *xepoll_ring_setup(int epfd, unsigned int entries)
{
	struct xepoll_ring_setup args = { .entries = entries };
	struct xepoll_ring *ring;
	int ret, saved;

	if (!entries) {
		errno = EINVAL;
		return NULL;
	}
	ret = ioctl(epfd, XEPOLL_IOC_RING_SETUP, &args);
	if (ret < 0 && errno == EBUSY) {
		/* It has one: map that. */
		args = (struct xepoll_ring_setup){ 0 };
		ret = ioctl(epfd, XEPOLL_IOC_RING_SETUP, &args);
	}
	if (ret < 0) {
		if (errno == ENOTTY)
			errno = EINVAL;
		return NULL;
	}
	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return NULL;
	ring->map = mmap(NULL, args.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 epfd, 0);
	if (ring->map == MAP_FAILED) {
		saved = errno;
		free(ring);
		errno = saved;
		return NULL;
	}
	ring->epfd = epfd;
	ring->size = args.size;
	ring->mask = args.mask;
	ring->head = at(ring->map, args.head_off);
	ring->kready = at(ring->map, args.kready_off);
	ring->flags = at(ring->map, args.flags_off);
	ring->cells = at(ring->map, args.cells_off);
	return ring;
}

void xepoll_ring_free(struct xepoll_ring *ring)
{
	if (!ring)
		return;
	munmap(ring->map, ring->size);
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
	/* Bounded: the mapping is anyone's to write. */
	uint64_t looks = (uint64_t)entries + (uint64_t)maxevents;
	int n = 0;

	if (maxevents <= 0) {
		errno = EINVAL;
		return -1;
	}
	while (n < maxevents && looks--) {
		uint32_t h = __atomic_load_n(ring->head, __ATOMIC_RELAXED);
		struct xepoll_ring_cell *cell = &ring->cells[h & ring->mask];
		uint32_t seq = __atomic_load_n(&cell->seq, __ATOMIC_ACQUIRE);
		uint32_t got;

		if (seq != h + 1) {
			if ((int32_t)(seq - (h + 1)) < 0)
				break;	/* empty */
			continue;	/* another consumer moved the head */
		}
		if (!__atomic_compare_exchange_n(ring->head, &h, h + 1, 0,
						 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;
		got = __atomic_exchange_n(&cell->events, 0, __ATOMIC_ACQ_REL);
		events[n].events = got;
		events[n].data.u64 = __atomic_load_n(&cell->data, __ATOMIC_RELAXED);
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

int xepoll_ring_wait(struct xepoll_ring *ring, struct epoll_event *events,
		     int maxevents, int timeout)
{
	int n, more;

	atomic_fetch_add_explicit(&ring->waits, 1, memory_order_relaxed);
	if (maxevents <= 0)
		return kernel_wait(ring, events, maxevents, timeout);
	n = xepoll_ring_reap(ring, events, maxevents);
	if (n == maxevents)
		return n;
	/* Events in the kernel too: fetch them without sleeping. */
	if (xepoll_ring_kready(ring)) {
		more = kernel_wait(ring, events + n, maxevents - n, n ? 0 : timeout);
		if (more < 0)
			return n ? n : more;
		return n + more;
	}
	if (n || !timeout)
		return n;
	/* Nothing anywhere: sleep in the kernel, which reaps the ring too. */
	return kernel_wait(ring, events, maxevents, timeout);
}

void xepoll_ring_stats(const struct xepoll_ring *ring,
		       struct xepoll_ring_stats *stats)
{
	stats->reaped = atomic_load_explicit(&ring->reaped, memory_order_relaxed);
	stats->waits = atomic_load_explicit(&ring->waits, memory_order_relaxed);
	stats->syscalls = atomic_load_explicit(&ring->syscalls, memory_order_relaxed);
}
