/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Changes to the interest list: epoll_ctl()'s ADD, MOD and DEL, with its
 * checks and errors, alone or in runs (XEPOLL_IOC_SUBMIT), by descriptor
 * or by data.
 */
#ifndef _XEPOLL_CTL_H
#define _XEPOLL_CTL_H

#include <linux/xepoll.h>

#include "instance.h"

/* A run of changes lets go of ep->mtx at least this often. */
#define XEP_CTL_RUN_MAX		64

/**
 * struct xep_ctl_run - changes applied one after another to one instance
 * @ep:		the instance
 * @locked:	whether the run holds ep->mtx
 * @changes:	changes applied since it took ep->mtx
 *
 * Start with { .ep = ep }, call xep_ctl_apply() for each change, and end
 * with xep_ctl_run_end(), which lets go of ep->mtx if the run holds it.
 */
struct xep_ctl_run {
	struct xep_instance *ep;
	bool locked;
	unsigned int changes;
};

long xep_ctl_apply(struct xep_ctl_run *run, const struct xepoll_ctl *ctl);
void xep_ctl_run_end(struct xep_ctl_run *run);
long xep_ctl(struct xep_instance *ep, struct xepoll_ctl *ctl);

#endif /* _XEPOLL_CTL_H */
