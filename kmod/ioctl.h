/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioctl dispatch for /dev/xepoll and for instance files: one table row per
 * command says where it is valid, how large its argument is, and which
 * function handles it.
 */
#ifndef _XEPOLL_IOCTL_H
#define _XEPOLL_IOCTL_H

#include <linux/fs.h>

/* Which file an ioctl arrived on. */
enum xep_ioc_target {
	XEP_IOC_DEVICE		= 1 << 0,
	XEP_IOC_INSTANCE	= 1 << 1,
};

long xep_ioctl(struct file *file, unsigned int cmd, unsigned long arg,
	       enum xep_ioc_target target);

#endif /* _XEPOLL_IOCTL_H */
