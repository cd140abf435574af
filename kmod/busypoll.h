/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Busy polling, as 6.12's epoll does it: an instance's parameters
 * (XEPOLL_IOC_SET_PARAMS, XEPOLL_IOC_GET_PARAMS, epoll's EPIOCSPARAMS and
 * EPIOCGPARAMS), the NAPI id taken from the sockets it watches, and the
 * busy loop a wait runs before it sleeps. busypoll.c tells how.
 */
#ifndef _XEPOLL_BUSYPOLL_H
#define _XEPOLL_BUSYPOLL_H

#include <linux/types.h>
#include <linux/xepoll.h>

struct file;
struct xep_instance;

/**
 * struct xep_busy_poll - an instance's busy-poll state
 * @napi_id:	the NAPI id of the last watched socket seen with one, or 0.
 *		Written with WRITE_ONCE() by the wake-up callback (under
 *		ep->lock), by ADD (under ep->mtx), and, to 0, by a waiter
 *		whose busy loop found nothing (no lock); read with
 *		READ_ONCE(). A hint, as in epoll: any value is harmless,
 *		since napi_busy_loop() looks the id up under RCU and does
 *		nothing for one that no longer exists.
 * @usecs:	busy_poll_usecs of XEPOLL_IOC_SET_PARAMS; 0 is off (epoll
 *		would defer to net.core.busy_poll: see busypoll.c)
 * @budget:	busy_poll_budget; 0 is BUSY_POLL_BUDGET
 * @prefer:	prefer_busy_poll
 *
 * @usecs, @budget and @prefer are written by XEPOLL_IOC_SET_PARAMS with
 * WRITE_ONCE() and read with READ_ONCE(), with no lock, each on its own,
 * as epoll's are: a wait racing with a change may use old and new values
 * together, each of them valid.
 */
struct xep_busy_poll {
	unsigned int napi_id;
	u32 usecs;
	u16 budget;
	bool prefer;
};

long xep_busy_poll_set_params(struct xep_instance *ep,
			      const struct xepoll_params *params);
long xep_busy_poll_get_params(struct xep_instance *ep,
			      struct xepoll_params *params);
void xep_busy_poll_mark(struct xep_instance *ep, struct file *file);
bool xep_busy_loop(struct xep_instance *ep);

#endif /* _XEPOLL_BUSYPOLL_H */
