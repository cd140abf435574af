/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The checks an ADD needs when instances watch instances: loops and chains
 * deeper than XEP_MAX_NESTS are refused with ELOOP, too many wake-up paths
 * from one file with EINVAL, as epoll does. Use:
 *
 *	if (xep_nest_needed(ep, tfile)) {
 *		xep_nest_begin(&nest);
 *		ret = xep_nest_check(&nest, ep, tfile);	 before the insertion
 *		...insert the item...
 *		ret = xep_nest_check_paths(&nest);	 after it; undo on error
 *		xep_nest_end(&nest);
 *	}
 */
#ifndef _XEPOLL_NEST_H
#define _XEPOLL_NEST_H

#include <linux/list.h>
#include <linux/mutex.h>

#include "instance.h"

/**
 * struct xep_nest - the state of one ADD's checks, under xep_nest_mutex
 * @files:	the files whose wake-up paths the new link lengthens: the
 *		target, or every file below an instance target, each held
 */
struct xep_nest {
	struct list_head files;
};

bool xep_nest_needed(struct xep_instance *ep, struct file *tfile);
void xep_nest_begin(struct xep_nest *nest);
int xep_nest_check(struct xep_nest *nest, struct xep_instance *ep,
		   struct file *tfile);
int xep_nest_check_paths(struct xep_nest *nest);
void xep_nest_end(struct xep_nest *nest);

#endif /* _XEPOLL_NEST_H */
