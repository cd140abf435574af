/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxepoll internals of the shared ready ring, for ring.c and for the
 * LD_PRELOAD interposer, which compiles ring.c in: not part of the API,
 * not installed, no symbol of it exported by libxepoll.so.
 *
 * The interposer keeps its handles in a table of its own and cannot free
 * memory where it drops one (a wait may run in a signal handler), so it
 * maps a ring into a handle it owns (xepoll_ring_map()) instead of the
 * one xepoll_ring_setup() allocates.
 */
#ifndef XEPOLL_RING_H
#define XEPOLL_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "xepoll.h"

/**
 * struct xepoll_ring - one mapped ring
 * @epfd:	the instance's descriptor
 * @mask:	cells less one
 * @head:	the consumers' position
 * @kready:	registrations with events in the kernel (kernel-written)
 * @flags:	XEPOLL_RING_* (kernel-written)
 * @tail:	the kernel's tail, where a reap stops (kernel-written), or
 *		NULL from a module that does not report it
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
	const uint32_t *tail;
	struct xepoll_ring_cell *cells;
	void *map;
	size_t size;
	atomic_ullong reaped;
	atomic_ullong waits;
	atomic_ullong syscalls;
};

/*
 * xepoll_ring_setup() into @ring, which the caller owns: give the
 * instance @epfd a ring of at least @entries events, or with @entries 0
 * only map the one it has (ENODEV if none). 0, or -1 with errno (and
 * @ring untouched). Async-signal-safe.
 */
int xepoll_ring_map(struct xepoll_ring *ring, int epfd, unsigned int entries);

/* Unmap what xepoll_ring_map() mapped. Async-signal-safe. */
void xepoll_ring_unmap(struct xepoll_ring *ring);

/*
 * The part of a wait on @ring's instance that needs no sleep, for
 * 1 to @maxevents events, each registration at most once: the ring's,
 * or when the kernel's ready list holds some, the kernel's wait without
 * sleeping, which reaps the ring too. Returns how many (-1 with errno if
 * that wait fails); 0 when there were none, and the caller then returns
 * 0 if the timeout is zero, or else makes its own wait in the kernel.
 * Async-signal-safe.
 */
int xepoll_ring_gather(struct xepoll_ring *ring, struct epoll_event *events,
		       int maxevents);

#endif /* XEPOLL_RING_H */
