// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring multishot poll as an event set (liburing).
 *
 * Each watched fd has one multishot IORING_OP_POLL_ADD request; a change is
 * a POLL_REMOVE (with update flags for MOD) keyed by the request's
 * user_data, and an event is a completion. Changes are queued as io_uring
 * users queue them and submitted at the next flush or wait, or when the
 * submission ring is full. A multishot request posts a completion per
 * wake-up of the file, so the set reports edges, not levels.
 *
 * The user_data of a poll request carries the fd in its upper half and the
 * caller's data (which must fit in 32 bits) in its lower half, so that a
 * request that ended (no IORING_CQE_F_MORE) can be armed again.
 * Completions of the remove and update requests themselves carry
 * TAG_CHANGE and are dropped. Whenever changes are submitted the
 * completion ring is emptied into a list of pending events, so that a
 * long run of changes never overflows it; the ring is as large as io_uring
 * allows (IORING_SETUP_CQSIZE), and a case that lets more events pile up
 * than it holds is not run on io_uring (max_pending): multishot requests
 * end when their completions overflow, and a program would then have to
 * arm them again and sort out the repeats.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>

#include "bench.h"

#define RING_ENTRIES	4096
#define CQ_ENTRIES	65536	/* IORING_MAX_CQ_ENTRIES */
#define TAG_CHANGE	UINT64_MAX
#define POLL_BITS	(EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP)

struct uring_set {
	struct io_uring ring;
	uint64_t *tag;		/* fd -> its request's user_data, 0: none */
	unsigned int nfd;
	uint32_t *mask;		/* fd -> its poll mask */
	struct epoll_event *pend;	/* events reaped, not yet waited for */
	unsigned int pend_head, pend_nr, pend_cap;
	int *rearm;		/* fds whose multishot request ended */
	unsigned int rearm_nr, rearm_cap;
	bool reaping;
};

static void uring_reap(struct uring_set *us);

static struct uring_set *uset(struct evset *set)
{
	return (struct uring_set *)set;
}

static uint64_t tag_of(int fd, uint64_t data)
{
	return (uint64_t)(uint32_t)fd << 32 | (uint32_t)data;
}

static struct evset *uring_open(unsigned int size_hint)
{
	struct uring_set *us = calloc(1, sizeof(*us));
	struct io_uring_params p = {
		.flags = IORING_SETUP_CQSIZE,
		.cq_entries = 2 * RING_ENTRIES,
	};

	if (!us)
		die("out of memory");
	/* Room for a completion per watched fd, up to io_uring's limit. */
	while (p.cq_entries < 2 * size_hint && p.cq_entries < CQ_ENTRIES)
		p.cq_entries *= 2;
	if (io_uring_queue_init_params(RING_ENTRIES, &us->ring, &p) < 0) {
		free(us);
		return NULL;
	}
	return (struct evset *)us;
}

static void uring_close(struct evset *set)
{
	struct uring_set *us = uset(set);

	io_uring_queue_exit(&us->ring);
	free(us->tag);
	free(us->mask);
	free(us->pend);
	free(us->rearm);
	free(us);
}

/* Submit what is queued, and empty the completion ring (unless reaping). */
static int uring_submit(struct uring_set *us)
{
	int ret = io_uring_submit(&us->ring);

	if (!us->reaping)
		uring_reap(us);
	return ret < 0 ? ret : 0;
}

static int uring_flush(struct evset *set)
{
	return uring_submit(uset(set));
}

static struct io_uring_sqe *uring_sqe(struct uring_set *us)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&us->ring);

	if (!sqe) {
		/*
		 * The submission ring is full: submit, and make room in
		 * the completion ring for what the changes complete with.
		 */
		if (uring_submit(us) < 0)
			die("io_uring_submit: cannot make room");
		sqe = io_uring_get_sqe(&us->ring);
		if (!sqe)
			die("io_uring: no submission entry after a submit");
	}
	return sqe;
}

static void uring_track(struct uring_set *us, int fd, uint64_t tag, uint32_t mask)
{
	unsigned int i, n = us->nfd ? us->nfd : 1024;

	while ((unsigned int)fd >= n)
		n *= 2;
	if (n != us->nfd) {
		us->tag = realloc(us->tag, n * sizeof(*us->tag));
		us->mask = realloc(us->mask, n * sizeof(*us->mask));
		if (!us->tag || !us->mask)
			die("out of memory");
		for (i = us->nfd; i < n; i++)
			us->tag[i] = 0;
		us->nfd = n;
	}
	us->tag[fd] = tag;
	us->mask[fd] = mask;
}

static uint64_t uring_tag(struct uring_set *us, int fd)
{
	return fd >= 0 && (unsigned int)fd < us->nfd ? us->tag[fd] : 0;
}

static void uring_arm(struct uring_set *us, int fd, uint32_t mask, uint64_t tag)
{
	struct io_uring_sqe *sqe = uring_sqe(us);

	io_uring_prep_poll_multishot(sqe, fd, mask);
	io_uring_sqe_set_data64(sqe, tag);
}

static int uring_add(struct evset *set, int fd, uint32_t events, uint64_t data)
{
	struct uring_set *us = uset(set);
	uint64_t tag = tag_of(fd, data);

	if (fd < 0)
		return -EBADF;
	if (uring_tag(us, fd))
		return -EEXIST;
	uring_track(us, fd, tag, events & POLL_BITS);
	uring_arm(us, fd, events & POLL_BITS, tag);
	return 0;
}

static int uring_mod(struct evset *set, int fd, uint32_t events, uint64_t data)
{
	struct uring_set *us = uset(set);
	uint64_t old = uring_tag(us, fd), tag = tag_of(fd, data);
	struct io_uring_sqe *sqe;

	if (!old)
		return -ENOENT;
	sqe = uring_sqe(us);
	io_uring_prep_poll_update(sqe, old, tag, events & POLL_BITS,
				  IORING_POLL_UPDATE_EVENTS |
				  IORING_POLL_UPDATE_USER_DATA);
	io_uring_sqe_set_data64(sqe, TAG_CHANGE);
	uring_track(us, fd, tag, events & POLL_BITS);
	return 0;
}

static int uring_del(struct evset *set, int fd)
{
	struct uring_set *us = uset(set);
	uint64_t old = uring_tag(us, fd);
	struct io_uring_sqe *sqe;

	if (!old)
		return -ENOENT;
	sqe = uring_sqe(us);
	io_uring_prep_poll_remove(sqe, old);
	io_uring_sqe_set_data64(sqe, TAG_CHANGE);
	us->tag[fd] = 0;
	return 0;
}

static void uring_pend(struct uring_set *us, uint32_t events, uint64_t data)
{
	if (us->pend_head == us->pend_nr)
		us->pend_head = us->pend_nr = 0;
	if (us->pend_nr == us->pend_cap) {
		us->pend_cap = us->pend_cap ? 2 * us->pend_cap : 256;
		us->pend = realloc(us->pend, us->pend_cap * sizeof(*us->pend));
		if (!us->pend)
			die("out of memory");
	}
	us->pend[us->pend_nr].events = events;
	us->pend[us->pend_nr].data.u64 = data;
	us->pend_nr++;
}

/*
 * Empty the completion ring: poll completions of fds still watched become
 * pending events, a multishot request that ended is armed again, and
 * everything else (changes, cancelled requests) is dropped.
 */
static void uring_reap(struct uring_set *us)
{
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0, i;
	int fd;

	us->reaping = true;
	io_uring_for_each_cqe(&us->ring, head, cqe) {
		uint64_t tag = io_uring_cqe_get_data64(cqe);

		seen++;
		if (tag == TAG_CHANGE || cqe->res < 0)
			continue;
		fd = (int)(tag >> 32);
		if (uring_tag(us, fd) != tag)
			continue;	/* removed or changed meanwhile */
		uring_pend(us, (uint32_t)cqe->res, (uint32_t)tag);
		if (!(cqe->flags & IORING_CQE_F_MORE)) {
			if (us->rearm_nr == us->rearm_cap) {
				us->rearm_cap = us->rearm_cap ? 2 * us->rearm_cap : 64;
				us->rearm = realloc(us->rearm,
						    us->rearm_cap * sizeof(*us->rearm));
				if (!us->rearm)
					die("out of memory");
			}
			us->rearm[us->rearm_nr++] = fd;
		}
	}
	io_uring_cq_advance(&us->ring, seen);
	/* Armed after the ring is consumed: arming may submit. */
	for (i = 0; i < us->rearm_nr; i++) {
		fd = us->rearm[i];
		uring_arm(us, fd, us->mask[fd], us->tag[fd]);
	}
	us->rearm_nr = 0;
	us->reaping = false;
}

/*
 * The pending events first; else submit the queued changes and wait for a
 * completion. A positive timeout restarts when only changes completed, so
 * it is a bound per completion, which is all the workloads need.
 */
static int uring_wait(struct evset *set, struct epoll_event *ev, int max,
		      int timeout_ms)
{
	struct uring_set *us = uset(set);
	struct __kernel_timespec ts = {
		.tv_sec = timeout_ms / 1000,
		.tv_nsec = (long long)(timeout_ms % 1000) * 1000000,
	};
	struct io_uring_cqe *cqe;
	int n, ret;

	while (us->pend_head == us->pend_nr) {
		if (!timeout_ms) {
			ret = uring_submit(us);
			if (ret < 0)
				return ret;
			break;
		}
		ret = io_uring_submit_and_wait_timeout(&us->ring, &cqe, 1,
						       timeout_ms > 0 ? &ts : NULL,
						       NULL);
		uring_reap(us);
		if (ret == -ETIME)
			break;
		if (ret < 0 && ret != -EINTR)
			return ret;
	}
	for (n = 0; n < max && us->pend_head < us->pend_nr; n++)
		ev[n] = us->pend[us->pend_head++];
	return n;
}

/* Queued, then one submission: io_uring's own batching. */
static int uring_apply(struct evset *set, struct xepoll_change *changes,
		       unsigned int nr)
{
	return apply_each(&mech_uring, set, changes, nr);
}

const struct mech mech_uring = {
	.name = "io_uring",
	.caps = CAP_EDGE | CAP_WATCH,
	.max_pending = CQ_ENTRIES,
	.open = uring_open,
	.close = uring_close,
	.add = uring_add,
	.mod = uring_mod,
	.del = uring_del,
	.flush = uring_flush,
	.apply = uring_apply,
	.wait = uring_wait,
};
