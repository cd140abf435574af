/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ready list: fed by the wake-up callback hooked on every watched
 * file, drained by event transfer (waits) and by polls of the instance;
 * and, for an instance with a ring, the ring's side of both (ring.c).
 */
#ifndef _XEPOLL_READY_H
#define _XEPOLL_READY_H

#include "instance.h"

/* Whether a transfer is scanning: the callback then feeds ep->ovflist. */
static inline bool xep_scanning(const struct xep_instance *ep)
{
	return READ_ONCE(ep->ovflist) != XEP_OVF_INACTIVE;
}

/*
 * Whether events may be ready. Lockless, so only a hint; the wait loop
 * asks again under ep->lock before it sleeps. Inline: every wait asks
 * first, and an empty wait asks nothing else.
 */
static inline bool xep_ready_available(struct xep_instance *ep)
{
	return !list_empty_careful(&ep->rdllist) || xep_scanning(ep);
}

int xep_wake_callback(wait_queue_entry_t *wait, unsigned int mode, int sync,
		      void *key);
__poll_t xep_item_poll_file(struct xep_item *item, struct file *file,
			    poll_table *pt, int depth);
__poll_t xep_item_poll(struct xep_item *item, poll_table *pt, int depth);

void xep_ready_queue(struct xep_instance *ep, struct xep_item *item,
		     __poll_t revents);
void xep_ready_unqueue(struct xep_instance *ep, struct xep_item *item);
bool xep_ready_or_ring(struct xep_instance *ep);
int xep_ready_transfer(struct xep_instance *ep, void __user *events,
		       int maxevents, size_t event_size);
int xep_ready_transfer_held(struct xep_instance *ep, void __user *events,
			    int maxevents, size_t event_size,
			    struct list_head *held);
void xep_ready_release_held(struct xep_instance *ep, struct list_head *held);
__poll_t xep_ready_poll(struct xep_instance *ep, int depth);

#endif /* _XEPOLL_READY_H */
