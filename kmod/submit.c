// SPDX-License-Identifier: GPL-2.0
/*
 * XEPOLL_IOC_SUBMIT: a batch of changes, then optionally a wait, in one
 * call, as kevent() does.
 *
 * The call runs in three steps, so that bad input changes nothing:
 *
 * 1. Check. The struct, the wait's arguments (xep_wait_prepare(): the
 *    timeout is read, the signal mask copied, the events buffer checked),
 *    and every entry: each is copied in, and its result field is set to
 *    -ECANCELED, which proves it writable. A failure here fails the call
 *    with its errno before any change.
 *
 * 2. Apply. The entries are applied in order, as a run of changes
 *    (ctl.c), which takes ep->mtx once for many changes rather than once
 *    per change: that, and the one system call, is what a batch saves.
 *    No user memory is touched while ep->mtx is held. Each entry's result
 *    is the value XEPOLL_IOC_CTL would have returned. A failed entry
 *    stops the batch only with XEPOLL_SUBMIT_STOP_ON_ERROR. Signals do
 *    not interrupt the changes, which are each as quick as epoll_ctl();
 *    only a fatal signal stops the batch.
 *
 * 3. Report, then wait. The results of the entries applied, and nr_done,
 *    are written back before the wait; a wait that then fails (EINTR,
 *    EFAULT) fails the call, and the changes stay applied, as kevent()
 *    leaves them. A write that faults in this step, which step 1 makes
 *    possible only if another thread unmapped the memory meanwhile, fails
 *    the call with EFAULT after the changes.
 */
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <linux/xepoll.h>

#include "compat.h"
#include "ctl.h"
#include "submit.h"
#include "wait.h"

/* The first version of struct xepoll_change; a larger entry is newer. */
static_assert(sizeof(struct xepoll_change) == 32);

/* The result field of entry @i of the caller's array. */
static s32 __user *xep_change_uresult(const struct xepoll_submit *args, u32 i)
{
	return u64_to_user_ptr(args->changes + (u64)i * args->change_size +
			       offsetof(struct xepoll_change, result));
}

/*
 * Write @value, or each entry's own result from @kc when @kc is set, into
 * the result fields of the caller's first @nr entries, in one user-access
 * window.
 */
static int xep_submit_put_results(const struct xepoll_submit *args,
				  const struct xepoll_change *kc, u32 nr,
				  s32 value)
{
	void __user *uc = u64_to_user_ptr(args->changes);
	u32 i;

	if (!nr)
		return 0;
	if (!user_write_access_begin(uc, (size_t)nr * args->change_size))
		return -EFAULT;
	for (i = 0; i < nr; i++)
		unsafe_put_user(kc ? kc[i].result : value,
				xep_change_uresult(args, i), efault);
	user_write_access_end();
	return 0;

efault:
	user_write_access_end();
	return -EFAULT;
}

/*
 * Copy the entries in, and mark each result -ECANCELED in the caller's
 * array. An entry whose unknown tail is not zero keeps -E2BIG as its
 * result (in @kc), and is not applied. Entries of this module's size, the
 * usual case, come in one copy.
 */
static int xep_submit_read(const struct xepoll_submit *args,
			   struct xepoll_change *kc)
{
	u32 i;
	int ret;

	if (args->change_size == sizeof(*kc)) {
		if (copy_from_user(kc, u64_to_user_ptr(args->changes),
				   (size_t)args->nr_changes * sizeof(*kc)))
			return -EFAULT;
		/* The caller's result field is output only. */
		for (i = 0; i < args->nr_changes; i++)
			kc[i].result = 0;
	} else {
		for (i = 0; i < args->nr_changes; i++) {
			void __user *uc = u64_to_user_ptr(args->changes +
							  (u64)i * args->change_size);

			ret = copy_struct_from_user(&kc[i], sizeof(kc[i]), uc,
						    args->change_size);
			if (ret && ret != -E2BIG)
				return ret;
			if (ret)
				memset(&kc[i], 0, sizeof(kc[i]));
			kc[i].result = ret;
		}
	}
	return xep_submit_put_results(args, NULL, args->nr_changes, -ECANCELED);
}

/* Entry @kc's result: what XEPOLL_IOC_CTL would return for it. */
static s32 xep_submit_one(struct xep_ctl_run *run, const struct xepoll_change *kc)
{
	struct xepoll_ctl ctl = {
		.op = kc->op,
		.fd = kc->fd,
		.events = kc->events,
		.flags = kc->flags,
		.data = kc->data,
	};

	if (kc->__reserved || (kc->flags & ~XEPOLL_CTL_BY_DATA))
		return -EINVAL;
	return xep_ctl_apply(run, &ctl);
}

/* Apply the entries; returns how many were processed. */
static u32 xep_submit_apply(struct xep_instance *ep,
			    const struct xepoll_submit *args,
			    struct xepoll_change *kc, bool *failed)
{
	struct xep_ctl_run run = { .ep = ep };
	u32 i;

	for (i = 0; i < args->nr_changes; i++) {
		if (fatal_signal_pending(current))
			break;
		if (!kc[i].result)
			kc[i].result = xep_submit_one(&run, &kc[i]);
		if (kc[i].result < 0) {
			*failed = true;
			if (args->flags & XEPOLL_SUBMIT_STOP_ON_ERROR) {
				i++;
				break;
			}
		}
	}
	xep_ctl_run_end(&run);
	return i;
}

/* Write back the results of the first @done entries, and nr_done. */
static int xep_submit_report(const struct xepoll_submit *args,
			     struct xepoll_submit __user *uargs,
			     const struct xepoll_change *kc, u32 done)
{
	if (xep_submit_put_results(args, kc, done, 0))
		return -EFAULT;
	if (put_user(done, &uargs->nr_done))
		return -EFAULT;
	return 0;
}

/* The wait's arguments, read and checked as XEPOLL_IOC_WAIT's. */
static int xep_submit_wait_get(const struct xepoll_submit *args,
			       struct xep_wait_ctx *ctx)
{
	struct xepoll_wait wait;
	int ret;

	if (args->wait_size < XEPOLL_WAIT_SIZE_VER0)
		return -EINVAL;
	if (args->wait_size > PAGE_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(&wait, sizeof(wait),
				    u64_to_user_ptr(args->wait), args->wait_size);
	if (ret)
		return ret;
	return xep_wait_prepare(&wait, ctx);
}

long xep_submit(struct xep_instance *ep, const struct xepoll_submit *args,
		struct xepoll_submit __user *uargs)
{
	struct xepoll_change *kc = NULL;
	struct xep_wait_ctx ctx;
	bool failed = false;
	u32 done = 0;
	long ret;

	if ((args->flags & ~XEPOLL_SUBMIT_STOP_ON_ERROR) || args->__reserved)
		return -EINVAL;
	if (args->nr_changes > XEPOLL_SUBMIT_MAX_CHANGES)
		return -EINVAL;
	if (args->nr_changes && args->change_size < sizeof(struct xepoll_change))
		return -EINVAL;
	if (args->nr_changes && args->change_size > PAGE_SIZE)
		return -E2BIG;
	if (!args->wait != !args->wait_size)
		return -EINVAL;

	if (args->wait) {
		ret = xep_submit_wait_get(args, &ctx);
		if (ret)
			return ret;
	}
	if (put_user(0, &uargs->nr_done))
		return -EFAULT;

	if (args->nr_changes) {
		kc = kvmalloc_array(args->nr_changes, sizeof(*kc), GFP_KERNEL);
		if (!kc)
			return -ENOMEM;
		ret = xep_submit_read(args, kc);
		if (ret)
			goto out;
		done = xep_submit_apply(ep, args, kc, &failed);
		ret = xep_submit_report(args, uargs, kc, done);
		if (ret)
			goto out;
	}

	if (!args->wait)
		ret = done;
	else if (failed && (args->flags & XEPOLL_SUBMIT_STOP_ON_ERROR))
		ret = 0;
	else
		ret = xep_wait_run(ep, &ctx);
out:
	kvfree(kc);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(xep_submit);
