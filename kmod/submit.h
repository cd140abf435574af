/* SPDX-License-Identifier: GPL-2.0 */
/*
 * XEPOLL_IOC_SUBMIT: a batch of changes to the interest list, then
 * optionally a wait, in one call.
 */
#ifndef _XEPOLL_SUBMIT_H
#define _XEPOLL_SUBMIT_H

#include <linux/xepoll.h>

#include "instance.h"

long xep_submit(struct xep_instance *ep, const struct xepoll_submit *args,
		struct xepoll_submit __user *uargs);

#endif /* _XEPOLL_SUBMIT_H */
