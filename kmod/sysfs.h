/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /sys/kernel/xepoll/: the watch limit and the statistics.
 */
#ifndef _XEPOLL_SYSFS_H
#define _XEPOLL_SYSFS_H

int xep_sysfs_init(void);
void xep_sysfs_exit(void);

#endif /* _XEPOLL_SYSFS_H */
