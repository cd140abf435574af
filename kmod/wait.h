/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Waiting for events: epoll_wait(), epoll_pwait() and epoll_pwait2() in
 * one call, with their timeouts, signal masks and errors.
 */
#ifndef _XEPOLL_WAIT_H
#define _XEPOLL_WAIT_H

#include <linux/xepoll.h>

#include "instance.h"

long xep_wait(struct xep_instance *ep, const struct xepoll_wait *args);

#endif /* _XEPOLL_WAIT_H */
