// SPDX-License-Identifier: GPL-2.0
/*
 * xepoll with its shared ready ring (libxepoll's xepoll_ring_*), as an
 * event set: "xepoll-ring".
 *
 * The set is an xepoll instance given a ring at its creation, sized for
 * the set (the next power of two at least the fds it will watch, 256 to
 * XEPOLL_RING_MAX_ENTRIES). The ring carries the events of edge-triggered
 * and one-shot registrations only, so every registration is made with
 * EPOLLET, unless the caller asks for EPOLLONESHOT: the set reports edges,
 * not levels, as io_uring's multishot poll does. A wait is
 * xepoll_ring_wait(): the ring's events without a system call, the kernel
 * entered only to sleep when the ring is empty, or for events that found
 * it full (they wait on the kernel's ready list, which the wait then
 * fetches). Changes are xepoll's own (XEPOLL_IOC_CTL, XEPOLL_IOC_SUBMIT),
 * and a minimum-batch wait is xepoll_wait_min() on the instance, which
 * reaps the ring in the kernel.
 *
 * Not CAP_SHARED: the threads of a workload that share one set rely on
 * level-triggered events that every one of them sees (fanout's stop),
 * which an edge reaches only once; given a set each, as poll and io_uring
 * are, they still share the watched file, and EPOLLEXCLUSIVE then picks
 * one of their instances, which is what it was made for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "xepoll.h"

#define RING_MIN_ENTRIES	256

struct ring_set {
	int fd;
	struct xepoll_ring *ring;
	struct xepoll_change *batch;	/* @apply's copy, with EPOLLET */
	unsigned int batch_cap;
};

static struct ring_set *rset(struct evset *set)
{
	return (struct ring_set *)set;
}

static int ret_errno(int ret)
{
	return ret < 0 ? -errno : ret;
}

/* The caller's events as the ring carries them: edge-triggered. */
static uint32_t ring_events(uint32_t events)
{
	return events & EPOLLONESHOT ? events : events | EPOLLET;
}

static struct evset *ring_open(unsigned int size_hint)
{
	struct ring_set *rs = calloc(1, sizeof(*rs));
	unsigned int entries = RING_MIN_ENTRIES;

	if (!rs)
		die("out of memory");
	while (entries < size_hint && entries < XEPOLL_RING_MAX_ENTRIES)
		entries *= 2;
	rs->fd = xepoll_create1(EPOLL_CLOEXEC);
	if (rs->fd < 0)
		goto fail;
	rs->ring = xepoll_ring_setup(rs->fd, entries);
	if (!rs->ring) {
		close(rs->fd);
		goto fail;
	}
	return (struct evset *)rs;
fail:
	free(rs);
	return NULL;
}

static void ring_close(struct evset *set)
{
	struct ring_set *rs = rset(set);

	xepoll_ring_free(rs->ring);
	close(rs->fd);
	free(rs->batch);
	free(rs);
}

static int ring_change(struct evset *set, int op, int fd, uint32_t events,
		       uint64_t data)
{
	struct epoll_event ev = { .events = ring_events(events), .data.u64 = data };

	return ret_errno(xepoll_ctl(rset(set)->fd, op, fd, &ev));
}

static int ring_add(struct evset *set, int fd, uint32_t events, uint64_t data)
{
	return ring_change(set, EPOLL_CTL_ADD, fd, events, data);
}

static int ring_mod(struct evset *set, int fd, uint32_t events, uint64_t data)
{
	return ring_change(set, EPOLL_CTL_MOD, fd, events, data);
}

static int ring_del(struct evset *set, int fd)
{
	return ret_errno(xepoll_ctl(rset(set)->fd, EPOLL_CTL_DEL, fd, NULL));
}

static int ring_flush(struct evset *set)
{
	(void)set;
	return 0;
}

/*
 * One XEPOLL_IOC_SUBMIT of a copy of the changes with EPOLLET added,
 * stopping at a failed entry: the last entry done holds 0, or the error.
 */
static int ring_apply(struct evset *set, struct xepoll_change *changes,
		      unsigned int nr)
{
	struct ring_set *rs = rset(set);
	unsigned int i;
	int done;

	if (nr > rs->batch_cap) {
		free(rs->batch);
		rs->batch = malloc(nr * sizeof(*rs->batch));
		if (!rs->batch)
			die("out of memory");
		rs->batch_cap = nr;
	}
	memcpy(rs->batch, changes, nr * sizeof(*changes));
	for (i = 0; i < nr; i++)
		if (rs->batch[i].op != EPOLL_CTL_DEL)
			rs->batch[i].events = ring_events(rs->batch[i].events);
	done = xepoll_ctl_batch(rs->fd, rs->batch, nr, XEPOLL_SUBMIT_STOP_ON_ERROR);
	if (done < 0)
		return -errno;
	return done ? rs->batch[done - 1].result : -EIO;
}

static int ring_wait(struct evset *set, struct epoll_event *ev, int max,
		     int timeout_ms)
{
	return ret_errno(xepoll_ring_wait(rset(set)->ring, ev, max, timeout_ms));
}

static int ring_wait_min(struct evset *set, struct epoll_event *ev, int max,
			 int min_events, uint64_t min_wait_ns)
{
	return ret_errno(xepoll_wait_min(rset(set)->fd, ev, max, min_events,
					 min_wait_ns, NULL, NULL));
}

const struct mech mech_ring = {
	.name = "xepoll-ring",
	.caps = CAP_EDGE | CAP_EXCLUSIVE | CAP_WATCH | CAP_MINWAIT |
		CAP_CLOSE_ENDS,
	.open = ring_open,
	.close = ring_close,
	.add = ring_add,
	.mod = ring_mod,
	.del = ring_del,
	.flush = ring_flush,
	.apply = ring_apply,
	.wait = ring_wait,
	.wait_min = ring_wait_min,
};
