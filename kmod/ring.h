/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shared ready ring (XEPOLL_IOC_RING_SETUP): cells of events that the
 * wake-up callback fills and user space reaps from its mapping without a
 * system call. The rules are at the top of ring.c.
 */
#ifndef _XEPOLL_RING_H
#define _XEPOLL_RING_H

#include "instance.h"

struct vm_area_struct;
struct xepoll_ring_setup;

int xep_ring_setup(struct xep_instance *ep, struct xepoll_ring_setup *args);
void xep_ring_detach(struct xep_instance *ep);
int xep_ring_mmap(struct file *file, struct vm_area_struct *vma);

bool xep_ring_publish(struct xep_instance *ep, struct xep_item *item,
		      __poll_t events);
bool xep_ring_publish_wake(struct xep_instance *ep, struct xep_item *item,
			   __poll_t key);
void xep_ring_cancel(struct xep_instance *ep, struct xep_item *item);
void xep_ring_modify(struct xep_instance *ep, struct xep_item *item,
		     __poll_t events, u64 data);
void xep_ring_claimed(struct xep_instance *ep, struct xep_item *item);
void xep_ring_note_ready(struct xep_instance *ep);

bool xep_ring_peek(struct xep_instance *ep);
u64 xep_ring_tail(struct xep_instance *ep);
unsigned int xep_ring_entries(struct xep_instance *ep);
unsigned int xep_ring_count(struct xep_instance *ep);

/*
 * What xep_ring_take() found at the ring's head: no filled cell; a head
 * another consumer moved, or a cancelled cell (look again); or an event,
 * now the caller's.
 */
enum xep_ring_take {
	XEP_RING_EMPTY,
	XEP_RING_RACED,
	XEP_RING_EVENT,
};

enum xep_ring_take xep_ring_take(struct xep_instance *ep, u32 end,
				 u32 *events, u64 *data, u32 *pos);
u64 xep_ring_pos(u64 tail, u32 pos);
bool xep_ring_reported(const struct xep_item *item, u64 first);

#endif /* _XEPOLL_RING_H */
