/* SPDX-License-Identifier: GPL-2.0 */
/*
 * EPOLLWAKEUP's wakeup sources (wakeup.c): what keeps the system from
 * suspending while an event of such a registration is pending or being
 * processed. The calls on the event path are inline here: each is a test
 * of a pointer that is NULL for every registration without the flag.
 *
 * An item's source is held while the item is on a list of pending
 * events: the ready list, the overflow list, a minimum-batch wait's held
 * list (ready.c). A transfer lets go of it as it takes the item, holding
 * the instance's source instead until the scan is done; a level-triggered
 * item that goes back on a list is held again. So, as epoll's, a source
 * is held from an event's arrival until the next wait on the instance
 * that finds the event consumed.
 *
 * Without CONFIG_PM_SLEEP, ctl.c drops EPOLLWAKEUP, as epoll does, so no
 * item ever has a source, and the kernel's calls are empty stubs.
 */
#ifndef _XEPOLL_WAKEUP_H
#define _XEPOLL_WAKEUP_H

#include <linux/device.h>	/* the wakeup-source API, <linux/pm_wakeup.h> */

#include "instance.h"

int xep_ws_create(struct xep_instance *ep, struct xep_item *item,
		  struct file *file);
void __xep_ws_modify(struct xep_instance *ep, struct xep_item *item);
void xep_ws_destroy(struct xep_instance *ep, struct xep_item *item);
void xep_ws_instance_destroy(struct xep_instance *ep);

void xep_ws_claimed(struct xep_item *item);
void __xep_ws_hold_unlocked(struct xep_instance *ep, struct xep_item *item);

/*
 * MOD has set @item's events: make or destroy its source to match.
 * Nothing to do, and no call, unless the item has one or asks for one.
 * Under ep->mtx.
 */
static inline void xep_ws_modify(struct xep_instance *ep,
				 struct xep_item *item)
{
	if (unlikely((item->events & EPOLLWAKEUP) || item->ws))
		__xep_ws_modify(ep, item);
}

/*
 * The wake-up callback has put @item on a list of pending events; under
 * ep->lock. (It cannot run on an item its file's last close claimed: the
 * claim unhooks it first.)
 */
static inline void xep_ws_stay_awake(struct xep_item *item)
{
	if (unlikely(item->ws))
		__pm_stay_awake(item->ws);
}

/*
 * ADD, MOD or the end of a scan has put @item on the ready list; under
 * ep->lock. Not once its file's last close has claimed it (item->xf
 * cleared, then xep_ws_claimed() under ep->lock): the registration has
 * ended, and must hold nothing until it is reaped.
 */
static inline void xep_ws_hold(struct xep_item *item)
{
	if (unlikely(item->ws) && READ_ONCE(item->xf))
		__pm_stay_awake(item->ws);
}

/* The same from a transfer, which holds ep->mtx but not ep->lock. */
static inline void xep_ws_hold_unlocked(struct xep_instance *ep,
					struct xep_item *item)
{
	if (unlikely(item->ws))
		__xep_ws_hold_unlocked(ep, item);
}

/*
 * A poll of the instance's file found nothing on @item: its event is
 * gone, and so is the reason to hold. Under ep->mtx.
 */
static inline void xep_ws_relax(struct xep_item *item)
{
	if (unlikely(item->ws))
		__pm_relax(item->ws);
}

/*
 * A transfer takes @item off its batch: the instance's source takes over
 * until xep_ws_scan_done(), held before the item's goes so that there is
 * no moment with neither (autosleep could suspend in it). Under ep->mtx.
 */
static inline void xep_ws_hand_over(struct xep_instance *ep,
				    struct xep_item *item)
{
	struct wakeup_source *ws = item->ws;

	if (unlikely(ws)) {
		if (ws->active)
			__pm_stay_awake(ep->ws);
		__pm_relax(ws);
	}
}

/* A scan (a transfer, a poll of the instance) is over. Under ep->mtx. */
static inline void xep_ws_scan_done(struct xep_instance *ep)
{
	if (unlikely(ep->ws))
		__pm_relax(ep->ws);
}

#endif /* _XEPOLL_WAKEUP_H */
