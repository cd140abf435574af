/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Instances watching instances: loops are refused, and so are chains
 * deeper than XEP_MAX_NESTS, both with ELOOP, as epoll does.
 */
#ifndef _XEPOLL_NEST_H
#define _XEPOLL_NEST_H

#include <linux/mutex.h>

#include "instance.h"

extern struct mutex xep_nest_mutex;

int xep_nest_check(struct xep_instance *ep, struct xep_instance *target);

#endif /* _XEPOLL_NEST_H */
