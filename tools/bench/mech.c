// SPDX-License-Identifier: GPL-2.0
/*
 * The mechanisms that keep their interest list in the kernel and wait for
 * epoll's records: native epoll, xepoll through libxepoll, and poll(2) with
 * the interest list in user space. xepoll with its ring is in mech_ring.c,
 * io_uring in mech_uring.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"
#include "xepoll.h"

/* epoll and xepoll: the set is the instance's descriptor. */
struct evset {
	int fd;
};

static struct evset *set_of(int fd)
{
	struct evset *set;

	if (fd < 0)
		return NULL;
	set = malloc(sizeof(*set));
	if (!set)
		die("out of memory");
	set->fd = fd;
	return set;
}

static void set_close(struct evset *set)
{
	close(set->fd);
	free(set);
}

static int no_flush(struct evset *set)
{
	(void)set;
	return 0;
}

static int ret_errno(int ret)
{
	return ret < 0 ? -errno : ret;
}

int apply_each(const struct mech *m, struct evset *set,
	       struct xepoll_change *changes, unsigned int nr)
{
	struct xepoll_change *c;
	int ret = 0;

	for (c = changes; c < changes + nr && !ret; c++) {
		switch (c->op) {
		case EPOLL_CTL_ADD:
			ret = m->add(set, c->fd, c->events, c->data);
			break;
		case EPOLL_CTL_MOD:
			ret = m->mod(set, c->fd, c->events, c->data);
			break;
		case EPOLL_CTL_DEL:
			ret = m->del(set, c->fd);
			break;
		default:
			ret = -EINVAL;
		}
	}
	return ret ? ret : m->flush(set);
}

static int epoll_apply(struct evset *set, struct xepoll_change *changes,
		       unsigned int nr)
{
	return apply_each(&mech_epoll, set, changes, nr);
}

static int poll_apply(struct evset *set, struct xepoll_change *changes,
		      unsigned int nr)
{
	return apply_each(&mech_poll, set, changes, nr);
}

static struct evset *epoll_open(unsigned int size_hint)
{
	(void)size_hint;
	return set_of(epoll_create1(EPOLL_CLOEXEC));
}

static int epoll_change(struct evset *set, int op, int fd, uint32_t events,
			uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return ret_errno(epoll_ctl(set->fd, op, fd, &ev));
}

static int epoll_add(struct evset *set, int fd, uint32_t events, uint64_t data)
{
	return epoll_change(set, EPOLL_CTL_ADD, fd, events, data);
}

static int epoll_mod(struct evset *set, int fd, uint32_t events, uint64_t data)
{
	return epoll_change(set, EPOLL_CTL_MOD, fd, events, data);
}

static int epoll_del(struct evset *set, int fd)
{
	return ret_errno(epoll_ctl(set->fd, EPOLL_CTL_DEL, fd, NULL));
}

static int epoll_wait_set(struct evset *set, struct epoll_event *ev, int max,
			  int timeout_ms)
{
	return ret_errno(epoll_wait(set->fd, ev, max, timeout_ms));
}

const struct mech mech_epoll = {
	.name = "epoll",
	.caps = CAP_LEVEL | CAP_EDGE | CAP_SHARED | CAP_EXCLUSIVE | CAP_WATCH |
		CAP_CLOSE_ENDS | CAP_EPOLL_API | CAP_PRELOAD,
	.open = epoll_open,
	.close = set_close,
	.add = epoll_add,
	.mod = epoll_mod,
	.del = epoll_del,
	.flush = no_flush,
	.apply = epoll_apply,
	.wait = epoll_wait_set,
	.create1 = epoll_create1,
	.ctl = epoll_ctl,
	.wait_on = epoll_wait,
};

static struct evset *xepoll_open(unsigned int size_hint)
{
	(void)size_hint;
	return set_of(xepoll_create1(EPOLL_CLOEXEC));
}

static int xepoll_change(struct evset *set, int op, int fd, uint32_t events,
			 uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return ret_errno(xepoll_ctl(set->fd, op, fd, &ev));
}

static int xepoll_add(struct evset *set, int fd, uint32_t events, uint64_t data)
{
	return xepoll_change(set, EPOLL_CTL_ADD, fd, events, data);
}

static int xepoll_mod(struct evset *set, int fd, uint32_t events, uint64_t data)
{
	return xepoll_change(set, EPOLL_CTL_MOD, fd, events, data);
}

static int xepoll_del(struct evset *set, int fd)
{
	return ret_errno(xepoll_ctl(set->fd, EPOLL_CTL_DEL, fd, NULL));
}

/*
 * One XEPOLL_IOC_SUBMIT, stopping at a failed entry: the last entry done
 * holds 0, or the error.
 */
static int xepoll_apply(struct evset *set, struct xepoll_change *changes,
			unsigned int nr)
{
	int done = xepoll_ctl_batch(set->fd, changes, nr,
				    XEPOLL_SUBMIT_STOP_ON_ERROR);

	if (done < 0)
		return -errno;
	return done ? changes[done - 1].result : -EIO;
}

static int xepoll_wait_set(struct evset *set, struct epoll_event *ev, int max,
			   int timeout_ms)
{
	return ret_errno(xepoll_wait(set->fd, ev, max, timeout_ms));
}

static int xepoll_wait_min_set(struct evset *set, struct epoll_event *ev, int max,
			       int min_events, uint64_t min_wait_ns)
{
	return ret_errno(xepoll_wait_min(set->fd, ev, max, min_events,
					 min_wait_ns, NULL, NULL));
}

const struct mech mech_xepoll = {
	.name = "xepoll",
	.caps = CAP_LEVEL | CAP_EDGE | CAP_SHARED | CAP_EXCLUSIVE | CAP_WATCH |
		CAP_MINWAIT | CAP_CLOSE_ENDS | CAP_EPOLL_API | CAP_PRELOAD,
	.open = xepoll_open,
	.close = set_close,
	.add = xepoll_add,
	.mod = xepoll_mod,
	.del = xepoll_del,
	.flush = no_flush,
	.apply = xepoll_apply,
	.wait = xepoll_wait_set,
	.wait_min = xepoll_wait_min_set,
	.create1 = xepoll_create1,
	.ctl = xepoll_ctl,
	.wait_on = xepoll_wait,
};

/*
 * poll(2): the interest list is an array of struct pollfd, kept dense (a
 * delete moves the last entry into the hole), with the index of each fd's
 * entry and its data beside it, as an event loop built on poll keeps them.
 */
struct poll_set {
	struct evset base;	/* unused; keeps the cast honest */
	struct pollfd *pfd;
	uint64_t *data;
	int *index;		/* fd -> entry, -1 when not watched */
	unsigned int nr, cap, nfd;
};

static struct evset *poll_open(unsigned int size_hint)
{
	struct poll_set *ps = calloc(1, sizeof(*ps));
	unsigned int i;

	if (!ps)
		die("out of memory");
	ps->cap = size_hint ? size_hint : 16;
	ps->pfd = malloc(ps->cap * sizeof(*ps->pfd));
	ps->data = malloc(ps->cap * sizeof(*ps->data));
	ps->nfd = 1024;
	ps->index = malloc(ps->nfd * sizeof(*ps->index));
	if (!ps->pfd || !ps->data || !ps->index)
		die("out of memory");
	for (i = 0; i < ps->nfd; i++)
		ps->index[i] = -1;
	return &ps->base;
}

static struct poll_set *poll_set(struct evset *set)
{
	return (struct poll_set *)set;
}

static void poll_close(struct evset *set)
{
	struct poll_set *ps = poll_set(set);

	free(ps->pfd);
	free(ps->data);
	free(ps->index);
	free(ps);
}

static short poll_bits(uint32_t events)
{
	return (short)(events & (EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP));
}

static int poll_add(struct evset *set, int fd, uint32_t events, uint64_t data)
{
	struct poll_set *ps = poll_set(set);
	unsigned int i;

	if (fd < 0)
		return -EBADF;
	while ((unsigned int)fd >= ps->nfd) {
		ps->index = realloc(ps->index, 2 * ps->nfd * sizeof(*ps->index));
		if (!ps->index)
			die("out of memory");
		for (i = ps->nfd; i < 2 * ps->nfd; i++)
			ps->index[i] = -1;
		ps->nfd *= 2;
	}
	if (ps->index[fd] >= 0)
		return -EEXIST;
	if (ps->nr == ps->cap) {
		ps->cap *= 2;
		ps->pfd = realloc(ps->pfd, ps->cap * sizeof(*ps->pfd));
		ps->data = realloc(ps->data, ps->cap * sizeof(*ps->data));
		if (!ps->pfd || !ps->data)
			die("out of memory");
	}
	ps->pfd[ps->nr] = (struct pollfd){ .fd = fd, .events = poll_bits(events) };
	ps->data[ps->nr] = data;
	ps->index[fd] = (int)ps->nr++;
	return 0;
}

static int poll_entry(struct poll_set *ps, int fd)
{
	if (fd < 0 || (unsigned int)fd >= ps->nfd)
		return -1;
	return ps->index[fd];
}

static int poll_mod(struct evset *set, int fd, uint32_t events, uint64_t data)
{
	struct poll_set *ps = poll_set(set);
	int i = poll_entry(ps, fd);

	if (i < 0)
		return -ENOENT;
	ps->pfd[i].events = poll_bits(events);
	ps->data[i] = data;
	return 0;
}

static int poll_del(struct evset *set, int fd)
{
	struct poll_set *ps = poll_set(set);
	int i = poll_entry(ps, fd);
	unsigned int last;

	if (i < 0)
		return -ENOENT;
	last = --ps->nr;
	ps->pfd[i] = ps->pfd[last];
	ps->data[i] = ps->data[last];
	ps->index[ps->pfd[i].fd] = i;
	ps->index[fd] = -1;
	return 0;
}

static int poll_wait(struct evset *set, struct epoll_event *ev, int max,
		     int timeout_ms)
{
	struct poll_set *ps = poll_set(set);
	unsigned int i;
	int ret, n = 0;

	ret = poll(ps->pfd, ps->nr, timeout_ms);
	if (ret < 0)
		return -errno;
	for (i = 0; i < ps->nr && ret > 0 && n < max; i++) {
		if (!ps->pfd[i].revents)
			continue;
		ret--;
		ev[n].events = (uint32_t)(unsigned short)ps->pfd[i].revents;
		ev[n].data.u64 = ps->data[i];
		n++;
	}
	return n;
}

const struct mech mech_poll = {
	.name = "poll",
	.caps = CAP_LEVEL,
	.open = poll_open,
	.close = poll_close,
	.add = poll_add,
	.mod = poll_mod,
	.del = poll_del,
	.flush = no_flush,
	.apply = poll_apply,
	.wait = poll_wait,
};

const struct mech *const mechs[MECH_NR] = {
	[MECH_EPOLL] = &mech_epoll,
	[MECH_XEPOLL] = &mech_xepoll,
	[MECH_RING] = &mech_ring,
	[MECH_POLL] = &mech_poll,
	[MECH_URING] = &mech_uring,
};

bool mech_available(const struct mech *m)
{
	struct evset *set = m->open(1);

	if (!set)
		return false;
	m->close(set);
	return true;
}
