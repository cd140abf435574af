/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * xepoll: user-space ABI.
 *
 * User space reaches xepoll through the misc device /dev/xepoll.
 */
#ifndef _UAPI_LINUX_XEPOLL_H
#define _UAPI_LINUX_XEPOLL_H

/* The device node's name, under /dev. */
#define XEPOLL_DEVICE_NAME	"xepoll"

#endif /* _UAPI_LINUX_XEPOLL_H */
