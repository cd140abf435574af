/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxepoll: epoll's API over /dev/xepoll.
 *
 * Each function has the signature, the semantics and the errno values of
 * its epoll counterpart (epoll_create(2), epoll_ctl(2), epoll_wait(2)), so a
 * program switches by renaming its calls, or not at all with the LD_PRELOAD
 * interposer (tools/preload). The library keeps no state of its own: an
 * instance is its file descriptor, as with epoll.
 *
 * The calls after xepoll_close() have no epoll counterpart: they go beyond
 * epoll (batches, minimum-batch waits, deadlines, changes by data).
 *
 * Close watched descriptors with close(2): as with epoll, a watched file's
 * registrations go at its last close, however it comes. See
 * Documentation/userspace-api.rst.
 */
#ifndef XEPOLL_H
#define XEPOLL_H

#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <time.h>

#include <linux/xepoll.h>

#ifdef __cplusplus
extern "C" {
#endif

/* epoll_create(2): @size must be positive, and is otherwise ignored. */
int xepoll_create(int size);

/* epoll_create1(2): @flags is 0 or EPOLL_CLOEXEC. */
int xepoll_create1(int flags);

/* epoll_ctl(2). */
int xepoll_ctl(int epfd, int op, int fd, struct epoll_event *event);

/* epoll_wait(2), epoll_pwait(2), epoll_pwait2(2). */
int xepoll_wait(int epfd, struct epoll_event *events, int maxevents,
		int timeout);
int xepoll_pwait(int epfd, struct epoll_event *events, int maxevents,
		 int timeout, const sigset_t *sigmask);
int xepoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
		  const struct timespec *timeout, const sigset_t *sigmask);

/*
 * 6.12's EPIOCSPARAMS and EPIOCGPARAMS (XEPOLL_1.2): set or read the
 * busy-poll parameters of the instance @epfd (struct xepoll_params has
 * struct epoll_params' layout). The errors are the ioctls': EINVAL for a
 * bad value, EPERM for a budget above 64 without CAP_NET_ADMIN, ENOTTY on
 * a kernel whose epoll has no such ioctls (6.1) or for a descriptor that
 * is not an instance, EFAULT for a bad @params.
 */
int xepoll_set_params(int epfd, const struct xepoll_params *params);
int xepoll_get_params(int epfd, struct xepoll_params *params);

/*
 * Deprecated: close(2) of @fd, nothing more; @epfd is ignored. Kept for
 * source and binary compatibility (XEPOLL_1.0); call close(2) instead.
 */
int xepoll_close(int epfd, int fd);

/*
 * Beyond epoll (XEPOLL_1.1). See Documentation/userspace-api.rst and the
 * man pages in man/man3 for the full semantics.
 */

/* Fill one entry of a batch: a change by descriptor, as epoll_ctl(). */
static inline void xepoll_change_set(struct xepoll_change *c, int op, int fd,
				     uint32_t events, uint64_t data)
{
	c->op = (uint32_t)op;
	c->fd = fd;
	c->events = events;
	c->flags = 0;
	c->data = data;
	c->result = 0;
	c->__reserved = 0;
}

/* Fill one entry of a batch: MOD or DEL of every registration with @data. */
static inline void xepoll_change_set_by_data(struct xepoll_change *c, int op,
					     uint64_t data, uint32_t events)
{
	xepoll_change_set(c, op, -1, events, data);
	c->flags = XEPOLL_CTL_BY_DATA;
}

/*
 * Apply @nr changes in one call; each entry's result field receives 0 (the
 * number of matches for a change by data) or a negative errno, and
 * -ECANCELED if the batch stopped before it. @flags: 0, or
 * XEPOLL_SUBMIT_STOP_ON_ERROR to stop at the first failed entry. Returns
 * how many entries were processed, or -1 with errno if the call as a whole
 * was refused (then nothing changed).
 */
int xepoll_ctl_batch(int epfd, struct xepoll_change *changes, unsigned int nr,
		     unsigned int flags);

/*
 * MOD (new @events, data kept) or DEL of every registration of @epfd whose
 * data is @data, whatever its descriptor. Returns how many matched, or -1
 * with errno (ENOENT: none did).
 */
int xepoll_ctl_by_data(int epfd, int op, uint64_t data, uint32_t events);

/**
 * struct xepoll_wait_opts - how a wait of xepoll_submit() ends
 * @min_events:	0 or 1, or a minimum batch (see xepoll_wait_min())
 * @clockid:	with XEPOLL_WAIT_ABSOLUTE in @flags, the clock of @timeout
 * @min_wait_ns: how long a minimum batch holds its first events
 * @timeout:	NULL to wait for ever, else a relative timeout, or with
 *		XEPOLL_WAIT_ABSOLUTE a deadline on @clockid
 * @sigmask:	NULL, or the signal mask to install for the wait
 * @flags:	0 or XEPOLL_WAIT_ABSOLUTE
 * @__reserved:	must be zero: initialise the struct with { 0 }
 */
struct xepoll_wait_opts {
	int min_events;
	int clockid;
	unsigned long long min_wait_ns;
	const struct timespec *timeout;
	const sigset_t *sigmask;
	unsigned int flags;
	unsigned int __reserved[5];
};

/*
 * Apply @nr changes, then wait for events, in one call, as kevent(). With
 * @maxevents 0 (and @events NULL) there is no wait. @opts NULL waits for
 * ever for one event. If @nr_done is not NULL it receives how many entries
 * were processed, also when the wait fails. Returns the number of events
 * (0 on timeout, or when XEPOLL_SUBMIT_STOP_ON_ERROR stopped the batch),
 * or without a wait the number of entries processed; -1 with errno.
 */
int xepoll_submit(int epfd, struct xepoll_change *changes, unsigned int nr,
		  unsigned int flags, unsigned int *nr_done,
		  struct epoll_event *events, int maxevents,
		  const struct xepoll_wait_opts *opts);

/*
 * epoll_pwait2(), but returning only once @min_events are ready, or
 * @min_wait_ns after the wait first found an event (0: no such limit),
 * or at the timeout (NULL: none), whichever comes first.
 */
int xepoll_wait_min(int epfd, struct epoll_event *events, int maxevents,
		    int min_events, uint64_t min_wait_ns,
		    const struct timespec *timeout, const sigset_t *sigmask);

/*
 * epoll_pwait2() with an absolute @deadline on @clockid (CLOCK_MONOTONIC,
 * CLOCK_REALTIME or CLOCK_BOOTTIME) instead of a relative timeout.
 */
int xepoll_wait_until(int epfd, struct epoll_event *events, int maxevents,
		      clockid_t clockid, const struct timespec *deadline,
		      const sigset_t *sigmask);

/*
 * The shared ready ring (XEPOLL_1.3). See xepoll_ring_setup(3) and
 * Documentation/userspace-api.rst.
 *
 * A ring carries the events of the instance's edge-triggered and one-shot
 * registrations to user space through shared memory: while it holds
 * events, xepoll_ring_reap() and xepoll_ring_wait() return them without a
 * system call. Level-triggered registrations, and events that found the
 * ring full, stay in the kernel, where xepoll_ring_wait() (or any wait on
 * the instance) fetches them. A handle may be used by any number of
 * threads at once, and by the children of a fork() (the mapping is
 * shared).
 */
struct xepoll_ring;

/*
 * Give the instance @epfd a ring of at least @entries events (a power of
 * two, at most XEPOLL_RING_MAX_ENTRIES) and map it; if it has one
 * already, map that one (@entries is then ignored). NULL with errno:
 * EINVAL (bad @entries, or @epfd is no instance), EBADF, ENOMEM (memory,
 * or RLIMIT_MEMLOCK, to which the ring's pages are charged).
 */
struct xepoll_ring *xepoll_ring_setup(int epfd, unsigned int entries);

/* Unmap the ring and free the handle; the instance and its ring stay. */
void xepoll_ring_free(struct xepoll_ring *ring);

/* The instance descriptor the ring was set up on. */
int xepoll_ring_fd(const struct xepoll_ring *ring);

/*
 * Up to @maxevents events from the ring, without a system call: how many
 * (0 when it is empty), or -1 with errno EINVAL if @maxevents is not
 * positive.
 */
int xepoll_ring_reap(struct xepoll_ring *ring, struct epoll_event *events,
		     int maxevents);

/*
 * How many registrations have events waiting in the kernel rather than in
 * the ring (level-triggered ones, overflow): a wait fetches them.
 */
unsigned int xepoll_ring_kready(const struct xepoll_ring *ring);

/* Whether the instance was released (its last descriptor closed). */
int xepoll_ring_dead(const struct xepoll_ring *ring);

/*
 * epoll_wait() on the ring's instance: the ring's events first, without a
 * system call; the kernel is entered only for events that wait there, or
 * to sleep when there are none. Same arguments and errors as
 * epoll_wait().
 */
int xepoll_ring_wait(struct xepoll_ring *ring, struct epoll_event *events,
		     int maxevents, int timeout);

/**
 * struct xepoll_ring_stats - what a handle has done, since its setup
 * @reaped:	events taken from the ring in user space
 * @waits:	calls of xepoll_ring_wait()
 * @syscalls:	those of them that entered the kernel
 */
struct xepoll_ring_stats {
	unsigned long long reaped;
	unsigned long long waits;
	unsigned long long syscalls;
};

void xepoll_ring_stats(const struct xepoll_ring *ring,
		       struct xepoll_ring_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* XEPOLL_H */
