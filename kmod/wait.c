// SPDX-License-Identifier: GPL-2.0
/*
 * XEPOLL_IOC_WAIT.
 *
 * The argument is checked in the order epoll_pwait2() checks its own: the
 * timeout, then the signal mask (installed for the duration of the wait,
 * as epoll_pwait() does), then maxevents and the events buffer. Then the
 * task sleeps on ep->wq until an event, the timeout or a signal, and
 * transfers what is ready (ready.c).
 *
 * Waiters sleep as exclusive waiters, so one event wakes one of them and
 * the next wake-up reaches the next, as in epoll. A waiter that transfers
 * nothing (another took the events) goes back to sleep while time is left.
 */
#include <linux/hrtimer.h>
#include <linux/sched/signal.h>
#include <linux/sched/rt.h>
#include <linux/signal.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/time64.h>
#include <linux/uaccess.h>

#include "ready.h"
#include "trace.h"
#include "wait.h"

/* At most this much slack is added to a timeout, as poll and select do. */
#define XEP_MAX_SLACK	(100 * NSEC_PER_MSEC)

/*
 * How late the timer may fire: 0.1% of the time left (0.5% for a niced
 * task), at most XEP_MAX_SLACK, at least the task's timer slack, and none
 * for real-time tasks. This is the rule select_estimate_accuracy() applies
 * to epoll, poll and select; it is not exported to modules.
 */
static u64 xep_timeout_slack(ktime_t deadline)
{
	s64 left = ktime_to_ns(ktime_sub(deadline, ktime_get()));
	u64 divisor = task_nice(current) > 0 ? 200 : 1000;
	u64 slack;

	if (rt_task(current))
		return 0;

	slack = left > 0 ? min_t(u64, XEP_MAX_SLACK, div64_u64(left, divisor)) : 0;
	return max_t(u64, slack, current->timer_slack_ns);
}

/**
 * struct xep_deadline - when a wait ends
 * @forever:	no timeout
 * @poll:	do not sleep at all
 * @at:		otherwise, the absolute CLOCK_MONOTONIC deadline
 */
struct xep_deadline {
	bool forever;
	bool poll;
	ktime_t at;
};

/* The timeout, in milliseconds or as a timespec (epoll_pwait2()). */
static int xep_deadline_get(const struct xepoll_wait *args,
			    struct xep_deadline *dl)
{
	struct timespec64 ts;
	ktime_t now, rel;

	memset(dl, 0, sizeof(*dl));
	if (args->flags & XEPOLL_WAIT_TIMESPEC) {
		if (args->timeout_ms)
			return -EINVAL;
		if (!args->timeout) {
			dl->forever = true;
			return 0;
		}
		if (get_timespec64(&ts, u64_to_user_ptr(args->timeout)))
			return -EFAULT;
		if (!timespec64_valid(&ts))
			return -EINVAL;
		/* Saturates at KTIME_MAX. */
		rel = timespec64_to_ktime(ts);
	} else {
		if (args->timeout_ms < 0) {
			dl->forever = true;
			return 0;
		}
		/* epoll_wait() takes an int: larger values are its own. */
		rel = ms_to_ktime(min_t(s64, args->timeout_ms, INT_MAX));
	}

	if (!rel) {
		dl->poll = true;
		return 0;
	}
	now = ktime_get();
	dl->at = rel > KTIME_MAX - now ? KTIME_MAX : ktime_add(now, rel);
	return 0;
}

/*
 * Install the caller's signal mask for the wait, as set_user_sigmask()
 * does for epoll_pwait(): the old mask is saved, and the restore flag makes
 * signal delivery put it back after a handler runs for an EINTR.
 */
static int xep_sigmask_install(const struct xepoll_wait *args)
{
	sigset_t mask;

	if (!args->sigmask)
		return 0;
	if (args->sigmask_size != sizeof(sigset_t))
		return -EINVAL;
	if (copy_from_user(&mask, u64_to_user_ptr(args->sigmask), sizeof(mask)))
		return -EFAULT;

	sigdelsetmask(&mask, sigmask(SIGKILL) | sigmask(SIGSTOP));
	sigprocmask(SIG_SETMASK, &mask, &current->saved_sigmask);
	set_restore_sigmask();
	return 0;
}

/*
 * After the wait: unless it ends in EINTR, when signal delivery restores
 * the saved mask itself, put the saved mask back now.
 */
static void xep_sigmask_restore(const struct xepoll_wait *args, long ret)
{
	if (!args->sigmask || ret == -EINTR)
		return;
	clear_restore_sigmask();
	sigprocmask(SIG_SETMASK, &current->saved_sigmask, NULL);
}

/*
 * Like autoremove_wake_function(), but the entry goes even when the task
 * was already awake: it is not reused across loop iterations, and a wait
 * loop with a stale entry would swallow a wake-up meant for another.
 */
static int xep_wake_waiter(struct wait_queue_entry *entry, unsigned int mode,
			   int sync, void *key)
{
	int ret = default_wake_function(entry, mode, sync, key);

	list_del_init_careful(&entry->entry);
	return ret;
}

static int xep_wait_events(struct xep_instance *ep, void __user *events,
			   int maxevents, size_t event_size,
			   const struct xep_deadline *dl)
{
	bool timed_out = dl->poll;
	wait_queue_entry_t wait;
	ktime_t expires, *to = NULL;
	bool avail;
	u64 slack = 0;
	int res;

	if (!dl->forever && !dl->poll) {
		slack = xep_timeout_slack(dl->at);
		expires = dl->at;
		to = &expires;
	}

	/* A lockless first look; the decision to sleep is taken locked. */
	avail = xep_ready_available(ep);

	for (;;) {
		if (avail) {
			res = xep_ready_transfer(ep, events, maxevents, event_size);
			if (res)
				return res;
		}
		if (timed_out)
			return 0;
		if (signal_pending(current))
			return -EINTR;

		init_wait(&wait);
		wait.func = xep_wake_waiter;

		spin_lock_irq(&ep->lock);
		/* No barrier: the waker checks the queue under this lock. */
		__set_current_state(TASK_INTERRUPTIBLE);
		avail = xep_ready_available(ep);
		if (!avail)
			__add_wait_queue_exclusive(&ep->wq, &wait);
		spin_unlock_irq(&ep->lock);

		if (!avail)
			timed_out = !schedule_hrtimeout_range(to, slack,
							      HRTIMER_MODE_ABS);
		__set_current_state(TASK_RUNNING);

		/* Woken (or timed out): look again. */
		avail = true;
		if (!list_empty_careful(&wait.entry)) {
			spin_lock_irq(&ep->lock);
			/*
			 * Timed out but taken off the queue by a wake-up
			 * meanwhile: that wake-up was ours, so harvest.
			 */
			if (timed_out)
				avail = list_empty(&wait.entry);
			__remove_wait_queue(&ep->wq, &wait);
			spin_unlock_irq(&ep->lock);
		}
	}
}

/* The most events whose array size fits an int, for either layout. */
static int xep_max_events(u32 event_size)
{
	if (event_size == XEPOLL_EVENT_SIZE)
		return INT_MAX / XEPOLL_EVENT_SIZE;
	return INT_MAX / XEPOLL_EVENT_SIZE_PACKED;
}

long xep_wait(struct xep_instance *ep, const struct xepoll_wait *args)
{
	void __user *events = u64_to_user_ptr(args->events);
	struct xep_deadline dl;
	long ret;

	if (args->flags & ~XEPOLL_WAIT_TIMESPEC)
		return -EINVAL;
	if (args->event_size != XEPOLL_EVENT_SIZE &&
	    args->event_size != XEPOLL_EVENT_SIZE_PACKED)
		return -EINVAL;

	ret = xep_deadline_get(args, &dl);
	if (ret)
		return ret;
	ret = xep_sigmask_install(args);
	if (ret)
		return ret;

	trace_xepoll_wait_enter(ep, args->maxevents, dl.forever, dl.poll);

	if (args->maxevents <= 0 || args->maxevents > xep_max_events(args->event_size))
		ret = -EINVAL;
	else if (!access_ok(events, (size_t)args->maxevents * args->event_size))
		ret = -EFAULT;
	else
		ret = xep_wait_events(ep, events, args->maxevents,
				      args->event_size, &dl);

	trace_xepoll_wait_exit(ep, ret);
	xep_sigmask_restore(args, ret);
	return ret;
}
