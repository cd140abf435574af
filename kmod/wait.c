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
 *
 * Beyond epoll:
 *
 * - An absolute deadline (XEPOLL_WAIT_ABSOLUTE) sleeps on an hrtimer of
 *   the clock it names, so a CLOCK_REALTIME deadline follows clock
 *   changes, as clock_nanosleep(TIMER_ABSTIME) does.
 *
 * - A minimum-batch wait (min_events > 1) transfers what is ready into
 *   the caller's array and sleeps again, until min_events are there, or
 *   the array is full, or the deadline passes. Once the wait holds its
 *   first event, min_wait_ns (if set) brings the deadline forward to
 *   "now + min_wait_ns" on the wait's clock. A signal ends the wait with
 *   the events gathered so far, or EINTR if there are none: events
 *   already written cannot be taken back. Level-triggered items reported
 *   by the wait are held off the ready list until it ends (ready.c), so
 *   that the array names each item at most once.
 *
 * The checks (xep_wait_prepare()) are apart from the wait itself
 * (xep_wait_run()), so that XEPOLL_IOC_SUBMIT checks its wait before it
 * applies any change.
 */
#include <linux/hrtimer.h>
#include <linux/sched/signal.h>
#include <linux/sched/rt.h>
#include <linux/signal.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/time64.h>
#include <linux/uaccess.h>

#include "busypoll.h"
#include "compat.h"
#include "ready.h"
#include "ring.h"
#include "trace.h"
#include "wait.h"

/* At most this much slack is added to a timeout, as poll and select do. */
#define XEP_MAX_SLACK	(100 * NSEC_PER_MSEC)

/* The current time on @clock, one of those xep_deadline_get() accepts. */
static ktime_t xep_clock_now(clockid_t clock)
{
	switch (clock) {
	case CLOCK_REALTIME:
		return ktime_get_real();
	case CLOCK_BOOTTIME:
		return ktime_get_boottime();
	default:
		return ktime_get();
	}
}

/*
 * How late the timer may fire: 0.1% of the time left (0.5% for a niced
 * task), at most XEP_MAX_SLACK, at least the task's timer slack, and none
 * for real-time tasks. This is the rule select_estimate_accuracy() applies
 * to epoll, poll and select; it is not exported to modules.
 */
static u64 xep_timeout_slack(clockid_t clock, ktime_t deadline)
{
	s64 left = ktime_to_ns(ktime_sub(deadline, xep_clock_now(clock)));
	u64 divisor = task_nice(current) > 0 ? 200 : 1000;
	u64 slack;

	if (rt_task(current))
		return 0;

	slack = left > 0 ? min_t(u64, XEP_MAX_SLACK, div64_u64(left, divisor)) : 0;
	return max_t(u64, slack, current->timer_slack_ns);
}

/* @at + @ns, saturating at KTIME_MAX. */
static ktime_t xep_ktime_add_sat(ktime_t at, u64 ns)
{
	if (ns > (u64)KTIME_MAX || at > KTIME_MAX - (s64)ns)
		return KTIME_MAX;
	return ktime_add_ns(at, ns);
}

/* Whether @clock may be named by an absolute deadline. */
static bool xep_clock_valid(s32 clock)
{
	return clock == CLOCK_MONOTONIC || clock == CLOCK_REALTIME ||
	       clock == CLOCK_BOOTTIME;
}

/*
 * The timeout: in milliseconds, as a relative timespec (epoll_pwait2()),
 * or as a deadline on a clock (XEPOLL_WAIT_ABSOLUTE).
 */
static int xep_deadline_get(const struct xepoll_wait *args,
			    struct xep_deadline *dl)
{
	bool absolute = args->flags & XEPOLL_WAIT_ABSOLUTE;
	struct timespec64 ts;
	ktime_t now, rel;

	memset(dl, 0, sizeof(*dl));
	dl->clock = CLOCK_MONOTONIC;
	if (absolute) {
		if (!(args->flags & XEPOLL_WAIT_TIMESPEC) || !args->timeout ||
		    !xep_clock_valid(args->clockid))
			return -EINVAL;
		dl->clock = args->clockid;
	} else if (args->clockid) {
		return -EINVAL;
	}

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
		/* Unused without the flag: must be zero, as the header says. */
		if (args->timeout)
			return -EINVAL;
		if (args->timeout_ms < 0) {
			dl->forever = true;
			return 0;
		}
		/* epoll_wait() takes an int: larger values are its own. */
		rel = ms_to_ktime(min_t(s64, args->timeout_ms, INT_MAX));
	}

	if (absolute) {
		/* A deadline already past polls, as a zero timeout does. */
		dl->at = rel;
		dl->poll = dl->at <= xep_clock_now(dl->clock);
		return 0;
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
 * Copy the caller's signal mask, if any, for xep_sigmask_install(). Without
 * a mask its size is unused and must be zero, which epoll_pwait(), whose
 * size is a separate argument, does not ask.
 */
static int xep_sigmask_get(const struct xepoll_wait *args,
			   struct xep_wait_ctx *ctx)
{
	if (!args->sigmask)
		return args->sigmask_size ? -EINVAL : 0;
	if (args->sigmask_size != sizeof(sigset_t))
		return -EINVAL;
	if (copy_from_user(&ctx->sigmask, u64_to_user_ptr(args->sigmask),
			   sizeof(ctx->sigmask)))
		return -EFAULT;
	ctx->has_sigmask = true;
	return 0;
}

/*
 * Install the caller's signal mask for the wait, as set_user_sigmask()
 * does for epoll_pwait(): the old mask is saved, and the restore flag makes
 * signal delivery put it back after a handler runs for an EINTR.
 */
static void xep_sigmask_install(struct xep_wait_ctx *ctx)
{
	if (!ctx->has_sigmask)
		return;
	sigdelsetmask(&ctx->sigmask, sigmask(SIGKILL) | sigmask(SIGSTOP));
	sigprocmask(SIG_SETMASK, &ctx->sigmask, &current->saved_sigmask);
	set_restore_sigmask();
}

/*
 * After the wait: unless it ends in EINTR, when signal delivery restores
 * the saved mask itself, put the saved mask back now.
 */
static void xep_sigmask_restore(const struct xep_wait_ctx *ctx, long ret)
{
	if (!ctx->has_sigmask || ret == -EINTR)
		return;
	clear_restore_sigmask();
	sigprocmask(SIG_SETMASK, &current->saved_sigmask, NULL);
}

/**
 * struct xep_waiter - a task asleep in a wait, on ep->wq
 * @wait:	the queue entry
 * @ep:		the instance waited on
 * @need:	events the wait still needs: 1 for a plain wait, more for a
 *		minimum batch that has its first events
 * @passed:	a wake-up was let pass: events may be ready for the batch
 *
 * Wake-ups of ep->wq are all issued under ep->lock (xep_wait_wake()),
 * under which the waiter also joins the queue: the fields are protected
 * by ep->lock.
 */
struct xep_waiter {
	wait_queue_entry_t wait;
	struct xep_instance *ep;
	unsigned int need;
	bool passed;
};

/*
 * Like autoremove_wake_function(), but the entry goes even when the task
 * was already awake: it is not reused across loop iterations, and a wait
 * loop with a stale entry would swallow a wake-up meant for another.
 *
 * A minimum batch sleeps through the wake-ups it does not need, as
 * io_uring's min-wait does: while fewer items are ready than it needs
 * events, it lets a wake-up pass, and the task wakes once for the batch
 * instead of once an event. It counts ready items, not wake-ups, since
 * one wake-up may announce many (a batch that ends puts back all the
 * items it held). A wake-up it lets pass returns 0, so that an exclusive
 * wake-up goes on to the next waiter; one it takes says so in @key.
 */
static int xep_wake_waiter(struct wait_queue_entry *entry, unsigned int mode,
			   int sync, void *key)
{
	struct xep_waiter *waiter = container_of(entry, struct xep_waiter, wait);
	bool *taken = key;
	int ret;

	if (waiter->need > 1 &&
	    waiter->ep->nready + xep_ring_count(waiter->ep) < waiter->need) {
		waiter->passed = true;
		return 0;
	}
	ret = default_wake_function(entry, mode, sync, NULL);
	list_del_init_careful(&entry->entry);
	if (taken)
		*taken = true;
	return ret;
}

/**
 * xep_wait_wake - wake a waiter of @ep for what its ready list holds now
 * @ep:		the instance
 * @sync:	the waker is about to sleep (wake_up_sync())
 *
 * Wakes the first waiter that takes the wake-up, as wake_up() does with
 * exclusive waiters. The caller holds ep->lock, under which waiters join
 * the queue, and ep->nready already counts what it announces.
 *
 * Return: whether a waiter took the wake-up.
 */
bool xep_wait_wake(struct xep_instance *ep, bool sync)
{
	bool taken = false;

	lockdep_assert_held(&ep->lock);

	/* No barrier: waiters join under ep->lock, which we hold. */
	if (!waitqueue_active(&ep->wq))
		return false;
	if (sync)
		__wake_up_sync_key(&ep->wq, TASK_NORMAL, &taken);
	else
		__wake_up(&ep->wq, TASK_NORMAL, 1, &taken);
	return taken;
}

static int xep_wait_events(struct xep_instance *ep,
			   const struct xep_wait_ctx *ctx)
{
	const struct xep_deadline *dl = &ctx->dl;
	bool batch = ctx->min_events > 1;
	bool timed_out = dl->poll, min_armed = false;
	struct xep_waiter waiter;
	ktime_t expires, *to = NULL;
	LIST_HEAD(held);
	u64 ring_tail;
	bool avail;
	int res = 0, n;

	if (!dl->forever && !dl->poll) {
		expires = dl->at;
		to = &expires;
	}

	/*
	 * A lockless first look; the decision to sleep is taken locked. The
	 * ring's head is user space's to write, so after the first look only
	 * a cell the kernel filled since counts: no garbage there can keep
	 * the wait from sleeping.
	 */
	ring_tail = xep_ring_tail(ep);
	avail = xep_ready_or_ring(ep);

	for (;;) {
		if (avail) {
			ring_tail = xep_ring_tail(ep);
			n = xep_ready_transfer_held(ep, ctx->events + res * ctx->event_size,
						    ctx->maxevents - res,
						    ctx->event_size,
						    batch ? &held : NULL);
			if (n < 0) {
				/* Events already written are the caller's. */
				if (!res)
					res = n;
				break;
			}
			res += n;
		}
		if (res >= ctx->min_events || res == ctx->maxevents || timed_out)
			break;
		/* Poll the watched sockets' NAPI context before sleeping. */
		if (xep_busy_loop(ep)) {
			avail = true;
			continue;
		}
		if (signal_pending(current)) {
			if (!res)
				res = -EINTR;
			break;
		}
		/* The first events of a batch: hold them min_wait_ns at most. */
		if (res && ctx->min_wait_ns && !min_armed) {
			ktime_t min_at = xep_ktime_add_sat(xep_clock_now(dl->clock),
							   ctx->min_wait_ns);

			if (!to || min_at < expires) {
				expires = min_at;
				to = &expires;
			}
			min_armed = true;
		}

		init_wait(&waiter.wait);
		waiter.wait.func = xep_wake_waiter;
		waiter.ep = ep;
		/*
		 * Until the first events, any wake-up: min_wait_ns counts
		 * from them. Then only one that finds as many items ready
		 * as the batch still needs.
		 */
		waiter.need = res ? ctx->min_events - res : 1;
		waiter.passed = false;

		spin_lock_irq(&ep->lock);
		/* No barrier: the waker checks the queue under this lock. */
		__set_current_state(TASK_INTERRUPTIBLE);
		avail = xep_ready_available(ep) || xep_ring_tail(ep) != ring_tail;
		if (!avail)
			__add_wait_queue_exclusive(&ep->wq, &waiter.wait);
		spin_unlock_irq(&ep->lock);

		if (!avail)
			timed_out = !schedule_hrtimeout_range_clock(to,
						to ? xep_timeout_slack(dl->clock, expires) : 0,
						HRTIMER_MODE_ABS, dl->clock);
		__set_current_state(TASK_RUNNING);

		/* Woken (or timed out): look again. */
		avail = true;
		if (!list_empty_careful(&waiter.wait.entry)) {
			spin_lock_irq(&ep->lock);
			/*
			 * Timed out but taken off the queue by a wake-up
			 * meanwhile: that wake-up was ours, so harvest; so
			 * were those a minimum batch let pass.
			 */
			if (timed_out)
				avail = list_empty(&waiter.wait.entry) || waiter.passed;
			__remove_wait_queue(&ep->wq, &waiter.wait);
			spin_unlock_irq(&ep->lock);
		}
	}

	if (batch)
		xep_ready_release_held(ep, &held);
	return res;
}

/* The most events whose array size fits an int, for either layout. */
static int xep_max_events(u32 event_size)
{
	if (event_size == XEPOLL_EVENT_SIZE)
		return INT_MAX / XEPOLL_EVENT_SIZE;
	return INT_MAX / XEPOLL_EVENT_SIZE_PACKED;
}

int xep_wait_prepare(const struct xepoll_wait *args, struct xep_wait_ctx *ctx)
{
	int ret;

	memset(ctx, 0, sizeof(*ctx));
	if (args->flags & ~(XEPOLL_WAIT_TIMESPEC | XEPOLL_WAIT_ABSOLUTE))
		return -EINVAL;
	if (args->event_size != XEPOLL_EVENT_SIZE &&
	    args->event_size != XEPOLL_EVENT_SIZE_PACKED)
		return -EINVAL;

	ret = xep_deadline_get(args, &ctx->dl);
	if (ret)
		return ret;
	ret = xep_sigmask_get(args, ctx);
	if (ret)
		return ret;

	if (args->maxevents <= 0 || args->maxevents > xep_max_events(args->event_size) ||
	    args->min_events > args->maxevents)
		return -EINVAL;
	ctx->events = u64_to_user_ptr(args->events);
	ctx->maxevents = args->maxevents;
	ctx->event_size = args->event_size;
	ctx->min_events = max_t(u32, args->min_events, 1);
	ctx->min_wait_ns = args->min_wait_ns;
	if (!access_ok(ctx->events, (size_t)ctx->maxevents * ctx->event_size))
		return -EFAULT;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(xep_wait_prepare);

long xep_wait_run(struct xep_instance *ep, struct xep_wait_ctx *ctx)
{
	long ret;

	xep_sigmask_install(ctx);
	trace_xepoll_wait_enter(ep, ctx->maxevents, ctx->dl.forever, ctx->dl.poll);
	ret = xep_wait_events(ep, ctx);
	trace_xepoll_wait_exit(ep, ret);
	xep_sigmask_restore(ctx, ret);
	return ret;
}

long xep_wait(struct xep_instance *ep, const struct xepoll_wait *args)
{
	/* xep_wait_prepare() zeroes it first. */
	struct xep_wait_ctx ctx __uninitialized;
	long ret;

	ret = xep_wait_prepare(args, &ctx);
	if (ret)
		return ret;
	return xep_wait_run(ep, &ctx);
}
