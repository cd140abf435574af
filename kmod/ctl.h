/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Changes to the interest list: epoll_ctl()'s ADD, MOD and DEL, with its
 * checks and errors.
 */
#ifndef _XEPOLL_CTL_H
#define _XEPOLL_CTL_H

#include <linux/xepoll.h>

#include "instance.h"

long xep_ctl(struct xep_instance *ep, struct xepoll_ctl *ctl);

#endif /* _XEPOLL_CTL_H */
