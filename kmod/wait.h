/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Waiting for events: epoll_wait(), epoll_pwait() and epoll_pwait2() in
 * one call, with their timeouts, signal masks and errors; and beyond
 * epoll, minimum-batch waits and absolute deadlines.
 */
#ifndef _XEPOLL_WAIT_H
#define _XEPOLL_WAIT_H

#include <linux/ktime.h>
#include <linux/signal_types.h>
#include <linux/xepoll.h>

#include "instance.h"

/**
 * struct xep_deadline - when a wait ends
 * @forever:	no timeout
 * @poll:	do not sleep at all
 * @clock:	the clock of @at: CLOCK_MONOTONIC unless an absolute
 *		deadline names another
 * @at:		otherwise, the absolute deadline on @clock
 */
struct xep_deadline {
	bool forever;
	bool poll;
	clockid_t clock;
	ktime_t at;
};

/**
 * struct xep_wait_ctx - a checked wait, ready to run
 * @events:	the caller's array, checked with access_ok()
 * @maxevents:	its length
 * @event_size:	the size of one event in it
 * @min_events:	return once this many events are gathered (at least 1)
 * @min_wait_ns: how long the first events are held waiting for more
 * @dl:		the deadline
 * @has_sigmask: whether @sigmask is installed for the wait
 * @sigmask:	the caller's signal mask
 */
struct xep_wait_ctx {
	void __user *events;
	int maxevents;
	size_t event_size;
	u32 min_events;
	u64 min_wait_ns;
	struct xep_deadline dl;
	bool has_sigmask;
	sigset_t sigmask;
};

int xep_wait_prepare(const struct xepoll_wait *args, struct xep_wait_ctx *ctx);
long xep_wait_run(struct xep_instance *ep, struct xep_wait_ctx *ctx);
long xep_wait(struct xep_instance *ep, const struct xepoll_wait *args);
bool xep_wait_wake(struct xep_instance *ep, bool sync);

#endif /* _XEPOLL_WAIT_H */
