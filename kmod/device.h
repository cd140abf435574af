/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The misc device /dev/xepoll: the one entry point user space opens.
 */
#ifndef _XEPOLL_DEVICE_H
#define _XEPOLL_DEVICE_H

int xep_device_init(void);
void xep_device_exit(void);

#endif /* _XEPOLL_DEVICE_H */
