/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The life of one registration: created by ADD, hooked on its file's wait
 * queues, removed by DEL, by the instance's release or at its file's last
 * close.
 */
#ifndef _XEPOLL_ITEM_H
#define _XEPOLL_ITEM_H

#include "instance.h"

/*
 * Bits of the event mask that steer xepoll rather than name events; an
 * item whose mask holds nothing else (a fired EPOLLONESHOT) is disarmed.
 */
#define XEP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)

int xep_item_insert(struct xep_instance *ep, struct file *file, int fd,
		    __poll_t events, u64 data);
void xep_item_modify(struct xep_instance *ep, struct xep_item *item,
		     __poll_t events, u64 data, struct file *file);
bool xep_item_remove(struct xep_instance *ep, struct xep_item *item);
void xep_item_reap(struct xep_instance *ep, struct xep_item *item);
void xep_item_unhook(struct xep_item *item);
struct file *xep_item_fget(struct xep_item *item);

int xep_item_init(void);
void xep_item_exit(void);

#endif /* _XEPOLL_ITEM_H */
